//go:build !linux

package weights

// Huge-page advice and mincore are Linux interfaces; elsewhere the buffer is
// used as is and residency is not known.

func adviseHugePages(b []byte) {}

// residentBytes returns -1: unknown on this system.
func residentBytes(mapping []byte) int64 { return -1 }
