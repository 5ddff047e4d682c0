package model

import (
	"errors"
	"fmt"
	"os"

	"github.com/chatumm/chatumm/model/siglip"
)

// loadSiglip builds Janus's understanding tower (package siglip) with the
// checkpoint's preprocessor_config.json, when it has one.
func (m *Model) loadSiglip(original bool) (ImageReader, error) {
	cfg, err := siglip.ParseConfig(m.Cfg.Janus.Vision)
	if err != nil {
		return nil, fmt.Errorf("vision_config: %v", err)
	}
	if cfg.LMDim != m.Cfg.Dim {
		return nil, fmt.Errorf("vision_config: projection_dim %d, but the decoder's hidden_size is %d", cfg.LMDim, m.Cfg.Dim)
	}
	// A checkpoint directory may carry preprocessor_config.json, and a
	// chatumm GGUF carries it in its metadata; without one, Janus-Pro's
	// values apply.
	data, path, err := m.SideFile("preprocessor_config.json")
	switch {
	case err == nil:
		if err := cfg.ApplyPreprocessor(data, path); err != nil {
			return nil, err
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	prefix := "model."
	if original {
		prefix = ""
	}
	t, err := siglip.Load(m.Weights, cfg, prefix)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return t, nil
}
