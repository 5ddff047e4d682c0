package model

import (
	"fmt"

	"github.com/chatumm/chatumm/model/imageio"
)

// EncodeImageBytes decodes PNG or JPEG bytes (a request body, never written
// to a file) and returns their VQ codes; name labels errors. The image
// limits are imageio.DecodeImage's, checked from the header before any
// pixel buffer is allocated.
func (m *Model) EncodeImageBytes(name string, data []byte) ([]int, error) {
	if m.VQ == nil || !m.VQ.HasEncoder() {
		return nil, fmt.Errorf("%s: this model has no VQ encoder, so it cannot read images", m.Path)
	}
	img, err := imageio.DecodeImage(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	codes, _, err := m.VQ.Encode(imageio.Preprocess(img, m.VQ.Cfg.Resolution))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return codes, nil
}
