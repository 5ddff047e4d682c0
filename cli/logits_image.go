package cli

import (
	"fmt"

	"github.com/chatumm/chatumm/model"
)

// promptLogits runs ids from position 0 and returns the text logits of
// every position ([len(ids), vocab]). With imagePath, the picture's
// features (the model's understanding tower: Janus) fill the
// <image_placeholder> run of the ids.
func promptLogits(m *model.Model, ids []int, imagePath string, f32KV bool) ([]float32, error) {
	V := m.Cfg.VocabSize
	for _, id := range ids {
		if id < 0 || id >= V {
			return nil, fmt.Errorf("token id %d out of range [0, %d)", id, V) // as the decoder says it
		}
	}
	var vecs [][]float32
	if imagePath != "" {
		if !m.Proto.Image.Features {
			return nil, fmt.Errorf("--image: %s models read pictures as VQ codes in the ids, not as features (give the codes' token ids)", m.Family().Name())
		}
		feats, err := m.ReadImageFeatures(imagePath)
		if err != nil {
			return nil, err
		}
		D := m.Cfg.Dim
		n := len(feats) / D
		ph := m.Proto.Image.Placeholder
		vecs = make([][]float32, len(ids))
		k := 0
		for i, id := range ids {
			if id == ph {
				if k < n {
					vecs[i] = feats[k*D : (k+1)*D]
				}
				k++
			}
		}
		if k != n {
			return nil, fmt.Errorf("--ids hold %d <image_placeholder> tokens (id %d), but the picture gives %d features", k, ph, n)
		}
	}
	st := m.T.NewState(len(ids), f32KV)
	W := m.LogitsSize()
	all := make([]float32, len(ids)*W)
	if err := m.Prefill(st, ids, vecs, all, true); err != nil {
		return nil, err
	}
	if W == V {
		return all, nil
	}
	out := make([]float32, len(ids)*V)
	for r := range ids {
		copy(out[r*V:(r+1)*V], all[r*W:r*W+V])
	}
	return out, nil
}
