package tokenizer

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// withStages is a tokenizer.json over a small vocabulary with the given
// normalizer, pre-tokenizer and decoder (JSON or "null").
func withStages(normalizer, preTokenizer, decoder string) []byte {
	return []byte(fmt.Sprintf(`{"normalizer": %s, "pre_tokenizer": %s, "decoder": %s,
	 "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "▁": 2, " ": 3}, "merges": []}}`, normalizer, preTokenizer, decoder))
}

func replaceChain(kind string, n int, from, to string) string {
	steps := slices.Repeat([]string{fmt.Sprintf(`{"type": "Replace", "pattern": {"String": %q}, "content": %q}`, from, to)}, n)
	key := "normalizers"
	if kind == "decoder" {
		key = "decoders"
	}
	return fmt.Sprintf(`{"type": "Sequence", %q: [%s]}`, key, strings.Join(steps, ","))
}

func TestTextGrowthIsBoundedAtParse(t *testing.T) {
	for _, c := range []struct {
		name, normalizer, preTokenizer, decoder, want string
	}{
		// Nine steps of ×10 would turn one byte into 10^9; the check stops at
		// the second step.
		{"Replace chain ×10^9", replaceChain("normalizer", 9, "a", "aaaaaaaaaa"), "null", "null", "the normalizer can grow text 100×, past the 64× limit"},
		{"decoder Replace chain", "null", "null", replaceChain("decoder", 4, "a", strings.Repeat("a", 10)), "the decoder can grow text"},
		{"long Prepend", `{"type": "Prepend", "prepend": "` + strings.Repeat("a", 1000) + `"}`, "null", "null", "can add 1e+03 bytes"},
		{"Prepend then Replace", `{"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "` + strings.Repeat("a", 30) + `"},` +
			`{"type": "Replace", "pattern": {"String": "a"}, "content": "aaa"}]}`, "null", "null", "can add 90 bytes"},
		{"empty Replace pattern", `{"type": "Replace", "pattern": {"String": ""}, "content": "aaaa"}`, "null", "null", "empty pattern"},
		{"empty decoder pattern", "null", "null", `{"type": "Replace", "pattern": {"String": ""}, "content": "a"}`, "empty pattern"},
		{"long Metaspace replacement", "null", `{"type": "Metaspace", "replacement": "▁▁"}`, "null", "not one character"},
		{"long Metaspace decoder", "null", "null", `{"type": "Metaspace", "replacement": "ab"}`, "not one character"},
	} {
		_, err := Parse(withStages(c.normalizer, c.preTokenizer, c.decoder), "grow.json")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "tokenizer grow.json: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line naming the file and %q", c.name, err, c.want)
		}
	}
	// Real chains stay well inside: Llama-2's Prepend ▁ + Replace " " → ▁,
	// behind NFC and Lowercase.
	llama := `{"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Lowercase"}, {"type": "Prepend", "prepend": "▁"},
	 {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}`
	tok, err := Parse(withStages(llama, "null", replaceChain("decoder", 1, "▁", " ")), "llama.json")
	if err != nil {
		t.Fatalf("a Llama-2 style chain was rejected: %v", err)
	}
	if got := tok.Encode("a b", false); !slices.Equal(got, []int{2, 0, 2, 1}) {
		t.Fatalf("Encode(%q) = %v", "a b", got)
	}
}

func TestIDTableSizedByTokens(t *testing.T) {
	if _, err := Parse(tinyJSON(`"a": 0, "b": 16000000`), "holes.json"); err == nil || !strings.Contains(err.Error(), "far beyond the 2 tokens") {
		t.Fatalf("id 16000000 in a 2-token file: %v", err)
	}
	// Some holes are normal (ids reserved beyond the vocabulary).
	if _, err := Parse(tinyJSON(`"a": 0, "b": 1000`), "holes.json"); err != nil {
		t.Fatal(err)
	}
}

func TestNFCLongRunOfMarks(t *testing.T) {
	// One run of 200,000 combining marks in alternating classes (230, 220):
	// canonical ordering puts every U+0316 (220) first, then a composes
	// with the first U+0301 (230) and the others stay.
	const n = 100000
	text := "a" + strings.Repeat("\u0301\u0316", n)
	want := "á" + strings.Repeat("\u0316", n) + strings.Repeat("\u0301", n-1)
	if got := nfc(text); got != want {
		t.Fatalf("nfc of a long run: %d bytes, want %d", len(got), len(want))
	}
}
