package ops

import "github.com/chatumm/chatumm/asm"

func f16ToF32(dst []float32, src []uint16)  { asm.F16ToF32(dst, src) }
func bf16ToF32(dst []float32, src []uint16) { asm.BF16ToF32(dst, src) }

// WidenF16 converts len(dst) half-precision values to float32.
func WidenF16(dst []float32, src []uint16) { asm.F16ToF32(dst, src) }

// WidenBF16 converts len(dst) bfloat16 values to float32.
func WidenBF16(dst []float32, src []uint16) { asm.BF16ToF32(dst, src) }
