package cli

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionAndHelp: --version prints a version and `chatumm help` the
// command list, as people expect of a CLI.
func TestVersionAndHelp(t *testing.T) {
	r := invoke(t, invocation{args: []string{"--version"}})
	if r.code != 0 || !strings.HasPrefix(r.stdout, "chatumm version ") {
		t.Fatalf("--version: exit %d, %q", r.code, r.stdout)
	}
	if v := invoke(t, invocation{args: []string{"version"}}); v.code != 0 || v.stdout != r.stdout {
		t.Fatalf("version: exit %d, %q; --version printed %q", v.code, v.stdout, r.stdout)
	}
	r = invoke(t, invocation{args: []string{"help"}})
	if r.code != 0 || !strings.Contains(r.stdout, "generate") || strings.Contains(r.stderr, "No help topic") {
		t.Fatalf("help: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestImageOutputFormatFollowsExtension: -o out.jpg writes a JPEG, out.png
// a PNG, and an extension chatumm does not write is refused before the
// model runs.
func TestImageOutputFormatFollowsExtension(t *testing.T) {
	dir := t.TempDir()
	for name, decode := range map[string]func([]byte) error{
		"out.jpg": func(b []byte) error { _, err := jpeg.Decode(bytes.NewReader(b)); return err },
		"out.png": func(b []byte) error { _, err := png.Decode(bytes.NewReader(b)); return err },
	} {
		path := filepath.Join(dir, name)
		r := invoke(t, invocation{args: []string{"generate", drawRequest, "-o", path}})
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", name, r.code, r.stderr)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := decode(data); err != nil {
			t.Fatalf("%s does not hold its format: %v", name, err)
		}
	}
	args := []string{"generate", drawRequest, "-o", filepath.Join(dir, "out.gif")}
	wantError(t, invoke(t, invocation{args: args}), args, "out.gif", ".png or .jpg")
}

// drawRequest is a request the embedded model answers with a picture.
const drawRequest = "draw a big red circle in the center on a blue background."

// TestGenerateReportsAnAnswerInWords: when the model answers a generate
// request in words (a greeting, a refusal), generate fails quoting them
// and writes no file; --force-image makes the reply start with a picture.
func TestGenerateReportsAnAnswerInWords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.png")
	args := []string{"generate", "hello", "-o", path}
	wantError(t, invoke(t, invocation{args: args}), args, "answered in words", "--force-image")
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a picture was written for an answer in words")
	}
	r := invoke(t, invocation{args: []string{"generate", "hello", "-o", path, "--force-image"}})
	if r.code != 0 {
		t.Fatalf("--force-image: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

// TestOneShotJSONAndScale: --json prints the result as one JSON object
// (the picture's path and codes for generate, the text for describe), and
// --scale enlarges the saved picture with whole pixels.
func TestOneShotJSONAndScale(t *testing.T) {
	dir := t.TempDir()
	small, big := filepath.Join(dir, "small.png"), filepath.Join(dir, "big.png")
	var res struct {
		Text  string `json:"text"`
		Image string `json:"image"`
		Rows  int    `json:"rows"`
		Cols  int    `json:"cols"`
		Codes []int  `json:"codes"`
	}
	for _, p := range []struct {
		path, scale string
	}{{small, "1"}, {big, "3"}} {
		r := invoke(t, invocation{args: []string{"generate", drawRequest, "-o", p.path, "--json", "--scale", p.scale}})
		if r.code != 0 {
			t.Fatalf("generate --json: exit %d: %s", r.code, r.stderr)
		}
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
			t.Fatalf("generate --json printed %q: %v", r.stdout, err)
		}
		if res.Image != p.path || res.Rows <= 0 || len(res.Codes) != res.Rows*res.Cols {
			t.Fatalf("generate --json: %+v", res)
		}
	}
	a, b := readPNG(t, small), readPNG(t, big)
	if b.Bounds().Dx() != 3*a.Bounds().Dx() || b.Bounds().Dy() != 3*a.Bounds().Dy() {
		t.Fatalf("--scale 3: %v, unscaled %v", b.Bounds(), a.Bounds())
	}
	for y := 0; y < b.Bounds().Dy(); y++ {
		for x := 0; x < b.Bounds().Dx(); x++ {
			if b.At(x, y) != a.At(x/3, y/3) {
				t.Fatalf("--scale 3: pixel (%d,%d) is not its source pixel's colour", x, y)
			}
		}
	}
	r := invoke(t, invocation{args: []string{"describe", "--image", small, "--json"}})
	if r.code != 0 {
		t.Fatalf("describe --json: exit %d: %s", r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || !strings.Contains(res.Text, "circle") {
		t.Fatalf("describe --json printed %q (%v)", r.stdout, err)
	}
	args := []string{"generate", drawRequest, "-o", small, "--scale", "0"}
	wantError(t, invoke(t, invocation{args: args}), args, "--scale 0")
}

// TestOneShotChat: `chatumm chat "PROMPT"` prints the reply and exits; a
// picture is saved and its path printed; a message that cannot be sent
// exits non-zero.
func TestOneShotChat(t *testing.T) {
	r := invoke(t, invocation{args: []string{"chat", "hello"}})
	if r.code != 0 || strings.TrimSpace(r.stdout) == "" || strings.Contains(r.stdout, ">>>") {
		t.Fatalf("chat hello: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	dir := t.TempDir()
	r = invoke(t, invocation{args: []string{"chat", drawRequest}, dir: dir})
	if r.code != 0 || !strings.Contains(r.stdout, "chatumm-001.png") {
		t.Fatalf("chat %q: exit %d, stdout %q, stderr %q", drawRequest, r.code, r.stdout, r.stderr)
	}
	readPNG(t, filepath.Join(dir, "chatumm-001.png"))
	args := []string{"chat", "what is this? @missing.png"}
	wantError(t, invoke(t, invocation{args: args}), args, "missing.png")
}

// TestContextAboveTheModelsMaximum: --ctx beyond max_position_embeddings
// is an error naming the maximum, not silently capped.
func TestContextAboveTheModelsMaximum(t *testing.T) {
	args := []string{"generate", "draw a red circle", "-o", filepath.Join(t.TempDir(), "o.png"), "--ctx", "99999"}
	wantError(t, invoke(t, invocation{args: args}), args, "--ctx 99999", "at most")
}

// TestInspectEmbedded: `chatumm inspect` with no path describes the model
// that runs without --model.
func TestInspectEmbedded(t *testing.T) {
	r := invoke(t, invocation{args: []string{"inspect"}})
	if r.code != 0 || !strings.Contains(r.stdout, "embedded") || !strings.Contains(r.stdout, "family: chameleon") || !strings.Contains(r.stdout, "vq-gan:") {
		t.Fatalf("inspect: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
