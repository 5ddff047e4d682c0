//go:build !unix

package weights

import (
	"fmt"
	"io"
	"os"
)

const hugePage = 2 << 20

// mapsFiles: the file is read into the heap, so nothing can fault later.
const mapsFiles = false

// releasePages does nothing: without mmap the bytes are the heap's.
func releasePages([]byte) {}

// Without mmap the file is read into the Go heap; the heap's 8-byte
// alignment is enough for every typed view.
func mapFile(f *os.File, size int64) ([]byte, error) {
	if size <= 0 || size != int64(int(size)) {
		return nil, fmt.Errorf("cannot read %d bytes", size)
	}
	buf, _, err := allocAligned(size)
	if err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, size), buf); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return buf, nil
}

func allocAligned(n int64) (buf, mapping []byte, err error) {
	if n <= 0 || n != int64(int(n)) {
		return nil, nil, fmt.Errorf("cannot allocate %d bytes", n)
	}
	words := make([]uint64, (n+7)/8)
	buf = unsafeBytes(words)[:n:n]
	return buf, buf, nil
}

func unmap(mapping []byte) error { return nil }
