package session

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/ops"
)

// kvInfo describes the KV section of a session file: positions × layers ×
// {K, V} × kvHeads×headDim values, stored as f16 bits or f32.
type kvInfo struct {
	Positions int  `json:"positions"`
	Layers    int  `json:"layers"`
	KVHeads   int  `json:"kv_heads"`
	HeadDim   int  `json:"head_dim"`
	F32       bool `json:"f32"`
}

func (k kvInfo) bytes() int {
	elem := 2
	if k.F32 {
		elem = 4
	}
	return k.Positions * k.Layers * 2 * k.KVHeads * k.HeadDim * elem
}

// exportKV serialises the first n positions of the cache. An f16 cache reads
// back exactly as f32 and narrows back to the same bits, so saving is
// lossless in either storage.
func exportKV(c *ops.KVCache, n int) (kvInfo, []byte) {
	info := kvInfo{Positions: n, Layers: c.Layers(), KVHeads: c.KVHeads(), HeadDim: c.HeadDim(), F32: c.IsF32()}
	d := info.KVHeads * info.HeadDim
	k, v := make([]float32, d), make([]float32, d)
	out := make([]byte, 0, info.bytes())
	h := make([]uint16, d)
	put := func(x []float32) {
		if info.F32 {
			for _, f := range x {
				out = binary.LittleEndian.AppendUint32(out, math.Float32bits(f))
			}
			return
		}
		asm.F32ToF16(h, x)
		for _, b := range h {
			out = binary.LittleEndian.AppendUint16(out, b)
		}
	}
	for l := 0; l < info.Layers; l++ {
		for p := 0; p < n; p++ {
			c.Read(l, p, k, v)
			put(k)
			put(v)
		}
	}
	return info, out
}

// checkKV verifies that a saved cache fits this model's cache.
func checkKV(c *ops.KVCache, info kvInfo, data []byte, tokens int) error {
	if info.Layers != c.Layers() || info.KVHeads != c.KVHeads() || info.HeadDim != c.HeadDim() {
		return fmt.Errorf("session KV cache has %d layers × %d heads × %d, this model %d × %d × %d",
			info.Layers, info.KVHeads, info.HeadDim, c.Layers(), c.KVHeads(), c.HeadDim())
	}
	if info.Positions < 0 || info.Positions > tokens || info.Positions > c.Cap() {
		return fmt.Errorf("session KV cache holds %d positions for %d tokens (context %d)", info.Positions, tokens, c.Cap())
	}
	if len(data) != info.bytes() {
		return fmt.Errorf("session KV section has %d bytes, its description needs %d", len(data), info.bytes())
	}
	// A NaN or infinity in the cache would poison every later logit: the
	// checksum only proves the file is what was written, so look.
	if info.F32 {
		for i := 0; i+4 <= len(data); i += 4 {
			if binary.LittleEndian.Uint32(data[i:])&0x7f800000 == 0x7f800000 {
				return fmt.Errorf("session KV cache holds a NaN or infinite value (value %d)", i/4)
			}
		}
	} else {
		for i := 0; i+2 <= len(data); i += 2 {
			if binary.LittleEndian.Uint16(data[i:])&0x7c00 == 0x7c00 {
				return fmt.Errorf("session KV cache holds a NaN or infinite value (value %d)", i/2)
			}
		}
	}
	return nil
}

// importKV restores a checked KV section.
func importKV(c *ops.KVCache, info kvInfo, data []byte) {
	d := info.KVHeads * info.HeadDim
	k, v := make([]float32, d), make([]float32, d)
	get := func(x []float32) {
		if info.F32 {
			for i := range x {
				x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data))
				data = data[4:]
			}
			return
		}
		for i := range x {
			x[i] = asm.F16(binary.LittleEndian.Uint16(data))
			data = data[2:]
		}
	}
	for l := 0; l < info.Layers; l++ {
		for p := 0; p < info.Positions; p++ {
			get(k)
			get(v)
			c.Store(l, p, k, v)
		}
	}
	c.SetLen(info.Positions)
}
