package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/chatumm/chatumm/model/siglip"
	"github.com/chatumm/chatumm/runtime/fileio"
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
	// A checkpoint directory may carry preprocessor_config.json; a single
	// file (a chatumm GGUF) has none, and Janus-Pro's values apply.
	if st, err := os.Stat(m.Path); err == nil && st.IsDir() {
		path := filepath.Join(m.Path, "preprocessor_config.json")
		data, err := fileio.ReadFile(path, fileio.Config)
		switch {
		case err == nil:
			if err := cfg.ApplyPreprocessor(data, path); err != nil {
				return nil, err
			}
		case !errors.Is(err, os.ErrNotExist):
			return nil, err
		}
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
