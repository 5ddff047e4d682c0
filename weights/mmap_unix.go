//go:build unix

package weights

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// hugePage is the size the read-mode buffer is aligned to, so the kernel can
// back it with transparent huge pages.
const hugePage = 2 << 20

// mapsFiles: tensors are views into file mappings, which can fault if the
// file is truncated (see intact.go).
const mapsFiles = true

// mapFile maps the whole file read-only and asks the kernel to start reading
// it in (MADV_WILLNEED), as llama.cpp does.
func mapFile(f *os.File, size int64) ([]byte, error) {
	if size <= 0 || size != int64(int(size)) {
		return nil, fmt.Errorf("cannot map %d bytes", size)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	_ = unix.Madvise(mem, unix.MADV_WILLNEED) // advice only; failure is harmless
	return mem, nil
}

// allocAligned returns n bytes of anonymous memory starting on a 2 MiB
// boundary and advised for huge pages, plus the whole mapping (which is what
// must be passed to unmap). The over-allocated slack is never touched, so it
// costs address space only.
func allocAligned(n int64) (buf, mapping []byte, err error) {
	total := n + hugePage
	if n <= 0 || total != int64(int(total)) {
		return nil, nil, fmt.Errorf("cannot allocate %d bytes", n)
	}
	mapping, err = unix.Mmap(-1, 0, int(total), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, nil, fmt.Errorf("allocating %d bytes: %w", n, err)
	}
	skip := alignUp(addrOf(mapping), hugePage) - addrOf(mapping)
	buf = mapping[skip : skip+n : skip+n]
	adviseHugePages(buf)
	return buf, mapping, nil
}

func unmap(mapping []byte) error { return unix.Munmap(mapping) }

// releasePages drops the whole pages inside b (part of a shared file
// mapping) from this process's page tables; later reads fault them back in
// from the file's page cache.
func releasePages(b []byte) {
	page := int64(os.Getpagesize())
	lo := alignUp(addrOf(b), page) - addrOf(b)
	hi := int64(len(b)) - (addrOf(b)+int64(len(b)))%page
	if hi-lo >= page {
		_ = unix.Madvise(b[lo:hi], unix.MADV_DONTNEED) // advice only
	}
}
