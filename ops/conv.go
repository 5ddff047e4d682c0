package ops

import (
	"fmt"
	"sync/atomic"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// Conv2D convolves one NCHW image in[cin][h][w] with weights wt (PyTorch
// layout flattened: wt.Rows = cout, wt.Cols = cin·k·k, index
// [co][ci·k·k + ky·k + kx]; F32, F16 or BF16) and adds bias (len cout, or
// nil), writing out[cout][oh][ow]. Supported shapes:
//
//	k odd, stride 1: zero padding k/2 on every side, oh×ow = h×w
//	  (3×3 "same" convs and 1×1 projections);
//	stride 2: padding 0 on the top/left and 1 on the bottom/right, as
//	  taming-transformers' Downsample (F.pad(x, (0,1,0,1)) then conv stride
//	  2), oh = (h+1-k)/2 + 1.
//
// 3×3 stride-1 convs with at least winoMinChannels input channels use
// Winograd F(2×2, 3×3) (conv3x3Winograd: 2.25× less arithmetic, float32
// rounding a few times larger than direct summation). Everything else is a
// GEMM out = wt·im2col(in) whose B panels are gathered straight from the
// image (implicit im2col), so scratch stays at a few hundred KiB for any
// image size. Work is split over output pixels; results do not depend on
// the pool's thread count. Bad shapes or short slices panic with a message.
func Conv2D(p *runtime.Pool, in []float32, cin, h, w int, wt *Mat, bias []float32, k, stride int, out []float32) (oh, ow int) {
	checkMat("ops.Conv2D", wt)
	var padLo, padHi int
	switch {
	case stride == 1 && k > 0 && k%2 == 1:
		padLo, padHi = k/2, k/2
	case stride == 2 && k > 0:
		padLo, padHi = 0, 1
	default:
		panic(fmt.Sprintf("ops.Conv2D: unsupported kernel %d with stride %d (stride 1 needs an odd kernel; stride 2 pads bottom/right)", k, stride))
	}
	cout := wt.Rows
	if cin <= 0 || h <= 0 || w <= 0 || wt.Cols != cin*k*k {
		panic(fmt.Sprintf("ops.Conv2D: weight %d×%d does not fit cin=%d k=%d (want %d columns), image %d×%d",
			wt.Rows, wt.Cols, cin, k, cin*k*k, h, w))
	}
	if h+padLo+padHi < k || w+padLo+padHi < k {
		panic(fmt.Sprintf("ops.Conv2D: padded image %d×%d is smaller than the %d×%d kernel", h+padLo+padHi, w+padLo+padHi, k, k))
	}
	oh = (h+padLo+padHi-k)/stride + 1
	ow = (w+padLo+padHi-k)/stride + 1
	if len(in) < cin*h*w || len(out) < cout*oh*ow || (bias != nil && len(bias) < cout) {
		panic(fmt.Sprintf("ops.Conv2D: need len(in) >= %d, len(out) >= %d, len(bias) >= %d; have %d, %d, %d",
			cin*h*w, cout*oh*ow, cout, len(in), len(out), len(bias)))
	}
	if cout == 0 {
		return oh, ow
	}
	if k == 3 && stride == 1 && cin >= winoMinChannels {
		conv3x3Winograd(p, in, cin, h, w, wt, bias, out)
		return oh, ow
	}
	j := gemmJobs.get()
	j.setup(cout, oh*ow, cin*k*k, out, oh*ow, bias)
	j.a, j.b = *wt, Mat{}
	j.im = &j.conv
	j.conv = convInput{in: in, cin: cin, h: h, w: w, k: k, stride: stride, padLo: padLo, oh: oh, ow: ow}
	j.run(p)
	j.conv.in = nil
	gemmJobs.put(j)
	return oh, ow
}

// convInput is the im2col view of an image: B[q][pix] with q = ci·k·k +
// ky·k + kx and pix = oy·ow + ox is in[ci][oy·stride+ky-padLo][ox·stride+kx-padLo],
// zero outside the image.
type convInput struct {
	in                          []float32
	cin, h, w, k, stride, padLo int
	oh, ow                      int
}

// pack writes B[k0..k0+kc) × pixels [j0, j0+cols) as one k-major panel of
// width nr (lanes past cols are zero). A run of pixels on one output row
// reads one input row; with stride 1 that is a contiguous copy.
func (ci *convInput) pack(dst []float32, j0, cols, k0, kc, nr int) {
	k, s, h, w := ci.k, ci.stride, ci.h, ci.w
	for p := 0; p < kc; p++ {
		q := k0 + p
		c, r := q/(k*k), q%(k*k)
		ky, kx := r/k, r%k
		plane := ci.in[c*h*w : (c+1)*h*w]
		lane := dst[p*nr : (p+1)*nr]
		oy, ox := j0/ci.ow, j0%ci.ow
		for t := 0; t < cols; {
			run := min(cols-t, ci.ow-ox)
			seg := lane[t : t+run]
			iy := oy*s + ky - ci.padLo
			ix0 := ox*s + kx - ci.padLo
			switch {
			case iy < 0 || iy >= h:
				clear(seg)
			case s == 1:
				row := plane[iy*w : (iy+1)*w]
				lo := min(max(-ix0, 0), run) // seg[:lo] is left of the image
				hi := min(max(w-ix0, lo), run)
				clear(seg[:lo])
				copy(seg[lo:hi], row[ix0+lo:ix0+hi])
				clear(seg[hi:])
			default:
				row := plane[iy*w : (iy+1)*w]
				for u := range seg {
					if ix := ix0 + u*s; ix >= 0 && ix < w {
						seg[u] = row[ix]
					} else {
						seg[u] = 0
					}
				}
			}
			t += run
			ox = 0
			oy++
		}
		clear(lane[cols:])
	}
}

// UpsampleNearest2x doubles an NCHW image in[c][h][w] into
// out[c][2h][2w], each pixel repeated 2×2 (PyTorch interpolate with
// mode="nearest", scale_factor=2).
func UpsampleNearest2x(in []float32, c, h, w int, out []float32) {
	if c < 0 || h < 0 || w < 0 || len(in) < c*h*w || len(out) < 4*c*h*w {
		panic(fmt.Sprintf("ops.UpsampleNearest2x: %d×%d×%d needs len(in) >= %d, len(out) >= %d; have %d, %d",
			c, h, w, c*h*w, 4*c*h*w, len(in), len(out)))
	}
	for ch := 0; ch < c; ch++ {
		for y := 0; y < h; y++ {
			src := in[(ch*h+y)*w : (ch*h+y+1)*w]
			dst := out[(ch*2*h+2*y)*2*w : (ch*2*h+2*y+1)*2*w]
			for x, v := range src {
				dst[2*x], dst[2*x+1] = v, v
			}
			copy(out[(ch*2*h+2*y+1)*2*w:(ch*2*h+2*y+2)*2*w], dst)
		}
	}
}

// Winograd F(2×2, 3×3) (Lavin & Gray 2015) for 3×3 stride-1 convs. Each
// 2×2 output tile is Aᵀ[Σ_ci (G g Gᵀ) ⊙ (Bᵀ d B)]A over the 4×4 input patch
// d of every input channel, so one tile and channel pair costs 16
// multiply-adds instead of 36. Summed over input channels, the 16
// elementwise products are 16 GEMMs M[ξ] = U[ξ]·V[ξ] (cout×cin times
// cin×tiles), run on the GEMM micro-kernel:
//
//	U[ξ] = G g Gᵀ   the weights, transformed and packed once per call
//	                into MR-row strips (winoWeights)
//	V[ξ] = Bᵀ d B   the input tiles, written by the input transform straight
//	                in the k-major NR-lane panel layout the kernel reads, so
//	                there is no separate packing pass
//	out  = Aᵀ M A   + bias, the output transform
//
// Workers take chunks of nt consecutive tiles (raster order; nt fits V and
// M of a chunk in winoScratchFloats) and do all three steps for a chunk in
// their own scratch, which stays in cache; there is no barrier between the
// steps. A tile's arithmetic does not depend on its chunk or worker, so
// results are bit-identical for any thread count.

// winoMinChannels: with fewer input channels the transforms cost more than
// the GEMMs save.
const winoMinChannels = 16

// winoScratchFloats bounds one worker's V and M (16·(cin+cout)·tiles
// floats, 2 MiB) so a chunk stays cache-resident.
const winoScratchFloats = 1 << 19

// winoConv is one Winograd conv shared by the workers.
type winoConv struct {
	kern     *asm.Kernels
	mr, nr   int
	in, out  []float32
	bias     []float32
	wt       *Mat
	cin      int
	cout     int
	h, w     int
	tw, th   int // tiles per row and column
	nt       int // tiles per chunk, a multiple of nr
	sv, sm   int // distance between V[ξ] and V[ξ+1], M[ξ] and M[ξ+1]
	kc       int // k block of the GEMMs
	strips   int // MR-row strips of U
	up       []float32
	weighing bool // Run transforms weights (rows of U) instead of tiles
	chunks   int
	next     atomic.Int64 // next chunk to take
}

var winoScratches gemmFreeList[[]float32]

func conv3x3Winograd(p *runtime.Pool, in []float32, cin, h, w int, wt *Mat, bias, out []float32) {
	kern := asm.Active()
	mr, nr := kern.GemmMR, kern.GemmNR
	c := &winoConv{kern: kern, mr: mr, nr: nr, in: in, out: out, bias: bias, wt: wt,
		cin: cin, cout: wt.Rows, h: h, w: w, tw: (w + 1) / 2, th: (h + 1) / 2, kc: gemmKC(cin)}
	c.strips = (c.cout + mr - 1) / mr
	c.nt = max(nr, winoScratchFloats/(16*(cin+c.cout))/nr*nr)
	c.nt = min(c.nt, (c.tw*c.th+nr-1)/nr*nr)
	// The transforms touch all 16 V[ξ] (M[ξ]) per tile; a padding of 32
	// floats keeps those 16 streams off the same 4 KiB-aliased cache sets.
	c.sv, c.sm = cin*c.nt+32, c.cout*c.nt+32
	up := winoScratches.get()
	if n := 16 * c.strips * mr * cin; len(*up) < n {
		*up = make([]float32, n)
	}
	c.up = (*up)[:16*c.strips*mr*cin]
	if c.cout%mr != 0 {
		clear(c.up) // rows past cout stay zero
	}
	c.weighing = true
	p.RunGrain(c.cout, mr, c)
	c.weighing = false
	c.chunks = (c.tw*c.th + c.nt - 1) / c.nt
	p.Run(c.chunks, c)
	winoScratches.put(up)
}

// Run transforms weight rows [lo, hi) (weighing) or computes tile chunks.
// Workers take chunks from a shared counter rather than the range they were
// given, so a worker slowed by other processes on the machine does not hold
// the others up; which worker computes a chunk does not change its bits.
func (c *winoConv) Run(lo, hi int) {
	if c.weighing {
		c.weights(lo, hi)
		return
	}
	s := winoScratches.get()
	n := 16 * (c.sv + c.sm)
	if len(*s) < n+c.mr*c.nr {
		*s = make([]float32, n+c.mr*c.nr)
	}
	v := (*s)[:16*c.sv]
	m := (*s)[16*c.sv : n]
	tile := (*s)[n : n+c.mr*c.nr]
	for ch := int(c.next.Add(1) - 1); ch < c.chunks; ch = int(c.next.Add(1) - 1) {
		t0 := ch * c.nt
		c.inputTransform(v, t0)
		c.multiply(m, v, tile)
		c.outputTransform(m, t0)
	}
	winoScratches.put(s)
}

// weights writes U[ξ] = G g Gᵀ for output channels [lo, hi) into c.up,
// G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1], packed for the micro-kernel: k block
// k0 of U[ξ] starts at ξ·strips·mr·cin + strips·mr·k0, strip st of it at
// st·mr·kc, and U[ξ][co][ci] sits at (ci-k0)·mr + co%mr within the strip.
func (c *winoConv) weights(lo, hi int) {
	row := make([]float32, c.wt.Cols)
	mr, cin := c.mr, c.cin
	for co := lo; co < hi; co++ {
		c.wt.RowInto(row, co)
		st, lane := co/mr, co%mr
		for ci := 0; ci < cin; ci++ {
			g := row[ci*9 : ci*9+9]
			var gg [4][3]float32 // G·g
			for x := 0; x < 3; x++ {
				g0, g1, g2 := g[x], g[3+x], g[6+x]
				gg[0][x] = g0
				gg[1][x] = (g0 + g1 + g2) * 0.5
				gg[2][x] = (g0 - g1 + g2) * 0.5
				gg[3][x] = g2
			}
			k0 := ci / c.kc * c.kc
			kc := min(c.kc, cin-k0)
			at := c.strips*mr*k0 + st*mr*kc + (ci-k0)*mr + lane
			for y := 0; y < 4; y++ {
				g0, g1, g2 := gg[y][0], gg[y][1], gg[y][2]
				u := [4]float32{g0, (g0 + g1 + g2) * 0.5, (g0 - g1 + g2) * 0.5, g2}
				for x, val := range u {
					c.up[(4*y+x)*c.strips*mr*cin+at] = val
				}
			}
		}
	}
}

// inputTransform writes V[ξ] = Bᵀ d B for the chunk of tiles from t0, with
// Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], into v as panels of nr
// tiles: V[ξ][ci][t] at ξ·sv + (t/nr)·cin·nr + ci·nr + t%nr. Tiles past
// the image are zero. Rows are transformed first (d·B), then columns.
func (c *winoConv) inputTransform(v []float32, t0 int) {
	h, w, nr, cin, nt := c.h, c.w, c.nr, c.cin, c.nt
	S := c.sv
	var edge [4 * 34]float32
	for ci := 0; ci < cin; ci++ {
		plane := c.in[ci*h*w : (ci+1)*h*w]
		tr, tc := t0/c.tw, t0%c.tw
		at, lane := ci*nr, 0 // tile t's index in V[0]
		for t, step := 0, 1; t < nt; t += step {
			y0, x0 := 2*tr-1, 2*tc-1
			// 16 tiles of one tile row and one panel go to asm's 16-tile
			// transform; patches that stick out of the image are first
			// copied, zero-padded, to edge.
			step = 16
			if nr%16 == 0 && lane%16 == 0 && t+16 <= nt && tc+16 <= c.tw && tr < c.th {
				src, stride := edge[:], 34
				if y0 >= 0 && y0+4 <= h && x0 >= 0 && x0+34 <= w {
					src, stride = plane[y0*w+x0:], w
				} else {
					c.padPatches(&edge, plane, y0, x0)
				}
				asm.WinogradInput16(src, stride, v[at:], S)
				c.advance(&at, &lane, &tr, &tc, step)
				continue
			}
			step = 1
			// Row y of d·B: db[y] = (d0-d2, d1+d2, d2-d1, d1-d3).
			var db [4][4]float32
			if tr >= c.th {
				// past the last tile: zero
			} else if y0 >= 0 && y0+4 <= h && x0 >= 0 && x0+4 <= w {
				for y := 0; y < 4; y++ {
					r := plane[(y0+y)*w+x0 : (y0+y)*w+x0+4]
					d0, d1, d2, d3 := r[0], r[1], r[2], r[3]
					db[y] = [4]float32{d0 - d2, d1 + d2, d2 - d1, d1 - d3}
				}
			} else {
				for y := 0; y < 4; y++ {
					iy := y0 + y
					if iy < 0 || iy >= h {
						continue
					}
					var d [4]float32
					for x := 0; x < 4; x++ {
						if ix := x0 + x; ix >= 0 && ix < w {
							d[x] = plane[iy*w+ix]
						}
					}
					db[y] = [4]float32{d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3]}
				}
			}
			o := v[at : at+15*S+1]
			for x := 0; x < 4; x++ {
				b0, b1, b2, b3 := db[0][x], db[1][x], db[2][x], db[3][x]
				o[x*S] = b0 - b2
				o[(4+x)*S] = b1 + b2
				o[(8+x)*S] = b2 - b1
				o[(12+x)*S] = b1 - b3
			}
			c.advance(&at, &lane, &tr, &tc, step)
		}
	}
}

// padPatches copies the 4 rows × 34 columns from (y0, x0) of plane into
// edge, zero outside the image: the input of 16 tiles at the image edge.
func (c *winoConv) padPatches(edge *[4 * 34]float32, plane []float32, y0, x0 int) {
	clear(edge[:])
	lo, hi := max(0, -x0), min(34, c.w-x0)
	for y := 0; y < 4; y++ {
		if iy := y0 + y; iy >= 0 && iy < c.h && lo < hi {
			copy(edge[y*34+lo:y*34+hi], plane[iy*c.w+x0+lo:])
		}
	}
}

// advance moves the input transform on by step tiles: at and lane are the
// tile's index in V[0] and its panel lane, tr and tc its tile row and column.
func (c *winoConv) advance(at, lane, tr, tc *int, step int) {
	if *at, *lane = *at+step, *lane+step; *lane == c.nr {
		*at, *lane = *at-c.nr+c.cin*c.nr, 0
	}
	if *tc += step; *tc == c.tw {
		*tc, *tr = 0, *tr+1
	}
}

// multiply computes M[ξ] = U[ξ]·V[ξ] into m (M[ξ][co][t] at ξ·sm +
// co·nt + t), k block by k block on the micro-kernel; the first block
// stores its products, the others add theirs. tile is an mr×nr scratch for
// the last strip when cout is not a multiple of mr.
func (c *winoConv) multiply(m, v, tile []float32) {
	mr, nr, cin, cout, nt := c.mr, c.nr, c.cin, c.cout, c.nt
	micro := c.kern.GemmMicro
	for xi := 0; xi < 16; xi++ {
		u := c.up[xi*c.strips*mr*cin : (xi+1)*c.strips*mr*cin]
		vx := v[xi*c.sv : xi*c.sv+cin*nt]
		mx := m[xi*c.sm : xi*c.sm+cout*nt]
		for k0 := 0; k0 < cin; k0 += c.kc {
			kc := min(c.kc, cin-k0)
			ublock := u[c.strips*mr*k0:]
			for j0 := 0; j0 < nt; j0 += nr {
				bp := vx[j0*cin+k0*nr : j0*cin+(k0+kc)*nr]
				for st := 0; st < c.strips; st++ {
					ap := ublock[st*mr*kc : (st+1)*mr*kc]
					i := st * mr
					switch rows := cout - i; {
					case rows < mr:
						clear(tile)
						for r := 0; r < rows && k0 > 0; r++ {
							copy(tile[r*nr:(r+1)*nr], mx[(i+r)*nt+j0:])
						}
						micro(kc, ap, bp, tile, nr)
						for r := 0; r < rows; r++ {
							copy(mx[(i+r)*nt+j0:(i+r)*nt+j0+nr], tile[r*nr:])
						}
					case k0 > 0:
						micro(kc, ap, bp, mx[i*nt+j0:], nt)
					default:
						c.kern.GemmMicroSet(kc, ap, bp, mx[i*nt+j0:], nt)
					}
				}
			}
		}
	}
}

// outputTransform writes out = Aᵀ M A + bias, Aᵀ = [1 1 1 0; 0 1 -1 -1],
// for the chunk of tiles from t0, dropping pixels past the image edge.
func (c *winoConv) outputTransform(m []float32, t0 int) {
	h, w, cout, nt := c.h, c.w, c.cout, c.nt
	S := c.sm
	tiles := min(nt, c.tw*c.th-t0)
	for co := 0; co < cout; co++ {
		var b float32
		if c.bias != nil {
			b = c.bias[co]
		}
		plane := c.out[co*h*w : (co+1)*h*w]
		tr, tc := t0/c.tw, t0%c.tw
		for t, step := 0, 1; t < tiles; t += step {
			oy, ox := 2*tr, 2*tc
			step = 16
			if t+16 <= tiles && tc+16 <= c.tw && oy+2 <= h && ox+32 <= w {
				asm.WinogradOutput16(m[co*nt+t:], S, plane[oy*w+ox:], plane[(oy+1)*w+ox:], b)
				if tc += step; tc == c.tw {
					tc, tr = 0, tr+1
				}
				continue
			}
			step = 1
			q := m[co*nt+t : co*nt+t+15*S+1]
			// Aᵀ·M, column x: (q0+q4+q8, q4-q8-q12).
			var r0, r1 [4]float32
			for x := 0; x < 4; x++ {
				q4, q8 := q[(4+x)*S], q[(8+x)*S]
				r0[x] = q[x*S] + q4 + q8
				r1[x] = q4 - q8 - q[(12+x)*S]
			}
			if oy+2 <= h && ox+2 <= w {
				top := plane[oy*w+ox : oy*w+ox+2]
				top[0] = r0[0] + r0[1] + r0[2] + b
				top[1] = r0[1] - r0[2] - r0[3] + b
				bot := plane[(oy+1)*w+ox : (oy+1)*w+ox+2]
				bot[0] = r1[0] + r1[1] + r1[2] + b
				bot[1] = r1[1] - r1[2] - r1[3] + b
			} else {
				for y, r := range [2]*[4]float32{&r0, &r1} {
					if oy+y >= h {
						break
					}
					plane[(oy+y)*w+ox] = r[0] + r[1] + r[2] + b
					if ox+1 < w {
						plane[(oy+y)*w+ox+1] = r[1] - r[2] - r[3] + b
					}
				}
			}
			if tc++; tc == c.tw {
				tc = 0
				tr++
			}
		}
	}
}
