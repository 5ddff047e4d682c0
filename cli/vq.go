package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/runtime/fileio"
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
					if err := fileio.CheckWritable(c.String("output")); err != nil {
						return err
					}
					m, err := openModel(c)
					if err != nil {
						return err
					}
					defer m.Close()
					if m.VQ == nil {
						return fmt.Errorf("%s: no VQ-GAN in this checkpoint", m.Path)
					}
					g := m.VQ.Cfg.GridSize()
					codes, n, err := readCodes(c.String("codes"), g*g)
					if err != nil {
						return err
					}
					if n != g*g {
						return fmt.Errorf("%s: %d codes, the image needs %d×%d = %d", c.String("codes"), n, g, g, g*g)
					}
					png, err := m.DecodeImagePNG(codes, 0, 0)
					if errors.Is(err, model.ErrNoVQDecoder) {
						return err // about the checkpoint, not the codes
					} else if err != nil {
						return fmt.Errorf("%s: %w", c.String("codes"), err)
					}
					return writeImage(c.String("output"), png)
				},
			},
		},
	}
}

// readCodes reads a code file of whitespace-separated integers (see
// parseCodeText), keeping at most keep of them; n is how many it holds.
func readCodes(path string, keep int) (codes []int, n int, err error) {
	data, err := fileio.ReadFile(path, fileio.Codes)
	if err != nil {
		return nil, 0, err
	}
	codes, n, err = parseCodeText(data, keep)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %v", path, err)
	}
	return codes, n, nil
}

// parseCodeText parses whitespace-separated integers, checking every one but
// keeping only the first keep: memory follows the image's grid, not the
// file. n counts them all, so a wrong count can be reported exactly.
func parseCodeText(data []byte, keep int) (codes []int, n int, err error) {
	for i := 0; i < len(data); {
		if isSpace(data[i]) {
			i++
			continue
		}
		j := i
		for j < len(data) && !isSpace(data[j]) {
			j++
		}
		field := string(data[i:j])
		v, err := strconv.Atoi(field)
		if err != nil {
			if len(field) > 40 {
				field = field[:40] + "…"
			}
			return nil, 0, fmt.Errorf("item %d %s is not an integer code", n+1, strconv.QuoteToASCII(field))
		}
		if n < keep {
			codes = append(codes, v)
		}
		n++
		i = j
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("no codes")
	}
	return codes, n, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
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
