//go:build unix

package vqgan

import (
	"strings"
	"testing"
)

// TestParseConfigWorkCaps: a resolution, or an attention level, whose
// per-image work would not fit is refused at load, with the numbers; the
// largest allowed ones load.
func TestParseConfigWorkCaps(t *testing.T) {
	for _, c := range []struct{ json, err string }{
		{`{"resolution": 16384}`, "resolution = 16384 is more than the 2048 supported (one 16384×16384 image would need 128 GiB per feature map)"},
		{`{"resolution": 2048, "base_channels": 256}`, "resolution 2048: a 2048×2048 image needs a 4 GiB feature map (256 channels); at most 2 GiB"},
		{`{"resolution": 512, "attn_resolutions": [512]}`, "resolution 512: a 512×512 image needs 256 GiB of attention scores at 512×512; at most 1 GiB"},
		{`{"resolution": 2048, "channel_multiplier": [1, 1]}`, "resolution 2048: a 2048×2048 image needs 4 TiB of attention scores at 1024×1024; at most 1 GiB"},
		{`{"resolution": 0}`, "resolution = 0 out of range [1, 2048]"},
	} {
		_, err := ParseConfig([]byte(c.json))
		if err == nil || err.Error() != c.err {
			t.Errorf("%s: %v, want %q", c.json, err, c.err)
		}
	}
	for _, ok := range []string{`{}`, `{"resolution": 2048}`, `{"resolution": 256, "attn_resolutions": [16]}`} {
		if _, err := ParseConfig([]byte(ok)); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
}

// TestDecodeGridWorkCap: a grid whose decoding would not fit is refused
// before anything is allocated.
func TestDecodeGridWorkCap(t *testing.T) {
	cfg, _ := ParseConfig([]byte(`{}`))
	m := &Model{Cfg: cfg, dec: &coder{}}
	codes := make([]int, 256*256)
	_, err := m.DecodeGrid(codes, 256, 256)
	if err == nil || !strings.Contains(err.Error(), "a 4096×4096 image needs a 8 GiB feature map") {
		t.Errorf("256×256 grid: %v", err)
	}
	if _, err := m.DecodeGrid(codes[:6], 3, 1); err == nil || !strings.Contains(err.Error(), "do not form a 3×1 grid") {
		t.Errorf("3×1 grid of 6 codes: %v", err)
	}
	if _, err := m.DecodeGrid(codes[:4], 1<<62, 4); err == nil || !strings.Contains(err.Error(), "do not form") {
		t.Errorf("overflowing grid: %v", err)
	}
	long := make([]int, 1<<20)
	if _, err := m.DecodeGrid(long, 1, 1<<20); err == nil || !strings.Contains(err.Error(), "a 16×16777216 image needs a 128 GiB feature map") {
		t.Errorf("1×1048576 grid: %v", err)
	}
}
