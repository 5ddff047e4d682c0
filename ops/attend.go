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
	attnScratch = sync.Pool{New: func() any { b := make([]float32, attnBlock); return &b }}
)

// Run handles units [lo, hi), one unit being one (query, head) pair.
func (t *attnTask) Run(lo, hi int) {
	c := t.c
	hd := c.headDim
	d := c.kvHeads * hd
	group := t.nHeads / c.kvHeads
	bp := attnScratch.Get().(*[]float32)
	buf := *bp
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
			for k := t0; k < t1; k++ {
				off := k*d + kh*hd
				var dot float32
				if c.f32 {
					dot = asm.DotF32(q, c.k32[t.layer][off:off+hd])
				} else {
					dot = asm.DotF16(c.k16[t.layer][off:off+hd], q)
				}
				s[k-t0] = dot * t.scale
				if t.mask != nil && !t.mask(i, k) {
					s[k-t0] = ninf
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
			for k := t0; k < t1; k++ {
				p := s[k-t0]
				if p == 0 {
					continue
				}
				off := k*d + kh*hd
				if c.f32 {
					asm.Axpy(p, c.v32[t.layer][off:off+hd], o)
				} else {
					asm.AxpyF16(p, c.v16[t.layer][off:off+hd], o)
				}
			}
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
	if nHeads%c.kvHeads != 0 || len(q) < nq*nHeads*c.headDim || len(out) < nq*nHeads*c.headDim || startPos+nq > c.capacity {
		panic("ops: Attention shapes do not match the cache")
	}
	t := attnTasks.Get().(*attnTask)
	*t = attnTask{c: c, layer: layer, q: q, out: out, nq: nq, nHeads: nHeads, pos0: startPos, mask: mask,
		scale: float32(1 / math.Sqrt(float64(c.headDim)))}
	p.Run(nq*nHeads, t)
	*t = attnTask{}
	attnTasks.Put(t)
}
