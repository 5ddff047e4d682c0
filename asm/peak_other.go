//go:build purego || !(amd64 || arm64)

package asm

// archPeak: without assembly only the pure-Go loop exists.
func archPeak(name string) (peakLoop, bool) { return peakLoop{}, false }
