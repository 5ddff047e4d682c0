package ops

import (
	"fmt"

	"github.com/chatumm/chatumm/runtime"
)

// Bidirectional (unmasked) multi-head attention over a whole sequence held
// in memory, as a vision encoder needs: every position attends to every
// position, nothing is cached. Per head and block of query rows it is two
// GEMMs around a row softmax:
//
//	S = (scale·Q_h) · K_hᵀ        [qb, n]
//	P = softmax(S) row by row
//	O_hᵀ = V_hᵀ · Pᵀ              [hd, qb]
//
// The second product is taken transposed so that the operand Gemm packs
// row strip by row strip (its A, the slower packing) is V_hᵀ, hd × n, not
// the qb × n probabilities, which go in as B and are packed by the
// vector packers. Heads are split over the pool, each computed start to
// finish by one worker (its GEMMs single-threaded), so the result does not
// depend on the thread count. Query rows go in blocks of at most
// bidirBlock, which bounds the scores a worker holds whatever the sequence
// length (a 384-pixel picture's 576 patches are one block).

const bidirBlock = 1024

// bidirScratch is one worker's gathered head and score block, recycled
// through bidirScratches and grown to the largest shape seen.
type bidirScratch struct {
	kh, vt, qh, s, ot []float32
}

func (s *bidirScratch) fit(n, hd, qb int) {
	grow := func(b []float32, size int) []float32 {
		if len(b) < size {
			return make([]float32, size)
		}
		return b[:size]
	}
	s.kh = grow(s.kh, n*hd)
	s.vt = grow(s.vt, hd*n)
	s.qh = grow(s.qh, qb*hd)
	s.s = grow(s.s, qb*n)
	s.ot = grow(s.ot, hd*qb)
}

var bidirScratches gemmFreeList[bidirScratch]

// bidirTask computes heads [lo, hi).
type bidirTask struct {
	q, k, v, out []float32
	n, hd, dim   int // positions, head size, heads·hd (the row stride)
	scale        float32
}

func (t *bidirTask) Run(lo, hi int) {
	n, hd, dim := t.n, t.hd, t.dim
	qb := min(bidirBlock, n)
	s := bidirScratches.get()
	s.fit(n, hd, qb)
	kMat := Mat{DType: F32, Rows: n, Cols: hd, F32: s.kh}
	for h := lo; h < hi; h++ {
		off := h * hd
		for j := 0; j < n; j++ {
			copy(s.kh[j*hd:(j+1)*hd], t.k[j*dim+off:j*dim+off+hd])
			for c, x := range t.v[j*dim+off : j*dim+off+hd] {
				s.vt[c*n+j] = x
			}
		}
		for q0 := 0; q0 < n; q0 += qb {
			m := min(qb, n-q0)
			for i := 0; i < m; i++ {
				row := s.qh[i*hd : (i+1)*hd]
				for c, x := range t.q[(q0+i)*dim+off : (q0+i)*dim+off+hd] {
					row[c] = x * t.scale
				}
			}
			Gemm(nil, &kMat, s.qh[:m*hd], m, s.s[:m*n])
			for i := 0; i < m; i++ {
				Softmax(s.s[i*n : (i+1)*n])
			}
			pMat := Mat{DType: F32, Rows: m, Cols: n, F32: s.s[:m*n]}
			Gemm(nil, &pMat, s.vt, hd, s.ot[:hd*m])
			for i := 0; i < m; i++ {
				o := t.out[(q0+i)*dim+off : (q0+i)*dim+off+hd]
				for c := range o {
					o[c] = s.ot[c*m+i]
				}
			}
		}
	}
	bidirScratches.put(s)
}

// BidirAttention computes multi-head attention without a mask: for each
// head h and position i, out[i, h] = Σ_j softmax_j(scale · q[i, h]·k[j, h]) ·
// v[j, h], where q, k, v and out are [n, heads·headDim] row-major and
// [i, h] is the headDim values of head h in row i. out must not overlap
// q, k or v.
func BidirAttention(p *runtime.Pool, q, k, v []float32, n, heads, headDim int, scale float32, out []float32) {
	dim := heads * headDim
	if n < 0 || heads <= 0 || headDim <= 0 || len(q) < n*dim || len(k) < n*dim || len(v) < n*dim || len(out) < n*dim {
		panic(fmt.Sprintf("ops.BidirAttention: %d positions of %d heads × %d need %d values in q, k, v and out, have %d, %d, %d and %d",
			n, heads, headDim, n*dim, len(q), len(k), len(v), len(out)))
	}
	if n == 0 {
		return
	}
	t := &bidirTask{q: q, k: k, v: v, out: out, n: n, hd: headDim, dim: dim, scale: scale}
	if p == nil {
		t.Run(0, heads)
		return
	}
	p.Run(heads, t)
}
