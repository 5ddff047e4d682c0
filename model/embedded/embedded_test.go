package embedded

import (
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model"
)

func TestEmbeddedLoads(t *testing.T) {
	m, err := Load(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.T == nil || !m.CanDecodeImages() || m.VQ == nil || !m.VQ.HasEncoder() {
		t.Fatal("the embedded model needs a transformer and a VQ-GAN with encoder and decoder")
	}
	// The weights alias the executable's data: no copy was made.
	w, _ := m.Weights.Tensor("model.embed_tokens.weight")
	b := w.Bytes()
	blob := Files()["model.safetensors"]
	if indexIn(blob, b) < 0 {
		t.Fatal("embedded weights were copied")
	}
}

// indexIn is the offset of sub inside blob (both alias the same memory).
func indexIn(blob, sub []byte) int {
	for i := range blob {
		if &blob[i] == &sub[0] {
			return i
		}
	}
	return -1
}

func TestDamagedBlobIsAClearError(t *testing.T) {
	cases := map[string]func(map[string][]byte){
		"flipped weight byte": func(fs map[string][]byte) {
			b := append([]byte(nil), fs["model.safetensors"]...)
			b[len(b)/2] ^= 1
			fs["model.safetensors"] = b
		},
		"truncated weights": func(fs map[string][]byte) {
			fs["model.safetensors"] = fs["model.safetensors"][:1000]
		},
		"missing tokenizer": func(fs map[string][]byte) { delete(fs, "tokenizer.json") },
		"garbled checksums": func(fs map[string][]byte) { fs["checksums.txt"] = []byte("zz model.safetensors\n") },
	}
	for name, damage := range cases {
		fs := Files()
		damage(fs)
		_, err := LoadFiles(fs, model.Options{})
		if err == nil || !strings.Contains(err.Error(), Name) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want one line naming %s", name, err, Name)
		}
	}
}
