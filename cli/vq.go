package cli

import (
	"fmt"
	"github.com/chatumm/chatumm/runtime/fileio"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

func vqCommand() *cli.Command {
	return &cli.Command{
		Name:  "vq",
		Usage: "run the VQ-GAN alone: image → codes, codes → image",
		Subcommands: []*cli.Command{
			{
				Name:  "encode",
				Usage: "print an image's codebook indices (0..K-1) in raster order",
				Flags: append(modelFlags(), &cli.StringFlag{Name: "image", Required: true, Usage: "PNG or JPEG file"}),
				Action: func(c *cli.Context) error {
					m, err := openModel(c)
					if err != nil {
						return err
					}
					defer m.Close()
					codes, err := m.EncodeImageFile(c.String("image"))
					if err != nil {
						return err
					}
					fmt.Fprintln(c.App.Writer, joinInts(codes, m.ImageGrid()))
					return nil
				},
			},
			{
				Name:  "decode",
				Usage: "turn whitespace-separated codebook indices into a PNG",
				Flags: append(modelFlags(),
					&cli.StringFlag{Name: "codes", Required: true, Usage: "file of codes (raster order, whitespace-separated)"},
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "PNG file to write"}),
				Action: func(c *cli.Context) error {
					m, err := openModel(c)
					if err != nil {
						return err
					}
					defer m.Close()
					codes, err := readCodes(c.String("codes"))
					if err != nil {
						return err
					}
					if m.VQ == nil {
						return fmt.Errorf("%s: no VQ-GAN in this checkpoint", m.Path)
					}
					g := m.VQ.Cfg.GridSize()
					if len(codes) != g*g {
						return fmt.Errorf("%s: %d codes, the image needs %d×%d = %d", c.String("codes"), len(codes), g, g, g*g)
					}
					png, err := m.DecodeImagePNG(codes, 0, 0)
					if err != nil {
						return fmt.Errorf("%s: %v", c.String("codes"), err)
					}
					return fileio.WriteAtomic(c.String("output"), png, 0o644)
				},
			},
		},
	}
}

// readCodes parses a code file, bounded so a huge file is refused early.
func readCodes(path string) ([]int, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	if st.Size() > 64<<20 {
		return nil, fmt.Errorf("%s: %d bytes is too large for a code file", path, st.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	var codes []int
	for i, f := range strings.Fields(string(data)) {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%s: item %d %q is not an integer code", path, i+1, f)
		}
		codes = append(codes, v)
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("%s: no codes", path)
	}
	return codes, nil
}

// joinInts prints codes one image row per line.
func joinInts(xs []int, rowLen int) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			if rowLen > 0 && i%rowLen == 0 {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}
