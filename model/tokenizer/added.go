package tokenizer

import (
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
// matcher of Hugging Face tokenizers: at the first position where a token
// starts, the longest one wins. It is an Aho-Corasick automaton over the
// reversed token contents, run once over the reversed text: the state
// after reading text[i:] backwards names the longest token that starts at
// i, so finding every match costs time linear in the text, however many
// and however long the tokens (a per-position trial of each token length
// made 5,000 long added tokens take tens of seconds).
type addedMatcher struct {
	tokens []*addedToken
	// The trie of reversed contents: node 0 is the root, whose children
	// are in root; other nodes keep a child list (firstChild/nextSibling).
	root        [256]int32
	firstChild  []int32
	nextSibling []int32
	label       []byte
	fail        []int32 // longest proper suffix that is also a trie node
	longest     []int32 // longest token whose reversed content is a suffix of the node: index into tokens, or -1
	longestFree []int32 // the same among tokens without single_word
	tokenNode   []int32 // token index -> its node
}

func newAddedMatcher(tokens []addedToken, normalized bool) addedMatcher {
	m := addedMatcher{firstChild: []int32{-1}, nextSibling: []int32{-1}, label: []byte{0}}
	for i := range m.root {
		m.root[i] = -1
	}
	nodeOf := make(map[string]int) // content -> index in m.tokens: the last one wins
	for i := range tokens {
		tok := &tokens[i]
		if tok.normalized != normalized {
			continue
		}
		if k, dup := nodeOf[tok.content]; dup {
			m.tokens[k] = tok
			continue
		}
		nodeOf[tok.content] = len(m.tokens)
		m.tokens = append(m.tokens, tok)
	}
	if len(m.tokens) == 0 {
		return m
	}
	m.tokenNode = make([]int32, len(m.tokens))
	terminal := map[int32]int32{} // node -> token index
	for k, tok := range m.tokens {
		node := int32(0)
		for i := len(tok.content) - 1; i >= 0; i-- {
			node = m.childOrAdd(node, tok.content[i])
		}
		m.tokenNode[k] = node
		terminal[node] = int32(k)
	}
	m.link(terminal)
	return m
}

// child is the child of node labelled b, or -1.
func (m *addedMatcher) child(node int32, b byte) int32 {
	if node == 0 {
		return m.root[b]
	}
	for c := m.firstChild[node]; c >= 0; c = m.nextSibling[c] {
		if m.label[c] == b {
			return c
		}
	}
	return -1
}

func (m *addedMatcher) childOrAdd(node int32, b byte) int32 {
	if c := m.child(node, b); c >= 0 {
		return c
	}
	c := int32(len(m.label))
	m.label = append(m.label, b)
	m.firstChild = append(m.firstChild, -1)
	if node == 0 {
		m.root[b] = c
		m.nextSibling = append(m.nextSibling, -1)
	} else {
		m.nextSibling = append(m.nextSibling, m.firstChild[node])
		m.firstChild[node] = c
	}
	return c
}

// link computes the failure links and the longest-token tables, breadth
// first so each node's suffixes are done before it.
func (m *addedMatcher) link(terminal map[int32]int32) {
	n := len(m.label)
	m.fail = make([]int32, n)
	m.longest = make([]int32, n)
	m.longestFree = make([]int32, n)
	m.longest[0], m.longestFree[0] = -1, -1
	queue := make([]int32, 0, n)
	for _, c := range m.root {
		if c >= 0 {
			queue = append(queue, c)
		}
	}
	for head := 0; head < len(queue); head++ {
		v := queue[head]
		// fail[v] was set by v's parent (0 for the root's children).
		m.longest[v], m.longestFree[v] = m.longest[m.fail[v]], m.longestFree[m.fail[v]]
		if k, ok := terminal[v]; ok {
			m.longest[v] = k
			if !m.tokens[k].singleWord {
				m.longestFree[v] = k
			}
		}
		for c := m.firstChild[v]; c >= 0; c = m.nextSibling[c] {
			m.fail[c] = m.step(m.fail[v], m.label[c])
			queue = append(queue, c)
		}
	}
}

// step is the automaton's transition from node on byte b.
func (m *addedMatcher) step(node int32, b byte) int32 {
	for {
		if c := m.child(node, b); c >= 0 {
			return c
		}
		if node == 0 {
			return 0
		}
		node = m.fail[node]
	}
}

// textPiece is either plain text (id < 0) or one matched added token.
type textPiece struct {
	text string
	id   int
}

// split cuts text into plain pieces and added-token matches.
func (m *addedMatcher) split(text string) []textPiece {
	if len(m.tokens) == 0 {
		return []textPiece{{text: text, id: -1}}
	}
	// states[i]: the automaton state after reading text[i:] backwards.
	states := make([]int32, len(text))
	node := int32(0)
	for i := len(text) - 1; i >= 0; i-- {
		node = m.step(node, text[i])
		states[i] = node
	}
	var pieces []textPiece
	plainStart := 0 // start of the pending plain text
	for pos := 0; pos < len(text); {
		tok := m.longestAt(text, pos, states[pos])
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

// longestAt returns the longest added token that matches at pos, or nil;
// state is the automaton state of text[pos:]. A single_word token only
// matches outside words; then a shorter token may match instead.
func (m *addedMatcher) longestAt(text string, pos int, state int32) *addedToken {
	// Matches must start on a rune boundary.
	if pos > 0 && !utf8.RuneStart(text[pos]) {
		return nil
	}
	k := m.longest[state]
	for k >= 0 {
		tok := m.tokens[k]
		if !tok.singleWord || isWordBoundary(text, pos, pos+len(tok.content)) {
			return tok
		}
		if wordCharBefore(text, pos) {
			// Glued on the left: no single_word token can match here.
			k = m.longestFree[m.tokenNode[k]]
			continue
		}
		k = m.longest[m.fail[m.tokenNode[k]]] // the next shorter token
	}
	return nil
}

// wordCharBefore reports whether the character before text[pos] is a word character.
func wordCharBefore(text string, pos int) bool {
	if pos == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(text[:pos])
	return isWordChar(r)
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
