package tokenizer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func TestImageCodesChameleonTiny(t *testing.T) {
	tok, err := Load(filepath.Join(testdata, "chameleon-tiny", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	bpe2img, img2bpe, err := tok.ImageCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(img2bpe) != 64 || len(bpe2img) != tok.VocabSize() {
		t.Fatalf("got %d codes and %d ids, want 64 and %d", len(img2bpe), len(bpe2img), tok.VocabSize())
	}
	inCodeOrder := true
	for code, id := range img2bpe {
		if bpe2img[id] != int32(code) || tok.TokenName(id) != ImageTokenName(code) {
			t.Fatalf("code %d: id %d named %q maps back to %d", code, id, tok.TokenName(id), bpe2img[id])
		}
		inCodeOrder = inCodeOrder && id == code+4
	}
	if inCodeOrder {
		t.Fatal("the test tokenizer's image ids should be shuffled so that id-4 is not the code")
	}
	images := 0
	for _, c := range bpe2img {
		if c >= 0 {
			images++
		}
	}
	if images != 64 {
		t.Fatalf("%d ids map to image codes, want 64", images)
	}
	for name, want := range map[string]int{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<eoss>": 68, "<racm3:break>": 69, "<reserved08706>": 70} {
		if id, ok := tok.TokenID(name); !ok || id != want || !tok.IsSpecial(id) {
			t.Errorf("TokenID(%q) = %d, %v (special %v), want %d special", name, id, ok, tok.IsSpecial(id), want)
		}
	}
	if tok.IsSpecial(img2bpe[0]) {
		t.Error("image tokens are not special")
	}
}

func TestImageTokenName(t *testing.T) {
	for code, want := range map[int]string{0: "IMGIMGAZ", 9: "IMGIMGJZ", 12: "IMGIMGBCZ", 8191: "IMGIMGIBJBZ"} {
		if got := ImageTokenName(code); got != want {
			t.Errorf("ImageTokenName(%d) = %q, want %q", code, got, want)
		}
		if got, ok := imageCode(want); !ok || got != code {
			t.Errorf("imageCode(%q) = %d, %v", want, got, ok)
		}
	}
}

// tinyJSON is a minimal BPE tokenizer.json over the given vocabulary.
func tinyJSON(vocab string) []byte {
	return []byte(`{"model": {"type": "BPE", "vocab": {` + vocab + `}, "merges": []}}`)
}

func TestImageCodesTextOnly(t *testing.T) {
	tok, err := Parse(tinyJSON(`"a": 0, "b": 1`), "tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	bpe2img, img2bpe, err := tok.ImageCodes()
	if err != nil || len(img2bpe) != 0 || len(bpe2img) != 2 || bpe2img[0] != -1 || bpe2img[1] != -1 {
		t.Fatalf("text-only vocabulary: %v %v %v; want no image codes and no error", bpe2img, img2bpe, err)
	}
}

func TestImageCodesErrors(t *testing.T) {
	for vocab, want := range map[string]string{
		`"IMGIMGAZ": 0, "IMGIMGCZ": 1`:  "code 1 is missing",
		`"IMGIMGAZ": 0, "IMGIMGAAZ": 1`: "image code 0 is named by both",
		`"IMGIMGAZ": 0, "IMGIMGxZ": 1`:  "not an image token name",
	} {
		tok, err := Parse(tinyJSON(vocab), "tiny.json")
		if err != nil {
			t.Fatal(err)
		}
		// The caller names the file: the error must not, or it is printed twice.
		if _, _, err := tok.ImageCodes(); err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "tiny.json") {
			t.Errorf("vocab {%s}: error %v, want one mentioning %q and not the file", vocab, err, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for input, want := range map[string]string{
		`{"model": `: "bad JSON",
		`{"model": {"type": "WordPiece", "vocab": {"a": 0}}}`:                           "WordPiece",
		`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}`:              "missing from the vocabulary",
		`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a"]]}}`:              "want 2",
		`{"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}}`:           "id 0 is used by both",
		`{"normalizer": {"type": "NFKC"}, "model": {"type": "BPE", "vocab": {"a": 0}}}`: "NFKC",
		`{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "a(?=b)"}, "behavior": "Isolated"},
		  "model": {"type": "BPE", "vocab": {"a": 0}}}`: `"a(?=b)"`,
		`{"pre_tokenizer": {"type": "Split", "pattern": {"String": "-"}, "behavior": "Sideways"},
		  "model": {"type": "BPE", "vocab": {"a": 0}}}`: "Sideways",
	} {
		_, err := Parse([]byte(input), "bad.json")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("Parse(%s): error %v, want one mentioning %q and the file", input, err, want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

// Examples from the tokenizers documentation of SplitDelimiterBehavior.
func TestSplitBehaviors(t *testing.T) {
	for behavior, want := range map[string][]string{
		"Removed":            {"the", "final", "countdown"},
		"Isolated":           {"the", "-", "final", "-", "-", "countdown"},
		"MergedWithPrevious": {"the-", "final-", "-", "countdown"},
		"MergedWithNext":     {"the", "-final", "-", "-countdown"},
		"Contiguous":         {"the", "-", "final", "--", "countdown"},
	} {
		b, err := parseBehavior(behavior)
		if err != nil {
			t.Fatal(err)
		}
		if got := splitStep(literalMatcher("-"), b, false)([]string{"the-final--countdown"}); !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", behavior, got, want)
		}
	}
	// invert: the pattern matches the words instead of the delimiters.
	words, err := compilePattern(`[a-z]+`)
	if err != nil {
		t.Fatal(err)
	}
	if got := splitStep(words, removed, true)([]string{"the-final--countdown"}); !slices.Equal(got, []string{"the", "final", "countdown"}) {
		t.Errorf("inverted Removed: got %q", got)
	}
}

func TestSplitPatterns(t *testing.T) {
	pieces := func(m matcher, s string) []string {
		var out []string
		for _, span := range m.findAll(s) {
			out = append(out, s[span[0]:span[1]])
		}
		return out
	}
	cases := []struct {
		pattern, text string
		want          []string
	}{
		{gpt2Pattern, "Hello world  foo's 123\n\n x", []string{"Hello", " world", " ", " foo", "'s", " 123", "\n\n", " x"}},
		{gpt2Pattern, "IT'S ok  ", []string{"IT", "'", "S", " ok", "  "}},
		{llama3Pattern, "IT'S 12345 ok\r\n\n  x", []string{"IT", "'S", " ", "123", "45", " ok", "\r\n\n", " ", " x"}},
		{qwen2Pattern, "a1234 (b)...\n", []string{"a", "1", "2", "3", "4", " (", "b", ")...\n"}},
		// \s in other regexes means Unicode whitespace, as in Oniguruma.
		{`\s+`, "a\u3000\u00a0b", []string{"\u3000\u00a0"}},
		{`[^\s]+`, "a\u3000b", []string{"a", "b"}},
		{`\S+`, "a\u2003b c", []string{"a", "b", "c"}},
	}
	for _, c := range cases {
		m, err := compilePattern(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := pieces(m, c.text); !slices.Equal(got, c.want) {
			t.Errorf("%q on %q: got %q, want %q", c.pattern, c.text, got, c.want)
		}
	}
}

func TestNFC(t *testing.T) {
	for in, want := range map[string]string{
		"plain ascii":        "plain ascii",
		"e\u0301":            "\u00e9",
		"\u212b":             "\u00c5",               // Angstrom sign is a singleton
		"\u1e0b\u0323":       "\u1e0d\u0307",         // canonical reordering, then composition (UAX #15)
		"\u1100\u1161\u11a8": "\uac01",               // Hangul L V T
		"\u0915\u093c":       "\u0915\u093c",         // composition exclusion stays decomposed
		"\u0301e":            "\u0301e",              // leading combining mark
		"a\u0328\u0301":      "\u0105\u0301",         // ogonek (202) composes before acute (230)
		"\U0001d15e":         "\U0001d157\U0001d165", // excluded musical symbol
	} {
		if got := nfc(in); got != want {
			t.Errorf("nfc(%+q) = %+q, want %+q", in, got, want)
		}
	}
}

// A Llama-2 style tokenizer: Prepend/Replace normalizer, no pre-tokenizer,
// byte fallback, and the Replace/ByteFallback/Fuse/Strip decoder.
const llama2Style = `{
 "added_tokens": [{"id": 1, "content": "<s>", "special": true}, {"id": 2, "content": "</s>", "special": true, "lstrip": true}],
 "normalizer": {"type": "Sequence", "normalizers": [
   {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
 "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}],
   "special_tokens": {"<s>": {"id": "<s>", "ids": [1]}}},
 "decoder": {"type": "Sequence", "decoders": [
   {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
   {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
 "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "fuse_unk": true,
   "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, %s "▁": 259, "h": 260, "i": 261, "▁h": 262, "▁hi": 263},
   "merges": ["▁ h", ["▁h", "i"]]}
}`

func TestLlama2Style(t *testing.T) {
	var bytes strings.Builder
	for b := 0; b < 256; b++ {
		fmt.Fprintf(&bytes, `"<0x%02X>": %d, `, b, b+3)
	}
	tok, err := Parse([]byte(fmt.Sprintf(llama2Style, bytes.String())), "llama2-style.json")
	if err != nil {
		t.Fatal(err)
	}
	ids := tok.Encode("hi 😀  </s>", true)
	want := []int{1, 263, 259, 0xF0 + 3, 0x9F + 3, 0x98 + 3, 0x80 + 3, 2} // lstrip swallows the spaces before </s>
	if !slices.Equal(ids, want) {
		t.Fatalf("Encode = %v, want %v", ids, want)
	}
	if got := tok.Decode(ids, true); got != "hi 😀" {
		t.Errorf("Decode = %q", got)
	}
	stream := tok.NewStreamDecoder()
	var parts []string
	for _, id := range ids[1:7] {
		parts = append(parts, stream.Add(id))
	}
	if want := []string{"hi", " ", "", "", "", "😀"}; !slices.Equal(parts, want) {
		t.Errorf("stream parts %q, want %q", parts, want)
	}
	if got := string(tok.DecodeToken(262)); got != " h" {
		t.Errorf("DecodeToken(▁h) = %q, want \" h\" (no start-of-text strip mid-stream)", got)
	}
	if got := tok.Decode([]int{263, 0xF0 + 3, 0x9F + 3}, false); got != "hi\uFFFD\uFFFD" {
		t.Errorf("Decode of a broken byte sequence = %q", got)
	}
}

func TestValidUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"ok":            "ok",
		"a\xe2\x82b":    "a\uFFFDb", // one U+FFFD for a truncated sequence, as Rust's from_utf8_lossy
		"\xff\xfe":      "\uFFFD\uFFFD",
		"\xf0\x9f\x98":  "\uFFFD",
		"x\xed\xa0\x80": "x\uFFFD\uFFFD\uFFFD", // surrogates are invalid from the second byte
	} {
		if got := validUTF8([]byte(in)); got != want {
			t.Errorf("validUTF8(%+q) = %+q, want %+q", in, got, want)
		}
	}
}

func BenchmarkEncodeQwen3(b *testing.B) {
	tok, _ := loadCase(b, "qwen3")
	corpus, err := os.ReadFile(filepath.Join(testdata, "corpus.txt"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(corpus)))
	for b.Loop() {
		tok.cache = make(map[string][]int) // measure BPE, not the cache
		tok.Encode(string(corpus), false)
	}
}

func TestIgnoreMerges(t *testing.T) {
	for ignore, want := range map[bool][]int{false: {0, 3}, true: {4}} {
		tok, err := Parse([]byte(fmt.Sprintf(`{"model": {"type": "BPE", "ignore_merges": %v,
			"vocab": {"a": 0, "b": 1, "c": 2, "bc": 3, "abc": 4}, "merges": ["b c"]}}`, ignore)), "ignore.json")
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.Encode("abc", true); !slices.Equal(got, want) {
			t.Errorf("ignore_merges %v: got %v, want %v", ignore, got, want)
		}
	}
}

func TestMetaspaceAndDigits(t *testing.T) {
	meta := metaspaceStep("▁", "always", true)
	if got := meta([]string{"hello  world"}); !slices.Equal(got, []string{"▁hello", "▁", "▁world"}) {
		t.Errorf("Metaspace: got %q", got)
	}
	digits := splitStep(funcMatcher(isNumber), contiguous, false)
	if got := digits([]string{"ab123c4"}); !slices.Equal(got, []string{"ab", "123", "c", "4"}) {
		t.Errorf("Digits: got %q", got)
	}
}

var fuzzTokenizers struct {
	sync.Once
	chameleon, qwen *Tokenizer
	err             error
}

// FuzzRoundTrip checks that any valid UTF-8 text survives Encode+Decode
// (up to NFC for Qwen3) and never panics.
func FuzzRoundTrip(f *testing.F) {
	corpus, err := os.ReadFile(filepath.Join(testdata, "corpus.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(corpus), "\n") {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, text string) {
		fuzzTokenizers.Do(func() {
			fuzzTokenizers.chameleon, fuzzTokenizers.err = Load(filepath.Join(testdata, "chameleon-tiny", "tokenizer.json"))
			if fuzzTokenizers.err == nil {
				fuzzTokenizers.qwen, fuzzTokenizers.err = Load(filepath.Join(testdata, "qwen3", "tokenizer.json.gz"))
			}
		})
		if fuzzTokenizers.err != nil {
			t.Fatal(fuzzTokenizers.err)
		}
		if !utf8.ValidString(text) {
			return
		}
		if got := fuzzTokenizers.chameleon.Decode(fuzzTokenizers.chameleon.Encode(text, false), false); got != text {
			t.Errorf("chameleon-tiny: %q -> %q", text, got)
		}
		want := nfc(text)
		if nfc(want) != want {
			t.Errorf("nfc is not idempotent on %+q", text)
		}
		if got := fuzzTokenizers.qwen.Decode(fuzzTokenizers.qwen.Encode(text, false), false); got != want {
			t.Errorf("qwen3: %q -> %q, want %q", text, got, want)
		}
	})
}

// slowMerge is the textbook BPE loop: merge the lowest-ranked adjacent pair,
// leftmost on ties, until none is left.
func slowMerge(m *bpeModel, symbols []int) []int {
	for {
		best, bestPos := merge{}, -1
		for i := 0; i+1 < len(symbols); i++ {
			if mg, ok := m.merges[pairKey(symbols[i], symbols[i+1])]; ok && (bestPos < 0 || mg.rank < best.rank) {
				best, bestPos = mg, i
			}
		}
		if bestPos < 0 {
			return symbols
		}
		symbols[bestPos] = best.result
		symbols = append(symbols[:bestPos+1], symbols[bestPos+2:]...)
	}
}

func TestMergeAllMatchesSlowLoop(t *testing.T) {
	tok, exp := loadCase(t, "qwen3")
	words := tok.preTokenize(exp.Whole.Text)
	words = append(words, bytesToByteLevel(strings.Repeat(" ", 5000)), bytesToByteLevel(strings.Repeat("ab", 3000)),
		bytesToByteLevel(strings.Repeat("=", 777)))
	for _, word := range words {
		var symbols []int
		for _, r := range word {
			symbols = append(symbols, tok.vocab[string(r)])
		}
		want := slowMerge(&tok.bpe, slices.Clone(symbols))
		if got := tok.bpe.mergeAll(symbols); !slices.Equal(got, want) {
			t.Errorf("%q: heap merge %v, simple loop %v", word, got, want)
		}
	}
}

func TestAddedTokenFlags(t *testing.T) {
	tok, err := Parse([]byte(`{
	 "added_tokens": [{"id": 3, "content": "ab", "single_word": true}, {"id": 4, "content": "<r>", "rstrip": true}],
	 "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, " ": 2}, "merges": []}}`), "flags.json")
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string][]int{
		"ab":       {3},
		"a ab b":   {0, 2, 3, 2, 1},
		"aab":      {0, 0, 1}, // single_word: not inside a word
		"<r>  a":   {4, 0},    // rstrip swallows the spaces
		"b <r> ab": {1, 2, 4, 3},
	} {
		if got := tok.Encode(text, false); !slices.Equal(got, want) {
			t.Errorf("Encode(%q) = %v, want %v", text, got, want)
		}
	}
	if tok.IsSpecial(3) || tok.VocabSize() != 5 || tok.TokenName(4) != "<r>" || tok.TokenName(99) != "" {
		t.Error("added-token accessors are wrong")
	}
}

func BenchmarkLoadQwen3(b *testing.B) {
	for b.Loop() {
		if _, err := Load(filepath.Join(testdata, "qwen3", "tokenizer.json.gz")); err != nil {
			b.Fatal(err)
		}
	}
}
