package ops

import "github.com/chatumm/chatumm/asm"

// KVCache holds the keys and values of one sequence for every layer, f16 by
// default (half the memory and bandwidth; accumulation stays f32) or f32.
// Keys per layer: [position][kvHeads × headDim], so a head's keys are rows
// one position apart and a block of scores is one strided matvec. Values
// per layer are transposed, [kvHeads × headDim][position], so the weighted
// sum of a block of values is also one matvec (row j of head h is element
// j of every position) instead of one axpy per position.
type KVCache struct {
	layers, kvHeads, headDim, capacity int
	f32                                bool
	length                             int
	k16, v16                           [][]uint16
	k32, v32                           [][]float32
}

// NewKVCache allocates a cache for capacity positions.
func NewKVCache(layers, kvHeads, headDim, capacity int, f32 bool) *KVCache {
	c := &KVCache{layers: layers, kvHeads: kvHeads, headDim: headDim, capacity: capacity, f32: f32}
	n := capacity * kvHeads * headDim
	for l := 0; l < layers; l++ {
		if f32 {
			c.k32 = append(c.k32, make([]float32, n))
			c.v32 = append(c.v32, make([]float32, n))
		} else {
			c.k16 = append(c.k16, make([]uint16, n))
			c.v16 = append(c.v16, make([]uint16, n))
		}
	}
	return c
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

// Bytes is the memory the cache holds.
func (c *KVCache) Bytes() int64 {
	elem := int64(2)
	if c.f32 {
		elem = 4
	}
	return 2 * int64(c.layers) * int64(c.capacity*c.kvHeads*c.headDim) * elem
}

// Store writes one position's keys and values (each kvHeads × headDim).
func (c *KVCache) Store(layer, pos int, k, v []float32) {
	d := c.kvHeads * c.headDim
	if pos < 0 || pos >= c.capacity {
		panic("ops: KVCache position out of range")
	}
	if c.f32 {
		copy(c.k32[layer][pos*d:(pos+1)*d], k[:d])
		vt := c.v32[layer]
		for e, x := range v[:d] {
			vt[e*c.capacity+pos] = x
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
		vt[e*c.capacity+pos] = asm.ToF16(x)
	}
}

// Read returns one position's keys and values as float32 (exact for f16:
// every half value is a float32).
func (c *KVCache) Read(layer, pos int, k, v []float32) {
	d := c.kvHeads * c.headDim
	if c.f32 {
		copy(k[:d], c.k32[layer][pos*d:(pos+1)*d])
		for e := range v[:d] {
			v[e] = c.v32[layer][e*c.capacity+pos]
		}
		return
	}
	asm.F16ToF32(k[:d], c.k16[layer][pos*d:(pos+1)*d])
	for e := range v[:d] {
		v[e] = asm.F16(c.v16[layer][e*c.capacity+pos])
	}
}
