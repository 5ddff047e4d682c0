//go:build unix

package weights

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// mappedWeights writes a safetensors file whose one tensor spans several
// pages and opens it in Mmap mode.
func mappedWeights(t *testing.T) (string, *Set, *Tensor) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "model.safetensors")
	n := 4 * os.Getpagesize() / 4
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = 1
	}
	if err := WriteSafetensors(p, []WriteTensor{{Name: "w", DType: F32, Shape: []int{n}, Data: f32Bytes(vals...)}}, nil); err != nil {
		t.Fatal(err)
	}
	s, err := Open(p, Mmap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	w, _ := s.Tensor("w")
	return p, s, w
}

// TestTruncatedWeightsAreAnError: weights truncated while mapped fault when
// a pool task reads them (in Go code or in an assembly kernel, on a worker
// or on the caller); the fault is a panic the caller recovers, and
// FaultError and CheckIntact name the file. Without SetPanicOnFault this
// test dies of SIGBUS.
func TestTruncatedWeightsAreAnError(t *testing.T) {
	p, s, w := mappedWeights(t)
	if err := s.CheckIntact(); err != nil {
		t.Fatalf("fresh set: %v", err)
	}
	x := w.F32()
	ones := make([]float32, len(x))
	for i := range ones {
		ones[i] = 1
	}
	pool := runtime.NewPool(2)
	defer pool.Close()
	var sum atomic.Int64
	rows := func(lo, hi int) { // one page of floats per row
		per := len(x) / 4
		for r := lo; r < hi; r++ {
			sum.Add(int64(asm.DotF32(x[r*per:(r+1)*per], ones[:per])))
		}
	}
	pool.For(4, rows)
	if sum.Load() != int64(len(x)) {
		t.Fatalf("sum before truncation %d, want %d", sum.Load(), len(x))
	}
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	want := p + ": the weights file changed or was truncated while in use"
	if err := s.CheckIntact(); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("CheckIntact after truncation = %v, want %q...", err, want)
	}
	for _, tc := range []struct {
		name string
		run  func()
	}{
		{"asm kernel in a pool", func() { pool.For(4, rows) }},
		{"Go code on the caller", func() { pool.For(1, func(int, int) { sum.Add(int64(x[len(x)-1])) }) }},
	} {
		v := func() (v any) {
			defer func() { v = recover() }()
			tc.run()
			return nil
		}()
		if !IsFault(v) {
			t.Fatalf("%s: recovered %v (%T), want a memory fault", tc.name, v, v)
		}
		err := s.FaultError(v)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: FaultError = %v, want %q...", tc.name, err, want)
		}
	}
}

func TestFaultErrorIgnoresOtherPanics(t *testing.T) {
	_, s, _ := mappedWeights(t)
	for _, v := range []any{nil, "boom", errors.New("boom"), &runtime.PanicError{Value: "boom"}} {
		if IsFault(v) || s.FaultError(v) != nil {
			t.Errorf("%v taken for a memory fault", v)
		}
	}
	// A fault at an address outside every mapping of the set (another
	// set's file, say) is a fault, but not this set's to explain.
	other := fakeFault(1 << 40)
	if !IsFault(other) || s.FaultError(other) != nil {
		t.Error("a fault outside the set's mappings was claimed")
	}
}

// fakeFault is a runtime-error-like value with a fault address.
type fakeFault uintptr

func (f fakeFault) Error() string { return "unexpected fault address" }
func (f fakeFault) RuntimeError() {}
func (f fakeFault) Addr() uintptr { return uintptr(f) }

// TestReplacedWeightsAreIntact: a file replaced by a rename leaves the
// mapping on the old inode, which is still whole, and ReadFile keeps
// reading that inode.
func TestReplacedWeightsAreIntact(t *testing.T) {
	p, s, w := mappedWeights(t)
	other := filepath.Join(filepath.Dir(p), "other.safetensors")
	if err := WriteSafetensors(other, []WriteTensor{{Name: "w", DType: F32, Shape: []int{1}, Data: f32Bytes(7)}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, p); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckIntact(); err != nil {
		t.Errorf("CheckIntact after a rename over the file: %v", err)
	}
	dst := make([]byte, 8)
	if err := w.ReadFile(dst, 0); err != nil || string(dst) != string(f32Bytes(1, 1)) {
		t.Errorf("ReadFile after the rename: %v, %v", dst, err)
	}
}

// TestOpenRefusesNonRegular: a FIFO named as the model, or as a shard by an
// index, is refused at once (a plain open would block forever), as is a
// shard that is a directory.
func TestOpenRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "model.safetensors")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Open(fifo, Mmap); done <- err }()
	select {
	case err := <-done:
		wantErr(t, err, fifo+": not a regular file (a FIFO)")
	case <-time.After(time.Second):
		t.Fatal("Open on a FIFO still blocked after 1 s")
	}
	if _, err := Open("/dev/zero", Mmap); err == nil {
		t.Error("Open(/dev/zero) succeeded")
	}

	sharded := writeSharded(t, nil)
	shard2 := filepath.Join(sharded, "model-00002-of-00002.safetensors")
	os.Remove(shard2)
	if err := syscall.Mkfifo(shard2, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() { _, err := Open(sharded, Read); done <- err }()
	select {
	case err := <-done:
		wantErr(t, err, shard2+": not a regular file (a FIFO)")
	case <-time.After(time.Second):
		t.Fatal("Open of an index naming a FIFO shard still blocked after 1 s")
	}
	os.Remove(shard2)
	os.Mkdir(shard2, 0o700)
	_, err := Open(sharded, Mmap)
	wantErr(t, err, shard2+": not a regular file (a directory)")

	missing := filepath.Join(dir, "none.gguf")
	_, err = Open(missing, Mmap)
	if err == nil || err.Error() != missing+": no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}
