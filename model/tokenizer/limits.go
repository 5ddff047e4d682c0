package tokenizer

import (
	"fmt"
	"strconv"
	"strings"
)

// Resource policy. Everything a tokenizer.json asks for is bounded when the
// file is parsed, so that encoding and decoding cost at most a fixed factor
// of the text they are given, whatever the file says:
//
//   - Text rewriting (the normalizer chain, the decoder chain) may grow a
//     piece of L bytes to at most maxTextGrowth×L + maxTextInsert bytes.
//     Each step's worst case is known from the file (a Replace of a by b
//     grows text at most ⌈len(b)/len(a)⌉×, a Prepend adds its length, NFC
//     and Lowercase at most 3× — one invalid byte becomes U+FFFD), and the
//     chain's product is checked, so a chain of Replace steps cannot
//     multiply a prompt 10^9×. Real tokenizers stay under 10×.
//   - The id tables are sized by the largest id, which must not exceed
//     twice the number of tokens plus maxIDHoles: a 20-byte file cannot
//     make the loader allocate a table for 16 million ids.
//   - Added tokens are matched with an Aho-Corasick automaton, in time
//     linear in the text, with one automaton state per byte of token
//     content; that content is capped at maxAddedBytes.
const (
	maxTextGrowth = 64
	maxTextInsert = 64      // bytes a chain may add to each piece
	maxAddedBytes = 4 << 20 // total bytes of added-token contents
	maxIDHoles    = 1 << 16
)

// growth bounds a text-rewriting stage: out ≤ factor×in + insert bytes.
type growth struct {
	factor float64
	insert float64
}

var noGrowth = growth{factor: 1}

// then is the bound of g followed by h.
func (g growth) then(h growth) growth {
	return growth{factor: g.factor * h.factor, insert: h.factor*g.insert + h.insert}
}

// replaceGrowth bounds strings.ReplaceAll(s, from, to) (from non-empty).
func replaceGrowth(from, to string) growth {
	return growth{factor: max(1, float64((len(to)+len(from)-1)/len(from)))}
}

// check reports a chain (what: "normalizer", "decoder") that may grow text
// past the policy.
func (g growth) check(what string) error {
	if g.factor > maxTextGrowth {
		return fmt.Errorf("the %s can grow text %.3g×, past the %d× limit", what, g.factor, maxTextGrowth)
	}
	if g.insert > maxTextInsert {
		return fmt.Errorf("the %s can add %.3g bytes to each piece of text, past the %d-byte limit", what, g.insert, maxTextInsert)
	}
	return nil
}

// checkReplacePattern rejects the empty pattern, which strings.ReplaceAll
// would insert between every character.
func checkReplacePattern(what string, from *string) error {
	if from == nil {
		return fmt.Errorf("the Replace %s needs a String pattern", what)
	}
	if *from == "" {
		return fmt.Errorf("the Replace %s has an empty pattern", what)
	}
	return nil
}

// checkAddedBytes caps the total added-token content (the matcher's size).
func checkAddedBytes(tokens []addedTokenJSON) error {
	total := 0
	for _, a := range tokens {
		total += len(a.Content)
	}
	if total > maxAddedBytes {
		return fmt.Errorf("added tokens hold %d bytes, past the %d-byte limit", total, maxAddedBytes)
	}
	return nil
}

// checkIDRange rejects a largest id far beyond the number of tokens (the
// id tables would be mostly holes, sized by the file's claim).
func checkIDRange(maxID, tokens int) error {
	if maxID >= 2*tokens+maxIDHoles {
		return fmt.Errorf("token id %d is far beyond the %d tokens in the file", maxID, tokens)
	}
	return nil
}

// escapeControl writes the control characters of s (text from the file,
// in an error message) as Go escapes, so an error stays one printable line.
func escapeControl(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return -1
		}
		return r
	}, strings.NewReplacer(controlEscapes...).Replace(s))
}

// controlEscapes pairs each C0/C1 control character with its escape.
var controlEscapes = func() []string {
	var pairs []string
	for r := rune(0); r < 0xa0; r++ {
		if r < 0x20 || r == 0x7f || r >= 0x80 {
			q := strconv.QuoteRune(r)
			pairs = append(pairs, string(r), q[1:len(q)-1])
		}
	}
	return pairs
}()
