package tokenizer

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chatumm/chatumm/weights"
)

// The GGUF tokenizers compared with llama.cpp: tiny-llama.gguf (the peer
// benchmark's generator, "llama" with only one- and two-character pieces)
// and two built here, so each tokenizer kind has a vocabulary with real
// merges: gpt2-tiny (the embedded model's byte-level BPE written as
// llama.cpp's converter writes it, pre-tokenizer "gpt-2") and spm-rich (a
// SentencePiece vocabulary with multi-character pieces, tied scores, a
// user-defined and a control token). tools/peers/gguf_tokenize.mjs
// tokenizes the fixture strings with llama.cpp in these files:
//
//	go test ./model/tokenizer -run TestWriteGGUFFixtures -gguf-out DIR
//	NODE_PATH=/tmp/peers/node_modules node tools/peers/gguf_tokenize.mjs DIR/*.gguf \
//		testdata/weights/tiny-llama.gguf > testdata/tokenizer/gguf-llamacpp.json

var ggufOut = flag.String("gguf-out", "", "write the GGUF files of the llama.cpp tokenizer fixture into this directory")

// ggufFixtures builds the metadata of the generated GGUF tokenizers.
var ggufFixtures = map[string]func(t *testing.T) []weights.GGUFKV{
	"gpt2-tiny.gguf": gpt2TinyMeta,
	"spm-rich.gguf":  spmRichMeta,
	// The same vocabulary under other pre-tokenizers: Llama 3's split
	// (ignore_merges, BOS by default), Qwen2's, llama.cpp's default (no
	// tokenizer.ggml.pre key), Falcon's, StarCoder's and Chameleon's.
	"gpt2-llama3.gguf":    gpt2Pre("llama-bpe"),
	"gpt2-qwen2.gguf":     gpt2Pre("qwen2"),
	"gpt2-default.gguf":   gpt2Pre(""),
	"gpt2-falcon.gguf":    gpt2Pre("falcon"),
	"gpt2-starcoder.gguf": gpt2Pre("starcoder"),
	"gpt2-chameleon.gguf": gpt2Pre("chameleon"),
}

// crossingMerges join what the pre-tokenizers split differently (runs of
// whitespace and newlines, digit groups, a space before punctuation or a
// digit, a contraction, punctuation runs), so that each pre-tokenizer
// gives its own ids; a word that is a token but not reachable by merges
// ("Ġworldwide") shows ignore_merges.
var crossingMerges = [][2]string{
	{"Ġ", "Ġ"}, {"ĠĠ", "ĠĠ"}, {"Ċ", "Ċ"}, {"Ġ", "Ċ"}, {"ĉ", "ĉ"}, {"1", "2"}, {"12", "3"}, {"123", "4"},
	{"4", "5"}, {"45", "6"}, {"456", "7"}, {"Ġ", "1"}, {"Ġ", "$"}, {"$", "5"}, {"'", "s"}, {"'", "T"},
	{"N", "'"}, {".", "b"}, {"!", "d"}, {"+", "$"}, {"=", "<"}, {"^", "~"}, {"Ġ", "("}, {"(", ")"},
	{"2", "0"}, {"20", "2"}, {"202", "6"}, {"Ġ", "s"},
}

// gpt2Pre is gpt2TinyMeta with another tokenizer.ggml.pre ("" for none)
// and the crossing merges.
func gpt2Pre(pre string) func(t *testing.T) []weights.GGUFKV {
	return func(t *testing.T) []weights.GGUFKV {
		var out []weights.GGUFKV
		var tokens []string
		var types []int32
		var merges []string
		for _, kv := range gpt2TinyMeta(t) {
			switch kv.Key {
			case "tokenizer.ggml.pre":
				if pre != "" {
					out = append(out, weights.GGUFKV{Key: kv.Key, Value: pre})
				}
			case "tokenizer.ggml.add_bos_token": // the pre-tokenizer's default
			case "tokenizer.ggml.tokens":
				tokens = kv.Value.([]string)
			case "tokenizer.ggml.token_type":
				types = kv.Value.([]int32)
			case "tokenizer.ggml.merges":
				merges = kv.Value.([]string)
			default:
				out = append(out, kv)
			}
		}
		have := map[string]bool{}
		for _, tok := range tokens {
			have[tok] = true
		}
		for _, m := range append(crossingMerges, [2]string{"Ġworld", "wide"}) {
			for _, tok := range []string{m[0], m[1], m[0] + m[1]} {
				if !have[tok] {
					have[tok] = true
					tokens, types = append(tokens, tok), append(types, ggufTokenNormal)
				}
			}
			if m[0] != "Ġworld" { // a token without a merge: reachable only by ignore_merges
				merges = append(merges, m[0]+" "+m[1])
			}
		}
		return append(out, weights.GGUFKV{Key: "tokenizer.ggml.tokens", Value: tokens},
			weights.GGUFKV{Key: "tokenizer.ggml.token_type", Value: types},
			weights.GGUFKV{Key: "tokenizer.ggml.merges", Value: merges})
	}
}

// gpt2TinyMeta converts model/embedded's tokenizer.json to GGUF keys:
// added special tokens are control tokens, the rest normal.
func gpt2TinyMeta(t *testing.T) []weights.GGUFKV {
	data, err := os.ReadFile("../embedded/chatumm-tiny/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	n := len(f.Model.Vocab)
	for _, a := range f.AddedTokens {
		n = max(n, a.ID+1)
	}
	tokens, types := make([]string, n), make([]int32, n)
	for tok, id := range f.Model.Vocab {
		tokens[id], types[id] = tok, ggufTokenNormal
	}
	for _, a := range f.AddedTokens {
		tokens[a.ID], types[a.ID] = a.Content, ggufTokenControl
	}
	var merges []string
	for _, raw := range f.Model.Merges {
		l, r, err := parseMerge(raw)
		if err != nil {
			t.Fatal(err)
		}
		merges = append(merges, l+" "+r)
	}
	return []weights.GGUFKV{
		{Key: "tokenizer.ggml.model", Value: "gpt2"},
		{Key: "tokenizer.ggml.pre", Value: "gpt-2"},
		{Key: "tokenizer.ggml.tokens", Value: tokens},
		{Key: "tokenizer.ggml.token_type", Value: types},
		{Key: "tokenizer.ggml.merges", Value: merges},
		{Key: "tokenizer.ggml.bos_token_id", Value: uint32(0)},
		{Key: "tokenizer.ggml.eos_token_id", Value: uint32(2)},
		{Key: "tokenizer.ggml.padding_token_id", Value: uint32(1)},
		{Key: "tokenizer.ggml.add_bos_token", Value: false},
	}
}

// spmRichMeta is a SentencePiece vocabulary: <unk> <s> </s>, the 256 byte
// tokens, ▁ and printable ASCII, a few non-ASCII characters, then pieces
// whose scores make the merge order matter (equal scores included).
func spmRichMeta(*testing.T) []weights.GGUFKV {
	tokens := []string{"<unk>", "<s>", "</s>"}
	types := []int32{ggufTokenUnknown, ggufTokenControl, ggufTokenControl}
	scores := []float32{0, 0, 0}
	add := func(tok string, typ int32, score float32) {
		tokens, types, scores = append(tokens, tok), append(types, typ), append(scores, score)
	}
	for b := 0; b < 256; b++ {
		add(fmt.Sprintf("<0x%02X>", b), ggufTokenByte, 0)
	}
	add("▁", ggufTokenNormal, -2)
	for c := '!'; c <= '~'; c++ {
		add(string(c), ggufTokenNormal, -3-float32(c)*1e-3)
	}
	for _, c := range "éüñ日本語你好" {
		add(string(c), ggufTokenNormal, -3.5)
	}
	pieces := []struct {
		tok   string
		score float32
	}{
		{"▁t", -1}, {"th", -1}, {"he", -1.2}, {"▁th", -1.1}, {"▁the", -0.5}, {"in", -1}, {"ng", -1.3},
		{"ing", -0.8}, {"▁in", -0.9}, {"er", -1}, {"▁w", -1.4}, {"or", -1.4}, {"▁wor", -0.7},
		{"ld", -1.6}, {"▁world", -0.2}, {"an", -1}, {"▁a", -1}, {"▁an", -0.9}, {"nd", -1.5},
		{"▁and", -0.4}, {"ll", -1.2}, {"el", -1.2}, {"▁H", -1.1}, {"▁He", -0.95}, {"▁Hell", -0.6},
		{"▁Hello", -0.1}, {"lo", -1.25}, {"12", -1}, {"23", -1}, {"123", -0.3}, {"▁1", -1.2},
		{"▁▁", -1.5}, {"▁▁▁▁", -1.4}, {"日本", -0.5}, {"你好", -0.5}, {"é▁", -2.5},
	}
	for _, p := range pieces {
		add(p.tok, ggufTokenNormal, p.score)
	}
	add("<|user|>", ggufTokenUserDefined, 0)
	add("<|eot|>", ggufTokenControl, 0)
	return []weights.GGUFKV{
		{Key: "tokenizer.ggml.model", Value: "llama"},
		{Key: "tokenizer.ggml.tokens", Value: tokens},
		{Key: "tokenizer.ggml.scores", Value: scores},
		{Key: "tokenizer.ggml.token_type", Value: types},
		{Key: "tokenizer.ggml.unknown_token_id", Value: uint32(0)},
		{Key: "tokenizer.ggml.bos_token_id", Value: uint32(1)},
		{Key: "tokenizer.ggml.eos_token_id", Value: uint32(2)},
		{Key: "tokenizer.ggml.add_bos_token", Value: true},
		{Key: "tokenizer.ggml.add_eos_token", Value: false},
	}
}

// writeTinyLlamaGGUF writes a one-layer llama of zero f32 weights around
// the tokenizer keys: llama.cpp loads a model only with its tensors.
func writeTinyLlamaGGUF(t *testing.T, path string, tok []weights.GGUFKV) {
	t.Helper()
	var vocab int
	for _, kv := range tok {
		if kv.Key == "tokenizer.ggml.tokens" {
			vocab = len(kv.Value.([]string))
		}
	}
	const dim, ffn = 8, 16
	meta := append([]weights.GGUFKV{
		{Key: "general.architecture", Value: "llama"},
		{Key: "general.name", Value: filepath.Base(path)},
		{Key: "llama.context_length", Value: uint32(64)},
		{Key: "llama.embedding_length", Value: uint32(dim)},
		{Key: "llama.block_count", Value: uint32(1)},
		{Key: "llama.feed_forward_length", Value: uint32(ffn)},
		{Key: "llama.attention.head_count", Value: uint32(2)},
		{Key: "llama.attention.head_count_kv", Value: uint32(2)},
		{Key: "llama.rope.dimension_count", Value: uint32(dim / 2)},
		{Key: "llama.attention.layer_norm_rms_epsilon", Value: float32(1e-5)},
		{Key: "llama.vocab_size", Value: uint32(vocab)},
	}, tok...)
	zero := func([]byte) error { return nil }
	tensor := func(name string, shape ...int) weights.GGUFTensor {
		return weights.GGUFTensor{Name: name, DType: weights.F32, Shape: shape, Fill: zero}
	}
	tensors := []weights.GGUFTensor{
		tensor("token_embd.weight", vocab, dim),
		tensor("blk.0.attn_norm.weight", dim),
		tensor("blk.0.attn_q.weight", dim, dim),
		tensor("blk.0.attn_k.weight", dim, dim),
		tensor("blk.0.attn_v.weight", dim, dim),
		tensor("blk.0.attn_output.weight", dim, dim),
		tensor("blk.0.ffn_norm.weight", dim),
		tensor("blk.0.ffn_gate.weight", ffn, dim),
		tensor("blk.0.ffn_up.weight", ffn, dim),
		tensor("blk.0.ffn_down.weight", dim, ffn),
		tensor("output_norm.weight", dim),
		tensor("output.weight", vocab, dim),
	}
	if err := weights.WriteGGUF(path, meta, tensors); err != nil {
		t.Fatal(err)
	}
}

// openGGUFTokenizer reads the tokenizer of a GGUF file as loadGGUF does.
func openGGUFTokenizer(t *testing.T, path string) (*Tokenizer, *GGUFSpecial) {
	t.Helper()
	set, err := weights.Open(path, weights.Read)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	tok, sp, err := FromGGUF(set.Metadata(), path)
	if err != nil {
		t.Fatal(err)
	}
	if tok == nil {
		t.Fatalf("%s: no tokenizer", path)
	}
	return tok, sp
}

func TestWriteGGUFFixtures(t *testing.T) {
	if *ggufOut == "" {
		t.Skip("-gguf-out not given")
	}
	for name, meta := range ggufFixtures {
		writeTinyLlamaGGUF(t, filepath.Join(*ggufOut, name), meta(t))
	}
}

// llamaCppFixture is what tools/peers/gguf_tokenize.mjs writes.
type llamaCppFixture struct {
	LlamaCpp struct{ Release string } `json:"llama_cpp"`
	Models   []struct {
		File  string `json:"file"`
		Cases []struct {
			Text string `json:"text"`
			IDs  []int  `json:"ids"`
		} `json:"cases"`
	} `json:"models"`
}

// TestGGUFAgainstLlamaCpp tokenizes the fixture strings with the GGUF
// tokenizers and compares with llama.cpp's ids (special tokens parsed, no
// BOS added: Encode(text, false)), then checks the text decodes back.
func TestGGUFAgainstLlamaCpp(t *testing.T) {
	data, err := os.ReadFile("../../testdata/tokenizer/gguf-llamacpp.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx llamaCppFixture
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Models) != len(ggufFixtures)+1 {
		t.Fatalf("fixture has %d models, want %d", len(fx.Models), len(ggufFixtures)+1)
	}
	dir := t.TempDir()
	for _, m := range fx.Models {
		path := filepath.Join("../../testdata/weights", m.File)
		if meta, ok := ggufFixtures[m.File]; ok {
			path = filepath.Join(dir, m.File)
			writeTinyLlamaGGUF(t, path, meta(t))
		}
		tok, _ := openGGUFTokenizer(t, path)
		if len(m.Cases) < 20 {
			t.Fatalf("%s: only %d cases", m.File, len(m.Cases))
		}
		for _, c := range m.Cases {
			got := tok.Encode(c.Text, false)
			if fmt.Sprint(got) != fmt.Sprint(c.IDs) {
				t.Errorf("%s: Encode(%q) = %v, llama.cpp %v", m.File, c.Text, got, c.IDs)
			}
		}
	}
}
