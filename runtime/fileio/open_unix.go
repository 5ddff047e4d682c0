//go:build unix

package fileio

import (
	"os"
	"syscall"
)

// openNonblocking opens path read-only with O_NONBLOCK, so that opening a
// FIFO with no writer, or a terminal, returns at once instead of waiting.
func openNonblocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// clearNonblock puts a regular file's descriptor back into blocking mode:
// O_NONBLOCK means nothing for regular files on Linux, but elsewhere
// (mandatory locks, some network file systems) a read could then return
// EAGAIN, which the reads in this module do not expect.
func clearNonblock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var setErr error
	if err := rc.Control(func(fd uintptr) { setErr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return setErr
}
