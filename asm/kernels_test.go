package asm

// Cross-implementation tests: every SIMD implementation the CPU can run is
// compared, field by field, with the pure-Go twin, and the twin itself is
// compared with a float64 reference. GEMM fields are left to gemm_test.go.
//
// Tolerances follow from the arithmetic, not from trial and error:
//   - A float32 sum of n products computed in any order (any number of
//     accumulators, fused or not) is within γ·Σ|a_i·b_i| of the exact value,
//     γ = n·u/(1-n·u) with u = 2^-24 (Higham, "Accuracy and Stability of
//     Numerical Algorithms", §3.1). Two such sums differ by at most twice
//     that, so we allow (n+2)·eps32·Σ|a_i·b_i| with eps32 = 2^-23 = 2u
//     (the +2 covers the final rounding of each result and the tail order).
//   - Conversions are exact operations and must agree bit for bit.
//   - Add, Mul and Scale are one IEEE operation per element: bit-exact.
//     Axpy may be fused on one side and not the other: one rounding apart,
//     |diff| <= eps32·(|a·x| + |y|).
//   - exp-based kernels run the same algorithm in both twins; they may differ
//     by fused vs. separate rounding, so a few ulp.

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

const eps32 = 1.0 / (1 << 23)

// testLengths covers every tail shape of 4-, 8-, 16- and 64-element loops
// plus a few long vectors.
func testLengths() []int {
	var ns []int
	for n := 0; n <= 300; n++ {
		ns = append(ns, n)
	}
	return append(ns, 1000, 4097, 65536)
}

var testOffsets = []int{0, 1, 3}

// simdImpls are the implementations under test: everything but generic.
func simdImpls(t *testing.T) []*Kernels {
	var ks []*Kernels
	for _, k := range Available() {
		if k.Name != "generic" {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		t.Skip("no SIMD implementation on this CPU/build")
	}
	return ks
}

// Random inputs. Each slice is allocated with off extra elements in front and
// returned from element off, so the kernels see unaligned data.

func randF32(r *rand.Rand, n, off int, scale float32) []float32 {
	v := make([]float32, n+off)
	for i := range v {
		v[i] = (r.Float32()*2 - 1) * scale
	}
	return v[off:]
}

func randF16(r *rand.Rand, n, off int) []uint16 {
	v := make([]uint16, n+off)
	for i := range v {
		v[i] = ToF16((r.Float32()*2 - 1) * 4)
	}
	return v[off:]
}

func randBF16(r *rand.Rand, n, off int) []uint16 {
	v := make([]uint16, n+off)
	for i := range v {
		v[i] = uint16(math.Float32bits((r.Float32()*2-1)*4) >> 16)
	}
	return v[off:]
}

// dotBound is the allowed |difference| between two float32 dot products of n
// terms whose absolute products sum to absSum (see the file comment).
func dotBound(n int, absSum float64) float64 {
	return float64(n+2)*eps32*absSum + 1e-37
}

func absDot(n int, a func(i int) float64, b []float32) float64 {
	var s float64
	for i := 0; i < n; i++ {
		s += math.Abs(a(i) * float64(b[i]))
	}
	return s
}

// ulpDist is the number of representable float32 values between a and b
// (0 for two NaNs, huge for NaN against a number).
func ulpDist(a, b float32) int64 {
	an, bn := a != a, b != b
	if an || bn {
		if an && bn {
			return 0
		}
		return math.MaxInt64
	}
	ord := func(f float32) int64 {
		u := math.Float32bits(f)
		if u&0x80000000 != 0 {
			return -int64(u & 0x7fffffff)
		}
		return int64(u)
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return d
}

func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

func TestDotMatchesGeneric(t *testing.T) {
	g := Generic()
	r := rand.New(rand.NewSource(1))
	for _, k := range simdImpls(t) {
		for _, n := range testLengths() {
			for _, off := range testOffsets {
				a, b := randF32(r, n, off, 1), randF32(r, n, off+1, 1)
				h, bh := randF16(r, n, off), randBF16(r, n, off)
				bound := dotBound(n, absDot(n, func(i int) float64 { return float64(a[i]) }, b))
				if got, want := k.DotF32(a, b), g.DotF32(a, b); math.Abs(float64(got-want)) > bound {
					t.Fatalf("%s DotF32 n=%d off=%d: %v, generic %v (bound %g)", k.Name, n, off, got, want, bound)
				}
				bound = dotBound(n, absDot(n, func(i int) float64 { return float64(F16(h[i])) }, b))
				if got, want := k.DotF16(h, b), g.DotF16(h, b); math.Abs(float64(got-want)) > bound {
					t.Fatalf("%s DotF16 n=%d off=%d: %v, generic %v (bound %g)", k.Name, n, off, got, want, bound)
				}
				bound = dotBound(n, absDot(n, func(i int) float64 { return float64(BF16(bh[i])) }, b))
				if got, want := k.DotBF16(bh, b), g.DotBF16(bh, b); math.Abs(float64(got-want)) > bound {
					t.Fatalf("%s DotBF16 n=%d off=%d: %v, generic %v (bound %g)", k.Name, n, off, got, want, bound)
				}
				bound = dotBound(n, absDot(n, func(i int) float64 { return float64(a[i]) }, a))
				if got, want := k.SumSq(a), g.SumSq(a); math.Abs(float64(got-want)) > bound {
					t.Fatalf("%s SumSq n=%d off=%d: %v, generic %v (bound %g)", k.Name, n, off, got, want, bound)
				}
				bound = dotBound(n, absDot(n, func(int) float64 { return 1 }, a))
				if got, want := k.Sum(a), g.Sum(a); math.Abs(float64(got-want)) > bound {
					t.Fatalf("%s Sum n=%d off=%d: %v, generic %v (bound %g)", k.Name, n, off, got, want, bound)
				}
				if got, want := k.Max(a), g.Max(a); got != want {
					t.Fatalf("%s Max n=%d off=%d: %v, generic %v", k.Name, n, off, got, want)
				}
			}
		}
	}
}

// TestMaxSkipsNaN: Max follows the generic "v > m" loop, so NaNs are ignored
// and an all-NaN (or empty) vector gives -Inf.
func TestMaxSkipsNaN(t *testing.T) {
	nan := float32(math.NaN())
	for _, k := range Available() {
		for _, n := range []int{0, 1, 5, 8, 17, 33, 64, 100} {
			x := make([]float32, n)
			for i := range x {
				x[i] = nan
			}
			if got := k.Max(x); !math.IsInf(float64(got), -1) {
				t.Fatalf("%s Max(all NaN, n=%d) = %v, want -Inf", k.Name, n, got)
			}
			for i := range x {
				x[i] = float32(i%7) - 100
				if i%3 == 0 {
					x[i] = nan
				}
			}
			if got, want := k.Max(x), Generic().Max(x); got != want {
				t.Fatalf("%s Max(with NaNs, n=%d) = %v, generic %v", k.Name, n, got, want)
			}
		}
	}
}

func TestConversionsMatchGeneric(t *testing.T) {
	g := Generic()
	// Every half/bfloat16 bit pattern, widened: bit-exact including NaNs.
	all := make([]uint16, 1<<16)
	for i := range all {
		all[i] = uint16(i)
	}
	for _, k := range simdImpls(t) {
		for _, off := range testOffsets {
			src := all[off:]
			got, want := make([]float32, len(src)), make([]float32, len(src))
			k.F16ToF32(got, src)
			g.F16ToF32(want, src)
			compareBits(t, k.Name+" F16ToF32", got, want)
			k.BF16ToF32(got, src)
			g.BF16ToF32(want, src)
			compareBits(t, k.Name+" BF16ToF32", got, want)
		}
	}
	// Narrowing: every f16 value, the midpoints between neighbours and their
	// float32 neighbours (the ties and near-ties of round-to-nearest-even),
	// overflow and underflow ranges, NaNs with every kind of payload, and
	// random bit patterns.
	var in []float32
	for h := 0; h < 1<<16; h++ {
		f := F16(uint16(h))
		next := F16(uint16(h + 1))
		in = append(in, f)
		if f == f && next == next && !math.IsInf(float64(f), 0) && !math.IsInf(float64(next), 0) {
			mid := float32((float64(f) + float64(next)) / 2)
			in = append(in, mid, math.Nextafter32(mid, float32(math.Inf(1))), math.Nextafter32(mid, float32(math.Inf(-1))))
		}
	}
	in = append(in, 65504, 65519.99, 65520, 1e10, float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)),
		math.Float32frombits(1), 1e-8, 2.98e-8, 2.9802322e-8, 5.96e-8, -3e-8)
	for _, bits := range []uint32{0x7f800001, 0x7fc00000, 0x7fffffff, 0xff800001, 0xffc00001, 0x7f802000, 0x7fa00000, 0x7f800fff} {
		in = append(in, math.Float32frombits(bits))
	}
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 1<<16; i++ {
		in = append(in, math.Float32frombits(r.Uint32()))
		// Exponents near the half-precision range, random mantissas.
		e := uint32(100+r.Intn(50)) << 23
		in = append(in, math.Float32frombits(r.Uint32()&0x807fffff|e))
	}
	for _, k := range simdImpls(t) {
		for _, off := range testOffsets {
			src := in[off:]
			got, want := make([]uint16, len(src)), make([]uint16, len(src))
			k.F32ToF16(got, src)
			g.F32ToF16(want, src)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s F32ToF16(%v = %#08x): %#04x, generic %#04x", k.Name, src[i], math.Float32bits(src[i]), got[i], want[i])
				}
			}
		}
		// Long inputs cross the wrappers' chunking of conversion calls.
		long := make([]uint16, 3<<16+37)
		for i := range long {
			long[i] = uint16(r.Uint32())
		}
		f1, f2 := make([]float32, len(long)), make([]float32, len(long))
		k.F16ToF32(f1, long)
		g.F16ToF32(f2, long)
		compareBits(t, k.Name+" F16ToF32 long", f1, f2)
		k.BF16ToF32(f1, long)
		g.BF16ToF32(f2, long)
		compareBits(t, k.Name+" BF16ToF32 long", f1, f2)
		// Short lengths exercise every tail path.
		for _, n := range testLengths()[:70] {
			got, want := make([]uint16, n), make([]uint16, n)
			k.F32ToF16(got, in[3:3+n])
			g.F32ToF16(want, in[3:3+n])
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s F32ToF16 n=%d i=%d: %#04x, generic %#04x", k.Name, n, i, got[i], want[i])
				}
			}
			f1, f2 := make([]float32, n), make([]float32, n)
			k.F16ToF32(f1, all[5:5+n])
			g.F16ToF32(f2, all[5:5+n])
			compareBits(t, k.Name+" F16ToF32", f1, f2)
		}
	}
}

func compareBits(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s n=%d i=%d: %v (%#08x), generic %v (%#08x)", name, len(got), i,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func TestElementwiseMatchGeneric(t *testing.T) {
	g := Generic()
	r := rand.New(rand.NewSource(4))
	for _, k := range simdImpls(t) {
		for _, n := range testLengths() {
			for _, off := range testOffsets {
				a, b := randF32(r, n, off, 3), randF32(r, n, off+2, 3)
				h := randF16(r, n, off)
				got, want := make([]float32, n+1)[1:], make([]float32, n)

				copy(got, b)
				copy(want, b)
				k.Axpy(0.37, a, got)
				g.Axpy(0.37, a, want)
				for i := range got {
					if d := math.Abs(float64(got[i] - want[i])); d > eps32*(math.Abs(0.37*float64(a[i]))+math.Abs(float64(b[i]))) {
						t.Fatalf("%s Axpy n=%d i=%d: %v, generic %v", k.Name, n, i, got[i], want[i])
					}
				}
				copy(got, b)
				copy(want, b)
				k.AxpyF16(-1.7, h, got)
				g.AxpyF16(-1.7, h, want)
				for i := range got {
					if d := math.Abs(float64(got[i] - want[i])); d > eps32*(math.Abs(1.7*float64(F16(h[i])))+math.Abs(float64(b[i]))) {
						t.Fatalf("%s AxpyF16 n=%d i=%d: %v, generic %v", k.Name, n, i, got[i], want[i])
					}
				}
				copy(got, b)
				copy(want, b)
				k.AxpyBF16(0.9, h, got)
				g.AxpyBF16(0.9, h, want)
				for i := range got {
					if d := math.Abs(float64(got[i] - want[i])); d > eps32*(math.Abs(0.9*float64(BF16(h[i])))+math.Abs(float64(b[i]))) {
						t.Fatalf("%s AxpyBF16 n=%d i=%d: %v, generic %v", k.Name, n, i, got[i], want[i])
					}
				}
				copy(got, a)
				copy(want, a)
				k.Scale(-3.3, got)
				g.Scale(-3.3, want)
				compareBits(t, fmt.Sprintf("%s Scale off=%d", k.Name, off), got, want)
				k.Add(got, a, b)
				g.Add(want, a, b)
				compareBits(t, fmt.Sprintf("%s Add off=%d", k.Name, off), got, want)
				k.Mul(got, a, b)
				g.Mul(want, a, b)
				compareBits(t, fmt.Sprintf("%s Mul off=%d", k.Name, off), got, want)

				// exp arguments over the whole useful range, including
				// overflow, underflow and subnormal results.
				xs := randF32(r, n, off, 110)
				sGot := k.ExpSub(got, xs, 2.5)
				sWant := g.ExpSub(want, xs, 2.5)
				compareUlps(t, k.Name+" ExpSub", xs, got, want, 2)
				var abs float64
				for _, e := range want {
					abs += math.Abs(float64(e))
				}
				if d := math.Abs(float64(sGot - sWant)); d > dotBound(n, abs) && !(math.IsInf(float64(sGot), 1) && math.IsInf(float64(sWant), 1)) {
					t.Fatalf("%s ExpSub sum n=%d: %v, generic %v", k.Name, n, sGot, sWant)
				}
				k.SiLU(got, xs)
				g.SiLU(want, xs)
				compareUlps(t, k.Name+" SiLU", xs, got, want, 4)
				k.SwiGLU(got, xs, a)
				g.SwiGLU(want, xs, a)
				compareUlps(t, k.Name+" SwiGLU", xs, got, want, 4)
			}
		}
	}
}

// compareUlps allows maxUlp ulp, or an absolute 2^-140 for results deep in
// the subnormal range where one ulp is a large relative step.
func compareUlps(t *testing.T, name string, x, got, want []float32, maxUlp int64) {
	t.Helper()
	for i := range got {
		if ulpDist(got[i], want[i]) > maxUlp && math.Abs(float64(got[i]-want[i])) > 0x1p-140 {
			t.Fatalf("%s n=%d i=%d x=%v: %v, generic %v (%d ulp)", name, len(got), i, x[i], got[i], want[i], ulpDist(got[i], want[i]))
		}
	}
}

// TestExpSpecialValues checks the edges of the exp range in every
// implementation: -Inf gives 0, +Inf and overflow give +Inf, NaN stays NaN,
// and all implementations agree within 2 ulp. (silu(-Inf) is -Inf/+Inf =
// NaN everywhere; activations are never infinite.)
func TestExpSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	var xs []float32
	for v := float32(-120); v < 100; v += 0.0137 {
		xs = append(xs, v)
	}
	xs = append(xs, 0, float32(math.Copysign(0, -1)), inf, -inf, nan, 88.72283, 88.72284, 89, 89.5,
		-87.33654, -87.33655, -103.27892, -103.97207, -103.97208, -104, -105, 1e-8, -1e-8, 1e-30)
	g := Generic()
	want := make([]float32, len(xs))
	g.ExpSub(want, xs, 0)
	for i, x := range xs {
		switch {
		case x != x:
			if want[i] == want[i] {
				t.Fatalf("generic exp(NaN) = %v", want[i])
			}
		case math.IsInf(float64(x), -1) || x < -104:
			if want[i] != 0 {
				t.Fatalf("generic exp(%v) = %v, want 0", x, want[i])
			}
		case x > 88.8:
			if !math.IsInf(float64(want[i]), 1) {
				t.Fatalf("generic exp(%v) = %v, want +Inf", x, want[i])
			}
		}
	}
	for _, k := range Available() {
		got := make([]float32, len(xs))
		k.ExpSub(got, xs, 0)
		compareUlps(t, k.Name+" exp edges", xs, got, want, 2)
		silu := make([]float32, len(xs))
		k.SiLU(silu, xs)
		for i, x := range xs {
			switch {
			case math.IsInf(float64(x), 1) && !math.IsInf(float64(silu[i]), 1):
				t.Fatalf("%s silu(+Inf) = %v", k.Name, silu[i])
			}
		}
	}
}

// TestNoAllocs: kernels never allocate, also on their tail paths.
// (Every field of the table is called here.)
func TestNoAllocs(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	n := 4*64 + 13 // whole vectors plus a tail for every width
	a, b := randF32(r, 4*n, 1, 1), randF32(r, n, 3, 1)
	h := randF16(r, 4*n, 1)
	y := make([]float32, 7)
	d := make([]float32, n)
	d16 := make([]uint16, n)
	for _, k := range Available() {
		mr, nr := k.GemmMR, k.GemmNR
		ga, gb, gc := make([]float32, 3*mr), make([]float32, 17*nr), make([]float32, mr*nr)
		wsrc, wdst := make([]float32, 4*34), make([]float32, 16*16)
		allocs := testing.AllocsPerRun(5, func() {
			k.GemmMicro(3, ga, gb, gc, nr)
			k.GemmMicroSet(3, ga, gb, gc, nr)
			k.GemmPackF32(gb, a, 17, nr, 17, nr)
			k.GemmPackF16(gb, h, 17, nr, 17, nr)
			k.GemmPackBF16(gb, h, 17, nr-1, 17, nr)
			k.GemmPackColsF32(gb, a, nr, nr, 17, nr)
			k.GemmPackColsF16(gb, h, nr, nr, 17, nr)
			k.GemmPackColsBF16(gb, h, nr, nr-1, 17, nr)
			k.WinogradInput16(wsrc, 34, wdst, 16)
			k.WinogradOutput16(wdst, 16, wsrc[:32], wsrc[32:64], 1)
			k.FMAPeak(10)
			k.DotF32(b, a)
			k.DotF16(h, b)
			k.DotBF16(h, b)
			k.RowsF32(a, n/2, b[:n/2], y)
			k.RowsF16(h, n/2, b[:n/2], y)
			k.RowsBF16(h, n/2, b[:n/2], y)
			k.F16ToF32(d, h)
			k.BF16ToF32(d, h)
			k.F32ToF16(d16, b)
			k.Axpy(2, b, d)
			k.AxpyF16(2, h, d)
			k.AxpyBF16(2, h, d)
			k.Scale(2, d)
			k.Add(d, a, b)
			k.Mul(d, a, b)
			k.Sum(b)
			k.SumSq(b)
			k.Max(b)
			k.ExpSub(d, b, 1)
			k.SiLU(d, b)
			k.SwiGLU(d, a, b)
		})
		if allocs != 0 {
			t.Fatalf("%s kernels allocate %v times per run", k.Name, allocs)
		}
	}
}
