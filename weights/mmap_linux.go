package weights

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

func adviseHugePages(b []byte) { _ = unix.Madvise(b, unix.MADV_HUGEPAGE) }

// residentBytes counts the pages of a mapping that are in memory (mincore).
// x/sys/unix has no Mincore wrapper, hence the raw system call.
func residentBytes(mapping []byte) int64 {
	if len(mapping) == 0 {
		return 0
	}
	page := os.Getpagesize()
	vec := make([]byte, (len(mapping)+page-1)/page)
	_, _, errno := unix.Syscall(unix.SYS_MINCORE,
		uintptr(unsafe.Pointer(&mapping[0])), uintptr(len(mapping)), uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		return -1
	}
	var n int64
	for _, v := range vec {
		n += int64(v & 1)
	}
	return n * int64(page)
}
