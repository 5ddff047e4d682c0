package model

import (
	"fmt"

	"github.com/chatumm/chatumm/model/tokenizer"
)

// janus is DeepSeek's Janus and Janus-Pro (model_type "janus" in the
// Hugging Face layout, "multi_modality" in deepseek-ai's): a Llama decoder
// that reads pictures as SigLIP features filling a run of
// <image_placeholder> tokens between <begin_of_image> and <end_of_image>,
// and draws them as VQ-16 codes through its own embedding, aligner and
// head. Its codes are not vocabulary tokens: the model gives each one the
// id VocabSize + code (see Model.LogitsSize). It never starts a picture
// itself — a turn draws when asked — and draws with its two-sequence
// guidance (janusGuidance). docs/JANUS.md describes the whole flow.
type janus struct{}

func (janus) Name() string     { return "janus" }
func (janus) Guidance() string { return "janus" }

func (janus) matches(r *rawConfig) bool {
	return r.ModelType == "janus" || r.ModelType == "multi_modality"
}

// The special tokens of the DeepSeek-LLM vocabulary Janus uses (full-width
// bars U+FF5C and the block U+2581, as tokenizer.json spells them).
const (
	janusBOS         = "<｜begin▁of▁sentence｜>"
	janusEOS         = "<｜end▁of▁sentence｜>"
	janusPad         = "<｜▁pad▁｜>"
	janusBeginImage  = "<begin_of_image>"
	janusEndImage    = "<end_of_image>"
	janusPlaceholder = "<image_placeholder>"
)

// janusSystemPrompt is the system prompt the Janus processor writes before
// a dialogue it answers in text (drawing uses none).
const janusSystemPrompt = "You are a helpful language and vision assistant. You are able to understand the visual content that the user provides, and assist the user with a variety of tasks using natural language."

func (janus) protocol(tok *tokenizer.Tokenizer) (Protocol, error) {
	p := Protocol{
		BOS: lookup(tok, janusBOS),
		EOS: lookup(tok, janusEOS),
		// The pad of guidance's unconditional sequence (generation_config's
		// pad_token_id), not the tokenizer's padding token.
		Pad: lookup(tok, janusPad),
		Image: ImageFormat{
			Begin: lookup(tok, janusBeginImage), End: lookup(tok, janusEndImage), RowEnd: -1,
			Features: true, Placeholder: lookup(tok, janusPlaceholder), OnRequest: true,
		},
		// The deepseek template: "<|User|>: …\n\n<|Assistant|>:", each
		// reply closed by the end of sentence.
		Template: &Template{System: janusSystemPrompt, User: "<|User|>: ", UserEnd: "\n\n", Assistant: "<|Assistant|>:"},
	}
	p.EndOfTurn = p.EOS
	var missing []string
	for name, id := range map[string]int{janusBOS: p.BOS, janusEOS: p.EOS, janusBeginImage: p.Image.Begin, janusEndImage: p.Image.End} {
		if id < 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return p, fmt.Errorf("the Janus vocabulary lacks %v", missing)
	}
	if p.Pad < 0 {
		// Guidance needs some pad; the tokenizer's own is the next best.
		p.Pad = lookup(tok, "<｜pad｜>", "<pad>")
	}
	return p, nil
}

// janusGuidance is Janus's classifier-free guidance: one unconditional
// sequence as long as the conditional context, every token of it replaced
// by the pad except the first (BOS) and the final <begin_of_image>;
// logits = uncond + s·(cond − uncond). With history (a dialogue of several
// turns) the whole history up to the picture is padded alike, so the
// unconditional sequence is always Janus's own prompt-free one and a
// single-turn request is guided exactly as Janus's generation_inference
// and transformers' generate guide it (docs/JANUS.md).
type janusGuidance struct{}

func (janusGuidance) Contexts(p *Protocol, history []int, imageStart int, isImage func(int) bool) [][]int {
	n := imageStart + 1 // the context ends with the picture's <begin_of_image>
	uncond := make([]int, n)
	for i := range uncond {
		uncond[i] = p.Pad
	}
	uncond[0], uncond[n-1] = history[0], history[imageStart]
	return [][]int{uncond}
}

func (janusGuidance) Mix(out, full []float32, extra [][]float32, s GuidanceScales) {
	u := extra[0]
	for i := range out {
		out[i] = u[i] + s.Text*(full[i]-u[i])
	}
}

// JanusDefaultScale is Janus's guidance weight (cfg_weight 5 in
// generation_inference.py, guidance_scale 5 in generation_config.json).
const JanusDefaultScale = 5
