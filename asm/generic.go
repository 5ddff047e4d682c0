package asm

import (
	"math"

	"github.com/x448/float16"
)

// f16Table widens any half-precision bit pattern with one load; it is the
// pure-Go path's substitute for VCVTPH2PS/FCVTL.
var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = float16.Frombits(uint16(i)).Float32()
	}
	return &t
}()

// F16 widens one half-precision value.
func F16(h uint16) float32 { return f16Table[h] }

// BF16 widens one bfloat16 value.
func BF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// ToF16 narrows one value with round-to-nearest-even.
func ToF16(f float32) uint16 { return float16.Fromfloat32(f).Bits() }

var generic = &Kernels{
	Name:     "generic",
	DotF32:   dotF32Generic,
	DotF16:   dotF16Generic,
	DotBF16:  dotBF16Generic,
	RowsF32:  rowsF32Generic,
	RowsF16:  rowsF16Generic,
	RowsBF16: rowsBF16Generic,
	// RowsF32Multi, RowsF16Multi, RowsBF16Multi: one pass per vector,
	// built from the Rows fields above by fillFromGeneric.
	F16ToF32:  f16ToF32Generic,
	BF16ToF32: bf16ToF32Generic,
	F32ToF16:  f32ToF16Generic,
	Axpy:      axpyGeneric,
	AxpyF16:   axpyF16Generic,
	AxpyBF16:  axpyBF16Generic,
	Scale:     scaleGeneric,
	Add:       addGeneric,
	Mul:       mulGeneric,
	Sum:       sumGeneric,
	SumSq:     sumSqGeneric,
	Max:       maxGeneric,
	ExpSub:    expSubGeneric,
	SiLU:      siluGeneric,
	SwiGLU:    swigluGeneric,
	GemmMR:    4,
	GemmNR:    8,
	GemmMicro: gemmMicro4x8Generic,
	// GemmMicroSet is filled by fillFromGeneric (clear, then GemmMicro).
	GemmPackF32:      gemmPackF32Generic,
	GemmPackF16:      gemmPackF16Generic,
	GemmPackBF16:     gemmPackBF16Generic,
	GemmPackColsF32:  gemmPackColsF32Generic,
	GemmPackColsF16:  gemmPackColsF16Generic,
	GemmPackColsBF16: gemmPackColsBF16Generic,
	WinogradInput16:  winogradInput16Generic,
	WinogradOutput16: winogradOutput16Generic,
	FMAPeak:          peakLoop(fmaPeakGeneric, genericPeakFlops),
	QuantizeAct:      quantizeActGeneric,
	RowsQ:            rowsQGeneric,
	Dequantize:       dequantizeGeneric,
	RowsQ2:           rowsQ2Generic,
	RowsQ4:           rowsQ4Generic,
}

// Generic returns the pure-Go implementation.
func Generic() *Kernels { return generic }

// The dot products keep four partial sums, the same association the SIMD
// kernels use lane-wise, so results stay close for long vectors.

func dotF32Generic(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(a)
	b = b[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func dotF16Generic(w []uint16, x []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(x)
	w = w[:n]
	t := f16Table
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += t[w[i]] * x[i]
		s1 += t[w[i+1]] * x[i+1]
		s2 += t[w[i+2]] * x[i+2]
		s3 += t[w[i+3]] * x[i+3]
	}
	for ; i < n; i++ {
		s0 += t[w[i]] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func dotBF16Generic(w []uint16, x []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(x)
	w = w[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += BF16(w[i]) * x[i]
		s1 += BF16(w[i+1]) * x[i+1]
		s2 += BF16(w[i+2]) * x[i+2]
		s3 += BF16(w[i+3]) * x[i+3]
	}
	for ; i < n; i++ {
		s0 += BF16(w[i]) * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func rowsF32Generic(w []float32, stride int, x, y []float32) {
	for r := range y {
		y[r] = dotF32Generic(x, w[r*stride:]) // n comes from the first argument
	}
}

func rowsF16Generic(w []uint16, stride int, x, y []float32) {
	for r := range y {
		y[r] = dotF16Generic(w[r*stride:], x)
	}
}

func rowsBF16Generic(w []uint16, stride int, x, y []float32) {
	for r := range y {
		y[r] = dotBF16Generic(w[r*stride:], x)
	}
}

func f16ToF32Generic(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for i, h := range src {
		dst[i] = f16Table[h]
	}
}

func bf16ToF32Generic(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for i, h := range src {
		dst[i] = BF16(h)
	}
}

func f32ToF16Generic(dst []uint16, src []float32) {
	src = src[:len(dst)]
	for i, f := range src {
		dst[i] = ToF16(f)
	}
}

func axpyGeneric(a float32, x, y []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

func axpyF16Generic(a float32, x []uint16, y []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * f16Table[x[i]]
	}
}

func axpyBF16Generic(a float32, x []uint16, y []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * BF16(x[i])
	}
}

func scaleGeneric(a float32, x []float32) {
	for i := range x {
		x[i] *= a
	}
}

func addGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func mulGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func sumGeneric(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func sumSqGeneric(x []float32) float32 { return dotF32Generic(x, x) }

func maxGeneric(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m
}

func expSubGeneric(dst, x []float32, m float32) float32 {
	x = x[:len(dst)]
	var s float32
	for i := range dst {
		e := expf(x[i] - m)
		dst[i] = e
		s += e
	}
	return s
}

// Constants of expf (Cephes expf): ln 2 split in two so that n*expC1 is
// exact for |n| <= 150, and the minimax polynomial for (e^r-1-r)/r^2 on
// |r| <= ln2/2.
const (
	expHi    = 89.0           // exp(x) is +Inf in float32 above 88.73
	expLo    = -104.0         // and rounds to 0 below -103.98
	expLog2e = 1.44269504089  // 0x3fb8aa3b
	expC1    = 0.693359375    // 0x3f318000
	expC2    = -2.12194440e-4 // 0xb95e8083
	expP0    = 1.9875691500e-4
	expP1    = 1.3981999507e-3
	expP2    = 8.3334519073e-3
	expP3    = 4.1665795894e-2
	expP4    = 1.6666665459e-1
	expP5    = 0.5
)

// fma32 is a fused multiply-add rounded to float32, as VFMADD*PS and VFMLA
// compute it. The float64 FMA is exact in the product; rounding its result
// again to float32 can differ from a single rounding in rare ties (1 ulp).
func fma32(a, b, c float32) float32 {
	return float32(math.FMA(float64(a), float64(b), float64(c)))
}

// expf is exp(x) in float32, computed exactly as the SIMD kernels do (the
// AVX2/AVX-512 code in exp_amd64.s and the NEON code in exp_arm64.s), so the
// twins agree within an ulp:
//
//	x = clamp(x, -104, 89); n = round-to-even(x*log2e)
//	r = x - n*C1 - n*C2                     (two FMAs)
//	e = 1 + r + r^2*poly(r)                 (Horner with FMAs)
//	e = e * 2^(n>>1) * 2^(n-(n>>1))         (two steps keep both factors normal)
//
// The two-step scaling makes results below 2^-126 correctly rounded
// subnormals and x >= 88.73 overflow to +Inf. NaN stays NaN; -Inf gives 0.
// Max error against math.Exp: see TestGenericExpAccuracy.
func expf(x float32) float32 {
	if x != x {
		return x
	}
	x = min(max(x, expLo), expHi)
	n := float32(math.RoundToEven(float64(x * expLog2e)))
	r := fma32(-n, expC1, x)
	r = fma32(-n, expC2, r)
	p := fma32(expP0, r, expP1)
	p = fma32(p, r, expP2)
	p = fma32(p, r, expP3)
	p = fma32(p, r, expP4)
	p = fma32(p, r, expP5)
	e := fma32(p, r*r, r) + 1
	ni := int32(n)
	n1 := ni >> 1
	n2 := ni - n1
	e *= math.Float32frombits(uint32(n1+127) << 23)
	e *= math.Float32frombits(uint32(n2+127) << 23)
	return e
}

// silu uses expf so the SIMD kernels and this twin agree.
func silu(v float32) float32 { return v / (1 + expf(-v)) }

func siluGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = silu(x[i])
	}
}

func swigluGeneric(dst, gate, up []float32) {
	gate, up = gate[:len(dst)], up[:len(dst)]
	for i := range dst {
		dst[i] = silu(gate[i]) * up[i]
	}
}

func gemmMicro4x8Generic(k int, a, b, c []float32, ldc int) {
	gemmCheck(4, 8, k, a, b, c, ldc)
	gemmMicroGeneric(4, 8, k, a, b, c, ldc)
}

// gemmMicroGeneric is the reference for every GEMM micro-kernel shape.
func gemmMicroGeneric(mr, nr, k int, a, b, c []float32, ldc int) {
	a, b = a[:k*mr], b[:k*nr]
	for i := 0; i < mr; i++ {
		row := c[i*ldc : i*ldc+nr]
		for j := 0; j < nr; j++ {
			var s float32
			for p := 0; p < k; p++ {
				s += a[p*mr+i] * b[p*nr+j]
			}
			row[j] += s
		}
	}
}
