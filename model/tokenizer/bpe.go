package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// byteToRune is GPT-2's table mapping each byte to a printable character, so
// that BPE works on visible strings; runeToByte is its inverse.
var byteToRune, runeToByte = buildByteLevelTables()

func buildByteLevelTables() ([256]rune, map[rune]byte) {
	var b2r [256]rune
	r2b := make(map[rune]byte, 256)
	next := rune(256)
	for b := 0; b < 256; b++ {
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		if printable {
			b2r[b] = rune(b)
		} else {
			b2r[b] = next
			next++
		}
		r2b[b2r[b]] = byte(b)
	}
	return b2r, r2b
}

// bytesToByteLevel maps every byte of s to its ByteLevel character.
func bytesToByteLevel(s string) string {
	var b strings.Builder
	b.Grow(2 * len(s))
	for i := 0; i < len(s); i++ {
		b.WriteRune(byteToRune[s[i]])
	}
	return b.String()
}

// bpeModel holds the merge table of a BPE model.
type bpeModel struct {
	vocab        map[string]int
	merges       map[uint64]merge // (left id, right id) -> merge
	unkID        int              // -1 if none
	fuseUnk      bool
	byteFallback bool
	byteIDs      [256]int // ids of <0xXX> tokens, -1 if missing (byte_fallback)
	ignoreMerges bool
}

type merge struct {
	rank   int // lower merges first
	result int // id of the merged token
}

func pairKey(a, b int) uint64 { return uint64(a)<<32 | uint64(uint32(b)) }

// init reads the model section; the BPE sees the model vocabulary only, not added tokens.
func (m *bpeModel) init(j *modelJSON) error {
	vocab := j.Vocab
	m.vocab = vocab
	m.fuseUnk, m.byteFallback, m.ignoreMerges = j.FuseUnk, j.ByteFallback, j.IgnoreMerges
	m.unkID = -1
	if j.UnkToken != nil {
		id, ok := vocab[*j.UnkToken]
		if !ok {
			return fmt.Errorf("unk_token %q is not in the vocabulary", *j.UnkToken)
		}
		m.unkID = id
	}
	for b := range m.byteIDs {
		id, ok := vocab[fmt.Sprintf("<0x%02X>", b)]
		if !ok {
			id = -1
		}
		m.byteIDs[b] = id
	}
	m.merges = make(map[uint64]merge, len(j.Merges))
	for rank, raw := range j.Merges {
		left, right, err := parseMerge(raw)
		if err != nil {
			return fmt.Errorf("merge %d: %v", rank, err)
		}
		a, okA := vocab[left]
		b, okB := vocab[right]
		c, okC := vocab[left+right]
		if !okA || !okB || !okC {
			return fmt.Errorf("merge %d (%q %q) uses a token missing from the vocabulary", rank, left, right)
		}
		m.merges[pairKey(a, b)] = merge{rank: rank, result: c} // a repeated pair keeps its last rank, as in the Rust crate
	}
	return nil
}

// parseMerge accepts both merge formats: "a b" and ["a", "b"].
func parseMerge(raw json.RawMessage) (string, string, error) {
	var pair []string
	if err := json.Unmarshal(raw, &pair); err == nil {
		if len(pair) != 2 {
			return "", "", fmt.Errorf("merge pair has %d parts, want 2", len(pair))
		}
		return pair[0], pair[1], nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", "", fmt.Errorf("merge is neither a string nor a pair: %.60q", raw)
	}
	left, right, ok := strings.Cut(s, " ")
	if !ok || left == "" || right == "" || strings.Contains(right, " ") {
		return "", "", fmt.Errorf("merge %q is not two space-separated tokens", s)
	}
	return left, right, nil
}

// encode runs BPE on one pre-token: start from its characters, then apply the
// lowest-ranked merge (leftmost on ties) until no adjacent pair can merge.
func (m *bpeModel) encode(word string) []int {
	if id, ok := m.vocab[word]; ok && m.ignoreMerges {
		return []int{id}
	}
	symbols := make([]int, 0, len(word))
	lastUnk := false
	for i := 0; i < len(word); {
		// The width read, not RuneLen: an invalid byte is one byte wide
		// although it reads as the 3-byte U+FFFD.
		_, size := utf8.DecodeRuneInString(word[i:])
		piece := word[i : i+size]
		i += size
		if id, ok := m.vocab[piece]; ok {
			symbols = append(symbols, id)
			lastUnk = false
			continue
		}
		if m.byteFallback && m.hasByteTokens(piece) {
			for k := 0; k < len(piece); k++ {
				symbols = append(symbols, m.byteIDs[piece[k]])
			}
			lastUnk = false
			continue
		}
		if m.unkID >= 0 && !(m.fuseUnk && lastUnk) {
			symbols = append(symbols, m.unkID)
		}
		lastUnk = m.unkID >= 0
	}
	return m.mergeAll(symbols)
}

// mergeAll applies merges lowest rank first, leftmost on ties, like the Rust
// crate: a heap of candidate pairs over a linked list of symbols, so long
// pre-tokens (a run of 10k spaces) stay O(n log n).
func (m *bpeModel) mergeAll(symbols []int) []int {
	if len(symbols) < 2 {
		return symbols
	}
	n := len(symbols)
	prev, next := make([]int, n), make([]int, n)
	for i := range symbols {
		prev[i], next[i] = i-1, i+1
	}
	next[n-1] = -1
	var queue pairHeap
	push := func(left int) {
		right := next[left]
		if right < 0 {
			return
		}
		if mg, ok := m.merges[pairKey(symbols[left], symbols[right])]; ok {
			queue.push(pairCandidate{rank: mg.rank, pos: left, left: symbols[left], right: symbols[right], result: mg.result})
		}
	}
	for i := 0; i+1 < n; i++ {
		push(i)
	}
	removed := make([]bool, n)
	for len(queue) > 0 {
		c := queue.pop()
		right := next[c.pos]
		// Skip candidates made stale by earlier merges.
		if removed[c.pos] || right < 0 || symbols[c.pos] != c.left || symbols[right] != c.right {
			continue
		}
		symbols[c.pos] = c.result
		removed[right] = true
		next[c.pos] = next[right]
		if next[right] >= 0 {
			prev[next[right]] = c.pos
		}
		if prev[c.pos] >= 0 {
			push(prev[c.pos])
		}
		push(c.pos)
	}
	out := symbols[:0]
	for i := 0; i >= 0; i = next[i] {
		out = append(out, symbols[i])
	}
	return out
}

// pairCandidate is a possible merge of the symbol at pos with its successor.
type pairCandidate struct {
	rank, pos           int
	left, right, result int
}

// pairHeap is a binary min-heap ordered by (rank, pos).
type pairHeap []pairCandidate

func (h pairHeap) less(i, j int) bool {
	return h[i].rank < h[j].rank || (h[i].rank == h[j].rank && h[i].pos < h[j].pos)
}

func (h *pairHeap) push(c pairCandidate) {
	*h = append(*h, c)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if !q.less(i, parent) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
}

func (h *pairHeap) pop() pairCandidate {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for i := 0; ; {
		smallest, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q.less(l, smallest) {
			smallest = l
		}
		if r < len(q) && q.less(r, smallest) {
			smallest = r
		}
		if smallest == i {
			break
		}
		q[i], q[smallest] = q[smallest], q[i]
		i = smallest
	}
	*h = q
	return top
}

func (m *bpeModel) hasByteTokens(piece string) bool {
	for k := 0; k < len(piece); k++ {
		if m.byteIDs[piece[k]] < 0 {
			return false
		}
	}
	return true
}
