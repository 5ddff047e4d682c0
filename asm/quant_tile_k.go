package asm

import "encoding/binary"

// The Q4_K tile layout (quant_tilek_amd64.s has the kernel): per
// super-block of the eight rows, tileK4Bytes bytes:
//
//	@0         d of rows 0..7 (f16)         @16   dmin of rows 0..7 (f16)
//	@32+32j    sub-block j's 6-bit scale of rows 0..7, as two equal int16
//	@288+32j   sub-block j's min, the same way
//	@544+256j+32k  values 4k..4k+3 of sub-block j (its 32 values) of rows
//	               0..7, one byte 0..15 each
const tileK4Bytes = 544 + 8*256

// The Q5_K tiles have the same layout, with values 0..31.

// packKScales writes the d, dmin, scale and min parts of nb packed
// super-blocks of Q4_K or Q5_K rows (blockBytes 144 or 176; the values part
// is the packers').
func packKScales(dst, w []byte, rowBytes, nb, blockBytes int) {
	_ = dst[nb*tileK4Bytes-1]
	for b := 0; b < nb; b++ {
		out := dst[b*tileK4Bytes : (b+1)*tileK4Bytes]
		for r := 0; r < TileRows; r++ {
			blk := w[r*rowBytes+b*blockBytes : r*rowBytes+(b+1)*blockBytes]
			copy(out[2*r:2*r+2], blk[0:2])
			copy(out[16+2*r:16+2*r+2], blk[2:4])
			for j := 0; j < 8; j++ {
				sc, m := scaleMinK4(j, blk[4:16])
				binary.LittleEndian.PutUint32(out[32+32*j+4*r:], uint32(sc)*0x10001)
				binary.LittleEndian.PutUint32(out[288+32*j+4*r:], uint32(m)*0x10001)
			}
		}
	}
}

// packQ4_Kx8Generic is the Go twin of the Q4_K packer.
func packQ4_Kx8Generic(dst, w []byte, rowBytes, nb int) {
	packKGeneric(dst, w, rowBytes, nb, 144)
}

// packQ5_Kx8Generic is the Go twin of the Q5_K packer.
func packQ5_Kx8Generic(dst, w []byte, rowBytes, nb int) {
	packKGeneric(dst, w, rowBytes, nb, 176)
}

// packKGeneric packs Q4_K (blockBytes 144, qs @16) or Q5_K rows (176: qh
// @16, qs @48; bit 2c of qh[l] is value 64c+l's fifth bit, bit 2c+1 value
// 64c+32+l's).
func packKGeneric(dst, w []byte, rowBytes, nb, blockBytes int) {
	packKScales(dst, w, rowBytes, nb, blockBytes)
	for b := 0; b < nb; b++ {
		out := dst[b*tileK4Bytes+544 : (b+1)*tileK4Bytes]
		for r := 0; r < TileRows; r++ {
			blk := w[r*rowBytes+b*blockBytes : r*rowBytes+(b+1)*blockBytes]
			qs := blk[blockBytes-128:]
			for c := 0; c < 4; c++ {
				for l := 0; l < 32; l++ {
					q := qs[32*c+l]
					lo, hi := q&15, q>>4
					if blockBytes == 176 {
						lo |= blk[16+l] >> (2 * c) & 1 << 4
						hi |= blk[16+l] >> (2*c + 1) & 1 << 4
					}
					out[256*(2*c)+32*(l/4)+4*r+l%4] = lo
					out[256*(2*c+1)+32*(l/4)+4*r+l%4] = hi
				}
			}
		}
	}
}

// tileQ4_Kx8x4Generic is the twin of the AVX2 Q4_K and Q5_K tile kernels,
// from the packed layout: dotQ4_KGeneric's (and dotQ5_KGeneric's)
// arithmetic for each of the eight rows.
func tileQ4_Kx8x4Generic(tile []byte, nb int, xq [4][]byte) (y [4 * TileRows]float32) {
	for v := range xq {
		for r := 0; r < TileRows; r++ {
			var sum float32
			for b := 0; b < nb; b++ {
				blk, xb := tile[b*tileK4Bytes:(b+1)*tileK4Bytes], xq[v][b*q8_KBytes:(b+1)*q8_KBytes]
				var s, ms int32
				for j := 0; j < 8; j++ {
					var sj int32
					for l := 0; l < 32; l++ {
						sj += int32(blk[544+256*j+32*(l/4)+4*r+l%4]) * i8(xb[4+32*j+l])
					}
					sc := int32(binary.LittleEndian.Uint16(blk[32+32*j+4*r:]))
					m := int32(binary.LittleEndian.Uint16(blk[288+32*j+4*r:]))
					b0 := int16(binary.LittleEndian.Uint16(xb[260+4*j:]))
					b1 := int16(binary.LittleEndian.Uint16(xb[262+4*j:]))
					s += sc * sj
					ms += m * (int32(b0) + int32(b1))
				}
				dx := q8KScale(xb)
				dw := F16(binary.LittleEndian.Uint16(blk[2*r:]))
				dmin := F16(binary.LittleEndian.Uint16(blk[16+2*r:]))
				sum += float32(float32(s)*(dw*dx)) - float32(float32(ms)*(dmin*dx))
			}
			y[v*TileRows+r] = sum
		}
	}
	return y
}

var (
	tileQ4_KGeneric = &TileKernel{Bytes: tileK4Bytes, Pack: packQ4_Kx8Generic, Mul: tileQ4_Kx8x4Generic}
	tileQ5_KGeneric = &TileKernel{Bytes: tileK4Bytes, Pack: packQ5_Kx8Generic, Mul: tileQ4_Kx8x4Generic}
)
