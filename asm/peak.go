package asm

// FMA-peak loops: iters iterations of independent multiply-add chains, long
// enough apart that latency never stalls them, with no memory traffic. They
// measure what the arithmetic units can do, the ceiling a GEMM is judged
// against.

// FMAPeak runs iters iterations of the active implementation's FMA-peak loop
// (Kernels.FMAPeak) and returns the number of float32 flops performed.
// Callers time it; keep iters small enough (~1e5) that one call stays in the
// millisecond range, because assembly is not preemptible.
func FMAPeak(iters int) float64 { return active.FMAPeak(iters) }

// peakLoop turns a loop of iters iterations doing flopsPerIter float32 flops
// each into a Kernels.FMAPeak.
func peakLoop(loop func(iters int), flopsPerIter int) func(iters int) float64 {
	return func(iters int) float64 {
		if iters <= 0 {
			return 0
		}
		loop(iters)
		return float64(iters) * float64(flopsPerIter)
	}
}

// genericPeakFlops: eight chains of one multiply and one add per iteration.
const genericPeakFlops = 8 * 2

// peakSink keeps the generic loop's result observable so the compiler
// cannot drop it; it is written, never read, on purpose.
//
//lint:ignore U1000 the write is what keeps the loop alive
var peakSink float32

// fmaPeakGeneric is the pure-Go twin: eight independent chains of
// s = s*m + d. Go may or may not fuse them into FMAs depending on the target;
// either way it is what scalar Go code can sustain.
func fmaPeakGeneric(iters int) {
	m, d := float32(0.999), float32(1e-3)
	var s0, s1, s2, s3, s4, s5, s6, s7 float32 = 1, 2, 3, 4, 5, 6, 7, 8
	for i := 0; i < iters; i++ {
		s0 = s0*m + d
		s1 = s1*m + d
		s2 = s2*m + d
		s3 = s3*m + d
		s4 = s4*m + d
		s5 = s5*m + d
		s6 = s6*m + d
		s7 = s7*m + d
	}
	peakSink = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
}
