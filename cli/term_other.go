//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package cli

import "os"

func isTerminal(f *os.File) bool { return false }
