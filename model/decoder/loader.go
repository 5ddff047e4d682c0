package decoder

import (
	"fmt"
	"strings"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/weights"
)

// Expert is one set of per-layer weights. A dense model has one per layer;
// a Mixture-of-Transformers model has a second one (the "_moe_gen" tensors)
// for image-token positions.
type Expert struct {
	Q, K, V, O       *ops.Mat
	Gate, Up, Down   *ops.Mat
	InNorm, PostNorm []float32
	// Per-head LayerNorm of q and k (Chameleon): [groups, headDim], head h
	// uses row h/(heads/groups).
	QNormW, QNormB, KNormW, KNormB []float32
	QGroups, KGroups               int
}

// Layer holds the experts of one transformer block: Experts[0] serves text
// positions, Experts[1] (MoT only) image-code positions.
type Layer struct {
	Experts []Expert
}

// tensorLoader reads tensors by name and checks them against the config;
// the first problem is kept and reported with the tensor's name.
type tensorLoader struct {
	set   *weights.Set
	err   error
	used  map[string]bool
	alias map[string]string // runtime name → name in the file (GGUF)
	// source maps each loaded matrix to its tensor (Transformer.useColMajor
	// releases the pages of the ones it copies).
	source map[*ops.Mat]*weights.Tensor
}

func (l *tensorLoader) fail(format string, args ...any) {
	if l.err == nil {
		l.err = fmt.Errorf(format, args...)
	}
}

func (l *tensorLoader) lookup(name string) *weights.Tensor {
	if l.err != nil {
		return nil
	}
	file := name
	if a, ok := l.alias[name]; ok {
		file = a
	}
	t, ok := l.set.Tensor(file)
	if !ok {
		l.fail("missing tensor %q", file)
		return nil
	}
	l.used[file] = true
	return t
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func toOpsDType(t *weights.Tensor) (ops.DType, bool) {
	switch t.DType {
	case weights.F32:
		return ops.F32, true
	case weights.F16:
		return ops.F16, true
	case weights.BF16:
		return ops.BF16, true
	}
	return 0, false
}

// mat loads a [rows, cols] matrix, zero-copy: f32, f16, bf16 or ggml
// block-quantized (a GGUF file's Q8_0, Q4_K, ...).
func (l *tensorLoader) mat(name string, rows, cols int) *ops.Mat {
	t := l.lookup(name)
	if t == nil {
		return nil
	}
	if len(t.Shape) != 2 || t.Shape[0] != rows || t.Shape[1] != cols {
		l.fail("tensor %q has shape %s, want [%d, %d]", name, shapeString(t.Shape), rows, cols)
		return nil
	}
	var m *ops.Mat
	if t.DType.Quantized() {
		// The weights package validated whole blocks per row and the byte
		// size; the numbering of its quantized types follows asm.QType's.
		m = &ops.Mat{Q: asm.QType(t.DType-weights.Q4_0) + asm.Q4_0, Rows: rows, Cols: cols, Raw: t.Bytes()}
	} else {
		dt, ok := toOpsDType(t)
		if !ok {
			l.fail("tensor %q has unsupported dtype %v", name, t.DType)
			return nil
		}
		m = &ops.Mat{DType: dt, Rows: rows, Cols: cols}
		if dt == ops.F32 {
			m.F32 = t.F32()
		} else {
			m.U16 = t.U16()
		}
	}
	if l.source != nil {
		l.source[m] = t
	}
	return m
}

// vec loads a small tensor of n elements as float32 (a copy), accepting any
// of the given shapes.
func (l *tensorLoader) vec(name string, shapes ...[]int) ([]float32, []int) {
	t := l.lookup(name)
	if t == nil {
		return nil, nil
	}
	okShape := false
	for _, s := range shapes {
		if equalShape(t.Shape, s) {
			okShape = true
			break
		}
	}
	if !okShape {
		want := make([]string, len(shapes))
		for i, s := range shapes {
			want[i] = shapeString(s)
		}
		l.fail("tensor %q has shape %s, want %s", name, shapeString(t.Shape), strings.Join(want, " or "))
		return nil, nil
	}
	out, err := t.Float32s()
	if err != nil {
		l.fail("%v", err)
		return nil, nil
	}
	return out, t.Shape
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// headNorm loads a qk-norm weight or bias stored as [groups, headDim] (or
// [headDim]) where groups divides heads.
func (l *tensorLoader) headNorm(name string, heads, headDim int) ([]float32, int) {
	t := l.lookup(name)
	if t == nil {
		return nil, 0
	}
	groups := 0
	switch {
	case len(t.Shape) == 1 && t.Shape[0] == headDim:
		groups = 1
	case len(t.Shape) == 2 && t.Shape[1] == headDim && t.Shape[0] > 0 && heads%t.Shape[0] == 0:
		groups = t.Shape[0]
	default:
		l.fail("tensor %q has shape %s, want [G, %d] with G dividing %d heads", name, shapeString(t.Shape), headDim, heads)
		return nil, 0
	}
	v, _ := l.vec(name, t.Shape)
	return v, groups
}

func (l *tensorLoader) expert(c *Config, i int, suffix string) Expert {
	p := fmt.Sprintf("model.layers.%d.", i)
	D, F, H, KV, hd := c.Dim, c.FFN, c.Heads, c.KVHeads, c.HeadDim
	e := Expert{
		Q:    l.mat(p+"self_attn.q_proj"+suffix+".weight", H*hd, D),
		K:    l.mat(p+"self_attn.k_proj"+suffix+".weight", KV*hd, D),
		V:    l.mat(p+"self_attn.v_proj"+suffix+".weight", KV*hd, D),
		O:    l.mat(p+"self_attn.o_proj"+suffix+".weight", D, H*hd),
		Gate: l.mat(p+"mlp"+suffix+".gate_proj.weight", F, D),
		Up:   l.mat(p+"mlp"+suffix+".up_proj.weight", F, D),
		Down: l.mat(p+"mlp"+suffix+".down_proj.weight", D, F),
	}
	e.InNorm, _ = l.vec(p+"input_layernorm"+suffix+".weight", []int{D})
	e.PostNorm, _ = l.vec(p+"post_attention_layernorm"+suffix+".weight", []int{D})
	if c.QKNorm {
		var g int
		e.QNormW, e.QGroups = l.headNorm(p+"self_attn.q_norm"+suffix+".weight", H, hd)
		e.QNormB, g = l.headNorm(p+"self_attn.q_norm"+suffix+".bias", H, hd)
		if l.err == nil && g != e.QGroups {
			l.fail("tensor %q: groups %d differ from its weight's %d", p+"self_attn.q_norm"+suffix+".bias", g, e.QGroups)
		}
		e.KNormW, e.KGroups = l.headNorm(p+"self_attn.k_norm"+suffix+".weight", KV, hd)
		e.KNormB, g = l.headNorm(p+"self_attn.k_norm"+suffix+".bias", KV, hd)
		if l.err == nil && g != e.KGroups {
			l.fail("tensor %q: groups %d differ from its weight's %d", p+"self_attn.k_norm"+suffix+".bias", g, e.KGroups)
		}
	}
	return e
}
