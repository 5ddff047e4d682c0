package model

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// embeddedDir is the tiny model built into the binary, as a directory.
const embeddedDir = "embedded/chatumm-tiny"

// promptLogits runs a fixed text prompt (with image codes, so the MoT
// image expert runs too) and returns every position's logits.
func promptLogits(t *testing.T, m *Model) []float32 {
	t.Helper()
	ids := m.Tok.Encode("a red square on a blue background, drawn small", true)
	for id, c := range m.CodeOfID {
		if c >= 0 && len(ids) < 24 && id%7 == 0 {
			ids = append(ids, id)
		}
	}
	V := m.Cfg.VocabSize
	out := make([]float32, len(ids)*V)
	if err := m.T.Prefill(m.NewState(), ids, out, true); err != nil {
		t.Fatal(err)
	}
	return out
}

// logitStats: ‖got−want‖/‖want‖ over all positions, and the share of
// positions whose argmax agrees.
func logitStats(got, want []float32, V int) (relRMS, top1 float64) {
	var num, den float64
	agree := 0
	for p := 0; p < len(want)/V; p++ {
		g, w := got[p*V:(p+1)*V], want[p*V:(p+1)*V]
		ga, wa := 0, 0
		for i := range w {
			d := float64(g[i]) - float64(w[i])
			num += d * d
			den += float64(w[i]) * float64(w[i])
			if g[i] > g[ga] {
				ga = i
			}
			if w[i] > w[wa] {
				wa = i
			}
		}
		if ga == wa {
			agree++
		}
	}
	return math.Sqrt(num / den), float64(agree) / float64(len(want)/V)
}

// The embedded model quantized to each type loads through the normal
// family path, has its matrices in block types and its VQ-GAN and norms
// untouched, and gives logits close to the f16 model's. The bounds are
// about 1.5× the relative rms errors measured on this prompt with run s36
// (Q8_0 0.0094, 0.0095 with the packed-tile prefill; Q6_K 0.0166, Q5_K 0.0252, Q4_K 0.0424, Q4_0 0.0655; s30's
// were 0.0066 to 0.0396, its logits quantize better; they include the
// 8-bit quantization of the activations in every dot product, and the K
// types here are mostly their 32-block fallbacks, the model's width being
// 192).
func TestQuantizeEmbeddedLoadsAndMatches(t *testing.T) {
	pool := runtime.NewPool(2)
	defer pool.Close()
	ref, err := Load(embeddedDir, Options{Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	want := promptLogits(t, ref)
	bounds := map[asm.QType]float64{asm.Q8_0: 0.014, asm.Q6_K: 0.025, asm.Q5_K: 0.038, asm.Q4_K: 0.064, asm.Q4_0: 0.098}
	dir := t.TempDir()
	for _, q := range []asm.QType{asm.Q8_0, asm.Q6_K, asm.Q5_K, asm.Q4_K, asm.Q4_0} {
		out := filepath.Join(dir, strings.ToLower(q.String())+".gguf")
		var calls int
		var last [2]int64
		st, err := Quantize(embeddedDir, out, q, pool, func(done, total int64) { calls++; last = [2]int64{done, total} })
		if err != nil {
			t.Fatal(err)
		}
		if calls != st.Tensors || last[0] != last[1] || last[1] != st.InBytes {
			t.Errorf("%v: progress %d calls ending %v, want %d ending at %d", q, calls, last, st.Tensors, st.InBytes)
		}
		fi, err := os.Stat(out)
		if err != nil || fi.Size() <= st.OutBytes || fi.Size() >= st.InBytes {
			t.Errorf("%v: file of %v bytes for %d tensor bytes out, %d in (%v)", q, fi.Size(), st.OutBytes, st.InBytes, err)
		}
		m, err := Load(out, Options{Pool: pool})
		if err != nil {
			t.Fatalf("%v: %v", q, err)
		}
		if m.QuantizedType() != strings.ToLower(q.String()) || m.Family().Name() != ref.Family().Name() || m.VQ == nil {
			t.Errorf("%v: loaded as %q, family %s, VQ %v", q, m.QuantizedType(), m.Family().Name(), m.VQ != nil)
		}
		checkTensorTypes(t, q, m.Weights, ref.Weights)
		rel, top1 := logitStats(promptLogits(t, m), want, ref.Cfg.VocabSize)
		t.Logf("%v: %d→%d tensor bytes, logits relative rms error %.4f, top-1 agreement %.2f", q, st.InBytes, st.OutBytes, rel, top1)
		if rel > bounds[q] {
			t.Errorf("%v: logits relative rms error %.4f above %.4f", q, rel, bounds[q])
		}
		if q == asm.Q8_0 && top1 < 0.9 {
			t.Errorf("%v: top-1 agreement %.2f", q, top1)
		}
		m.Close()
	}
}

// checkTensorTypes: every tensor keeps its name and shape; the
// transformer's matrices are block-quantized (the output projection in
// Q6_K or Q8_0), everything else keeps its dtype and bytes.
func checkTensorTypes(t *testing.T, q asm.QType, got, src *weights.Set) {
	t.Helper()
	if len(got.Names()) != len(src.Names()) {
		t.Fatalf("%v: %d tensors, source has %d", q, len(got.Names()), len(src.Names()))
	}
	quantized := 0
	for _, name := range src.Names() {
		s, _ := src.Tensor(name)
		g, ok := got.Tensor(name)
		if !ok || !slicesEqual(g.Shape, s.Shape) {
			t.Fatalf("%v: tensor %q missing or reshaped", q, name)
		}
		matrix := lmMatrix.MatchString(name) || isEmbedding(name) || isOutput(name)
		switch {
		case matrix && !g.DType.Quantized():
			t.Errorf("%v: %q stayed %v", q, name, g.DType)
		case !matrix && (g.DType != s.DType || string(g.Bytes()) != string(s.Bytes())):
			t.Errorf("%v: %q changed (%v → %v)", q, name, s.DType, g.DType)
		case isOutput(name) && g.DType != weights.Q6_K && g.DType != weights.Q8_0:
			t.Errorf("%v: output projection is %v", q, g.DType)
		}
		if g.DType.Quantized() {
			quantized++
		}
	}
	if quantized < 5*10 { // 5 layers × 2 experts × 7 matrices, embedding, head
		t.Errorf("%v: only %d tensors quantized", q, quantized)
	}
}

func slicesEqual(a, b []int) bool {
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

// A destination that cannot be written fails before any encoding, with one
// line naming it, and leaves no file; so does a source that is not a model
// directory, and a type quantize does not offer.
func TestQuantizeRefusals(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o555)
	cases := []struct {
		src, dst string
		q        asm.QType
		want     string
	}{
		{embeddedDir, filepath.Join(notDir, "out.gguf"), asm.Q8_0, "out.gguf"},
		{embeddedDir, filepath.Join(dir, "missing", "out.gguf"), asm.Q8_0, "missing"},
		{embeddedDir, filepath.Join(dir, "out.gguf"), asm.Q4_1, "unsupported type Q4_1"},
		{filepath.Join(embeddedDir, "model.safetensors"), filepath.Join(dir, "out.gguf"), asm.Q8_0, "not a model directory"},
		{filepath.Join(dir, "nothing"), filepath.Join(dir, "out.gguf"), asm.Q8_0, "nothing"},
	}
	if os.Geteuid() != 0 { // root writes into a 0555 directory
		cases = append(cases, struct {
			src, dst string
			q        asm.QType
			want     string
		}{embeddedDir, filepath.Join(ro, "out.gguf"), asm.Q8_0, "ro"})
	}
	for _, c := range cases {
		_, err := Quantize(c.src, c.dst, c.q, nil, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Quantize(%s, %s, %v): err = %v, want one line with %q", c.src, c.dst, c.q, err, c.want)
		}
	}
	for _, d := range []string{dir, ro} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.Name() != "file" && e.Name() != "ro" {
				t.Errorf("left behind: %s", filepath.Join(d, e.Name()))
			}
		}
	}
}

// Cancelling stops the run with the context's error and writes nothing,
// before the first tensor or in the middle of the file.
func TestQuantizeCancelled(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.gguf")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := QuantizeContext(ctx, embeddedDir, out, asm.Q4_K, nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: err = %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	calls := 0
	_, err := QuantizeContext(ctx, embeddedDir, out, asm.Q4_K, nil, func(done, total int64) {
		if calls++; calls == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || calls != 3 {
		t.Errorf("cancelled after 3 tensors: err = %v after %d tensors", err, calls)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// Janus's preprocessor_config.json travels in the file and SideFile reads
// it from either form of the checkpoint; a checkpoint without one says
// fs.ErrNotExist.
func TestQuantizeCarriesSideFiles(t *testing.T) {
	src := filepath.Join("..", "testdata", "ref", "janus-b")
	want, err := os.ReadFile(filepath.Join(src, "preprocessor_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "janus.gguf")
	if _, err := Quantize(src, out, asm.Q8_0, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{src, out} {
		set, err := weights.Open(path, weights.Mmap)
		if err != nil {
			t.Fatal(err)
		}
		m := &Model{Path: path, Weights: set}
		got, label, err := m.SideFile("preprocessor_config.json")
		if err != nil || string(got) != string(want) || !strings.HasPrefix(label, path) {
			t.Errorf("%s: SideFile = %d bytes from %q, %v; want the %d bytes of the directory's", path, len(got), label, err, len(want))
		}
		set.Close()
	}
	set, err := weights.Open(embeddedDir, weights.Mmap)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	m := &Model{Path: embeddedDir, Weights: set}
	if _, _, err := m.SideFile("preprocessor_config.json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("embedded: err = %v, want not-exist", err)
	}
}

// A GGUF that is not a chatumm GGUF still goes to the llama.cpp loader,
// and a chatumm GGUF without its config is a one-line error.
func TestChatummGGUFDetection(t *testing.T) {
	dir := t.TempDir()
	noCfg := filepath.Join(dir, "nocfg.gguf")
	fill := func(b []byte) error { return nil }
	if err := weights.WriteGGUF(noCfg, []weights.GGUFKV{{Key: "general.architecture", Value: chatummArch}},
		[]weights.GGUFTensor{{Name: "x", DType: weights.F32, Shape: []int{2}, Fill: fill}}); err != nil {
		t.Fatal(err)
	}
	if !isChatummGGUF(noCfg) {
		t.Fatal("not recognised as a chatumm GGUF")
	}
	_, err := Load(noCfg, Options{})
	if err == nil || !strings.Contains(err.Error(), metaConfigJSON) || !strings.Contains(err.Error(), noCfg) {
		t.Errorf("err = %v", err)
	}
	llama := filepath.Join(dir, "llama.gguf")
	if err := weights.WriteGGUF(llama, []weights.GGUFKV{{Key: "general.architecture", Value: "llama"}},
		[]weights.GGUFTensor{{Name: "x", DType: weights.F32, Shape: []int{2}, Fill: fill}}); err != nil {
		t.Fatal(err)
	}
	if isChatummGGUF(llama) {
		t.Error("a llama GGUF taken for a chatumm one")
	}
	if _, err := Load(llama, Options{}); err == nil || strings.Contains(err.Error(), metaConfigJSON) {
		t.Errorf("llama GGUF: err = %v, want the llama loader's error", err)
	}
}
