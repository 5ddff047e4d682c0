package model

import (
	"testing"

	"github.com/chatumm/chatumm/weights"
)

// TestRandomCheckpointLoads: a freshly generated random checkpoint loads,
// its tokenizer round-trips text, and a forward pass gives finite logits.
func TestRandomCheckpointLoads(t *testing.T) {
	for _, mot := range []bool{false, true} {
		dir := t.TempDir()
		spec := RandomSpec{Dim: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 96, Vocab: 600, ImageCodes: 64, MaxPos: 64, DType: weights.BF16, MoT: mot}
		if err := WriteRandom(dir, spec, 1); err != nil {
			t.Fatal(err)
		}
		m, err := Load(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Tok.Decode(m.Tok.Encode("héllo, wörld 12", false), false); got != "héllo, wörld 12" {
			t.Fatalf("tokenizer round trip: %q", got)
		}
		if len(m.IDOfCode) != 64 {
			t.Fatalf("%d image codes", len(m.IDOfCode))
		}
		ids := append(m.Tok.Encode("a red circle", true), m.IDOfCode[3], m.IDOfCode[5])
		logits := make([]float32, spec.Vocab)
		if err := m.T.Prefill(m.NewState(), ids, logits, false); err != nil {
			t.Fatal(err)
		}
		for _, v := range logits {
			if v != v || v > 1e4 || v < -1e4 {
				t.Fatalf("logit %v out of range", v)
			}
		}
		m.Close()
	}
}
