package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/chatumm/chatumm/model/imageio"

	"github.com/chatumm/chatumm/model/vqgan"
	"github.com/chatumm/chatumm/weights"
)

// ErrNoVQDecoder is matched (errors.Is) when codes cannot become pixels:
// the checkpoint has no VQ-GAN decoder (Lumina ships none).
var ErrNoVQDecoder = errors.New("no VQ decoder to turn codes into pixels")

// loadVQ attaches the VQ-GAN: from --vq when given (Lumina checkpoints carry
// none), else from the checkpoint itself when it has one.
func (m *Model) loadVQ() error {
	if m.opts.VQPath != "" {
		// Errors name the VQ checkpoint, so they read right whatever
		// option supplied it.
		cfg, err := LoadConfig(m.opts.VQPath)
		if err != nil {
			return fmt.Errorf("VQ-GAN: %v", err)
		}
		if cfg.VQ == nil {
			return fmt.Errorf("VQ-GAN %s: config.json has no vq_config", m.opts.VQPath)
		}
		set, err := weights.Open(m.opts.VQPath, m.opts.Load)
		if err != nil {
			return fmt.Errorf("VQ-GAN: %v", err)
		}
		vq, err := vqgan.Load(set, cfg.VQ, m.Pool)
		if err != nil {
			set.Close()
			return fmt.Errorf("VQ-GAN %s: %v", m.opts.VQPath, err)
		}
		m.vqSet = set
		m.VQ = vq
		return m.checkVQ()
	}
	if m.Cfg.VQ == nil {
		return nil
	}
	found := false
	// Chameleon's and Janus's Hugging Face names, a VQ-GAN saved alone,
	// deepseek-ai's original Janus names.
	for _, name := range []string{"model.vqmodel.quantize.embedding.weight", "quantize.embedding.weight", "gen_vision_model.quantize.embedding.weight"} {
		if _, ok := m.Weights.Tensor(name); ok {
			found = true
		}
	}
	if !found {
		return nil // the transformer alone (Lumina style)
	}
	vq, err := vqgan.Load(m.Weights, m.Cfg.VQ, m.Pool)
	if err != nil {
		return err
	}
	m.VQ = vq
	return m.checkVQ()
}

func (m *Model) checkVQ() error {
	if len(m.IDOfCode) > 0 && len(m.IDOfCode) != m.VQ.Cfg.NumEmbeddings {
		return fmt.Errorf("the VQ codebook has %d entries but the vocabulary has %d image tokens", m.VQ.Cfg.NumEmbeddings, len(m.IDOfCode))
	}
	return nil
}

// CanDecodeImages reports whether codes can be turned into pixels.
func (m *Model) CanDecodeImages() bool { return m.VQ != nil && m.VQ.HasDecoder() }

// EncodeImageFile reads a PNG/JPEG file and returns its VQ codes.
func (m *Model) EncodeImageFile(path string) ([]int, error) {
	if m.VQ == nil || !m.VQ.HasEncoder() {
		return nil, fmt.Errorf("%s: this model has no VQ encoder, so it cannot read images", m.Path)
	}
	img, err := imageio.ReadImage(path)
	if err != nil {
		return nil, err
	}
	pixels := imageio.Preprocess(img, m.VQ.Cfg.Resolution)
	if m.Janus != nil {
		// Janus's VQ-16 reads the picture as its processor makes it
		// (resized, padded to a square), the vision tower's input.
		if m.Janus.Vision == nil {
			return nil, fmt.Errorf("%s: %w: %s (its preprocessing is the VQ encoder's input too)", m.Path, ErrNoVisionTower, m.Janus.missingVision)
		}
		pixels = m.Janus.Vision.Preprocess(img)
	}
	codes, _, err := m.VQ.Encode(pixels)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return codes, nil
}

// DecodeImagePNG turns a rows×cols code grid into a PNG image; rows = cols
// = 0 means the VQ-GAN's square grid.
func (m *Model) DecodeImagePNG(codes []int, rows, cols int) ([]byte, error) {
	if !m.CanDecodeImages() {
		return nil, fmt.Errorf("%s: %w", m.Path, ErrNoVQDecoder)
	}
	if rows == 0 && cols == 0 {
		rows, cols = m.VQ.Cfg.GridSize(), m.VQ.Cfg.GridSize()
	}
	pix, err := m.VQ.DecodeGrid(codes, rows, cols)
	if err != nil {
		return nil, err
	}
	f := m.VQ.Cfg.Resolution / m.VQ.Cfg.GridSize()
	if m.VQ.Cfg.Arch == vqgan.ArchLlamaGen {
		// Janus writes uint8(clip((x+1)/2·255)): truncated, not rounded.
		return imageio.EncodePNGWith(pix, cols*f, rows*f, math.Trunc)
	}
	return imageio.EncodePNG(pix, cols*f, rows*f)
}

// ImageGrid is the side of the square code grid of one image: the VQ-GAN
// in use (which --vq may have taken elsewhere), else the one the config
// describes, else Chameleon's 32×32.
func (m *Model) ImageGrid() int {
	if m.VQ != nil {
		return m.VQ.Cfg.GridSize()
	}
	if m.Cfg != nil && m.Cfg.VQ != nil {
		return m.Cfg.VQ.GridSize()
	}
	return 32
}

// ImageTokens is the number of code tokens of one square image.
func (m *Model) ImageTokens() int { return m.ImageGrid() * m.ImageGrid() }

// CanReadImages reports whether the model takes images as input: it has
// image tokens and a VQ encoder (or, Janus, its vision tower).
func (m *Model) CanReadImages() bool {
	if m.Proto.Image.Features { // read through an understanding tower
		return m.Janus != nil && m.Janus.Vision != nil
	}
	return m.Proto.Image.HasImages() && m.VQ != nil && m.VQ.HasEncoder()
}

// CanDrawImages reports whether the model can write images into the
// stream (whether they can be turned into pixels is CanDecodeImages).
func (m *Model) CanDrawImages() bool { return m.Proto.Image.HasImages() && len(m.IDOfCode) > 0 }
