package ops

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// u is the float32 unit roundoff.
const u = 1.0 / (1 << 24)

// randMat returns a rows×cols matrix of dtype with N(0,1) values, and the
// values it actually holds (after rounding to the dtype) as float64.
func randMat(rng *rand.Rand, dt DType, rows, cols int) (*Mat, []float64) {
	m := &Mat{DType: dt, Rows: rows, Cols: cols}
	exact := make([]float64, rows*cols)
	if dt == F32 {
		m.F32 = make([]float32, rows*cols)
	} else {
		m.U16 = make([]uint16, rows*cols)
	}
	for i := range exact {
		v := float32(rng.NormFloat64())
		switch dt {
		case F32:
			m.F32[i] = v
		case F16:
			m.U16[i] = asm.ToF16(v)
			v = asm.F16(m.U16[i])
		case BF16:
			m.U16[i] = uint16(math.Float32bits(v) >> 16)
			v = asm.BF16(m.U16[i])
		}
		exact[i] = float64(v)
	}
	return m, exact
}

func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// forEachImpl runs f with every available asm implementation active.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	saved := asm.Active().Name
	defer asm.Use(saved)
	for _, k := range asm.Available() {
		if err := asm.Use(k.Name); err != nil {
			t.Fatal(err)
		}
		t.Run(k.Name, f)
	}
}

// checkClose compares got with a float64 reference. Each output is a sum of
// n float32 products accumulated in blocks; its rounding error is at most
// (n+2)·u·Σ|terms| (absSum), plus a little for the terms' own rounding.
func checkClose(t *testing.T, what string, got []float32, want, absSum []float64, n int) {
	t.Helper()
	for i := range want {
		tol := float64(n+2)*u*absSum[i] + 1e-30
		if d := math.Abs(float64(got[i]) - want[i]); d > tol || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: element %d = %g, want %g (diff %g > tol %g)", what, i, got[i], want[i], d, tol)
		}
	}
}

func TestGemm(t *testing.T) {
	pool := runtime.NewPool(2)
	defer pool.Close()
	shapes := [][2]int{{1, 1}, {1, 7}, {5, 3}, {17, 33}, {33, 16}, {40, 129}, {65, 300}, {300, 131}}
	ms := []int{1, 2, 3, 5, 7, 13, 64, 129}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for si, s := range shapes {
			for _, dt := range []DType{F32, F16, BF16} {
				w, exact := randMat(rng, dt, s[0], s[1])
				for mi, m := range ms {
					if (si+mi)%2 == 1 && m > 7 { // keep the test short: big m on every other shape
						continue
					}
					x := randVec(rng, m*s[1])
					y := make([]float32, m*s[0]+3)
					for i := range y {
						y[i] = float32(math.NaN()) // every output must be written
					}
					y[len(y)-3], y[len(y)-2], y[len(y)-1] = 7, 8, 9
					Gemm(pool, w, x, m, y[:m*s[0]])
					want, abs := make([]float64, m*s[0]), make([]float64, m*s[0])
					for i := 0; i < m; i++ {
						for o := 0; o < s[0]; o++ {
							for c := 0; c < s[1]; c++ {
								p := float64(x[i*s[1]+c]) * exact[o*s[1]+c]
								want[i*s[0]+o] += p
								abs[i*s[0]+o] += math.Abs(p)
							}
						}
					}
					checkClose(t, dt.String()+" gemm", y, want, abs, s[1])
					if y[len(y)-3] != 7 || y[len(y)-2] != 8 || y[len(y)-1] != 9 {
						t.Fatalf("%v %v m=%d: wrote past m×Rows", dt, s, m)
					}
				}
			}
		}
	})
}

// TestGemmThreadsBitIdentical: the split over weight rows never changes a
// result bit.
func TestGemmThreadsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	forEachImpl(t, func(t *testing.T) {
		for _, dt := range []DType{F32, F16, BF16} {
			w, _ := randMat(rng, dt, 203, 301)
			const m = 37
			x := randVec(rng, m*301)
			var first []float32
			for _, threads := range []int{1, 2, 3} {
				pool := runtime.NewPool(threads)
				y := make([]float32, m*203)
				Gemm(pool, w, x, m, y)
				pool.Close()
				if first == nil {
					first = y
				} else if !slices.Equal(first, y) {
					t.Fatalf("%v: %d threads differ from 1 thread", dt, threads)
				}
			}
			y := make([]float32, m*203)
			Gemm(nil, w, x, m, y)
			if !slices.Equal(first, y) {
				t.Fatalf("%v: nil pool differs from 1 thread", dt)
			}
		}
	})
}

func TestGemmBadShapesPanic(t *testing.T) {
	w := &Mat{DType: F16, Rows: 4, Cols: 3, U16: make([]uint16, 12)}
	for name, f := range map[string]func(){
		"short x":      func() { Gemm(nil, w, make([]float32, 5), 2, make([]float32, 8)) },
		"short y":      func() { Gemm(nil, w, make([]float32, 6), 2, make([]float32, 7)) },
		"short weight": func() { Gemm(nil, &Mat{DType: F32, Rows: 4, Cols: 3}, make([]float32, 6), 2, make([]float32, 8)) },
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

func TestMeasureFMAPeak(t *testing.T) {
	pool := runtime.NewPool(1)
	defer pool.Close()
	if g := MeasureFMAPeak(pool, 2e6); !(g > 0) || math.IsInf(g, 0) {
		t.Fatalf("MeasureFMAPeak = %g GFLOP/s", g)
	}
}
