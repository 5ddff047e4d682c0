// Package tokenizer implements the Hugging Face tokenizer.json byte-level BPE
// tokenizers used by Chameleon-family models (and Qwen/Llama-3 style ones),
// exactly: added tokens, NFC normalization, Split/ByteLevel/Digits/Metaspace
// pre-tokenizers, BPE merges, TemplateProcessing and the usual decoders.
//
// The pipeline follows the Rust `tokenizers` crate:
//
//	text -> added-token split -> normalizer -> pre-tokenizers -> BPE -> post-processor
//
// Regexes with look-ahead (the GPT-2 and Llama-3 split patterns) cannot run on
// Go's regexp, so those two known patterns have hand-written matchers; any
// other pattern goes to regexp and a pattern Go cannot compile is a load error.
//
// Chameleon image tokens are vocabulary entries named IMGIMG<letters>Z; the
// VQ code is decoded from the name (see ImageCodes), never from id arithmetic.
//
// Whatever a tokenizer.json says, encoding and decoding cost at most a fixed
// factor of the text: the limits are checked at parse time (limits.go).
package tokenizer

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/chatumm/chatumm/runtime/fileio"
)

// Tokenizer is a loaded tokenizer.json. It is safe for concurrent use.
type Tokenizer struct {
	vocab   map[string]int // model vocabulary plus added tokens
	idToken []string       // id -> token string ("" for holes)

	added    []addedToken
	addedRaw addedMatcher // added tokens with normalized=false: matched on the raw text
	addedNrm addedMatcher // added tokens with normalized=true: matched after normalization
	special  []bool       // id -> special added token

	normalizers  []func(string) string
	preTokenizer []preTokenizer
	bpe          bpeModel
	template     []templateItem // single-sequence TemplateProcessing, nil if none
	decoder      []decodeStep

	cacheMu sync.Mutex
	cache   map[string][]int // pre-token -> BPE ids
}

// Load reads a tokenizer.json (or tokenizer.json.gz) file.
func Load(path string) (*Tokenizer, error) {
	// A regular file of at most fileio.Tokenizer bytes ("PATH: reason").
	data, err := fileio.ReadFile(path, fileio.Tokenizer)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("tokenizer %s: %w", path, err)
		}
		// The same cap decompressed: a small .gz can expand a thousandfold.
		if data, err = io.ReadAll(io.LimitReader(zr, fileio.Tokenizer.Bytes+1)); err != nil {
			return nil, fmt.Errorf("tokenizer %s: %w", path, err)
		}
		if int64(len(data)) > fileio.Tokenizer.Bytes {
			return nil, fmt.Errorf("%s: decompresses to more than the %s allowed for %s", path,
				fileio.FormatBytes(fileio.Tokenizer.Bytes), fileio.Tokenizer.What)
		}
	}
	return Parse(data, path)
}

// File layout of tokenizer.json; only the fields this package uses.
type fileJSON struct {
	AddedTokens   []addedTokenJSON `json:"added_tokens"`
	Normalizer    json.RawMessage  `json:"normalizer"`
	PreTokenizer  json.RawMessage  `json:"pre_tokenizer"`
	PostProcessor json.RawMessage  `json:"post_processor"`
	Decoder       json.RawMessage  `json:"decoder"`
	Model         modelJSON        `json:"model"`
}

type addedTokenJSON struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type modelJSON struct {
	Type                    string            `json:"type"`
	Vocab                   map[string]int    `json:"vocab"`
	Merges                  []json.RawMessage `json:"merges"`
	UnkToken                *string           `json:"unk_token"`
	ContinuingSubwordPrefix *string           `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string           `json:"end_of_word_suffix"`
	FuseUnk                 bool              `json:"fuse_unk"`
	ByteFallback            bool              `json:"byte_fallback"`
	IgnoreMerges            bool              `json:"ignore_merges"`
	Dropout                 *float64          `json:"dropout"`
}

// typed is the common "type" field of normalizers, pre-tokenizers, etc.
type typed struct {
	Type string `json:"type"`
}

// Parse builds a Tokenizer from tokenizer.json contents; name is used in errors.
func Parse(data []byte, name string) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer %s: bad JSON: %s", name, escapeControl(err.Error()))
	}
	t := &Tokenizer{cache: make(map[string][]int)}
	fail := func(format string, args ...any) (*Tokenizer, error) {
		// Escaped here once for every message: many quote file content.
		return nil, fmt.Errorf("tokenizer %s: %s", name, escapeControl(fmt.Sprintf(format, args...)))
	}
	if f.Model.Type != "BPE" {
		return fail("model type %q is not supported (only BPE)", f.Model.Type)
	}
	if len(f.Model.Vocab) == 0 {
		return fail("model.vocab is empty")
	}
	if f.Model.Dropout != nil && *f.Model.Dropout != 0 {
		return fail("BPE dropout is not supported")
	}
	if p := f.Model.ContinuingSubwordPrefix; p != nil && *p != "" {
		return fail("BPE continuing_subword_prefix %q is not supported", *p)
	}
	if s := f.Model.EndOfWordSuffix; s != nil && *s != "" {
		return fail("BPE end_of_word_suffix %q is not supported", *s)
	}

	// Vocabulary: model vocab plus added tokens (which may reuse or extend ids).
	t.vocab = make(map[string]int, len(f.Model.Vocab)+len(f.AddedTokens))
	maxID := -1
	for tok, id := range f.Model.Vocab {
		if id < 0 {
			return fail("negative id %d for token %q", id, tok)
		}
		t.vocab[tok] = id
		maxID = max(maxID, id)
	}
	for _, a := range f.AddedTokens {
		if a.ID < 0 || a.Content == "" {
			return fail("bad added token %q with id %d", a.Content, a.ID)
		}
		maxID = max(maxID, a.ID)
	}
	if maxID > 1<<24 {
		return fail("token id %d is implausibly large", maxID)
	}
	if err := checkIDRange(maxID, len(f.Model.Vocab)+len(f.AddedTokens)); err != nil {
		return fail("%v", err)
	}
	t.idToken = make([]string, maxID+1)
	seen := make([]bool, maxID+1)
	for tok, id := range f.Model.Vocab {
		if seen[id] {
			return fail("id %d is used by both %q and %q", id, t.idToken[id], tok)
		}
		seen[id] = true
		t.idToken[id] = tok
	}
	t.special = make([]bool, maxID+1)
	for _, a := range f.AddedTokens {
		if seen[a.ID] && t.idToken[a.ID] != a.Content {
			return fail("added token %q reuses id %d of %q", a.Content, a.ID, t.idToken[a.ID])
		}
		seen[a.ID] = true
		t.idToken[a.ID] = a.Content
		t.vocab[a.Content] = a.ID
		t.special[a.ID] = a.Special
		t.added = append(t.added, addedToken{id: a.ID, content: a.Content, lstrip: a.LStrip, rstrip: a.RStrip,
			singleWord: a.SingleWord, normalized: a.Normalized})
	}
	if err := checkAddedBytes(f.AddedTokens); err != nil {
		return fail("%v", err)
	}
	t.addedRaw = newAddedMatcher(t.added, false)
	t.addedNrm = newAddedMatcher(t.added, true)

	var err error
	var grow growth
	if t.normalizers, grow, err = parseNormalizer(f.Normalizer); err != nil {
		return fail("%v", err)
	}
	if err = grow.check("normalizer"); err != nil {
		return fail("%v", err)
	}
	if t.preTokenizer, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return fail("%v", err)
	}
	if err = t.bpe.init(&f.Model); err != nil {
		return fail("%v", err)
	}
	if t.template, err = parsePostProcessor(f.PostProcessor, t.vocab); err != nil {
		return fail("%v", err)
	}
	if t.decoder, err = parseDecoder(f.Decoder); err != nil {
		return fail("%v", err)
	}
	return t, nil
}

// normalizerJSON covers the normalizers this package runs.
type normalizerJSON struct {
	typed
	Normalizers []json.RawMessage `json:"normalizers"`
	Prepend     string            `json:"prepend"`
	Pattern     struct {
		String *string `json:"String"`
	} `json:"pattern"`
	Content string `json:"content"`
}

// parseNormalizer flattens the normalizer entry (null, NFC, Prepend, Replace
// with a String pattern, Lowercase, or a Sequence of those) into steps, with
// the bound on how much they can grow a text (see limits.go).
func parseNormalizer(raw json.RawMessage) ([]func(string) string, growth, error) {
	if isNull(raw) {
		return nil, noGrowth, nil
	}
	var n normalizerJSON
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, noGrowth, fmt.Errorf("bad normalizer: %v", err)
	}
	// NFC and Lowercase: at most 3× (a 1-byte invalid sequence becomes the
	// 3-byte U+FFFD; no valid character expands more).
	switch n.Type {
	case "NFC":
		return []func(string) string{nfc}, growth{factor: 3}, nil
	case "Lowercase":
		return []func(string) string{strings.ToLower}, growth{factor: 3}, nil
	case "Prepend":
		prefix := n.Prepend
		return []func(string) string{func(s string) string {
			if s == "" {
				return s
			}
			return prefix + s
		}}, growth{factor: 1, insert: float64(len(prefix))}, nil
	case "Replace":
		if err := checkReplacePattern("normalizer", n.Pattern.String); err != nil {
			return nil, noGrowth, err
		}
		from, to := *n.Pattern.String, n.Content
		return []func(string) string{func(s string) string { return strings.ReplaceAll(s, from, to) }}, replaceGrowth(from, to), nil
	case "Sequence":
		var steps []func(string) string
		g := noGrowth
		for _, sub := range n.Normalizers {
			s, sg, err := parseNormalizer(sub)
			if err != nil {
				return nil, noGrowth, err
			}
			steps = append(steps, s...)
			// Checked as it grows, so the bound never overflows to Inf.
			if g = g.then(sg); g.check("normalizer") != nil {
				return nil, g, g.check("normalizer")
			}
		}
		return steps, g, nil
	}
	return nil, noGrowth, fmt.Errorf("normalizer %q is not supported", n.Type)
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// VocabSize is one more than the largest token id (model vocab and added tokens).
func (t *Tokenizer) VocabSize() int { return len(t.idToken) }

// TokenID looks a token up by its exact vocabulary string.
func (t *Tokenizer) TokenID(name string) (int, bool) {
	id, ok := t.vocab[name]
	return id, ok
}

// TokenName is the vocabulary string of id ("" if the id is unknown).
func (t *Tokenizer) TokenName(id int) string {
	if id < 0 || id >= len(t.idToken) {
		return ""
	}
	return t.idToken[id]
}

// IsSpecial reports whether id is an added token marked special.
func (t *Tokenizer) IsSpecial(id int) bool {
	return id >= 0 && id < len(t.special) && t.special[id]
}

// Encode turns text into token ids. With addSpecial the post-processor's
// template (e.g. a leading BOS) is applied. Special tokens written in the text
// are always recognized, as Hugging Face does.
func (t *Tokenizer) Encode(text string, addSpecial bool) []int {
	var ids []int
	for _, piece := range t.addedRaw.split(text) {
		if piece.id >= 0 {
			ids = append(ids, piece.id)
			continue
		}
		normalized := piece.text
		for _, normalize := range t.normalizers {
			normalized = normalize(normalized)
		}
		for _, p2 := range t.addedNrm.split(normalized) {
			if p2.id >= 0 {
				ids = append(ids, p2.id)
				continue
			}
			for _, word := range t.preTokenize(p2.text) {
				ids = append(ids, t.bpeCached(word)...)
			}
		}
	}
	if addSpecial && t.template != nil {
		ids = t.applyTemplate(ids)
	}
	return ids
}

// maxCachedWord is the longest pre-token kept in the BPE cache: with the
// entry count it bounds the cache's memory, whatever texts are encoded
// (real words are short; a long run without a split is seldom repeated).
const maxCachedWord = 256

// bpeCached runs BPE on one pre-token through a bounded cache.
func (t *Tokenizer) bpeCached(word string) []int {
	if len(word) > maxCachedWord {
		return t.bpe.encode(word)
	}
	t.cacheMu.Lock()
	ids, ok := t.cache[word]
	t.cacheMu.Unlock()
	if ok {
		return ids
	}
	ids = t.bpe.encode(word)
	t.cacheMu.Lock()
	if len(t.cache) >= 20000 { // bound memory; prompts rarely repeat this many distinct words
		clear(t.cache)
	}
	t.cache[word] = ids
	t.cacheMu.Unlock()
	return ids
}
