package asm

import (
	"encoding/binary"
	"fmt"
)

// Packed weight tiles for prefill: a kernel path may multiply a
// block-quantized matrix TileRows rows at a time from a packed copy of
// those rows (made per call into the caller's scratch, so the weights stay
// in place in the mmap), as llama.cpp's "repack" layouts do. In the packed
// layout one vector load holds a few values of every row, so the integer
// sums land one row per lane and one convert, multiply and add per block
// serve all the rows: fewer instructions per product than the one-row
// kernels' horizontal layout, which pays only when the tile is reused for
// many vectors (prefill), since packing reads and writes the rows once.
//
// A tile path gives every row the generic twin's bits (per block the exact
// integer sum S, then sum += float32(S)·(d_w·d_x), a multiply and an add
// each rounded to float32), which for Q8_0 differ in rounding from the
// AVX2 decode kernels' (eight float lanes per row), and for Q4_0 are the
// decode kernels' bits too (quant_q4_0_amd64.s; TestTileBits).

// TileRows is the number of weight rows in one packed tile.
const TileRows = 8

// tileBlockBytes is one packed block of a tile: the rows' f16 scales and
// their 32 values each as int8 (Q8_0's values, Q4_0's q-8).
const tileBlockBytes = 16 + TileRows*32

// TileKernel is a path's packed-tile kernel for one weight type.
type TileKernel struct {
	// Bytes is the size of one packed block (TileRows rows' block b).
	Bytes int
	// Pack writes blocks 0..nb-1 of TileRows rows of w (row stride
	// rowBytes) into dst (nb·Bytes bytes), nb >= 1.
	Pack func(dst, w []byte, rowBytes, nb int)
	// Mul returns y[v·TileRows+r] = row r of the packed tile · xq[v] over
	// nb >= 1 blocks, for the four activation vectors (by value: a pointer
	// through a func value would escape, an allocation per call).
	Mul func(tile []byte, nb int, xq [4][]byte) (y [4 * TileRows]float32)
}

// HasTile reports whether the active path multiplies q weights in packed
// tiles (RowsQTiled then differs from RowsQMulti in rounding).
func HasTile(q QType) bool { return q.valid() && active.TileQ[q] != nil }

// TileScratchBytes is the scratch RowsQTiled needs for rows of n values of q
// on the active path (0 where it has no tile kernel for q).
func TileScratchBytes(q QType, n int) int {
	mustQType(q)
	if tk := active.TileQ[q]; tk != nil {
		return mustBlocks(q, n) * tk.Bytes
	}
	return 0
}

// RowsQTiled computes what RowsQMulti does (ys[v][r] = dot(weight row r,
// x_v) for lo <= r < hi) through the active path's packed tiles, each row
// with the generic twin's bits, packing TileRows rows at a time into
// scratch (TileScratchBytes long; owned by the caller, one per thread). The
// rows of [lo, hi) that do not fill a tile run the generic twin. A path
// with no tile kernel for q runs RowsQMulti instead.
func RowsQTiled(q QType, w []byte, rowBytes int, xqs [][]byte, n int, ys [][]float32, lo, hi int, scratch []byte) {
	if !HasTile(q) {
		RowsQMulti(q, w, rowBytes, xqs, n, ys, lo, hi)
		return
	}
	tk := active.TileQ[q]
	nb, empty := checkRowsQMulti("RowsQTiled", q, w, rowBytes, xqs, n, ys, lo, hi)
	if empty {
		return
	}
	if len(scratch) < nb*tk.Bytes {
		panic(fmt.Sprintf("asm: RowsQTiled scratch of %d bytes for %v rows of %d values, need %d", len(scratch), q, n, nb*tk.Bytes))
	}
	need := nb * q.BlockBytes()
	if nb == 0 {
		for v := range ys {
			clear(ys[v][lo:hi])
		}
		return
	}
	tile := scratch[:nb*tk.Bytes]
	r := lo
	for ; r+TileRows <= hi; r += TileRows {
		tk.Pack(tile, w[r*rowBytes:], rowBytes, nb)
		for v := 0; v < len(xqs); v += 4 {
			// A last group of fewer than four vectors repeats its last one.
			var x [4][]byte
			for j := range x {
				x[j] = xqs[min(v+j, len(xqs)-1)]
			}
			out := tk.Mul(tile, nb, x)
			for j := 0; j < 4 && v+j < len(xqs); j++ {
				copy(ys[v+j][r:r+TileRows], out[j*TileRows:])
			}
		}
	}
	for ; r < hi; r++ {
		for v := range xqs {
			generic.RowsQ[q](w[r*rowBytes:r*rowBytes+need], rowBytes, nb, xqs[v], ys[v][r:r+1])
		}
	}
}

// packQ8_0x8Generic is the tile layout (quant_tile_amd64.s): per block the
// eight rows' f16 d (16 bytes), then for k = 0..7 the four values 4k..4k+3
// of rows 0..7 (32 bytes): tileBlockBytes.
func packQ8_0x8Generic(dst, w []byte, rowBytes, nb int) {
	packTileGeneric(dst, w, rowBytes, nb, 34, func(blk []byte, v *[32]int8) {
		for j := range v {
			v[j] = int8(blk[2+j])
		}
	})
}

// packQ4_0x8Generic packs Q4_0 rows into the same layout, each value as
// the int8 q-8.
func packQ4_0x8Generic(dst, w []byte, rowBytes, nb int) {
	packTileGeneric(dst, w, rowBytes, nb, 18, func(blk []byte, v *[32]int8) {
		for j := 0; j < 16; j++ {
			v[j], v[16+j] = int8(blk[2+j]&15)-8, int8(blk[2+j]>>4)-8
		}
	})
}

// packTileGeneric packs blocks of blockBytes bytes (an f16 d first) whose
// 32 values values decodes.
func packTileGeneric(dst, w []byte, rowBytes, nb, blockBytes int, values func(blk []byte, v *[32]int8)) {
	_ = dst[nb*tileBlockBytes-1]
	var v [32]int8
	for b := 0; b < nb; b++ {
		out := dst[b*tileBlockBytes : (b+1)*tileBlockBytes]
		for r := 0; r < TileRows; r++ {
			blk := w[r*rowBytes+b*blockBytes : r*rowBytes+(b+1)*blockBytes]
			copy(out[2*r:2*r+2], blk[:2])
			values(blk, &v)
			for j, x := range v {
				out[16+32*(j/4)+4*r+j%4] = byte(x)
			}
		}
	}
}

// tileQ8_0x8x4Generic is the twin of the AVX2 tile kernel, from the packed
// layout: dotQ8_0Generic's arithmetic for each of the eight rows.
func tileQ8_0x8x4Generic(tile []byte, nb int, xq [4][]byte) (y [4 * TileRows]float32) {
	for v := range xq {
		for r := 0; r < TileRows; r++ {
			var sum float32
			for b := 0; b < nb; b++ {
				blk, xb := tile[b*tileBlockBytes:(b+1)*tileBlockBytes], xq[v][b*q8_0Bytes:(b+1)*q8_0Bytes]
				var s int32
				for k := 0; k < 8; k++ {
					for j := 0; j < 4; j++ {
						s += i8(blk[16+32*k+4*r+j]) * i8(xb[2+4*k+j])
					}
				}
				dw := F16(binary.LittleEndian.Uint16(blk[2*r:]))
				sum += float32(float32(s) * (dw * f16At(xb, 0)))
			}
			y[v*TileRows+r] = sum
		}
	}
	return y
}

// The Go twins of the tile kernels (tests).
var (
	tileQ8_0Generic = &TileKernel{Bytes: tileBlockBytes, Pack: packQ8_0x8Generic, Mul: tileQ8_0x8x4Generic}
	tileQ4_0Generic = &TileKernel{Bytes: tileBlockBytes, Pack: packQ4_0x8Generic, Mul: tileQ8_0x8x4Generic}
)
