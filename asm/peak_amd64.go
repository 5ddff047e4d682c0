//go:build !purego

package asm

// archPeak returns the FMA-peak loop of the named amd64 implementation:
// twelve independent chains of VFMADD231PS on Y (avx2) or Z (avx512)
// registers, enough to cover the FMA latency on two pipes.
func archPeak(name string) (peakLoop, bool) {
	switch name {
	case "avx2":
		return peakLoop{fmaPeakAVX2, 12 * 8 * 2}, true
	case "avx512":
		return peakLoop{fmaPeakAVX512, 12 * 16 * 2}, true
	}
	return peakLoop{}, false
}

//go:noescape
func fmaPeakAVX2(iters int)

//go:noescape
func fmaPeakAVX512(iters int)
