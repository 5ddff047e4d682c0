package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// randomCheckpoint writes a random-weight Chameleon checkpoint (f16) with
// the tiny test tokenizer, big enough that prefill cost dominates.
func randomCheckpoint(b testing.TB, dim, layers, ffn int) string {
	b.Helper()
	dir := b.TempDir()
	tok, err := os.ReadFile(filepath.Join(motDir, "tokenizer.json"))
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok, 0o644)
	const vocab, heads = 724, 8
	hd := dim / heads
	cfg := map[string]any{"model_type": "chameleon", "vocab_size": vocab, "hidden_size": dim, "intermediate_size": ffn,
		"num_hidden_layers": layers, "num_attention_heads": heads, "max_position_embeddings": 4096}
	data, _ := json.Marshal(cfg)
	os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
	rng := rand.New(rand.NewPCG(1, 2))
	f16 := func(n int, scale float32) []byte {
		out := make([]byte, 2*n)
		for i := 0; i < n; i++ {
			h := asm.ToF16((rng.Float32()*2 - 1) * scale)
			out[2*i], out[2*i+1] = byte(h), byte(h>>8)
		}
		return out
	}
	ones := func(n int) []byte { return f16(n, 0.05) } // near 0; norms add 1 below
	var ts []weights.WriteTensor
	add := func(name string, shape []int, d []byte) {
		ts = append(ts, weights.WriteTensor{Name: name, DType: weights.F16, Shape: shape, Data: d})
	}
	norm := func(name string, shape ...int) {
		n := 1
		for _, s := range shape {
			n *= s
		}
		d := ones(n)
		for i := 0; i < n; i++ {
			h := asm.ToF16(1 + asm.F16(uint16(d[2*i])|uint16(d[2*i+1])<<8))
			d[2*i], d[2*i+1] = byte(h), byte(h>>8)
		}
		add(name, shape, d)
	}
	add("model.embed_tokens.weight", []int{vocab, dim}, f16(vocab*dim, 1))
	add("lm_head.weight", []int{vocab, dim}, f16(vocab*dim, 0.05))
	norm("model.norm.weight", dim)
	for l := 0; l < layers; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		for _, n := range []string{"q", "k", "v", "o"} {
			add(p+"self_attn."+n+"_proj.weight", []int{dim, dim}, f16(dim*dim, 0.06))
		}
		for _, n := range []string{"q_norm", "k_norm"} {
			norm(p+"self_attn."+n+".weight", heads, hd)
			add(p+"self_attn."+n+".bias", []int{heads, hd}, f16(heads*hd, 0.1))
		}
		add(p+"mlp.gate_proj.weight", []int{ffn, dim}, f16(ffn*dim, 0.06))
		add(p+"mlp.up_proj.weight", []int{ffn, dim}, f16(ffn*dim, 0.06))
		add(p+"mlp.down_proj.weight", []int{dim, ffn}, f16(ffn*dim, 0.04))
		norm(p+"input_layernorm.weight", dim)
		norm(p+"post_attention_layernorm.weight", dim)
	}
	if err := weights.WriteSafetensors(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkTurnPrefill measures the eighth turn of a dialogue two ways:
// prefilling only its new tokens on top of the KV cache (what chatumm does)
// and re-prefilling the whole history; it reports the ratio.
func BenchmarkTurnPrefill(b *testing.B) {
	dir := randomCheckpoint(b, 512, 4, 1408)
	m, err := model.Load(dir, model.Options{Pool: runtime.NewPool(0)})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	c, _ := New(m)
	smp := sample.New(1)
	msg := "please describe the picture with the red circle in the top left corner and the blue square"
	for turn := 0; turn < 7; turn++ {
		if err := c.AddUser(msg, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Reply(context.Background(), smp, GenOptions{MaxTokens: 24}, nil); err != nil {
			b.Fatal(err)
		}
	}
	base, turns := len(c.Tokens()), len(c.Turns())
	ids, _ := c.UserTokens(msg, nil)
	st := m.NewState()
	var inc, full time.Duration
	for i := 0; i < b.N; i++ {
		// Incremental: the history is cached, prefill the new turn only.
		c.dropFrom(base)
		c.turns = c.turns[:turns]
		t0 := time.Now()
		if err := c.AddUser(msg, nil); err != nil {
			b.Fatal(err)
		}
		inc += time.Since(t0)
		// Full: a fresh cache and the whole history plus the new turn.
		all := append(append([]int(nil), c.Tokens()[:base]...), ids...)
		st.Truncate(0)
		t1 := time.Now()
		if err := m.T.Prefill(st, all, nil, false); err != nil {
			b.Fatal(err)
		}
		full += time.Since(t1)
	}
	b.ReportMetric(float64(inc.Microseconds())/float64(b.N)/1000, "ms/incremental")
	b.ReportMetric(float64(full.Microseconds())/float64(b.N)/1000, "ms/full")
	b.ReportMetric(float64(full)/float64(inc), "speedup")
	b.ReportMetric(float64(base+len(ids)), "history-tokens")
}
