package asm

// Packing for the GEMM micro-kernel. B panels are weight rows stored k-wise
// (PyTorch Linear layout) that the micro-kernel wants k-major, so packing is
// a transpose fused with the f16/bf16 widening. It touches every weight once
// per GEMM call, so a scalar loop costs as much as the arithmetic for ~100
// activation rows. The amd64 implementations load a square of rows, widen
// and transpose it in registers (16×16 for AVX-512, 8×8 for AVX2; see
// gemmpack_amd64.s), several times faster. Packing only moves and widens
// values, so every implementation produces the same bits.

// gemmPackArch holds the transposing packers of the implementation named
// name, installed by the arch files: each handles whole chunks of chunk k
// values for a full panel of nr rows; Go packs the remaining kc%chunk.
type gemmPackArch struct {
	name      string
	nr, chunk int
	f32       func(dst *float32, src *float32, stride, chunks int)
	f16       func(dst *float32, src *uint16, stride, chunks int)
	bf16      func(dst *float32, src *uint16, stride, chunks int)
	// colsF16 and colsBF16 widen kc rows of nr values (GemmPackCols*).
	colsF16, colsBF16 func(dst *float32, src *uint16, stride, kc int)
}

var gemmPackers []gemmPackArch

// activePacker returns the assembly packers for a full panel of width nr,
// or nil when Go must do it.
func activePacker(nr, rows int) *gemmPackArch {
	for i := range gemmPackers {
		if p := &gemmPackers[i]; p.name == active.Name && p.nr == nr && rows == nr {
			return p
		}
	}
	return nil
}

// gemmPackCheck panics when the slices cannot hold the panel.
func gemmPackCheck(dstLen, srcLen, stride, rows, kc, nr int) {
	if rows < 0 || kc < 0 || rows > nr || (rows > 1 && stride < kc) || dstLen < kc*nr ||
		(rows > 0 && kc > 0 && srcLen < (rows-1)*stride+kc) {
		panic("asm: GemmPack: slice too short for the panel")
	}
}

// GemmPackF32 packs rows (<= nr) rows of src, row j at src[j*stride:], k
// values each, into one k-major panel for the micro-kernel:
// dst[p*nr+j] = src[j*stride+p] for p < kc, j < rows, and 0 for
// rows <= j < nr.
func GemmPackF32(dst, src []float32, stride, rows, kc, nr int) {
	gemmPackCheck(len(dst), len(src), stride, rows, kc, nr)
	done := 0
	if p := activePacker(nr, rows); p != nil && kc >= p.chunk {
		done = kc - kc%p.chunk
		p.f32(&dst[0], &src[0], stride, done/p.chunk)
	}
	for j := 0; j < nr; j++ {
		at := done*nr + j
		if j >= rows {
			for p := done; p < kc; p++ {
				dst[at] = 0
				at += nr
			}
			continue
		}
		for _, v := range src[j*stride+done : j*stride+kc] {
			dst[at] = v
			at += nr
		}
	}
}

// GemmPackF16 is GemmPackF32 for f16 rows, widened exactly.
func GemmPackF16(dst []float32, src []uint16, stride, rows, kc, nr int) {
	gemmPackCheck(len(dst), len(src), stride, rows, kc, nr)
	done := 0
	if p := activePacker(nr, rows); p != nil && kc >= p.chunk {
		done = kc - kc%p.chunk
		p.f16(&dst[0], &src[0], stride, done/p.chunk)
	}
	gemmPack16(dst, src, stride, rows, done, kc, nr, F16)
}

// GemmPackBF16 is GemmPackF32 for bf16 rows, widened exactly.
func GemmPackBF16(dst []float32, src []uint16, stride, rows, kc, nr int) {
	gemmPackCheck(len(dst), len(src), stride, rows, kc, nr)
	done := 0
	if p := activePacker(nr, rows); p != nil && kc >= p.chunk {
		done = kc - kc%p.chunk
		p.bf16(&dst[0], &src[0], stride, done/p.chunk)
	}
	gemmPack16(dst, src, stride, rows, done, kc, nr, BF16)
}

// GemmPackColsF16 packs a panel of a column-major weight matrix, where the
// panel's lanes are contiguous and its k values are rows: dst[p*nr+j] =
// widen(src[p*stride+j]) for p < kc, j < n, and 0 for n <= j < nr. No
// transpose, so it is a strided widening copy; the assembly does a full
// panel (n == nr) per call instead of one call per k.
func GemmPackColsF16(dst []float32, src []uint16, stride, n, kc, nr int) {
	gemmPackColsCheck(len(dst), len(src), stride, n, kc, nr)
	if p := activePacker(nr, n); p != nil && p.colsF16 != nil && kc > 0 {
		p.colsF16(&dst[0], &src[0], stride, kc)
		return
	}
	gemmPackCols16(dst, src, stride, n, kc, nr, active.F16ToF32)
}

// GemmPackColsBF16 is GemmPackColsF16 for bf16 weights.
func GemmPackColsBF16(dst []float32, src []uint16, stride, n, kc, nr int) {
	gemmPackColsCheck(len(dst), len(src), stride, n, kc, nr)
	if p := activePacker(nr, n); p != nil && p.colsBF16 != nil && kc > 0 {
		p.colsBF16(&dst[0], &src[0], stride, kc)
		return
	}
	gemmPackCols16(dst, src, stride, n, kc, nr, active.BF16ToF32)
}

// GemmPackColsF32 is GemmPackColsF16 for f32 weights.
func GemmPackColsF32(dst, src []float32, stride, n, kc, nr int) {
	gemmPackColsCheck(len(dst), len(src), stride, n, kc, nr)
	for p := 0; p < kc; p++ {
		copy(dst[p*nr:p*nr+n], src[p*stride:p*stride+n])
		clear(dst[p*nr+n : (p+1)*nr])
	}
}

func gemmPackColsCheck(dstLen, srcLen, stride, n, kc, nr int) {
	if n < 0 || kc < 0 || n > nr || (kc > 1 && stride < n) || dstLen < kc*nr ||
		(n > 0 && kc > 0 && srcLen < (kc-1)*stride+n) {
		panic("asm: GemmPackCols: slice too short for the panel")
	}
}

// gemmPackCols16 packs the panel one k at a time with the active
// implementation's widening (NEON on arm64), which is exact on every path.
func gemmPackCols16(dst []float32, src []uint16, stride, n, kc, nr int, widen func(dst []float32, src []uint16)) {
	for p := 0; p < kc; p++ {
		widen(dst[p*nr:p*nr+n], src[p*stride:p*stride+n])
		clear(dst[p*nr+n : (p+1)*nr])
	}
}

// gemmPack16 packs k values [from, kc) of 16-bit rows in Go, one row at a
// time so the writes stride through dst but the reads stay sequential.
func gemmPack16(dst []float32, src []uint16, stride, rows, from, kc, nr int, widen func(uint16) float32) {
	for j := 0; j < nr; j++ {
		at := from*nr + j
		if j >= rows {
			for p := from; p < kc; p++ {
				dst[at] = 0
				at += nr
			}
			continue
		}
		for _, h := range src[j*stride+from : j*stride+kc] {
			dst[at] = widen(h)
			at += nr
		}
	}
}
