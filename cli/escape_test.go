package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrintable(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"two\nlines\tand a tab", "two\nlines\tand a tab"},
		{"héllo wörld 日本 🙂", "héllo wörld 日本 🙂"},
		{"\x1b[2J\x1b]0;pwned\x07", `\x1b[2J\x1b]0;pwned\x07`},
		{"cr\rover", `cr\x0dover`},
		{"nul\x00del\x7f", `nul\x00del\x7f`},
		{"c1 \u009b2J and \u0085", `c1 \u009b2J and \u0085`},
		{"bad utf8 \x9b\xff", `bad utf8 \x9b\xff`},
		{"", ""},
	}
	for _, c := range cases {
		if got := printable(c.in); got != c.want {
			t.Errorf("printable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestPrintableNeverPassesControls checks the property every caller relies
// on, over every byte and every rune up to U+00FF: the result holds no
// control character but newline and tab, and is valid UTF-8.
func TestPrintableNeverPassesControls(t *testing.T) {
	var in strings.Builder
	for b := 0; b < 256; b++ {
		in.WriteByte(byte(b))
	}
	for r := rune(0); r < 0x100; r++ {
		in.WriteRune(r)
	}
	out := printable(in.String())
	if !utf8.ValidString(out) {
		t.Fatalf("printable output is not valid UTF-8")
	}
	for _, r := range out {
		if isControl(r) {
			t.Fatalf("printable output holds control character %U", r)
		}
	}
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f)
}

func TestPrintableJSON(t *testing.T) {
	v := map[string]string{"reply": "a\x1b[31mred\u009b\x7f end"}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	safe := printableJSON(data)
	for _, r := range string(safe) {
		if isControl(r) && r != '\n' {
			t.Fatalf("printableJSON left %U in %q", r, safe)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(safe, &back); err != nil {
		t.Fatalf("printableJSON broke the JSON: %v (%q)", err, safe)
	}
	if back["reply"] != v["reply"] {
		t.Errorf("round trip changed the text: %q, want %q", back["reply"], v["reply"])
	}
	plain := []byte(`{"a": "b"}`)
	if got := printableJSON(plain); string(got) != string(plain) {
		t.Errorf("printableJSON changed plain JSON: %q", got)
	}
}
