//go:build !purego

package asm

// archPeak returns the NEON FMA-peak loop: sixteen independent FMLA .4S
// chains per iteration.
func archPeak(name string) (peakLoop, bool) {
	if name == "neon" {
		return peakLoop{fmaPeakNEON, 16 * 4 * 2}, true
	}
	return peakLoop{}, false
}

//go:noescape
func fmaPeakNEON(iters int)
