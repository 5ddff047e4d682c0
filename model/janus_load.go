package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/runtime/fileio"
	"github.com/chatumm/chatumm/weights"
)

// Janus holds a Janus checkpoint's parts beyond the decoder: the
// understanding tower (pictures → features at the placeholder run) and the
// generation input and head (codes ↔ the decoder's width). A part the
// checkpoint lacks is nil, and using it is an error that names what is
// missing; the rest still works.
type Janus struct {
	Cfg *JanusConfig
	// Vision reads a picture into ImageTokens features of the decoder's
	// width; nil without a vision tower.
	Vision ImageReader
	// GenEmbed [Codes, CodeDim] and GenAlign turn a drawn code into the
	// decoder's next input; GenHead (proj_out, vision_head) turns a hidden
	// state into code logits. Empty without them.
	GenEmbed []float32
	GenAlign []janusLinear
	GenHead  []janusLinear

	missingVision, missingGen string // what is missing, "" when present
	// original: the tensors have deepseek-ai's names (whatever the config's
	// layout: a converted checkpoint may keep either config).
	original bool
}

// ImageReader is an understanding tower: Preprocess makes a picture into
// the tower's input, Features into one feature row per placeholder.
type ImageReader interface {
	Preprocess(img image.Image) []float32
	Features(p *runtime.Pool, pixels []float32) []float32
}

// janusLinear is y = W·x + b.
type janusLinear struct {
	W *ops.Mat
	B []float32
}

// janusAlias maps the decoder's tensor names onto a Janus checkpoint's:
// model.language_model.* (Hugging Face) or language_model.model.* and
// language_model.lm_head (deepseek-ai); nil for other families.
func janusAlias(cfg *Config, set *weights.Set) map[string]string {
	if cfg.Janus == nil {
		return nil
	}
	alias := map[string]string{}
	for _, name := range set.Names() {
		switch {
		case strings.HasPrefix(name, "model.language_model."):
			alias["model."+strings.TrimPrefix(name, "model.language_model.")] = name
		case strings.HasPrefix(name, "language_model.model."):
			alias["model."+strings.TrimPrefix(name, "language_model.model.")] = name
		case name == "language_model.lm_head.weight":
			alias["lm_head.weight"] = name
		}
	}
	return alias
}

// loadJanus attaches the Janus parts after the decoder and the VQ-GAN:
// the protocol (setVocab found no code tokens: Janus's codes are ids
// above the vocabulary), the generation parts and the vision tower.
func (m *Model) loadJanus() error {
	jc := m.Cfg.Janus
	j := &Janus{Cfg: jc}
	_, j.original = m.Weights.Tensor("language_model.model.embed_tokens.weight")
	p, err := janus{}.protocol(m.Tok)
	if err != nil {
		return fmt.Errorf("%s: %v", m.Path, err)
	}
	if jc.ImageTokenID >= 0 {
		p.Image.Placeholder = jc.ImageTokenID
	}
	if p.Image.Placeholder < 0 {
		return fmt.Errorf("%s: the vocabulary has no <image_placeholder> and config.json no image_token_id", m.Path)
	}
	if err := janusGenerationConfig(m.Path, &p, m.Cfg.VocabSize); err != nil {
		return err
	}
	m.Proto = p
	V := m.Cfg.VocabSize
	m.CodeOfID = make([]int32, V+jc.Codes)
	m.IDOfCode = make([]int, jc.Codes)
	for i := range m.CodeOfID[:V] {
		m.CodeOfID[i] = -1
	}
	for c := range m.IDOfCode {
		m.IDOfCode[c], m.CodeOfID[V+c] = V+c, int32(c)
	}
	if err := j.loadGeneration(m.Weights, m.Cfg.Dim); err != nil {
		return fmt.Errorf("%s: %v", m.Path, err)
	}
	switch {
	case !hasPrefix(m.Weights, "model.vision_model.", "vision_model."):
		j.missingVision = "no vision tower (model.vision_model.* tensors)"
	default:
		if j.Vision, err = m.loadSiglip(j.original); err != nil {
			return fmt.Errorf("%s: vision tower: %v", m.Path, err)
		}
	}
	m.Janus = j
	// The decoder lists what it did not read; the Janus parts read these.
	kept := m.T.Unused[:0]
	for _, name := range m.T.Unused {
		if !janusPart(name) {
			kept = append(kept, name)
		}
	}
	m.T.Unused = kept
	return nil
}

// janusPart reports a tensor of the Janus parts beyond the decoder, in
// either layout's names.
func janusPart(name string) bool {
	for _, p := range []string{"model.vision_model.", "model.aligner.", "model.generation_", "model.vqmodel.",
		"vision_model.", "aligner.", "gen_embed.", "gen_aligner.", "gen_head.", "gen_vision_model."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func hasPrefix(set *weights.Set, prefixes ...string) bool {
	for _, name := range set.Names() {
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
	}
	return false
}

// loadGeneration reads the generation embedding, aligner and head, in
// either layout's names. A checkpoint with none of them can still read and
// answer; one with some but not all, or of the wrong shapes, is broken.
func (j *Janus) loadGeneration(set *weights.Set, dim int) error {
	jc := j.Cfg
	hf := []string{"model.generation_embeddings.weight", "model.generation_aligner.fc1", "model.generation_aligner.hidden_layers.", "model.generation_head.proj_out", "model.generation_head.vision_head"}
	if j.original {
		hf = []string{"gen_embed.weight", "gen_aligner.layers.0", "gen_aligner.layers.", "gen_head.output_mlp_projector", "gen_head.vision_head"}
	}
	if _, ok := set.Tensor(hf[0]); !ok {
		if !hasPrefix(set, "model.generation_head.", "gen_head.") {
			j.missingGen = fmt.Sprintf("no generation embedding, aligner or head (%s, …)", hf[0])
			return nil
		}
	}
	l := &janusLoader{set: set}
	embed := l.tensor(hf[0], jc.Codes, jc.CodeDim)
	if embed != nil {
		var err error
		if j.GenEmbed, err = embed.Float32s(); err != nil {
			return err
		}
	}
	fc1 := l.linear(hf[1], -1, jc.CodeDim)
	width := dim
	if fc1.W != nil {
		width = fc1.W.Rows
	}
	j.GenAlign = append(j.GenAlign, fc1)
	// The aligner's further layers: deepseek-ai's Sequential numbers its
	// Linears 0, 2, 4 … (the GELUs between them have no weights).
	for k := 0; ; k++ {
		name := fmt.Sprintf("%s%d", hf[2], k)
		if j.original {
			name = fmt.Sprintf("%s%d", hf[2], 2*(k+1))
		}
		if _, ok := set.Tensor(name + ".weight"); !ok {
			break
		}
		j.GenAlign = append(j.GenAlign, l.linear(name, width, width))
	}
	if last := j.GenAlign[len(j.GenAlign)-1].W; last != nil && last.Rows != dim {
		l.fail("the generation aligner gives %d values, the decoder's width is %d", last.Rows, dim)
	}
	proj := l.linear(hf[3], -1, dim)
	pw := width
	if proj.W != nil {
		pw = proj.W.Rows
	}
	j.GenHead = []janusLinear{proj, l.linear(hf[4], jc.Codes, pw)}
	return l.err
}

// janusLoader reads the Janus matrices, keeping the first problem.
type janusLoader struct {
	set *weights.Set
	err error
}

func (l *janusLoader) fail(format string, args ...any) {
	if l.err == nil {
		l.err = fmt.Errorf(format, args...)
	}
}

// tensor looks up a 2-D tensor of rows × cols (rows < 0: any).
func (l *janusLoader) tensor(name string, rows, cols int) *weights.Tensor {
	if l.err != nil {
		return nil
	}
	t, ok := l.set.Tensor(name)
	if !ok {
		l.fail("missing tensor %q", name)
		return nil
	}
	if len(t.Shape) != 2 || (rows >= 0 && t.Shape[0] != rows) || t.Shape[1] != cols || t.Shape[0] <= 0 {
		want := fmt.Sprintf("[%d, %d]", rows, cols)
		if rows < 0 {
			want = fmt.Sprintf("[*, %d]", cols)
		}
		l.fail("tensor %q has shape %v, want %s", name, t.Shape, want)
		return nil
	}
	return t
}

// linear loads name.weight [rows, cols] and name.bias [rows].
func (l *janusLoader) linear(name string, rows, cols int) janusLinear {
	t := l.tensor(name+".weight", rows, cols)
	if t == nil {
		return janusLinear{}
	}
	w := &ops.Mat{Rows: t.Shape[0], Cols: cols}
	switch t.DType {
	case weights.F32:
		w.DType, w.F32 = ops.F32, t.F32()
	case weights.F16:
		w.DType, w.U16 = ops.F16, t.U16()
	case weights.BF16:
		w.DType, w.U16 = ops.BF16, t.U16()
	default:
		l.fail("tensor %q has unsupported dtype %v", name+".weight", t.DType)
		return janusLinear{}
	}
	b, ok := l.set.Tensor(name + ".bias")
	if !ok {
		l.fail("missing tensor %q", name+".bias")
		return janusLinear{}
	}
	if len(b.Shape) != 1 || b.Shape[0] != w.Rows {
		l.fail("tensor %q has shape %v, want [%d]", name+".bias", b.Shape, w.Rows)
		return janusLinear{}
	}
	bias, err := b.Float32s()
	if err != nil {
		l.fail("%v", err)
		return janusLinear{}
	}
	return janusLinear{W: w, B: bias}
}

// janusGenerationConfig takes guidance's pad from generation_config.json
// when the checkpoint directory has one (transformers pads the
// unconditional sequence with its pad_token_id; the original code with
// <｜▁pad▁｜>, the same token in Janus's vocabulary).
func janusGenerationConfig(dir string, p *Protocol, vocab int) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil
	}
	path := filepath.Join(dir, "generation_config.json")
	data, err := fileio.ReadFile(path, fileio.Config)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	var g struct {
		Pad *int `json:"pad_token_id"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if g.Pad != nil {
		if *g.Pad < 0 || *g.Pad >= vocab {
			return fmt.Errorf("%s: pad_token_id %d outside the vocabulary of %d", path, *g.Pad, vocab)
		}
		p.Pad = *g.Pad
	}
	return nil
}
