package ops

import (
	"fmt"

	"github.com/chatumm/chatumm/runtime"
)

// PatchEmbed is a vision transformer's patch embedding: the convolution
// whose kernel and stride are both patch, without padding, as one GEMM.
// in is a [c, h, w] image; h and w must be multiples of patch. wt is the
// convolution weight [out, c, patch, patch] seen as out × (c·patch·patch)
// (PyTorch's layout, flattened), bias has out values (or is nil). out
// receives one row of wt.Rows values per patch, in raster order (patch
// (py, px) is row py·w/patch + px): [gh·gw, out], the sequence a
// transformer reads, not a channel-major feature map.
//
// Each patch's c·patch·patch inputs are gathered into a row (this is a
// non-overlapping im2col: every pixel is copied once), so the convolution
// is exactly Gemm on those rows, with its bit-identical results on any
// thread count. The gathered rows are allocated per call, an image's
// worth.
func PatchEmbed(p *runtime.Pool, in []float32, c, h, w, patch int, wt *Mat, bias, out []float32) (gh, gw int) {
	if patch <= 0 || h%patch != 0 || w%patch != 0 {
		panic(fmt.Sprintf("ops.PatchEmbed: a %d×%d image is not a whole number of %d-pixel patches", h, w, patch))
	}
	k := c * patch * patch
	gh, gw = h/patch, w/patch
	n := gh * gw
	if len(in) < c*h*w || wt.Cols != k || len(out) < n*wt.Rows || (bias != nil && len(bias) != wt.Rows) {
		panic(fmt.Sprintf("ops.PatchEmbed: [%d, %d, %d] image, %d-pixel patches and a %d×%d weight need %d inputs, %d outputs and %d biases, have %d, %d and %d",
			c, h, w, patch, wt.Rows, wt.Cols, c*h*w, n*wt.Rows, wt.Rows, len(in), len(out), len(bias)))
	}
	cols := make([]float32, n*k)
	for py := 0; py < gh; py++ {
		for px := 0; px < gw; px++ {
			row := cols[(py*gw+px)*k:]
			for ch := 0; ch < c; ch++ {
				for dy := 0; dy < patch; dy++ {
					src := in[ch*h*w+(py*patch+dy)*w+px*patch:]
					copy(row[(ch*patch+dy)*patch:(ch*patch+dy+1)*patch], src[:patch])
				}
			}
		}
	}
	Gemm(p, wt, cols, n, out[:n*wt.Rows])
	if bias != nil {
		AddBias(out, n, bias)
	}
	return gh, gw
}
