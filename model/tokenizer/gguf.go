package tokenizer

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// A GGUF file carries its tokenizer in metadata (llama.cpp's keys):
// tokenizer.ggml.model names the algorithm, tokenizer.ggml.tokens the
// vocabulary by id, token_type each token's kind, and either merges
// ("gpt2": byte-level BPE, GPT-2's printable byte alphabet, a
// pre-tokenizer named by tokenizer.ggml.pre) or scores ("llama":
// SentencePiece BPE over the scores, ▁ for spaces, <0xNN> byte tokens for
// characters outside the vocabulary). FromGGUF builds the same structures
// a tokenizer.json does, so encoding and decoding are this package's.
//
// SentencePiece BPE as llama.cpp runs it merges, at each step, the
// adjacent pair whose concatenation is the best-scored token (leftmost on
// ties). That is BPE with one merge (a, b) → a+b for every way a token
// splits into two tokens, ranked by the token's score: FromGGUF derives
// those merges from the vocabulary. (llama.cpp starts from characters even
// when a character is not itself a token; here such a character is its
// byte tokens at once, which differs only for a vocabulary holding a
// multi-character token with a character it lacks as a token.)

// GGUF token types (llama.cpp's llama_token_type).
const (
	ggufTokenUndefined = iota
	ggufTokenNormal
	ggufTokenUnknown
	ggufTokenControl
	ggufTokenUserDefined
	ggufTokenUnused
	ggufTokenByte
)

// GGUFSpecial holds a GGUF tokenizer's protocol tokens (-1: none) and
// whether llama.cpp adds BOS/EOS around a prompt.
type GGUFSpecial struct {
	BOS, EOS, EndOfTurn, Unknown, Pad int
	AddBOS, AddEOS                    bool
}

// endOfTurnNames are the tokens llama.cpp takes as end of turn when the
// file names none (tokenizer.ggml.eot_id absent).
var endOfTurnNames = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>"}

// FromGGUF builds the tokenizer stored in GGUF metadata (as
// weights.Set.Metadata returns it); file names the file in errors. A file
// without tokenizer.ggml.model has no tokenizer: (nil, nil, nil).
func FromGGUF(meta map[string]any, file string) (*Tokenizer, *GGUFSpecial, error) {
	fail := func(key, format string, args ...any) (*Tokenizer, *GGUFSpecial, error) {
		return nil, nil, fmt.Errorf("%s: %s: %s", file, key, escapeControl(fmt.Sprintf(format, args...)))
	}
	rawModel, ok := meta["tokenizer.ggml.model"]
	if !ok {
		return nil, nil, nil
	}
	kind, ok := rawModel.(string)
	if !ok {
		return fail("tokenizer.ggml.model", "is a %T, want a string", rawModel)
	}
	if kind != "gpt2" && kind != "llama" {
		return fail("tokenizer.ggml.model", "tokenizer %q is not supported (only \"gpt2\" and \"llama\")", kind)
	}
	tokens, ok := meta["tokenizer.ggml.tokens"].([]string)
	if !ok {
		return fail("tokenizer.ggml.tokens", "missing or not an array of strings")
	}
	n := len(tokens)
	if n == 0 || n > 1<<24 {
		return fail("tokenizer.ggml.tokens", "%d tokens, want 1 to %d", n, 1<<24)
	}
	types := make([]int32, n)
	for i := range types {
		types[i] = ggufTokenNormal
	}
	if raw, present := meta["tokenizer.ggml.token_type"]; present {
		tt, ok := raw.([]int32)
		if !ok {
			return fail("tokenizer.ggml.token_type", "is a %T, want an array of int32", raw)
		}
		if len(tt) != n {
			return fail("tokenizer.ggml.token_type", "has %d entries for %d tokens", len(tt), n)
		}
		for i, v := range tt {
			if v < ggufTokenUndefined || v > ggufTokenByte {
				return fail("tokenizer.ggml.token_type", "entry %d is %d, not a token type (0-6)", i, v)
			}
		}
		types = tt
	}

	t := &Tokenizer{cache: make(map[string][]int), vocab: make(map[string]int, n), idToken: tokens, special: make([]bool, n)}
	for id, tok := range tokens {
		if tok == "" {
			continue // a hole: never produced, decodes to nothing
		}
		if prev, dup := t.vocab[tok]; dup {
			return fail("tokenizer.ggml.tokens", "token %q has ids %d and %d", tok, prev, id)
		}
		t.vocab[tok] = id
		switch types[id] {
		case ggufTokenControl, ggufTokenUnknown, ggufTokenUserDefined:
			// Matched in the raw text before anything else, as llama.cpp
			// partitions a prompt on its special tokens.
			t.special[id] = types[id] != ggufTokenUserDefined
			t.added = append(t.added, addedToken{id: id, content: tok})
		}
	}
	total := 0
	for _, a := range t.added {
		total += len(a.content)
	}
	if total > maxAddedBytes {
		return fail("tokenizer.ggml.token_type", "special tokens hold %d bytes, past the %d-byte limit", total, maxAddedBytes)
	}
	t.addedRaw = newAddedMatcher(t.added, false)
	t.addedNrm = newAddedMatcher(nil, true)

	sp, errKey, err := ggufSpecialTokens(meta, kind, n, t.vocab)
	if err != nil {
		return fail(errKey, "%v", err)
	}
	t.bpe = bpeModel{vocab: t.vocab, unkID: sp.Unknown}
	for b := range t.bpe.byteIDs {
		t.bpe.byteIDs[b] = -1
	}
	if kind == "gpt2" {
		pre := preDefault
		if raw, present := meta["tokenizer.ggml.pre"]; present {
			name, ok := raw.(string)
			if !ok {
				return fail("tokenizer.ggml.pre", "is a %T, want a string", raw)
			}
			if pre, ok = ggufPreTokenizers[name]; !ok {
				return fail("tokenizer.ggml.pre", "pre-tokenizer %q is not supported (supported: %s)", name, ggufPreNames())
			}
		}
		if t.preTokenizer, err = pre.steps(); err != nil {
			return fail("tokenizer.ggml.pre", "%v", err)
		}
		t.bpe.ignoreMerges = pre.ignoreMerges
		t.bpe.unkID = -1 // llama.cpp drops what no token covers
		if !hasKey(meta, "tokenizer.ggml.add_bos_token") {
			sp.AddBOS = pre.addBOS
		}
		if key, err := t.bpe.ggufMerges(meta); err != nil {
			return fail(key, "%v", err)
		}
		t.decoder = []decodeStep{decodeByteLevel}
	} else {
		if key, err := t.bpe.spmMerges(meta, tokens); err != nil {
			return fail(key, "%v", err)
		}
		t.bpe.byteFallback = true
		for b := range t.bpe.byteIDs {
			if id, ok := t.vocab[fmt.Sprintf("<0x%02X>", b)]; ok {
				t.bpe.byteIDs[b] = id
			}
		}
		spacePrefix := true
		if raw, present := meta["tokenizer.ggml.add_space_prefix"]; present {
			if spacePrefix, ok = raw.(bool); !ok {
				return fail("tokenizer.ggml.add_space_prefix", "is a %T, want a bool", raw)
			}
		}
		t.normalizers, t.decoder = spmPipeline(spacePrefix)
	}
	if sp.AddBOS && sp.BOS < 0 {
		return fail("tokenizer.ggml.add_bos_token", "is true but tokenizer.ggml.bos_token_id is not set")
	}
	if sp.AddEOS && sp.EOS < 0 {
		return fail("tokenizer.ggml.add_eos_token", "is true but tokenizer.ggml.eos_token_id is not set")
	}
	if sp.AddBOS || sp.AddEOS {
		t.template = []templateItem{{sequence: true}}
		if sp.AddBOS {
			t.template = append([]templateItem{{ids: []int{sp.BOS}}}, t.template...)
		}
		if sp.AddEOS {
			t.template = append(t.template, templateItem{ids: []int{sp.EOS}})
		}
	}
	return t, sp, nil
}

func hasKey(meta map[string]any, key string) bool { _, ok := meta[key]; return ok }

// ggufSpecialTokens reads the protocol token ids and add_bos/add_eos, with
// llama.cpp's defaults for each tokenizer kind; on error it names the key.
func ggufSpecialTokens(meta map[string]any, kind string, n int, vocab map[string]int) (*GGUFSpecial, string, error) {
	sp := &GGUFSpecial{BOS: -1, EOS: -1, EndOfTurn: -1, Unknown: -1, Pad: -1}
	if kind == "llama" {
		// SentencePiece's layout when the file does not say.
		sp.Unknown, sp.BOS, sp.EOS, sp.AddBOS = 0, 1, 2, true
		for _, p := range []*int{&sp.Unknown, &sp.BOS, &sp.EOS} {
			if *p >= n {
				*p = -1
			}
		}
	}
	for _, k := range []struct {
		key string
		id  *int
	}{
		{"tokenizer.ggml.bos_token_id", &sp.BOS},
		{"tokenizer.ggml.eos_token_id", &sp.EOS},
		{"tokenizer.ggml.eot_token_id", &sp.EndOfTurn},
		{"tokenizer.ggml.unknown_token_id", &sp.Unknown},
		{"tokenizer.ggml.padding_token_id", &sp.Pad},
	} {
		raw, present := meta[k.key]
		if !present {
			continue
		}
		id, ok := metaTokenID(raw)
		if !ok {
			return nil, k.key, fmt.Errorf("is %v (%T), not a token id", raw, raw)
		}
		if id >= n {
			return nil, k.key, fmt.Errorf("token id %d is out of range (%d tokens)", id, n)
		}
		*k.id = id
	}
	for _, k := range []struct {
		key  string
		flag *bool
	}{
		{"tokenizer.ggml.add_bos_token", &sp.AddBOS},
		{"tokenizer.ggml.add_eos_token", &sp.AddEOS},
	} {
		if raw, present := meta[k.key]; present {
			b, ok := raw.(bool)
			if !ok {
				return nil, k.key, fmt.Errorf("is a %T, want a bool", raw)
			}
			*k.flag = b
		}
	}
	if sp.EndOfTurn < 0 {
		for _, name := range endOfTurnNames {
			if id, ok := vocab[name]; ok {
				sp.EndOfTurn = id
				break
			}
		}
	}
	return sp, "", nil
}

// metaTokenID reads a non-negative integer of any GGUF integer type.
func metaTokenID(v any) (int, bool) {
	var x int64
	switch v := v.(type) {
	case uint8:
		x = int64(v)
	case int8:
		x = int64(v)
	case uint16:
		x = int64(v)
	case int16:
		x = int64(v)
	case uint32:
		x = int64(v)
	case int32:
		x = int64(v)
	case uint64:
		if v > math.MaxInt32 {
			return 0, false
		}
		x = int64(v)
	case int64:
		x = v
	default:
		return 0, false
	}
	if x < 0 || x > math.MaxInt32 {
		return 0, false
	}
	return int(x), true
}

// ggufMerges reads tokenizer.ggml.merges ("left right", lowest rank first).
func (m *bpeModel) ggufMerges(meta map[string]any) (string, error) {
	const key = "tokenizer.ggml.merges"
	merges, ok := meta[key].([]string)
	if !ok {
		return key, fmt.Errorf("missing or not an array of strings")
	}
	m.merges = make(map[uint64]merge, len(merges))
	for rank, s := range merges {
		// llama.cpp cuts at the first space after the first byte.
		cut := -1
		if len(s) > 1 {
			if i := strings.IndexByte(s[1:], ' '); i >= 0 {
				cut = i + 1
			}
		}
		if cut < 0 || cut == len(s)-1 {
			return key, fmt.Errorf("merge %d %q is not two space-separated tokens", rank, s)
		}
		left, right := s[:cut], s[cut+1:]
		a, okA := m.vocab[left]
		b, okB := m.vocab[right]
		c, okC := m.vocab[left+right]
		if !okA || !okB || !okC {
			return key, fmt.Errorf("merge %d %q names a token missing from tokenizer.ggml.tokens", rank, s)
		}
		if _, dup := m.merges[pairKey(a, b)]; !dup { // llama.cpp keeps a repeated pair's first rank
			m.merges[pairKey(a, b)] = merge{rank: rank, result: c}
		}
	}
	return "", nil
}

// spmMerges derives SentencePiece's merges from the vocabulary: a pair of
// tokens whose concatenation is a token merges into it, better-scored
// results first; equal scores share a rank, so the leftmost pair wins.
func (m *bpeModel) spmMerges(meta map[string]any, tokens []string) (string, error) {
	const key = "tokenizer.ggml.scores"
	scores := make([]float32, len(tokens))
	if raw, present := meta[key]; present {
		switch s := raw.(type) {
		case []float32:
			scores = s
		case []int32: // llama.cpp accepts integer scores too
			scores = make([]float32, len(s))
			for i, v := range s {
				scores[i] = float32(v)
			}
		default:
			return key, fmt.Errorf("is a %T, want an array of float32", raw)
		}
		if len(scores) != len(tokens) {
			return key, fmt.Errorf("has a different length than the %d tokens of tokenizer.ggml.tokens", len(tokens))
		}
	}
	for i, s := range scores {
		if s != s {
			return key, fmt.Errorf("score %d of token %q is not a number", i, tokens[i])
		}
	}
	distinct := slices.Clone(scores)
	slices.SortFunc(distinct, func(a, b float32) int { return -cmpFloat(a, b) })
	distinct = slices.Compact(distinct)
	rankOf := func(s float32) int {
		i, _ := slices.BinarySearchFunc(distinct, s, func(e, t float32) int { return -cmpFloat(e, t) })
		return i
	}
	m.merges = make(map[uint64]merge)
	for c, tok := range tokens {
		if m.vocab[tok] != c || utf8.RuneCountInString(tok) < 2 {
			continue
		}
		rank := rankOf(scores[c])
		for i := range tok {
			if i == 0 {
				continue
			}
			a, okA := m.vocab[tok[:i]]
			b, okB := m.vocab[tok[i:]]
			if okA && okB {
				m.merges[pairKey(a, b)] = merge{rank: rank, result: c}
			}
		}
	}
	return "", nil
}

func cmpFloat(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// spmPipeline is SentencePiece's text handling as llama.cpp does it: a
// space before each piece of text (at the start and after every special
// token) when add_space_prefix, every space written ▁; decoding reverses
// both and turns <0xNN> runs back into bytes.
func spmPipeline(spacePrefix bool) ([]func(string) string, []decodeStep) {
	var normalize []func(string) string
	if spacePrefix {
		normalize = append(normalize, func(s string) string {
			if s == "" {
				return s
			}
			return " " + s
		})
	}
	normalize = append(normalize, func(s string) string { return strings.ReplaceAll(s, " ", "▁") })
	decode := []decodeStep{
		func(tokens []string, _ decodeMode) []string {
			for i := range tokens {
				tokens[i] = strings.ReplaceAll(tokens[i], "▁", " ")
			}
			return tokens
		},
		decodeByteFallback,
		func(tokens []string, _ decodeMode) []string { return []string{strings.Join(tokens, "")} },
	}
	if spacePrefix {
		decode = append(decode, stripStep(" ", 1, 0))
	}
	return normalize, decode
}
