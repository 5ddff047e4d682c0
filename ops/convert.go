package ops

import "github.com/chatumm/chatumm/asm"

func f16ToF32(dst []float32, src []uint16)  { asm.F16ToF32(dst, src) }
func bf16ToF32(dst []float32, src []uint16) { asm.BF16ToF32(dst, src) }
