//go:build !unix

package siglip

import "time"

// processCPU is not measured here.
func processCPU() time.Duration { return 0 }
