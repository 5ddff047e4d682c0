package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/runtime/fileio"
	"github.com/chatumm/chatumm/weights/quant"
	"github.com/urfave/cli/v2"
)

// quantizeTypes is the --type list as users type it.
func quantizeTypes() string {
	names := make([]string, len(quant.Types))
	for i, q := range quant.Types {
		names[i] = strings.ToLower(q.String())
	}
	return strings.Join(names, ", ")
}

func quantizeCommand() *cli.Command {
	return &cli.Command{
		Name:      "quantize",
		Usage:     "write a model directory as one self-contained .gguf with block-quantized weights (load it with --model)",
		ArgsUsage: "SRC",
		Description: "SRC is a model directory (config.json, tokenizer.json, safetensors). The transformer's\n" +
			"matrices are quantized as llama-quantize does (the output projection in q6_k, or q8_0);\n" +
			"norms, 1-D tensors and the VQ-GAN keep their dtype. See docs/QUANTIZE.md.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "the .gguf file to write (atomically)"},
			&cli.StringFlag{Name: "type", Value: "q8_0", Usage: "block type: " + quantizeTypes()},
			&cli.IntFlag{Name: "threads", Aliases: []string{"t"}, Usage: "worker threads (default: CHATUMM_THREADS or the number of CPUs)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("quantize takes one model directory (chatumm quantize SRC -o OUT.gguf --type %s), got %d arguments", strings.ToLower(quant.Types[0].String()), c.NArg())
			}
			src, out := c.Args().First(), c.String("output")
			q, ok := asm.QTypeByName(c.String("type"))
			if !ok || !slices.Contains(quant.Types, q) {
				return fmt.Errorf("--type %q: want one of %s", printable(c.String("type")), quantizeTypes())
			}
			if !strings.EqualFold(filepath.Ext(out), ".gguf") {
				return fmt.Errorf("-o %s: the output must be a .gguf file (chatumm loads a .gguf by its extension)", printable(out))
			}
			threads := c.Int("threads")
			if err := runtime.CheckThreads(threads); err != nil {
				return err
			}
			if err := checkEnvThreads(); err != nil {
				return err
			}
			if err := fileio.CheckWritable(out); err != nil {
				return err
			}
			fileio.CleanStale(out) // what an interrupted run left
			pool := runtime.NewPool(threads)
			defer pool.Close()
			// Ctrl-C or SIGTERM stops the run and removes the partial file.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			bar := &byteBar{label: "quantize", start: time.Now(), tty: isTerminal(os.Stderr)}
			t0 := time.Now()
			st, err := model.QuantizeContext(ctx, src, out, q, pool, bar.update)
			bar.finish()
			if ctx.Err() != nil {
				return fmt.Errorf("%s: interrupted; nothing written", out)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "wrote %s: %d tensors (%s), %s → %s in %s\n", out, st.Tensors, typeCounts(st.ByType),
				fileio.FormatBytes(st.InBytes), fileio.FormatBytes(st.OutBytes), time.Since(t0).Round(100*time.Millisecond))
			return nil
		},
	}
}

// typeCounts is "210 Q4_K, 12 Q6_K, 65 F32", most frequent first.
func typeCounts(by map[string]int) string {
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if by[names[i]] != by[names[j]] {
			return by[names[i]] > by[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%d %s", by[n], n)
	}
	return strings.Join(parts, ", ")
}

// byteBar draws "quantize  37% [=====     ] 1.2 GiB/3.4 GiB  12s left" on
// stderr when stderr is a terminal, like the image progress bar.
type byteBar struct {
	label string
	start time.Time
	tty   bool
	last  time.Time
}

func (p *byteBar) update(done, total int64) {
	if !p.tty || total <= 0 {
		return
	}
	now := time.Now()
	if done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	const width = 30
	filled := int(width * done / total)
	elapsed := now.Sub(p.start)
	left := time.Duration(0)
	if done > 0 {
		left = time.Duration(float64(elapsed) * float64(total-done) / float64(done))
	}
	fmt.Fprintf(os.Stderr, "\r%s %3d%% [%s%s] %s/%s  %s left ", p.label, 100*done/total,
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		fileio.FormatBytes(done), fileio.FormatBytes(total), left.Round(time.Second))
}

func (p *byteBar) finish() {
	if p.tty {
		fmt.Fprint(os.Stderr, "\r\x1b[K")
	}
}
