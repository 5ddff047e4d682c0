package quant

import "math"

// blockQ8_0 is quantize_row_q8_0_ref for one block of 32: block_q8_0 is
// d (f16) then 32 int8, x ≈ d·q with d = max|x|/127.
func blockQ8_0(out []byte, x []float32) {
	var amax float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax = a
		}
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(out, d)
	for j, v := range x {
		out[2+j] = byte(int8(roundAway(float32(v * id))))
	}
}

// roundAway is C's roundf (half away from zero) for |v| < 2^31: the
// fraction v − trunc(v) is exact in float32, so comparing it with ±0.5
// decides exactly.
func roundAway(v float32) int32 {
	t := int32(v)
	if d := v - float32(t); d >= 0.5 {
		t++
	} else if d <= -0.5 {
		t--
	}
	return t
}

// blockQ4_0 is quantize_row_q4_0_ref for one block of 32: block_q4_0 is d
// (f16) then 16 bytes, element j in the low nibble of byte j and element
// j+16 in its high nibble, x ≈ d·(q-8) with d = (the value of largest
// magnitude)/-8, so that value maps exactly to q = 0.
func blockQ4_0(out []byte, x []float32) {
	var amax, mx float32
	for _, v := range x {
		if amax < abs32(v) {
			amax, mx = abs32(v), v
		}
	}
	d := mx / -8
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(out, d)
	for j := range 16 {
		// (int8_t)(x*id + 8.5f): truncation of a value in [0.5, 16.5].
		lo := min(15, int(int8(float32(x[j]*id)+8.5)))
		hi := min(15, int(int8(float32(x[j+16]*id)+8.5)))
		out[2+j] = byte(lo) | byte(hi)<<4
	}
}

// minMax is the smallest and largest value, by comparisons as ggml's
// reference code (starting from ±FLT_MAX).
func minMax(x []float32) (mn, mx float32) {
	mn, mx = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < mn {
			mn = v
		}
		if v > mx {
			mx = v
		}
	}
	return mn, mx
}

// blockQ4_1 is quantize_row_q4_1_ref for one block of 32: block_q4_1 is
// d, m (f16), 16 bytes of nibbles as Q4_0's, x ≈ d·q + m with m the block's
// minimum and d its range/15.
func blockQ4_1(out []byte, x []float32) {
	mn, mx := minMax(x)
	d := (mx - mn) / 15
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(out[0:2], d)
	putF16(out[2:4], mn)
	for j := range 16 {
		lo := min(15, int(int8(float32((x[j]-mn)*id)+0.5)))
		hi := min(15, int(int8(float32((x[j+16]-mn)*id)+0.5)))
		out[4+j] = byte(lo) | byte(hi)<<4
	}
}

// blockQ5_0 is quantize_row_q5_0_ref for one block of 32: block_q5_0 is d
// (f16), the 32 fifth bits as a little-endian uint32 (bit j: element j),
// then 16 bytes of low nibbles as Q4_0's; x ≈ d·(q−16), d = (the value of
// largest magnitude)/−16.
func blockQ5_0(out []byte, x []float32) {
	var amax, mx float32
	for _, v := range x {
		if amax < abs32(v) {
			amax, mx = abs32(v), v
		}
	}
	d := mx / -16
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(out, d)
	var qh uint32
	for j := range 16 {
		lo := uint8(min(31, int(int8(float32(x[j]*id)+16.5))))
		hi := uint8(min(31, int(int8(float32(x[j+16]*id)+16.5))))
		out[6+j] = lo&0xf | (hi&0xf)<<4
		qh |= uint32(lo>>4) << j
		qh |= uint32(hi>>4) << (j + 16)
	}
	putU32(out[2:6], qh)
}

// blockQ5_1 is quantize_row_q5_1_ref for one block of 32: block_q5_1 is
// d, m (f16), the fifth bits (uint32), 16 bytes of low nibbles; x ≈ d·q + m.
func blockQ5_1(out []byte, x []float32) {
	mn, mx := minMax(x)
	d := (mx - mn) / 31
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(out[0:2], d)
	putF16(out[2:4], mn)
	var qh uint32
	for j := range 16 {
		lo := uint8(float32((x[j]-mn)*id) + 0.5)
		hi := uint8(float32((x[j+16]-mn)*id) + 0.5)
		out[8+j] = lo&0xf | (hi&0xf)<<4
		qh |= uint32(lo>>4&1) << j
		qh |= uint32(hi>>4&1) << (j + 16)
	}
	putU32(out[4:8], qh)
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
