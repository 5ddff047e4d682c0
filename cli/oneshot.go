package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/chatumm/chatumm/model"
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
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "image file to write (.png or .jpg)"},
			forceImageFlag(), jsonFlag(), scaleFlag()),
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
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "image file to write (.png or .jpg)"},
			forceImageFlag(), jsonFlag(), scaleFlag()),
		Action: func(c *cli.Context) error { return oneShotImage(c, c.String("image")) },
	}
}

func describeCommand() *cli.Command {
	return &cli.Command{
		Name:      "describe",
		Usage:     "describe an image or answer a question about it",
		ArgsUsage: `["QUESTION"]`,
		Flags: append(append(modelFlags(), samplingFlags()...),
			&cli.StringFlag{Name: "image", Required: true, Usage: "image to look at (PNG or JPEG)"}, jsonFlag()),
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
			asJSON := c.Bool("json")
			turn, err := conv.Reply(context.Background(), sample.New(c.Uint64("seed")), gen, func(e chat.Event) {
				if e.Kind == chat.EventText && !asJSON {
					fmt.Fprint(os.Stdout, printable(e.Text))
				}
			})
			if err != nil {
				if !asJSON {
					fmt.Fprintln(os.Stdout)
				}
				return err
			}
			if asJSON {
				return printJSON(oneShotResult{Text: strings.TrimSpace(turn.Text)})
			}
			fmt.Fprintln(os.Stdout)
			return nil
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

// oneShotResult is what --json prints for generate, edit and describe.
type oneShotResult struct {
	Text  string `json:"text"`            // the reply's text (a caption, or words beside the picture)
	Image string `json:"image,omitempty"` // the file written
	Rows  int    `json:"rows,omitempty"`  // the picture's grid of codes
	Cols  int    `json:"cols,omitempty"`
	Codes []int  `json:"codes,omitempty"`
}

func printJSON(v any) error {
	b, err := json.Marshal(v) // one line: codes are hundreds of numbers
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(os.Stdout, "%s\n", b)
	return err
}

func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: "print the result as JSON (text, image path, codes)"}
}

func forceImageFlag() cli.Flag {
	return &cli.BoolFlag{Name: "force-image", Usage: "start the reply with a picture even if the model would answer in words"}
}

// errNoPicture is generate's or edit's failure when the model answered in
// words: the words are the message (a refusal, a question back).
type errNoPicture struct{ text string }

func (e *errNoPicture) Error() string {
	if e.text == "" {
		return "the model answered without a picture (--force-image makes it start with one)"
	}
	return fmt.Sprintf("the model answered in words instead of a picture: %q (--force-image makes it start with one)", e.text)
}

// drawsOnlyWhenTold reports a family whose model never starts a picture on
// its own (Janus: drawing is a mode the caller picks), so generate and
// edit must start the picture for it.
func drawsOnlyWhenTold(m *model.Model) bool { return m.Proto.Image.OnRequest }

// oneShotImage runs generate (no input image) or edit. The model answers
// as in a chat, pictures allowed; the first picture is decoded and written
// to --output. An answer in words alone (the model declined, or asks
// back) is an error that quotes it, so a script sees a non-zero exit, not
// an empty picture. --force-image starts the reply with a picture instead.
func oneShotImage(c *cli.Context, imagePath string) error {
	prompt := strings.TrimSpace(strings.Join(c.Args().Slice(), " "))
	if prompt == "" {
		return fmt.Errorf("a prompt is required")
	}
	gen, err := genOptions(c)
	if err != nil {
		return err
	}
	scale, err := scaleOption(c)
	if err != nil {
		return err
	}
	if err := checkImageExt(c.String("output")); err != nil {
		return err
	}
	if err := fileio.CheckWritable(c.String("output")); err != nil {
		return err // before the model runs for minutes
	}
	if imagePath != "" {
		if err := refuseEdit(c.String("model")); err != nil {
			return err
		}
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
	gen.Images = true
	gen.StartImage = c.Bool("force-image") || drawsOnlyWhenTold(m)
	familyGuidance(c, m, &gen)
	add := conv.AddUser
	if gen.StartImage {
		add = conv.AddUserDrawing
	}
	if err := add(prompt, images); err != nil {
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
	text := strings.TrimSpace(turn.Text)
	if len(turn.Images) == 0 {
		return &errNoPicture{text: text}
	}
	im := turn.Images[0]
	if im.Rows == 0 {
		im.Rows, im.Cols = m.ImageGrid(), m.ImageGrid()
	}
	png, err := m.DecodeImagePNG(im.Codes, im.Rows, im.Cols)
	if err == nil {
		png, err = scalePNG(png, scale)
	}
	if err != nil {
		return err
	}
	out := c.String("output")
	if err := writeImage(out, png); err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(oneShotResult{Text: text, Image: out, Rows: im.Rows, Cols: im.Cols, Codes: im.Codes})
	}
	if text != "" {
		fmt.Fprintln(stderr, printable(text))
	}
	fmt.Fprintln(os.Stdout, printable(out))
	return nil
}
