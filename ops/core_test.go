package ops

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

func coreVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

func randMatOf(rng *rand.Rand, dt DType, rows, cols int) *Mat {
	m := &Mat{DType: dt, Rows: rows, Cols: cols}
	if dt == F32 {
		m.F32 = coreVec(rng, rows*cols)
		return m
	}
	m.U16 = make([]uint16, rows*cols)
	for i := range m.U16 {
		v := rng.Float32()*2 - 1
		if dt == F16 {
			m.U16[i] = asm.ToF16(v)
		} else {
			m.U16[i] = uint16(math.Float32bits(v) >> 16)
		}
	}
	return m
}

func elem(m *Mat, i int) float64 {
	switch m.DType {
	case F16:
		return float64(asm.F16(m.U16[i]))
	case BF16:
		return float64(asm.BF16(m.U16[i]))
	}
	return float64(m.F32[i])
}

// dotTol bounds a float32 dot product of n terms against float64:
// n·eps32·Σ|a·b| (each partial sum rounds at most n times).
func dotTol(n int, absSum float64) float64 { return float64(n+2)*6e-8*absSum + 1e-30 }

func TestMatVecAgainstFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	pools := []*runtime.Pool{runtime.NewPool(1), runtime.NewPool(2), runtime.NewPool(3)}
	for _, dt := range []DType{F32, F16, BF16} {
		for _, shape := range [][2]int{{1, 1}, {3, 7}, {17, 33}, {40, 130}, {129, 300}} {
			rows, cols := shape[0], shape[1]
			w := randMatOf(rng, dt, rows, cols)
			xs := [][]float32{coreVec(rng, cols), coreVec(rng, cols), coreVec(rng, cols)}
			var first [][]float32
			for pi, p := range pools {
				y := make([]float32, rows)
				MatVec(p, w, xs[0], y)
				ys := [][]float32{make([]float32, rows), make([]float32, rows), make([]float32, rows)}
				MatVecMulti(p, w, xs, ys)
				for r := 0; r < rows; r++ {
					var ref, abs float64
					for c := 0; c < cols; c++ {
						ref += elem(w, r*cols+c) * float64(xs[0][c])
						abs += math.Abs(elem(w, r*cols+c) * float64(xs[0][c]))
					}
					if d := math.Abs(float64(y[r]) - ref); d > dotTol(cols, abs) {
						t.Fatalf("%v %dx%d row %d: %g vs %g", dt, rows, cols, r, y[r], ref)
					}
					if ys[0][r] != y[r] {
						t.Fatalf("%v: MatVecMulti differs from MatVec", dt)
					}
				}
				if pi == 0 {
					first = ys
					continue
				}
				for i := range ys {
					for r := range ys[i] {
						if ys[i][r] != first[i][r] {
							t.Fatalf("%v: %d threads differ from 1 thread", dt, p.Threads())
						}
					}
				}
			}
		}
	}
}

func TestNorms(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{1, 5, 64, 333, 4096} {
		x, w, b := coreVec(rng, n), coreVec(rng, n), coreVec(rng, n)
		got := make([]float32, n)
		RMSNorm(got, x, w, 1e-5)
		var ss float64
		for _, v := range x {
			ss += float64(v) * float64(v)
		}
		inv := 1 / math.Sqrt(ss/float64(n)+1e-5)
		for i := range x {
			if d := math.Abs(float64(got[i]) - float64(x[i])*inv*float64(w[i])); d > 1e-5*(1+math.Abs(float64(x[i])*inv)) {
				t.Fatalf("RMSNorm n=%d: diff %g", n, d)
			}
		}
		LayerNorm(got, x, w, b, 1e-5)
		var mean, varr float64
		for _, v := range x {
			mean += float64(v)
		}
		mean /= float64(n)
		for _, v := range x {
			varr += (float64(v) - mean) * (float64(v) - mean)
		}
		varr /= float64(n)
		for i := range x {
			want := (float64(x[i])-mean)/math.Sqrt(varr+1e-5)*float64(w[i]) + float64(b[i])
			if d := math.Abs(float64(got[i]) - want); d > 1e-4*(1+math.Abs(want)) {
				t.Fatalf("LayerNorm n=%d: %g vs %g", n, got[i], want)
			}
		}
	}
}

func TestHeadLayerNormGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const heads, hd = 8, 16
	for _, groups := range []int{1, 2, 4, 8} {
		x := coreVec(rng, heads*hd)
		w, b := coreVec(rng, groups*hd), coreVec(rng, groups*hd)
		got := append([]float32(nil), x...)
		HeadLayerNorm(got, heads, hd, w, b, groups, 1e-5)
		for h := 0; h < heads; h++ {
			g := h / (heads / groups)
			want := make([]float32, hd)
			LayerNorm(want, x[h*hd:(h+1)*hd], w[g*hd:(g+1)*hd], b[g*hd:(g+1)*hd], 1e-5)
			for i := range want {
				if got[h*hd+i] != want[i] {
					t.Fatalf("groups=%d head %d: wrong affine row", groups, h)
				}
			}
		}
	}
}

func TestGroupNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const c, hw, groups = 12, 37, 4
	x, w, b := coreVec(rng, c*hw), coreVec(rng, c), coreVec(rng, c)
	for i := range x {
		x[i] = x[i]*3 + 100 // a large mean tests the two-pass variance
	}
	got := make([]float32, c*hw)
	GroupNorm(nil, got, x, c, hw, groups, w, b, 1e-6, false)
	// Any thread count gives the same bits, and silu applies SiLU after.
	pool := runtime.NewPool(2)
	defer pool.Close()
	par, fused, swish := make([]float32, c*hw), make([]float32, c*hw), make([]float32, c*hw)
	GroupNorm(pool, par, x, c, hw, groups, w, b, 1e-6, false)
	GroupNorm(pool, fused, x, c, hw, groups, w, b, 1e-6, true)
	SiLU(swish, got)
	if !slices.Equal(par, got) || !slices.Equal(fused, swish) {
		t.Fatal("GroupNorm: 2 threads or the fused SiLU differ from 1 thread then SiLU")
	}
	per := c / groups
	for g := 0; g < groups; g++ {
		seg := x[g*per*hw : (g+1)*per*hw]
		var mean, v float64
		for _, a := range seg {
			mean += float64(a)
		}
		mean /= float64(len(seg))
		for _, a := range seg {
			v += (float64(a) - mean) * (float64(a) - mean)
		}
		v /= float64(len(seg))
		for ch := g * per; ch < (g+1)*per; ch++ {
			for i := 0; i < hw; i++ {
				want := (float64(x[ch*hw+i])-mean)/math.Sqrt(v+1e-6)*float64(w[ch]) + float64(b[ch])
				if d := math.Abs(float64(got[ch*hw+i]) - want); d > 2e-4*(1+math.Abs(want)) {
					t.Fatalf("GroupNorm: %g vs %g", got[ch*hw+i], want)
				}
			}
		}
	}
}

func TestRoPELayouts(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const hd, heads = 16, 3
	for _, inter := range []bool{false, true} {
		r := NewRoPE(hd, 10000, maxTablePos+10, inter)
		for _, pos := range []int{0, 1, 17, maxTablePos + 3} {
			x := coreVec(rng, heads*hd)
			got := append([]float32(nil), x...)
			r.Apply(got, heads, pos)
			for h := 0; h < heads; h++ {
				for j := 0; j < hd/2; j++ {
					a := float64(pos) / math.Pow(10000, float64(2*j)/hd)
					i0, i1 := j, j+hd/2
					if inter {
						i0, i1 = 2*j, 2*j+1
					}
					x0, x1 := float64(x[h*hd+i0]), float64(x[h*hd+i1])
					w0 := x0*math.Cos(a) - x1*math.Sin(a)
					w1 := x1*math.Cos(a) + x0*math.Sin(a)
					tol := 1e-6 * (1 + float64(pos))
					if math.Abs(float64(got[h*hd+i0])-w0) > tol || math.Abs(float64(got[h*hd+i1])-w1) > tol {
						t.Fatalf("interleaved=%v pos %d: rotation wrong", inter, pos)
					}
				}
			}
		}
	}
}

func TestActivations(t *testing.T) {
	x := []float32{-30, -3, -0.5, 0, 0.5, 3, 30}
	got := make([]float32, len(x))
	GELU(got, x)
	for i, v := range x {
		want := 0.5 * float64(v) * (1 + math.Erf(float64(v)/math.Sqrt2))
		if math.Abs(float64(got[i])-want) > 1e-6*(1+math.Abs(want)) {
			t.Fatalf("GELU(%v) = %v, want %v", v, got[i], want)
		}
	}
	GELUTanh(got, x)
	for i, v := range x {
		f := float64(v)
		want := 0.5 * f * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(f+0.044715*f*f*f)))
		if math.Abs(float64(got[i])-want) > 1e-6*(1+math.Abs(want)) {
			t.Fatalf("GELUTanh(%v) = %v, want %v", v, got[i], want)
		}
	}
	s := []float32{1, 2, 3, float32(math.Inf(-1))}
	Softmax(s)
	var sum float64
	for _, v := range s {
		sum += float64(v)
	}
	if math.Abs(sum-1) > 1e-6 || s[3] != 0 || !(s[2] > s[1] && s[1] > s[0]) {
		t.Fatalf("Softmax = %v", s)
	}
}

// naiveAttention is softmax(qKᵀ/√d)V in float64 from the cache's values.
func naiveAttention(c *KVCache, layer int, q []float32, nq, nHeads, pos0 int, mask func(int, int) bool) []float64 {
	hd := c.headDim
	out := make([]float64, nq*nHeads*hd)
	k, v := make([]float32, c.kvHeads*hd), make([]float32, c.kvHeads*hd)
	for i := 0; i < nq; i++ {
		for h := 0; h < nHeads; h++ {
			kh := h / (nHeads / c.kvHeads)
			T := pos0 + i + 1
			scores := make([]float64, T)
			m := math.Inf(-1)
			for t := 0; t < T; t++ {
				c.Read(layer, t, k, v)
				var s float64
				for j := 0; j < hd; j++ {
					s += float64(q[(i*nHeads+h)*hd+j]) * float64(k[kh*hd+j])
				}
				scores[t] = s / math.Sqrt(float64(hd))
				if mask != nil && !mask(i, t) {
					scores[t] = math.Inf(-1)
				}
				m = math.Max(m, scores[t])
			}
			var z float64
			for t := range scores {
				scores[t] = math.Exp(scores[t] - m)
				z += scores[t]
			}
			for t := 0; t < T; t++ {
				c.Read(layer, t, k, v)
				for j := 0; j < hd; j++ {
					out[(i*nHeads+h)*hd+j] += scores[t] / z * float64(v[kh*hd+j])
				}
			}
		}
	}
	return out
}

func TestAttentionAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	const layers, hd = 2, 16
	for _, f32 := range []bool{false, true} {
		for _, heads := range [][2]int{{4, 4}, {8, 2}} {
			for _, tc := range []struct {
				pos0, nq int
				mask     func(int, int) bool
			}{{0, 1, nil}, {0, 7, nil}, {300, 1, nil}, {290, 13, nil}, {5, 4, func(i, k int) bool { return k%3 != 1 }}} {
				nHeads, kvHeads := heads[0], heads[1]
				c := NewKVCache(layers, kvHeads, hd, 512, f32)
				for p := 0; p < tc.pos0+tc.nq; p++ {
					c.Store(1, p, coreVec(rng, kvHeads*hd), coreVec(rng, kvHeads*hd))
				}
				q := coreVec(rng, tc.nq*nHeads*hd)
				want := naiveAttention(c, 1, q, tc.nq, nHeads, tc.pos0, tc.mask)
				var first []float32
				for _, threads := range []int{1, 2, 3} {
					out := make([]float32, len(q))
					Attention(runtime.NewPool(threads), c, 1, q, tc.nq, nHeads, tc.pos0, tc.mask, out)
					for i := range out {
						if math.Abs(float64(out[i])-want[i]) > 1e-5 {
							t.Fatalf("f32=%v heads=%v pos0=%d nq=%d: %g vs %g", f32, heads, tc.pos0, tc.nq, out[i], want[i])
						}
					}
					if first == nil {
						first = out
					} else {
						for i := range out {
							if out[i] != first[i] {
								t.Fatalf("threads=%d differs from 1 thread", threads)
							}
						}
					}
				}
			}
		}
	}
}

func TestNoAllocsSteadyState(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	p := runtime.NewPool(2)
	w := randMatOf(rng, F16, 256, 128)
	x, y := coreVec(rng, 128), make([]float32, 256)
	MatVec(p, w, x, y)
	if a := testing.AllocsPerRun(50, func() { MatVec(p, w, x, y) }); a > 0 {
		t.Errorf("MatVec: %v allocations per call", a)
	}
	c := NewKVCache(1, 2, 16, 64, false)
	for i := 0; i < 10; i++ {
		c.Store(0, i, coreVec(rng, 32), coreVec(rng, 32))
	}
	q, out := coreVec(rng, 4*16), make([]float32, 4*16)
	Attention(p, c, 0, q, 1, 4, 9, nil, out)
	if a := testing.AllocsPerRun(50, func() { Attention(p, c, 0, q, 1, 4, 9, nil, out) }); a > 0 {
		t.Errorf("Attention: %v allocations per call", a)
	}
}

func TestKVCacheReadBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, f32 := range []bool{false, true} {
		c := NewKVCache(2, 2, 8, 4, f32)
		k, v := coreVec(rng, 16), coreVec(rng, 16)
		c.Store(1, 3, k, v)
		gk, gv := make([]float32, 16), make([]float32, 16)
		c.Read(1, 3, gk, gv)
		for i := range k {
			wk, wv := k[i], v[i]
			if !f32 {
				wk, wv = asm.F16(asm.ToF16(wk)), asm.F16(asm.ToF16(wv))
			}
			if gk[i] != wk || gv[i] != wv {
				t.Fatalf("f32=%v: read back %v/%v, want %v/%v", f32, gk[i], gv[i], wk, wv)
			}
		}
	}
}

// TestKVCacheGrowsOnDemand: a cache of a huge capacity allocates only what
// is stored, and keeps every stored position (keys and the transposed
// values) across each regrowth, whether or not Len was set.
func TestKVCacheGrowsOnDemand(t *testing.T) {
	for _, f32 := range []bool{false, true} {
		const layers, kvHeads, hd = 2, 2, 8
		c := NewKVCache(layers, kvHeads, hd, 1<<24, f32)
		if c.Bytes() != 0 {
			t.Fatalf("f32=%v: a new cache holds %d bytes", f32, c.Bytes())
		}
		d := kvHeads * hd
		val := func(l, p, e int) float32 { return float32((l*7+p*3+e)%64) / 4 }
		k, v := make([]float32, d), make([]float32, d)
		const n = 3*minKVAlloc + 5
		for p := 0; p < n; p++ {
			for l := 0; l < layers; l++ {
				for e := range k {
					k[e], v[e] = val(l, p, e), -val(l, p, e)
				}
				c.Store(l, p, k, v)
			}
			if p == n/2 {
				c.SetLen(p + 1)
			}
		}
		c.SetLen(n)
		if max := int64(2*layers*4*n*d) * 2; c.Bytes() > max {
			t.Fatalf("f32=%v: %d bytes for %d positions, want at most %d", f32, c.Bytes(), n, max)
		}
		for p := 0; p < n; p++ {
			for l := 0; l < layers; l++ {
				c.Read(l, p, k, v)
				for e := range k {
					if k[e] != val(l, p, e) || v[e] != -val(l, p, e) {
						t.Fatalf("f32=%v: layer %d position %d element %d: k %g v %g, want %g", f32, l, p, e, k[e], v[e], val(l, p, e))
					}
				}
			}
		}
	}
}
