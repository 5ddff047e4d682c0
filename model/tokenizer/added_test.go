package tokenizer

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// naiveLongestAt is the definition the automaton must agree with: at pos,
// the longest token (on a rune boundary; single_word only outside words).
func naiveLongestAt(tokens []addedToken, text string, pos int) *addedToken {
	if pos > 0 && !utf8.RuneStart(text[pos]) {
		return nil
	}
	var best *addedToken
	for i := range tokens {
		tok := &tokens[i]
		if !strings.HasPrefix(text[pos:], tok.content) || best != nil && len(tok.content) <= len(best.content) {
			continue
		}
		if tok.singleWord && !isWordBoundary(text, pos, pos+len(tok.content)) {
			continue
		}
		best = tok
	}
	return best
}

func TestAddedMatcherAgreesWithNaiveSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", " ", "é", "<", ">"}
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for round := range 300 {
		var tokens []addedToken
		seen := map[string]bool{}
		for range 1 + rng.IntN(12) {
			c := word(1 + rng.IntN(5))
			if seen[c] {
				continue
			}
			seen[c] = true
			tokens = append(tokens, addedToken{id: len(tokens), content: c, singleWord: rng.IntN(3) == 0})
		}
		m := newAddedMatcher(tokens, false)
		for range 20 {
			text := word(rng.IntN(40))
			states := make([]int32, len(text))
			node := int32(0)
			for i := len(text) - 1; i >= 0; i-- {
				node = m.step(node, text[i])
				states[i] = node
			}
			for pos := range len(text) {
				got, want := m.longestAt(text, pos, states[pos]), naiveLongestAt(tokens, text, pos)
				if got != want {
					t.Fatalf("round %d: tokens %+v, text %q, pos %d: automaton %+v, naive %+v", round, tokens, text, pos, got, want)
				}
			}
		}
	}
}

// manyLongTokens is a tokenizer.json with n added tokens of many distinct
// lengths that share long prefixes: the case where trying every token
// length at every position took tens of seconds.
func manyLongTokens(tb testing.TB, n int) (*Tokenizer, []string) {
	tb.Helper()
	type added struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
	}
	var list []added
	var contents []string
	for k := range n {
		c := "<" + strings.Repeat("x", 1+k/5) + string(rune('a'+k%5)) + ">"
		contents = append(contents, c)
		list = append(list, added{ID: 2 + k, Content: c})
	}
	js, err := json.Marshal(list)
	if err != nil {
		tb.Fatal(err)
	}
	data := fmt.Sprintf(`{"added_tokens": %s, "model": {"type": "BPE", "vocab": {"<": 0, "x": 1}, "merges": []}}`, js)
	tok, err := Parse([]byte(data), "many.json")
	if err != nil {
		tb.Fatal(err)
	}
	return tok, contents
}

// longTokenText is a text that starts a partial token at every position
// (each "<" begins a run of x long enough to be the prefix of hundreds of
// tokens), with real tokens in between.
func longTokenText(contents []string) (string, []int) {
	var b strings.Builder
	var want []int
	for i := range 40 {
		b.WriteString(strings.Repeat("<", 2000))
		want = append(want, slices.Repeat([]int{0}, 2000)...)
		b.WriteString(strings.Repeat("x", 500)) // a prefix of many tokens, but no token
		want = append(want, slices.Repeat([]int{1}, 500)...)
		k := (i * 997) % len(contents)
		b.WriteString(contents[k])
		want = append(want, 2+k)
	}
	return b.String(), want
}

func TestManyLongAddedTokens(t *testing.T) {
	tok, contents := manyLongTokens(t, 5000)
	text, want := longTokenText(contents)
	if got := tok.Encode(text, false); !slices.Equal(got, want) {
		t.Fatalf("Encode of %d bytes with 5,000 long added tokens: %d ids, want %d", len(text), len(got), len(want))
	}
}

func BenchmarkAddedTokens(b *testing.B) {
	tok, contents := manyLongTokens(b, 5000)
	text, _ := longTokenText(contents)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tok.Encode(text, false)
	}
}

func TestAddedTokensByteCap(t *testing.T) {
	big := strings.Repeat("y", maxAddedBytes/2+1)
	data := fmt.Sprintf(`{"added_tokens": [{"id": 1, "content": "%s1"}, {"id": 2, "content": "%s2"}],
	 "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}`, big, big)
	if _, err := Parse([]byte(data), "big.json"); err == nil || !strings.Contains(err.Error(), "added tokens hold") || !strings.HasPrefix(err.Error(), "tokenizer big.json: ") {
		t.Fatalf("added tokens past the cap: %v", err)
	}
}
