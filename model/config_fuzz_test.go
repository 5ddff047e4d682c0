package model

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseConfig: config.json is user input. ParseConfig must never
// panic, and a config it accepts must be one the loader can size from
// without dividing by zero or allocating by a lying number: every size
// positive and within configLimits, the head layout consistent, the
// numerics finite, a VQ-GAN's grid at least one cell.
func FuzzParseConfig(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/ref/*/config.json")
	seeds = append(seeds, "embedded/chatumm-tiny/config.json")
	for _, p := range seeds {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4}`))
	f.Add([]byte(`{"model_type": "chameleon_vq", "vq_config": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			if c != nil {
				t.Fatalf("ParseConfig returned a config and an error (%v)", err)
			}
			return
		}
		if v := c.VQ; v != nil {
			if v.Resolution <= 0 || len(v.ChannelMult) == 0 || v.GridSize() <= 0 {
				t.Fatalf("accepted vq_config with resolution %d, %d channel multipliers: grid %d", v.Resolution, len(v.ChannelMult), v.GridSize())
			}
		}
		if c.ModelType == "chameleon_vq" {
			if c.VQ == nil {
				t.Fatalf("accepted chameleon_vq without vq_config")
			}
			return
		}
		sizes := map[string]int{"vocab_size": c.VocabSize, "hidden_size": c.Dim, "intermediate_size": c.FFN,
			"num_hidden_layers": c.Layers, "num_attention_heads": c.Heads, "num_key_value_heads": c.KVHeads,
			"head_dim": c.HeadDim, "max_position_embeddings": c.MaxPos}
		for name, v := range sizes {
			if v <= 0 || v > configLimits[name] {
				t.Fatalf("accepted %s = %d (limit %d)", name, v, configLimits[name])
			}
		}
		if c.Heads%c.KVHeads != 0 {
			t.Fatalf("accepted %d heads over %d kv heads", c.Heads, c.KVHeads)
		}
		if !(c.RMSEps > 0) || math.IsInf(float64(c.RMSEps), 0) || !(c.RopeTheta > 0) || math.IsInf(c.RopeTheta, 0) {
			t.Fatalf("accepted rms_norm_eps %v, rope_theta %v", c.RMSEps, c.RopeTheta)
		}
	})
}
