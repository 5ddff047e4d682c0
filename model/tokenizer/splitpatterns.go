package tokenizer

import "unicode"

// Hand-written matchers for the two look-ahead split patterns that Go's
// regexp cannot run. Each alternative is tried in order at the current
// position (leftmost-first, like Oniguruma), with the same backtracking
// outcome as the regex. \s is Unicode White_Space (unicode.IsSpace).

// runeText is a string decoded into runes with their byte offsets.
type runeText struct {
	r   []rune
	off []int // off[i] is the byte offset of r[i]; off[len(r)] is the length
}

func decodeRunes(s string) runeText {
	t := runeText{r: make([]rune, 0, len(s)), off: make([]int, 0, len(s)+1)}
	for i, r := range s {
		t.r = append(t.r, r)
		t.off = append(t.off, i)
	}
	t.off = append(t.off, len(s))
	return t
}

// at returns the rune at i, or -1 past the end.
func (t *runeText) at(i int) rune {
	if i < len(t.r) {
		return t.r[i]
	}
	return -1
}

// run returns the end of the run of runes satisfying f starting at i.
func (t *runeText) run(i int, f func(rune) bool) int {
	for i < len(t.r) && f(t.r[i]) {
		i++
	}
	return i
}

func isLetter(r rune) bool { return unicode.IsLetter(r) }
func isNumber(r rune) bool { return unicode.IsNumber(r) }
func isOther(r rune) bool  { return r >= 0 && !unicode.IsSpace(r) && !isLetter(r) && !isNumber(r) }
func isCRLF(r rune) bool   { return r == '\r' || r == '\n' }

// findAllWith turns a "match length at position" function into spans.
func findAllWith(s string, matchAt func(t *runeText, i int) int) [][2]int {
	t := decodeRunes(s)
	var spans [][2]int
	for i := 0; i < len(t.r); {
		end := matchAt(&t, i)
		if end <= i { // cannot happen for these patterns, which match every rune; be safe
			end = i + 1
		}
		spans = append(spans, [2]int{t.off[i], t.off[end]})
		i = end
	}
	return spans
}

// gpt2Matcher: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
type gpt2Matcher struct{}

func (gpt2Matcher) findAll(s string) [][2]int { return findAllWith(s, gpt2MatchAt) }

func gpt2MatchAt(t *runeText, i int) int {
	if end := contractionAt(t, i, false); end > 0 {
		return end
	}
	// ' ?X+' for the three classes: the optional space only helps if X follows.
	for _, class := range []func(rune) bool{isLetter, isNumber, isOther} {
		start := i
		if t.at(i) == ' ' && class(t.at(i+1)) {
			start = i + 1
		}
		if class(t.at(start)) {
			return t.run(start, class)
		}
	}
	return whitespaceAt(t, i)
}

// whitespaceAt implements \s+(?!\S)|\s+ : a whitespace run, leaving its last
// rune for the next token when a non-space follows (so " word" keeps its space).
func whitespaceAt(t *runeText, i int) int {
	end := t.run(i, unicode.IsSpace)
	if end == i {
		return i
	}
	if end < len(t.r) && end-i >= 2 {
		return end - 1
	}
	return end
}

// contractionAt matches 's|'t|'re|'ve|'m|'ll|'d, optionally case-insensitively.
func contractionAt(t *runeText, i int, foldCase bool) int {
	if t.at(i) != '\'' {
		return 0
	}
	lower := func(r rune) rune {
		if !foldCase {
			return r
		}
		if r == 'ſ' { // U+017F LONG S case-folds to 's'
			return 's'
		}
		return unicode.ToLower(r)
	}
	a, b := lower(t.at(i+1)), lower(t.at(i+2))
	switch a {
	case 's', 't', 'm', 'd':
		return i + 2
	case 'r', 'v':
		if b == 'e' {
			return i + 3
		}
	case 'l':
		if b == 'l' {
			return i + 3
		}
	}
	return 0
}

// llama3Matcher: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+  (Llama 3: maxDigits 3; Qwen2/3: 1).
type llama3Matcher struct{ maxDigits int }

func (m llama3Matcher) findAll(s string) [][2]int {
	return findAllWith(s, func(t *runeText, i int) int { return m.matchAt(t, i) })
}

func (m llama3Matcher) matchAt(t *runeText, i int) int {
	if end := contractionAt(t, i, true); end > 0 {
		return end
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+
	r := t.at(i)
	if isLetter(r) {
		return t.run(i, isLetter)
	}
	if r >= 0 && !isCRLF(r) && !isNumber(r) && isLetter(t.at(i+1)) {
		return t.run(i+1, isLetter)
	}
	// \p{N}{1,maxDigits}
	if isNumber(r) {
		end := i
		for end < len(t.r) && end-i < m.maxDigits && isNumber(t.r[end]) {
			end++
		}
		return end
	}
	// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
	start := i
	if r == ' ' && isOther(t.at(i+1)) {
		start = i + 1
	}
	if isOther(t.at(start)) {
		return t.run(t.run(start, isOther), isCRLF)
	}
	// \s*[\r\n]+ : ends right after the last \r or \n of the whitespace run.
	runEnd := t.run(i, unicode.IsSpace)
	for j := runEnd - 1; j >= i; j-- {
		if isCRLF(t.r[j]) {
			return j + 1
		}
	}
	return whitespaceAt(t, i)
}
