package model

import (
	"encoding/json"
	"fmt"

	"github.com/chatumm/chatumm/model/vqgan"
)

// JanusConfig is what a Janus config.json says beyond its Llama decoder:
// the understanding tower's config (read by package siglip), the
// placeholder id, the size of a picture's code grid and the generation
// parts' widths.
type JanusConfig struct {
	// Vision is vision_config as the Hugging Face layout writes it (for a
	// deepseek-ai config, the same keys built from its params).
	Vision json.RawMessage
	// ImageTokenID is <image_placeholder>'s id (image_token_id); -1 means
	// look it up in the vocabulary.
	ImageTokenID int
	// ImageTokens is the number of features of one picture read
	// (vision num_image_tokens, the placeholder run's length).
	ImageTokens int
	// Codes is the VQ codebook size, CodeDim its entries' width; Grid is
	// the side of a drawn picture's code grid.
	Codes, CodeDim, Grid int
	visionGrid           int // vision image_size / patch_size
	// Original: deepseek-ai's own config layout (model_type
	// "multi_modality"); its tensor names are recognised in the file.
	Original bool
}

type rawJanusConfig struct {
	ModelType    string          `json:"model_type"`
	ImageTokenID *int            `json:"image_token_id"`
	Text         json.RawMessage `json:"text_config"`
	Vision       json.RawMessage `json:"vision_config"`
	VQ           json.RawMessage `json:"vq_config"`
	// deepseek-ai's MultiModalityConfig.
	Language json.RawMessage `json:"language_config"`
	GenVQ    *struct {
		Params struct {
			Codes   *int `json:"image_token_size"`
			CodeDim *int `json:"n_embed"`
		} `json:"params"`
	} `json:"gen_vision_config"`
	Aligner *struct {
		Params struct {
			Depth *int `json:"depth"`
			Width *int `json:"n_embed"`
		} `json:"params"`
	} `json:"aligner_config"`
}

// parseJanusConfig reads a Janus config.json (either layout): its
// text_config is an ordinary Llama config, so the decoder is configured as
// any Llama checkpoint's.
func parseJanusConfig(data []byte) (*Config, error) {
	var r rawJanusConfig
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	jc := &JanusConfig{ImageTokenID: -1, Original: r.ModelType == "multi_modality"}
	text := r.Text
	if jc.Original {
		text = r.Language
		if err := originalJanusParts(&r); err != nil {
			return nil, err
		}
	}
	if len(text) == 0 || string(text) == "null" {
		return nil, fmt.Errorf("a Janus config needs text_config (the Llama decoder)")
	}
	// transformers defaults text_config's model_type to llama.
	var tm map[string]json.RawMessage
	if err := json.Unmarshal(text, &tm); err != nil {
		return nil, fmt.Errorf("text_config: %v", err)
	}
	if mt, ok := tm["model_type"]; ok && string(mt) != `"llama"` {
		return nil, fmt.Errorf("text_config: model_type %s is not supported (Janus's decoder is llama)", mt)
	}
	tm["model_type"] = json.RawMessage(`"llama"`)
	delete(tm, "vq_config")
	if _, ok := tm["rms_norm_eps"]; !ok {
		tm["rms_norm_eps"] = json.RawMessage(`1e-6`) // LlamaConfig's default
	}
	text, _ = json.Marshal(tm)
	c, err := ParseConfig(text)
	if err != nil {
		return nil, fmt.Errorf("text_config: %v", err)
	}
	c.ModelType, c.Family, c.Janus = "janus", janus{}, jc
	if r.ImageTokenID != nil {
		if *r.ImageTokenID < 0 || *r.ImageTokenID >= c.VocabSize {
			return nil, fmt.Errorf("image_token_id %d outside the vocabulary of %d", *r.ImageTokenID, c.VocabSize)
		}
		jc.ImageTokenID = *r.ImageTokenID
	}
	if err := jc.readVision(r.Vision); err != nil {
		return nil, err
	}
	vq := r.VQ
	if len(vq) == 0 || string(vq) == "null" {
		vq = json.RawMessage(`{"model_type": "janus_vqgan"}`) // JanusVQVAEConfig's defaults
	}
	if c.VQ, err = vqgan.ParseConfig(vq); err != nil {
		return nil, fmt.Errorf("vq_config: %v", err)
	}
	if c.VQ.Arch != vqgan.ArchLlamaGen {
		return nil, fmt.Errorf("vq_config: not a Janus VQ-16 config (want model_type janus_vqgan or num_patches)")
	}
	// transformers sets num_patches from the vision tower, whatever
	// vq_config says: the picture drawn has the grid of the picture read.
	if err := c.VQ.SetGrid(jc.visionGrid); err != nil {
		return nil, fmt.Errorf("vq_config: %v", err)
	}
	jc.Codes, jc.CodeDim, jc.Grid = c.VQ.NumEmbeddings, c.VQ.EmbedDim, c.VQ.GridSize()
	return c, nil
}

// readVision takes what the decoder side needs from vision_config (the
// tower itself is package siglip's) and checks that the picture's size,
// patch size and feature count agree.
func (jc *JanusConfig) readVision(raw json.RawMessage) error {
	var v struct {
		ImageSize   *int `json:"image_size"`
		PatchSize   *int `json:"patch_size"`
		ImageTokens *int `json:"num_image_tokens"`
	}
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage(`{}`)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("vision_config: %v", err)
	}
	jc.Vision = raw
	size, patch := 384, 16 // JanusVisionConfig's defaults
	if v.ImageSize != nil {
		size = *v.ImageSize
	}
	if v.PatchSize != nil {
		patch = *v.PatchSize
	}
	if size <= 0 || size > 4096 || patch <= 0 || size%patch != 0 {
		return fmt.Errorf("vision_config: image_size %d is not a positive multiple of patch_size %d", size, patch)
	}
	g := size / patch
	jc.ImageTokens, jc.visionGrid = g*g, g
	if v.ImageTokens != nil && *v.ImageTokens != g*g {
		return fmt.Errorf("vision_config: num_image_tokens %d, but image_size %d / patch_size %d gives %d×%d = %d patches", *v.ImageTokens, size, patch, g, g, g*g)
	}
	return nil
}

// originalJanusParts rewrites deepseek-ai's vision and VQ config into the
// Hugging Face keys: its vision tower is always siglip_large_patch16_384
// (the params name it rather than give its shape) and its VQ-16 has
// LlamaGen's fixed shape with the codebook size it gives.
func originalJanusParts(r *rawJanusConfig) error {
	depth, width := 2, 2048
	if r.Aligner != nil && r.Aligner.Params.Depth != nil {
		depth = *r.Aligner.Params.Depth
	}
	if r.Aligner != nil && r.Aligner.Params.Width != nil {
		width = *r.Aligner.Params.Width
	}
	vision, _ := json.Marshal(map[string]any{
		"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "patch_size": 16,
		"image_size": 384, "mlp_ratio": 4.0, "layer_norm_eps": 1e-6, "hidden_act": "gelu",
		"attention_bias": true, "depth": depth, "projection_dim": width, "num_image_tokens": 576,
	})
	r.Vision = vision
	vq := map[string]any{"model_type": "janus_vqgan", "num_patches": 24, "projection_dim": width, "image_token_embed_dim": width}
	if r.GenVQ != nil {
		if p := r.GenVQ.Params.Codes; p != nil {
			vq["num_embeddings"] = *p
		}
		if p := r.GenVQ.Params.CodeDim; p != nil {
			vq["embed_dim"] = *p
		}
	}
	r.VQ, _ = json.Marshal(vq)
	return nil
}
