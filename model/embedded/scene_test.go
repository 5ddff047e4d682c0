package embedded

// A Go port of the world's scene parser (tools/world/world.py, parse), the
// judge of every picture the embedded model draws: each pixel takes its
// nearest palette colour, the background is the most common background
// colour, and in each 8×8 cell of the 3×3 grid more than five foreground
// pixels form one object whose colour is their majority and whose shape and
// size are the nearest template in Hamming distance. Ties go to the first
// candidate in the Python order, so both parsers read every image alike.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"
)

const (
	sceneSize = 24
	sceneCell = 8
	sceneGrid = 3
)

var (
	sceneShapes    = []string{"square", "circle", "triangle", "diamond"}
	sceneSizes     = []string{"big", "small"}
	scenePositions = []string{"top left", "top middle", "top right", "middle left", "center",
		"middle right", "bottom left", "bottom middle", "bottom right"}
	// Object colours first, then backgrounds, as in world.py's palette.
	paletteNames = []string{"red", "green", "blue", "yellow", "purple", "orange", "white", "pink",
		"black", "gray", "navy", "brown"}
	palette = [][3]float64{{230, 30, 30}, {30, 190, 40}, {30, 90, 255}, {250, 225, 30},
		{150, 50, 210}, {255, 140, 0}, {250, 250, 250}, {255, 130, 200},
		{0, 0, 0}, {120, 120, 120}, {20, 25, 90}, {110, 65, 20}}
)

const objectColors = 8

type sceneObject struct{ size, color, shape, position string }

type scene struct {
	background string
	objects    []sceneObject // in grid (raster) order
}

func (s scene) String() string {
	if len(s.objects) == 0 {
		return "an empty " + s.background + " background"
	}
	parts := make([]string, len(s.objects))
	for i, o := range s.objects {
		parts[i] = fmt.Sprintf("%s %s %s at the %s", o.size, o.color, o.shape, o.position)
	}
	return strings.Join(parts, ", ") + " on " + s.background
}

// shapeMask is world._mask: the shape drawn in an n-pixel box.
func shapeMask(shape string, n int) [][]bool {
	m := make([][]bool, n)
	c := float64(n-1) / 2
	for y := range m {
		m[y] = make([]bool, n)
		for x := range m[y] {
			dx, dy := float64(x)-c, float64(y)-c
			switch shape {
			case "square":
				m[y][x] = true
			case "circle":
				m[y][x] = dx*dx+dy*dy <= float64(n)/2*float64(n)/2*0.95
			case "diamond":
				m[y][x] = math.Abs(dx)+math.Abs(dy) <= float64(n)/2
			case "triangle":
				m[y][x] = math.Abs(dx) < float64(y/2+1)
			}
		}
	}
	return m
}

// objectTemplate is world.object_mask: big fills the cell, small is 6×6 inset by one.
func objectTemplate(shape, size string) [sceneCell][sceneCell]bool {
	var t [sceneCell][sceneCell]bool
	n, off := sceneCell, 0
	if size == "small" {
		n, off = 6, 1
	}
	m := shapeMask(shape, n)
	for y := range n {
		for x := range n {
			t[y+off][x+off] = m[y][x]
		}
	}
	return t
}

// parseScenePNG reads a PNG (any size is scaled to 24×24 by nearest
// neighbour, as world.load_png does) into a scene.
func parseScenePNG(data []byte) (scene, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return scene{}, err
	}
	b := img.Bounds()
	var label [sceneSize][sceneSize]int
	for y := range sceneSize {
		for x := range sceneSize {
			sx := b.Min.X + x*b.Dx()/sceneSize
			sy := b.Min.Y + y*b.Dy()/sceneSize
			label[y][x] = nearestPalette(img, sx, sy)
		}
	}
	var bgCount [4]int
	for y := range sceneSize {
		for x := range sceneSize {
			if l := label[y][x]; l >= objectColors {
				bgCount[l-objectColors]++
			}
		}
	}
	bg := 0
	for i, c := range bgCount {
		if c > bgCount[bg] {
			bg = i
		}
	}
	s := scene{background: paletteNames[objectColors+bg]}
	for pos := range sceneGrid * sceneGrid {
		r, c := pos/sceneGrid, pos%sceneGrid
		var fg [sceneCell][sceneCell]bool
		var colorCount [objectColors]int
		nfg := 0
		for y := range sceneCell {
			for x := range sceneCell {
				if l := label[r*sceneCell+y][c*sceneCell+x]; l < objectColors {
					fg[y][x] = true
					colorCount[l]++
					nfg++
				}
			}
		}
		if nfg < 6 {
			continue
		}
		color := 0
		for i, n := range colorCount {
			if n > colorCount[color] {
				color = i
			}
		}
		bestShape, bestSize, bestDist := "", "", math.MaxInt
		for _, shape := range sceneShapes {
			for _, size := range sceneSizes {
				t := objectTemplate(shape, size)
				d := 0
				for y := range sceneCell {
					for x := range sceneCell {
						if t[y][x] != fg[y][x] {
							d++
						}
					}
				}
				if d < bestDist {
					bestShape, bestSize, bestDist = shape, size, d
				}
			}
		}
		s.objects = append(s.objects, sceneObject{bestSize, paletteNames[color], bestShape, scenePositions[pos]})
	}
	return s, nil
}

func nearestPalette(img image.Image, x, y int) int {
	r, g, b, _ := img.At(x, y).RGBA()
	px := [3]float64{float64(r >> 8), float64(g >> 8), float64(b >> 8)}
	best, bestD := 0, math.Inf(1)
	for i, p := range palette {
		d := 0.0
		for k := range 3 {
			d += (px[k] - p[k]) * (px[k] - p[k])
		}
		if d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// TestSceneParserMatchesPython: the Go parser reads held-out eval pictures
// and pictures decoded from model tokens exactly as world.py's parser does
// (testdata/parsed_scenes.json, written by tools/world/parse_fixture.py).
func TestSceneParserMatchesPython(t *testing.T) {
	raw, err := os.ReadFile("testdata/parsed_scenes.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]struct {
		Background string `json:"background"`
		Objects    []struct {
			Shape, Color, Size, Position string
		} `json:"objects"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) < 60 {
		t.Fatalf("only %d scenes in the fixture", len(want))
	}
	for path, w := range want {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseScenePNG(data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		exp := scene{background: w.Background}
		for _, o := range w.Objects {
			exp.objects = append(exp.objects, sceneObject{o.Size, o.Color, o.Shape, o.Position})
		}
		if got.String() != exp.String() {
			t.Errorf("%s: Go parser %q, Python %q", path, got, exp)
		}
	}
}

// renderScene is world.render: the background, then each object's template
// in its cell.
func renderScene(s scene) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, sceneSize, sceneSize))
	rgb := func(name string) [3]float64 {
		for i, n := range paletteNames {
			if n == name {
				return palette[i]
			}
		}
		panic("renderScene: unknown colour " + name)
	}
	set := func(x, y int, c [3]float64) {
		i := img.PixOffset(x, y)
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(c[0]), uint8(c[1]), uint8(c[2]), 255
	}
	bg := rgb(s.background)
	for y := range sceneSize {
		for x := range sceneSize {
			set(x, y, bg)
		}
	}
	for _, o := range s.objects {
		pos := -1
		for i, p := range scenePositions {
			if p == o.position {
				pos = i
			}
		}
		t := objectTemplate(o.shape, o.size)
		r, c := pos/sceneGrid, pos%sceneGrid
		for y := range sceneCell {
			for x := range sceneCell {
				if t[y][x] {
					set(c*sceneCell+x, r*sceneCell+y, rgb(o.color))
				}
			}
		}
	}
	return img
}

// TestRenderMatchesParser: what renderScene draws, the parser reads back.
func TestRenderMatchesParser(t *testing.T) {
	s := scene{background: "navy", objects: []sceneObject{
		{"big", "red", "circle", "top left"}, {"small", "white", "triangle", "center"},
		{"small", "pink", "diamond", "bottom right"}}}
	var buf bytes.Buffer
	if err := png.Encode(&buf, renderScene(s)); err != nil {
		t.Fatal(err)
	}
	got, err := parseScenePNG(buf.Bytes())
	if err != nil || got.String() != s.String() {
		t.Fatalf("parsed %q (%v), drew %q", got, err, s)
	}
}
