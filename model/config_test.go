package model

import (
	"strings"
	"testing"
)

func TestParseConfigErrors(t *testing.T) {
	base := `"vocab_size": 100, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4`
	cases := []struct{ json, want string }{
		{`{` + base + `}`, "model_type missing"},
		{`{"model_type": "gpt2", ` + base + `}`, `unknown model_type "gpt2"`},
		{`{"model_type": "llama"}`, "vocab_size missing"},
		{`{"model_type": "llama", ` + base + `, "num_key_value_heads": 3}`, "not a multiple"},
		{`{"model_type": "llama", ` + strings.Replace(base, `"hidden_size": 64`, `"hidden_size": 66`, 1) + `}`, "not divisible"},
		{`{"model_type": "llama", ` + base + `, "rope_scaling": {"type": "linear"}}`, "rope_scaling"},
		{`{"model_type": "llama", ` + base + `, "hidden_act": "gelu"}`, "hidden_act"},
		{`{"model_type": "llama", ` + base + `, "mixture_of_transformers": true}`, "need model_type chameleon"},
		{`{"model_type": "chameleon", ` + base + `, "vq_config": {"ch_mult": [1, 2], "ch": 30}}`, "norm_num_groups"},
		{`{"model_type": "llama", ` + strings.Replace(base, "100", "-5", 1) + `}`, "out of range"},
		{`not json`, "invalid JSON"},
		{`{"model_type": "chameleon", ` + base + `, "chatumm_user_turn": "text_first"}`, "chatumm_user_turn"},
	}
	for _, c := range cases {
		_, err := ParseConfig([]byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.json, err, c.want)
		}
	}
}

func TestParseConfigSpellings(t *testing.T) {
	hf := `{"model_type": "chameleon", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
		"num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "rope_parameters": {"rope_theta": 500000},
		"vq_config": {"embed_dim": 16, "num_embeddings": 64, "latent_channels": 24, "resolution": 32,
		"base_channels": 32, "channel_multiplier": [1, 2, 2], "num_res_blocks": 1, "attn_resolutions": [8], "norm_num_groups": 8}}`
	taming := `{"model_type": "chameleon", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
		"num_hidden_layers": 2, "num_attention_heads": 4, "rope_theta": 500000,
		"vq_config": {"embed_dim": 16, "n_embed": 64, "z_channels": 24, "resolution": 32, "double_z": false,
		"ch": 32, "ch_mult": [1, 2, 2], "num_res_blocks": 1, "attn_resolutions": [8], "norm_num_groups": 8, "out_ch": 3}}`
	a, err := ParseConfig([]byte(hf))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseConfig([]byte(taming))
	if err != nil {
		t.Fatal(err)
	}
	if a.TextFirst || b.TextFirst {
		t.Fatal("a config without chatumm_user_turn must put images first")
	}
	if a.RopeTheta != 500000 || b.RopeTheta != 500000 || a.KVHeads != 2 || b.KVHeads != 4 || !a.QKNorm {
		t.Fatalf("transformer fields: %+v / %+v", a, b)
	}
	va, vb := *a.VQ, *b.VQ
	if va.NumEmbeddings != 64 || vb.NumEmbeddings != 64 || va.LatentChannels != 24 || vb.LatentChannels != 24 ||
		va.BaseChannels != 32 || vb.BaseChannels != 32 || va.GridSize() != 8 || vb.GridSize() != 8 || va.NormGroups != 8 {
		t.Fatalf("vq fields: %+v / %+v", va, vb)
	}
}
