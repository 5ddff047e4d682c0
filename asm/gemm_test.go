package asm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestGemmMicro checks every implementation's micro-kernel against
// gemmMicroGeneric with the same tile shape. Both sum k float32 products
// starting from zero and add the sum to C, each within (k+1)·u·(Σ|a·b| + |c|)
// of the exact value (u = 2⁻²⁴; FMA only makes the kernel more accurate), so
// they may differ by twice that.
func TestGemmMicro(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	const u = 1.0 / (1 << 24)
	for _, impl := range Available() {
		mr, nr := impl.GemmMR, impl.GemmNR
		if mr <= 0 || nr <= 0 || impl.GemmMicro == nil {
			t.Fatalf("%s: GemmMR=%d GemmNR=%d, micro-kernel set: %v", impl.Name, mr, nr, impl.GemmMicro != nil)
		}
		for _, k := range []int{0, 1, 2, 3, 5, 8, 17, 64, 129, 256, 301} {
			for _, ldc := range []int{nr, nr + 3, 2*nr + 1} {
				a, b := randSlice(rng, k*mr), randSlice(rng, k*nr)
				c := randSlice(rng, (mr-1)*ldc+nr)
				want := append([]float32(nil), c...)
				gemmMicroGeneric(mr, nr, k, a, b, want, ldc)
				got := append([]float32(nil), c...)
				impl.GemmMicro(k, a, b, got, ldc)
				for i := 0; i < mr; i++ {
					for j := 0; j < ldc && i*ldc+j < len(c); j++ {
						at := i*ldc + j
						if j >= nr { // between tile rows: must stay untouched
							if got[at] != c[at] {
								t.Fatalf("%s k=%d ldc=%d: wrote c[%d] outside the tile", impl.Name, k, ldc, at)
							}
							continue
						}
						var absSum float64
						for p := 0; p < k; p++ {
							absSum += math.Abs(float64(a[p*mr+i]) * float64(b[p*nr+j]))
						}
						tol := 2 * float64(k+1) * u * (absSum + math.Abs(float64(c[at])))
						if d := math.Abs(float64(got[at]) - float64(want[at])); d > tol {
							t.Fatalf("%s k=%d ldc=%d c[%d][%d] = %g, generic %g (diff %g > tol %g)",
								impl.Name, k, ldc, i, j, got[at], want[at], d, tol)
						}
					}
				}
			}
		}
	}
}

// TestGemmMicroShortSlices: a tile that does not fit the slices is a panic
// in the Go wrapper, never an out-of-bounds access in assembly.
func TestGemmMicroShortSlices(t *testing.T) {
	for _, impl := range Available() {
		mr, nr := impl.GemmMR, impl.GemmNR
		k := 4
		a, b, c := make([]float32, k*mr), make([]float32, k*nr), make([]float32, mr*nr)
		for _, bad := range []struct {
			name    string
			a, b, c []float32
		}{
			{"a", a[: len(a)-1 : len(a)-1], b, c},
			{"b", a, b[: len(b)-1 : len(b)-1], c},
			{"c", a, b, c[: len(c)-1 : len(c)-1]},
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: short %s did not panic", impl.Name, bad.name)
					}
				}()
				impl.GemmMicro(k, bad.a, bad.b, bad.c, nr)
			}()
		}
	}
}

// TestFMAPeak runs every implementation's peak loop briefly: the flop count
// is iterations times the loop's fixed per-iteration work, at least one
// 8-lane FMA per iteration, and 0 for no iterations.
func TestFMAPeak(t *testing.T) {
	for _, impl := range Available() {
		f1, f2 := impl.FMAPeak(1000), impl.FMAPeak(3000)
		if f1 < 1000*16 || f2 != 3*f1 {
			t.Errorf("%s: FMAPeak(1000) = %g, FMAPeak(3000) = %g flops; want >= 16 per iteration, linear in iterations", impl.Name, f1, f2)
		}
		if f := impl.FMAPeak(0); f != 0 {
			t.Errorf("%s: FMAPeak(0) = %g", impl.Name, f)
		}
		if f := impl.FMAPeak(-5); f != 0 {
			t.Errorf("%s: FMAPeak(-5) = %g", impl.Name, f)
		}
	}
	saved := Active()
	defer func() { active = saved }()
	active = Generic()
	if got, want := FMAPeak(1000), float64(1000*genericPeakFlops); got != want {
		t.Errorf("FMAPeak via generic = %g, want %g", got, want)
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// panelWidths are the panel widths to pack: every implementation's own
// GemmNR (where assembly packers apply) and the others' (where they must not).
func panelWidths() []int {
	var nrs []int
	for _, k := range Available() {
		if !slices.Contains(nrs, k.GemmNR) {
			nrs = append(nrs, k.GemmNR)
		}
	}
	return nrs
}

// TestGemmPack: every implementation's panel packing equals the plain
// transpose-and-widen, bit for bit, for full and partial panels, odd k,
// padded strides and unaligned slices; every dst value is written and src is
// read only inside the rows (the slices are cut to exactly what the panel
// needs).
func TestGemmPack(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for _, impl := range Available() {
		for i, nr := range panelWidths() {
			for _, rows := range []int{nr, nr - 1, 1, 0} {
				for _, kc := range []int{0, 1, 2, 3, 7, 16, 31, 128, 129} {
					for _, pad := range []int{0, 5} {
						stride := kc + pad
						n := 0
						if rows > 0 {
							n = (rows-1)*stride + kc
						}
						off := (i + kc) % 3
						f32 := randSlice(rng, n+off)[off:]
						u16 := make([]uint16, n+off)[off:]
						for i := range u16 {
							u16[i] = uint16(rng.Uint32())
						}
						for _, kind := range []string{"f32", "f16", "bf16"} {
							dst := make([]float32, kc*nr)
							for i := range dst {
								dst[i] = float32(math.NaN())
							}
							var value func(i int) float32
							switch kind {
							case "f32":
								impl.GemmPackF32(dst, f32[:n:n], stride, rows, kc, nr)
								value = func(i int) float32 { return f32[i] }
							case "f16":
								impl.GemmPackF16(dst, u16[:n:n], stride, rows, kc, nr)
								value = func(i int) float32 { return F16(u16[i]) }
							case "bf16":
								impl.GemmPackBF16(dst, u16[:n:n], stride, rows, kc, nr)
								value = func(i int) float32 { return BF16(u16[i]) }
							}
							for p := 0; p < kc; p++ {
								for j := 0; j < nr; j++ {
									want := float32(0)
									if j < rows {
										want = value(j*stride + p)
									}
									if got := dst[p*nr+j]; math.Float32bits(got) != math.Float32bits(want) {
										t.Fatalf("%s %s rows=%d kc=%d stride=%d: dst[%d][%d] = %g, want %g",
											impl.Name, kind, rows, kc, stride, p, j, got, want)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestGemmPackCols: the column-major panel packing of every implementation
// equals the plain strided widening, bit for bit, for full and partial
// panels, padded strides and unaligned slices, writing every dst value and
// reading src only inside the panel.
func TestGemmPackCols(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 9))
	for _, impl := range Available() {
		for i, nr := range panelWidths() {
			for _, n := range []int{nr, nr - 1, 1, 0} {
				for _, kc := range []int{0, 1, 2, 3, 31, 129} {
					for _, pad := range []int{0, 7} {
						stride := n + pad
						size := 0
						if kc > 0 {
							size = (kc-1)*stride + n
						}
						off := (i + kc) % 3
						f32 := randSlice(rng, size+off)[off:]
						u16 := make([]uint16, size+off)[off:]
						for i := range u16 {
							u16[i] = uint16(rng.Uint32())
						}
						for _, kind := range []string{"f32", "f16", "bf16"} {
							dst := make([]float32, kc*nr)
							for i := range dst {
								dst[i] = float32(math.NaN())
							}
							var value func(i int) float32
							switch kind {
							case "f32":
								impl.GemmPackColsF32(dst, f32[:size:size], stride, n, kc, nr)
								value = func(i int) float32 { return f32[i] }
							case "f16":
								impl.GemmPackColsF16(dst, u16[:size:size], stride, n, kc, nr)
								value = func(i int) float32 { return F16(u16[i]) }
							case "bf16":
								impl.GemmPackColsBF16(dst, u16[:size:size], stride, n, kc, nr)
								value = func(i int) float32 { return BF16(u16[i]) }
							}
							for p := 0; p < kc; p++ {
								for j := 0; j < nr; j++ {
									want := float32(0)
									if j < n {
										want = value(p*stride + j)
									}
									if got := dst[p*nr+j]; math.Float32bits(got) != math.Float32bits(want) {
										t.Fatalf("%s %s n=%d kc=%d stride=%d: dst[%d][%d] = %g, want %g",
											impl.Name, kind, n, kc, stride, p, j, got, want)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestGemmMicroSet checks every implementation's storing micro-kernel
// against GemmMicro on a zeroed C, bit for bit, for several k (0 included:
// C = 0) and strides, with the values between tile rows left alone.
func TestGemmMicroSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 12))
	for _, impl := range Available() {
		mr, nr := impl.GemmMR, impl.GemmNR
		for _, k := range []int{0, 1, 3, 37, 256} {
			for _, ldc := range []int{nr, 2*nr + 3} {
				a, b := randSlice(rng, k*mr), randSlice(rng, k*nr)
				stale := randSlice(rng, (mr-1)*ldc+nr)
				want := make([]float32, len(stale))
				for i := range want {
					if i%ldc >= nr {
						want[i] = stale[i] // outside the tile
					}
				}
				impl.GemmMicro(k, a, b, want, ldc)
				got := append([]float32(nil), stale...)
				impl.GemmMicroSet(k, a, b, got, ldc)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s k=%d ldc=%d: GemmMicroSet c[%d] = %g, GemmMicro on zero %g", impl.Name, k, ldc, i, got[i], want[i])
					}
				}
			}
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: GemmMicroSet on a short C did not panic", impl.Name)
				}
			}()
			impl.GemmMicroSet(2, make([]float32, 2*mr), make([]float32, 2*nr), make([]float32, mr*nr-1), nr)
		}()
	}
}

// TestWinograd16 checks every implementation's 16-tile Winograd transforms
// against their formulas, bit for bit, on random inputs at several strides
// and unaligned offsets (the generic twin, and through it the others, also
// against ops' one-tile loops: ops' Conv2D tests).
func TestWinograd16(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 13))
	for _, impl := range Available() {
		for _, geo := range []struct{ rowStride, vStride, off int }{{34, 16, 0}, {41, 19, 1}, {130, 64, 3}} {
			rowStride, vStride, off := geo.rowStride, geo.vStride, geo.off
			src := randSlice(rng, 3*rowStride+34+off)[off:]
			v := make([]float32, 15*vStride+16+off)[off:]
			for i := range v {
				v[i] = float32(math.NaN())
			}
			impl.WinogradInput16(src, rowStride, v, vStride)
			for j := 0; j < 16; j++ {
				var db [4][4]float32
				for y := 0; y < 4; y++ {
					d := src[y*rowStride+2*j : y*rowStride+2*j+4]
					db[y] = [4]float32{d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3]}
				}
				for x := 0; x < 4; x++ {
					want := [4]float32{db[0][x] - db[2][x], db[1][x] + db[2][x], db[2][x] - db[1][x], db[1][x] - db[3][x]}
					for y, w := range want {
						if got := v[(4*y+x)*vStride+j]; math.Float32bits(got) != math.Float32bits(w) {
							t.Fatalf("%s rowStride=%d: WinogradInput16 tile %d V[%d] = %g, want %g", impl.Name, rowStride, j, 4*y+x, got, w)
						}
					}
				}
			}

			mStride, bias := vStride, float32(rng.NormFloat64())
			m := randSlice(rng, 15*mStride+16+off)[off:]
			top, bot := make([]float32, 32+off)[off:], make([]float32, 32)
			impl.WinogradOutput16(m, mStride, top, bot, bias)
			for j := 0; j < 16; j++ {
				var r0, r1 [4]float32
				for x := 0; x < 4; x++ {
					q := func(xi int) float32 { return m[xi*mStride+j] }
					r0[x] = q(x) + q(4+x) + q(8+x)
					r1[x] = q(4+x) - q(8+x) - q(12+x)
				}
				want := [4]float32{r0[0] + r0[1] + r0[2] + bias, r0[1] - r0[2] - r0[3] + bias,
					r1[0] + r1[1] + r1[2] + bias, r1[1] - r1[2] - r1[3] + bias}
				got := [4]float32{top[2*j], top[2*j+1], bot[2*j], bot[2*j+1]}
				if got != want {
					t.Fatalf("%s mStride=%d: WinogradOutput16 tile %d = %v, want %v", impl.Name, mStride, j, got, want)
				}
			}
		}
		for name, f := range map[string]func(){
			"WinogradInput16": func() { impl.WinogradInput16(make([]float32, 3*34+33), 34, make([]float32, 15*16+16), 16) },
			"WinogradOutput16": func() {
				impl.WinogradOutput16(make([]float32, 15*16+16), 16, make([]float32, 31), make([]float32, 32), 0)
			},
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: %s on a short slice did not panic", impl.Name, name)
					}
				}()
				f()
			}()
		}
	}
}
