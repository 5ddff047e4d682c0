package siglip

import (
	"encoding/json"
	"fmt"
	"math"
)

// preprocessorJSON holds the preprocessor_config.json keys of both
// processors: HF's JanusImageProcessor (size, resample, do_*) and the
// original VLMImageProcessor (image_size). Means and stds may be one
// number or three.
type preprocessorJSON struct {
	Size *struct {
		Height, Width, ShortestEdge *int
	} `json:"size"`
	ImageSize   *int            `json:"image_size"`
	MinSize     *int            `json:"min_size"`
	Mean        json.RawMessage `json:"image_mean"`
	Std         json.RawMessage `json:"image_std"`
	Rescale     *float64        `json:"rescale_factor"`
	Resample    *int            `json:"resample"`
	DoResize    *bool           `json:"do_resize"`
	DoRescale   *bool           `json:"do_rescale"`
	DoNormalize *bool           `json:"do_normalize"`
}

// ApplyPreprocessor overrides the preprocessing from the text of a
// preprocessor_config.json (name is the file, for messages). The square
// size it names must be the tower's image_size.
func (c *Config) ApplyPreprocessor(data []byte, name string) error {
	var p preprocessorJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	size := -1
	switch {
	case p.Size != nil && p.Size.Height != nil && p.Size.Width != nil:
		if *p.Size.Height != *p.Size.Width {
			return fmt.Errorf("%s: size %d×%d is not square (Janus pads to a square)", name, *p.Size.Width, *p.Size.Height)
		}
		size = *p.Size.Height
	case p.Size != nil && p.Size.ShortestEdge != nil:
		size = *p.Size.ShortestEdge
	case p.ImageSize != nil:
		size = *p.ImageSize
	}
	if size >= 0 && size != c.ImageSize {
		return fmt.Errorf("%s: image size %d, but vision_config image_size is %d", name, size, c.ImageSize)
	}
	if p.DoResize != nil && !*p.DoResize {
		return fmt.Errorf("%s: do_resize false is not supported (the tower needs %d×%d pictures)", name, c.ImageSize, c.ImageSize)
	}
	if p.MinSize != nil {
		if *p.MinSize < 1 || *p.MinSize > c.ImageSize {
			return fmt.Errorf("%s: min_size %d is outside [1, %d]", name, *p.MinSize, c.ImageSize)
		}
		c.MinSize = *p.MinSize
	}
	if p.Resample != nil {
		if _, ok := pilFilters[*p.Resample]; !ok {
			return fmt.Errorf("%s: resample %d is not supported (1 Lanczos, 2 bilinear, 3 bicubic, 4 box, 5 Hamming)", name, *p.Resample)
		}
		c.Resample = *p.Resample
	}
	if p.Rescale != nil {
		if !(*p.Rescale > 0) || math.IsInf(*p.Rescale, 0) {
			return fmt.Errorf("%s: rescale_factor %g must be a positive number", name, *p.Rescale)
		}
		c.Rescale = *p.Rescale
	}
	if p.DoRescale != nil && !*p.DoRescale {
		c.Rescale = 1
	}
	mean, err := triple(p.Mean, name, "image_mean")
	if err != nil {
		return err
	}
	std, err := triple(p.Std, name, "image_std")
	if err != nil {
		return err
	}
	if mean != nil {
		c.setMean(*mean)
	}
	if std != nil {
		for i, s := range std {
			if !(s > 0) || math.IsInf(s, 0) {
				return fmt.Errorf("%s: image_std %g must be positive", name, s)
			}
			c.Std[i] = float32(s)
		}
	}
	if p.DoNormalize != nil && !*p.DoNormalize {
		// The padding colour still comes from image_mean, as the processor
		// computes it in its constructor.
		c.Mean, c.Std = [3]float32{}, [3]float32{1, 1, 1}
	}
	return nil
}

// triple reads a mean or std: absent (nil), one number, or three.
func triple(raw json.RawMessage, name, key string) (*[3]float64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one float64
	if json.Unmarshal(raw, &one) == nil {
		return &[3]float64{one, one, one}, nil
	}
	var three []float64
	if err := json.Unmarshal(raw, &three); err != nil || len(three) != 3 {
		return nil, fmt.Errorf("%s: %s must be a number or 3 numbers, got %s", name, key, raw)
	}
	for _, v := range three {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: %s %s is not finite", name, key, raw)
		}
	}
	return &[3]float64{three[0], three[1], three[2]}, nil
}
