package tokenizer

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode"
)

// qwen3Skeleton is Qwen3's tokenizer.json cut to its first 1,000 ids (the
// merges among them, the added tokens renumbered after them): every stage
// of the real file, small enough for a fuzzer to mutate quickly.
func qwen3Skeleton(tb testing.TB) []byte {
	tb.Helper()
	gz, err := os.ReadFile(filepath.Join(testdata, "qwen3", "tokenizer.json.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		tb.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		tb.Fatal(err)
	}
	const keep = 1000
	model := f["model"].(map[string]any)
	vocab := map[string]any{}
	for tok, id := range model["vocab"].(map[string]any) {
		if id.(float64) < keep {
			vocab[tok] = id
		}
	}
	var merges []any
	for _, m := range model["merges"].([]any) {
		pair := m.([]any)
		a, b := pair[0].(string), pair[1].(string)
		if vocab[a] != nil && vocab[b] != nil && vocab[a+b] != nil {
			merges = append(merges, m)
		}
	}
	model["vocab"], model["merges"] = vocab, merges
	for i, a := range f["added_tokens"].([]any) {
		a.(map[string]any)["id"] = keep + i
	}
	out, err := json.Marshal(f)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// FuzzTokenizerJSON parses arbitrary tokenizer.json bytes and, when they
// parse, encodes and decodes a short text with them: no panic, one-line
// errors, output and allocation bounded by the policy in limits.go.
func FuzzTokenizerJSON(f *testing.F) {
	chameleon, err := os.ReadFile(filepath.Join(testdata, "chameleon-tiny", "tokenizer.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(chameleon, "Hello world! <racm3:break> 12")
	f.Add(qwen3Skeleton(f), "héllo <|im_start|>user\n 123 ")
	f.Add(withStages(`{"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Lowercase"}, {"type": "Prepend", "prepend": "▁"},
	 {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}`, `{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first"}`,
		`{"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
	 {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}`), "A b\u0301 a")
	f.Add(withStages(replaceChain("normalizer", 2, "a", "aaaaaaa"), `{"type": "Digits", "individual_digits": true}`, "null"), "aa12")
	f.Add([]byte(`{"added_tokens": [{"id": 3, "content": "ab", "single_word": true}, {"id": 4, "content": "<r>", "rstrip": true, "lstrip": true}],
	 "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, " ": 2}, "merges": [["a", "b"]]}}`), "a ab <r> b")
	f.Fuzz(func(t *testing.T, data []byte, text string) {
		if len(text) > 256 {
			text = text[:256]
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		tok, err := Parse(data, "fuzz.json")
		if err != nil {
			if msg := err.Error(); strings.ContainsFunc(msg, unicode.IsControl) || !strings.HasPrefix(msg, "tokenizer fuzz.json: ") {
				t.Fatalf("error is not one line naming the file: %q", msg)
			}
			return
		}
		ids := tok.Encode(text, true)
		// Normalized text ≤ 64×L + 64 per piece, pieces ≤ L+1, ByteLevel
		// at most doubles it, one id per byte at most, plus the template.
		if bound := 2*(maxTextGrowth*len(text)+maxTextInsert*(len(text)+1)) + len(tok.template); len(ids) > bound {
			t.Fatalf("%d ids from %d bytes of text (bound %d)", len(ids), len(text), bound)
		}
		names := 0
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("Encode gave id %d outside the vocabulary of %d", id, tok.VocabSize())
			}
			names += len(tok.TokenName(id)) + 1
		}
		for _, skip := range []bool{false, true} {
			if out := tok.Decode(ids, skip); len(out) > maxTextGrowth*(3*names)+maxTextInsert {
				t.Fatalf("Decode gave %d bytes from %d ids of %d bytes", len(out), len(ids), names)
			}
		}
		sd := tok.NewStreamDecoder()
		for _, id := range append(ids, -1, tok.VocabSize(), 0) {
			sd.Add(id)
			tok.DecodeToken(id)
		}
		sd.Flush()
		tok.ImageCodes()
		runtime.ReadMemStats(&after)
		// Generous, but far below what a table sized by a claimed id or a
		// multiplied text would take.
		if used := after.TotalAlloc - before.TotalAlloc; used > uint64(400*len(data)+64<<20) {
			t.Fatalf("parsing %d bytes and encoding %d allocated %d bytes", len(data), len(text), used)
		}
	})
}
