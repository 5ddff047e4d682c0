package cli

import (
	"bytes"
	"image"
	"image/color"
	"strings"
	"testing"
)

// TestHalfBlocks: a picture drawn with half blocks has the asked width,
// half its height in rows, the upper pixel as foreground and the lower
// as background of each cell.
func TestHalfBlocks(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			c := color.RGBA{255, 0, 0, 255} // red top half
			if y >= 2 {
				c = color.RGBA{0, 0, 255, 255} // blue bottom half
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	halfBlocks(&buf, img, 8)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 4 { // 8 columns of a square picture: 8 pixel rows, 4 cells
		t.Fatalf("%d rows, want 4", len(lines))
	}
	for i, l := range lines {
		if n := strings.Count(l, "▀"); n != 8 {
			t.Fatalf("row %d has %d cells, want 8", i, n)
		}
		want := "\x1b[38;2;255;0;0m\x1b[48;2;255;0;0m"
		if i >= 2 {
			want = "\x1b[38;2;0;0;255m\x1b[48;2;0;0;255m"
		}
		if !strings.HasPrefix(l, want) || !strings.HasSuffix(l, "\x1b[0m") {
			t.Fatalf("row %d: %q", i, l)
		}
	}
}

// TestScaleNearest: every pixel becomes an n×n square of its colour.
func TestScaleNearest(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.Set(0, 0, color.RGBA{1, 2, 3, 255})
	img.Set(1, 0, color.RGBA{4, 5, 6, 255})
	out := scaleNearest(img, 3)
	if out.Bounds().Dx() != 6 || out.Bounds().Dy() != 3 {
		t.Fatalf("bounds %v", out.Bounds())
	}
	for y := 0; y < 3; y++ {
		for x := 0; x < 6; x++ {
			if out.At(x, y) != img.At(x/3, 0) {
				t.Fatalf("pixel (%d,%d) = %v", x, y, out.At(x, y))
			}
		}
	}
}
