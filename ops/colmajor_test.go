package ops

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// A column-major matrix must give the matvec within the float32 bound of
// the float64 product, bit-identical results for any thread count and
// between MatVec and MatVecMulti, the same GEMM bit for bit as its
// row-major original (packing widens exactly), and the same rows.
func TestColMajorMatchesRowMajor(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 3))
	pools := []*runtime.Pool{nil, runtime.NewPool(1), runtime.NewPool(2), runtime.NewPool(3)}
	defer func() {
		for _, p := range pools[1:] {
			p.Close()
		}
	}()
	shapes := [][2]int{{0, 5}, {5, 0}, {1, 1}, {3, colBlock - 1}, {17, colBlock}, {33, colBlock + 1}, {64, 3*colBlock + 7}, {130, 1000}}
	for _, dt := range []DType{F32, F16, BF16} {
		for _, s := range shapes {
			rows, cols := s[0], s[1]
			w := randMatOf(rng, dt, rows, cols)
			cm := ToColMajor(pools[2], w)
			if !cm.ColMajor || ToColMajor(nil, cm) != cm {
				t.Fatalf("ToColMajor: flag not set or not idempotent")
			}
			// In place, re-reading the original from a byte copy as from a file.
			in := &Mat{DType: w.DType, Rows: rows, Cols: cols, F32: append([]float32(nil), w.F32...), U16: append([]uint16(nil), w.U16...)}
			file := matBytes(w)
			read := func(dst []byte, off int64) error { copy(dst, file[off:]); return nil }
			if err := ToColMajorInPlace(pools[2], in, read); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < rows*cols; i++ {
				if !in.ColMajor || math.Float32bits(in.elemAt(i)) != math.Float32bits(cm.elemAt(i)) {
					t.Fatalf("%v %dx%d: in-place transpose differs from the copy at %d", dt, rows, cols, i)
				}
			}
			xs := [][]float32{coreVec(rng, cols), coreVec(rng, cols), coreVec(rng, cols)}
			var first []float32
			for _, p := range pools {
				y := make([]float32, rows)
				for i := range y {
					y[i] = float32(math.NaN()) // stale values must be overwritten
				}
				MatVec(p, cm, xs[0], y)
				ys := [][]float32{make([]float32, rows), make([]float32, rows), make([]float32, rows)}
				MatVecMulti(p, cm, xs, ys)
				for r := 0; r < rows; r++ {
					var ref, abs float64
					for c := 0; c < cols; c++ {
						ref += elem(w, r*cols+c) * float64(xs[0][c])
						abs += math.Abs(elem(w, r*cols+c) * float64(xs[0][c]))
					}
					if d := math.Abs(float64(y[r]) - ref); !(d <= dotTol(cols, abs)) {
						t.Fatalf("%v %dx%d row %d: %g vs float64 %g", dt, rows, cols, r, y[r], ref)
					}
					if ys[0][r] != y[r] {
						t.Fatalf("%v %dx%d: MatVecMulti differs from MatVec", dt, rows, cols)
					}
				}
				if first == nil {
					first = y
				} else {
					for r := range y {
						if y[r] != first[r] {
							t.Fatalf("%v %dx%d: %d threads differ from 1 thread", dt, rows, cols, p.Threads())
						}
					}
				}
			}
			if rows == 0 || cols == 0 {
				continue
			}
			for _, m := range []int{1, 5, 40} {
				x := coreVec(rng, m*cols)
				want, got := make([]float32, m*rows), make([]float32, m*rows)
				Gemm(pools[2], w, x, m, want)
				Gemm(pools[3], cm, x, m, got)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%v %dx%d m=%d: column-major GEMM %g, row-major %g at %d", dt, rows, cols, m, got[i], want[i], i)
					}
				}
			}
			a, b := make([]float32, cols), make([]float32, cols)
			for r := 0; r < rows; r += max(1, rows/3) {
				w.RowInto(a, r)
				cm.RowInto(b, r)
				for c := range a {
					if a[c] != b[c] {
						t.Fatalf("%v %dx%d: RowInto(%d) differs at %d", dt, rows, cols, r, c)
					}
				}
			}
		}
	}
}

// matBytes is m's storage as little-endian bytes (the file layout).
func matBytes(m *Mat) []byte {
	var b []byte
	for _, v := range m.F32 {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	for _, v := range m.U16 {
		b = binary.LittleEndian.AppendUint16(b, v)
	}
	return b
}

// A read error stops the in-place transpose with that error.
func TestColMajorInPlaceReadError(t *testing.T) {
	w := randMatOf(rand.New(rand.NewPCG(1, 2)), F16, 100, 300)
	want := errors.New("file changed")
	if err := ToColMajorInPlace(nil, w, func([]byte, int64) error { return want }); err != want {
		t.Fatalf("got %v, want %v", err, want)
	}
}

// A fused call with a column-major member gives what separate calls give.
func TestMatVecFusedWithColMajor(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	const cols = 600
	ws := []*Mat{randMatOf(rng, F16, 70, cols), ToColMajor(nil, randMatOf(rng, F16, 33, cols))}
	xs := [][]float32{coreVec(rng, cols), coreVec(rng, cols)}
	p := runtime.NewPool(2)
	defer p.Close()
	got := [][]float32{make([]float32, 70), make([]float32, 70), make([]float32, 33), make([]float32, 33)}
	MatVecFused(p, ws, xs, got)
	for i, w := range ws {
		for j, x := range xs {
			want := make([]float32, w.Rows)
			MatVec(p, w, x, want)
			for r := range want {
				if got[i*2+j][r] != want[r] {
					t.Fatalf("matrix %d vector %d row %d: fused %g, alone %g", i, j, r, got[i*2+j][r], want[r])
				}
			}
		}
	}
}

func TestColMajorNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	rng := rand.New(rand.NewPCG(9, 9))
	p := runtime.NewPool(2)
	defer p.Close()
	w := ToColMajor(p, randMatOf(rng, F16, 64, 3*colBlock))
	x, y := coreVec(rng, w.Cols), make([]float32, w.Rows)
	MatVec(p, w, x, y)
	if a := testing.AllocsPerRun(50, func() { MatVec(p, w, x, y) }); a > 0 {
		t.Errorf("column-major MatVec: %v allocations per call", a)
	}
}

func TestColMajorPays(t *testing.T) {
	for _, c := range []struct {
		rows, cols int
		dt         DType
		want       bool
	}{{2048, 5632, F16, true}, {2048, 2048, F16, false}, {5632, 2048, F16, false}, {4096, 11008, BF16, true}, {8192, 28672, F16, false}, {2048, 5632, F32, true}} {
		want := c.want && !asm.Active().RowsPrefetch // a prefetching kernel streams wide rows itself
		if got := ColMajorPays(&Mat{DType: c.dt, Rows: c.rows, Cols: c.cols}); got != want {
			t.Errorf("%v %d×%d: ColMajorPays %v, want %v", c.dt, c.rows, c.cols, got, want)
		}
	}
}
