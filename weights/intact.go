package weights

import (
	"errors"
	"fmt"
	"os"
)

// source is one mapped weights file, kept open for the life of its Set so
// that it can be checked through the same inode the mapping reads.
type source struct {
	path string
	f    *os.File
	info os.FileInfo // at open
	mem  []byte      // the mapping
}

// check reports whether the file under the mapping still has the size and
// modification time it had when it was mapped. A file replaced by a rename
// is intact in this sense: the mapping still reads the old inode.
func (src *source) check() error {
	now, err := src.f.Stat()
	if err != nil {
		return fmt.Errorf("%s: the weights file can no longer be checked: %v", src.path, err)
	}
	if now.Size() != src.info.Size() || !now.ModTime().Equal(src.info.ModTime()) {
		return fmt.Errorf("%s: the weights file changed or was truncated while in use (%d bytes when loaded, %d now)",
			src.path, src.info.Size(), now.Size())
	}
	return nil
}

// CheckIntact reports the first mapped file of the set that was truncated
// or rewritten in place since it was opened, as
// "PATH: the weights file changed or was truncated while in use (...)".
// Such a file's mapped bytes are no longer what was validated: reads past
// its new end fault, and reads before it see new bytes. In Read mode, and
// for a Set from OpenMemory, nothing is mapped and it returns nil.
func (s *Set) CheckIntact() error {
	for _, src := range s.sources {
		if err := src.check(); err != nil {
			return err
		}
	}
	return nil
}

// faultAddr returns the address of a memory fault that a recovered panic
// value carries: runtime/debug.SetPanicOnFault makes a fault a
// runtime.Error with an Addr method, and runtime.Pool wraps one from a
// worker in a *runtime.PanicError, which unwraps to it.
func faultAddr(recovered any) (uintptr, bool) {
	err, ok := recovered.(error)
	if !ok {
		return 0, false
	}
	var fault interface {
		error
		Addr() uintptr
	}
	if !errors.As(err, &fault) {
		return 0, false
	}
	return fault.Addr(), true
}

// IsFault reports whether a recovered panic value is a memory fault (with
// SetPanicOnFault on: a read of a truncated mapping, or of memory the
// process does not have), as opposed to any other panic.
func IsFault(recovered any) bool {
	_, ok := faultAddr(recovered)
	return ok
}

// FaultError turns a recovered panic into an error naming the weights file
// when the panic is a memory fault inside one of this set's mappings: the
// CheckIntact error if the file was truncated or rewritten, else a fault
// at an offset of the file (an I/O error under the mapping). For any
// other panic it returns nil, and the caller re-raises it.
func (s *Set) FaultError(recovered any) error {
	addr, ok := faultAddr(recovered)
	if !ok {
		return nil
	}
	for _, src := range s.sources {
		lo := uintptr(addrOf(src.mem))
		if addr < lo || addr-lo >= uintptr(len(src.mem)) {
			continue
		}
		if err := src.check(); err != nil {
			return err
		}
		return fmt.Errorf("%s: reading the mapped weights file failed at offset %d (an I/O error, or the file changed while in use)",
			src.path, addr-lo)
	}
	return nil
}
