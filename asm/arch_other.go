//go:build purego || !(amd64 || arm64)

package asm

// hasAssembly: this build has no assembly paths, only the generic one.
const hasAssembly = false

func archKernels() []*Kernels { return nil }
