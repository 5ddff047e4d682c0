package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime/fileio"
	"github.com/urfave/cli/v2"
)

func generateCommand() *cli.Command {
	return &cli.Command{
		Name:      "generate",
		Usage:     "draw an image from a description",
		ArgsUsage: `"PROMPT"`,
		Flags: append(append(modelFlags(), samplingFlags()...),
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "PNG file to write"}),
		Action: func(c *cli.Context) error { return oneShotImage(c, "") },
	}
}

func editCommand() *cli.Command {
	return &cli.Command{
		Name:      "edit",
		Usage:     "edit an image following an instruction",
		ArgsUsage: `"INSTRUCTION"`,
		Flags: append(append(modelFlags(), samplingFlags()...),
			&cli.StringFlag{Name: "image", Required: true, Usage: "image to edit (PNG or JPEG)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "PNG file to write"}),
		Action: func(c *cli.Context) error { return oneShotImage(c, c.String("image")) },
	}
}

func describeCommand() *cli.Command {
	return &cli.Command{
		Name:      "describe",
		Usage:     "describe an image or answer a question about it",
		ArgsUsage: `["QUESTION"]`,
		Flags: append(append(modelFlags(), samplingFlags()...),
			&cli.StringFlag{Name: "image", Required: true, Usage: "image to look at (PNG or JPEG)"}),
		Action: func(c *cli.Context) error {
			question := strings.TrimSpace(strings.Join(c.Args().Slice(), " "))
			if question == "" {
				question = "describe the image."
			}
			gen, err := genOptions(c)
			if err != nil {
				return err
			}
			gen.Images = false
			conv, images, err := oneShotSetup(c, c.String("image"))
			if err != nil {
				return err
			}
			defer conv.M.Close()
			if err := conv.AddUser(question, images); err != nil {
				return err
			}
			_, err = conv.Reply(context.Background(), sample.New(c.Uint64("seed")), gen, func(e chat.Event) {
				if e.Kind == chat.EventText {
					fmt.Fprint(os.Stdout, printable(e.Text))
				}
			})
			fmt.Fprintln(os.Stdout)
			return err
		},
	}
}

func oneShotSetup(c *cli.Context, imagePath string) (*chat.Conversation, []chat.Image, error) {
	m, err := openModel(c)
	if err != nil {
		return nil, nil, err
	}
	conv, err := chat.New(m)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	var images []chat.Image
	if imagePath != "" {
		if images, err = encodeImages(m, []string{imagePath}); err != nil {
			m.Close()
			return nil, nil, err
		}
	}
	return conv, images, nil
}

// oneShotImage runs generate (no input image) or edit: the reply starts
// with an image, which is decoded and written to --output.
func oneShotImage(c *cli.Context, imagePath string) error {
	prompt := strings.TrimSpace(strings.Join(c.Args().Slice(), " "))
	if prompt == "" {
		return fmt.Errorf("a prompt is required")
	}
	gen, err := genOptions(c)
	if err != nil {
		return err
	}
	gen.StartImage, gen.Images = true, false
	if err := checkImageExt(c.String("output")); err != nil {
		return err
	}
	if err := fileio.CheckWritable(c.String("output")); err != nil {
		return err // before the model runs for minutes
	}
	conv, images, err := oneShotSetup(c, imagePath)
	if err != nil {
		return err
	}
	m := conv.M
	defer m.Close()
	if !m.CanDecodeImages() {
		return fmt.Errorf("%s: no VQ decoder to turn codes into pixels (give one with --vq)", m.Path)
	}
	if err := conv.AddUser(prompt, images); err != nil {
		return err
	}
	var bar *progressBar
	turn, err := conv.Reply(context.Background(), sample.New(c.Uint64("seed")), gen, func(e chat.Event) {
		switch e.Kind {
		case chat.EventImageStart:
			bar = newProgressBar(e.Total)
		case chat.EventImageProgress:
			bar.update(e.Done)
		case chat.EventImage:
			bar.finish()
		}
	})
	if err != nil {
		return err
	}
	if len(turn.Images) == 0 {
		return fmt.Errorf("the model produced no image")
	}
	png, err := m.DecodeImagePNG(turn.Images[0].Codes, turn.Images[0].Rows, turn.Images[0].Cols)
	if err != nil {
		return err
	}
	if err := writeImage(c.String("output"), png); err != nil {
		return err
	}
	fmt.Fprintln(os.Stdout, printable(c.String("output")))
	return nil
}
