package cli

import (
	"bytes"
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
		r := invoke(t, invocation{args: []string{"generate", "draw a red circle", "-o", path}})
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
	args := []string{"generate", "draw a red circle", "-o", filepath.Join(dir, "out.gif")}
	wantError(t, invoke(t, invocation{args: args}), args, "out.gif", ".png or .jpg")
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
