package weights

import "unsafe"

func addrOf(b []byte) int64 {
	if len(b) == 0 {
		return 0
	}
	return int64(uintptr(unsafe.Pointer(&b[0])))
}

// alignUp rounds n up to a multiple of a (a power of two).
func alignUp(n, a int64) int64 { return (n + a - 1) &^ (a - 1) }

// alignedCopy copies b into fresh heap memory aligned to 8 bytes, enough for
// every loadable element type.
func alignedCopy(b []byte) []byte {
	words := make([]uint64, (len(b)+7)/8)
	out := unsafeBytes(words)[:len(b):len(b)]
	copy(out, b)
	return out
}

func unsafeBytes(words []uint64) []byte {
	if len(words) == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*8)
}
