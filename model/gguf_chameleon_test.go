package model

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/weights"
)

// chameleonToGGUF writes a Chameleon checkpoint directory as llama.cpp's
// convert_hf_to_gguf.py does (ChameleonModel): arch "chameleon", q/k rows
// permuted for pair-wise RoPE and the q/k norms' head_dim likewise, the
// gpt2 vocabulary with pre-tokenizer "chameleon", no VQ-GAN.
func chameleonToGGUF(t *testing.T, dir, out string) {
	t.Helper()
	cfg, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	set, err := weights.Open(dir, weights.Read)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	data, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tj struct {
		Added []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
		} `json:"added_tokens"`
		Model struct {
			Vocab  map[string]int    `json:"vocab"`
			Merges []json.RawMessage `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(data, &tj); err != nil {
		t.Fatal(err)
	}
	tokens, types := make([]string, cfg.VocabSize), make([]int32, cfg.VocabSize)
	for tok, id := range tj.Model.Vocab {
		tokens[id], types[id] = tok, 1
	}
	for _, a := range tj.Added {
		tokens[a.ID], types[a.ID] = a.Content, 3
	}
	for id := range tokens {
		if tokens[id] == "" {
			tokens[id], types[id] = fmt.Sprintf("<unused%d>", id), 5
		}
	}
	var merges []string
	for _, raw := range tj.Model.Merges {
		var s string
		var pair []string
		if json.Unmarshal(raw, &pair) == nil && len(pair) == 2 {
			s = pair[0] + " " + pair[1]
		} else if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		merges = append(merges, s)
	}
	c := cfg.Config
	meta := []weights.GGUFKV{
		{Key: "general.architecture", Value: "chameleon"},
		{Key: "chameleon.context_length", Value: uint32(c.MaxPos)},
		{Key: "chameleon.embedding_length", Value: uint32(c.Dim)},
		{Key: "chameleon.block_count", Value: uint32(c.Layers)},
		{Key: "chameleon.feed_forward_length", Value: uint32(c.FFN)},
		{Key: "chameleon.attention.head_count", Value: uint32(c.Heads)},
		{Key: "chameleon.attention.head_count_kv", Value: uint32(c.KVHeads)},
		{Key: "chameleon.rope.freq_base", Value: float32(c.RopeTheta)},
		{Key: "chameleon.attention.layer_norm_rms_epsilon", Value: c.RMSEps},
		{Key: "chameleon.swin_norm", Value: c.SwinNorm},
		{Key: "tokenizer.ggml.model", Value: "gpt2"},
		{Key: "tokenizer.ggml.pre", Value: "chameleon"},
		{Key: "tokenizer.ggml.tokens", Value: tokens},
		{Key: "tokenizer.ggml.token_type", Value: types},
		{Key: "tokenizer.ggml.merges", Value: merges},
		{Key: "tokenizer.ggml.bos_token_id", Value: uint32(0)},
		{Key: "tokenizer.ggml.eos_token_id", Value: uint32(2)},
		{Key: "tokenizer.ggml.add_bos_token", Value: true},
	}
	names := chameleonGGUFNames(c.Layers, false)
	var tensors []weights.GGUFTensor
	for _, name := range set.Names() {
		g, ok := names[name]
		if !ok {
			t.Fatalf("no GGUF name for %s", name)
		}
		tt, _ := set.Tensor(name)
		if tt.DType != weights.F32 {
			t.Fatalf("%s: %v, the converter test wants f32", name, tt.DType)
		}
		src := tt.Bytes()
		hd := c.HeadDim
		// permute maps each head's head_dim index 2i+j to j*hd/2+i, for
		// rows of rowBytes bytes (q/k projections) or single floats (norms).
		permute := func(rowBytes int) func([]byte) error {
			return func(dst []byte) error {
				heads := len(src) / (hd * rowBytes)
				for h := 0; h < heads; h++ {
					for i := 0; i < hd/2; i++ {
						for j := 0; j < 2; j++ {
							to, from := (h*hd+2*i+j)*rowBytes, (h*hd+j*hd/2+i)*rowBytes
							copy(dst[to:to+rowBytes], src[from:from+rowBytes])
						}
					}
				}
				return nil
			}
		}
		fill := func(dst []byte) error { copy(dst, src); return nil }
		switch {
		case strings.HasSuffix(name, "q_proj.weight"), strings.HasSuffix(name, "k_proj.weight"):
			fill = permute(4 * tt.Shape[1])
		case strings.Contains(name, "_norm.weight") && strings.Contains(name, "self_attn"),
			strings.Contains(name, "_norm.bias"):
			fill = permute(4)
		}
		tensors = append(tensors, weights.GGUFTensor{Name: g, DType: tt.DType, Shape: tt.Shape, Fill: fill})
	}
	if err := weights.WriteGGUF(out, meta, tensors); err != nil {
		t.Fatal(err)
	}
}

// A chameleon GGUF (swin_norm, qk-norm) computes the logits of the
// checkpoint it was converted from, tokenizes like its tokenizer.json, and
// with --vq has the Anole VQ-GAN to draw with.
func TestChameleonGGUF(t *testing.T) {
	dir := "../testdata/ref/chameleon-swin"
	path := filepath.Join(t.TempDir(), "chameleon.gguf")
	chameleonToGGUF(t, dir, path)
	ref, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	m, err := Load(path, Options{VQPath: "../testdata/ref/vq-anole"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.Cfg.SwinNorm || !m.Cfg.QKNorm || !m.Cfg.RopeInterleaved || m.Cfg.Family.Name() != "chameleon" {
		t.Errorf("config %+v", m.Cfg.Config)
	}
	if fmt.Sprintf("%+v", m.Proto) != fmt.Sprintf("%+v", ref.Proto) {
		t.Errorf("protocol %+v, the checkpoint's %+v", m.Proto, ref.Proto)
	}
	if !m.CanDrawImages() || !m.CanDecodeImages() {
		t.Errorf("draw %v decode %v", m.CanDrawImages(), m.CanDecodeImages())
	}
	text := "A red cat sits on the mat, 12 times.  <sentinel:3>\tdone"
	ids := ref.Tok.Encode(text, false)
	if got := m.Tok.Encode(text, false); !equalInts(got, ids) {
		t.Errorf("Encode = %v, tokenizer.json %v", got, ids)
	}
	prompt := append([]int{ref.Proto.BOS}, ids...)
	prompt = append(prompt, ref.IDOfCode[5], ref.IDOfCode[63])
	V := ref.Cfg.VocabSize
	want, got := make([]float32, len(prompt)*V), make([]float32, len(prompt)*V)
	if err := ref.T.Prefill(ref.NewState(), prompt, want, true); err != nil {
		t.Fatal(err)
	}
	if err := m.T.Prefill(m.NewState(), prompt, got, true); err != nil {
		t.Fatal(err)
	}
	rel := logitError(got, want)
	t.Logf("logits of %d positions: max |diff| / rms = %.3g", len(prompt), rel)
	if rel > 1e-4 {
		t.Errorf("logits max |diff| / rms = %.3g, want ≤ 1e-4", rel)
	}
	codes := make([]int, m.ImageTokens())
	for i := range codes {
		codes[i] = i % 64
	}
	png, err := m.DecodeImagePNG(codes, m.ImageGrid(), m.ImageGrid())
	if err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Errorf("DecodeImagePNG: %d bytes, %v", len(png), err)
	}
}

func equalInts(a, b []int) bool {
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
