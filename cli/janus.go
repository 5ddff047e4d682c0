package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/urfave/cli/v2"
)

// refuseEdit refuses `edit` on a Janus checkpoint before anything loads:
// Janus was trained to read pictures and to draw new ones, never to change
// a given one (docs/JANUS.md).
func refuseEdit(path string) error {
	path = strings.TrimSpace(path)
	if st, err := os.Stat(path); path == "" || err != nil || !st.IsDir() {
		return nil // the embedded model or a GGUF file; Load reports other problems
	}
	cfg, err := model.LoadConfig(path)
	if err != nil || cfg.Family == nil || cfg.Family.Name() != "janus" {
		return nil
	}
	return fmt.Errorf("%s: Janus models cannot edit pictures (they were trained to read them and to draw new ones): use generate for a new picture, or describe / chat to ask about this one", path)
}

// familyGuidance gives a Janus model its own guidance when --cfg is not
// given (generate, chat): unguided Janus pictures are mostly noise, and
// scale 5 is what Janus draws with. Other families keep --cfg's default.
func familyGuidance(c *cli.Context, m *model.Model, o *chat.GenOptions) {
	if c.IsSet("cfg") || m.Family().Guidance() != "janus" {
		return
	}
	o.Guidance = model.GuidanceSchemes["janus"]
	if !c.IsSet("cfg-scale") && !c.IsSet("cfg-text") {
		o.TextScale = model.JanusDefaultScale
	}
}

// drawCommand recognises "/draw TEXT" in chat: a message whose reply is a
// picture (for every family; Janus draws only when asked).
func drawCommand(line string) (string, bool) {
	cmd, text, _ := strings.Cut(line, " ")
	if cmd != "/draw" {
		return "", false
	}
	return strings.TrimSpace(text), true
}
