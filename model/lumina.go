package model

import (
	"fmt"
	"strings"

	"github.com/chatumm/chatumm/model/tokenizer"
)

// lumina is Alpha-VLLM's Lumina-mGPT: a Chameleon vocabulary and decoder
// whose images carry their size — two size tokens <reserved088NN> (N units
// of 32 px) after <racm3:break> — and close every row of codes with
// <reserved08799>. Recognised by its config's z_loss_weight key or its
// XLLMX architecture name. It ships no VQ-GAN (take one with --vq) and
// draws with two-way guidance.
type lumina struct{}

func (lumina) Name() string     { return "lumina-mgpt" }
func (lumina) Guidance() string { return "lumina" }

func (lumina) matches(r *rawConfig) bool {
	if r.ZLossWeight != nil {
		return true
	}
	for _, a := range r.Architectures {
		if strings.Contains(a, "XLLMX") {
			return true
		}
	}
	return false
}

func (lumina) protocol(tok *tokenizer.Tokenizer) (Protocol, error) {
	p := chameleonProtocol(tok)
	p.Image.RowEnd = lookup(tok, "<reserved08799>")
	p.Image.sizeOfID, p.Image.idOfSize = map[int]int{}, map[int]int{}
	for n := 1; n <= maxSizeUnits; n++ {
		if id := lookup(tok, fmt.Sprintf("<reserved%05d>", 8800+n)); id >= 0 {
			p.Image.sizeOfID[id], p.Image.idOfSize[n] = n, id
		}
	}
	if p.Image.RowEnd < 0 || !p.Image.Sized() {
		return p, fmt.Errorf("the Lumina-mGPT image layout needs <reserved08799> and the <reserved088NN> size tokens")
	}
	return p, nil
}

// luminaGuidance is Lumina-mGPT's two-way guidance: the full context and
// an unconditional one that holds only the image being drawn, mixed as
// uncond + g_txt·(full − uncond).
type luminaGuidance struct{}

func (luminaGuidance) Contexts(p *Protocol, history []int, imageStart int, isImage func(int) bool) [][]int {
	return [][]int{append([]int(nil), history[imageStart:]...)}
}

func (luminaGuidance) Mix(out, full []float32, extra [][]float32, s GuidanceScales) {
	u := extra[0]
	for i := range out {
		out[i] = u[i] + s.Text*(full[i]-u[i])
	}
}
