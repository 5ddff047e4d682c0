package asm

// Tests of the block-quantized kernels. The weight layouts are decoded here a
// second time, straight from ggml-common.h's structs (testDecode), so the
// twins are checked against the format, and every SIMD path is checked
// against the twins. The dot-product tests are in quant_rows_test.go.

import (
	"encoding/binary"
	"math"
	"math/rand"
	"strings"
	"testing"
)

var quantTypes = []QType{Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K}

// randScaleF16 is a random f16 scale of either sign, 2^-10..2^-3 in size.
func randScaleF16(r *rand.Rand) uint16 {
	v := float32(math.Exp2(-10 + 7*r.Float64()))
	if r.Intn(2) == 0 {
		v = -v
	}
	return ToF16(v)
}

// randQBlocks returns nb random blocks of type q starting off bytes into a
// fresh slice: random quant bits, random finite f16 scales.
func randQBlocks(r *rand.Rand, q QType, nb, off int) []byte {
	buf := make([]byte, off+nb*q.BlockBytes())
	b := buf[off:]
	for i := range b {
		b[i] = byte(r.Intn(256))
	}
	for k := 0; k < nb; k++ {
		blk := b[k*q.BlockBytes():]
		var f16s []int // offsets of f16 fields
		switch q {
		case Q4_0, Q5_0, Q8_0:
			f16s = []int{0}
		case Q4_1, Q5_1, Q4_K, Q5_K:
			f16s = []int{0, 2}
		case Q6_K:
			f16s = []int{208}
		}
		for _, o := range f16s {
			binary.LittleEndian.PutUint16(blk[o:], randScaleF16(r))
		}
	}
	return b
}

// randAct returns n activations: uniform in ±s with a few large outliers,
// and, when there are at least two blocks of 32, a second block of zeros
// (amax = 0).
func randAct(r *rand.Rand, n, off int) []float32 {
	x := randF32(r, n, off, 1)
	for i := range x {
		if r.Intn(50) == 0 {
			x[i] *= 20
		}
	}
	if n >= 64 {
		clear(x[32:64])
	}
	return x
}

// testDecode returns, for each value of one block, its scale part (d·q) and
// its offset part (m, or -dmin·min), decoded field by field.
func testDecode(q QType, blk []byte) (mul, add []float64) {
	n := q.BlockElems()
	mul, add = make([]float64, n), make([]float64, n)
	h := func(o int) float64 { return float64(F16(uint16(blk[o]) | uint16(blk[o+1])<<8)) }
	bit := func(b []byte, i int) int { return int(b[i/8]>>(i%8)) & 1 }
	nib := func(b []byte, i int) int { // 32-value formats: value i's nibble
		if i < 16 {
			return int(b[i] & 15)
		}
		return int(b[i-16] >> 4)
	}
	switch q {
	case Q4_0, Q4_1, Q5_0, Q5_1:
		qsOff := map[QType]int{Q4_0: 2, Q4_1: 4, Q5_0: 6, Q5_1: 8}[q]
		for i := 0; i < 32; i++ {
			v := nib(blk[qsOff:], i)
			if q == Q5_0 || q == Q5_1 {
				v += 16 * bit(blk[qsOff-4:], i)
			}
			switch q {
			case Q4_0:
				v -= 8
			case Q5_0:
				v -= 16
			default:
				add[i] = h(2)
			}
			mul[i] = h(0) * float64(v)
		}
	case Q8_0:
		for i := 0; i < 32; i++ {
			mul[i] = h(0) * float64(int8(blk[2+i]))
		}
	case Q4_K, Q5_K:
		// 8 sub-blocks of 32 values; 6-bit scale and min of sub-block j:
		// j < 4: low 6 bits of bytes j and j+4; j >= 4: low (scale) or high
		// (min) nibble of byte j+4, with the top two bits of byte j-4
		// (scale) or byte j (min) above it.
		s := blk[4:16]
		qs := blk[16:]
		if q == Q5_K {
			qs = blk[48:]
		}
		for i := 0; i < 256; i++ {
			j := i / 32
			var sc, m int
			if j < 4 {
				sc, m = int(s[j]&63), int(s[j+4]&63)
			} else {
				sc = int(s[j+4]&15) + 16*int(s[j-4]>>6)
				m = int(s[j+4]>>4) + 16*int(s[j]>>6)
			}
			chunk, l := i/64, i%32
			v := int(qs[32*chunk+l] & 15)
			if i%64 >= 32 {
				v = int(qs[32*chunk+l] >> 4)
			}
			if q == Q5_K {
				v += 16 * int(blk[16+l]>>j&1)
			}
			mul[i] = h(0) * float64(sc) * float64(v)
			add[i] = -h(2) * float64(m)
		}
	case Q6_K:
		for i := 0; i < 256; i++ {
			half, k, l := i/128, i%128/32, i%32
			lo := blk[64*half+32*(k%2)+l]
			if k >= 2 {
				lo >>= 4
			}
			hi := blk[128+32*half+l] >> (2 * k) & 3
			v := int(lo&15) + 16*int(hi) - 32
			mul[i] = h(208) * float64(int8(blk[192+i/16])) * float64(v)
		}
	}
	return mul, add
}

// actDecode widens QuantizeAct's output for type q: the values d·q and, per
// 32-value block of the q8_1 format, the stored s.
func actDecode(q QType, xq []byte, n int) (x []float64, s []float64) {
	switch qtypeInfo[q].act {
	case actQ8_K:
		for b := 0; b < n/256; b++ {
			blk := xq[b*292:]
			d := float64(math.Float32frombits(binary.LittleEndian.Uint32(blk)))
			for j := 0; j < 256; j++ {
				x = append(x, d*float64(int8(blk[4+j])))
			}
		}
	default:
		bs, qo := 34, 2
		if qtypeInfo[q].act == actQ8_1 {
			bs, qo = 36, 4
		}
		for b := 0; b < n/32; b++ {
			blk := xq[b*bs:]
			d := float64(F16(binary.LittleEndian.Uint16(blk)))
			for j := 0; j < 32; j++ {
				x = append(x, d*float64(int8(blk[qo+j])))
			}
			if qo == 4 {
				s = append(s, float64(F16(binary.LittleEndian.Uint16(blk[2:]))))
			}
		}
	}
	return x, s
}

var quantBlockCounts = []int{0, 1, 2, 3, 7}

func TestDequantizeRowMatchesLayout(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, k := range Available() {
		for _, q := range quantTypes {
			for _, nb := range quantBlockCounts {
				off := nb % 4
				w := randQBlocks(r, q, nb, off)
				got := make([]float32, nb*q.BlockElems())
				k.Dequantize[q](got, w)
				for b := 0; b < nb; b++ {
					mul, add := testDecode(q, w[b*q.BlockBytes():])
					for i := range mul {
						want := mul[i] + add[i]
						if g := float64(got[b*q.BlockElems()+i]); math.Abs(g-want) > 2*eps32*(math.Abs(mul[i])+math.Abs(add[i])) {
							t.Fatalf("%s %v nb=%d: value %d = %g, layout says %g", k.Name, q, nb, b*q.BlockElems()+i, g, want)
						}
					}
				}
			}
		}
	}
}

func TestQuantizeActRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	g := Generic()
	for _, q := range []QType{Q8_0, Q4_1, Q6_K} { // the three activation formats
		for _, nb := range quantBlockCounts {
			n := nb * q.BlockElems()
			x := randAct(r, n, nb%4)
			want := make([]byte, ActBytes(q, n))
			g.QuantizeAct[q](want, x)
			xd, s := actDecode(q, want, n)
			be := 32
			if q == Q6_K {
				be = 256
			}
			for b := 0; b < n/be; b++ {
				var amax float64
				for _, v := range x[b*be : (b+1)*be] {
					amax = max(amax, math.Abs(float64(v)))
				}
				d := amax / 127
				// Rounding to the nearest step costs d/2; q8_0/q8_1 store d
				// as f16, which moves each value by up to 127·|f16(d)-d|.
				// (1+1e-4) covers the float32 roundings of the multiplier
				// and the product.
				bound := d/2*(1+1e-4) + 127*math.Abs(float64(F16(ToF16(float32(d))))-d)
				if q == Q6_K {
					bound = d / 2 * (1 + 1e-4)
				}
				var sum float64
				for j := b * be; j < (b+1)*be; j++ {
					if e := math.Abs(xd[j] - float64(x[j])); e > bound {
						t.Fatalf("%v nb=%d value %d: %g quantized to %g (error %g > %g)", q, nb, j, x[j], xd[j], e, bound)
					}
					sum += xd[j]
				}
				if s != nil && math.Abs(s[b]-sum) > 1e-3*math.Abs(sum)+1e-7 {
					t.Fatalf("%v nb=%d block %d: s = %g, d·sum(qs) = %g", q, nb, b, s[b], sum)
				}
			}
			checkActInts(t, q, want, n)
			for _, k := range simdImplsOrNone() {
				got := make([]byte, len(want))
				k.QuantizeAct[q](got, x)
				if string(got) != string(want) {
					t.Fatalf("%s %v nb=%d: quantized activations differ from generic", k.Name, q, nb)
				}
			}
		}
	}
}

// TestQuantizeActEdges: ties round to even on every path, a block of zeros
// quantizes to zeros, and q8_K takes the sign of the first value of the
// largest magnitude.
func TestQuantizeActEdges(t *testing.T) {
	x := make([]float32, 3*256)
	for i := range 256 { // block 0: multiplier 1, every value a tie
		x[i] = float32(i%100-50) + 0.5
	}
	x[7], x[9] = -127, 127             // q8_K: max = -127, iscale = 1; q8_0 block 0: amax 127
	x[256+5], x[256+6] = 3, -3         // block 1 (K): max = +3 first; the rest of block 1 stays 0
	for i := 2 * 256; i < 3*256; i++ { // block 2: so small that 127/amax overflows
		x[i] = float32(i%7-3) * 1e-38
	}
	for _, q := range []QType{Q8_0, Q4_1, Q6_K} {
		want := make([]byte, ActBytes(q, len(x)))
		Generic().QuantizeAct[q](want, x)
		checkActInts(t, q, want, len(x))
		xq := want[2:]
		if q == Q4_1 {
			xq = want[4:]
		}
		if q == Q6_K {
			xq = want[4:]
			if d := math.Float32frombits(binary.LittleEndian.Uint32(want)); d != 1 {
				t.Errorf("q8_K block 0: d = %g, want 1 (max -127 comes first: iscale = -127/-127)", d)
			}
			three := float32(3)
			if d, want := math.Float32frombits(binary.LittleEndian.Uint32(want[292:])), 1/(-127/three); d != want {
				t.Errorf("q8_K block 1: d = %g, want %g (max +3 comes first)", d, want)
			}
			for i, v := range want[2*292 : 3*292] {
				if v != 0 {
					t.Fatalf("q8_K block of 1e-38s: byte %d = %d, want zeros", i, v)
				}
			}
		}
		if q != Q6_K { // the 32-value blocks of 1e-38s are zeros too
			bs, qo := 34, 2
			if q == Q4_1 {
				bs, qo = 36, 4
			}
			for b := 16; b < 24; b++ {
				for j, v := range want[b*bs+qo : (b+1)*bs] {
					if v != 0 {
						t.Fatalf("%v block %d of 1e-38s: value %d = %d, want 0", q, b, j, int8(v))
					}
				}
			}
		}
		// Block 0's multiplier is 1: -49.5 → -50, -48.5 → -48.
		for i, v := range []float32{x[0], x[1], x[2]} {
			wantQ := int8(math.RoundToEven(float64(v)))
			if got := int8(xq[i]); got != wantQ {
				t.Errorf("%v: %g quantized to %d, want %d (ties to even)", q, v, got, wantQ)
			}
		}
		// Every path gives the twin's bytes for blocks 0 and 1; for block 2
		// the contract is only d = 0 (so its values count for nothing),
		// which the neon path meets with other bytes.
		normal := ActBytes(q, 512)
		for _, k := range simdImplsOrNone() {
			got := make([]byte, len(want))
			k.QuantizeAct[q](got, x)
			if string(got[:normal]) != string(want[:normal]) {
				t.Errorf("%s %v: edge-case activations differ from generic", k.Name, q)
			}
			xd, _ := actDecode(q, got, len(x))
			for i, v := range xd[512:] {
				if v != 0 {
					t.Fatalf("%s %v: value %d of the 1e-38 block dequantizes to %g, want 0", k.Name, q, 512+i, v)
				}
			}
		}
	}
}

// checkActInts checks that no quantized activation is -128 (the SIMD dot
// products rely on it) and that q8_K's bsums are the sums of its groups.
func checkActInts(t *testing.T, q QType, xq []byte, n int) {
	t.Helper()
	bs, qo, be := 34, 2, 32
	switch qtypeInfo[q].act {
	case actQ8_1:
		bs, qo = 36, 4
	case actQ8_K:
		bs, qo, be = 292, 4, 256
	}
	for b := 0; b < n/be; b++ {
		blk := xq[b*bs:]
		for j := 0; j < be; j++ {
			if int8(blk[qo+j]) == -128 {
				t.Fatalf("%v block %d value %d is -128", q, b, j)
			}
		}
		if be == 256 {
			for g := 0; g < 16; g++ {
				var sum int
				for j := 0; j < 16; j++ {
					sum += int(int8(blk[4+16*g+j]))
				}
				if got := int(int16(binary.LittleEndian.Uint16(blk[260+2*g:]))); got != sum {
					t.Fatalf("%v block %d bsums[%d] = %d, sum of group = %d", q, b, g, got, sum)
				}
			}
		}
	}
}

// simdImplsOrNone lists the non-generic paths (possibly none).
func simdImplsOrNone() []*Kernels {
	var ks []*Kernels
	for _, k := range Available() {
		if k.Name != "generic" {
			ks = append(ks, k)
		}
	}
	return ks
}

func TestQuantWrappersRejectBadLengths(t *testing.T) {
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", what)
			}
		}()
		f()
	}
	x := make([]float32, 64)
	xq := make([]byte, ActBytes(Q4_0, 64))
	w := make([]byte, 2*2*18)
	y := make([]float32, 2)
	mustPanic("QNone", func() { QuantizeAct(QNone, xq, x) })
	mustPanic("partial block", func() { QuantizeAct(Q4_0, xq, x[:40]) })
	mustPanic("short dst", func() { QuantizeAct(Q4_0, xq[:67], x) })
	mustPanic("short weights", func() { RowsQ(Q4_0, w[:71], 36, xq, 64, y) })
	mustPanic("short stride", func() { RowsQ(Q4_0, w, 35, xq, 64, y) })
	mustPanic("short activations", func() { RowsQ(Q4_0, w, 36, xq[:60], 64, y) })
	mustPanic("short src", func() { DequantizeRow(Q4_K, make([]float32, 256), make([]byte, 143)) })
	mustPanic("K partial block", func() { ActBytes(Q6_K, 32) })
	two := [][]byte{xq, xq}
	mustPanic("RowsQMulti short y", func() { RowsQMulti(Q4_0, w, 36, two, 64, [][]float32{y, y[:1]}, 0, 2) })
	mustPanic("RowsQMulti short xq", func() { RowsQMulti(Q4_0, w, 36, [][]byte{xq, xq[:67]}, 64, [][]float32{y, y}, 0, 2) })
	mustPanic("RowsQMulti counts", func() { RowsQMulti(Q4_0, w, 36, two, 64, [][]float32{y}, 0, 2) })
	mustPanic("RowsQMulti rows", func() { RowsQMulti(Q4_0, w, 36, two, 64, [][]float32{y, y}, 0, 3) })
	QuantizeAct(Q4_0, xq, x)
	RowsQ(Q4_0, w, 36, xq, 64, y) // exact sizes are fine
	RowsQMulti(Q4_0, w, 36, two, 64, [][]float32{y, make([]float32, 2)}, 0, 2)
}

func TestQTypeNames(t *testing.T) {
	want := map[QType][3]any{
		Q4_0: {"Q4_0", 32, 18}, Q4_1: {"Q4_1", 32, 20}, Q5_0: {"Q5_0", 32, 22}, Q5_1: {"Q5_1", 32, 24},
		Q8_0: {"Q8_0", 32, 34}, Q4_K: {"Q4_K", 256, 144}, Q5_K: {"Q5_K", 256, 176}, Q6_K: {"Q6_K", 256, 210},
	}
	for q, w := range want {
		if q.String() != w[0] || q.BlockElems() != w[1] || q.BlockBytes() != w[2] {
			t.Errorf("%d: %v %d %d, want %v", q, q, q.BlockElems(), q.BlockBytes(), w)
		}
		for _, name := range []string{w[0].(string), strings.ToLower(w[0].(string))} {
			if got, ok := QTypeByName(name); !ok || got != q {
				t.Errorf("QTypeByName(%q) = %v, %v", name, got, ok)
			}
		}
	}
	if got, ok := QTypeByName("q4_k"); !ok || got != Q4_K {
		t.Errorf("QTypeByName(q4_k) = %v, %v", got, ok)
	}
	if _, ok := QTypeByName("q3_k"); ok {
		t.Error("QTypeByName(q3_k) succeeded")
	}
	if QNone.String() != "none" || QNone.BlockElems() != 0 {
		t.Errorf("QNone: %v %d", QNone, QNone.BlockElems())
	}
}
