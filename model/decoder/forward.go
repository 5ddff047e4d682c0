package decoder

import (
	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/runtime"
)

// scratch holds the buffers of one forward pass over n rows (the tokens of
// one sequence in a prefill, or one token of each sequence in a batch
// step). Each State owns one, so conversations on one shared Transformer
// never write the same memory; it grows to the largest pass seen and is
// reused, so decoding allocates nothing per token. Shapes below: n rows,
// D = hidden size, F = MLP width, Q = heads·headDim, KV = kvHeads·headDim,
// W = max(D, F, Q), V = vocabulary.
type scratch struct {
	states  []*State // [n] the sequence of each row
	pos     []int    // [n] the position of each row in its sequence
	ids     []int    // [n] the token of each row
	exp     []int    // [n] the expert of each row (0 text, 1 image in MoT)
	expRows [2][]int // rows of each expert
	// vecs[r], when not nil, is row r's input vector [D] in place of its
	// token's embedding (Janus: image features, drawn codes' embeddings).
	vecs [][]float32
	// hidden: dst receives each wanted row's final-normed hidden state [D]
	// instead of its logits (a family with its own output heads).
	hidden bool

	h    []float32 // [n, D] residual stream
	xn   []float32 // [n, D] normalised input of a block
	q    []float32 // [n, Q]
	k, v []float32 // [n, KV]
	att  []float32 // [n, Q] attention output
	tmp  []float32 // [n, D] block output before the residual add
	gate []float32 // [n, F]
	up   []float32 // [n, F]
	gin  []float32 // [n, W] one expert's rows, gathered (MoT)
	gout []float32 // [n, W] their outputs, to scatter back (MoT)

	logits []float32 // [len(out), V] the logits GEMM of many positions

	rowsOut []int       // rows whose logits are wanted
	dst     [][]float32 // [len(rowsOut)][V] where they go
	xs, ys  [][]float32 // row views handed to the multi-vector matvec
	ws      []*ops.Mat  // matrices of one fused matvec
	qk      qkTask      // the per-row q/k task of the current layer
}

func (b *scratch) reset() {
	b.states, b.pos, b.ids, b.exp = b.states[:0], b.pos[:0], b.ids[:0], b.exp[:0]
	b.vecs, b.hidden = b.vecs[:0], false
	b.expRows[0], b.expRows[1] = b.expRows[0][:0], b.expRows[1][:0]
}

func (b *scratch) add(s *State, pos, id, expert int) {
	b.expRows[expert] = append(b.expRows[expert], len(b.ids))
	b.states = append(b.states, s)
	b.pos = append(b.pos, pos)
	b.ids = append(b.ids, id)
	b.exp = append(b.exp, expert)
	b.vecs = append(b.vecs, nil)
}

func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

func (m *Transformer) ensure(b *scratch, n int) {
	c := m.Cfg
	qd, kvd := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	widest := max(c.Dim, c.FFN, qd)
	b.h = grow(b.h, n*c.Dim)
	b.xn = grow(b.xn, n*c.Dim)
	b.q = grow(b.q, n*qd)
	b.k = grow(b.k, n*kvd)
	b.v = grow(b.v, n*kvd)
	b.att = grow(b.att, n*qd)
	b.tmp = grow(b.tmp, n*c.Dim)
	b.gate = grow(b.gate, n*c.FFN)
	b.up = grow(b.up, n*c.FFN)
	if m.isImage != nil {
		b.gin = grow(b.gin, n*widest)
		b.gout = grow(b.gout, n*widest)
	}
}

// linear computes y[r] = W·x[r] for rows rows: one weight read serves all
// rows — matvec for one row, the multi-vector matvec for a few, GEMM beyond.
func (m *Transformer) linear(b *scratch, w *ops.Mat, x []float32, rows int, y []float32) {
	switch {
	case rows == 1:
		ops.MatVec(m.pool, w, x[:w.Cols], y[:w.Rows])
	case rows <= 4:
		b.xs, b.ys = b.xs[:0], b.ys[:0]
		for r := 0; r < rows; r++ {
			b.xs = append(b.xs, x[r*w.Cols:(r+1)*w.Cols])
			b.ys = append(b.ys, y[r*w.Rows:(r+1)*w.Rows])
		}
		ops.MatVecMulti(m.pool, w, b.xs, b.ys)
	default:
		ops.Gemm(m.pool, w, x[:rows*w.Cols], rows, y[:rows*w.Rows])
	}
}

// proj applies expert-specific weights: pick(e) to the rows of expert e.
// When every row belongs to one expert (the usual case) it runs in place;
// otherwise each expert's rows are gathered, multiplied and scattered back,
// so each expert's GEMM covers its own rows only.
func (m *Transformer) proj(b *scratch, l *Layer, pick func(*Expert) *ops.Mat, in []float32, out []float32) {
	n := len(b.ids)
	for e := range l.Experts {
		rows := b.expRows[e]
		if len(rows) == 0 {
			continue
		}
		w := pick(&l.Experts[e])
		if len(rows) == n {
			m.linear(b, w, in, n, out)
			continue
		}
		for i, r := range rows {
			copy(b.gin[i*w.Cols:(i+1)*w.Cols], in[r*w.Cols:(r+1)*w.Cols])
		}
		m.linear(b, w, b.gin, len(rows), b.gout)
		for i, r := range rows {
			copy(out[r*w.Rows:(r+1)*w.Rows], b.gout[i*w.Rows:(i+1)*w.Rows])
		}
	}
}

// projFused applies several matrices of equal width to the same input, as
// proj does for each: outs[i] = pick[i](expert)·in. With few rows and one
// expert (a decode step) the matrices go through one fused matvec, one
// hand-off to the pool for all of them; otherwise each is a proj of its own.
func (m *Transformer) projFused(b *scratch, l *Layer, picks []func(*Expert) *ops.Mat, in []float32, outs ...[]float32) {
	n := len(b.ids)
	if n > 4 || len(b.expRows[b.exp[0]]) != n {
		for i, pick := range picks {
			m.proj(b, l, pick, in, outs[i])
		}
		return
	}
	e := &l.Experts[b.exp[0]]
	b.ws, b.xs, b.ys = b.ws[:0], b.xs[:0], b.ys[:0]
	cols := picks[0](e).Cols
	for r := 0; r < n; r++ {
		b.xs = append(b.xs, in[r*cols:(r+1)*cols])
	}
	for i, pick := range picks {
		w := pick(e)
		b.ws = append(b.ws, w)
		for r := 0; r < n; r++ {
			b.ys = append(b.ys, outs[i][r*w.Rows:(r+1)*w.Rows])
		}
	}
	ops.MatVecFused(m.pool, b.ws, b.xs, b.ys)
}

var (
	pickQKV    = []func(*Expert) *ops.Mat{pickQ, pickK, pickV}
	pickGateUp = []func(*Expert) *ops.Mat{pickGate, pickUp}
)

func pickQ(e *Expert) *ops.Mat    { return e.Q }
func pickK(e *Expert) *ops.Mat    { return e.K }
func pickV(e *Expert) *ops.Mat    { return e.V }
func pickO(e *Expert) *ops.Mat    { return e.O }
func pickGate(e *Expert) *ops.Mat { return e.Gate }
func pickUp(e *Expert) *ops.Mat   { return e.Up }
func pickDown(e *Expert) *ops.Mat { return e.Down }

// forward runs the rows queued in b through every layer and writes the
// logits of rows out[k] into dst[k].
func (m *Transformer) forward(b *scratch, out []int, dst [][]float32) {
	c := m.Cfg
	n := len(b.ids)
	m.ensure(b, n)
	D, F := c.Dim, c.FFN
	qd := c.Heads * c.HeadDim

	for r, id := range b.ids {
		if v := b.vecs[r]; v != nil {
			copy(b.h[r*D:(r+1)*D], v)
			continue
		}
		m.Embed.RowInto(b.h[r*D:(r+1)*D], id)
	}
	for li := range m.Layers {
		l := &m.Layers[li]
		// Attention block.
		if c.SwinNorm {
			copy(b.xn[:n*D], b.h[:n*D])
		} else {
			for r := 0; r < n; r++ {
				ops.RMSNorm(b.xn[r*D:(r+1)*D], b.h[r*D:(r+1)*D], l.Experts[b.exp[r]].InNorm, c.RMSEps)
			}
		}
		m.projFused(b, l, pickQKV, b.xn, b.q, b.k, b.v)
		b.qk = qkTask{m: m, b: b, l: l, li: li}
		m.eachRow(n, &b.qk)
		// Consecutive rows of one sequence attend in one call.
		for start := 0; start < n; {
			end := start + 1
			for end < n && b.states[end] == b.states[start] && b.pos[end] == b.pos[end-1]+1 {
				end++
			}
			ops.Attention(m.pool, b.states[start].KV, li, b.q[start*qd:end*qd], end-start, c.Heads, b.pos[start], nil, b.att[start*qd:end*qd])
			start = end
		}
		m.proj(b, l, pickO, b.att, b.tmp)
		m.residual(b, l, true)

		// MLP block.
		if c.SwinNorm {
			copy(b.xn[:n*D], b.h[:n*D])
		} else {
			for r := 0; r < n; r++ {
				ops.RMSNorm(b.xn[r*D:(r+1)*D], b.h[r*D:(r+1)*D], l.Experts[b.exp[r]].PostNorm, c.RMSEps)
			}
		}
		m.projFused(b, l, pickGateUp, b.xn, b.gate, b.up)
		ops.SwiGLU(b.gate[:n*F], b.gate[:n*F], b.up[:n*F])
		m.proj(b, l, pickDown, b.gate, b.tmp)
		m.residual(b, l, false)
	}
	if len(out) == 0 {
		return
	}
	// Final norm of the requested rows, then the shared lm_head.
	for k, r := range out {
		ops.RMSNorm(b.xn[k*D:(k+1)*D], b.h[r*D:(r+1)*D], m.Norm[b.exp[r]], c.RMSEps)
	}
	if b.hidden {
		for k := range out {
			copy(dst[k], b.xn[k*D:(k+1)*D])
		}
		return
	}
	if len(out) > 4 {
		// Many positions (the logits tool): one GEMM over all of them.
		V := c.VocabSize
		b.logits = grow(b.logits, len(out)*V)
		ops.Gemm(m.pool, m.LMHead, b.xn[:len(out)*D], len(out), b.logits)
		for k := range out {
			copy(dst[k], b.logits[k*V:(k+1)*V])
		}
		return
	}
	for k0 := 0; k0 < len(out); k0 += 4 {
		k1 := min(k0+4, len(out))
		if k1-k0 == 1 {
			ops.MatVec(m.pool, m.LMHead, b.xn[k0*D:(k0+1)*D], dst[k0])
			continue
		}
		b.xs, b.ys = b.xs[:0], b.ys[:0]
		for k := k0; k < k1; k++ {
			b.xs = append(b.xs, b.xn[k*D:(k+1)*D])
			b.ys = append(b.ys, dst[k])
		}
		ops.MatVecMulti(m.pool, m.LMHead, b.xs, b.ys)
	}
}

// qkTask applies, per row, the q/k norms, the rotation and the cache store
// of one layer. It lives in the scratch so a decode step allocates nothing
// for it.
type qkTask struct {
	m  *Transformer
	b  *scratch
	l  *Layer
	li int
}

func (t *qkTask) Run(r0, r1 int) {
	m, c, b := t.m, t.m.Cfg, t.b
	qd, kvd := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	for r := r0; r < r1; r++ {
		e := &t.l.Experts[b.exp[r]]
		q, k := b.q[r*qd:(r+1)*qd], b.k[r*kvd:(r+1)*kvd]
		if c.QKNorm {
			ops.HeadLayerNorm(q, c.Heads, c.HeadDim, e.QNormW, e.QNormB, e.QGroups, 1e-5)
			ops.HeadLayerNorm(k, c.KVHeads, c.HeadDim, e.KNormW, e.KNormB, e.KGroups, 1e-5)
		}
		m.rope.Apply(q, c.Heads, b.pos[r])
		m.rope.Apply(k, c.KVHeads, b.pos[r])
		b.states[r].KV.Store(t.li, b.pos[r], k, b.v[r*kvd:(r+1)*kvd])
	}
}

// eachRow runs t over the rows [0, n): on the pool for a prefill (each
// row's q/k norms, rotation and cache store are independent of the others),
// inline for the few rows of a decode step, where a hand-off costs more than
// the work.
func (m *Transformer) eachRow(n int, t runtime.Task) {
	if n <= 4 {
		t.Run(0, n)
		return
	}
	m.pool.Run(n, t)
}

// residual adds the block output in b.tmp to the stream; with swin_norm the
// output is RMS-normalised first (no pre-norm in that layout).
func (m *Transformer) residual(b *scratch, l *Layer, attn bool) {
	c := m.Cfg
	D := c.Dim
	for r := range b.ids {
		t := b.tmp[r*D : (r+1)*D]
		if c.SwinNorm {
			e := &l.Experts[b.exp[r]]
			w := e.PostNorm
			if attn {
				w = e.InNorm
			}
			ops.RMSNorm(t, t, w, c.RMSEps)
		}
		h := b.h[r*D : (r+1)*D]
		asm.Add(h, h, t)
	}
}
