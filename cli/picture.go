package cli

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// maxScale bounds --scale: 16× of a 512-pixel picture is already 8192 pixels wide.
const maxScale = 16

func scaleFlag() cli.Flag {
	return &cli.IntFlag{Name: "scale", Value: 1, Usage: fmt.Sprintf("enlarge saved pictures this many times, with crisp pixels (1-%d)", maxScale)}
}

// scaleOption reads --scale.
func scaleOption(c *cli.Context) (int, error) {
	n := c.Int("scale")
	if n < 1 || n > maxScale {
		return 0, fmt.Errorf("--scale %d: give a whole number from 1 to %d", n, maxScale)
	}
	return n, nil
}

// scaleNearest enlarges img n times, each pixel becoming an n×n square
// (nearest neighbour: the model's pixels stay crisp, not blurred).
func scaleNearest(img image.Image, n int) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*n, b.Dy()*n))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := img.At(b.Min.X+x, b.Min.Y+y)
			for dy := 0; dy < n; dy++ {
				for dx := 0; dx < n; dx++ {
					out.Set(x*n+dx, y*n+dy, c)
				}
			}
		}
	}
	return out
}

// scalePNG enlarges an encoded PNG n times (n = 1 returns it unchanged).
func scalePNG(data []byte, n int) ([]byte, error) {
	if n == 1 {
		return data, nil
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, scaleNearest(img, n)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inlineMinPixels is the size a picture is enlarged to, at least, when it
// is shown in the terminal: the embedded model draws 32-pixel pictures,
// which a terminal's graphics protocol would show as a speck.
const inlineMinPixels = 256

// inlineMaxCols is the widest a picture is drawn with text cells.
const inlineMaxCols = 64

// showPicture shows a PNG in the terminal w: with the kitty or iTerm2
// graphics protocol where the terminal announces one, enlarged to at
// least inlineMinPixels; else, on a terminal that announces 24-bit colour,
// as half-block characters (two pixels per cell); else not at all (the
// printed path is enough).
func showPicture(w io.Writer, data []byte, termCols int) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return
	}
	b := img.Bounds()
	switch {
	case graphicsTerminal():
		if n := (inlineMinPixels + b.Dx() - 1) / b.Dx(); n > 1 && b.Dx() > 0 {
			var buf bytes.Buffer
			if png.Encode(&buf, scaleNearest(img, min(n, maxScale))) == nil {
				data = buf.Bytes()
			}
		}
		showInline(w, data)
	case truecolorTerminal():
		halfBlocks(w, img, min(inlineMaxCols, max(8, termCols-1)))
	}
}

func graphicsTerminal() bool {
	return os.Getenv("TERM_PROGRAM") == "iTerm.app" || os.Getenv("LC_TERMINAL") == "iTerm2" ||
		strings.Contains(os.Getenv("TERM"), "kitty") || os.Getenv("KITTY_WINDOW_ID") != ""
}

func truecolorTerminal() bool {
	ct := os.Getenv("COLORTERM")
	return ct == "truecolor" || ct == "24bit"
}

// halfBlocks draws img cols cells wide with "▀": each cell shows two
// pixels, the upper as the foreground colour and the lower as the
// background, sampled nearest-neighbour so edges stay sharp.
func halfBlocks(w io.Writer, img image.Image, cols int) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return
	}
	rows := (b.Dy()*cols/b.Dx() + 1) / 2 // cells are about twice as tall as wide
	rgb := func(x, y int) (uint32, uint32, uint32) {
		r, g, bl, _ := img.At(b.Min.X+x*b.Dx()/cols, b.Min.Y+y*b.Dy()/(2*rows)).RGBA()
		return r >> 8, g >> 8, bl >> 8
	}
	var sb strings.Builder
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			r1, g1, b1 := rgb(x, 2*y)
			r2, g2, b2 := rgb(x, 2*y+1)
			fmt.Fprintf(&sb, "\x1b[38;2;%d;%d;%dm\x1b[48;2;%d;%d;%dm▀", r1, g1, b1, r2, g2, b2)
		}
		sb.WriteString("\x1b[0m\n")
	}
	io.WriteString(w, sb.String())
}
