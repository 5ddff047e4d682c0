package asm

// Exported entry points: bounds are checked here once, so the kernels behind
// them may assume valid slices.

func DotF32(a, b []float32) float32 {
	_ = b[:len(a)]
	return active.DotF32(a, b)
}

func DotF16(w []uint16, x []float32) float32 {
	_ = w[:len(x)]
	return active.DotF16(w, x)
}

func DotBF16(w []uint16, x []float32) float32 {
	_ = w[:len(x)]
	return active.DotBF16(w, x)
}

func rowsCheck(wlen, stride, n, rows int) {
	if rows > 0 && (stride < n || wlen < (rows-1)*stride+n) {
		panic("asm: weight slice too short for rows")
	}
}

func RowsF32(w []float32, stride int, x, y []float32) {
	rowsCheck(len(w), stride, len(x), len(y))
	active.RowsF32(w, stride, x, y)
}

func RowsF16(w []uint16, stride int, x, y []float32) {
	rowsCheck(len(w), stride, len(x), len(y))
	active.RowsF16(w, stride, x, y)
}

func RowsBF16(w []uint16, stride int, x, y []float32) {
	rowsCheck(len(w), stride, len(x), len(y))
	active.RowsBF16(w, stride, x, y)
}

func F16ToF32(dst []float32, src []uint16) {
	_ = src[:len(dst)]
	active.F16ToF32(dst, src)
}

func BF16ToF32(dst []float32, src []uint16) {
	_ = src[:len(dst)]
	active.BF16ToF32(dst, src)
}

func F32ToF16(dst []uint16, src []float32) {
	_ = src[:len(dst)]
	active.F32ToF16(dst, src)
}

func Axpy(a float32, x, y []float32) {
	_ = x[:len(y)]
	active.Axpy(a, x, y)
}

func AxpyF16(a float32, x []uint16, y []float32) {
	_ = x[:len(y)]
	active.AxpyF16(a, x, y)
}

func AxpyBF16(a float32, x []uint16, y []float32) {
	_ = x[:len(y)]
	active.AxpyBF16(a, x, y)
}

func Scale(a float32, x []float32) { active.Scale(a, x) }

func Add(dst, a, b []float32) {
	_, _ = a[:len(dst)], b[:len(dst)]
	active.Add(dst, a, b)
}

func Mul(dst, a, b []float32) {
	_, _ = a[:len(dst)], b[:len(dst)]
	active.Mul(dst, a, b)
}

func Sum(x []float32) float32   { return active.Sum(x) }
func SumSq(x []float32) float32 { return active.SumSq(x) }
func Max(x []float32) float32   { return active.Max(x) }

func ExpSub(dst, x []float32, m float32) float32 {
	_ = x[:len(dst)]
	return active.ExpSub(dst, x, m)
}

func SiLU(dst, x []float32) {
	_ = x[:len(dst)]
	active.SiLU(dst, x)
}

func SwiGLU(dst, gate, up []float32) {
	_, _ = gate[:len(dst)], up[:len(dst)]
	active.SwiGLU(dst, gate, up)
}
