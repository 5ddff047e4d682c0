package model

import "github.com/chatumm/chatumm/model/tokenizer"

// chameleon is Meta's Chameleon and its fine-tunes (Anole, chatumm's own
// models): model_type "chameleon". A dialogue is <s>, then turns each
// closed by <reserved08706>; an image is <racm3:break>, the codes of its
// square grid in raster order, <eoss>. Anole draws with three-way guidance.
type chameleon struct{}

func (chameleon) Name() string     { return "chameleon" }
func (chameleon) Guidance() string { return "anole" }

func (chameleon) matches(r *rawConfig) bool {
	return r.ModelType == "chameleon" || r.ModelType == "chameleon_vq"
}

func (chameleon) protocol(tok *tokenizer.Tokenizer) (Protocol, error) {
	return chameleonProtocol(tok), nil
}

// chameleonProtocol is the Chameleon vocabulary's protocol tokens, which
// Lumina-mGPT and chatumm's Llama-layout test checkpoints share.
func chameleonProtocol(tok *tokenizer.Tokenizer) Protocol {
	return Protocol{
		BOS:       lookup(tok, "<s>"),
		EOS:       lookup(tok, "</s>"),
		Pad:       lookup(tok, "<pad>"),
		EndOfTurn: lookup(tok, "<reserved08706>"),
		Image: ImageFormat{
			Begin:  lookup(tok, "<racm3:break>"),
			End:    lookup(tok, "<eoss>"),
			RowEnd: -1,
		},
	}
}

// anoleGuidance is Anole's three-way classifier-free guidance: the full
// context, the context reduced to its images, and the unconditional one,
// mixed as uncond + g_img·(images − uncond) + g_txt·(full − images).
type anoleGuidance struct{}

func (anoleGuidance) Contexts(p *Protocol, history []int, imageStart int, isImage func(int) bool) [][]int {
	uncond := []int{}
	if p.BOS >= 0 {
		uncond = append(uncond, p.BOS)
	}
	uncond = append(uncond, p.Image.Begin)
	var images []int
	for _, id := range history {
		if id == p.BOS || id == p.Image.Begin || id == p.Image.End || isImage(id) {
			images = append(images, id)
		}
	}
	return [][]int{images, uncond}
}

func (anoleGuidance) Mix(out, full []float32, extra [][]float32, s GuidanceScales) {
	img, u := extra[0], extra[1]
	for i := range out {
		out[i] = u[i] + s.Image*(img[i]-u[i]) + s.Text*(full[i]-img[i])
	}
}
