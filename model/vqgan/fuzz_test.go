package vqgan

import (
	"testing"
)

// FuzzParseConfig: any vq_config either parses to a config within every
// cap (so loading and running it is bounded) or is an error.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"resolution": 16384}`,
		`{"embed_dim": 16, "n_embed": 64, "z_channels": 24, "resolution": 32, "ch": 16, "ch_mult": [1, 2, 2], "num_res_blocks": 2, "attn_resolutions": [16], "norm_num_groups": 8}`,
		`{"resolution": 2048, "channel_multiplier": [1, 1, 2, 2, 4], "attn_resolutions": [128]}`,
		`{"base_channels": 16384, "norm_num_groups": 1, "channel_multiplier": [64]}`,
		`{"resolution": 1e3}`, `[]`, `null`, `{"double_z": 1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseConfig(data)
		if err != nil {
			return
		}
		if v.Resolution < 1 || v.Resolution > MaxResolution || len(v.ChannelMult) == 0 || v.GridSize() < 1 {
			t.Fatalf("accepted %+v", *v)
		}
		if err := v.checkWork(v.GridSize(), v.GridSize()); err != nil {
			t.Fatalf("accepted a config over the work caps: %v", err)
		}
	})
}
