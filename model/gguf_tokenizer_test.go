package model

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/weights"
)

// A llama GGUF with tokenizer metadata loads with its tokenizer and takes
// BOS/EOS from it; bad tokenizer metadata fails the load with the file and
// key named.
func TestGGUFLoadsItsTokenizer(t *testing.T) {
	m, err := Load("../testdata/weights/tiny-llama.gguf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Tok == nil {
		t.Fatal("no tokenizer")
	}
	if m.Proto.BOS != 1 || m.Proto.EOS != 2 || m.Proto.EndOfTurn != 2 {
		t.Errorf("protocol BOS %d EOS %d end of turn %d, want 1 2 2", m.Proto.BOS, m.Proto.EOS, m.Proto.EndOfTurn)
	}
	// The generator's vocabulary: ▁Hello is ▁H e l l o (ids 328.. are pieces).
	ids := m.Tok.Encode("Hello", false)
	if len(ids) != 5 || m.Tok.Decode(ids, true) != "Hello" {
		t.Errorf("Encode(Hello) = %v, decodes to %q", ids, m.Tok.Decode(ids, true))
	}

	set, err := weights.Open("../testdata/weights/tiny-llama.gguf", weights.Read)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	var meta []weights.GGUFKV
	for k, v := range set.Metadata() {
		if k == "general.alignment" {
			continue
		}
		if k == "tokenizer.ggml.scores" {
			v = []float32{1, 2}
		}
		meta = append(meta, weights.GGUFKV{Key: k, Value: v})
	}
	var tensors []weights.GGUFTensor
	for _, name := range set.Names() {
		tt, _ := set.Tensor(name)
		tensors = append(tensors, weights.GGUFTensor{Name: name, DType: tt.DType, Shape: tt.Shape,
			Fill: func(dst []byte) error { copy(dst, tt.Bytes()); return nil }})
	}
	bad := filepath.Join(t.TempDir(), "bad-scores.gguf")
	if err := weights.WriteGGUF(bad, meta, tensors); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad, Options{})
	if err == nil || !strings.Contains(err.Error(), bad+": tokenizer.ggml.scores") {
		t.Errorf("bad scores: %v", err)
	}
}
