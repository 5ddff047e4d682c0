package model

import (
	"fmt"
	"image"
	"strings"

	"github.com/chatumm/chatumm/model/imageio"
)

// ImageFeatures reads a picture through the understanding tower: one row
// of the decoder's width per placeholder ([ImageTokens, Dim]).
func (m *Model) ImageFeatures(img image.Image) ([]float32, error) {
	if m.Janus == nil {
		return nil, fmt.Errorf("%s: this model reads pictures as VQ codes, not features", m.Path)
	}
	j := m.Janus
	if j.Vision == nil {
		return nil, fmt.Errorf("%s: %w: %s", m.Path, ErrNoVisionTower, j.missingVision)
	}
	f := j.Vision.Features(m.Pool, j.Vision.Preprocess(img))
	if want := j.Cfg.ImageTokens * m.Cfg.Dim; len(f) != want {
		return nil, fmt.Errorf("%s: the vision tower gave %d values, want %d×%d", m.Path, len(f), j.Cfg.ImageTokens, m.Cfg.Dim)
	}
	return f, nil
}

// ReadImageFeatures reads a PNG/JPEG file through the understanding tower.
func (m *Model) ReadImageFeatures(path string) ([]float32, error) {
	if m.Janus != nil && m.Janus.Vision == nil {
		return nil, fmt.Errorf("%s: %w: %s", m.Path, ErrNoVisionTower, m.Janus.missingVision)
	}
	img, err := imageio.ReadImage(path)
	if err != nil {
		return nil, err
	}
	f, err := m.ImageFeatures(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return f, nil
}

// ImageFeaturesBytes reads PNG or JPEG bytes (a request body) through the
// understanding tower; name labels errors.
func (m *Model) ImageFeaturesBytes(name string, data []byte) ([]float32, error) {
	if m.Janus != nil && m.Janus.Vision == nil {
		return nil, fmt.Errorf("%s: %w: %s", m.Path, ErrNoVisionTower, m.Janus.missingVision)
	}
	img, err := imageio.DecodeImage(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	f, err := m.ImageFeatures(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return f, nil
}

// Parts says what a Janus checkpoint can do with pictures, and what it
// lacks ("" when complete).
func (j *Janus) Parts() (reads, draws bool, missing string) {
	var miss []string
	for _, s := range []string{j.missingVision, j.missingGen} {
		if s != "" {
			miss = append(miss, s)
		}
	}
	return j.Vision != nil, j.missingGen == "", strings.Join(miss, "; ")
}
