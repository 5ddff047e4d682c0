package quant

// K-quants work on super-blocks of 256 elements. Q4_K and Q5_K split one
// into 8 sub-blocks of 32, each with its own scale and minimum (x ≈ d·sc·q −
// dmin·m), the 8 scales and 8 minimums themselves quantized to 6 bits
// against the super-block's f16 d and dmin. Q6_K splits it into 16
// sub-blocks of 16 with signed 8-bit scales and symmetric 6-bit values.

const qkK = 256

// makeQKX2 is ggml's make_qkx2_quants for a sub-block of 32: the scale
// and minimum with levels 0..nmax, minimising the weighted squared error
// over nstep+1 trial scales around (max-min)/nmax. It writes the levels to
// l and returns the scale and the minimum to subtract (≥ 0).
func makeQKX2(nmax int, x, w *[32]float32, l *[32]uint8, rmin, rdelta float32, nstep int) (scale, negMin float32) {
	mn, mx := x[0], x[0]
	sumW := w[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < 32; i++ {
		if x[i] < mn { // comparisons, not min/max, which order −0 below +0
			mn = x[i]
		}
		if x[i] > mx {
			mx = x[i]
		}
		sumW += w[i]
		sumX += float32(w[i] * x[i])
	}
	if mn > 0 {
		mn = 0
	}
	if mx == mn {
		*l = [32]uint8{}
		return 0, -mn
	}
	fmax := float32(nmax)
	iscale := fmax / (mx - mn)
	scale = 1 / iscale
	var bestErr float32
	for i := range 32 {
		q := clampInt(nearestInt(float32(iscale*(x[i]-mn))), 0, nmax)
		l[i] = uint8(q)
		diff := float32(scale*float32(q)) + mn - x[i]
		bestErr += float32(w[i] * float32(diff*diff))
	}
	var aux [32]uint8
	for is := 0; is <= nstep; is++ {
		iscale = (rmin + float32(rdelta*float32(is)) + fmax) / (mx - mn)
		var sumL, sumL2, sumXL float32
		for i := range 32 {
			q := clampInt(nearestInt(float32(iscale*(x[i]-mn))), 0, nmax)
			aux[i] = uint8(q)
			fq := float32(q)
			wq := float32(w[i] * fq)
			sumL += wq
			sumL2 += float32(wq * fq)
			sumXL += float32(wq * x[i])
		}
		det := float32(sumW*sumL2) - float32(sumL*sumL)
		if det > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / det
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / det
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curErr float32
			for i := range 32 {
				diff := float32(thisScale*float32(aux[i])) + thisMin - x[i]
				curErr += float32(w[i] * float32(diff*diff))
			}
			if curErr < bestErr {
				*l = aux
				bestErr, scale, mn = curErr, thisScale, thisMin
			}
		}
	}
	return scale, -mn
}

// groupMaxEps is ggml's GROUP_MAX_EPS: a group whose largest magnitude is
// below it is all zeros.
const groupMaxEps = 1e-15

// makeQX is ggml's make_qx_quants for a group of 16 with rmse_type 1 and
// no importance weights (as Q6_K's reference quantizer calls it):
// symmetric levels −nmax..nmax−1 stored as 0..2·nmax−1 in l, the scale
// chosen among 19 trials to maximise the x²-weighted fit.
func makeQX(nmax int, x *[16]float32, l *[16]int8) float32 {
	var amax, mx float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, mx = a, v
		}
	}
	if amax < groupMaxEps {
		*l = [16]int8{}
		return 0
	}
	sumLX, sumL2 := fitQX(nmax, x, float32(-nmax)/mx, l)
	var scale float32
	if sumL2 != 0 {
		scale = sumLX / sumL2
	}
	best := float32(scale * sumLX)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale := -(float32(nmax) + float32(0.1*float32(is))) / mx
		sumLX, sumL2 = fitQX(nmax, x, iscale, nil)
		if sumL2 > 0 && float32(sumLX*sumLX) > float32(best*sumL2) {
			fitQX(nmax, x, iscale, l)
			scale = sumLX / sumL2
			best = float32(scale * sumLX)
		}
	}
	return scale
}

// fitQX is one trial scale of makeQX: the weighted sums, and the levels
// into l unless l is nil.
func fitQX(nmax int, x *[16]float32, iscale float32, l *[16]int8) (sumLX, sumL2 float32) {
	for i, v := range x {
		q := clampInt(nearestInt(float32(iscale*v)), -nmax, nmax-1)
		if l != nil {
			l[i] = int8(q + nmax)
		}
		w := float32(v * v)
		fq := float32(q)
		sumLX += float32(float32(w*v) * fq)
		sumL2 += float32(float32(w*fq) * fq)
	}
	return sumLX, sumL2
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

// blockQ4_K is quantize_row_q4_K_ref for one super-block: block_q4_K is
// d, dmin (f16), 12 bytes of packed 6-bit scales and minimums, then 128
// bytes of 4-bit levels.
func blockQ4_K(out []byte, x []float32) {
	var levels [qkK]uint8
	scalesMinsK(out[4:16], out[0:2], out[2:4], levels[:], x, 15, -1, 0.1, 20)
	qs := out[16:144]
	for j := 0; j < qkK; j += 64 {
		for i := range 32 {
			qs[i] = levels[j+i] | levels[j+i+32]<<4
		}
		qs = qs[32:]
	}
}

// blockQ5_K is quantize_row_q5_K_ref for one super-block: block_q5_K is
// d, dmin, 12 bytes of scales and minimums, 32 bytes of fifth bits (qh),
// 128 bytes of low nibbles.
func blockQ5_K(out []byte, x []float32) {
	var levels [qkK]uint8
	scalesMinsK(out[4:16], out[0:2], out[2:4], levels[:], x, 31, -0.5, 0.1, 15)
	qh, ql := out[16:48], out[48:176]
	clear(qh)
	m1, m2 := uint8(1), uint8(2)
	for n := 0; n < qkK; n += 64 {
		for j := range 32 {
			l1, l2 := levels[n+j], levels[n+j+32]
			if l1 > 15 {
				l1 -= 16
				qh[j] |= m1
			}
			if l2 > 15 {
				l2 -= 16
				qh[j] |= m2
			}
			ql[j] = l1 | l2<<4
		}
		m1 <<= 2
		m2 <<= 2
		ql = ql[32:]
	}
}

// scalesMinsK is the part Q4_K and Q5_K share: per sub-block of 32 a
// (scale, minimum) from makeQKX2 weighted by rms+|x|, both sets quantized
// to 6 bits against d = max scale/63 and dmin = max minimum/63 and packed
// as ggml's get_scale_min_k4 reads them; then every level recomputed
// against the scales as stored.
func scalesMinsK(packed, dOut, dminOut []byte, levels []uint8, x []float32, nmax int, rmin, rdelta float32, nstep int) {
	var scales, mins [8]float32
	var wts [32]float32
	var maxScale, maxMin float32
	for j := range 8 {
		sub := (*[32]float32)(x[32*j : 32*j+32])
		var sumX2 float32
		for _, v := range sub {
			sumX2 += float32(v * v)
		}
		avX := sqrt32(sumX2 / 32)
		for i, v := range sub {
			wts[i] = avX + abs32(v)
		}
		scales[j], mins[j] = makeQKX2(nmax, sub, &wts, (*[32]uint8)(levels[32*j:32*j+32]), rmin, rdelta, nstep)
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	for j := range 8 {
		ls := min(63, uint8(nearestInt(float32(invScale*scales[j]))))
		lm := min(63, uint8(nearestInt(float32(invMin*mins[j]))))
		if j < 4 {
			packed[j], packed[j+4] = ls, lm
		} else {
			packed[j+4] = ls&0xf | lm&0xf<<4
			packed[j-4] |= ls >> 4 << 6
			packed[j] |= lm >> 4 << 6
		}
	}
	d := putF16(dOut, maxScale/63)
	dmin := putF16(dminOut, maxMin/63)
	for j := range 8 {
		sc, m := scaleMinK4(j, packed)
		dj := float32(d * float32(sc))
		if dj == 0 {
			continue
		}
		dm := float32(dmin * float32(m))
		for i := range 32 {
			levels[32*j+i] = uint8(clampInt(nearestInt((x[32*j+i]+dm)/dj), 0, nmax))
		}
	}
}

// scaleMinK4 is ggml's get_scale_min_k4: sub-block j's 6-bit scale and
// minimum from the 12 packed bytes.
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | q[j-4]>>6<<4, q[j+4]>>4 | q[j]>>6<<4
}

// blockQ6_K is quantize_row_q6_K_ref for one super-block: block_q6_K is
// 128 bytes of low nibbles (ql), 64 bytes of high 2-bit pairs (qh), 16
// int8 scales, then d (f16); x ≈ d·scale·(q−32).
func blockQ6_K(out []byte, x []float32) {
	var levels [qkK]int8
	var scales [16]float32
	var maxScale, maxAbs float32
	for ib := range 16 {
		s := makeQX(32, (*[16]float32)(x[16*ib:16*ib+16]), (*[16]int8)(levels[16*ib:16*ib+16]))
		scales[ib] = s
		if abs32(s) > maxAbs {
			maxAbs, maxScale = abs32(s), s
		}
	}
	if maxAbs < groupMaxEps {
		clear(out[:210])
		return
	}
	iscale := -128 / maxScale
	d := putF16(out[208:210], 1/iscale)
	sc := out[192:208]
	for ib := range 16 {
		sc[ib] = byte(int8(min(127, nearestInt(float32(iscale*scales[ib])))))
	}
	for j := range 16 {
		dj := float32(d * float32(int8(sc[j])))
		if dj == 0 {
			continue
		}
		for i := range 16 {
			levels[16*j+i] = int8(clampInt(nearestInt(x[16*j+i]/dj), -32, 31) + 32)
		}
	}
	ql, qh := out[0:128], out[128:192]
	for j := 0; j < qkK; j += 128 {
		for l := range 32 {
			q1, q2 := uint8(levels[j+l]), uint8(levels[j+l+32])
			q3, q4 := uint8(levels[j+l+64]), uint8(levels[j+l+96])
			ql[l] = q1&0xf | (q3&0xf)<<4
			ql[l+32] = q2&0xf | (q4&0xf)<<4
			qh[l] = q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6
		}
		ql, qh = ql[64:], qh[32:]
	}
}
