// Package siglip is Janus's understanding tower: a picture preprocessed
// exactly as Janus's image processor does it (resize the long side with
// Pillow's resampling, pad to a square with the background colour, rescale,
// normalise), the SigLIP vision transformer over its patches, and the
// aligner MLP that maps each patch feature to the language model's width.
// It knows nothing of tokens: the family code places the features.
package siglip

import (
	"encoding/json"
	"fmt"
	"math"
)

// Config is the vision_config of a Janus checkpoint (HF JanusVisionConfig)
// plus the preprocessing of its preprocessor_config.json.
type Config struct {
	ImageSize  int     // S: the square side the tower reads
	PatchSize  int     // P: patch (and conv stride) side
	Channels   int     // always 3 (RGB)
	Hidden     int     // Hv
	Layers     int     // encoder layers that run (all of them; the original's select_layer −1)
	Heads      int     // attention heads (Hidden/Heads per head)
	MLPHidden  int     // Fv = int(Hidden·mlp_ratio)
	Eps        float32 // LayerNorm epsilon
	QKVBias    bool    // attention_bias: q/k/v projections have biases
	LMDim      int     // projection_dim: the aligner's output width (the LM's hidden size)
	AlignDepth int     // Linear layers in the aligner: fc1, then depth−1 hidden layers
	NumTokens  int     // N = (S/P)²: features per picture

	// Preprocessing (preprocessor_config.json; Janus-Pro's values by default).
	Mean, Std  [3]float32
	Background [3]uint8 // int(mean·255), truncated, as the processor computes it
	MinSize    int      // smallest resized side
	Rescale    float64  // 1/255
	Resample   int      // Pillow filter code: 1 Lanczos, 2 bilinear, 3 bicubic, 4 box, 5 Hamming
}

// Grid is the side of the patch grid, S/P.
func (c *Config) Grid() int { return c.ImageSize / c.PatchSize }

// visionJSON holds the vision_config keys; pointers tell absent from zero.
type visionJSON struct {
	HiddenSize     *int     `json:"hidden_size"`
	Layers         *int     `json:"num_hidden_layers"`
	Heads          *int     `json:"num_attention_heads"`
	Channels       *int     `json:"num_channels"`
	PatchSize      *int     `json:"patch_size"`
	ImageSize      *int     `json:"image_size"`
	Eps            *float64 `json:"layer_norm_eps"`
	Act            *string  `json:"hidden_act"`
	MLPRatio       *float64 `json:"mlp_ratio"`
	AttentionBias  *bool    `json:"attention_bias"`
	ProjectionDim  *int     `json:"projection_dim"`
	Depth          *int     `json:"depth"`
	NumImageTokens *int     `json:"num_image_tokens"`
	UseQKNorm      *bool    `json:"use_qk_norm"`
	SelectLayer    *int     `json:"select_layer"`
}

// Limits that keep a config's numbers from sizing anything absurd before a
// tensor is looked at (the tensors are checked against the config at Load).
const (
	maxImageSize = 4096
	maxWidth     = 1 << 16
	maxLayers    = 1024
)

// ParseConfig reads a Janus vision_config (HF JanusVisionConfig keys; an
// absent key takes JanusVisionConfig's default, which is Janus-Pro's
// value). Preprocessing starts at Janus-Pro's values (mean = std = 0.5,
// min_size 14, bicubic); ApplyPreprocessor overrides them from
// preprocessor_config.json. Every problem is one line naming the key.
func ParseConfig(vision json.RawMessage) (Config, error) {
	var v visionJSON
	if len(vision) == 0 {
		vision = json.RawMessage("{}")
	}
	if err := json.Unmarshal(vision, &v); err != nil {
		return Config{}, fmt.Errorf("vision_config: %v", err)
	}
	intOr := func(p *int, def int) int {
		if p == nil {
			return def
		}
		return *p
	}
	c := Config{
		ImageSize:  intOr(v.ImageSize, 384),
		PatchSize:  intOr(v.PatchSize, 16),
		Channels:   intOr(v.Channels, 3),
		Hidden:     intOr(v.HiddenSize, 1024),
		Layers:     intOr(v.Layers, 24),
		Heads:      intOr(v.Heads, 16),
		LMDim:      intOr(v.ProjectionDim, 2048),
		AlignDepth: intOr(v.Depth, 2),
		Eps:        1e-6,
		QKVBias:    true,
		Std:        [3]float32{0.5, 0.5, 0.5},
		MinSize:    14,
		Rescale:    1.0 / 255,
		Resample:   3,
	}
	if v.Eps != nil {
		c.Eps = float32(*v.Eps)
	}
	if v.AttentionBias != nil {
		c.QKVBias = *v.AttentionBias
	}
	ratio := 4.0
	if v.MLPRatio != nil {
		ratio = *v.MLPRatio
	}
	if act := v.Act; act != nil && *act != "gelu" {
		return Config{}, fmt.Errorf("vision_config: hidden_act %q is not supported (Janus uses \"gelu\", the exact erf form)", *act)
	}
	if v.UseQKNorm != nil && *v.UseQKNorm {
		return Config{}, fmt.Errorf("vision_config: use_qk_norm true is not supported (Janus has no q/k norm)")
	}
	for _, f := range []struct {
		key    string
		val    int
		lo, hi int
	}{
		{"image_size", c.ImageSize, 1, maxImageSize},
		{"patch_size", c.PatchSize, 1, maxImageSize},
		{"hidden_size", c.Hidden, 1, maxWidth},
		{"num_hidden_layers", c.Layers, 1, maxLayers},
		{"num_attention_heads", c.Heads, 1, maxWidth},
		{"projection_dim", c.LMDim, 1, maxWidth},
		{"depth", c.AlignDepth, 1, maxLayers},
	} {
		if f.val < f.lo || f.val > f.hi {
			return Config{}, fmt.Errorf("vision_config: %s %d is out of range [%d, %d]", f.key, f.val, f.lo, f.hi)
		}
	}
	if c.Channels != 3 {
		return Config{}, fmt.Errorf("vision_config: num_channels %d is not supported (pictures are RGB: 3)", c.Channels)
	}
	if !(c.Eps > 0) || math.IsInf(float64(c.Eps), 0) {
		return Config{}, fmt.Errorf("vision_config: layer_norm_eps %g must be a positive number", c.Eps)
	}
	if c.Hidden%c.Heads != 0 {
		return Config{}, fmt.Errorf("vision_config: hidden_size %d is not a multiple of num_attention_heads %d", c.Hidden, c.Heads)
	}
	mlp := float64(c.Hidden) * ratio
	if !(mlp >= 1 && mlp <= maxWidth*4) {
		return Config{}, fmt.Errorf("vision_config: mlp_ratio %g gives an MLP width of %g", ratio, mlp)
	}
	c.MLPHidden = int(mlp) // Python's int(): truncation
	if c.ImageSize%c.PatchSize != 0 {
		return Config{}, fmt.Errorf("vision_config: image_size %d is not a multiple of patch_size %d", c.ImageSize, c.PatchSize)
	}
	c.NumTokens = c.Grid() * c.Grid()
	if v.NumImageTokens != nil && *v.NumImageTokens != c.NumTokens {
		return Config{}, fmt.Errorf("vision_config: image_size %d / patch_size %d gives %d×%d = %d patches, but num_image_tokens is %d",
			c.ImageSize, c.PatchSize, c.Grid(), c.Grid(), c.NumTokens, *v.NumImageTokens)
	}
	if v.SelectLayer != nil {
		// The original deepseek tower's select_layer: k ≤ 0 keeps the first
		// layers+k+1 blocks, k > 0 the first k; the final norm runs anyway.
		k := *v.SelectLayer
		keep := min(c.Layers, k)
		if k <= 0 {
			keep = min(c.Layers, c.Layers+k+1)
		}
		if keep < 1 {
			return Config{}, fmt.Errorf("vision_config: select_layer %d leaves no layer of %d", k, c.Layers)
		}
		c.Layers = keep
	}
	c.setMean([3]float64{0.5, 0.5, 0.5})
	return c, nil
}

// setMean sets the normalisation mean and the padding colour it implies,
// int(m·255) per channel as the processor computes it from the float64
// value (so 0.5 gives 127).
func (c *Config) setMean(mean [3]float64) {
	for i, m := range mean {
		c.Mean[i] = float32(m)
		c.Background[i] = uint8(min(max(int(m*255), 0), 255))
	}
}
