package cli

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// relRMS is ‖got−want‖/‖want‖.
func relRMS(got, want []float32) float64 {
	var num, den float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		num += d * d
		den += float64(want[i]) * float64(want[i])
	}
	return math.Sqrt(num / den)
}

// Every family's fixture quantizes to q8_0 and the file runs as --model
// with logits close to the directory's. The bound is 1.5× the largest
// relative rms error measured on these random-weight fixtures (0.021; the
// embedded model, trained, measures 0.0066 — see model's quantize test).
func TestQuantizeEveryFamily(t *testing.T) {
	dir := t.TempDir()
	for _, fixture := range []string{"chameleon-bf16", "chameleon-mot", "chameleon-swin", "llama", "lumina-qknorm", "janus-a", "janus-b"} {
		out := filepath.Join(dir, fixture+".gguf")
		args := []string{"quantize", refDir(t, fixture), "-o", out, "--type", "q8_0"}
		r := chatumm(t, args...)
		wantSuccess(t, r, args...)
		if !strings.HasPrefix(r.stdout, "wrote "+out+": ") || !strings.Contains(r.stdout, "Q8_0") || !strings.Contains(r.stdout, "→") {
			t.Errorf("%s: summary %q", fixture, r.stdout)
		}
		logits := func(model, file string) []float32 {
			args := []string{"logits", "--model", model, "--ids", "1,5,9,12,3", "--out", file}
			wantSuccess(t, chatumm(t, args...), args...)
			return readF32(t, file)
		}
		want := logits(refDir(t, fixture), filepath.Join(dir, fixture+".f16"))
		got := logits(out, filepath.Join(dir, fixture+".q8"))
		if len(got) != len(want) {
			t.Fatalf("%s: %d logits, want %d", fixture, len(got), len(want))
		}
		if e := relRMS(got, want); e > 0.031 {
			t.Errorf("%s: q8_0 logits relative rms error %.4f", fixture, e)
		}
	}
}

// Bad input is one line naming the problem, and leaves no file behind.
func TestQuantizeBadInput(t *testing.T) {
	dir := t.TempDir()
	src := repoPath(t, "model", "embedded", "chatumm-tiny")
	notDir := writeFile(t, filepath.Join(dir, "plain"), []byte("x"))
	out := filepath.Join(dir, "out.gguf")
	for _, c := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"quantize", src, "-o", out, "--type", "q3_k"}, []string{`--type "q3_k"`, "q8_0, q4_0, q4_k, q5_k, q6_k"}},
		{[]string{"quantize", src, "-o", out, "--type", "q4_1"}, []string{`--type "q4_1"`}},
		{[]string{"quantize", "-o", out}, []string{"one model directory", "got 0"}},
		{[]string{"quantize", src, src, "-o", out}, []string{"got 2"}},
		{[]string{"quantize", src, "-o", filepath.Join(dir, "out.bin")}, []string{"out.bin", ".gguf"}},
		{[]string{"quantize", src, "-o", filepath.Join(dir, "missing", "out.gguf")}, []string{"missing", "does not exist"}},
		{[]string{"quantize", src, "-o", filepath.Join(notDir, "out.gguf")}, []string{"not a directory"}},
		{[]string{"quantize", filepath.Join(dir, "nothing"), "-o", out}, []string{"nothing"}},
		{[]string{"quantize", filepath.Join(src, "model.safetensors"), "-o", out}, []string{"not a model directory"}},
		{[]string{"quantize", refDir(t, "vq-anole"), "-o", out}, []string{"VQ-GAN alone"}},
	} {
		wantError(t, chatumm(t, c.args...), c.args, c.wants...)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "plain" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
