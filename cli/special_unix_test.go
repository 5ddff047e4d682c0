//go:build unix

package cli

import (
	"path/filepath"
	"syscall"
	"testing"
)

// mkfifo makes a named pipe in dir: opening it for reading blocks until a
// writer comes, unless the opener refuses non-regular files first.
func mkfifo(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// devZero is an endless device whose size says 0.
func devZero(t *testing.T) string { return "/dev/zero" }
