package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chatumm/chatumm/runtime"
)

// Tests of the whole-sequence kernels a vision encoder uses (gelu.go,
// layernorm.go, patch_conv.go, bidir_attention.go) against straightforward
// float64 loops, on every asm path, and for thread-count independence.

func geluRef(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func TestBiasGELUAccuracy(t *testing.T) {
	// A dense sweep of [-12, 12] plus the edges: 0, ±tiny, huge, ±Inf.
	var xs []float32
	for i := -120000; i <= 120000; i++ {
		xs = append(xs, float32(i)*1e-4)
	}
	xs = append(xs, 0, 1e-30, -1e-30, 1e-8, -1e-8, 50, -50, 1e30, -1e30, float32(math.Inf(1)), float32(math.Inf(-1)))
	forEachImpl(t, func(t *testing.T) { // the bias add is the only asm part
		got := slices.Clone(xs)
		BiasGELU(nil, got, 1, nil)
		worst := 0.0
		for i, x := range xs {
			want := geluRef(float64(x))
			if math.IsInf(float64(x), 0) {
				// -Inf·Φ(-Inf) is 0·Inf: torch's formula gives NaN too.
				if x > 0 && !math.IsInf(float64(got[i]), 1) || x < 0 && got[i] != 0 && !math.IsNaN(float64(got[i])) {
					t.Errorf("GELU(%g) = %g", x, got[i])
				}
				continue
			}
			d := math.Abs(float64(got[i]) - want)
			// Relative 4e-7 of the value, plus an absolute floor far below
			// anything a float32 network can see (GELU(-5.5) ≈ -1e-7).
			if tol := 4e-7*math.Abs(want) + 1e-9; d > tol || math.IsNaN(float64(got[i])) {
				t.Fatalf("GELU(%g) = %g, want %g (diff %g > %g)", x, got[i], want, d, tol)
			}
			if math.Abs(want) > 1e-6 {
				worst = max(worst, d/math.Abs(want))
			}
		}
		t.Logf("worst relative error where |GELU| > 1e-6: %.3g", worst)
	})
}

func TestBiasGELURowsAndThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const rows, d = 37, 1100 // d not a multiple of the chunk
	x := coreVec(rng, rows*d)
	for i := range x {
		x[i] *= 4
	}
	bias := coreVec(rng, d)
	var first []float32
	for _, threads := range []int{1, 2, 3} {
		pool := runtime.NewPool(threads)
		got := slices.Clone(x)
		BiasGELU(pool, got, rows, bias)
		pool.Close()
		for r := 0; r < rows; r++ {
			for c := 0; c < d; c++ {
				v := float64(x[r*d+c] + bias[c])
				want := geluRef(v)
				if diff := math.Abs(float64(got[r*d+c]) - want); diff > 4e-7*math.Abs(want)+1e-9 {
					t.Fatalf("threads=%d: [%d,%d] = %g, want %g", threads, r, c, got[r*d+c], want)
				}
			}
		}
		if first == nil {
			first = got
		} else if !slices.Equal(first, got) {
			t.Fatalf("threads=%d: result differs from threads=1", threads)
		}
	}
}

func TestLayerNormRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const rows, d = 29, 96
	x := coreVec(rng, rows*d)
	for i := range x {
		x[i] = x[i]*3 + 5 // an offset mean, as residual streams have
	}
	w, b := coreVec(rng, d), coreVec(rng, d)
	pool := runtime.NewPool(2)
	defer pool.Close()
	got := make([]float32, rows*d)
	LayerNormRows(pool, got, x, rows, w, b, 1e-6)
	for r := 0; r < rows; r++ {
		var mean, sq float64
		for _, v := range x[r*d : (r+1)*d] {
			mean += float64(v)
		}
		mean /= d
		for _, v := range x[r*d : (r+1)*d] {
			sq += (float64(v) - mean) * (float64(v) - mean)
		}
		inv := 1 / math.Sqrt(sq/d+1e-6)
		for c := 0; c < d; c++ {
			want := (float64(x[r*d+c])-mean)*inv*float64(w[c]) + float64(b[c])
			if diff := math.Abs(float64(got[r*d+c]) - want); diff > 1e-5 {
				t.Fatalf("row %d col %d = %g, want %g", r, c, got[r*d+c], want)
			}
		}
	}
	// In place gives the same.
	inPlace := slices.Clone(x)
	LayerNormRows(nil, inPlace, inPlace, rows, w, b, 1e-6)
	if !slices.Equal(inPlace, got) {
		t.Fatal("in-place LayerNormRows differs")
	}
}

func TestPatchEmbed(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const c, h, w, patch, out = 3, 24, 16, 8, 20
	in := coreVec(rng, c*h*w)
	forEachImpl(t, func(t *testing.T) {
		for _, dt := range []DType{F32, BF16} {
			wt, exact := randMat(rng, dt, out, c*patch*patch)
			bias := coreVec(rng, out)
			want, abs := patchRef(in, c, h, w, patch, exact, bias, out)
			got := make([]float32, (h/patch)*(w/patch)*out)
			pool := runtime.NewPool(2)
			gh, gw := PatchEmbed(pool, in, c, h, w, patch, wt, bias, got)
			pool.Close()
			if gh != h/patch || gw != w/patch {
				t.Fatalf("grid %d×%d, want %d×%d", gh, gw, h/patch, w/patch)
			}
			checkClose(t, "PatchEmbed "+dt.String(), got, want, abs, c*patch*patch)
		}
	})
}

// patchRef is the unpadded convolution with kernel = stride = patch, output
// as [patches, out] in raster order.
func patchRef(in []float32, c, h, w, patch int, wt []float64, bias []float32, out int) (res, abs []float64) {
	gh, gw := h/patch, w/patch
	res, abs = make([]float64, gh*gw*out), make([]float64, gh*gw*out)
	for py := 0; py < gh; py++ {
		for px := 0; px < gw; px++ {
			for o := 0; o < out; o++ {
				s, a := float64(bias[o]), math.Abs(float64(bias[o]))
				for ch := 0; ch < c; ch++ {
					for dy := 0; dy < patch; dy++ {
						for dx := 0; dx < patch; dx++ {
							p := float64(in[(ch*h+py*patch+dy)*w+px*patch+dx]) * wt[((o*c+ch)*patch+dy)*patch+dx]
							s += p
							a += math.Abs(p)
						}
					}
				}
				res[(py*gw+px)*out+o], abs[(py*gw+px)*out+o] = s, a
			}
		}
	}
	return res, abs
}

func TestBidirAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	// n above bidirBlock so query blocks are exercised, heads odd.
	const n, heads, hd = 203, 3, 16
	dim := heads * hd
	q, k, v := coreVec(rng, n*dim), coreVec(rng, n*dim), coreVec(rng, n*dim)
	for i := range q {
		q[i] *= 3 // peaked softmaxes as well as flat ones
	}
	scale := float32(1 / math.Sqrt(hd))
	want := make([]float64, n*dim)
	for h := 0; h < heads; h++ {
		for i := 0; i < n; i++ {
			s := make([]float64, n)
			m := math.Inf(-1)
			for j := 0; j < n; j++ {
				var dot float64
				for c := 0; c < hd; c++ {
					dot += float64(q[i*dim+h*hd+c]*scale) * float64(k[j*dim+h*hd+c])
				}
				s[j] = dot
				m = max(m, dot)
			}
			var z float64
			for j := range s {
				s[j] = math.Exp(s[j] - m)
				z += s[j]
			}
			for c := 0; c < hd; c++ {
				var o float64
				for j := 0; j < n; j++ {
					o += s[j] / z * float64(v[j*dim+h*hd+c])
				}
				want[i*dim+h*hd+c] = o
			}
		}
	}
	forEachImpl(t, func(t *testing.T) {
		var first []float32
		for _, threads := range []int{1, 2, 3} {
			pool := runtime.NewPool(threads)
			got := make([]float32, n*dim)
			BidirAttention(pool, q, k, v, n, heads, hd, scale, got)
			pool.Close()
			for i := range want {
				if d := math.Abs(float64(got[i]) - want[i]); d > 2e-5 {
					t.Fatalf("threads=%d: out[%d] = %g, want %g", threads, i, got[i], want[i])
				}
			}
			if first == nil {
				first = got
			} else if !slices.Equal(first, got) {
				t.Fatalf("threads=%d differs from threads=1", threads)
			}
		}
	})
}

func TestVisionOpsBadShapesPanic(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	wt := &Mat{DType: F32, Rows: 4, Cols: 12, F32: make([]float32, 48)}
	mustPanic("PatchEmbed ragged", func() { PatchEmbed(nil, make([]float32, 3*5*4), 3, 5, 4, 2, wt, nil, make([]float32, 64)) })
	mustPanic("PatchEmbed short out", func() { PatchEmbed(nil, make([]float32, 3*4*4), 3, 4, 4, 2, wt, nil, make([]float32, 3)) })
	mustPanic("BidirAttention short", func() {
		BidirAttention(nil, make([]float32, 8), make([]float32, 8), make([]float32, 8), 2, 2, 4, 1, make([]float32, 8))
	})
	mustPanic("LayerNormRows short", func() { LayerNormRows(nil, make([]float32, 8), make([]float32, 8), 3, make([]float32, 4), nil, 1e-6) })
	mustPanic("BiasGELU short", func() { BiasGELU(nil, make([]float32, 8), 3, make([]float32, 4)) })
	mustPanic("BiasGELU ragged", func() { BiasGELU(nil, make([]float32, 8), 3, nil) })
}

// BenchmarkBiasGELU: one ViT-L MLP's activations (576 patches × 4096).
func BenchmarkBiasGELU(b *testing.B) {
	rng := rand.New(rand.NewPCG(15, 16))
	const rows, d = 576, 4096
	x, bias := coreVec(rng, rows*d), coreVec(rng, d)
	for _, threads := range []int{1, 2} {
		b.Run("threads="+string(rune('0'+threads)), func(b *testing.B) {
			pool := runtime.NewPool(threads)
			defer pool.Close()
			for range b.N {
				BiasGELU(pool, x, rows, bias)
				copy(x[:d], bias) // keep values bounded across iterations
			}
		})
	}
}

func TestGemmRowsEqualsGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	forEachImpl(t, func(t *testing.T) {
		for _, dt := range []DType{F32, BF16} {
			for _, m := range []int{1, 7, 50, 97, 600} { // 600 spans two 512-row blocks
				w, _ := randMat(rng, dt, 40, 70)
				x := randVec(rng, m*70)
				want := make([]float32, m*40)
				Gemm(nil, w, x, m, want)
				for _, threads := range []int{1, 2, 3} {
					pool := runtime.NewPool(threads)
					got := make([]float32, m*40)
					GemmRows(pool, w, x, m, got)
					pool.Close()
					if !slices.Equal(got, want) {
						t.Fatalf("%v m=%d threads=%d: GemmRows differs from Gemm", dt, m, threads)
					}
				}
			}
		}
	})
}

// BenchmarkGemmRows: a ViT-L projection (576 patches, 1024×1024 and
// 4096×1024 BF16) through Gemm and through GemmRows.
func BenchmarkGemmRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(19, 20))
	const m = 576
	for _, shape := range [][2]int{{1024, 1024}, {4096, 1024}} {
		w := benchMat(rng, BF16, shape[0], shape[1])
		x, y := randVec(rng, m*shape[1]), make([]float32, m*shape[0])
		for _, threads := range []int{1, 2} {
			for _, f := range []struct {
				name string
				fn   func(*runtime.Pool, *Mat, []float32, int, []float32)
			}{{"Gemm", Gemm}, {"GemmRows", GemmRows}} {
				b.Run(fmt.Sprintf("%s/%dx%d/threads=%d", f.name, shape[0], shape[1], threads), func(b *testing.B) {
					pool := runtime.NewPool(threads)
					defer pool.Close()
					f.fn(pool, w, x, m, y)
					b.ResetTimer()
					for range b.N {
						f.fn(pool, w, x, m, y)
					}
					reportGFLOPS(b, 2*float64(m)*float64(shape[0]*shape[1]))
				})
			}
		}
	}
}
