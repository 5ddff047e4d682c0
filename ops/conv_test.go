package ops

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chatumm/chatumm/runtime"
)

// convRef is a direct float64 convolution with the padding Conv2D
// documents: k/2 on every side for stride 1, only bottom/right (one pixel)
// for stride 2. It returns the outputs and the sums of |terms| for the
// error bound.
func convRef(in []float32, cin, h, w int, wt []float64, bias []float32, cout, k, stride int) (out, abs []float64, oh, ow int) {
	pad := k / 2
	if stride == 2 {
		pad = 0
		oh, ow = (h+1-k)/2+1, (w+1-k)/2+1
	} else {
		oh, ow = h, w
	}
	out, abs = make([]float64, cout*oh*ow), make([]float64, cout*oh*ow)
	for co := 0; co < cout; co++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				var s, a float64
				if bias != nil {
					s, a = float64(bias[co]), math.Abs(float64(bias[co]))
				}
				for ci := 0; ci < cin; ci++ {
					for ky := 0; ky < k; ky++ {
						for kx := 0; kx < k; kx++ {
							iy, ix := oy*stride+ky-pad, ox*stride+kx-pad
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							p := float64(in[(ci*h+iy)*w+ix]) * wt[co*cin*k*k+(ci*k+ky)*k+kx]
							s += p
							a += math.Abs(p)
						}
					}
				}
				out[(co*oh+oy)*ow+ox], abs[(co*oh+oy)*ow+ox] = s, a
			}
		}
	}
	return out, abs, oh, ow
}

func TestConv2D(t *testing.T) {
	pool := runtime.NewPool(2)
	defer pool.Close()
	cases := []struct {
		cin, h, w, cout, k, stride int
		dt                         DType
		bias                       bool
	}{
		{3, 7, 5, 5, 3, 1, F32, true},
		{4, 1, 1, 3, 3, 1, F32, true},
		{2, 9, 33, 17, 3, 1, F16, false},
		{5, 6, 5, 9, 3, 2, F32, true},
		{3, 7, 8, 4, 3, 2, BF16, true},
		{2, 3, 3, 2, 3, 2, F32, false},
		{7, 5, 11, 10, 1, 1, F16, true},
		{1, 40, 3, 33, 1, 1, F32, false},
		// Winograd: odd sizes, a partial last strip, several chunks, k blocks.
		{16, 7, 9, 17, 3, 1, F32, true},
		{20, 5, 4, 16, 3, 1, BF16, false},
		{16, 41, 70, 16, 3, 1, F16, true},
		{400, 3, 5, 24, 3, 1, F32, true},
		{32, 9, 40, 3, 3, 1, F32, true},
	}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, c := range cases {
			wt, exact := randMat(rng, c.dt, c.cout, c.cin*c.k*c.k)
			in := randVec(rng, c.cin*c.h*c.w)
			var bias []float32
			if c.bias {
				bias = randVec(rng, c.cout)
			}
			want, abs, wantH, wantW := convRef(in, c.cin, c.h, c.w, exact, bias, c.cout, c.k, c.stride)
			out := make([]float32, len(want))
			for i := range out {
				out[i] = float32(math.NaN())
			}
			oh, ow := Conv2D(pool, in, c.cin, c.h, c.w, wt, bias, c.k, c.stride, out)
			if oh != wantH || ow != wantW {
				t.Fatalf("%+v: output %d×%d, want %d×%d", c, oh, ow, wantH, wantW)
			}
			n := c.cin*c.k*c.k + 1
			if c.k == 3 && c.stride == 1 && c.cin >= winoMinChannels {
				n *= 4 // Winograd's transforms round a few more times
			}
			checkClose(t, "conv", out, want, abs, n)

			// Thread count never changes a bit.
			for _, threads := range []int{1, 3} {
				p := runtime.NewPool(threads)
				again := make([]float32, len(out))
				Conv2D(p, in, c.cin, c.h, c.w, wt, bias, c.k, c.stride, again)
				p.Close()
				if !slices.Equal(out, again) {
					t.Fatalf("%+v: %d threads differ from 2", c, threads)
				}
			}
		}
	})
}

func TestConv2DBadShapesPanic(t *testing.T) {
	wt := &Mat{DType: F32, Rows: 2, Cols: 9, F32: make([]float32, 18)}
	in, out := make([]float32, 16), make([]float32, 32)
	for name, f := range map[string]func(){
		"stride 3": func() { Conv2D(nil, in, 1, 4, 4, wt, nil, 3, 3, out) },
		"even k": func() {
			Conv2D(nil, in, 1, 4, 4, &Mat{DType: F32, Rows: 2, Cols: 4, F32: make([]float32, 8)}, nil, 2, 1, out)
		},
		"cin mismatch":  func() { Conv2D(nil, in, 2, 2, 4, wt, nil, 3, 1, out) },
		"short out":     func() { Conv2D(nil, in, 1, 4, 4, wt, nil, 3, 1, out[:31]) },
		"short bias":    func() { Conv2D(nil, in, 1, 4, 4, wt, []float32{1}, 3, 1, out) },
		"tiny stride 2": func() { Conv2D(nil, in, 1, 1, 1, wt, nil, 3, 2, out) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestUpsampleNearest2x(t *testing.T) {
	const c, h, w = 3, 5, 7
	rng := rand.New(rand.NewPCG(9, 9))
	in := randVec(rng, c*h*w)
	out := make([]float32, 4*c*h*w)
	UpsampleNearest2x(in, c, h, w, out)
	for ch := 0; ch < c; ch++ {
		for y := 0; y < 2*h; y++ {
			for x := 0; x < 2*w; x++ {
				if got, want := out[(ch*2*h+y)*2*w+x], in[(ch*h+y/2)*w+x/2]; got != want {
					t.Fatalf("out[%d][%d][%d] = %g, want %g", ch, y, x, got, want)
				}
			}
		}
	}
}
