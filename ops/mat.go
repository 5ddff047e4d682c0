// Package ops holds chatumm's tensor-level operations, built on the asm
// kernels and spread over the runtime worker pool: matrix-vector products and
// GEMM over f16, bf16 and f32 weights, normalisations, RoPE, softmax,
// activations, attention over a KV cache, and the convolutions of the VQ-GAN.
//
// Nothing here knows about tokens, turns or images. Parallel work is always
// split over output rows, so results are bit-identical for any thread count.
package ops

import "github.com/chatumm/chatumm/asm"

// DType is the storage type of a weight matrix.
type DType uint8

const (
	F32 DType = iota
	F16
	BF16
)

func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case F16:
		return "F16"
	case BF16:
		return "BF16"
	}
	return "?"
}

// Size is the byte size of one element.
func (d DType) Size() int {
	if d == F32 {
		return 4
	}
	return 2
}

// Mat is a row-major weight matrix in PyTorch Linear layout: Rows output
// features by Cols input features, so y = W·x has len(y) == Rows. Exactly one
// of F32 (for DType F32) or U16 (raw f16 or bf16 bits) is set; both usually
// alias a memory-mapped file.
type Mat struct {
	DType      DType
	Rows, Cols int
	F32        []float32
	U16        []uint16
	// ColMajor says the data holds Wᵀ instead: Cols rows of Rows elements
	// (ToColMajor, for matrices whose rows are too wide for the matvec).
	ColMajor bool
}

// RowInto widens row r into dst (len(dst) == Cols): the embedding lookup.
func (m *Mat) RowInto(dst []float32, r int) {
	if m.ColMajor {
		for c := range dst[:m.Cols] {
			dst[c] = m.elemAt(c*m.Rows + r)
		}
		return
	}
	off := r * m.Cols
	switch m.DType {
	case F32:
		copy(dst, m.F32[off:off+m.Cols])
	case F16:
		asm.F16ToF32(dst, m.U16[off:off+m.Cols])
	case BF16:
		asm.BF16ToF32(dst, m.U16[off:off+m.Cols])
	}
}
