package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseScript: `run --script` files are user input. parseScript must
// never panic, and a script it accepts must be one runScript can run
// without further checks: turns, none empty, no negative max_tokens, each
// given model part exactly one of text or image.
func FuzzParseScript(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "cli", "script-*.json"))
	for _, p := range seeds {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"seed": 3, "turns": [{"user": "hi", "images": ["a.png"], "max_tokens": 2, "force_image": true}, {"user": "x", "model": [{"text": "t"}, {"image": "i.png"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseScript(data)
		if err != nil {
			if s != nil {
				t.Fatalf("script and error (%v) both returned", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if len(s.Turns) == 0 {
			t.Fatalf("accepted a script without turns")
		}
		for i, turn := range s.Turns {
			if turn.User == "" && len(turn.Images) == 0 || turn.MaxTokens < 0 {
				t.Fatalf("accepted turn %d: %+v", i+1, turn)
			}
			for _, p := range turn.Model {
				if (p.Text == "") == (p.Image == "") {
					t.Fatalf("accepted model part %+v in turn %d", p, i+1)
				}
			}
		}
	})
}

// FuzzParseCodeText: code files (`vq decode --codes`) are user input.
// parseCodeText must never panic, keep at most what it was asked to, count
// every code, and agree with strconv on each one it keeps.
func FuzzParseCodeText(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "cli", "codes-*.txt"))
	for _, p := range seeds {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data, 64)
		}
	}
	f.Add([]byte("1 2\n3\t4\r\n  -5 +6 99999999999999999999"), 3)
	f.Fuzz(func(t *testing.T, data []byte, keep int) {
		keep = max(0, keep%100000)
		codes, n, err := parseCodeText(data, keep)
		fields := strings.FieldsFunc(string(data), func(r rune) bool { return r < 128 && isSpace(byte(r)) })
		if err != nil {
			if codes != nil || n != 0 {
				t.Fatalf("error %v with %d codes of %d", err, len(codes), n)
			}
			return
		}
		if n != len(fields) || len(codes) != min(n, keep) || n == 0 {
			t.Fatalf("%d fields: got %d codes of %d (keep %d)", len(fields), len(codes), n, keep)
		}
		for i, c := range codes {
			if v, err := strconv.Atoi(fields[i]); err != nil || v != c {
				t.Fatalf("code %d: %d from %q", i, c, fields[i])
			}
		}
	})
}

// FuzzLineReader: the chat REPL's input. Whatever the bytes and the
// limit, no line returned is longer than the limit, every line of the
// input is either returned whole or reported too long (in order), and
// the input's end is reached.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("hello\nworld\r\n\nlast"), 5)
	f.Add([]byte(strings.Repeat("x", 300)+"\nok\n"), 16)
	f.Fuzz(func(t *testing.T, data []byte, limit int) {
		limit = 1 + abs(limit)%512
		lr := newLineReader(bytes.NewReader(data), limit)
		want := strings.Split(string(data), "\n")
		ended := len(want) - 1 // lines followed by a newline, whose "\r" goes too
		for i := range want[:ended] {
			want[i] = strings.TrimSuffix(want[i], "\r")
		}
		if want[len(want)-1] == "" {
			want = want[:len(want)-1] // a final newline ends the last line
		}
		for i := 0; ; i++ {
			s, err := lr.next()
			if err == io.EOF {
				if i != len(want) {
					t.Fatalf("%d lines, want %d", i, len(want))
				}
				return
			}
			if i >= len(want) {
				t.Fatalf("line %d beyond the input's %d", i, len(want))
			}
			w := want[i]
			var tl *lineTooLongError
			switch {
			case errors.As(err, &tl):
				if len(w) <= limit {
					t.Fatalf("line %d of %d bytes reported too long for limit %d", i, len(w), limit)
				}
			case err != nil:
				t.Fatalf("line %d: %v", i, err)
			case s != w:
				t.Fatalf("line %d: %q, want %q", i, s, w)
			}
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// FuzzPrintable: whatever a file or the model holds, printable's result is
// valid UTF-8 without a control character a terminal would act on, and
// text without such characters is left as it is.
func FuzzPrintable(f *testing.F) {
	f.Add("plain")
	f.Add("\x1b[2J\u009b\x7f\xff")
	f.Fuzz(func(t *testing.T, s string) {
		out := printable(s)
		if !utf8.ValidString(out) {
			t.Fatalf("printable(%q) = %q is not UTF-8", s, out)
		}
		if i := strings.IndexFunc(out, isControl); i >= 0 {
			t.Fatalf("printable(%q) = %q keeps a control character", s, out)
		}
		if utf8.ValidString(s) && strings.IndexFunc(s, isControl) < 0 && out != s {
			t.Fatalf("printable changed safe text %q to %q", s, out)
		}
	})
}
