package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/weights"
)

// copyFixture copies a reference checkpoint, letting edit change the
// config and the tensor list.
func copyFixture(t *testing.T, name string, editCfg func(map[string]any), editTensors func([]weights.WriteTensor) []weights.WriteTensor) string {
	t.Helper()
	src := filepath.Join("../testdata/ref", name)
	dir := t.TempDir()
	var cfg map[string]any
	b, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &cfg)
	if editCfg != nil {
		editCfg(cfg)
	}
	b, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
	tok, _ := os.ReadFile(filepath.Join(src, "tokenizer.json"))
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok, 0o644)
	s, err := weights.Open(src, weights.Mmap)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ts []weights.WriteTensor
	for _, n := range s.Names() {
		x, _ := s.Tensor(n)
		ts = append(ts, weights.WriteTensor{Name: n, DType: x.DType, Shape: x.Shape, Data: append([]byte(nil), x.Bytes()...)})
	}
	if editTensors != nil {
		ts = editTensors(ts)
	}
	if err := weights.WriteSafetensors(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func without(name string) func([]weights.WriteTensor) []weights.WriteTensor {
	return func(ts []weights.WriteTensor) []weights.WriteTensor {
		var out []weights.WriteTensor
		for _, x := range ts {
			if x.Name != name {
				out = append(out, x)
			}
		}
		return out
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name    string
		fixture string
		cfg     func(map[string]any)
		tensors func([]weights.WriteTensor) []weights.WriteTensor
		want    string
	}{
		{"missing tensor", "chameleon-bf16", nil, without("model.layers.1.mlp.up_proj.weight"), `missing tensor "model.layers.1.mlp.up_proj.weight"`},
		{"missing MoT expert", "chameleon-mot", nil, without("model.layers.0.self_attn.q_proj_moe_gen.weight"), `q_proj_moe_gen.weight`},
		{"missing final norm of the image expert", "chameleon-mot", nil, without("model.norm_moe_gen.weight"), `model.norm_moe_gen.weight`},
		{"config disagrees", "llama", func(c map[string]any) { c["intermediate_size"] = 128 }, nil, "want [128, 64]"},
		{"heads disagree", "chameleon-bf16", func(c map[string]any) { c["num_attention_heads"] = 8; c["head_dim"] = 8 }, nil, "shape"},
		{"qk-norm groups", "chameleon-bf16", nil, func(ts []weights.WriteTensor) []weights.WriteTensor {
			for i := range ts {
				if ts[i].Name == "model.layers.0.self_attn.q_norm.weight" {
					ts[i].Shape = []int{3, 16}
					ts[i].Data = ts[i].Data[:3*16*2]
				}
			}
			return ts
		}, "dividing 4 heads"},
		{"vocab too small for the tokenizer", "llama", func(c map[string]any) { c["vocab_size"] = 100 }, nil, "vocab_size"},
		{"unknown model type", "llama", func(c map[string]any) { c["model_type"] = "mamba" }, nil, `unknown model_type "mamba"`},
	}
	for _, c := range cases {
		dir := copyFixture(t, c.fixture, c.cfg, c.tensors)
		_, err := Load(dir, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error spans lines: %q", c.name, err)
		}
	}
	if _, err := Load("/nonexistent/model", Options{}); err == nil || !strings.Contains(err.Error(), "/nonexistent/model") {
		t.Errorf("missing path: %v", err)
	}
	if _, err := Load(t.TempDir(), Options{}); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("empty dir: %v", err)
	}
}

func TestExtraTensorsAreListed(t *testing.T) {
	dir := copyFixture(t, "llama", nil, func(ts []weights.WriteTensor) []weights.WriteTensor {
		return append(ts, weights.WriteTensor{Name: "model.rotary_emb.inv_freq", DType: weights.F32, Shape: []int{2}, Data: make([]byte, 8)})
	})
	m, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.T.Unused) != 1 || m.T.Unused[0] != "model.rotary_emb.inv_freq" {
		t.Fatalf("unused = %v", m.T.Unused)
	}
}

func TestPrefillErrors(t *testing.T) {
	m, err := Load("../testdata/ref/llama", Options{Context: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	st := m.NewState()
	for _, c := range []struct {
		ids  []int
		want string
	}{
		{nil, "empty"},
		{[]int{1, 99999}, "out of range"},
		{[]int{-1}, "out of range"},
		{make([]int, 9), "context"},
	} {
		if err := m.T.Prefill(st, c.ids, nil, false); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.ids, err, c.want)
		}
		if st.Len != 0 {
			t.Fatal("a failed prefill advanced the state")
		}
	}
}
