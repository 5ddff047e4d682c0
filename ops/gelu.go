package ops

import (
	"fmt"
	"math"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// The exact GELU, x·Φ(x) with Φ the normal CDF ½·erfc(−x/√2), fast enough
// for a vision transformer's MLP (576 × 4096 values per layer, where a
// float64 math.Erf per value would cost more than the layer's attention).
//
// Φ is tabulated as piecewise polynomials: [−8, 8] is cut into intervals of
// 1/8 and on each Φ is its degree-6 Taylor polynomial around the
// interval's midpoint m, from the exact derivatives Φ⁽ᵏ⁾(m) =
// (−1)ᵏ⁻¹·Heₖ₋₁(m)·φ(m) (probabilists' Hermite polynomials). With |x − m| ≤
// 1/16 the remainder is below 1e-10 of Φ on the positive side and of the
// same order in absolute terms on the negative side; outside [−8, 8], Φ is
// 0 or 1 to 6e-16. Evaluation is float64 with no division and no
// exponential (Estrin's scheme, a short dependency chain), and the result is
// within a few 1e-7 of the float64 erf GELU relative, or 1e-9 absolute
// where GELU itself is below 1e-6 (TestBiasGELUAccuracy). The tanh
// approximation, by contrast, is off by up to 3e-4.

const (
	geluLo    = -8.0
	geluStep  = 1.0 / 8
	geluParts = 128 // (8 − (−8)) / geluStep
	geluDeg   = 6
)

// geluTable[i] holds the Taylor coefficients of Φ around the midpoint of
// interval i, lowest order first.
var geluTable = func() (tab [geluParts][geluDeg + 1]float64) {
	for i := range tab {
		m := geluLo + (float64(i)+0.5)*geluStep
		density := math.Exp(-m*m/2) / math.Sqrt(2*math.Pi)
		tab[i][0] = 0.5 * math.Erfc(-m/math.Sqrt2)
		prev, he := 0.0, 1.0 // He₋₁ (unused, times 0) and He₀ at m
		fact := 1.0
		for k := 1; k <= geluDeg; k++ {
			fact *= float64(k)
			c := density * he / fact
			if k%2 == 0 {
				c = -c
			}
			tab[i][k] = c
			prev, he = he, m*he-float64(k-1)*prev // He_k = m·He_{k−1} − (k−1)·He_{k−2}
		}
	}
	return tab
}()

// normalCDF is Φ(x) from geluTable; NaN stays NaN.
func normalCDF(x float64) float64 {
	i := int((x - geluLo) * (1 / geluStep))
	i = max(0, min(i, geluParts-1))
	c := &geluTable[i]
	h := x - (geluLo + (float64(i)+0.5)*geluStep)
	h2 := h * h
	p := (c[0] + c[1]*h) + (c[2]+c[3]*h)*h2 + ((c[4]+c[5]*h)+c[6]*h2)*(h2*h2)
	if x >= -geluLo {
		p = 1
	}
	if x <= geluLo {
		p = 0
	}
	return p
}

// geluRows applies the exact GELU in place to x + bias, row by row; bias is
// nil or one value per column of [len(x)/d, d].
func geluRows(x []float32, d int, bias []float32) {
	for r := 0; r+d <= len(x); r += d {
		row := x[r : r+d]
		if bias != nil {
			asm.Add(row, row, bias)
		}
		for i, v := range row {
			f := float64(v)
			row[i] = float32(f * normalCDF(f))
		}
	}
}

// geluTask runs geluRows over rows [lo, hi) of a [rows, d] matrix.
type geluTask struct {
	x    []float32
	d    int
	bias []float32
}

func (g *geluTask) Run(lo, hi int) { geluRows(g.x[lo*g.d:hi*g.d], g.d, g.bias) }

// BiasGELU replaces each element of the [rows, len(bias)] matrix x by the
// exact (erf) GELU of itself plus its column's bias: the bias and
// activation after an MLP's first Linear, in one pass. bias nil means no
// bias; then x is [rows, len(x)/rows]. Rows are split over the pool; every
// element is computed the same way on any thread count and any asm path.
func BiasGELU(p *runtime.Pool, x []float32, rows int, bias []float32) {
	if rows <= 0 {
		return
	}
	d := len(bias)
	if bias == nil {
		if len(x)%rows != 0 {
			panic(fmt.Sprintf("ops.BiasGELU: %d values are not %d whole rows", len(x), rows))
		}
		d = len(x) / rows
	}
	if d == 0 || len(x) < rows*d {
		panic(fmt.Sprintf("ops.BiasGELU: %d rows of %d need %d values, have %d", rows, d, rows*d, len(x)))
	}
	t := &geluTask{x: x[:rows*d], d: d, bias: bias}
	if p == nil {
		t.Run(0, rows)
		return
	}
	p.Run(rows, t)
}
