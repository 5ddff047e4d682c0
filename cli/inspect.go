package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/embedded"
	"github.com/chatumm/chatumm/weights"
	"github.com/klauspost/cpuid/v2"
	"github.com/urfave/cli/v2"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "list a checkpoint's tensors (dtype, shape, bytes), its memory, and the CPU path",
		ArgsUsage: "[PATH]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "cpu", Usage: "print the CPU features and the kernel implementation chosen"},
			&cli.StringFlag{Name: "load", Value: "mmap", Usage: "load mode to report: mmap or read"},
		},
		Action: func(c *cli.Context) error {
			out := c.App.Writer
			if c.Bool("cpu") {
				printCPU(c)
			}
			path := c.Args().First()
			if path == "" {
				if c.Bool("cpu") {
					return nil
				}
				// No path: the model every command uses without --model.
				m, err := embedded.Load(model.Options{})
				if err != nil {
					return err
				}
				defer m.Close()
				fmt.Fprintf(out, "the embedded model (%s)\n", embedded.Name)
				printTensors(out, m.Weights)
				describeModel(out, m)
				return nil
			}
			mode, err := weights.ParseLoadMode(c.String("load"))
			if err != nil {
				return err
			}
			set, err := weights.Open(path, mode)
			if err != nil {
				return err
			}
			defer set.Close()
			printTensors(out, set)
			if st, err := os.Stat(filepath.Join(path, "config.json")); err == nil && !st.IsDir() {
				inspectModel(c, path)
			}
			return nil
		},
	}
}

// printTensors lists a weight set's tensors and its memory.
func printTensors(out io.Writer, set *weights.Set) {
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TENSOR\tDTYPE\tSHAPE\tBYTES\tNOTE")
	var total int64
	for _, name := range set.Names() {
		t, _ := set.Tensor(name)
		note := ""
		if t.Copied {
			note = "misaligned in file: copied once"
		}
		n := int64(len(t.Bytes()))
		total += n
		fmt.Fprintf(tw, "%s\t%v\t%s\t%d\t%s\n", printable(name), t.DType, shapeStr(t.Shape), n, note)
	}
	tw.Flush()
	fmt.Fprintf(out, "%d tensors, %s in %d file(s), format %s, load mode %v\n", len(set.Names()), human(total), len(set.Files()), set.Format(), set.Mode())
	fmt.Fprintf(out, "memory: %s mapped/allocated, %s resident\n", human(set.MappedBytes()), human(set.ResidentBytes()))
}

// inspectModel checks the tensors against config.json and lists the extras.
func inspectModel(c *cli.Context, path string) {
	out := c.App.Writer
	m, err := model.Load(path, model.Options{})
	if err != nil {
		fmt.Fprintf(out, "model check: %s\n", printable(oneLine(err.Error())))
		return
	}
	defer m.Close()
	describeModel(out, m)
}

// describeModel prints a loaded model's shape, family and VQ-GAN.
func describeModel(out io.Writer, m *model.Model) {
	cfg := m.Cfg
	if m.T != nil {
		fmt.Fprintf(out, "family: %s (guidance %s)\n", m.Family().Name(), m.Family().Guidance())
		fmt.Fprintf(out, "model: %s, %d layers, dim %d, %d heads (%d kv), ffn %d, vocab %d, qk-norm %v, MoT %v, swin_norm %v\n",
			printable(cfg.ModelType), cfg.Layers, cfg.Dim, cfg.Heads, cfg.KVHeads, cfg.FFN, cfg.VocabSize, cfg.QKNorm, cfg.MoT, cfg.SwinNorm)
		if len(m.T.Unused) > 0 {
			fmt.Fprintf(out, "extra tensors not used by the model (%d): %s\n", len(m.T.Unused), printable(strings.Join(m.T.Unused, ", ")))
		}
	}
	if j := m.Janus; j != nil {
		reads, draws, missing := j.Parts()
		fmt.Fprintf(out, "janus: reads pictures %v (%d features each), draws pictures %v (%d codes, %d×%d grid)",
			reads, j.Cfg.ImageTokens, draws, j.Cfg.Codes, j.Cfg.Grid, j.Cfg.Grid)
		if missing != "" {
			fmt.Fprintf(out, "; missing: %s", printable(missing))
		}
		fmt.Fprintln(out)
	}
	if cfg.VQ != nil {
		fmt.Fprintf(out, "vq-gan: %d codes × %d, resolution %d, grid %d×%d\n", cfg.VQ.NumEmbeddings, cfg.VQ.EmbedDim, cfg.VQ.Resolution, cfg.VQ.GridSize(), cfg.VQ.GridSize())
	}
}

func printCPU(c *cli.Context) {
	out := c.App.Writer
	fmt.Fprintf(out, "cpu: %s (%d logical cores)\n", printable(cpuid.CPU.BrandName), cpuid.CPU.LogicalCores)
	var names []string
	for _, k := range asm.Available() {
		names = append(names, k.Name)
	}
	fmt.Fprintf(out, "kernels available: %s\n", strings.Join(names, ", "))
	how := "best available"
	if v := os.Getenv("CHATUMM_CPU"); v != "" {
		how = "CHATUMM_CPU=" + printable(v)
	}
	fmt.Fprintf(out, "kernels in use: %s (%s)\n", asm.Active().Name, how)
}

func shapeStr(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func human(n int64) string {
	switch {
	case n < 0:
		return "unknown"
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
