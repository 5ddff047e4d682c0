//go:build purego || !(amd64 || arm64)

package asm

func archKernels() []*Kernels { return nil }
