package model

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/ops"
)

// ErrNoGenerationHead is matched (errors.Is) when a Janus checkpoint
// without its generation parts is asked to draw.
var ErrNoGenerationHead = errors.New("no image generation head")

// ErrNoVisionTower is matched (errors.Is) when a Janus checkpoint without
// its understanding tower is shown a picture.
var ErrNoVisionTower = errors.New("no vision tower to read images")

// janusScratch is one forward pass's buffers of the Janus heads; pooled, so
// steady-state drawing allocates nothing per code.
type janusScratch struct {
	hidden    []float32   // [rows, D] final-normed hidden states
	hs        [][]float32 // row views of hidden
	vecs      [][]float32 // [rows] input vectors (nil: the token's embedding)
	vecBuf    []float32   // [rows, D] the vectors of drawn codes
	ids       []int
	mid, mid2 [][]float32 // [rows, width] head and aligner intermediates
	x8        []float32
	outs      [][]float32
	last      []int       // [rows] the id each row's head follows
	textRows  []int       // rows that take the text head
	codeRows  []int       // rows that take the code head
	xs, ys    [][]float32 // views handed to the multi-vector matvec
}

var janusScratches = sync.Pool{New: func() any { return new(janusScratch) }}

func growRows(rows [][]float32, n, width int) [][]float32 {
	for len(rows) < n {
		rows = append(rows, nil)
	}
	for i := range rows[:n] {
		if cap(rows[i]) < width {
			rows[i] = make([]float32, width)
		}
		rows[i] = rows[i][:width]
	}
	return rows[:n]
}

// isCodeID reports an id that stands for a drawn code (VocabSize + code).
func (m *Model) isCodeID(id int) bool { return id >= m.Cfg.VocabSize && id < m.LogitsSize() }

// inputs turns ids into the decoder's ids and input vectors: a drawn
// code's vector is its generation embedding through the aligner; vecs
// given by the caller (picture features) are kept.
func (j *Janus) inputs(m *Model, sc *janusScratch, ids []int, vecs [][]float32) error {
	D := m.Cfg.Dim
	sc.ids = append(sc.ids[:0], ids...)
	sc.vecs = sc.vecs[:0]
	codes := 0
	for _, id := range ids {
		if m.isCodeID(id) {
			codes++
		}
	}
	if cap(sc.vecBuf) < codes*D {
		sc.vecBuf = make([]float32, codes*D)
	}
	k := 0
	for i, id := range ids {
		var v []float32
		if vecs != nil {
			v = vecs[i]
		}
		if m.isCodeID(id) {
			if j.missingGen != "" {
				return fmt.Errorf("%s: %w: %s", m.Path, ErrNoGenerationHead, j.missingGen)
			}
			sc.ids[i] = 0
			if i > 0 && ids[i-1] == id {
				// The guided rows of a step share the code just drawn.
				v = sc.vecs[i-1]
			} else {
				v = sc.vecBuf[k*D : (k+1)*D]
				j.codeVector(m, sc, id-m.Cfg.VocabSize, v)
				k++
			}
		}
		sc.vecs = append(sc.vecs, v)
	}
	return nil
}

// codeVector writes the decoder input of a drawn code: the generation
// aligner (fc1, then GELU and a Linear per further layer) of its
// generation embedding, on m's pool (a WithPool view's own).
func (j *Janus) codeVector(m *Model, sc *janusScratch, code int, out []float32) {
	E := j.Cfg.CodeDim
	x := append(sc.x8[:0], j.GenEmbed[code*E:(code+1)*E]...)
	sc.x8 = x
	sc.mid2 = growRows(sc.mid2, 2, j.GenAlign[0].W.Rows)
	for li, l := range j.GenAlign {
		y := out
		if li < len(j.GenAlign)-1 {
			y = sc.mid2[li%2]
		}
		if li > 0 {
			ops.GELU(x, x)
		}
		ops.MatVec(m.Pool, l.W, x, y)
		addBias(y, l.B)
		x = y
	}
}

func addBias(y, b []float32) {
	for i := range y {
		y[i] += b[i]
	}
}

// heads writes each row's logits: the text head when its last input was
// text, the code head when it was <begin_of_image> or a drawn code (the
// next id is then a code). The other head's part is -Inf, so masks never
// need it and it is never computed.
func (j *Janus) heads(m *Model, sc *janusScratch, lastIDs []int, hs, logits [][]float32) error {
	V := m.Cfg.VocabSize
	ninf := float32(math.Inf(-1))
	textRows, codeRows := sc.textRows[:0], sc.codeRows[:0]
	for r, id := range lastIDs {
		if id == m.Proto.Image.Begin || m.isCodeID(id) {
			codeRows = append(codeRows, r)
		} else {
			textRows = append(textRows, r)
		}
	}
	sc.textRows, sc.codeRows = textRows, codeRows
	if len(textRows) > 0 {
		xs, ys := sc.xs[:0], sc.ys[:0]
		for _, r := range textRows {
			xs, ys = append(xs, hs[r]), append(ys, logits[r][:V])
			fill(logits[r][V:], ninf)
		}
		matVecRows(m, m.T.LMHead, xs, ys)
		sc.xs, sc.ys = xs, ys
	}
	if len(codeRows) == 0 {
		return nil
	}
	if j.missingGen != "" {
		return fmt.Errorf("%s: %w: %s", m.Path, ErrNoGenerationHead, j.missingGen)
	}
	proj, head := j.GenHead[0], j.GenHead[1]
	sc.mid = growRows(sc.mid, len(codeRows), proj.W.Rows)
	xs, ys := sc.xs[:0], sc.ys[:0]
	for k, r := range codeRows {
		xs, ys = append(xs, hs[r]), append(ys, sc.mid[k])
	}
	matVecRows(m, proj.W, xs, ys)
	for k, r := range codeRows {
		addBias(sc.mid[k], proj.B)
		ops.GELU(sc.mid[k], sc.mid[k])
		fill(logits[r][:V], ninf)
		xs[k], ys[k] = sc.mid[k], logits[r][V:]
	}
	matVecRows(m, head.W, xs, ys)
	for _, r := range codeRows {
		addBias(logits[r][V:], head.B)
	}
	sc.xs, sc.ys = xs, ys
	return nil
}

// matVecRows applies w to a few rows with one read of the weights.
func matVecRows(m *Model, w *ops.Mat, xs, ys [][]float32) {
	for k := 0; k < len(xs); k += 4 {
		e := min(k+4, len(xs))
		if e-k == 1 {
			ops.MatVec(m.Pool, w, xs[k], ys[k])
		} else {
			ops.MatVecMulti(m.Pool, w, xs[k:e], ys[k:e])
		}
	}
}

func fill(xs []float32, v float32) {
	for i := range xs {
		xs[i] = v
	}
}

// prefill is Model.Prefill for Janus; with all, every row gets text
// logits (what `chatumm logits` writes).
func (j *Janus) prefill(m *Model, s *decoder.State, ids []int, vecs [][]float32, logits []float32, all bool) error {
	D, W := m.Cfg.Dim, m.LogitsSize()
	sc := janusScratches.Get().(*janusScratch)
	defer janusScratches.Put(sc)
	if err := j.inputs(m, sc, ids, vecs); err != nil {
		return err
	}
	rows := 1
	if all {
		rows = len(ids)
	}
	if logits == nil {
		rows = 1
	} else if len(logits) < rows*W {
		return fmt.Errorf("logits buffer has %d floats, need %d", len(logits), rows*W)
	}
	if cap(sc.hidden) < rows*D {
		sc.hidden = make([]float32, rows*D)
	}
	hidden := sc.hidden[:rows*D]
	if err := m.T.PrefillVectors(s, sc.ids, sc.vecs, hidden, all && logits != nil); err != nil {
		return err
	}
	if logits == nil {
		return nil
	}
	sc.hs, sc.outs = sc.hs[:0], sc.outs[:0]
	last := sc.last[:0]
	for r := 0; r < rows; r++ {
		sc.hs = append(sc.hs, hidden[r*D:(r+1)*D])
		sc.outs = append(sc.outs, logits[r*W:(r+1)*W])
		last = append(last, -1) // text logits for every row of a whole-prompt pass
	}
	sc.last = last
	if !all {
		last[0] = ids[len(ids)-1]
	}
	return j.heads(m, sc, last, sc.hs, sc.outs)
}

// stepBatch is Model.StepBatch for Janus.
func (j *Janus) stepBatch(m *Model, states []*decoder.State, ids []int, logits [][]float32) error {
	D := m.Cfg.Dim
	sc := janusScratches.Get().(*janusScratch)
	defer janusScratches.Put(sc)
	if err := j.inputs(m, sc, ids, nil); err != nil {
		return err
	}
	sc.hs = growRows(sc.hs, len(ids), D)
	if err := m.T.StepVectors(states, sc.ids, sc.vecs, sc.hs); err != nil {
		return err
	}
	return j.heads(m, sc, ids, sc.hs, logits)
}
