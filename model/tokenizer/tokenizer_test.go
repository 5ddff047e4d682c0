package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const testdata = "../../testdata/tokenizer"

// expectedCase is one entry written by tools/tokenizer/expected_ids.mjs
// (@huggingface/transformers).
type expectedCase struct {
	Text           string `json:"text"`
	IDs            []int  `json:"ids"`
	IDsWithSpecial []int  `json:"ids_with_special"`
	Decoded        string `json:"decoded"`
}

type expectedFile struct {
	Lines []expectedCase `json:"lines"`
	Whole expectedCase   `json:"whole"`
}

func loadCase(t testing.TB, name string) (*Tokenizer, expectedFile) {
	t.Helper()
	path := filepath.Join(testdata, name, "tokenizer.json")
	if _, err := os.Stat(path); err != nil {
		path += ".gz"
	}
	tok, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(testdata, name, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp expectedFile
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	return tok, exp
}

// checkCorpus compares Encode and Decode with the reference for every corpus
// line, the whole corpus file, and checks that the corpus itself is what the
// reference saw.
func checkCorpus(t *testing.T, name string) {
	tok, exp := loadCase(t, name)
	corpus, err := os.ReadFile(filepath.Join(testdata, "corpus.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if exp.Whole.Text != string(corpus) || len(exp.Lines) != strings.Count(string(corpus), "\n") {
		t.Fatalf("%s/expected.json is stale: rerun tools/tokenizer/expected_ids.mjs", name)
	}
	for i, c := range append(exp.Lines, exp.Whole) {
		if got := tok.Encode(c.Text, false); !slices.Equal(got, c.IDs) {
			t.Errorf("case %d %q:\n got %v\nwant %v", i, c.Text, got, c.IDs)
		}
		if got := tok.Encode(c.Text, true); !slices.Equal(got, c.IDsWithSpecial) {
			t.Errorf("case %d %q with special:\n got %v\nwant %v", i, c.Text, got, c.IDsWithSpecial)
		}
		decoded := tok.Decode(c.IDs, false)
		if decoded != c.Decoded {
			t.Errorf("case %d: Decode = %q, want %q", i, decoded, c.Decoded)
		}
		// Decoding gives back the text, up to NFC normalization.
		if want := c.Text; decoded != want && (name != "qwen3" || decoded != nfc(want)) {
			t.Errorf("case %d: Decode(Encode(x)) = %q, want %q", i, decoded, want)
		}
		// Streaming token by token gives the same text.
		stream := tok.NewStreamDecoder()
		var streamed strings.Builder
		for _, id := range c.IDs {
			streamed.WriteString(stream.Add(id))
		}
		streamed.WriteString(stream.Flush())
		if streamed.String() != decoded {
			t.Errorf("case %d: streamed %q, want %q", i, streamed.String(), decoded)
		}
	}
}

func TestQwen3Corpus(t *testing.T)         { checkCorpus(t, "qwen3") }
func TestChameleonTinyCorpus(t *testing.T) { checkCorpus(t, "chameleon-tiny") }
