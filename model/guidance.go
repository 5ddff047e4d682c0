package model

import (
	"fmt"
	"sort"
	"strings"
)

// A GuidanceScheme is one family's classifier-free guidance for image
// tokens: the extra sequences that step in lock-step with the
// conversation's own while an image is drawn, and how their logits are
// mixed with the conversation's.
type GuidanceScheme interface {
	// Contexts are the prompts of the extra sequences, built from the
	// history whose image block starts at imageStart.
	Contexts(p *Protocol, history []int, imageStart int, isImage func(id int) bool) [][]int
	// Mix writes the guided logits into out from the conversation's
	// logits full and the extra sequences' logits (one per context).
	Mix(out, full []float32, extra [][]float32, s GuidanceScales)
}

// GuidanceScales weigh the guided logits: Text is g_txt, Image g_img
// (schemes that have one condition use Text only).
type GuidanceScales struct {
	Text, Image float32
}

// GuidanceSchemes are the schemes by name, as --cfg takes them.
var GuidanceSchemes = map[string]GuidanceScheme{
	"anole":  anoleGuidance{},
	"lumina": luminaGuidance{},
	"janus":  janusGuidance{},
}

// GuidanceByName returns the scheme called name; "none" and "" mean no
// guidance (nil).
func GuidanceByName(name string) (GuidanceScheme, error) {
	if name == "" || name == "none" {
		return nil, nil
	}
	if g, ok := GuidanceSchemes[name]; ok {
		return g, nil
	}
	names := []string{"none"}
	for n := range GuidanceSchemes {
		names = append(names, n)
	}
	sort.Strings(names[1:])
	return nil, fmt.Errorf("unknown guidance %q (want %s)", name, strings.Join(names, ", "))
}
