//go:build !unix

package cli

import "testing"

func mkfifo(t *testing.T, dir, name string) string {
	t.Skip("no named pipes on this system")
	return ""
}

func devZero(t *testing.T) string {
	t.Skip("no /dev/zero on this system")
	return ""
}
