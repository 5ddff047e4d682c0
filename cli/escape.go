package cli

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// printable returns s with every character a terminal would act on instead
// of showing made visible: ESC and the other C0 controls except newline and
// tab, DEL, and the C1 controls U+0080–U+009F (which some terminals take
// as ESC sequences too) are written as \x1b or \u009b, and a byte that is
// not UTF-8 as \xNN (a lone 0x9b is CSI to an 8-bit terminal). Everything
// printed that came from a file or the model — tensor names, paths, turn
// text, streamed replies, error lines quoting them — goes through it, so a
// checkpoint, a session or a reply cannot clear the screen, set the window
// title or fake a prompt.
func printable(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether printable would change s (the common case,
// plain text, costs one pass and no allocation).
func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || r <= 0x9f {
			return true
		}
		i += size
	}
	return false
}

// printableJSON makes JSON output safe for a terminal: encoding/json writes
// C0 controls as \u00XX already but DEL and the C1 controls raw. They can
// only occur inside JSON strings, where a \u escape means the same.
func printableJSON(data []byte) []byte {
	s := string(data)
	if !needsEscape(s) {
		return data
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		if r == 0x7f || r >= 0x80 && r <= 0x9f {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return []byte(b.String())
}
