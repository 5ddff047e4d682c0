package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/randmodel"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
	"github.com/chatumm/chatumm/weights/quant"
	"github.com/klauspost/cpuid/v2"
	"github.com/urfave/cli/v2"
)

func benchModelCommand() *cli.Command {
	return &cli.Command{
		Name:  "model",
		Usage: "prompt processing (pp) and generation (tg) tokens/s, in llama-bench's table and JSON forms",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "model directory or .gguf (default: the embedded model)"},
			&cli.IntFlag{Name: "p", Value: 128, Usage: "prompt tokens (pp test; 0 = skip)"},
			&cli.IntFlag{Name: "n", Value: 128, Usage: "generated tokens (tg test; 0 = skip)"},
			&cli.StringFlag{Name: "t", Value: "", Usage: "thread counts, comma-separated (default: CHATUMM_THREADS or the CPU count)"},
			&cli.IntFlag{Name: "r", Value: 5, Usage: "repetitions per test"},
			&cli.StringFlag{Name: "load", Value: "mmap", Usage: "weights load mode: mmap or read"},
			&cli.StringFlag{Name: "o", Value: "md", Usage: "output: md (table) or json (one object per line)"},
			&cli.BoolFlag{Name: "kv-f32", Usage: "f32 KV cache"},
			&cli.StringFlag{Name: "random", Usage: "benchmark a random-weight checkpoint of this shape (" + randomShapes() + ") written to a temporary directory"},
			&cli.StringFlag{Name: "dtype", Usage: "with --random: write the random checkpoint in f16 or bf16 (default: the shape's own, bf16 for Janus, f16 otherwise)"},
			&cli.StringFlag{Name: "quant", Usage: "with --random: quantize the random checkpoint first (" + quantizeTypes() + ", as chatumm quantize does)"},
			&cli.IntFlag{Name: "image", Usage: "also time this many image tokens drawn with guidance (test ig<N>)"},
			&cli.StringFlag{Name: "cfg", Value: "anole", Usage: "guidance for the image test: anole (3 sequences), lumina (2), janus (2; the default for Janus models) or none"},
			&cli.IntFlag{Name: "speculative", Usage: "speculative Jacobi window for the image test (0 = off); prints forward passes and accepted tokens per pass"},
		},
		Action: benchModel,
	}
}

type benchResult struct {
	ModelFilename string    `json:"model_filename"`
	Passes        int       `json:"image_forward_passes,omitempty"` // the last repetition's, image test only
	Accepted      int       `json:"image_tokens,omitempty"`
	ModelType     string    `json:"model_type"`
	ModelSize     int64     `json:"model_size"`
	ModelNParams  int64     `json:"model_n_params"`
	CPUInfo       string    `json:"cpu_info"`
	Backends      string    `json:"backends"`
	NThreads      int       `json:"n_threads"`
	LoadMode      string    `json:"load_mode"`
	NPrompt       int       `json:"n_prompt"`
	NGen          int       `json:"n_gen"`
	AvgNS         int64     `json:"avg_ns"`
	StddevNS      int64     `json:"stddev_ns"`
	AvgTS         float64   `json:"avg_ts"`
	StddevTS      float64   `json:"stddev_ts"`
	SamplesTS     []float64 `json:"samples_ts"`
	ResidentBytes int64     `json:"weights_resident_bytes"`
	PeakRSS       int64     `json:"peak_rss_bytes"`
}

func benchModel(c *cli.Context) error {
	threads := []int{runtime.DefaultThreads()}
	if s := c.String("t"); s != "" {
		var err error
		if threads, err = parseInts(s); err != nil {
			return fmt.Errorf("-t %v", err)
		}
	}
	if c.Int("r") < 1 || c.Int("p") < 0 || c.Int("n") < 0 || c.Int("image") < 0 || c.Int("p")+c.Int("n")+c.Int("image") == 0 {
		return fmt.Errorf("need -r >= 1 and a positive -p, -n or --image")
	}
	if f := c.String("o"); f != "md" && f != "json" {
		return fmt.Errorf("-o %q: want md or json", f)
	}
	if (c.String("quant") != "" || c.String("dtype") != "") && c.String("random") == "" {
		return fmt.Errorf("--quant and --dtype go with --random; quantize a checkpoint with chatumm quantize and pass the .gguf to --model")
	}
	if shape := c.String("random"); shape != "" {
		path, cleanup, err := writeRandomModel(c, shape, threads[len(threads)-1])
		if cleanup != nil {
			defer cleanup()
		}
		if err != nil {
			return err
		}
		if err := c.Set("model", path); err != nil {
			return err
		}
	}
	pool := runtime.NewPool(threads[len(threads)-1])
	m, err := openModelPool(c, pool)
	if err != nil {
		return err
	}
	defer m.Close()
	if m.T == nil {
		return fmt.Errorf("%s: the checkpoint has no transformer", m.Path)
	}
	out := c.App.Writer
	var size, params int64
	for _, name := range m.Weights.Names() {
		t, _ := m.Weights.Tensor(name)
		size += int64(len(t.Bytes()))
		params += int64(t.NumElements())
	}
	name := fmt.Sprintf("%s %s %s", printable(m.Cfg.ModelType), paramsLabel(params), weightDType(m))
	if c.String("o") == "md" {
		fmt.Fprintf(out, "load mode %v, kernels %s\n\n", m.Weights.Mode(), asm.Active().Name)
		fmt.Fprintln(out, "| model | size | params | backend | threads | load | test | t/s |")
		fmt.Fprintln(out, "| --- | ---: | ---: | --- | ---: | --- | ---: | ---: |")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	vocab := m.Cfg.VocabSize
	for _, t := range threads {
		p := runtime.NewPool(t)
		m := m.WithPool(p)
		if n := c.Int("image"); n > 0 {
			r, err := benchImageTokens(c, m, t, n)
			if err != nil {
				return err
			}
			r.ModelType, r.ModelSize, r.ModelNParams = name, size, params
			label := fmt.Sprintf("ig%d-%s", n, benchGuidance(c, m))
			if w := c.Int("speculative"); w > 1 {
				label += fmt.Sprintf("-sjd%d (%d passes, %.2f tokens/pass)", w, r.Passes, float64(r.Accepted)/float64(max(r.Passes, 1)))
			}
			printBench(c, r, label)
			if err := benchJanusPictures(c, m, t, r); err != nil {
				return err
			}
		}
		for _, test := range [][2]int{{c.Int("p"), 0}, {0, c.Int("n")}} {
			if test[0]+test[1] == 0 {
				continue
			}
			st := m.T.NewState(test[0]+test[1]+1, c.Bool("kv-f32"))
			if test[0]+test[1] > st.Capacity() {
				return fmt.Errorf("-p %d / -n %d: more tokens than the model's context of %d", test[0], test[1], st.Capacity())
			}
			ids := make([]int, max(test[0], 1))
			// Like llama-bench, every step computes the last position's
			// logits (the lm_head is part of the cost).
			logits := make([]float32, vocab)
			run := func() (time.Duration, error) {
				for i := range ids {
					ids[i] = rng.IntN(vocab)
				}
				st.Truncate(0)
				t0 := time.Now()
				if test[0] > 0 {
					if err := m.T.Prefill(st, ids, logits, false); err != nil {
						return 0, err
					}
				} else {
					for i := 0; i < test[1]; i++ {
						if err := m.T.Prefill(st, ids[:1], logits, false); err != nil {
							return 0, err
						}
					}
				}
				return time.Since(t0), nil
			}
			if _, err := run(); err != nil { // warm-up, like llama-bench
				return err
			}
			r := benchResult{ModelFilename: m.Path, ModelType: name, ModelSize: size, ModelNParams: params,
				CPUInfo: cpuName(), Backends: "CPU (" + asm.Active().Name + ")", NThreads: t,
				LoadMode: m.Weights.Mode().String(), NPrompt: test[0], NGen: test[1]}
			var ns []float64
			for i := 0; i < c.Int("r"); i++ {
				e, err := run()
				if err != nil {
					return err
				}
				ns = append(ns, float64(e.Nanoseconds()))
				r.SamplesTS = append(r.SamplesTS, float64(test[0]+test[1])/e.Seconds())
			}
			avg, sd := meanStd(ns)
			r.AvgNS, r.StddevNS = int64(avg), int64(sd)
			r.AvgTS, r.StddevTS = meanStd(r.SamplesTS)
			r.ResidentBytes = m.Weights.ResidentBytes()
			r.PeakRSS = peakRSS()
			testName := fmt.Sprintf("pp%d", test[0])
			if test[1] > 0 {
				testName = fmt.Sprintf("tg%d", test[1])
			}
			printBench(c, r, testName)
		}
		p.Close()
	}
	if c.String("o") == "md" {
		fmt.Fprintf(out, "\nweights resident: %s, peak RSS: %s\n", human(m.Weights.ResidentBytes()), human(peakRSS()))
	}
	return nil
}

// printBench prints one result as a table row or a JSON line.
func printBench(c *cli.Context, r benchResult, test string) {
	out := c.App.Writer
	if c.String("o") == "json" {
		b, _ := json.Marshal(r)
		fmt.Fprintln(out, string(b))
		return
	}
	fmt.Fprintf(out, "| %s | %s | %s | %s | %d | %s | %s | %.2f ± %.2f |\n", r.ModelType, humanGiB(r.ModelSize), paramsLabel(r.ModelNParams),
		r.Backends, r.NThreads, r.LoadMode, test, r.AvgTS, r.StddevTS)
}

// benchImageTokens times n image tokens of a guided image (the sequences of
// classifier-free guidance step together), r times, as tokens/s.
func benchImageTokens(c *cli.Context, m *model.Model, threads, n int) (benchResult, error) {
	gen := chat.GenOptions{StartImage: true, Image: sample.Params{Temperature: 1, TopP: 0.9}, TextScale: 3, ImageScale: 1.2}
	g, err := model.GuidanceByName(benchGuidance(c, m))
	if err != nil {
		return benchResult{}, fmt.Errorf("--cfg: %v", err)
	}
	gen.Guidance = g
	if m.Family().Guidance() == "janus" {
		gen.TextScale, gen.Image = model.JanusDefaultScale, sample.Params{Temperature: 1} // Janus draws at T = 1, no top-p
	}
	if err := speculativeWindow(c, &gen); err != nil {
		return benchResult{}, err
	}
	r := benchResult{ModelFilename: m.Path, CPUInfo: cpuName(), Backends: "CPU (" + asm.Active().Name + ")",
		NThreads: threads, LoadMode: m.Weights.Mode().String(), NGen: n}
	var ns []float64
	for rep := 0; rep <= c.Int("r"); rep++ {
		conv, err := chat.New(m)
		if err != nil {
			return r, err
		}
		add := conv.AddUser
		if m.Proto.Image.OnRequest {
			add = conv.AddUserDrawing
		}
		if err := add("draw a red circle on a blue background", nil); err != nil {
			return r, err
		}
		ctx, cancel := context.WithCancel(context.Background())
		var t0 time.Time
		var elapsed time.Duration
		events := 0
		conv.Reply(ctx, sample.New(uint64(rep)), gen, func(e chat.Event) {
			switch {
			case e.Kind == chat.EventImageStart:
				t0 = time.Now()
			case e.Kind == chat.EventImageProgress && elapsed == 0:
				events++ // one per forward pass
				if e.Done >= n {
					elapsed = time.Since(t0)
					r.Passes, r.Accepted = events, e.Done
					cancel()
				}
			}
		})
		cancel()
		if elapsed == 0 {
			return r, fmt.Errorf("the image ended before %d tokens", n)
		}
		if rep == 0 {
			continue // warm-up
		}
		ns = append(ns, float64(elapsed.Nanoseconds()))
		r.SamplesTS = append(r.SamplesTS, float64(n)/elapsed.Seconds())
	}
	avg, sd := meanStd(ns)
	r.AvgNS, r.StddevNS = int64(avg), int64(sd)
	r.AvgTS, r.StddevTS = meanStd(r.SamplesTS)
	r.ResidentBytes, r.PeakRSS = m.Weights.ResidentBytes(), peakRSS()
	return r, nil
}

func meanStd(xs []float64) (float64, float64) {
	var s float64
	for _, x := range xs {
		s += x
	}
	mean := s / float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var v float64
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(v / float64(len(xs)-1))
}

// peakRSS is the process's high-water resident set (VmHWM), or -1.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			fields := strings.Fields(v)
			if len(fields) > 0 {
				kb, _ := strconv.ParseInt(fields[0], 10, 64)
				return kb << 10
			}
		}
	}
	return -1
}

func paramsLabel(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f B", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2f M", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f K", float64(n)/1e3)
}

func humanGiB(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
}

// weightDType names the storage type of the largest tensors (F16, BF16,
// F32, or a block type such as Q4_K).
func weightDType(m *model.Model) string {
	if m.T != nil && len(m.T.Layers) > 0 {
		return m.T.Layers[0].Experts[0].Q.TypeString() // Q4_K, ... for a quantized model
	}
	return "?"
}

func cpuName() string { return cpuid.CPU.BrandName }

// randomShapes lists randmodel's shapes for --random, sorted.
func randomShapes() string {
	names := make([]string, 0, len(randmodel.Shapes))
	for name := range randmodel.Shapes {
		names = append(names, name)
	}
	for name := range randmodel.JanusShapes {
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// writeRandomModel writes the random checkpoint of --random into a
// temporary directory and, with --quant, quantizes it there to a chatumm
// GGUF (the f16 original is removed once it is quantized). It returns the
// path to load and a cleanup that removes the directory.
func writeRandomModel(c *cli.Context, shape string, threads int) (path string, cleanup func(), err error) {
	spec, ok := randmodel.Shapes[shape]
	janusSpec, janus := randmodel.JanusShapes[shape]
	if !ok && !janus {
		return "", nil, fmt.Errorf("--random %q: known shapes are %s", printable(shape), randomShapes())
	}
	var q asm.QType
	if name := c.String("quant"); name != "" {
		if q, ok = asm.QTypeByName(name); !ok || !slices.Contains(quant.Types, q) {
			return "", nil, fmt.Errorf("--quant %q: want one of %s", printable(name), quantizeTypes())
		}
	}
	switch name := c.String("dtype"); name {
	case "":
	case "f16", "bf16":
		dt := weights.F16
		if name == "bf16" {
			dt = weights.BF16
		}
		spec.DType, janusSpec.DType = dt, dt
	default:
		return "", nil, fmt.Errorf("--dtype %q: want f16 or bf16", printable(name))
	}
	dir, err := os.MkdirTemp("", "chatumm-random-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	src := filepath.Join(dir, "f16")
	if err := os.Mkdir(src, 0o755); err != nil {
		return "", cleanup, err
	}
	fmt.Fprintf(stderr, "writing a random %s checkpoint to %s\n", shape, src)
	write := func() error { return randmodel.Write(src, spec, 1) }
	if janus {
		write = func() error { return randmodel.WriteJanus(src, janusSpec, 1) }
	}
	if err := write(); err != nil {
		return "", cleanup, err
	}
	if q == asm.QNone {
		return src, cleanup, nil
	}
	path = filepath.Join(dir, "model-"+strings.ToLower(q.String())+".gguf")
	fmt.Fprintf(stderr, "quantizing it to %v: %s\n", q, path)
	pool := runtime.NewPool(threads)
	defer pool.Close()
	if _, err := model.Quantize(src, path, q, pool, nil); err != nil {
		return "", cleanup, err
	}
	return path, cleanup, os.RemoveAll(src)
}
