package ops

import (
	"sync"
	"unsafe"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// Column-major storage for matrices whose rows are too wide for the matvec
// kernel's cache needs (see asm rowsLinear): a 1B model's MLP down
// projection is 2048×5632, and a dot product over one 11 KiB row reads 22 KiB
// of x, which no longer stays in a 32 KiB L1 next to the streamed row. Stored
// as Wᵀ, the same product is y = Σ_c x[c]·Wᵀ[c]: a linear stream of weight
// rows, each scaled into y, and only y (8 KiB) needs to stay in L1. On cold
// weights that brought the product up to about the plain read bandwidth on
// one CPU measured and cost nothing in decode speed on another
// (`chatumm bench kernels`, `chatumm bench model`; docs/PERFORMANCE.md).

// colBlock is how many input features (weight rows of Wᵀ) one work item
// covers: 256 rows of 2048 f16 are 1 MiB. Each block sums into its own
// partial y, and the partials are added in block order afterwards, so the
// result does not depend on which thread computed which block.
const colBlock = 256

// ColMajorPays reports whether m's matrix-vector product runs faster from a
// column-major copy: x and one row together overflow a 32 KiB L1 (with room
// to spare), while the output y still fits comfortably in it. Never for a
// quantized matrix, whose rows are 2 to 7 times shorter in bytes, and never
// when the active matvec kernel prefetches its weights (asm.Kernels.
// RowsPrefetch): on AMD Zen 3 the prefetching kernel streamed a 2048×5632 f16
// matrix row-major at 18.5 GB/s on one core against 13.7 GB/s column-major
// (`chatumm bench kernels`), since the column-major product reads and
// writes all of y in L1 for every input feature.
func ColMajorPays(m *Mat) bool {
	return !asm.Active().RowsPrefetch && !m.ColMajor && !m.Quantized() &&
		m.Cols*(4+m.DType.Size()) > 28<<10 && m.Rows*4 <= 16<<10
}

// ToColMajor returns a column-major copy of m (its data holds Wᵀ: Cols rows
// of Rows elements). It allocates, so it belongs at load time.
func ToColMajor(p *runtime.Pool, m *Mat) *Mat {
	checkMat("ops.ToColMajor", m)
	if m.ColMajor {
		return m
	}
	t := &Mat{DType: m.DType, Rows: m.Rows, Cols: m.Cols, ColMajor: true}
	if m.DType == F32 {
		t.F32 = make([]float32, m.Rows*m.Cols)
	} else {
		t.U16 = make([]uint16, m.Rows*m.Cols)
	}
	transposeInto(p, t, m)
	return t
}

// ToColMajorInPlace rewrites m's own storage column-major, for a model
// loaded into writable memory that should not hold a second copy of the
// matrix. The row-major original comes from read (the bytes of the file m
// was loaded from, off counted from m's first byte), a strip of rows at a
// time, since m's memory is overwritten as it goes; an error from read
// leaves m unusable. m's storage must not be shared with anything that
// reads it row-major afterwards.
func ToColMajorInPlace(p *runtime.Pool, m *Mat, read func(dst []byte, off int64) error) error {
	checkMat("ops.ToColMajorInPlace", m)
	if m.ColMajor {
		return nil
	}
	const strip = 64
	R, C, es := m.Rows, m.Cols, m.DType.Size()
	src := &Mat{DType: m.DType, Rows: min(strip, R), Cols: C}
	var raw []byte
	if m.DType == F32 {
		src.F32 = make([]float32, src.Rows*C)
		raw = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(src.F32))), len(src.F32)*4)
	} else {
		src.U16 = make([]uint16, src.Rows*C)
		raw = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(src.U16))), len(src.U16)*2)
	}
	for r0 := 0; r0 < R; r0 += strip {
		n := min(strip, R-r0)
		if err := read(raw[:n*C*es], int64(r0*C*es)); err != nil {
			return err
		}
		p.For(C, func(lo, hi int) {
			for c := lo; c < hi; c++ {
				for r := 0; r < n; r++ {
					if m.DType == F32 {
						m.F32[c*R+r0+r] = src.F32[r*C+c]
					} else {
						m.U16[c*R+r0+r] = src.U16[r*C+c]
					}
				}
			}
		})
	}
	m.ColMajor = true
	return nil
}

// transposeInto writes src's elements into dst's storage in dst's layout,
// in 64×64 tiles, parallel over tiles of dst rows.
func transposeInto(p *runtime.Pool, dst, src *Mat) {
	const tile = 64
	R, C := src.Rows, src.Cols
	tiles := (C + tile - 1) / tile
	p.For(tiles, func(lo, hi int) {
		for c0 := lo * tile; c0 < min(hi*tile, C); c0 += tile {
			for r0 := 0; r0 < R; r0 += tile {
				for c := c0; c < min(c0+tile, C); c++ {
					for r := r0; r < min(r0+tile, R); r++ {
						if src.DType == F32 {
							dst.F32[c*R+r] = src.F32[r*C+c]
						} else {
							dst.U16[c*R+r] = src.U16[r*C+c]
						}
					}
				}
			}
		}
	})
}

// colTask computes ys[j] = W·xs[j] for a column-major W: block b of the
// input features adds into partial[(b*len(xs)+j)*Rows:][:Rows].
type colTask struct {
	w          *Mat
	xs, ys     [][]float32
	partial    []float32
	ranges     []chunkRange // blocks, one contiguous range per thread
	oneX, oneY [1][]float32
}

var colTasks = sync.Pool{New: func() any { return new(colTask) }}

// Run computes this thread's part of the blocks (see claimChunks).
func (t *colTask) Run(lo, hi int) { claimChunks(t.ranges, lo, hi, t) }

// chunk sums input features [b*colBlock, (b+1)*colBlock) into block b's
// partials, one weight row at a time for every vector, so the row is read
// from memory once and the partials stay in L1.
func (t *colTask) chunk(b int) {
	w, n, nx := t.w, t.w.Rows, len(t.xs)
	part := t.partial[b*nx*n : (b+1)*nx*n]
	clear(part)
	for c := b * colBlock; c < min((b+1)*colBlock, w.Cols); c++ {
		for j, x := range t.xs {
			y := part[j*n : (j+1)*n]
			switch w.DType {
			case F16:
				asm.AxpyF16(x[c], w.U16[c*n:(c+1)*n], y)
			case BF16:
				asm.AxpyBF16(x[c], w.U16[c*n:(c+1)*n], y)
			default:
				asm.Axpy(x[c], w.F32[c*n:(c+1)*n], y)
			}
		}
	}
}

// colMatVec is MatVec for a column-major W.
func colMatVec(p *runtime.Pool, w *Mat, x, y []float32) {
	t := colTasks.Get().(*colTask)
	t.oneX[0], t.oneY[0] = x, y
	t.run(p, w, t.oneX[:], t.oneY[:])
}

// colMatVecMulti is MatVecMulti for a column-major W.
func colMatVecMulti(p *runtime.Pool, w *Mat, xs, ys [][]float32) {
	colTasks.Get().(*colTask).run(p, w, xs, ys)
}

// run computes ys[j] = W·xs[j] and returns t to the free list.
func (t *colTask) run(p *runtime.Pool, w *Mat, xs, ys [][]float32) {
	checkMat("ops.MatVec", w)
	t.w, t.xs, t.ys = w, xs, ys
	blocks := (w.Cols + colBlock - 1) / colBlock
	if need := blocks * len(xs) * w.Rows; cap(t.partial) < need {
		t.partial = make([]float32, need)
	}
	t.ranges = dealRanges(t.ranges, blocks, p)
	if blocks > 0 {
		p.RunGrain(len(t.ranges), 1, t)
	}
	n, nx := w.Rows, len(xs)
	for j, y := range ys {
		if blocks == 0 {
			clear(y)
			continue
		}
		copy(y, t.partial[j*n:(j+1)*n])
		for b := 1; b < blocks; b++ {
			off := (b*nx + j) * n
			asm.Add(y, y, t.partial[off:off+n])
		}
	}
	t.w, t.xs, t.ys = nil, nil, nil
	t.oneX, t.oneY = [1][]float32{}, [1][]float32{}
	colTasks.Put(t)
}

// elemAt is element i of m's storage, widened.
func (m *Mat) elemAt(i int) float32 {
	switch m.DType {
	case F16:
		return asm.F16(m.U16[i])
	case BF16:
		return asm.BF16(m.U16[i])
	}
	return m.F32[i]
}
