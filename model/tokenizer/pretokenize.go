package tokenizer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// preTokenizer refines a list of pieces into smaller pieces.
type preTokenizer func(pieces []string) []string

// preTokenize runs the pre-tokenizer chain on one normalized chunk of text.
func (t *Tokenizer) preTokenize(text string) []string {
	if text == "" {
		return nil
	}
	pieces := []string{text}
	for _, step := range t.preTokenizer {
		pieces = step(pieces)
	}
	return pieces
}

type preTokenizerJSON struct {
	typed
	PreTokenizers []json.RawMessage `json:"pretokenizers"`
	// Split
	Pattern struct {
		String *string `json:"String"`
		Regex  *string `json:"Regex"`
	} `json:"pattern"`
	Behavior string `json:"behavior"`
	Invert   bool   `json:"invert"`
	// ByteLevel
	AddPrefixSpace *bool `json:"add_prefix_space"`
	UseRegex       *bool `json:"use_regex"`
	// Digits
	IndividualDigits bool `json:"individual_digits"`
	// Metaspace
	Replacement   string `json:"replacement"`
	PrependScheme string `json:"prepend_scheme"`
	Split         *bool  `json:"split"`
}

// parsePreTokenizer flattens the pre_tokenizer entry into a list of steps.
func parsePreTokenizer(raw json.RawMessage) ([]preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var p preTokenizerJSON
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("bad pre_tokenizer: %v", err)
	}
	switch p.Type {
	case "Sequence":
		var steps []preTokenizer
		for _, sub := range p.PreTokenizers {
			s, err := parsePreTokenizer(sub)
			if err != nil {
				return nil, err
			}
			steps = append(steps, s...)
		}
		return steps, nil
	case "Split":
		var m matcher
		switch {
		case p.Pattern.String != nil:
			if *p.Pattern.String == "" {
				return nil, fmt.Errorf("pre-tokenizer Split: empty string pattern")
			}
			m = literalMatcher(*p.Pattern.String)
		case p.Pattern.Regex != nil:
			var err error
			if m, err = compilePattern(*p.Pattern.Regex); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("pre-tokenizer Split: no pattern")
		}
		behavior, err := parseBehavior(p.Behavior)
		if err != nil {
			return nil, err
		}
		return []preTokenizer{splitStep(m, behavior, p.Invert)}, nil
	case "ByteLevel":
		addPrefix := p.AddPrefixSpace != nil && *p.AddPrefixSpace
		useRegex := p.UseRegex == nil || *p.UseRegex // the crate's default is true
		return []preTokenizer{byteLevelStep(addPrefix, useRegex)}, nil
	case "Digits":
		behavior := contiguous
		if p.IndividualDigits {
			behavior = isolated
		}
		return []preTokenizer{splitStep(funcMatcher(unicode.IsNumber), behavior, false)}, nil
	case "Metaspace":
		replacement := p.Replacement
		if replacement == "" {
			replacement = "▁"
		}
		if utf8.RuneCountInString(replacement) != 1 {
			// One character, as in the Rust crate: a longer one would
			// multiply every space in the text.
			return nil, fmt.Errorf("pre-tokenizer Metaspace: replacement %q is not one character", replacement)
		}
		prepend := p.PrependScheme
		if prepend == "" {
			prepend = "always"
			if p.AddPrefixSpace != nil && !*p.AddPrefixSpace {
				prepend = "never"
			}
		}
		if prepend != "always" && prepend != "never" && prepend != "first" {
			return nil, fmt.Errorf("pre-tokenizer Metaspace: prepend_scheme %q is not supported", prepend)
		}
		split := p.Split == nil || *p.Split
		return []preTokenizer{metaspaceStep(replacement, prepend, split)}, nil
	}
	return nil, fmt.Errorf("pre_tokenizer %q is not supported", p.Type)
}

// splitBehavior says what a Split does with the matched delimiters.
type splitBehavior int

const (
	isolated splitBehavior = iota
	removed
	mergedWithPrevious
	mergedWithNext
	contiguous
)

func parseBehavior(s string) (splitBehavior, error) {
	switch s {
	case "Isolated":
		return isolated, nil
	case "Removed":
		return removed, nil
	case "MergedWithPrevious":
		return mergedWithPrevious, nil
	case "MergedWithNext":
		return mergedWithNext, nil
	case "Contiguous":
		return contiguous, nil
	}
	return 0, fmt.Errorf("pre-tokenizer Split: behavior %q is not supported", s)
}

// segment is a span of a piece, either a pattern match or the text between matches.
type segment struct {
	start, end int
	match      bool
}

// splitStep mirrors tokenizers' NormalizedString::split for every piece.
func splitStep(m matcher, behavior splitBehavior, invert bool) preTokenizer {
	return func(pieces []string) []string {
		var out []string
		for _, piece := range pieces {
			var segs []segment
			last := 0
			for _, span := range m.findAll(piece) {
				if span[0] > last {
					segs = append(segs, segment{last, span[0], invert})
				}
				segs = append(segs, segment{span[0], span[1], !invert})
				last = span[1]
			}
			if last < len(piece) {
				segs = append(segs, segment{last, len(piece), invert})
			}
			for _, s := range applyBehavior(segs, behavior) {
				if s.end > s.start {
					out = append(out, piece[s.start:s.end])
				}
			}
		}
		return out
	}
}

// applyBehavior merges or drops segments exactly as the Rust crate does.
func applyBehavior(segs []segment, behavior splitBehavior) []segment {
	var out []segment
	previousMatch := false
	switch behavior {
	case isolated:
		return segs
	case removed:
		for _, s := range segs {
			if !s.match {
				out = append(out, s)
			}
		}
	case mergedWithPrevious:
		for _, s := range segs {
			if s.match && !previousMatch && len(out) > 0 {
				out[len(out)-1].end = s.end
			} else {
				out = append(out, s)
			}
			previousMatch = s.match
		}
	case mergedWithNext:
		for i := len(segs) - 1; i >= 0; i-- {
			s := segs[i]
			if s.match && !previousMatch && len(out) > 0 {
				out[len(out)-1].start = s.start
			} else {
				out = append(out, s)
			}
			previousMatch = s.match
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	case contiguous:
		for i, s := range segs {
			if i > 0 && s.match == previousMatch {
				out[len(out)-1].end = s.end
			} else {
				out = append(out, s)
			}
			previousMatch = s.match
		}
	}
	return out
}

// byteLevelStep optionally adds a prefix space, splits with the GPT-2 pattern,
// and maps every byte to its printable ByteLevel character.
func byteLevelStep(addPrefixSpace, useRegex bool) preTokenizer {
	return func(pieces []string) []string {
		var out []string
		for _, piece := range pieces {
			if addPrefixSpace && !strings.HasPrefix(piece, " ") {
				piece = " " + piece
			}
			spans := [][2]int{{0, len(piece)}}
			if useRegex {
				spans = gpt2Matcher{}.findAll(piece)
			}
			for _, s := range spans {
				out = append(out, bytesToByteLevel(piece[s[0]:s[1]]))
			}
		}
		return out
	}
}

// metaspaceStep replaces spaces by the replacement character, optionally
// prepends one, and splits before each replacement character. prepend "first"
// is approximated as the first piece of each text chunk between added tokens.
func metaspaceStep(replacement, prepend string, split bool) preTokenizer {
	return func(pieces []string) []string {
		var out []string
		for i, piece := range pieces {
			piece = strings.ReplaceAll(piece, " ", replacement)
			if (prepend == "always" || (prepend == "first" && i == 0)) && !strings.HasPrefix(piece, replacement) {
				piece = replacement + piece
			}
			if !split {
				out = append(out, piece)
				continue
			}
			for len(piece) > 0 {
				next := strings.Index(piece[1:], replacement)
				if next < 0 {
					out = append(out, piece)
					break
				}
				out = append(out, piece[:next+1])
				piece = piece[next+1:]
			}
		}
		return out
	}
}

// matcher finds the non-overlapping, non-empty matches of a pattern.
type matcher interface {
	findAll(s string) [][2]int
}

type literalMatcher string

func (m literalMatcher) findAll(s string) [][2]int {
	var spans [][2]int
	for pos := 0; ; {
		i := strings.Index(s[pos:], string(m))
		if i < 0 {
			return spans
		}
		spans = append(spans, [2]int{pos + i, pos + i + len(m)})
		pos += i + len(m)
	}
}

// funcMatcher matches every single rune for which the function is true.
type funcMatcher func(rune) bool

func (m funcMatcher) findAll(s string) [][2]int {
	var spans [][2]int
	for i, r := range s {
		if m(r) {
			spans = append(spans, [2]int{i, i + utf8.RuneLen(r)})
		}
	}
	return spans
}

type regexpMatcher struct{ re *regexp.Regexp }

func (m regexpMatcher) findAll(s string) [][2]int {
	var spans [][2]int
	for _, loc := range m.re.FindAllStringIndex(s, -1) {
		if loc[1] > loc[0] {
			spans = append(spans, [2]int{loc[0], loc[1]})
		}
	}
	return spans
}

// Split patterns with look-ahead that have hand-written matchers.
const (
	gpt2Pattern   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen2Pattern  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// compilePattern picks a hand-written matcher for the known look-ahead
// patterns and Go's regexp (with Unicode \s) for everything else.
func compilePattern(pattern string) (matcher, error) {
	switch pattern {
	case gpt2Pattern:
		return gpt2Matcher{}, nil
	case llama3Pattern:
		return llama3Matcher{maxDigits: 3}, nil
	case qwen2Pattern:
		return llama3Matcher{maxDigits: 1}, nil
	}
	translated, err := unicodeWhitespace(pattern)
	if err == nil {
		var re *regexp.Regexp
		if re, err = regexp.Compile(translated); err == nil {
			return regexpMatcher{re}, nil
		}
	}
	return nil, fmt.Errorf("pre-tokenizer Split: regex %q cannot run on Go regexp: %s", pattern, escapeControl(err.Error()))
}

// whitespaceClass is Unicode White_Space, which Oniguruma's \s matches; Go's \s is ASCII only.
const whitespaceClass = `\t\n\v\f\r \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`

// unicodeWhitespace rewrites \s and \S so that they mean Unicode whitespace.
func unicodeWhitespace(pattern string) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			next := pattern[i+1]
			i++
			switch {
			case next == 's' && inClass:
				b.WriteString(whitespaceClass)
			case next == 's':
				b.WriteString("[" + whitespaceClass + "]")
			case next == 'S' && !inClass:
				b.WriteString("[^" + whitespaceClass + "]")
			case next == 'S':
				return "", fmt.Errorf(`\S inside a character class is not supported`)
			default:
				b.WriteByte('\\')
				b.WriteByte(next)
			}
			continue
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A ']' right after '[' or '[^' is a literal.
			if i+1 < len(pattern) && pattern[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(pattern) && pattern[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
			continue
		case c == ']' && inClass:
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}
