// Package ops holds chatumm's tensor-level operations, built on the asm
// kernels and spread over the runtime worker pool: matrix-vector products and
// GEMM over f16, bf16 and f32 weights, normalisations, RoPE, softmax,
// activations, attention over a KV cache, and the convolutions of the VQ-GAN.
// Weights may also be ggml block-quantized (Mat.Q): matvecs then run integer
// dot products against activations quantized once per call (quant.go).
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
// of F32 (for DType F32), U16 (raw f16 or bf16 bits) or Raw (for Q != QNone)
// is set; each usually aliases a memory-mapped file.
type Mat struct {
	DType      DType
	Rows, Cols int
	F32        []float32
	U16        []uint16
	// Q, when not asm.QNone, says the matrix is block-quantized: Raw holds
	// Rows rows of Cols/Q.BlockElems() ggml blocks each, row after row
	// (DType is then unused). Such a matrix is never ColMajor.
	Q   asm.QType
	Raw []byte
	// ColMajor says the data holds Wᵀ instead: Cols rows of Rows elements
	// (ToColMajor, for matrices whose rows are too wide for the matvec).
	ColMajor bool
}

// Quantized reports a block-quantized matrix.
func (m *Mat) Quantized() bool { return m.Q != asm.QNone }

// RowBytes is the byte size of one stored row of a quantized matrix.
func (m *Mat) RowBytes() int { return m.Cols / m.Q.BlockElems() * m.Q.BlockBytes() }

// TypeString names the storage type: "Q4_K", ..., or the DType's name.
func (m *Mat) TypeString() string {
	if m.Quantized() {
		return m.Q.String()
	}
	return m.DType.String()
}

// RowInto widens row r into dst (len(dst) == Cols): the embedding lookup.
// A quantized row is dequantized exactly as ggml does.
func (m *Mat) RowInto(dst []float32, r int) {
	if m.Quantized() {
		rb := m.RowBytes()
		asm.DequantizeRow(m.Q, dst[:m.Cols], m.Raw[r*rb:(r+1)*rb])
		return
	}
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
