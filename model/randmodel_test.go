package model

import (
	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/randmodel"
	"math"
	"testing"

	"github.com/chatumm/chatumm/weights"
)

// TestRandomCheckpointLoads: a freshly generated random checkpoint loads,
// its tokenizer round-trips text, and a forward pass gives finite logits.
func TestRandomCheckpointLoads(t *testing.T) {
	for _, mot := range []bool{false, true} {
		dir := t.TempDir()
		spec := randmodel.Spec{Dim: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 96, Vocab: 600, ImageCodes: 64, MaxPos: 64, DType: weights.BF16, MoT: mot}
		if err := randmodel.Write(dir, spec, 1); err != nil {
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

// TestWideDownProjectionColMajor: a model whose MLP down projection is too
// wide for the row-major matvec stores it column-major in both load modes
// (rewritten in place in read mode, copied under mmap), keeps the fingerprint
// of the file's bytes, and decodes what the row-major matrix decodes.
func TestWideDownProjectionColMajor(t *testing.T) {
	if k := asm.Active(); k.RowsPrefetch {
		// A prefetching matvec streams wide rows itself, so no matrix goes
		// column-major (ops.ColMajorPays); the generic path still does.
		if err := asm.Use("generic"); err != nil {
			t.Fatal(err)
		}
		defer asm.Use(k.Name)
	}
	dir := t.TempDir()
	spec := randmodel.Spec{Dim: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 5000, Vocab: 600, ImageCodes: 64, MaxPos: 64, DType: weights.F16}
	if err := randmodel.Write(dir, spec, 3); err != nil {
		t.Fatal(err)
	}
	run := func(m *Model) []float32 {
		ids := m.Tok.Encode("a red circle", true)
		logits := make([]float32, spec.Vocab)
		s := m.NewState()
		if err := m.T.Prefill(s, ids[:len(ids)-1], logits, false); err != nil {
			t.Fatal(err)
		}
		if err := m.T.Prefill(s, ids[len(ids)-1:], logits, false); err != nil { // one token: the matvec path
			t.Fatal(err)
		}
		return logits
	}
	var prints []string
	var got [][]float32
	for _, mode := range []weights.LoadMode{weights.Mmap, weights.Read} {
		m, err := Load(dir, Options{Load: mode})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if d := m.T.Layers[1].Experts[0].Down; !d.ColMajor {
			t.Fatalf("%v: down projection %d×%d not column-major", mode, d.Rows, d.Cols)
		}
		prints = append(prints, m.Fingerprint())
		got = append(got, run(m))
	}
	if prints[0] != prints[1] {
		t.Fatalf("fingerprints differ between load modes: %s vs %s", prints[0], prints[1])
	}
	// The row-major reference: the same checkpoint with the file's matrices.
	ref, err := Load(dir, Options{Load: weights.Mmap})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	// decoder.Load alone keeps the file's row-major matrices.
	rowMajor := *ref
	if rowMajor.T, err = decoder.Load(ref.Weights, &ref.Cfg.Config, nil, ref.Pool, nil); err != nil {
		t.Fatal(err)
	}
	if rowMajor.T.Layers[1].Experts[0].Down.ColMajor {
		t.Fatal("decoder.Load made the down projection column-major")
	}
	want := run(&rowMajor)
	for k, g := range got {
		for i := range want {
			if g[i] != got[0][i] {
				t.Fatalf("load modes differ at logit %d: %g vs %g", i, g[i], got[0][i])
			}
			if d := math.Abs(float64(g[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("mode %d logit %d: column-major %g, row-major %g", k, i, g[i], want[i])
			}
		}
	}
}
