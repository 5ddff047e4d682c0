package siglip

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// A tiny random tower (HF names) checked against a float64 forward written
// from the definition with plain loops, in both weight layouts and at
// several thread counts.

const tinyVision = `{"hidden_size": 24, "num_hidden_layers": 2, "num_attention_heads": 3,
 "patch_size": 4, "image_size": 16, "mlp_ratio": 2.5, "layer_norm_eps": 1e-5,
 "projection_dim": 20, "depth": 3, "num_image_tokens": 16, "hidden_act": "gelu"}`

// tensorSet is named float64 tensors (the exact values written) with
// shapes; half marks those stored as BF16 (their values are bf16-exact).
type tensorSet struct {
	vals   map[string][]float64
	shapes map[string][]int
	half   map[string]bool
	order  []string
}

func newTensorSet() *tensorSet {
	return &tensorSet{vals: map[string][]float64{}, shapes: map[string][]int{}, half: map[string]bool{}}
}

func (ts *tensorSet) put(name string, v []float64, half bool, shape ...int) {
	ts.vals[name], ts.shapes[name], ts.half[name] = v, shape, half
	ts.order = append(ts.order, name)
}

func (ts *tensorSet) add(rng *rand.Rand, name string, scale float64, bf16 bool, shape ...int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		f := float32((rng.Float64()*2 - 1) * scale)
		if bf16 {
			f = math.Float32frombits(math.Float32bits(f) &^ 0xffff)
		}
		v[i] = float64(f)
	}
	ts.put(name, v, bf16, shape...)
}

// randomTower makes the HF-layout tensors of cfg: matrices bf16-exact when
// bf16, vectors always float32.
func randomTower(rng *rand.Rand, cfg Config, bf16 bool) *tensorSet {
	ts := newTensorSet()
	D, F, P := cfg.Hidden, cfg.MLPHidden, cfg.PatchSize
	v := "model.vision_model."
	ts.add(rng, v+"embeddings.patch_embedding.weight", 1/math.Sqrt(float64(3*P*P)), bf16, D, 3, P, P)
	ts.add(rng, v+"embeddings.patch_embedding.bias", 0.1, false, D)
	ts.add(rng, v+"embeddings.position_embedding.weight", 0.5, false, cfg.NumTokens, D)
	for j := 0; j < cfg.Layers; j++ {
		l := fmt.Sprintf("%sencoder.layers.%d.", v, j)
		for _, ln := range []string{"layer_norm1", "layer_norm2"} {
			ts.add(rng, l+ln+".weight", 1, false, D)
			ts.vals[l+ln+".weight"] = addOne(ts.vals[l+ln+".weight"])
			ts.add(rng, l+ln+".bias", 0.2, false, D)
		}
		for _, m := range []string{"q_proj", "k_proj", "v_proj", "projection_layer"} {
			ts.add(rng, l+"self_attn."+m+".weight", 1/math.Sqrt(float64(D)), bf16, D, D)
			ts.add(rng, l+"self_attn."+m+".bias", 0.1, false, D)
		}
		ts.add(rng, l+"mlp.fc1.weight", 2/math.Sqrt(float64(D)), bf16, F, D)
		ts.add(rng, l+"mlp.fc1.bias", 0.3, false, F)
		ts.add(rng, l+"mlp.fc2.weight", 1/math.Sqrt(float64(F)), bf16, D, F)
		ts.add(rng, l+"mlp.fc2.bias", 0.1, false, D)
	}
	ts.add(rng, v+"post_layernorm.weight", 1, false, D)
	ts.add(rng, v+"post_layernorm.bias", 0.2, false, D)
	in := D
	for i := 0; i < cfg.AlignDepth; i++ {
		name := "model.aligner.fc1."
		if i > 0 {
			name = fmt.Sprintf("model.aligner.hidden_layers.%d.", i-1)
		}
		ts.add(rng, name+"weight", 2/math.Sqrt(float64(in)), bf16, cfg.LMDim, in)
		ts.add(rng, name+"bias", 0.2, false, cfg.LMDim)
		in = cfg.LMDim
	}
	return ts
}

func addOne(v []float64) []float64 {
	for i := range v {
		v[i] = float64(float32(v[i] + 1))
	}
	return v
}

// write stores ts as safetensors (names changed by rename, if not nil) and
// opens it.
func (ts *tensorSet) write(t testing.TB, rename func(string) string) *weights.Set {
	var out []weights.WriteTensor
	for _, name := range ts.order {
		v, shape := ts.vals[name], ts.shapes[name]
		dt, size := weights.F32, 4
		if ts.half[name] {
			dt, size = weights.BF16, 2
		}
		data := make([]byte, size*len(v))
		for i, f := range v {
			bits := math.Float32bits(float32(f))
			if size == 2 {
				binary.LittleEndian.PutUint16(data[2*i:], uint16(bits>>16))
			} else {
				binary.LittleEndian.PutUint32(data[4*i:], bits)
			}
		}
		n := name
		if rename != nil {
			n = rename(name)
		}
		out = append(out, weights.WriteTensor{Name: n, DType: dt, Shape: shape, Data: data})
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := weights.WriteSafetensors(path, out, nil); err != nil {
		t.Fatal(err)
	}
	set, err := weights.Open(path, weights.Mmap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	return set
}

// reference is the float64 forward: hidden after post_layernorm [N, D] and
// the aligner output [N, LMDim].
func reference(cfg Config, ts *tensorSet, pixels []float32) (hidden, feats []float64) {
	g := func(name string) []float64 { return ts.vals[name] }
	D, F, P, S, N := cfg.Hidden, cfg.MLPHidden, cfg.PatchSize, cfg.ImageSize, cfg.NumTokens
	grid := S / P
	v := "model.vision_model."
	x := make([]float64, N*D)
	pw, pb, pos := g(v+"embeddings.patch_embedding.weight"), g(v+"embeddings.patch_embedding.bias"), g(v+"embeddings.position_embedding.weight")
	for py := 0; py < grid; py++ {
		for px := 0; px < grid; px++ {
			tk := py*grid + px
			for o := 0; o < D; o++ {
				s := pb[o]
				for c := 0; c < 3; c++ {
					for dy := 0; dy < P; dy++ {
						for dx := 0; dx < P; dx++ {
							s += pw[((o*3+c)*P+dy)*P+dx] * float64(pixels[(c*S+py*P+dy)*S+px*P+dx])
						}
					}
				}
				x[tk*D+o] = s + pos[tk*D+o]
			}
		}
	}
	layerNorm := func(in []float64, w, b []float64, d int) []float64 {
		out := make([]float64, len(in))
		for r := 0; r < len(in)/d; r++ {
			row := in[r*d : (r+1)*d]
			var m, vr float64
			for _, a := range row {
				m += a
			}
			m /= float64(d)
			for _, a := range row {
				vr += (a - m) * (a - m)
			}
			inv := 1 / math.Sqrt(vr/float64(d)+float64(cfg.Eps))
			for c := range row {
				out[r*d+c] = (row[c]-m)*inv*w[c] + b[c]
			}
		}
		return out
	}
	lin := func(in []float64, w, b []float64, rows, cols int) []float64 {
		n := len(in) / cols
		out := make([]float64, n*rows)
		for i := 0; i < n; i++ {
			for o := 0; o < rows; o++ {
				s := b[o]
				for c := 0; c < cols; c++ {
					s += w[o*cols+c] * in[i*cols+c]
				}
				out[i*rows+o] = s
			}
		}
		return out
	}
	gelu := func(a []float64) {
		for i, z := range a {
			a[i] = 0.5 * z * (1 + math.Erf(z/math.Sqrt2))
		}
	}
	H := cfg.Heads
	hd := D / H
	for j := 0; j < cfg.Layers; j++ {
		l := fmt.Sprintf("%sencoder.layers.%d.", v, j)
		h := layerNorm(x, g(l+"layer_norm1.weight"), g(l+"layer_norm1.bias"), D)
		q := lin(h, g(l+"self_attn.q_proj.weight"), g(l+"self_attn.q_proj.bias"), D, D)
		k := lin(h, g(l+"self_attn.k_proj.weight"), g(l+"self_attn.k_proj.bias"), D, D)
		vv := lin(h, g(l+"self_attn.v_proj.weight"), g(l+"self_attn.v_proj.bias"), D, D)
		att := make([]float64, N*D)
		for hh := 0; hh < H; hh++ {
			for i := 0; i < N; i++ {
				s := make([]float64, N)
				m := math.Inf(-1)
				for jj := 0; jj < N; jj++ {
					for c := 0; c < hd; c++ {
						s[jj] += q[i*D+hh*hd+c] * k[jj*D+hh*hd+c]
					}
					s[jj] /= math.Sqrt(float64(hd))
					m = max(m, s[jj])
				}
				var z float64
				for jj := range s {
					s[jj] = math.Exp(s[jj] - m)
					z += s[jj]
				}
				for c := 0; c < hd; c++ {
					var o float64
					for jj := 0; jj < N; jj++ {
						o += s[jj] / z * vv[jj*D+hh*hd+c]
					}
					att[i*D+hh*hd+c] = o
				}
			}
		}
		o := lin(att, g(l+"self_attn.projection_layer.weight"), g(l+"self_attn.projection_layer.bias"), D, D)
		for i := range x {
			x[i] += o[i]
		}
		h = layerNorm(x, g(l+"layer_norm2.weight"), g(l+"layer_norm2.bias"), D)
		m := lin(h, g(l+"mlp.fc1.weight"), g(l+"mlp.fc1.bias"), F, D)
		gelu(m)
		o = lin(m, g(l+"mlp.fc2.weight"), g(l+"mlp.fc2.bias"), D, F)
		for i := range x {
			x[i] += o[i]
		}
	}
	hidden = layerNorm(x, g(v+"post_layernorm.weight"), g(v+"post_layernorm.bias"), D)
	feats = lin(hidden, g("model.aligner.fc1.weight"), g("model.aligner.fc1.bias"), cfg.LMDim, D)
	for i := 1; i < cfg.AlignDepth; i++ {
		gelu(feats)
		a := fmt.Sprintf("model.aligner.hidden_layers.%d.", i-1)
		feats = lin(feats, g(a+"weight"), g(a+"bias"), cfg.LMDim, cfg.LMDim)
	}
	return hidden, feats
}

// closeTo checks got against want within tol·max|want|.
func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var scale, worst float64
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		if d > tol*scale || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: [%d] = %g, want %g (diff %g > %g·%g)", what, i, got[i], want[i], d, tol, scale)
		}
		worst = max(worst, d)
	}
	t.Logf("%s: max|diff| %.3g, max|want| %.3g", what, worst, scale)
}

func tinyConfig(t testing.TB) Config {
	cfg, err := ParseConfig(json.RawMessage(tinyVision))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func randomPixels(rng *rand.Rand, n int) []float32 {
	px := make([]float32, n)
	for i := range px {
		px[i] = float32(rng.Float64()*2 - 1)
	}
	return px
}

func TestTowerAgainstFloat64(t *testing.T) {
	cfg := tinyConfig(t)
	if cfg.MLPHidden != 60 || cfg.NumTokens != 16 || cfg.AlignDepth != 3 {
		t.Fatalf("config: MLP %d, tokens %d, depth %d", cfg.MLPHidden, cfg.NumTokens, cfg.AlignDepth)
	}
	for _, bf16 := range []bool{false, true} {
		t.Run(fmt.Sprintf("bf16=%v", bf16), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			ts := randomTower(rng, cfg, bf16)
			tower, err := Load(ts.write(t, nil), cfg, "model.")
			if err != nil {
				t.Fatal(err)
			}
			pixels := randomPixels(rng, 3*cfg.ImageSize*cfg.ImageSize)
			wantHidden, wantFeats := reference(cfg, ts, pixels)
			var first []float32
			for _, threads := range []int{1, 2, 3} {
				pool := runtime.NewPool(threads)
				hidden := tower.encode(pool, pixels)
				feats := tower.Features(pool, pixels)
				pool.Close()
				closeTo(t, "hidden", hidden, wantHidden, 2e-6)
				closeTo(t, "features", feats, wantFeats, 2e-6)
				if first == nil {
					first = feats
				} else if !slices.Equal(first, feats) {
					t.Fatalf("threads=%d: features differ from threads=1", threads)
				}
			}
		})
	}
}

// TestOriginalLayout: the deepseek-ai names (fused qkv, pos_embed [1, N,
// D], aligner.layers.{0,2,4}) give bit-identical features.
func TestOriginalLayout(t *testing.T) {
	cfg := tinyConfig(t)
	rng := rand.New(rand.NewPCG(3, 4))
	ts := randomTower(rng, cfg, true)
	hf, err := Load(ts.write(t, nil), cfg, "model.")
	if err != nil {
		t.Fatal(err)
	}
	orig := toOriginal(ts, cfg)
	tower, err := Load(orig.write(t, nil), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	pixels := randomPixels(rng, 3*cfg.ImageSize*cfg.ImageSize)
	if a, b := hf.Features(nil, pixels), tower.Features(nil, pixels); !slices.Equal(a, b) {
		t.Fatal("original-layout tower gives different features")
	}
}

// toOriginal renames (and fuses) an HF-layout tensor set into the original
// deepseek-ai layout.
func toOriginal(ts *tensorSet, cfg Config) *tensorSet {
	o := newTensorSet()
	put := func(name string, v []float64, shape ...int) {
		o.put(name, v, len(shape) > 1 && shape[0] != 1, shape...)
	}
	D, N := cfg.Hidden, cfg.NumTokens
	hv, vt := "model.vision_model.", "vision_model.vision_tower."
	put(vt+"patch_embed.proj.weight", ts.vals[hv+"embeddings.patch_embedding.weight"], ts.shapes[hv+"embeddings.patch_embedding.weight"]...)
	put(vt+"patch_embed.proj.bias", ts.vals[hv+"embeddings.patch_embedding.bias"], D)
	put(vt+"pos_embed", ts.vals[hv+"embeddings.position_embedding.weight"], 1, N, D)
	for j := 0; j < cfg.Layers; j++ {
		l := fmt.Sprintf("%sencoder.layers.%d.", hv, j)
		b := fmt.Sprintf("%sblocks.%d.", vt, j)
		for _, p := range [][2]string{{"layer_norm1", "norm1"}, {"layer_norm2", "norm2"}, {"self_attn.projection_layer", "attn.proj"}, {"mlp.fc1", "mlp.fc1"}, {"mlp.fc2", "mlp.fc2"}} {
			put(b+p[1]+".weight", ts.vals[l+p[0]+".weight"], ts.shapes[l+p[0]+".weight"]...)
			put(b+p[1]+".bias", ts.vals[l+p[0]+".bias"], ts.shapes[l+p[0]+".bias"]...)
		}
		var qkvW, qkvB []float64
		for _, m := range []string{"q_proj", "k_proj", "v_proj"} {
			qkvW = append(qkvW, ts.vals[l+"self_attn."+m+".weight"]...)
			qkvB = append(qkvB, ts.vals[l+"self_attn."+m+".bias"]...)
		}
		put(b+"attn.qkv.weight", qkvW, 3*D, D)
		put(b+"attn.qkv.bias", qkvB, 3*D)
	}
	put(vt+"norm.weight", ts.vals[hv+"post_layernorm.weight"], D)
	put(vt+"norm.bias", ts.vals[hv+"post_layernorm.bias"], D)
	for i := 0; i < cfg.AlignDepth; i++ {
		name := "model.aligner.fc1."
		if i > 0 {
			name = fmt.Sprintf("model.aligner.hidden_layers.%d.", i-1)
		}
		put(fmt.Sprintf("aligner.layers.%d.weight", 2*i), ts.vals[name+"weight"], ts.shapes[name+"weight"]...)
		put(fmt.Sprintf("aligner.layers.%d.bias", 2*i), ts.vals[name+"bias"], ts.shapes[name+"bias"]...)
	}
	return o
}

// TestFeaturesConcurrent: goroutines sharing one Tower and one pool each
// get what a lone call gives (nothing mutable lives in the Tower).
func TestFeaturesConcurrent(t *testing.T) {
	cfg := tinyConfig(t)
	rng := rand.New(rand.NewPCG(5, 5))
	tower, err := Load(randomTower(rng, cfg, true).write(t, nil), cfg, "model.")
	if err != nil {
		t.Fatal(err)
	}
	pool := runtime.NewPool(2)
	defer pool.Close()
	inputs := make([][]float32, 4)
	want := make([][]float32, len(inputs))
	for i := range inputs {
		inputs[i] = randomPixels(rng, 3*cfg.ImageSize*cfg.ImageSize)
		want[i] = tower.Features(pool, inputs[i])
	}
	got := make([][]float32, len(inputs))
	done := make(chan int)
	for i := range inputs {
		go func() {
			got[i] = tower.Features(pool, inputs[i])
			done <- i
		}()
	}
	for range inputs {
		<-done
	}
	for i := range inputs {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("concurrent call %d differs from a lone one", i)
		}
	}
}
