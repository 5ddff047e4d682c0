package siglip

import (
	"errors"
	"fmt"
	"strings"

	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/weights"
)

// ErrNoTower is wrapped by Load's error when the checkpoint has no
// understanding tower at all (no patch embedding): a Janus checkpoint
// without it can still draw and chat, and says so when a picture is given.
var ErrNoTower = errors.New("the checkpoint has no understanding tower (SigLIP vision model)")

// Tower is a loaded understanding tower: immutable after Load, so any
// number of goroutines may call Features at once.
type Tower struct {
	cfg     Config
	patch   linear    // [Hv, 3·P·P]
	pos     []float32 // [N, Hv]
	layers  []layer
	postW   []float32 // post_layernorm
	postB   []float32
	aligner []linear // fc1, then the hidden layers
}

// linear is a Linear layer: y = W·x + b (b may be nil).
type linear struct {
	w *ops.Mat
	b []float32
}

type layer struct {
	ln1W, ln1B, ln2W, ln2B []float32
	q, k, v, o             linear
	fc1, fc2               linear
}

// Config is the tower's configuration.
func (t *Tower) Config() Config { return t.cfg }

// Load builds the tower from set. prefix is what comes before
// "vision_model." and "aligner." in the tensor names: "model." for the
// Hugging Face layout (deepseek-community/Janus-Pro-*), "" for the original
// deepseek-ai names converted to safetensors, which are recognised by
// "vision_model.vision_tower.patch_embed.proj.weight" (their fused qkv is
// used as three views, without a copy). Matrices stay in the file's dtype
// (F32, F16 or BF16) and are widened inside the GEMM; norms, biases and the
// position table are copied to float32. Every shape is checked against cfg;
// the first problem is returned, naming the file and tensor.
func Load(set *weights.Set, cfg Config, prefix string) (*Tower, error) {
	l := &loader{set: set}
	orig := false
	if _, ok := set.Tensor(prefix + "vision_model.vision_tower.patch_embed.proj.weight"); ok {
		orig = true
	}
	n := newNames(prefix, orig)
	D, P := cfg.Hidden, cfg.PatchSize
	if _, ok := set.Tensor(n.patchW); !ok {
		return nil, fmt.Errorf("%w: no tensor %q", ErrNoTower, n.patchW)
	}
	t := &Tower{cfg: cfg}
	t.patch.w = l.mat(n.patchW, D, cfg.Channels*P*P, []int{D, cfg.Channels, P, P})
	t.patch.b = l.vec(n.patchB, D)
	t.pos = l.positions(n.pos, cfg)
	t.layers = make([]layer, cfg.Layers)
	F := cfg.MLPHidden
	for j := range t.layers {
		ly := &t.layers[j]
		ly.ln1W, ly.ln1B = l.vec(n.layer(j, "ln1.w"), D), l.vec(n.layer(j, "ln1.b"), D)
		ly.ln2W, ly.ln2B = l.vec(n.layer(j, "ln2.w"), D), l.vec(n.layer(j, "ln2.b"), D)
		if orig {
			qkv := l.mat(n.layer(j, "qkv.w"), 3*D, D, nil)
			var bias []float32
			if cfg.QKVBias {
				bias = l.vec(n.layer(j, "qkv.b"), 3*D)
			}
			for i, dst := range []*linear{&ly.q, &ly.k, &ly.v} {
				dst.w = rowsOf(qkv, i*D, D)
				if bias != nil {
					dst.b = bias[i*D : (i+1)*D]
				}
			}
		} else {
			for _, part := range []struct {
				dst  *linear
				name string
			}{{&ly.q, "q"}, {&ly.k, "k"}, {&ly.v, "v"}} {
				part.dst.w = l.mat(n.layer(j, part.name+".w"), D, D, nil)
				if cfg.QKVBias {
					part.dst.b = l.vec(n.layer(j, part.name+".b"), D)
				}
			}
		}
		ly.o = l.linear(n.layer(j, "o.w"), n.layer(j, "o.b"), D, D)
		ly.fc1 = l.linear(n.layer(j, "fc1.w"), n.layer(j, "fc1.b"), F, D)
		ly.fc2 = l.linear(n.layer(j, "fc2.w"), n.layer(j, "fc2.b"), D, F)
	}
	t.postW, t.postB = l.vec(n.postW, D), l.vec(n.postB, D)
	t.aligner = make([]linear, cfg.AlignDepth)
	in := D
	for i := range t.aligner {
		t.aligner[i] = l.linear(n.aligner(i, "weight"), n.aligner(i, "bias"), cfg.LMDim, in)
		in = cfg.LMDim
	}
	if l.err != nil {
		return nil, l.err
	}
	return t, nil
}

// rowsOf is rows [r0, r0+rows) of m as a matrix sharing its storage.
func rowsOf(m *ops.Mat, r0, rows int) *ops.Mat {
	if m == nil {
		return nil
	}
	out := &ops.Mat{DType: m.DType, Rows: rows, Cols: m.Cols}
	if m.DType == ops.F32 {
		out.F32 = m.F32[r0*m.Cols : (r0+rows)*m.Cols]
	} else {
		out.U16 = m.U16[r0*m.Cols : (r0+rows)*m.Cols]
	}
	return out
}

// names gives the tensor names of one layout.
type names struct {
	patchW, patchB, pos, postW, postB string
	layer                             func(j int, part string) string
	aligner                           func(i int, what string) string
}

func newNames(prefix string, orig bool) names {
	if orig {
		v := prefix + "vision_model.vision_tower."
		parts := map[string]string{
			"ln1.w": "norm1.weight", "ln1.b": "norm1.bias", "ln2.w": "norm2.weight", "ln2.b": "norm2.bias",
			"qkv.w": "attn.qkv.weight", "qkv.b": "attn.qkv.bias", "o.w": "attn.proj.weight", "o.b": "attn.proj.bias",
			"fc1.w": "mlp.fc1.weight", "fc1.b": "mlp.fc1.bias", "fc2.w": "mlp.fc2.weight", "fc2.b": "mlp.fc2.bias",
		}
		return names{
			patchW: v + "patch_embed.proj.weight", patchB: v + "patch_embed.proj.bias", pos: v + "pos_embed",
			postW: v + "norm.weight", postB: v + "norm.bias",
			layer: func(j int, part string) string { return fmt.Sprintf("%sblocks.%d.%s", v, j, parts[part]) },
			// nn.Sequential(Linear, GELU, Linear, ...): Linear k is index 2k.
			aligner: func(i int, what string) string { return fmt.Sprintf("%saligner.layers.%d.%s", prefix, 2*i, what) },
		}
	}
	v := prefix + "vision_model."
	parts := map[string]string{
		"ln1.w": "layer_norm1.weight", "ln1.b": "layer_norm1.bias", "ln2.w": "layer_norm2.weight", "ln2.b": "layer_norm2.bias",
		"q.w": "self_attn.q_proj.weight", "q.b": "self_attn.q_proj.bias", "k.w": "self_attn.k_proj.weight", "k.b": "self_attn.k_proj.bias",
		"v.w": "self_attn.v_proj.weight", "v.b": "self_attn.v_proj.bias",
		"o.w": "self_attn.projection_layer.weight", "o.b": "self_attn.projection_layer.bias",
		"fc1.w": "mlp.fc1.weight", "fc1.b": "mlp.fc1.bias", "fc2.w": "mlp.fc2.weight", "fc2.b": "mlp.fc2.bias",
	}
	return names{
		patchW: v + "embeddings.patch_embedding.weight", patchB: v + "embeddings.patch_embedding.bias",
		pos: v + "embeddings.position_embedding.weight", postW: v + "post_layernorm.weight", postB: v + "post_layernorm.bias",
		layer: func(j int, part string) string { return fmt.Sprintf("%sencoder.layers.%d.%s", v, j, parts[part]) },
		aligner: func(i int, what string) string {
			if i == 0 {
				return prefix + "aligner.fc1." + what
			}
			return fmt.Sprintf("%saligner.hidden_layers.%d.%s", prefix, i-1, what)
		},
	}
}

// loader looks tensors up and checks them; the first problem is kept.
type loader struct {
	set *weights.Set
	err error
}

func (l *loader) fail(t *weights.Tensor, format string, args ...any) {
	if l.err == nil {
		msg := fmt.Sprintf(format, args...)
		if t != nil && t.File != "" {
			msg = t.File + ": " + msg
		}
		l.err = errors.New(msg)
	}
}

func (l *loader) lookup(name string) *weights.Tensor {
	if l.err != nil {
		return nil
	}
	t, ok := l.set.Tensor(name)
	if !ok {
		files := l.set.Files()
		where := "the checkpoint"
		if len(files) == 1 {
			where = files[0]
		}
		l.err = fmt.Errorf("%s: missing tensor %q of the understanding tower", where, name)
		return nil
	}
	return t
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// mat loads a rows×cols matrix, zero-copy; shape, if given, is the exact
// stored shape (a conv weight), else [rows, cols].
func (l *loader) mat(name string, rows, cols int, shape []int) *ops.Mat {
	t := l.lookup(name)
	if t == nil {
		return nil
	}
	if shape == nil {
		shape = []int{rows, cols}
	}
	if !equalShape(t.Shape, shape) {
		l.fail(t, "tensor %q has shape %s, want %s", name, shapeString(t.Shape), shapeString(shape))
		return nil
	}
	m := &ops.Mat{Rows: rows, Cols: cols}
	switch t.DType {
	case weights.F32:
		m.DType, m.F32 = ops.F32, t.F32()
	case weights.F16:
		m.DType, m.U16 = ops.F16, t.U16()
	case weights.BF16:
		m.DType, m.U16 = ops.BF16, t.U16()
	default:
		l.fail(t, "tensor %q has dtype %v; the understanding tower reads F32, F16 or BF16", name, t.DType)
		return nil
	}
	return m
}

// vec loads a [n] tensor as float32.
func (l *loader) vec(name string, n int) []float32 {
	t := l.lookup(name)
	if t == nil {
		return nil
	}
	if !equalShape(t.Shape, []int{n}) {
		l.fail(t, "tensor %q has shape %s, want [%d]", name, shapeString(t.Shape), n)
		return nil
	}
	return l.floats(t)
}

func (l *loader) floats(t *weights.Tensor) []float32 {
	v, err := t.Float32s()
	if err != nil {
		l.fail(nil, "%v", err)
		return nil
	}
	return v
}

func (l *loader) linear(wName, bName string, rows, cols int) linear {
	return linear{w: l.mat(wName, rows, cols, nil), b: l.vec(bName, rows)}
}

// positions loads the position table, [N, Hv] (HF) or [1, N, Hv]
// (original), and checks its row count against the patch grid.
func (l *loader) positions(name string, cfg Config) []float32 {
	t := l.lookup(name)
	if t == nil {
		return nil
	}
	s := t.Shape
	if len(s) == 3 && s[0] == 1 {
		s = s[1:]
	}
	if len(s) != 2 || s[1] != cfg.Hidden {
		l.fail(t, "tensor %q has shape %s, want [%d, %d]", name, shapeString(t.Shape), cfg.NumTokens, cfg.Hidden)
		return nil
	}
	if s[0] != cfg.NumTokens {
		l.fail(t, "tensor %q has %d positions, but image_size %d / patch_size %d gives %d×%d = %d patches",
			name, s[0], cfg.ImageSize, cfg.PatchSize, cfg.Grid(), cfg.Grid(), cfg.NumTokens)
		return nil
	}
	return l.floats(t)
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
