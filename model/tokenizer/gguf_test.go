package tokenizer

import (
	"os"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/weights"
)

// metaMap turns GGUF key/values into the map weights.Set.Metadata returns.
func metaMap(kvs []weights.GGUFKV) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// The gpt2 GGUF built from model/embedded's tokenizer.json encodes and
// decodes like that tokenizer.json itself (its pre-tokenizer is GPT-2's
// ByteLevel split, which is llama.cpp's "gpt-2"). That tokenizer.json
// lowercases first (a Lowercase normalizer), which GGUF tokenizer metadata
// cannot say, so both are given lower-case text.
func TestGGUFGPT2MatchesTokenizerJSON(t *testing.T) {
	fromJSON, err := Load("../embedded/chatumm-tiny/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	fromGGUF, sp, err := FromGGUF(metaMap(gpt2TinyMeta(t)), "gpt2-tiny.gguf")
	if err != nil {
		t.Fatal(err)
	}
	if sp.BOS != 0 || sp.EOS != 2 || sp.Pad != 1 || sp.AddBOS || sp.AddEOS {
		t.Errorf("special tokens %+v, want BOS 0 EOS 2 pad 1, nothing added", *sp)
	}
	corpus, err := os.ReadFile("../../testdata/tokenizer/corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := append(strings.Split(string(corpus), "\n"), string(corpus), "<s>IMGIMGAZ</s>")
	for _, line := range lines {
		line = strings.ToLower(line)
		want, got := fromJSON.Encode(line, false), fromGGUF.Encode(line, false)
		if !slicesEqual(got, want) {
			t.Errorf("Encode(%q) = %v, tokenizer.json %v", line, got, want)
		}
		if d, w := fromGGUF.Decode(got, false), fromJSON.Decode(want, false); d != w {
			t.Errorf("Decode(Encode(%q)) = %q, tokenizer.json %q", line, d, w)
		}
	}
}

// SentencePiece: BOS is added (add_bos_token), control tokens are special
// (skipped on request), text decodes back without the space prefix.
func TestGGUFSentencePieceRoundTrip(t *testing.T) {
	tok, sp, err := FromGGUF(metaMap(spmRichMeta(t)), "spm-rich.gguf")
	if err != nil {
		t.Fatal(err)
	}
	if sp.BOS != 1 || sp.EOS != 2 || sp.Unknown != 0 || !sp.AddBOS {
		t.Errorf("special tokens %+v", *sp)
	}
	eot, _ := tok.TokenID("<|eot|>")
	if sp.EndOfTurn != -1 || !tok.IsSpecial(eot) {
		t.Errorf("end of turn %d, <|eot|> special %v", sp.EndOfTurn, tok.IsSpecial(eot))
	}
	for _, text := range []string{"Hello world", "  two  spaces ", "日本語 und ß 😀", "a\nb\tc", "123 and 1234"} {
		ids := tok.Encode(text, true)
		if ids[0] != sp.BOS {
			t.Errorf("Encode(%q, true) = %v does not start with BOS", text, ids)
		}
		if got := tok.Decode(ids, true); got != text {
			t.Errorf("Decode(Encode(%q)) = %q", text, got)
		}
		// Streaming gives the same text, byte tokens of one character held back.
		d, streamed := tok.NewStreamDecoder(), ""
		for _, id := range ids[1:] {
			streamed += d.Add(id)
		}
		if streamed += d.Flush(); streamed != text {
			t.Errorf("streamed %q, want %q", streamed, text)
		}
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Bad metadata is a one-line error naming the file and the key.
func TestGGUFTokenizerErrors(t *testing.T) {
	set := func(kvs []weights.GGUFKV, key string, v any) []weights.GGUFKV {
		out := []weights.GGUFKV{}
		for _, kv := range kvs {
			if kv.Key != key {
				out = append(out, kv)
			}
		}
		if v != nil {
			out = append(out, weights.GGUFKV{Key: key, Value: v})
		}
		return out
	}
	gpt2, spm := gpt2TinyMeta(t), spmRichMeta(t)
	tokens := spm[1].Value.([]string)
	dup := append([]string(nil), tokens...)
	dup[len(dup)-1] = dup[3]
	for _, c := range []struct {
		name string
		meta []weights.GGUFKV
		want []string
	}{
		{"unknown model", set(spm, "tokenizer.ggml.model", "bert"), []string{"tokenizer.ggml.model", `"bert"`}},
		{"model not a string", set(spm, "tokenizer.ggml.model", uint32(1)), []string{"tokenizer.ggml.model", "uint32"}},
		{"no tokens", set(spm, "tokenizer.ggml.tokens", nil), []string{"tokenizer.ggml.tokens", "missing"}},
		{"scores short", set(spm, "tokenizer.ggml.scores", make([]float32, 5)), []string{"tokenizer.ggml.scores", "different length"}},
		{"scores of strings", set(spm, "tokenizer.ggml.scores", tokens), []string{"tokenizer.ggml.scores", "[]string"}},
		{"types short", set(spm, "tokenizer.ggml.token_type", []int32{1}), []string{"tokenizer.ggml.token_type", "1 entries"}},
		{"bad type", set(spm, "tokenizer.ggml.token_type", make([]int32, len(tokens))), nil},
		{"duplicate token", set(spm, "tokenizer.ggml.tokens", dup), []string{"tokenizer.ggml.tokens", "has ids"}},
		{"bos out of range", set(spm, "tokenizer.ggml.bos_token_id", uint32(len(tokens))), []string{"tokenizer.ggml.bos_token_id", "out of range"}},
		{"eos negative", set(spm, "tokenizer.ggml.eos_token_id", int32(-1)), []string{"tokenizer.ggml.eos_token_id", "not a token id"}},
		{"add_bos not bool", set(spm, "tokenizer.ggml.add_bos_token", "yes"), []string{"tokenizer.ggml.add_bos_token", "bool"}},
		{"unknown pre", set(gpt2, "tokenizer.ggml.pre", "klingon"), []string{"tokenizer.ggml.pre", `"klingon"`, "llama-bpe"}},
		{"no merges", set(gpt2, "tokenizer.ggml.merges", nil), []string{"tokenizer.ggml.merges", "missing"}},
		{"merge of unknown token", set(gpt2, "tokenizer.ggml.merges", []string{"Ġ zzzzqq"}), []string{"tokenizer.ggml.merges", "merge 0", "missing from tokenizer.ggml.tokens"}},
		{"merge without space", set(gpt2, "tokenizer.ggml.merges", []string{"ab"}), []string{"tokenizer.ggml.merges", "not two"}},
		{"add_bos without bos", set(set(gpt2, "tokenizer.ggml.bos_token_id", nil), "tokenizer.ggml.add_bos_token", true), []string{"tokenizer.ggml.add_bos_token", "bos_token_id is not set"}},
	} {
		tok, _, err := FromGGUF(metaMap(c.meta), "bad.gguf")
		if c.name == "bad type" { // all zeros (undefined) is legal: llama.cpp reads them as undefined
			if err != nil || tok == nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "bad.gguf: ") || strings.Contains(msg, "\n") {
			t.Errorf("%s: %q is not one line naming the file", c.name, msg)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q does not say %q", c.name, msg, w)
			}
		}
	}
	bad := set(spm, "tokenizer.ggml.token_type", append(make([]int32, len(tokens)-1), 9))
	if _, _, err := FromGGUF(metaMap(bad), "bad.gguf"); err == nil || !strings.Contains(err.Error(), "is 9, not a token type") {
		t.Errorf("token type 9: %v", err)
	}
	// No tokenizer at all: no error, no tokenizer (the model takes ids).
	if tok, sp, err := FromGGUF(map[string]any{"general.architecture": "llama"}, "ids.gguf"); tok != nil || sp != nil || err != nil {
		t.Errorf("no tokenizer keys: %v %v %v", tok, sp, err)
	}
}
