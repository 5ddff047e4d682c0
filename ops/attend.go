package ops

import (
	"math"
	"sync"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// attnBlock is how many keys are scored at a time: the online softmax keeps
// a running max and sum across blocks, so no [T×T] buffer is ever needed.
const attnBlock = 256

type attnTask struct {
	c                *KVCache
	layer            int
	q, out           []float32
	nq, nHeads, pos0 int
	mask             func(qi, kpos int) bool
	scale            float32
}

var (
	attnTasks   = sync.Pool{New: func() any { return new(attnTask) }}
	attnScratch = sync.Pool{New: func() any { return new([]float32) }} // scores and a value sum
)

// Run handles units [lo, hi), one unit being one (query, head) pair.
func (t *attnTask) Run(lo, hi int) {
	c := t.c
	hd := c.headDim
	d := c.kvHeads * hd
	vrow := c.alloc // distance between value rows (transposed layout)
	group := t.nHeads / c.kvHeads
	bp := attnScratch.Get().(*[]float32)
	if cap(*bp) < attnBlock+hd {
		*bp = make([]float32, attnBlock+hd)
	}
	buf := (*bp)[:attnBlock]
	vsum := (*bp)[attnBlock : attnBlock+hd]
	ninf := float32(math.Inf(-1))
	for u := lo; u < hi; u++ {
		i, h := u/t.nHeads, u%t.nHeads
		kh := h / group
		q := t.q[(i*t.nHeads+h)*hd : (i*t.nHeads+h+1)*hd]
		o := t.out[(i*t.nHeads+h)*hd : (i*t.nHeads+h+1)*hd]
		clear(o)
		T := t.pos0 + i + 1
		m, l := ninf, float32(0)
		for t0 := 0; t0 < T; t0 += attnBlock {
			t1 := min(t0+attnBlock, T)
			s := buf[:t1-t0]
			// The keys of head kh are rows d apart in the cache: one
			// strided matvec scores the whole block (a call per key cost
			// more than the arithmetic of a 64-wide head).
			lo, hi := t0*d+kh*hd, (t1-1)*d+kh*hd+hd
			if c.f32 {
				asm.RowsF32(c.k32[t.layer][lo:hi], d, q, s)
			} else {
				asm.RowsF16(c.k16[t.layer][lo:hi], d, q, s)
			}
			asm.Scale(t.scale, s)
			if t.mask != nil {
				for k := t0; k < t1; k++ {
					if !t.mask(i, k) {
						s[k-t0] = ninf
					}
				}
			}
			bm := asm.Max(s)
			if bm == ninf {
				continue
			}
			if bm > m {
				if m != ninf {
					corr := float32(math.Exp(float64(m - bm)))
					asm.Scale(corr, o)
					l *= corr
				}
				m = bm
			}
			l += asm.ExpSub(s, s, m)
			// o += Σ_k s[k]·v_k: the values are stored transposed, so
			// element j of the sum is a dot of s with row j of the head.
			vlo, vhi := kh*hd*vrow+t0, (kh*hd+hd-1)*vrow+t1
			if c.f32 {
				asm.RowsF32(c.v32[t.layer][vlo:vhi], vrow, s, vsum)
			} else {
				asm.RowsF16(c.v16[t.layer][vlo:vhi], vrow, s, vsum)
			}
			asm.Add(o, o, vsum)
		}
		if l > 0 {
			asm.Scale(1/l, o)
		}
	}
	attnScratch.Put(bp)
}

// Attention computes softmax(q·Kᵀ/√d)·V over the cache for nq queries at
// positions startPos.. (their keys and values already stored). Query i sees
// positions [0, startPos+i] (causal) and, when mask is non-nil, only those
// where mask(i, kpos) is true. Grouped-query attention: head h reads kv head
// h/(nHeads/kvHeads). q and out are [nq × nHeads × headDim]. Work is split
// over (query, head) pairs, each computed the same way on any thread, with
// f32 accumulation and an online softmax.
func Attention(p *runtime.Pool, c *KVCache, layer int, q []float32, nq, nHeads int, startPos int, mask func(qi, kpos int) bool, out []float32) {
	if nHeads%c.kvHeads != 0 || len(q) < nq*nHeads*c.headDim || len(out) < nq*nHeads*c.headDim || startPos+nq > c.alloc {
		panic("ops: Attention shapes do not match the cache")
	}
	t := attnTasks.Get().(*attnTask)
	*t = attnTask{c: c, layer: layer, q: q, out: out, nq: nq, nHeads: nHeads, pos0: startPos, mask: mask,
		scale: float32(1 / math.Sqrt(float64(c.headDim)))}
	p.Run(nq*nHeads, t)
	*t = attnTask{}
	attnTasks.Put(t)
}
