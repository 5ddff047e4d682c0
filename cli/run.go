package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime/fileio"
	"github.com/urfave/cli/v2"
)

// Script is the input of `chatumm run --script`: a scripted dialogue.
//
//	{
//	  "seed": 1,                        // optional, overrides --seed
//	  "turns": [
//	    {"user": "draw a red circle"},
//	    {"user": "what color is it?", "images": ["in.png"], "max_tokens": 32},
//	    {"user": "now make it blue", "force_image": true}
//	  ]
//	}
//
// Image paths are relative to the script's directory.
type Script struct {
	Seed  *uint64      `json:"seed,omitempty"`
	Turns []ScriptTurn `json:"turns"`
}

// ScriptTurn is one user message and, optionally, the model's reply given
// verbatim (a reference history) instead of generated.
type ScriptTurn struct {
	User       string       `json:"user"`
	Images     []string     `json:"images,omitempty"`
	MaxTokens  int          `json:"max_tokens,omitempty"`
	ForceImage bool         `json:"force_image,omitempty"` // the reply starts with an image
	Model      []ScriptPart `json:"model,omitempty"`       // given reply: no generation
}

// ScriptPart is a piece of a given model reply: text or an image file.
type ScriptPart struct {
	Text  string `json:"text,omitempty"`
	Image string `json:"image,omitempty"`
}

// Transcript is the output of `chatumm run`.
type Transcript struct {
	Model  string           `json:"model"`
	Seed   uint64           `json:"seed"`
	Turns  []TranscriptTurn `json:"turns"`
	Tokens int              `json:"tokens"` // history length at the end
}

// TranscriptTurn is one exchange: the user's message and the model's reply.
type TranscriptTurn struct {
	User        string   `json:"user"`
	UserImages  []string `json:"user_images,omitempty"`
	Reply       string   `json:"reply"`
	ReplyImages []string `json:"reply_images,omitempty"` // PNG files written
	ReplyCodes  [][]int  `json:"reply_codes,omitempty"`  // their VQ codes
	ReplyPasses []int    `json:"reply_passes,omitempty"` // forward passes that drew each (fewer than its tokens with --speculative)
	Error       string   `json:"error,omitempty"`
	NewTokens   int      `json:"new_tokens"`   // user tokens prefilled this turn
	ReplyTokens int      `json:"reply_tokens"` // tokens generated
	PrefillMS   float64  `json:"prefill_ms"`
	ReplyMS     float64  `json:"reply_ms"`
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "run a scripted multi-turn dialogue (JSON in, JSON transcript out)",
		Flags: append(append(modelFlags(), samplingFlags()...),
			&cli.StringFlag{Name: "script", Required: true, Usage: "dialogue script (JSON; see the README for the schema)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "transcript file (default: stdout)"},
			&cli.StringFlag{Name: "image-dir", Usage: "where reply images are written (default: next to the output, or .)"},
		),
		Action: runScript,
	}
}

// readScript reads and checks a script file (see Script); image paths in
// it are made relative to its directory and must be readable images.
func readScript(path string) (*Script, error) {
	data, err := fileio.ReadFile(path, fileio.Script)
	if err != nil {
		return nil, err
	}
	s, err := parseScript(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	base := filepath.Dir(path)
	for i := range s.Turns {
		t := &s.Turns[i]
		for j, p := range t.Images {
			if !filepath.IsAbs(p) {
				t.Images[j] = filepath.Join(base, p)
			}
			if err := checkImageFile(t.Images[j]); err != nil {
				return nil, fmt.Errorf("%s: turn %d: %v", path, i+1, err)
			}
		}
		for j, p := range t.Model {
			if p.Image != "" && !filepath.IsAbs(p.Image) {
				t.Model[j].Image = filepath.Join(base, p.Image)
			}
		}
	}
	return s, nil
}

// parseScript decodes and checks a script's JSON: one object, no unknown
// fields, at least one turn, none empty, each given model part text or an
// image. Its errors do not name the file (readScript adds it).
func parseScript(data []byte) (*Script, error) {
	var s Script
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("invalid script: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("invalid script: data after the JSON object")
	}
	if len(s.Turns) == 0 {
		return nil, fmt.Errorf("script has no turns")
	}
	for i, t := range s.Turns {
		if t.User == "" && len(t.Images) == 0 {
			return nil, fmt.Errorf("turn %d is empty (no user text or images)", i+1)
		}
		if t.MaxTokens < 0 {
			return nil, fmt.Errorf("turn %d: max_tokens %d is negative", i+1, t.MaxTokens)
		}
		for j, p := range t.Images {
			if p == "" {
				return nil, fmt.Errorf("turn %d: image %d has an empty path", i+1, j+1)
			}
		}
		for _, p := range t.Model {
			if (p.Text == "") == (p.Image == "") {
				return nil, fmt.Errorf("turn %d: each model part needs exactly one of text or image", i+1)
			}
		}
	}
	return &s, nil
}

func runScript(c *cli.Context) error {
	script, err := readScript(c.String("script"))
	if err != nil {
		return err
	}
	gen, err := genOptions(c)
	if err != nil {
		return err
	}
	if p := c.String("output"); p != "" {
		if err := fileio.CheckWritable(p); err != nil {
			return err // before the dialogue runs
		}
	}
	m, err := openModel(c)
	if err != nil {
		return err
	}
	defer m.Close()
	conv, err := chat.New(m)
	if err != nil {
		return err
	}
	if conv.Evict, err = evictPolicy(c); err != nil {
		return err
	}
	loadedContext.evicting = conv.Evict == chat.EvictOldest
	seed := c.Uint64("seed")
	if script.Seed != nil {
		seed = *script.Seed
	}
	smp := sample.New(seed)
	imageDir := c.String("image-dir")
	if imageDir == "" {
		imageDir = "."
		if out := c.String("output"); out != "" {
			imageDir = filepath.Dir(out)
		}
	}
	tr := Transcript{Model: m.Path, Seed: seed}
	imageNum := nextImageNumber(imageDir)
	for i, st := range script.Turns {
		tt := TranscriptTurn{User: st.User, UserImages: st.Images}
		before := len(conv.Tokens())
		t0 := time.Now()
		// Bad input (an unreadable image, a model without an encoder, a
		// turn that overflows the context) stops the run with its error.
		images, err := encodeImages(m, st.Images)
		switch {
		case err == nil && st.ForceImage:
			// A drawing request (Janus writes it without a system prompt).
			err = conv.AddUserDrawing(st.User, images)
		case err == nil:
			err = conv.AddUser(st.User, images)
		}
		if err != nil {
			return fmt.Errorf("%s: turn %d: %w", c.String("script"), i+1, hint(err, inRun))
		}
		tt.PrefillMS = ms(time.Since(t0))
		tt.NewTokens = len(conv.Tokens()) - before
		if len(st.Model) > 0 {
			if err := addGivenReply(m, conv, st.Model); err != nil {
				return fmt.Errorf("%s: turn %d: %w", c.String("script"), i+1, hint(err, inRun))
			}
			turns := conv.Turns()
			tt.Reply = turns[len(turns)-1].Text
			for _, p := range st.Model {
				if p.Image != "" {
					tt.ReplyImages = append(tt.ReplyImages, p.Image)
				}
			}
			tr.Turns = append(tr.Turns, tt)
			continue
		}
		o := gen
		if st.MaxTokens > 0 {
			o.MaxTokens = st.MaxTokens
		}
		o.StartImage = st.ForceImage
		t1 := time.Now()
		before = len(conv.Tokens())
		turn, err := conv.Reply(context.Background(), smp, o, nil)
		tt.ReplyMS = ms(time.Since(t1))
		tt.ReplyTokens = len(conv.Tokens()) - before
		tt.Reply = turn.Text
		if err != nil {
			tt.Error = oneLine(hint(err, inRun).Error())
		}
		for _, im := range turn.Images {
			path := filepath.Join(imageDir, fmt.Sprintf("chatumm-%03d.png", imageNum))
			imageNum++
			png, derr := m.DecodeImagePNG(im.Codes, im.Rows, im.Cols)
			if derr == nil {
				derr = fileio.WriteAtomic(path, png, 0o644)
			}
			if derr != nil {
				tt.Error = oneLine(hint(derr, inRun).Error())
				path = ""
			} else {
				conv.SetImagePath(im.Codes, path)
			}
			tt.ReplyImages = append(tt.ReplyImages, path)
			tt.ReplyCodes = append(tt.ReplyCodes, im.Codes)
			tt.ReplyPasses = append(tt.ReplyPasses, im.Passes)
		}
		tr.Turns = append(tr.Turns, tt)
	}
	tr.Tokens = len(conv.Tokens())
	out, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		return err
	}
	out = append(printableJSON(out), '\n')
	if p := c.String("output"); p != "" {
		return fileio.WriteAtomic(p, out, 0o644)
	}
	_, err = os.Stdout.Write(out)
	return err
}

// addGivenReply appends a scripted model reply, VQ-encoding its images.
func addGivenReply(m *model.Model, conv *chat.Conversation, parts []ScriptPart) error {
	var cp []chat.Part
	for _, p := range parts {
		if p.Image == "" {
			cp = append(cp, chat.Part{Text: p.Text})
			continue
		}
		ims, err := encodeImages(m, []string{p.Image})
		if err != nil {
			return err
		}
		cp = append(cp, chat.Part{Image: &ims[0]})
	}
	return conv.AddModelTurn(cp)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
