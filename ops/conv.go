package ops

import (
	"fmt"

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
// It is a GEMM out = wt·im2col(in) whose B panels are gathered straight from
// the image (implicit im2col), so scratch stays at a few hundred KiB for any
// image size. Work is split over output pixels; results do not depend on the
// pool's thread count. Bad shapes or short slices panic with a message.
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
