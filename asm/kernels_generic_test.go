package asm

// The generic twins against float64 references and math.Exp. The bounds
// are the one-sided halves of those in kernels_test.go: one float32
// computation against the exact value.

import (
	"math"
	"math/rand"
	"testing"
)

func TestGenericAgainstFloat64(t *testing.T) {
	g := Generic()
	r := rand.New(rand.NewSource(5))
	for _, n := range testLengths() {
		a, b := randF32(r, n, 0, 1), randF32(r, n, 0, 1)
		h, bh := randF16(r, n, 0), randBF16(r, n, 0)
		var dot, dotAbs, d16, d16Abs, db, dbAbs, sum, sumAbs float64
		for i := 0; i < n; i++ {
			p := float64(a[i]) * float64(b[i])
			dot, dotAbs = dot+p, dotAbs+math.Abs(p)
			p = float64(F16(h[i])) * float64(b[i])
			d16, d16Abs = d16+p, d16Abs+math.Abs(p)
			p = float64(BF16(bh[i])) * float64(b[i])
			db, dbAbs = db+p, dbAbs+math.Abs(p)
			sum, sumAbs = sum+float64(a[i]), sumAbs+math.Abs(float64(a[i]))
		}
		// One float32 computation against the exact value: half the
		// two-sided bound.
		check := func(name string, got float32, want, abs float64) {
			if d := math.Abs(float64(got) - want); d > dotBound(n, abs)/2 {
				t.Fatalf("generic %s n=%d: %v, float64 %v", name, n, got, want)
			}
		}
		check("DotF32", g.DotF32(a, b), dot, dotAbs)
		check("DotF16", g.DotF16(h, b), d16, d16Abs)
		check("DotBF16", g.DotBF16(bh, b), db, dbAbs)
		check("Sum", g.Sum(a), sum, sumAbs)
		rows := 3
		if n > 0 {
			w := randF32(r, rows*n, 0, 1)
			y := make([]float32, rows)
			g.RowsF32(w, n, b, y)
			for j := range y {
				var s, abs float64
				for i := 0; i < n; i++ {
					p := float64(w[j*n+i]) * float64(b[i])
					s, abs = s+p, abs+math.Abs(p)
				}
				check("RowsF32", y[j], s, abs)
			}
		}
	}
	// Widening against an independent decoder.
	for i := 0; i < 1<<16; i++ {
		if got, want := F16(uint16(i)), f16Decode(uint16(i)); !sameBits(got, float32(want)) && !(got != got && want != want) {
			t.Fatalf("F16(%#04x) = %v, want %v", i, got, want)
		}
		if got, want := BF16(uint16(i)), math.Float32frombits(uint32(i)<<16); !sameBits(got, want) {
			t.Fatalf("BF16(%#04x) = %v, want %v", i, got, want)
		}
	}
	// Narrowing picks the nearest half value (ties to even) for random
	// finite inputs inside the half range.
	for i := 0; i < 100000; i++ {
		f := (r.Float32()*2 - 1) * float32(math.Pow(2, float64(r.Intn(40)-24)))
		hb := ToF16(f)
		got := f16Decode(hb)
		for _, nb := range []uint16{hb - 1, hb + 1} {
			alt := f16Decode(nb)
			if math.IsNaN(alt) || math.IsInf(alt, 0) || math.Abs(alt) > 65504 || (nb^hb)&0x8000 != 0 {
				continue
			}
			dg, da := math.Abs(got-float64(f)), math.Abs(alt-float64(f))
			if da < dg || (da == dg && hb&1 != 0) {
				t.Fatalf("ToF16(%v) = %#04x (%v), but %#04x (%v) is nearer or even", f, hb, got, nb, alt)
			}
		}
	}
}

// f16Decode converts half-precision bits to float64 from the IEEE definition.
func f16Decode(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e, m := int(h>>10&0x1f), float64(h&0x3ff)
	switch e {
	case 0:
		return sign * m * math.Pow(2, -24)
	case 31:
		if m == 0 {
			return sign * math.Inf(1)
		}
		return math.NaN()
	}
	return sign * (1 + m/1024) * math.Pow(2, float64(e-15))
}

// TestGenericExpAccuracy measures the generic exp, SiLU and SwiGLU against
// math.Exp. The polynomial is accurate to about 1 ulp; results in the
// subnormal range (x < -87.34) lose relative precision, so there the bound
// is absolute: half of the smallest subnormal plus rounding.
func TestGenericExpAccuracy(t *testing.T) {
	g := Generic()
	var xs []float32
	for v := float32(-104); v < 88.7; v += 0.00731 {
		xs = append(xs, v)
	}
	e := make([]float32, len(xs))
	g.ExpSub(e, xs, 0)
	var maxUlp int64
	var worst float32
	for i, x := range xs {
		want := math.Exp(float64(x))
		if want < 0x1p-126 {
			if d := math.Abs(float64(e[i]) - want); d > 0x1p-149 {
				t.Fatalf("exp(%v) = %g, math.Exp %g (subnormal, diff %g)", x, e[i], want, d)
			}
			continue
		}
		if u := ulpDist(e[i], float32(want)); u > maxUlp {
			maxUlp, worst = u, x
		}
	}
	t.Logf("generic exp: max error %d ulp vs float32(math.Exp) over [-87.3, 88.7] (at x=%v)", maxUlp, worst)
	if maxUlp > 2 {
		t.Fatalf("generic exp error %d ulp at x=%v, want <= 2", maxUlp, worst)
	}

	s := make([]float32, len(xs))
	g.SiLU(s, xs)
	up := make([]float32, len(xs))
	for i := range up {
		up[i] = 1.5
	}
	sw := make([]float32, len(xs))
	g.SwiGLU(sw, xs, up)
	maxUlp = 0
	for i, x := range xs {
		want := float64(x) / (1 + math.Exp(-float64(x)))
		if math.Abs(want) < 0x1p-120 {
			continue // the ratio of an underflowed numerator: checked by ExpSub
		}
		if u := ulpDist(s[i], float32(want)); u > maxUlp {
			maxUlp, worst = u, x
		}
		if u := ulpDist(sw[i], float32(want*1.5)); u > 4 {
			t.Fatalf("swiglu(%v, 1.5) = %v, float64 %v (%d ulp)", x, sw[i], want*1.5, u)
		}
	}
	t.Logf("generic silu: max error %d ulp vs float64 (at x=%v)", maxUlp, worst)
	if maxUlp > 3 {
		t.Fatalf("generic silu error %d ulp at x=%v, want <= 3", maxUlp, worst)
	}
}

func TestGenericElementwiseAgainstFloat64(t *testing.T) {
	g := Generic()
	r := rand.New(rand.NewSource(6))
	n := 1000
	a, b := randF32(r, n, 0, 3), randF32(r, n, 0, 3)
	h := randF16(r, n, 0)
	y := make([]float32, n)
	check := func(name string, got []float32, want func(i int) float64) {
		for i := range got {
			w := want(i)
			if math.Abs(float64(got[i])-w) > eps32*math.Abs(w)+1e-38 {
				t.Fatalf("generic %s i=%d: %v, float64 %v", name, i, got[i], w)
			}
		}
	}
	g.Add(y, a, b)
	check("Add", y, func(i int) float64 { return float64(a[i]) + float64(b[i]) })
	g.Mul(y, a, b)
	check("Mul", y, func(i int) float64 { return float64(a[i]) * float64(b[i]) })
	copy(y, a)
	g.Scale(0.3, y)
	check("Scale", y, func(i int) float64 { return float64(a[i]) * float64(float32(0.3)) })
	copy(y, b)
	g.Axpy(0.3, a, y)
	for i := range y {
		w := float64(b[i]) + float64(float32(0.3))*float64(a[i])
		if math.Abs(float64(y[i])-w) > eps32*(math.Abs(float64(b[i]))+math.Abs(0.3*float64(a[i]))) {
			t.Fatalf("generic Axpy i=%d: %v, float64 %v", i, y[i], w)
		}
	}
	copy(y, b)
	g.AxpyF16(0.3, h, y)
	for i := range y {
		p := float64(float32(0.3)) * float64(F16(h[i]))
		if math.Abs(float64(y[i])-(float64(b[i])+p)) > eps32*(math.Abs(float64(b[i]))+math.Abs(p)) {
			t.Fatalf("generic AxpyF16 i=%d: %v", i, y[i])
		}
	}
	copy(y, b)
	g.AxpyBF16(0.3, h, y)
	for i := range y {
		p := float64(float32(0.3)) * float64(BF16(h[i]))
		if math.Abs(float64(y[i])-(float64(b[i])+p)) > eps32*(math.Abs(float64(b[i]))+math.Abs(p)) {
			t.Fatalf("generic AxpyBF16 i=%d: %v", i, y[i])
		}
	}
	m := float32(math.Inf(-1))
	var sq, sqAbs float64
	for i := range a {
		m = float32(math.Max(float64(m), float64(a[i])))
		sq += float64(a[i]) * float64(a[i])
	}
	sqAbs = sq
	if got := g.Max(a); got != m {
		t.Fatalf("generic Max: %v, want %v", got, m)
	}
	if got := g.SumSq(a); math.Abs(float64(got)-sq) > dotBound(n, sqAbs)/2 {
		t.Fatalf("generic SumSq: %v, float64 %v", got, sq)
	}
	xs := randF32(r, n, 0, 20)
	e := make([]float32, n)
	s := g.ExpSub(e, xs, 3)
	var sum float64
	for i := range xs {
		sum += math.Exp(float64(xs[i]) - 3)
	}
	if math.Abs(float64(s)-sum) > 1e-5*sum {
		t.Fatalf("generic ExpSub sum: %v, float64 %v", s, sum)
	}
}
