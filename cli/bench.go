package cli

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/runtime"
	"github.com/urfave/cli/v2"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure kernels against this machine's limits, or a model's prompt and generation speed",
		Subcommands: []*cli.Command{
			{
				Name:  "kernels",
				Usage: "matvec GB/s and GEMM GFLOP/s on 1B-model shapes next to the measured read bandwidth and FMA peak",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "threads", Value: "1,2", Usage: "thread counts to measure"},
					&cli.DurationFlag{Name: "time", Value: 2 * time.Second, Usage: "time per measurement"},
					&cli.BoolFlag{Name: "quick", Usage: "smaller shapes and shorter runs (a smoke test)"},
				},
				Action: benchKernels,
			},
			benchModelCommand(),
		},
	}
}

// timeOp runs fn repeatedly for about d and returns the best time of one
// call: the machine is shared, and the best run is the one least disturbed.
func timeOp(d time.Duration, fn func()) time.Duration {
	fn() // warm up: page in weights, fill caches
	best := time.Duration(1<<63 - 1)
	start := time.Now()
	for n := 0; n < 3 || time.Since(start) < d; n++ {
		t0 := time.Now()
		fn()
		if e := time.Since(t0); e < best {
			best = e
		}
		if n > 10000 {
			break
		}
	}
	return best
}

func randomMat(dt ops.DType, rows, cols int, rng *rand.Rand) *ops.Mat {
	m := &ops.Mat{DType: dt, Rows: rows, Cols: cols}
	n := rows * cols
	if dt == ops.F32 {
		m.F32 = make([]float32, n)
		for i := range m.F32 {
			m.F32[i] = rng.Float32() - 0.5
		}
		return m
	}
	m.U16 = make([]uint16, n)
	for i := range m.U16 {
		v := rng.Float32() - 0.5
		if dt == ops.F16 {
			m.U16[i] = asm.ToF16(v)
		} else {
			m.U16[i] = uint16(math.Float32bits(v) >> 16)
		}
	}
	return m
}

// coldBytes is how much weight memory a matvec benchmark cycles through.
// A decode step streams the whole model, so no weight is in a cache when it
// is read; a matrix read again and again would be partly served by the
// last-level cache and measure above the memory's read bandwidth. So the
// working set is four times the largest cache the CPU reports (server
// parts have hundreds of MiB of L3), and at least 512 MiB.
func coldBytes() int {
	return max(512<<20, 4*cpuid.CPU.Cache.L3, 4*cpuid.CPU.Cache.L2)
}

// coldCopies returns copies of w totalling at least total bytes, so that a
// benchmark taking them in turn reads each from memory.
func coldCopies(w *ops.Mat, total int) []*ops.Mat {
	size := w.Rows * w.Cols * 2
	if w.DType == ops.F32 {
		size *= 2
	}
	n := max(2, (total+size-1)/size)
	out := []*ops.Mat{w}
	for len(out) < n {
		c := *w
		c.U16 = append([]uint16(nil), w.U16...)
		c.F32 = append([]float32(nil), w.F32...)
		out = append(out, &c)
	}
	return out
}

func randomVec(n int, rng *rand.Rand) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32() - 0.5
	}
	return v
}

func benchKernels(c *cli.Context) error {
	threads, err := parseInts(c.String("threads"))
	if err != nil {
		return err
	}
	d := c.Duration("time")
	shapes := [][2]int{{2048, 2048}, {5632, 2048}, {2048, 5632}, {32000, 2048}}
	gemmRows, convSizes := 128, []int{128, 256}
	if c.Bool("quick") {
		shapes = [][2]int{{512, 512}, {1024, 512}}
		gemmRows, convSizes, d = 32, []int{32}, 100*time.Millisecond
	}
	out := c.App.Writer
	fmt.Fprintf(out, "kernels: %s\n", asm.Active().Name)
	rng := rand.New(rand.NewPCG(1, 2))
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "test\tshape\tthreads\tresult\tof limit\t")
	for _, t := range threads {
		pool := runtime.NewPool(t)
		probe := ops.NewReadProbe(1 << 30)
		bw := probe.Measure(pool, d)
		peak := ops.MeasureFMAPeak(pool, d)
		sustained := probe.Sustained(pool, d)
		fmt.Fprintf(tw, "read bandwidth\t1 GiB\t%d\t%.1f GB/s\tbest 16 MiB block\t\n", t, bw)
		fmt.Fprintf(tw, "sustained read\t1 GiB\t%d\t%.1f GB/s\tmean of whole passes: the decode bound\t\n", t, sustained)
		fmt.Fprintf(tw, "fma peak\t-\t%d\t%.0f GFLOP/s\t\t\n", t, peak)
		for _, dt := range []ops.DType{ops.F16, ops.BF16} {
			for _, s := range shapes {
				w := randomMat(dt, s[0], s[1], rng)
				x, y := randomVec(s[1], rng), make([]float32, s[0])
				layouts := []*ops.Mat{w}
				if ops.ColMajorPays(w) { // the layout the runtime loads such a matrix in
					layouts = append(layouts, ops.ToColMajor(pool, w))
				}
				for _, lw := range layouts {
					ws := coldCopies(lw, coldBytes())
					i := 0
					e := timeOp(d, func() {
						ops.MatVec(pool, ws[i%len(ws)], x, y)
						i++
					})
					gbs := float64(s[0]*s[1]*2) / e.Seconds() / 1e9
					// The host's bandwidth drifts: the yardstick is read again
					// right after each matvec, the same way (best of blocks of
					// about one matrix).
					near := probe.Measure(pool, d)
					name := fmt.Sprintf("matvec %v", dt)
					if lw.ColMajor {
						name += " col-major"
					}
					fmt.Fprintf(tw, "%s\t%d×%d\t%d\t%.1f GB/s\t%.0f%% of %.1f GB/s read next to it\t\n", name, s[0], s[1], t, gbs, 100*gbs/near, near)
				}
			}
		}
		for _, dt := range []ops.DType{ops.F16, ops.BF16} {
			for _, s := range shapes {
				w := randomMat(dt, s[0], s[1], rng)
				x, y := randomVec(gemmRows*s[1], rng), make([]float32, gemmRows*s[0])
				e := timeOp(d, func() { ops.Gemm(pool, w, x, gemmRows, y) })
				gf := 2 * float64(gemmRows) * float64(s[0]*s[1]) / e.Seconds() / 1e9
				fmt.Fprintf(tw, "gemm %v m=%d\t%d×%d\t%d\t%.0f GFLOP/s\t%.0f%%\t\n", dt, gemmRows, s[0], s[1], t, gf, 100*gf/peak)
			}
		}
		for _, n := range convSizes {
			const ch = 128
			w := randomMat(ops.F32, ch, ch*9, rng)
			in, o := randomVec(ch*n*n, rng), make([]float32, ch*n*n)
			e := timeOp(d, func() { ops.Conv2D(pool, in, ch, n, n, w, nil, 3, 1, o) })
			gf := 2 * float64(ch*ch*9) * float64(n*n) / e.Seconds() / 1e9
			// Winograd does fewer multiplications than a direct convolution;
			// the rate counts the direct ones, so it can exceed the FMA peak.
			fmt.Fprintf(tw, "conv2d 3×3 %d→%d\t%d×%d\t%d\t%.1f ms\t%.0f GFLOP/s direct-equivalent\t\n", ch, ch, n, n, t, float64(e.Microseconds())/1000, gf)
		}
		pool.Close()
	}
	return tw.Flush()
}

// parseInts parses a list of thread counts: positive, and at most
// runtime.MaxThreads() each, since every thread costs memory up front.
func parseInts(s string) ([]int, error) {
	ids, err := parseIDs(s)
	if err != nil || len(ids) == 0 {
		return nil, fmt.Errorf("%q: want a comma-separated list of positive integers", s)
	}
	for _, v := range ids {
		if v <= 0 {
			return nil, fmt.Errorf("%q: want positive integers", s)
		}
		if v > runtime.MaxThreads() {
			return nil, fmt.Errorf("%d: at most %d threads on this machine", v, runtime.MaxThreads())
		}
	}
	sort.Ints(ids)
	return ids, nil
}
