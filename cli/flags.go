package cli

import (
	"errors"
	"fmt"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/embedded"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
	"github.com/urfave/cli/v2"
)

// Flags shared by the commands that load a model.
func modelFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "model directory (config.json, tokenizer.json, *.safetensors) or .gguf file; default: the embedded tiny model"},
		&cli.StringFlag{Name: "vq", Usage: "take the VQ-GAN from this checkpoint (for Lumina-style models without VQ weights)"},
		&cli.IntFlag{Name: "threads", Aliases: []string{"t"}, Usage: "worker threads (default: CHATUMM_THREADS or the number of CPUs)"},
		&cli.StringFlag{Name: "load", Value: "mmap", Usage: "weights load mode: mmap (zero-copy) or read (into huge-page memory)"},
		&cli.IntFlag{Name: "ctx", Usage: "context size in tokens (default: max_position_embeddings)"},
		&cli.BoolFlag{Name: "kv-f32", Usage: "keep the KV cache in f32 instead of f16"},
	}
}

func samplingFlags() []cli.Flag {
	return []cli.Flag{
		&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed (same seed, same output, for any thread count)"},
		&cli.Float64Flag{Name: "temp", Value: 0, Usage: "text temperature (0 = greedy)"},
		&cli.IntFlag{Name: "top-k", Usage: "text top-k (0 = off)"},
		&cli.Float64Flag{Name: "top-p", Value: 0.9, Usage: "text top-p"},
		&cli.Float64Flag{Name: "repeat-penalty", Value: 1.0, Usage: "text repetition penalty (Hugging Face semantics; 1 = off)"},
		&cli.Float64Flag{Name: "image-temp", Value: 0, Usage: "image temperature (0 = greedy)"},
		&cli.IntFlag{Name: "image-top-k", Usage: "image top-k (0 = off)"},
		&cli.Float64Flag{Name: "image-top-p", Value: 0.9, Usage: "image top-p"},
		&cli.StringFlag{Name: "cfg", Value: "none", Usage: "classifier-free guidance for images: none, anole (3-way), lumina (2-way) or janus (2-way, pads)"},
		&cli.Float64Flag{Name: "cfg-scale", Usage: "guidance scale of a one-condition scheme (lumina, janus; same as --cfg-text; default 5 for janus)"},
		&cli.Float64Flag{Name: "cfg-text", Value: 3.0, Usage: "guidance scale on the text condition (g_txt)"},
		&cli.Float64Flag{Name: "cfg-image", Value: 1.2, Usage: "guidance scale on the image condition (g_img, anole)"},
		&cli.IntFlag{Name: "speculative", Value: 0, Usage: "speculative Jacobi decoding of images: draft tokens verified per forward pass (0 = off; same images when greedy, same distribution when sampled)"},
		&cli.IntFlag{Name: "max-tokens", Value: 512, Usage: "text tokens per reply"},
		&cli.StringFlag{Name: "evict", Value: "none", Usage: "when the context is full: none (error) or oldest (drop old turns)"},
	}
}

func genOptions(c *cli.Context) (chat.GenOptions, error) {
	o := chat.GenOptions{
		Text: sample.Params{Temperature: float32(c.Float64("temp")), TopK: c.Int("top-k"),
			TopP: float32(c.Float64("top-p")), RepetitionPenalty: float32(c.Float64("repeat-penalty"))},
		Image: sample.Params{Temperature: float32(c.Float64("image-temp")), TopK: c.Int("image-top-k"),
			TopP: float32(c.Float64("image-top-p"))},
		MaxTokens:  c.Int("max-tokens"),
		Images:     true,
		TextScale:  float32(c.Float64("cfg-text")),
		ImageScale: float32(c.Float64("cfg-image")),
	}
	if err := speculativeWindow(c, &o); err != nil {
		return o, err
	}
	g, err := model.GuidanceByName(c.String("cfg"))
	if err != nil {
		return o, fmt.Errorf("--cfg: %v", err)
	}
	o.Guidance = g
	if err := validateSampling(c, o.Text, map[string]string{sample.FieldTemperature: "temp",
		sample.FieldTopK: "top-k", sample.FieldTopP: "top-p", sample.FieldRepetitionPenalty: "repeat-penalty"}); err != nil {
		return o, err
	}
	if err := validateSampling(c, o.Image, map[string]string{sample.FieldTemperature: "image-temp",
		sample.FieldTopK: "image-top-k", sample.FieldTopP: "image-top-p"}); err != nil {
		return o, err
	}
	switch {
	case c.IsSet("cfg-scale"):
		o.TextScale = float32(c.Float64("cfg-scale"))
	case c.String("cfg") == "janus" && !c.IsSet("cfg-text"):
		o.TextScale = model.JanusDefaultScale
	}
	for _, name := range []string{"cfg-text", "cfg-image", "cfg-scale"} {
		// Bounded, not just finite: a huge scale overflows the mixed logits,
		// which would then be reported as a broken model.
		if v := c.Float64(name); !(v >= -maxGuidanceScale && v <= maxGuidanceScale) {
			return o, fmt.Errorf("--%s %s: want a finite number in [-%g, %g]", name, formatFlagFloat(v), maxGuidanceScale, maxGuidanceScale)
		}
	}
	return o, nil
}

// maxSpeculative bounds --speculative: a window costs a forward pass over
// that many tokens of every guidance sequence, and acceptance falls off
// long before it.
const maxSpeculative = 64

// speculativeWindow reads and checks --speculative.
func speculativeWindow(c *cli.Context, o *chat.GenOptions) error {
	w := c.Int("speculative")
	if w < 0 || w > maxSpeculative {
		return fmt.Errorf("--speculative %d: want 0 (off) to %d draft tokens", w, maxSpeculative)
	}
	o.Speculative = w
	return nil
}

// maxGuidanceScale bounds --cfg-text and --cfg-image: useful scales are a
// few units, and logits times this still fit a float32 by far.
const maxGuidanceScale = 1000.0

// validateSampling runs p.Validate and names the flag (from flagOf, keyed by
// sample.Field*) and the value as the user typed it.
func validateSampling(c *cli.Context, p sample.Params, flagOf map[string]string) error {
	var pe *sample.ParamError
	if err := p.Validate(); errors.As(err, &pe) {
		name, ok := flagOf[pe.Field]
		if !ok {
			return err
		}
		value := pe.Value
		if pe.Field != sample.FieldTopK {
			// float32(--temp 1e300) is +Inf: show what was typed.
			value = formatFlagFloat(c.Float64(name))
		}
		return fmt.Errorf("--%s %s: want %s", name, value, pe.Want)
	} else if err != nil {
		return err
	}
	return nil
}

func formatFlagFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func evictPolicy(c *cli.Context) (chat.EvictPolicy, error) {
	switch c.String("evict") {
	case "none", "":
		return chat.EvictNone, nil
	case "oldest":
		return chat.EvictOldest, nil
	}
	return 0, fmt.Errorf("--evict %q: want none or oldest", c.String("evict"))
}

// openModel loads --model, or the embedded model when none is given.
func openModel(c *cli.Context) (*model.Model, error) {
	threads := c.Int("threads")
	if err := runtime.CheckThreads(threads); err != nil {
		return nil, err
	}
	if err := checkEnvThreads(); err != nil {
		return nil, err
	}
	return openModelPool(c, runtime.NewPool(threads))
}

// checkEnvThreads refuses a CHATUMM_THREADS that is not a usable thread
// count, rather than running with another count than the user set.
func checkEnvThreads() error {
	if _, err := runtime.EnvThreads(); err != nil {
		// runtime's message says what it would fall back to; the command
		// line refuses instead, so say only what is wrong.
		return fmt.Errorf("CHATUMM_THREADS=%s: want a whole number of threads, at least 1 and at most %d (4 × %d CPUs)",
			printable(os.Getenv("CHATUMM_THREADS")), runtime.MaxThreads(), goruntime.NumCPU())
	}
	return nil
}

// openModelPool is openModel with a given worker pool. The model is
// recorded for the advice on context errors (hint) and for naming the file
// of a fault in its mapped weights (faultError).
func openModelPool(c *cli.Context, pool *runtime.Pool) (*model.Model, error) {
	if err := checkEnvThreads(); err != nil {
		return nil, err
	}
	mode, err := weights.ParseLoadMode(c.String("load"))
	if err != nil {
		return nil, err
	}
	if c.Int("ctx") < 0 {
		return nil, fmt.Errorf("--ctx %d: must be positive", c.Int("ctx"))
	}
	opts := model.Options{
		Load: mode, Pool: pool, VQPath: c.String("vq"),
		Context: c.Int("ctx"), F32KV: c.Bool("kv-f32"),
	}
	path := strings.TrimSpace(c.String("model"))
	var m *model.Model
	if path == "" {
		m, err = embedded.Load(opts)
	} else {
		m, err = model.Load(path, opts)
	}
	if err != nil {
		if vq := opts.VQPath; vq != "" && strings.Contains(err.Error(), vq) {
			return nil, fmt.Errorf("--vq: %w", err)
		}
		return nil, err
	}
	if m.Cfg != nil && m.Cfg.Dim > 0 && opts.Context > m.Cfg.MaxPos {
		max := m.Cfg.MaxPos
		m.Close()
		return nil, fmt.Errorf("--ctx %d: this model's context is at most %d tokens (max_position_embeddings)", opts.Context, max)
	}
	loadedModels = append(loadedModels, m)
	if m.Cfg != nil {
		loadedContext.max = m.Cfg.MaxPos
		loadedContext.capacity = m.Cfg.MaxPos
		if opts.Context > 0 && opts.Context < m.Cfg.MaxPos {
			loadedContext.capacity = opts.Context
		}
	}
	return m, nil
}
