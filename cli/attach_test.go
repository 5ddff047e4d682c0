package cli

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestSplitAttachments: @PATH as people type it — quoted, escaped spaces,
// ~, sentence punctuation — and an @ inside a word left as text.
func TestSplitAttachments(t *testing.T) {
	home, _ := os.UserHomeDir()
	dir := t.TempDir()
	odd := filepath.Join(dir, "really.png.")
	os.WriteFile(odd, []byte("x"), 0o644)
	for _, c := range []struct {
		line, text string
		paths      []string
	}{
		{"what color is @a.png?", "what color is", []string{"a.png"}},
		{"look at @a.png.", "look at", []string{"a.png"}},
		{`describe @"my photo.png" please`, "describe please", []string{"my photo.png"}},
		{`describe @'my photo.png'`, "describe", []string{"my photo.png"}},
		{`describe @my\ photo.png now`, "describe now", []string{"my photo.png"}},
		{"@~/pics/a.png what is it", "what is it", []string{filepath.Join(home, "pics/a.png")}},
		{"mail me at me@example.com", "mail me at me@example.com", nil},
		{"two: @a.png, @b.png", "two:", []string{"a.png", "b.png"}},
		{"keep @" + odd, "keep", []string{odd}},
		{"a lone @ sign", "a lone @ sign", nil},
	} {
		text, paths := splitAttachments(c.line)
		if text != c.text || !slices.Equal(paths, c.paths) {
			t.Errorf("%q: text %q paths %q, want %q %q", c.line, text, paths, c.text, c.paths)
		}
	}
}
