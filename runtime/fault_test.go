//go:build unix

package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// truncatedMapping maps a file of two pages and then truncates the file to
// nothing, so that every read of the mapping faults (SIGBUS).
func truncatedMapping(t *testing.T) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "weights.bin")
	page := os.Getpagesize()
	if err := os.WriteFile(p, make([]byte, 2*page), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem, err := unix.Mmap(int(f.Fd()), 0, 2*page, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	return mem
}

// recoverRun runs fn and returns what it panicked with.
func recoverRun(fn func()) (v any) {
	defer func() { v = recover() }()
	fn()
	return nil
}

// TestTruncatedMappingFaultIsAPanic: touching a truncated mapping inside a
// pool task, on a worker or on the caller, is a panic the caller can
// recover, carrying the faulting address, not a SIGBUS that kills the
// process; and the pool keeps working after it.
func TestTruncatedMappingFaultIsAPanic(t *testing.T) {
	mem := truncatedMapping(t)
	p := NewPool(2)
	defer p.Close()
	var sink byte
	for _, c := range []struct {
		name      string
		faultFrom int // chunks starting at or after this index read the mapping
	}{{"worker", 1}, {"caller", 0}} {
		v := recoverRun(func() {
			p.For(2, func(lo, hi int) {
				if lo >= c.faultFrom {
					sink += mem[lo*os.Getpagesize()]
				}
			})
		})
		if v == nil {
			t.Fatalf("%s: reading a truncated mapping did not panic", c.name)
		}
		err, ok := v.(error)
		if !ok {
			t.Fatalf("%s: panic value %T is not an error", c.name, v)
		}
		var fault interface{ Addr() uintptr }
		if !errors.As(err, &fault) {
			t.Fatalf("%s: panic %v carries no fault address", c.name, err)
		}
		if lo, hi := uintptr(unsafe.Pointer(unsafe.SliceData(mem))), uintptr(unsafe.Pointer(unsafe.SliceData(mem)))+uintptr(len(mem)); fault.Addr() < lo || fault.Addr() >= hi {
			t.Errorf("%s: fault address %#x outside the mapping [%#x, %#x)", c.name, fault.Addr(), lo, hi)
		}
		if c.name == "worker" {
			if _, ok := v.(*PanicError); !ok {
				t.Errorf("worker: panic value %T, want *PanicError", v)
			}
		}
	}
	var n atomic.Int32
	p.For(2, func(lo, hi int) { n.Add(int32(hi - lo)) })
	if n.Load() != 2 {
		t.Errorf("after the faults the pool covered %d of 2 rows", n.Load())
	}
}
