package tokenizer

import (
	"sort"
	"unicode"
	"unicode/utf8"
)

// addedToken is one entry of tokenizer.json "added_tokens".
type addedToken struct {
	id         int
	content    string
	lstrip     bool // swallow whitespace on the left of a match
	rstrip     bool // swallow whitespace on the right of a match
	singleWord bool // only match when not inside a word
	normalized bool // matched on normalized text rather than raw text
}

// addedMatcher finds added tokens leftmost-longest, like the aho-corasick
// matcher of Hugging Face tokenizers. Tokens are indexed by content, and each
// position tries the distinct token lengths longest first.
type addedMatcher struct {
	byContent map[string]*addedToken
	lengths   []int     // distinct content lengths, descending
	firstByte [256]bool // bytes that can start a token
}

func newAddedMatcher(tokens []addedToken, normalized bool) addedMatcher {
	m := addedMatcher{byContent: make(map[string]*addedToken)}
	lengthSeen := make(map[int]bool)
	for i := range tokens {
		tok := &tokens[i]
		if tok.normalized != normalized {
			continue
		}
		m.byContent[tok.content] = tok
		m.firstByte[tok.content[0]] = true
		if !lengthSeen[len(tok.content)] {
			lengthSeen[len(tok.content)] = true
			m.lengths = append(m.lengths, len(tok.content))
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(m.lengths)))
	return m
}

// textPiece is either plain text (id < 0) or one matched added token.
type textPiece struct {
	text string
	id   int
}

// split cuts text into plain pieces and added-token matches.
func (m *addedMatcher) split(text string) []textPiece {
	if len(m.byContent) == 0 {
		return []textPiece{{text: text, id: -1}}
	}
	var pieces []textPiece
	plainStart := 0 // start of the pending plain text
	for pos := 0; pos < len(text); {
		tok := m.longestAt(text, pos)
		if tok == nil {
			pos++
			continue
		}
		start, end := pos, pos+len(tok.content)
		if tok.lstrip {
			for start > plainStart {
				r, size := utf8.DecodeLastRuneInString(text[plainStart:start])
				if !unicode.IsSpace(r) {
					break
				}
				start -= size
			}
		}
		if tok.rstrip {
			for end < len(text) {
				r, size := utf8.DecodeRuneInString(text[end:])
				if !unicode.IsSpace(r) {
					break
				}
				end += size
			}
		}
		if start > plainStart {
			pieces = append(pieces, textPiece{text: text[plainStart:start], id: -1})
		}
		pieces = append(pieces, textPiece{text: tok.content, id: tok.id})
		pos, plainStart = end, end
	}
	if plainStart < len(text) {
		pieces = append(pieces, textPiece{text: text[plainStart:], id: -1})
	}
	return pieces
}

// longestAt returns the longest added token that matches at pos, or nil.
func (m *addedMatcher) longestAt(text string, pos int) *addedToken {
	if !m.firstByte[text[pos]] {
		return nil
	}
	// Matches must start on a rune boundary.
	if pos > 0 && !utf8.RuneStart(text[pos]) {
		return nil
	}
	for _, n := range m.lengths {
		if pos+n > len(text) {
			continue
		}
		tok, ok := m.byContent[text[pos:pos+n]]
		if !ok {
			continue
		}
		if tok.singleWord && !isWordBoundary(text, pos, pos+n) {
			continue
		}
		return tok
	}
	return nil
}

// isWordBoundary reports whether text[start:end] is not glued to word characters.
func isWordBoundary(text string, start, end int) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(text[:start])
		if isWordChar(r) {
			return false
		}
	}
	if end < len(text) {
		r, _ := utf8.DecodeRuneInString(text[end:])
		if isWordChar(r) {
			return false
		}
	}
	return true
}

func isWordChar(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r)
}
