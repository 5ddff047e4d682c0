package sample

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestValidateRejectsEachBadParameter(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		p     Params
		field string
		value string
	}{
		{Params{Temperature: nan}, FieldTemperature, "NaN"},
		{Params{Temperature: inf}, FieldTemperature, "+Inf"},
		{Params{Temperature: -inf}, FieldTemperature, "-Inf"},
		{Params{Temperature: -0.5}, FieldTemperature, "-0.5"},
		{Params{TopK: -1}, FieldTopK, "-1"},
		{Params{TopP: nan}, FieldTopP, "NaN"},
		{Params{TopP: -0.1}, FieldTopP, "-0.1"},
		{Params{TopP: 1.5}, FieldTopP, "1.5"},
		{Params{TopP: inf}, FieldTopP, "+Inf"},
		{Params{RepetitionPenalty: nan}, FieldRepetitionPenalty, "NaN"},
		{Params{RepetitionPenalty: inf}, FieldRepetitionPenalty, "+Inf"},
		{Params{RepetitionPenalty: -1}, FieldRepetitionPenalty, "-1"},
	}
	s := New(1)
	for _, c := range cases {
		err := c.p.Validate()
		var pe *ParamError
		if !errors.As(err, &pe) {
			t.Errorf("%+v: Validate gave %v, want a *ParamError", c.p, err)
			continue
		}
		if pe.Field != c.field || pe.Value != c.value || pe.Want == "" {
			t.Errorf("%+v: got field %q value %q want %q; expected field %q value %q", c.p, pe.Field, pe.Value, pe.Want, c.field, c.value)
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, c.field+" "+c.value+": want ") {
			t.Errorf("%+v: message %q is not one line naming the parameter", c.p, msg)
		}
		// The sampler refuses them too, rather than panicking.
		if id, err := s.Next([]float32{1, 2, 3}, nil, c.p, nil); !errors.As(err, &pe) || id != -1 {
			t.Errorf("%+v: Next gave %d, %v; want -1 and a *ParamError", c.p, id, err)
		}
	}
	for _, ok := range []Params{{}, {Temperature: 1e-39, TopK: 1 << 30, TopP: 1, RepetitionPenalty: 1e-30}, {Temperature: 100, TopP: 1e-9}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v, want valid", ok, err)
		}
	}
}

func TestTinyTemperatureIsGreedy(t *testing.T) {
	// At 1e-39, 1/t overflows a float32; the limit t → 0 is the argmax.
	logits := []float32{0.5, 2, 2 - 1e-6, -3, 1.999999}
	for _, temp := range []float32{1e-39, math.SmallestNonzeroFloat32, 2e-39} {
		s := New(5)
		for i := 0; i < 200; i++ {
			id, err := s.Next(logits, nil, Params{Temperature: temp, TopP: 0.9}, nil)
			if err != nil || id != 1 {
				t.Fatalf("temperature %g: got %d, %v; want the argmax 1", temp, id, err)
			}
		}
	}
}

func TestNonFiniteLogitsAreATypedError(t *testing.T) {
	s := New(1)
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		logits := []float32{1, 2, bad, 0}
		for _, p := range []Params{{}, {Temperature: 0.8, TopK: 2, TopP: 0.9, RepetitionPenalty: 1.3}} {
			id, err := s.Next(logits, []int{2}, p, nil)
			var nf *NonFiniteError
			if !errors.As(err, &nf) || !errors.Is(err, ErrNonFinite) || id != -1 {
				t.Fatalf("logit %v, %+v: got %d, %v; want a *NonFiniteError", bad, p, id, err)
			}
			if nf.Index != 2 || math.Float32bits(nf.Value) != math.Float32bits(bad) {
				t.Fatalf("logit %v: error names token %d value %v", bad, nf.Index, nf.Value)
			}
		}
		// A masked-out id is not looked at: only allowed tokens matter.
		deny := &Mask{Deny: []bool{false, false, true, false}}
		if id, err := s.Next(logits, nil, Params{Temperature: 1}, deny); err != nil || id < 0 || id == 2 {
			t.Fatalf("logit %v masked out: got %d, %v", bad, id, err)
		}
	}
}

func TestAllMaskedIsAnError(t *testing.T) {
	s := New(1)
	logits := []float32{1, 2, 3}
	for _, m := range []*Mask{{Allow: make([]bool, 3)}, {Deny: []bool{true, true, true}}, {Allow: []bool{true}, Deny: []bool{true}}} {
		for _, p := range []Params{{}, {Temperature: 1, TopP: 0.5}} {
			if id, err := s.Next(logits, nil, p, m); !errors.Is(err, ErrNoToken) || id != -1 {
				t.Fatalf("mask %+v: got %d, %v; want ErrNoToken", m, id, err)
			}
		}
	}
	if id, err := s.Next(nil, nil, Params{Temperature: 1}, nil); !errors.Is(err, ErrNoToken) || id != -1 {
		t.Fatalf("empty logits: got %d, %v; want ErrNoToken", id, err)
	}
}

func TestTinyPenaltyStaysFinite(t *testing.T) {
	// 2 / 1e-38 overflows a float32: the penalised token must win, not be
	// reported as a broken logit.
	s := New(1)
	id, err := s.Next([]float32{2, 3, -1}, []int{0, 2}, Params{Temperature: 1, RepetitionPenalty: 1e-38}, nil)
	if err != nil || id != 0 {
		t.Fatalf("got %d, %v; want 0", id, err)
	}
}

func TestNoAllocsWithAMask(t *testing.T) {
	s := New(1)
	logits := []float32{1, float32(math.NaN())}
	s.Next(logits, nil, Params{}, nil)
	if a := testing.AllocsPerRun(20, func() { s.Next(logits, nil, Params{Temperature: 1}, &Mask{Allow: []bool{true}}) }); a > 0 {
		t.Fatalf("%v allocations per Next with a mask", a)
	}
}

// FuzzSample feeds arbitrary logits, history, mask and parameters: Next
// must never panic, and whenever it succeeds the token must be in range,
// allowed by the mask, and have a finite logit.
func FuzzSample(f *testing.F) {
	le := func(vs ...float32) []byte {
		b := make([]byte, 4*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b
	}
	f.Add(le(1, 2, 3), []byte{0}, []byte{}, float32(0.8), 0, float32(0.9), float32(1.2))
	f.Add(le(1, 2, 3), []byte{1}, []byte{1, 0, 1}, float32(1e-39), 2, float32(0), float32(0))
	f.Add(le(float32(math.NaN()), 1), []byte{}, []byte{}, float32(math.NaN()), -1, float32(2), float32(-1))
	f.Add(le(float32(math.Inf(-1)), float32(math.Inf(1))), []byte{0, 1}, []byte{3}, float32(1), 1, float32(0.5), float32(1e-38))
	f.Add([]byte{}, []byte{}, []byte{}, float32(1), 0, float32(1), float32(1))
	s := New(9)
	f.Fuzz(func(t *testing.T, raw, history, mask []byte, temp float32, topK int, topP, penalty float32) {
		logits := make([]float32, len(raw)/4)
		for i := range logits {
			logits[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		hist := make([]int, len(history))
		for i, b := range history {
			hist[i] = int(b) - 8 // a few out-of-range ids too
		}
		var m *Mask
		if len(mask) > 0 {
			// Low bit: allowed; next bit: denied; lengths may differ from the vocabulary.
			m = &Mask{Allow: make([]bool, len(mask)), Deny: make([]bool, len(mask)/2)}
			for i, b := range mask {
				m.Allow[i] = b&1 != 0
				if i < len(m.Deny) {
					m.Deny[i] = b&2 != 0
				}
			}
		}
		p := Params{Temperature: temp, TopK: topK, TopP: topP, RepetitionPenalty: penalty}
		id, err := s.Next(logits, hist, p, m)
		if verr := p.Validate(); verr != nil {
			if err == nil {
				t.Fatalf("invalid %+v (%v) was accepted", p, verr)
			}
			return
		}
		if err != nil {
			var nf *NonFiniteError
			if errors.As(err, &nf) {
				if v := float64(logits[nf.Index]); !math.IsNaN(v) && !math.IsInf(v, 0) || !m.ok(nf.Index) {
					t.Fatalf("NonFiniteError names token %d (logit %v, allowed %v)", nf.Index, v, m.ok(nf.Index))
				}
				return
			}
			if !errors.Is(err, ErrNoToken) {
				t.Fatalf("unexpected error %v", err)
			}
			for i := range logits {
				if m.ok(i) {
					t.Fatalf("ErrNoToken but token %d is allowed", i)
				}
			}
			return
		}
		if id < 0 || id >= len(logits) || !m.ok(id) {
			t.Fatalf("sampled %d of %d, allowed %v", id, len(logits), m.ok(id))
		}
		if v := float64(logits[id]); math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("sampled token %d with logit %v", id, v)
		}
	})
}
