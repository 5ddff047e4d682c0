package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// decodeStep transforms the list of token strings (which may hold raw,
// not-yet-valid UTF-8 bytes).
type decodeStep func(tokens []string, mode decodeMode) []string

// decodeMode distinguishes whole-text decoding from streaming one token.
type decodeMode struct {
	first bool // the tokens start the text: start-of-text stripping applies
	raw   bool // keep byte-fallback bytes even if not valid UTF-8 (yet)
}

type decoderJSON struct {
	typed
	Decoders []json.RawMessage `json:"decoders"`
	Pattern  struct {
		String *string `json:"String"`
	} `json:"pattern"`
	Content        string `json:"content"`
	Start          int    `json:"start"`
	Stop           int    `json:"stop"`
	Replacement    string `json:"replacement"`
	PrependScheme  string `json:"prepend_scheme"`
	AddPrefixSpace *bool  `json:"add_prefix_space"`
}

// parseDecoder flattens the decoder entry; nil means tokens are joined with spaces.
func parseDecoder(raw json.RawMessage) ([]decodeStep, error) {
	steps, g, err := parseDecoderSteps(raw)
	if err == nil {
		err = g.check("decoder")
	}
	return steps, err
}

// parseDecoderSteps is parseDecoder with the bound on how much the steps can
// grow the text (only Replace grows it; see limits.go).
func parseDecoderSteps(raw json.RawMessage) ([]decodeStep, growth, error) {
	if isNull(raw) {
		return nil, noGrowth, nil
	}
	var d decoderJSON
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, noGrowth, fmt.Errorf("bad decoder: %v", err)
	}
	switch d.Type {
	case "Sequence":
		var steps []decodeStep
		g := noGrowth
		for _, sub := range d.Decoders {
			s, sg, err := parseDecoderSteps(sub)
			if err != nil {
				return nil, noGrowth, err
			}
			if s == nil {
				return nil, noGrowth, fmt.Errorf("null decoder inside a Sequence")
			}
			steps = append(steps, s...)
			if g = g.then(sg); g.check("decoder") != nil {
				return nil, g, g.check("decoder")
			}
		}
		return steps, g, nil
	case "ByteLevel":
		return []decodeStep{decodeByteLevel}, noGrowth, nil
	case "ByteFallback":
		return []decodeStep{decodeByteFallback}, noGrowth, nil
	case "Fuse":
		return []decodeStep{func(tokens []string, _ decodeMode) []string { return []string{strings.Join(tokens, "")} }}, noGrowth, nil
	case "Replace":
		if err := checkReplacePattern("decoder", d.Pattern.String); err != nil {
			return nil, noGrowth, err
		}
		from, to := *d.Pattern.String, d.Content
		return []decodeStep{func(tokens []string, _ decodeMode) []string {
			for i := range tokens {
				tokens[i] = strings.ReplaceAll(tokens[i], from, to)
			}
			return tokens
		}}, replaceGrowth(from, to), nil
	case "Strip":
		if utf8.RuneCountInString(d.Content) != 1 {
			return nil, noGrowth, fmt.Errorf("decoder Strip: content %q is not one character", d.Content)
		}
		return []decodeStep{stripStep(d.Content, d.Start, d.Stop)}, noGrowth, nil
	case "Metaspace":
		replacement := d.Replacement
		if replacement == "" {
			replacement = "▁"
		}
		if utf8.RuneCountInString(replacement) != 1 {
			return nil, noGrowth, fmt.Errorf("decoder Metaspace: replacement %q is not one character", replacement)
		}
		stripFirst := d.PrependScheme != "never" && (d.AddPrefixSpace == nil || *d.AddPrefixSpace || d.PrependScheme != "")
		return []decodeStep{func(tokens []string, mode decodeMode) []string {
			for i := range tokens {
				tokens[i] = strings.ReplaceAll(tokens[i], replacement, " ")
				if i == 0 && mode.first && stripFirst {
					tokens[i] = strings.TrimPrefix(tokens[i], " ")
				}
			}
			return tokens
		}}, noGrowth, nil
	}
	return nil, noGrowth, fmt.Errorf("decoder %q is not supported", d.Type)
}

// decodeByteLevel maps ByteLevel characters back to bytes. A token with a
// character outside the table (an added token such as "<|im_end|>" written in
// plain text is still inside it) is kept as its own UTF-8, like the Rust crate.
func decodeByteLevel(tokens []string, _ decodeMode) []string {
	var out []byte
	for _, tok := range tokens {
		start := len(out)
		for _, r := range tok {
			b, ok := runeToByte[r]
			if !ok {
				out = append(out[:start], tok...)
				break
			}
			out = append(out, b)
		}
	}
	return []string{string(out)}
}

// decodeByteFallback turns runs of <0xXX> tokens into bytes; a run that is not
// valid UTF-8 becomes one U+FFFD per byte (except in raw mode, for streaming).
func decodeByteFallback(tokens []string, mode decodeMode) []string {
	var out []string
	var pending []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if mode.raw || utf8.Valid(pending) {
			out = append(out, string(pending))
		} else {
			out = append(out, strings.Repeat("\uFFFD", len(pending)))
		}
		pending = pending[:0]
	}
	for _, tok := range tokens {
		var b byte
		if len(tok) == 6 && strings.HasPrefix(tok, "<0x") && tok[5] == '>' {
			if _, err := fmt.Sscanf(tok[3:5], "%02X", &b); err == nil {
				pending = append(pending, b)
				continue
			}
		}
		flush()
		out = append(out, tok)
	}
	flush()
	return out
}

// stripStep removes up to start leading and stop trailing copies of content from each token.
func stripStep(content string, start, stop int) decodeStep {
	return func(tokens []string, mode decodeMode) []string {
		if !mode.first {
			return tokens
		}
		for i, tok := range tokens {
			for n := 0; n < start && strings.HasPrefix(tok, content); n++ {
				tok = tok[len(content):]
			}
			for n := 0; n < stop && strings.HasSuffix(tok, content); n++ {
				tok = tok[:len(tok)-len(content)]
			}
			tokens[i] = tok
		}
		return tokens
	}
}

// decodeRaw runs the decoder over token strings and returns raw bytes.
func (t *Tokenizer) decodeRaw(tokens []string, mode decodeMode) []byte {
	if t.decoder == nil {
		return []byte(strings.Join(tokens, " "))
	}
	for _, step := range t.decoder {
		tokens = step(tokens, mode)
	}
	return []byte(strings.Join(tokens, ""))
}

// Decode turns ids back into text. Unknown ids are skipped; with skipSpecial,
// special added tokens are too. Invalid UTF-8 becomes U+FFFD.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) string {
	tokens := make([]string, 0, len(ids))
	for _, id := range ids {
		if id < 0 || id >= len(t.idToken) || t.idToken[id] == "" || (skipSpecial && t.special[id]) {
			continue
		}
		tokens = append(tokens, t.idToken[id])
	}
	return validUTF8(t.decodeRaw(tokens, decodeMode{first: true}))
}

// DecodeToken returns the raw bytes of one token as it appears in the middle
// of a text; they may end inside a UTF-8 character (see StreamDecoder).
func (t *Tokenizer) DecodeToken(id int) []byte {
	if id < 0 || id >= len(t.idToken) || t.idToken[id] == "" {
		return nil
	}
	return t.decodeRaw([]string{t.idToken[id]}, decodeMode{raw: true})
}

// StreamDecoder turns a stream of ids into text, holding back bytes of a
// character that is not complete yet.
type StreamDecoder struct {
	t       *Tokenizer
	pending []byte
	started bool
}

// NewStreamDecoder starts decoding a new text.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder { return &StreamDecoder{t: t} }

// Add decodes one more id and returns the text that is now complete.
func (d *StreamDecoder) Add(id int) string {
	if id < 0 || id >= len(d.t.idToken) || d.t.idToken[id] == "" {
		return ""
	}
	d.pending = append(d.pending, d.t.decodeRaw([]string{d.t.idToken[id]}, decodeMode{first: !d.started, raw: true})...)
	d.started = true
	cut := completePrefix(d.pending)
	text := validUTF8(d.pending[:cut])
	d.pending = append(d.pending[:0], d.pending[cut:]...)
	return text
}

// Flush returns whatever is held back (as U+FFFD if it never completed).
func (d *StreamDecoder) Flush() string {
	text := validUTF8(d.pending)
	d.pending = d.pending[:0]
	return text
}

// completePrefix is the length of b without a trailing incomplete (but so far valid) UTF-8 sequence.
func completePrefix(b []byte) int {
	for back := 1; back <= 3 && back <= len(b); back++ {
		i := len(b) - back
		if utf8.RuneStart(b[i]) {
			if n := validPrefixLen(b[i:]); n == back && n < seqLen(b[i]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// seqLen is the length of the UTF-8 sequence a lead byte announces (1 if invalid).
func seqLen(lead byte) int {
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		return 2
	case lead >= 0xE0 && lead <= 0xEF:
		return 3
	case lead >= 0xF0 && lead <= 0xF4:
		return 4
	}
	return 1
}

// validPrefixLen is how many bytes of b form a valid start of one UTF-8 sequence.
func validPrefixLen(b []byte) int {
	n := seqLen(b[0])
	if n == 1 {
		return 1
	}
	lo, hi := byte(0x80), byte(0xBF)
	switch b[0] {
	case 0xE0:
		lo = 0xA0
	case 0xED:
		hi = 0x9F
	case 0xF0:
		lo = 0x90
	case 0xF4:
		hi = 0x8F
	}
	k := 1
	for ; k < n && k < len(b); k++ {
		if b[k] < lo || b[k] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return k
}

// validUTF8 converts bytes to a string like Rust's String::from_utf8_lossy:
// each maximal invalid prefix becomes one U+FFFD.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var s strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != utf8.RuneError || size > 1 {
			s.Write(b[:size])
			b = b[size:]
			continue
		}
		s.WriteRune(utf8.RuneError)
		b = b[validPrefixLen(b):]
	}
	return s.String()
}
