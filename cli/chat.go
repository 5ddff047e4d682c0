package cli

import (
	"bufio"
	"context"
	"fmt"
	"github.com/chatumm/chatumm/model/session"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/urfave/cli/v2"
)

func chatCommand() *cli.Command {
	return &cli.Command{
		Name:      "chat",
		Usage:     "talk with the model: text and images over many turns",
		ArgsUsage: " ",
		Description: `Type a message and press Enter. Attach images with "/image PATH" (to the next
message) or "@PATH" inside the message. Images the model draws are saved as numbered PNG
files next to the session file (or in the current directory) and shown inline on kitty and
iTerm2. Ctrl-C stops a reply and keeps the conversation; Ctrl-D or /quit leaves.
Commands: /save FILE, /load FILE, /reset, /history, /image PATH, /help, /quit.`,
		Flags: append(append(modelFlags(), samplingFlags()...),
			&cli.StringFlag{Name: "session", Usage: "resume from this session file (created on /save; also saved on exit when given)"},
			&cli.BoolFlag{Name: "save-kv", Usage: "store the KV cache in saved sessions (no prefill when loading)"},
		),
		Action: runChat,
	}
}

// replState is the REPL's view of a running chat.
type replState struct {
	m        *model.Model
	conv     *chat.Conversation
	smp      *sample.Sampler
	gen      chat.GenOptions
	out      io.Writer
	pending  []string // images attached to the next message
	imageDir string
	imageNum int
	saveKV   bool
	session  string
}

func runChat(c *cli.Context) error {
	m, err := openModel(c)
	if err != nil {
		return err
	}
	defer m.Close()
	gen, err := genOptions(c)
	if err != nil {
		return err
	}
	conv, err := chat.New(m)
	if err != nil {
		return err
	}
	if conv.Evict, err = evictPolicy(c); err != nil {
		return err
	}
	r := &replState{m: m, conv: conv, smp: sample.New(c.Uint64("seed")), gen: gen, out: os.Stdout,
		saveKV: c.Bool("save-kv"), session: c.String("session"), imageDir: "."}
	if r.session != "" {
		r.imageDir = filepath.Dir(r.session)
		if _, err := os.Stat(r.session); err == nil {
			if err := session.Load(r.session, conv); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "resumed %s: %d turns, %d tokens\n", r.session, len(conv.Turns()), len(conv.Tokens()))
		}
	}
	r.imageNum = nextImageNumber(r.imageDir)
	return r.loop(os.Stdin)
}

func (r *replState) loop(in io.Reader) error {
	// Ctrl-C cancels the reply in progress; at the prompt it leaves.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	var mu sync.Mutex
	var cancel context.CancelFunc
	quit := make(chan struct{})
	go func() {
		for range sigs {
			mu.Lock()
			if cancel != nil {
				cancel()
				mu.Unlock()
				continue
			}
			mu.Unlock()
			close(quit)
			return
		}
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	interactive := isTerminal(os.Stdin)
	for {
		if interactive {
			fmt.Fprint(r.out, "> ")
		}
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
		case <-quit:
			fmt.Fprintln(r.out)
			return r.finish()
		}
		if !ok {
			return r.finish()
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "/") {
			done, err := r.command(line)
			if err != nil {
				fmt.Fprintf(stderr, "error: %s\n", oneLine(err.Error()))
			}
			if done {
				return r.finish()
			}
			continue
		}
		ctx, cf := context.WithCancel(context.Background())
		mu.Lock()
		cancel = cf
		mu.Unlock()
		err := r.say(ctx, line)
		mu.Lock()
		cancel = nil
		mu.Unlock()
		cf()
		if err != nil {
			fmt.Fprintf(stderr, "error: %s\n", oneLine(err.Error()))
		}
	}
}

func (r *replState) finish() error {
	if r.session != "" && len(r.conv.Turns()) > 0 {
		if err := session.Save(r.session, r.conv, r.saveKV); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "saved %s\n", r.session)
	}
	return nil
}

// command runs a /command; done reports /quit.
func (r *replState) command(line string) (done bool, err error) {
	cmd, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch cmd {
	case "/quit", "/exit":
		return true, nil
	case "/help":
		fmt.Fprintln(r.out, "/image PATH (attach to next message), @PATH in a message, /save FILE, /load FILE, /reset, /history, /quit")
	case "/reset":
		r.conv.Reset()
		r.pending = nil
		fmt.Fprintln(r.out, "(conversation cleared)")
	case "/history":
		for i, t := range r.conv.Turns() {
			text := t.Text
			for _, im := range t.Images {
				name := im.Path
				if name == "" {
					name = fmt.Sprintf("%d codes", len(im.Codes))
				}
				text = "[image " + name + "] " + text
			}
			fmt.Fprintf(r.out, "%2d %-5s %s\n", i+1, t.Role, strings.TrimSpace(text))
		}
		fmt.Fprintf(r.out, "(%d tokens of %d)\n", len(r.conv.Tokens()), r.conv.Capacity())
	case "/save":
		if arg == "" {
			return false, fmt.Errorf("/save needs a file name")
		}
		if err := session.Save(arg, r.conv, r.saveKV); err != nil {
			return false, err
		}
		fmt.Fprintf(r.out, "(saved %s)\n", arg)
	case "/load":
		if arg == "" {
			return false, fmt.Errorf("/load needs a file name")
		}
		if err := session.Load(arg, r.conv); err != nil {
			return false, err
		}
		fmt.Fprintf(r.out, "(loaded %s: %d turns)\n", arg, len(r.conv.Turns()))
	case "/image":
		if arg == "" {
			return false, fmt.Errorf("/image needs a file name")
		}
		if err := checkReadable(arg); err != nil {
			return false, err
		}
		r.pending = append(r.pending, arg)
		fmt.Fprintf(r.out, "(image %s attached to your next message)\n", arg)
	default:
		return false, fmt.Errorf("unknown command %s (try /help)", cmd)
	}
	return false, nil
}

// say sends one user message and streams the reply.
func (r *replState) say(ctx context.Context, line string) error {
	text, paths := splitAttachments(line)
	paths = append(r.pending, paths...)
	images, err := encodeImages(r.m, paths)
	if err != nil {
		return err // pending attachments stay for the next try
	}
	if err := r.conv.AddUser(text, images); err != nil {
		return err
	}
	r.pending = nil
	var progress *progressBar
	_, err = r.conv.Reply(ctx, r.smp, r.gen, func(e chat.Event) {
		switch e.Kind {
		case chat.EventText:
			fmt.Fprint(r.out, e.Text)
		case chat.EventImageStart:
			progress = newProgressBar(e.Total)
		case chat.EventImageProgress:
			progress.update(e.Done)
		case chat.EventImage:
			progress.finish()
			r.showImage(e.Image)
		}
	})
	fmt.Fprintln(r.out)
	if err == context.Canceled {
		fmt.Fprintln(stderr, "(stopped)")
		return nil
	}
	return err
}
