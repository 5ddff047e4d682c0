//go:build !unix

package fileio

import "os"

// Without O_NONBLOCK (Windows, Plan 9, wasm) the file is opened plainly;
// these systems have no FIFOs that block in open.
func openNonblocking(path string) (*os.File, error) { return os.Open(path) }

func clearNonblock(*os.File) error { return nil }
