// Package asm holds chatumm's SIMD primitives: dot products against f16, bf16
// and f32 weights and against ggml block-quantized ones (quant.go), format
// conversions, element-wise vector kernels, the GEMM micro-kernel and panel
// packing, the Winograd tile transforms and the FMA-peak loop.
//
// Every primitive is a field of one table, Kernels, and every kernel path
// fills the whole table: "generic" is the pure-Go twin (generic.go, gemm.go,
// winograd.go, peak.go) and the reference for the others; "avx2" and
// "avx512" (amd64) and "neon" (arm64) are hand-written Go assembly behind
// one shared wrapper (simd.go). A path that has no assembly for a field gets
// the generic twin there. The path is chosen once from the CPU's features;
// CHATUMM_CPU=generic|avx2|avx512|neon forces one, so every path can be tested
// on one machine; a forced path this binary cannot run is never replaced by
// another: programs get it from SelectionError, test binaries exit at init.
// Kernels never allocate and always accumulate in float32.
//
// Slice conventions: the length of the activation vector x decides n; weight
// slices must hold at least the elements a call reads (the exported wrappers
// check this and panic on a programming error, never read out of bounds).
package asm

import (
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// Kernels is one implementation of every primitive.
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
	// RowsF32Multi/F16Multi/BF16Multi compute ys[v][r] = dot(row r, xs[v])
	// for lo <= r < hi and every v (rows_multi.go): each row read once for
	// several vectors, every result with the bits of RowsF32/F16/BF16.
	RowsF32Multi  func(w []float32, stride int, xs, ys [][]float32, lo, hi int)
	RowsF16Multi  func(w []uint16, stride int, xs, ys [][]float32, lo, hi int)
	RowsBF16Multi func(w []uint16, stride int, xs, ys [][]float32, lo, hi int)
	// RowsPrefetch says the Rows kernels prefetch their weights in
	// software, which keeps rows wider than L1 streaming at full speed.
	RowsPrefetch bool

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
	// GemmMicroSet stores A·B over C instead (C = A·B, also for k = 0), so a
	// first k block needs no cleared C.
	GemmMR, GemmNR int
	GemmMicro      func(k int, a, b, c []float32, ldc int)
	GemmMicroSet   func(k int, a, b, c []float32, ldc int)

	// Panel packing for the micro-kernel's B (gemm.go has the contracts):
	// GemmPackF32/F16/BF16 transpose rows of a row-major matrix into a
	// k-major panel; GemmPackColsF32/F16/BF16 copy a panel of a column-major
	// one. Packing only moves and widens, so every path gives the same bits.
	GemmPackF32      func(dst, src []float32, stride, rows, kc, nr int)
	GemmPackF16      func(dst []float32, src []uint16, stride, rows, kc, nr int)
	GemmPackBF16     func(dst []float32, src []uint16, stride, rows, kc, nr int)
	GemmPackColsF32  func(dst, src []float32, stride, n, kc, nr int)
	GemmPackColsF16  func(dst []float32, src []uint16, stride, n, kc, nr int)
	GemmPackColsBF16 func(dst []float32, src []uint16, stride, n, kc, nr int)

	// Winograd F(2×2, 3×3) tile transforms of 16 tiles (winograd.go has
	// the layouts); every path gives the same bits.
	WinogradInput16  func(src []float32, rowStride int, dst []float32, vStride int)
	WinogradOutput16 func(m []float32, mStride int, top, bot []float32, bias float32)

	// Block-quantized kernels, indexed by weight type (quant.go has the
	// formats; the QNone entries panic): QuantizeAct writes x in the
	// activation format type q pairs with; RowsQ computes y[r] =
	// dot(w[r*rowBytes:], x) over nb blocks per row from those activations;
	// Dequantize widens len(dst) values.
	QuantizeAct [NumQTypes]func(dst []byte, x []float32)
	RowsQ       [NumQTypes]func(w []byte, rowBytes, nb int, xq []byte, y []float32)
	Dequantize  [NumQTypes]func(dst []float32, src []byte)
	// RowsQ2 is RowsQ for two activation vectors at once (each weight
	// block is read once for both): y0 from xq0, y1 from xq1, len(y1) >=
	// len(y0) rows, bit for bit what two RowsQ calls of the same path give.
	RowsQ2 [NumQTypes]func(w []byte, rowBytes, nb int, xq0, xq1 []byte, y0, y1 []float32)
	// RowsQ4 is the same for four vectors: y[v] from xq[v], len(y[v]) >=
	// len(y[0]) rows.
	RowsQ4 [NumQTypes]func(w []byte, rowBytes, nb int, xq [4][]byte, y [4][]float32)
	// TileQ is the path's packed-tile prefill kernel per weight type
	// (quant_tile.go), nil where it has none: the generic path has none,
	// and a nil entry is not filled from it.
	TileQ [NumQTypes]*TileKernel

	// FMAPeak runs iters iterations of independent multiply-add chains on
	// the path's widest vectors, with no memory traffic, and returns the
	// float32 flops performed (peak.go).
	FMAPeak func(iters int) float64
}

// A kernel path: its CHATUMM_CPU name, the GOARCH it is built for ("" for
// all) and what the CPU must have, for the error when it cannot run.
type kernelPath struct{ name, goarch, needs string }

var knownPaths = []kernelPath{
	{"generic", "", ""},
	{"avx2", "amd64", "AVX2+FMA3+F16C"},
	{"avx512", "amd64", "AVX-512F/BW/VL"},
	{"neon", "arm64", "NEON"},
}

var (
	active    *Kernels
	available []*Kernels
	selectErr error
)

func init() {
	available = append([]*Kernels{Generic()}, archKernels()...)
	for _, k := range available {
		fillFromGeneric(k)
	}
	active = best()
	if want := strings.TrimSpace(os.Getenv("CHATUMM_CPU")); want != "" {
		selectErr = Use(want)
	}
	// A test binary forced onto a path that is not there would otherwise
	// test the default path and pass: fail it before any test runs.
	if selectErr != nil && testing.Testing() {
		fmt.Fprintf(os.Stderr, "asm: %v\n", selectErr)
		os.Exit(2)
	}
}

func best() *Kernels { return available[len(available)-1] }

// Available lists the implementations this CPU can run, generic first and
// the fastest last.
func Available() []*Kernels { return available }

// Active is the implementation in use.
func Active() *Kernels { return active }

// SelectionError reports a CHATUMM_CPU value that could not be honoured, as
// one line that names the value and the paths available. Programs check it
// at start and exit with the message; test binaries exit on it at init.
func SelectionError() error { return selectErr }

// Use switches to the named implementation ("generic", "avx2", "avx512",
// "neon"). An implementation the CPU cannot run is an error, never a SIGILL.
func Use(name string) error {
	if k := Lookup(name); k != nil {
		active = k
		return nil
	}
	var names []string
	for _, k := range available {
		names = append(names, k.Name)
	}
	have := "available: " + strings.Join(names, ", ")
	for _, p := range knownPaths {
		switch {
		case p.name != name:
		case p.goarch != runtime.GOARCH:
			return fmt.Errorf("CHATUMM_CPU=%s: %s is a path for %s CPUs, this is %s (%s)", name, name, p.goarch, runtime.GOARCH, have)
		case !hasAssembly:
			return fmt.Errorf("CHATUMM_CPU=%s: this binary is built with -tags purego, without assembly (%s)", name, have)
		default:
			return fmt.Errorf("CHATUMM_CPU=%s: this CPU has no %s (%s)", name, p.needs, have)
		}
	}
	var known []string
	for _, p := range knownPaths {
		known = append(known, p.name)
	}
	return fmt.Errorf("CHATUMM_CPU=%s: unknown kernel path (known: %s; %s)", name, strings.Join(known, ", "), have)
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

// fillFromGeneric gives every kernel an arch path left nil (a field, or an
// entry of a per-type array) the generic twin, so the table is always
// complete. The micro-kernel and its tile shape go together, and
// GemmMicroSet without assembly clears the tile and runs the path's own
// micro-kernel.
func fillFromGeneric(k *Kernels) {
	g := Generic()
	if k.GemmMicro == nil {
		k.GemmMR, k.GemmNR, k.GemmMicro, k.GemmMicroSet = g.GemmMR, g.GemmNR, g.GemmMicro, nil
	}
	if k.GemmMicroSet == nil {
		k.GemmMicroSet = gemmMicroSetByClear(k.GemmMR, k.GemmNR, k.GemmMicro)
	}
	// The float RowsMulti kernels must give the path's own Rows bits too.
	if k.RowsF32Multi == nil {
		k.RowsF32Multi = rowsMultiByOne(k.RowsF32)
	}
	if k.RowsF16Multi == nil {
		k.RowsF16Multi = rowsMultiByOne(k.RowsF16)
	}
	if k.RowsBF16Multi == nil {
		k.RowsBF16Multi = rowsMultiByOne(k.RowsBF16)
	}
	// RowsQ2 and RowsQ4 must give the path's own RowsQ bits: a path with
	// RowsQ assembly but no multi-vector kernel runs its RowsQ per vector.
	for q := range k.RowsQ {
		if k.RowsQ[q] == nil {
			continue
		}
		if k.RowsQ2[q] == nil {
			k.RowsQ2[q] = rowsQTwice(k.RowsQ[q])
		}
		if k.RowsQ4[q] == nil {
			k.RowsQ4[q] = rowsQPerVector(k.RowsQ[q])
		}
	}
	kv, gv := reflect.ValueOf(k).Elem(), reflect.ValueOf(g).Elem()
	for i := 0; i < kv.NumField(); i++ {
		f := kv.Field(i)
		if f.Kind() == reflect.Func && f.IsNil() {
			f.Set(gv.Field(i))
		}
		if f.Kind() == reflect.Array && f.Type().Elem().Kind() == reflect.Func {
			for j := 0; j < f.Len(); j++ {
				if f.Index(j).IsNil() {
					f.Index(j).Set(gv.Field(i).Index(j))
				}
			}
		}
	}
}
