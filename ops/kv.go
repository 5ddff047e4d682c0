package ops

import "github.com/chatumm/chatumm/asm"

// KVCache holds the keys and values of one sequence for every layer, f16 by
// default (half the memory and bandwidth; accumulation stays f32) or f32.
// Keys per layer: [position][kvHeads × headDim], so a head's keys are rows
// one position apart and a block of scores is one strided matvec. Values
// per layer are transposed, [kvHeads × headDim][position], so the weighted
// sum of a block of values is also one matvec (row j of head h is element
// j of every position) instead of one axpy per position.
//
// Memory grows with use, not with the capacity: a cache starts with room
// for a few positions and doubles (up to its capacity) when a store goes
// past it, so a model whose config allows millions of positions costs
// only what a conversation actually holds. The transposed values are
// re-laid out on growth; doubling keeps that copying linear overall.
type KVCache struct {
	layers, kvHeads, headDim int
	capacity                 int // the most positions the cache may hold
	alloc                    int // positions allocated: the stride of value rows
	f32                      bool
	length                   int
	k16, v16                 [][]uint16  // [layers][alloc × kvHeads·headDim], [layers][kvHeads·headDim × alloc]
	k32, v32                 [][]float32 // the same in f32 storage
}

// minKVAlloc is the first allocation: a short prompt needs no regrowth.
const minKVAlloc = 256

// NewKVCache makes a cache for up to capacity positions; memory is
// allocated as positions are stored (Reserve).
func NewKVCache(layers, kvHeads, headDim, capacity int, f32 bool) *KVCache {
	c := &KVCache{layers: layers, kvHeads: kvHeads, headDim: headDim, capacity: capacity, f32: f32}
	if f32 {
		c.k32, c.v32 = make([][]float32, layers), make([][]float32, layers)
	} else {
		c.k16, c.v16 = make([][]uint16, layers), make([][]uint16, layers)
	}
	return c
}

// Reserve makes room for positions [0, n) (n ≤ Cap()). Stores into a
// reserved range may run in parallel; a Store beyond it grows the cache,
// which must not race with other Stores.
func (c *KVCache) Reserve(n int) {
	if n > c.capacity {
		panic("ops: KVCache reserve beyond capacity")
	}
	if n <= c.alloc {
		return
	}
	alloc := min(c.capacity, max(n, 2*c.alloc, minKVAlloc))
	d := c.kvHeads * c.headDim
	for l := 0; l < c.layers; l++ {
		if c.f32 {
			c.k32[l], c.v32[l] = regrow(c.k32[l], c.v32[l], d, c.alloc, alloc)
		} else {
			c.k16[l], c.v16[l] = regrow(c.k16[l], c.v16[l], d, c.alloc, alloc)
		}
	}
	c.alloc = alloc
}

// regrow copies keys k ([old × d]) and transposed values v ([d × old])
// into buffers for alloc positions. Every allocated position is kept, not
// only the first Len(): a prefill stores past Len before it sets it.
func regrow[T uint16 | float32](k, v []T, d, old, alloc int) ([]T, []T) {
	nk, nv := make([]T, alloc*d), make([]T, d*alloc)
	copy(nk, k)
	for e := 0; e < d && old > 0; e++ {
		copy(nv[e*alloc:e*alloc+old], v[e*old:(e+1)*old])
	}
	return nk, nv
}

func (c *KVCache) Layers() int  { return c.layers }
func (c *KVCache) KVHeads() int { return c.kvHeads }
func (c *KVCache) HeadDim() int { return c.headDim }
func (c *KVCache) IsF32() bool  { return c.f32 }
func (c *KVCache) Cap() int     { return c.capacity }

// Len is the number of positions in use; SetLen changes it (truncation
// keeps the memory).
func (c *KVCache) Len() int { return c.length }
func (c *KVCache) SetLen(n int) {
	if n < 0 || n > c.capacity {
		panic("ops: KVCache length out of range")
	}
	c.length = n
}

// Bytes is the memory the cache holds now.
func (c *KVCache) Bytes() int64 {
	elem := int64(2)
	if c.f32 {
		elem = 4
	}
	return 2 * int64(c.layers) * int64(c.alloc*c.kvHeads*c.headDim) * elem
}

// Store writes one position's keys and values (each kvHeads × headDim).
func (c *KVCache) Store(layer, pos int, k, v []float32) {
	d := c.kvHeads * c.headDim
	if pos < 0 || pos >= c.capacity {
		panic("ops: KVCache position out of range")
	}
	if pos >= c.alloc {
		c.Reserve(pos + 1)
	}
	if c.f32 {
		copy(c.k32[layer][pos*d:(pos+1)*d], k[:d])
		vt := c.v32[layer]
		for e, x := range v[:d] {
			vt[e*c.alloc+pos] = x
		}
		return
	}
	asm.F32ToF16(c.k16[layer][pos*d:(pos+1)*d], k[:d])
	// Narrow element by element straight into the transposed layout:
	// asm.ToF16 rounds exactly like the vector kernel, and a scratch
	// buffer would either allocate (a local array escapes into the kernel
	// call) or race (prefill stores rows of one cache in parallel).
	vt := c.v16[layer]
	for e, x := range v[:d] {
		vt[e*c.alloc+pos] = asm.ToF16(x)
	}
}

// Read returns one position's keys and values as float32 (exact for f16:
// every half value is a float32).
func (c *KVCache) Read(layer, pos int, k, v []float32) {
	d := c.kvHeads * c.headDim
	if c.f32 {
		copy(k[:d], c.k32[layer][pos*d:(pos+1)*d])
		for e := range v[:d] {
			v[e] = c.v32[layer][e*c.alloc+pos]
		}
		return
	}
	asm.F16ToF32(k[:d], c.k16[layer][pos*d:(pos+1)*d])
	for e := range v[:d] {
		v[e] = asm.F16(c.v16[layer][e*c.alloc+pos])
	}
}
