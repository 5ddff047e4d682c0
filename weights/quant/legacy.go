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
		out[2+j] = byte(int8(math.Round(float64(v * id)))) // roundf: half away from zero
	}
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
