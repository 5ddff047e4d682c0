package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chatumm/chatumm/asm"
)

// gaussianRows is rows×n values like a trained linear layer's: normal,
// with a few outliers per row (what makes the block scales matter).
func gaussianRows(rows, n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, rows*n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 0.02)
		if r.IntN(200) == 0 {
			x[i] *= 8
		}
	}
	return x
}

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

func roundTrip(q asm.QType, x []float32) []float32 {
	enc := make([]byte, RowBytes(q, len(x)))
	Quantize(q, enc, x)
	dec := make([]float32, len(x))
	asm.DequantizeRow(q, dec, enc)
	return dec
}

// The relative rms error of each type on gaussian weights, against bounds
// set from measured values (Q8_0 0.0076, Q6_K 0.0242, Q5_K 0.0424, Q5_1
// 0.0435, Q5_0 0.0617, Q4_K 0.0819, Q4_1 0.0899, Q4_0 0.1226 on this data) with about 15 % headroom: a regression in
// an encoder (a wrong scale, a lost bit) moves these by far more.
func TestRoundTripError(t *testing.T) {
	x := gaussianRows(8, 1024, 1)
	bounds := map[asm.QType]float64{asm.Q8_0: 0.0087, asm.Q6_K: 0.028, asm.Q5_K: 0.049, asm.Q4_K: 0.094, asm.Q4_0: 0.141,
		asm.Q4_1: 0.104, asm.Q5_0: 0.071, asm.Q5_1: 0.050}
	for q := asm.Q4_0; q < asm.NumQTypes; q++ {
		e := relRMS(roundTrip(q, x), x)
		t.Logf("%v: relative rms error %.4f", q, e)
		if e > bounds[q] {
			t.Errorf("%v: relative rms error %.4f above %.4f", q, e, bounds[q])
		}
	}
}

// More bits never make the error larger: Q8_0 < Q6_K < Q5_K < Q4_K, on
// any data, not just the data the bounds were measured on.
func TestMoreBitsLessError(t *testing.T) {
	for seed := uint64(2); seed < 6; seed++ {
		x := gaussianRows(2, 512, seed)
		e := map[asm.QType]float64{}
		for _, q := range Types {
			e[q] = relRMS(roundTrip(q, x), x)
		}
		if !(e[asm.Q8_0] < e[asm.Q6_K] && e[asm.Q6_K] < e[asm.Q5_K] && e[asm.Q5_K] < e[asm.Q4_K]) {
			t.Errorf("seed %d: errors not ordered by bits: %v", seed, e)
		}
	}
}

// Blocks with special values: all zero decodes to zeros; a constant block
// and one with a single spike decode close to the input, each element
// within half a quantization step of its block.
func TestSpecialBlocks(t *testing.T) {
	const n = 512
	cases := map[string]func(i int) float32{
		"zeros":    func(int) float32 { return 0 },
		"constant": func(int) float32 { return 0.25 },
		"negative": func(int) float32 { return -0.75 },
		"spike": func(i int) float32 {
			if i%97 == 3 {
				return 4
			}
			return 0.001 * float32(i%5)
		},
		"ramp": func(i int) float32 { return float32(i%256-128) / 64 },
	}
	// Levels across the block's magnitude: half of the levels of a
	// symmetric type, all of them for a min/scale type.
	levels := map[asm.QType]float32{asm.Q8_0: 127, asm.Q4_0: 8, asm.Q4_1: 7.5, asm.Q5_0: 16, asm.Q5_1: 15.5,
		asm.Q4_K: 15, asm.Q5_K: 31, asm.Q6_K: 31}
	for name, f := range cases {
		x := make([]float32, n)
		for i := range x {
			x[i] = f(i)
		}
		for q := asm.Q4_0; q < asm.NumQTypes; q++ {
			dec := roundTrip(q, x)
			be := q.BlockElems()
			for b := 0; b < n; b += be {
				var amax float32
				for _, v := range x[b : b+be] {
					amax = max(amax, abs32(v))
				}
				// Half a step of the coarsest scale the block could get,
				// plus f16 rounding of the scales; K types' 6-bit sub-block
				// scales add up to one more step.
				tol := amax/levels[q]*1.02 + 1e-6
				for i := b; i < b+be; i++ {
					if d := abs32(dec[i] - x[i]); d > tol {
						t.Fatalf("%s %v: element %d = %g, want %g (tolerance %g)", name, q, i, dec[i], x[i], tol)
					}
				}
			}
		}
	}
}

// The scale of Q8_0 and Q4_0 is the f16 of what the reference computes, so
// the value of largest magnitude comes back as exactly −127·d (Q8_0, d > 0) or −8·d
// (Q4_0, whose d has the opposite sign of that value).
func TestLegacyExtremesExact(t *testing.T) {
	x := gaussianRows(1, 32, 9)
	x[5] = -0.5 // the largest magnitude
	for _, q := range []asm.QType{asm.Q8_0, asm.Q4_0} {
		enc := make([]byte, RowBytes(q, 32))
		Quantize(q, enc, x)
		d := getF16(enc)
		want := map[asm.QType]float32{asm.Q8_0: -127 * d, asm.Q4_0: -8 * d}[q]
		dec := roundTrip(q, x)
		if dec[5] != want {
			t.Errorf("%v: extreme decodes to %g, want %g (d = %g)", q, dec[5], want, d)
		}
	}
}

func TestFallback(t *testing.T) {
	for _, c := range []struct {
		q    asm.QType
		n    int
		want asm.QType
	}{
		{asm.Q4_K, 512, asm.Q4_K}, {asm.Q4_K, 192, asm.Q5_0}, {asm.Q5_K, 96, asm.Q5_1}, {asm.Q6_K, 160, asm.Q8_0},
		{asm.Q8_0, 64, asm.Q8_0}, {asm.Q8_0, 48, asm.QNone}, {asm.Q4_K, 100, asm.QNone}, {asm.Q4_0, 8, asm.QNone},
	} {
		if got := Fallback(c.q, c.n); got != c.want {
			t.Errorf("Fallback(%v, %d) = %v, want %v", c.q, c.n, got, c.want)
		}
	}
}

func TestNearestIntRoundsHalfToEven(t *testing.T) {
	for _, c := range []struct {
		f    float32
		want int
	}{{0.5, 0}, {1.5, 2}, {2.5, 2}, {-0.5, 0}, {-1.5, -2}, {3.49, 3}, {-7.51, -8}, {100000.5, 100000}} {
		if got := nearestInt(c.f); got != c.want {
			t.Errorf("nearestInt(%g) = %d, want %d", c.f, got, c.want)
		}
	}
}

func TestQuantizePanicsOnMisuse(t *testing.T) {
	for name, f := range map[string]func(){
		"partial block": func() { Quantize(asm.Q8_0, make([]byte, 34), make([]float32, 31)) },
		"short dst":     func() { Quantize(asm.Q4_K, make([]byte, 100), make([]float32, 256)) },
		"no encoder":    func() { Quantize(asm.QNone, make([]byte, 20), make([]float32, 32)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func BenchmarkQuantize(b *testing.B) {
	x := gaussianRows(16, 4096, 3)
	for _, q := range Types {
		b.Run(q.String(), func(b *testing.B) {
			dst := make([]byte, RowBytes(q, len(x)))
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				Quantize(q, dst, x)
			}
		})
	}
}
