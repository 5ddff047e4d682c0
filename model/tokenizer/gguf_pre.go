package tokenizer

import (
	"fmt"
	"sort"
	"strings"
)

// The pre-tokenizers of GGUF byte-level BPE vocabularies, by the name in
// tokenizer.ggml.pre. llama.cpp (src/llama-vocab.cpp) splits the text with
// a list of regexes applied one after another, each cutting every piece
// into its matches and the text between them (Split with "Isolated"), and
// then maps the bytes of each piece to GPT-2's printable characters. The
// look-ahead patterns (GPT-2, Llama 3, Qwen2) use this package's
// hand-written matchers; the rest run on Go's regexp.

// ggufPre is one pre-tokenizer family: its split patterns and whether
// llama.cpp skips merging for a pre-token that is already a token
// (ignore_merges), and whether it adds a BOS by default.
type ggufPre struct {
	patterns     []string
	ignoreMerges bool
	addBOS       bool
}

const (
	// gpt2PatternNoTail is GPT-2's split without its final `|\s+`, as
	// llama.cpp writes it; with Isolated splitting the text it leaves
	// unmatched (a lone tab before a letter) is a piece anyway, so it
	// runs on gpt2Matcher.
	gpt2PatternNoTail = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
)

var (
	preDefault = ggufPre{patterns: []string{`[\p{P}\$\+<=>\^~\|]+`, gpt2PatternNoTail, `\p{N}+`, `[0-9][0-9][0-9]`}}
	preLlama3  = ggufPre{patterns: []string{llama3Pattern}, ignoreMerges: true, addBOS: true}
	preGPT2    = ggufPre{patterns: []string{gpt2PatternNoTail}}
	preQwen2   = ggufPre{patterns: []string{qwen2Pattern}}
	preDigitsG = ggufPre{patterns: []string{`\p{N}`, gpt2PatternNoTail}}
	preFalcon  = ggufPre{patterns: []string{"[\\p{P}\\$\\+<=>\\^~\\|`]+", gpt2PatternNoTail, `[0-9][0-9][0-9]`}}
	preDBRX    = ggufPre{patterns: []string{llama3Pattern}}
	// Chameleon's sentinel and image tokens are added tokens anyway; the
	// rest is its tokenizer.json's Sequence of splits.
	preChameleon = ggufPre{patterns: []string{`<sentinel:[0-9]+>`, `(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z`,
		"([\\t\\n]|    |  )", `\p{N}`, "[\\p{P}!-/:-@\\[-`{-~]", gpt2PatternNoTail}}
)

// ggufPreTokenizers maps each tokenizer.ggml.pre name this package runs to
// its pre-tokenizer (llama.cpp's names; several models share one).
var ggufPreTokenizers = map[string]ggufPre{
	"default": preDefault,
	"llama3":  preLlama3, "llama-v3": preLlama3, "llama-bpe": preLlama3, "falcon3": preLlama3,
	"falcon-h1": preLlama3, "pixtral": preLlama3, "midm-2.0": preLlama3, "lfm2": preLlama3,
	"gpt-2": preGPT2, "phi-2": preGPT2, "jina-es": preGPT2, "jina-de": preGPT2, "gigachat": preGPT2,
	"jina-v2-es": preGPT2, "jina-v2-de": preGPT2, "mpt": preGPT2, "olmo": preGPT2,
	"qwen2": preQwen2, "deepseek-r1-qwen": preQwen2, "stablelm2": preQwen2,
	"starcoder": preDigitsG, "refact": preDigitsG, "command-r": preDigitsG,
	"falcon": preFalcon,
	"dbrx":   preDBRX, "smaug-bpe": preDBRX,
	"chameleon": preChameleon,
}

// ggufPreNames lists the names, for the unknown-name error.
func ggufPreNames() string {
	names := make([]string, 0, len(ggufPreTokenizers))
	for n := range ggufPreTokenizers {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// steps builds the pre-tokenizer chain: each pattern as an Isolated
// split, then the byte-level mapping (without its own regex).
func (p ggufPre) steps() ([]preTokenizer, error) {
	var steps []preTokenizer
	for _, pattern := range p.patterns {
		var m matcher
		var err error
		if pattern == gpt2PatternNoTail {
			m = gpt2Matcher{}
		} else if m, err = compilePattern(pattern); err != nil {
			return nil, fmt.Errorf("pre-tokenizer pattern %q: %v", pattern, err)
		}
		steps = append(steps, splitStep(m, isolated, false))
	}
	return append(steps, byteLevelStep(false, false)), nil
}
