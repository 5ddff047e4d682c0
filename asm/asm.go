// Package asm holds chatumm's SIMD primitives: dot products against f16, bf16
// and f32 weights, format conversions, element-wise vector kernels and the GEMM
// micro-kernel.
//
// Every kernel exists as a pure-Go twin (generic.go) with the same semantics,
// plus hand-written Go assembly for amd64 (AVX2+FMA+F16C, AVX-512) and arm64
// (NEON). The implementation is chosen once from the CPU's features; the
// environment variable CHATUMM_CPU=generic|avx2|avx512|neon forces one, so
// every path can be tested on one machine. Kernels never allocate and always
// accumulate in float32.
//
// Slice conventions: the length of the activation vector x decides n; weight
// slices must hold at least the elements a call reads (the exported wrappers
// check this and panic on a programming error, never read out of bounds).
package asm

import (
	"fmt"
	"os"
	"strings"
)

// Kernels is one implementation of every primitive. An arch implementation
// may leave a field nil; it is then filled from the generic twin.
type Kernels struct {
	Name string

	// DotF32 returns sum a[i]*b[i] over i < len(a); len(b) >= len(a).
	DotF32 func(a, b []float32) float32
	// DotF16 returns sum f16(w[i])*x[i] over i < len(x).
	DotF16 func(w []uint16, x []float32) float32
	// DotBF16 returns sum bf16(w[i])*x[i] over i < len(x).
	DotBF16 func(w []uint16, x []float32) float32

	// RowsF32/F16/BF16 compute y[r] = dot(w[r*stride : r*stride+len(x)], x)
	// for every r < len(y): several weight rows per call so x stays in registers.
	RowsF32  func(w []float32, stride int, x, y []float32)
	RowsF16  func(w []uint16, stride int, x, y []float32)
	RowsBF16 func(w []uint16, stride int, x, y []float32)

	// F16ToF32 and BF16ToF32 widen len(dst) values; F32ToF16 narrows len(dst)
	// values with round-to-nearest-even (IEEE, like VCVTPS2PH $0 / FCVTN).
	F16ToF32  func(dst []float32, src []uint16)
	BF16ToF32 func(dst []float32, src []uint16)
	F32ToF16  func(dst []uint16, src []float32)

	// Axpy: y[i] += a*x[i] for i < len(y). AxpyF16 and AxpyBF16: the same
	// with f16 or bf16 x.
	Axpy     func(a float32, x, y []float32)
	AxpyF16  func(a float32, x []uint16, y []float32)
	AxpyBF16 func(a float32, x []uint16, y []float32)
	// Scale: x[i] *= a.
	Scale func(a float32, x []float32)
	// Add: dst[i] = a[i] + b[i]; Mul: dst[i] = a[i] * b[i], for i < len(dst).
	Add func(dst, a, b []float32)
	Mul func(dst, a, b []float32)
	// Sum and SumSq reduce x; Max returns the largest element (-Inf for empty).
	Sum   func(x []float32) float32
	SumSq func(x []float32) float32
	Max   func(x []float32) float32
	// ExpSub: dst[i] = exp(x[i] - m) for i < len(dst), returns the sum of dst.
	ExpSub func(dst, x []float32, m float32) float32
	// SiLU: dst[i] = x[i]/(1+exp(-x[i])). SwiGLU: dst[i] = silu(gate[i])*up[i].
	SiLU   func(dst, x []float32)
	SwiGLU func(dst, gate, up []float32)

	// GEMM micro-kernel: C[MR×NR] += A·B over k, with A packed k-major
	// (a[p*GemmMR+i]) and B packed k-major (b[p*GemmNR+j]); c[i*ldc+j].
	GemmMR, GemmNR int
	GemmMicro      func(k int, a, b, c []float32, ldc int)
}

var (
	active    *Kernels
	available []*Kernels
	selectErr error
)

func init() {
	available = append([]*Kernels{Generic()}, archKernels()...)
	for _, k := range available[1:] {
		fillFromGeneric(k)
	}
	active = best()
	if want := strings.TrimSpace(os.Getenv("CHATUMM_CPU")); want != "" {
		selectErr = Use(want)
	}
}

func best() *Kernels { return available[len(available)-1] }

// Available lists the implementations this CPU can run, generic first and
// the fastest last.
func Available() []*Kernels { return available }

// Active is the implementation in use.
func Active() *Kernels { return active }

// SelectionError reports a CHATUMM_CPU value that could not be honoured.
// Programs should check it at start and exit with the message.
func SelectionError() error { return selectErr }

// Use switches to the named implementation ("generic", "avx2", "avx512",
// "neon"). An implementation the CPU cannot run is an error, never a SIGILL.
func Use(name string) error {
	var names []string
	for _, k := range available {
		if k.Name == name {
			active = k
			return nil
		}
		names = append(names, k.Name)
	}
	return fmt.Errorf("CHATUMM_CPU=%s: not available on this CPU (available: %s)", name, strings.Join(names, ", "))
}

// Lookup returns the named implementation or nil.
func Lookup(name string) *Kernels {
	for _, k := range available {
		if k.Name == name {
			return k
		}
	}
	return nil
}

func fillFromGeneric(k *Kernels) {
	g := Generic()
	if k.DotF32 == nil {
		k.DotF32 = g.DotF32
	}
	if k.DotF16 == nil {
		k.DotF16 = g.DotF16
	}
	if k.DotBF16 == nil {
		k.DotBF16 = g.DotBF16
	}
	if k.RowsF32 == nil {
		k.RowsF32 = g.RowsF32
	}
	if k.RowsF16 == nil {
		k.RowsF16 = g.RowsF16
	}
	if k.RowsBF16 == nil {
		k.RowsBF16 = g.RowsBF16
	}
	if k.F16ToF32 == nil {
		k.F16ToF32 = g.F16ToF32
	}
	if k.BF16ToF32 == nil {
		k.BF16ToF32 = g.BF16ToF32
	}
	if k.F32ToF16 == nil {
		k.F32ToF16 = g.F32ToF16
	}
	if k.Axpy == nil {
		k.Axpy = g.Axpy
	}
	if k.AxpyF16 == nil {
		k.AxpyF16 = g.AxpyF16
	}
	if k.AxpyBF16 == nil {
		k.AxpyBF16 = g.AxpyBF16
	}
	if k.Scale == nil {
		k.Scale = g.Scale
	}
	if k.Add == nil {
		k.Add = g.Add
	}
	if k.Mul == nil {
		k.Mul = g.Mul
	}
	if k.Sum == nil {
		k.Sum = g.Sum
	}
	if k.SumSq == nil {
		k.SumSq = g.SumSq
	}
	if k.Max == nil {
		k.Max = g.Max
	}
	if k.ExpSub == nil {
		k.ExpSub = g.ExpSub
	}
	if k.SiLU == nil {
		k.SiLU = g.SiLU
	}
	if k.SwiGLU == nil {
		k.SwiGLU = g.SwiGLU
	}
	if k.GemmMicro == nil {
		k.GemmMR, k.GemmNR, k.GemmMicro = g.GemmMR, g.GemmNR, g.GemmMicro
	}
}
