package weights

import (
	"fmt"

	"github.com/chatumm/chatumm/asm"
)

// Float32s returns a float32 copy of the tensor, widening F16 and BF16 with
// the SIMD conversions: for the small tensors (norms, biases, convolution
// weights) that the runtime keeps in f32.
func (t *Tensor) Float32s() ([]float32, error) {
	out := make([]float32, t.NumElements())
	switch t.DType {
	case F32:
		copy(out, t.F32())
	case F16:
		asm.F16ToF32(out, t.U16())
	case BF16:
		asm.BF16ToF32(out, t.U16())
	default:
		return nil, fmt.Errorf("%s: tensor %q has unsupported dtype %v", t.File, t.Name, t.DType)
	}
	return out, nil
}
