package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/model/session"
	"github.com/chatumm/chatumm/runtime/fileio"
	"github.com/urfave/cli/v2"
)

func chatCommand() *cli.Command {
	return &cli.Command{
		Name:      "chat",
		Usage:     "talk with the model: text and images over many turns",
		ArgsUsage: `["PROMPT"]`,
		Description: `With a PROMPT, print the model's reply to it (pictures saved, their paths printed)
and exit. Otherwise talk: type a message and press Enter (""" opens and closes a message of
several lines; Up and Down recall earlier messages). Attach images with "/image PATH" (to the next
message) or "@PATH" inside the message. Images the model draws are saved as numbered PNG
files next to the session file (or in the current directory) and shown in the terminal
(kitty and iTerm2 graphics, or half-block characters where COLORTERM=truecolor). Ctrl-C stops a reply, or the reading of a long message, and keeps the conversation;
Ctrl-C at the prompt, Ctrl-D or /quit leaves.
Commands: /save FILE, /load FILE, /reset, /history, /image PATH, /help, /quit.`,
		Flags: append(append(modelFlags(), samplingFlags()...),
			&cli.StringFlag{Name: "session", Usage: "resume from this session file (created on /save; also saved on exit when given)"},
			&cli.BoolFlag{Name: "save-kv", Usage: "store the KV cache in saved sessions (no prefill when loading)"},
			scaleFlag(),
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
	// interactive: a person at a terminal (prompt, banner, line editor).
	interactive bool
	scale       int  // --scale of saved pictures
	drawNext    bool // the message being sent is a /draw request
}

func runChat(c *cli.Context) error {
	// Flags first, then the session path, then the model: a typo costs no
	// loading time, and a session that could not be saved at exit is
	// refused before a word of the dialogue is typed.
	gen, err := genOptions(c)
	if err != nil {
		return err
	}
	evict, err := evictPolicy(c)
	if err != nil {
		return err
	}
	scale, err := scaleOption(c)
	if err != nil {
		return err
	}
	sess := c.String("session")
	if sess != "" {
		if err := fileio.CheckWritable(sess); err != nil {
			return fmt.Errorf("--session %v (the conversation could not be saved there)", err)
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
	conv.Evict = evict
	loadedContext.evicting = evict == chat.EvictOldest
	familyGuidance(c, m, &gen)
	r := &replState{m: m, conv: conv, smp: sample.New(c.Uint64("seed")), gen: gen, out: os.Stdout,
		saveKV: c.Bool("save-kv"), session: sess, imageDir: ".", scale: scale}
	if r.session != "" {
		r.imageDir = filepath.Dir(r.session)
		if _, err := os.Stat(r.session); !errors.Is(err, fs.ErrNotExist) {
			if err := session.Load(r.session, conv); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "resumed %s: %d turns, %d tokens\n", printable(r.session), len(conv.Turns()), len(conv.Tokens()))
		}
	}
	r.imageNum = nextImageNumber(r.imageDir)
	var src lineSource = &pipeSource{lr: newLineReader(os.Stdin, maxMessageBytes)}
	if prompt := strings.TrimSpace(strings.Join(c.Args().Slice(), " ")); prompt != "" {
		src = &onceSource{msg: prompt} // chatumm chat "PROMPT": one reply, then exit
	} else if isTerminal(os.Stdin) && isTerminal(os.Stdout) {
		r.interactive = true
		src = newTermSource(os.Stdin, os.Stdout, historyPath())
		r.banner(c.String("model"))
	}
	return r.loop(src)
}

// banner tells a person at a terminal what they are talking to and how.
func (r *replState) banner(path string) {
	name := "the embedded tiny model"
	if path != "" {
		name = printable(path)
	}
	can := "text"
	switch {
	case r.m.CanReadImages() && r.m.CanDrawImages():
		can = "text; reads and draws pictures"
	case r.m.CanDrawImages():
		can = "text; draws pictures"
	case r.m.CanReadImages():
		can = "text; reads pictures"
	}
	fmt.Fprintf(r.out, "chatumm %s: %s (%s, %s)\n", version(), name, r.m.Family().Name(), can)
	fmt.Fprintln(r.out, `Type a message, attach a picture with @PATH, """ for several lines; /help for commands, Ctrl-D to leave.`)
}

// inputLine is one message of the REPL's input, or why it could not be taken.
type inputLine struct {
	text string
	err  error
}

// readLines answers each prompt sent on prompts with the next message of
// src (see readMessage), until the input ends.
func readLines(src lineSource, prompts <-chan string) <-chan inputLine {
	lines := make(chan inputLine)
	go func() {
		defer close(lines)
		for prompt := range prompts {
			s, err := readMessage(src, prompt)
			if err == io.EOF {
				return
			}
			if err == nil {
				src.record(s)
			}
			lines <- inputLine{s, err}
		}
	}()
	return lines
}

// multiLineMark opens and closes a message of several lines, as in ollama:
// """ on a line of its own (or starting the first line, or ending the last).
const multiLineMark = `"""`

// readMessage reads one message: a line, or the lines between two
// multiLineMark marks joined with line breaks.
func readMessage(src lineSource, prompt string) (string, error) {
	line, err := src.readLine(prompt)
	if err != nil || !strings.HasPrefix(strings.TrimSpace(line), multiLineMark) {
		return line, err
	}
	first := strings.TrimPrefix(strings.TrimSpace(line), multiLineMark)
	if text, ok := strings.CutSuffix(first, multiLineMark); ok {
		return text, nil // """one line"""
	}
	parts := []string{first}
	size := len(first)
	for {
		line, err := src.readLine("... ")
		if err == io.EOF {
			break // the input ended inside the message: send what there is
		}
		if err != nil {
			return "", err
		}
		text, closed := strings.CutSuffix(strings.TrimRight(line, " \t"), multiLineMark)
		parts = append(parts, text)
		if size += len(text) + 1; size > maxMessageBytes {
			return "", &lineTooLongError{size: int64(size), limit: maxMessageBytes}
		}
		if closed {
			break
		}
	}
	return strings.Trim(strings.Join(parts, "\n"), "\n"), nil
}

// loop reads messages and commands until the input ends, /quit, Ctrl-C at
// the prompt, or SIGTERM/SIGHUP (anywhere: a reply in progress is stopped
// first); each of these saves the session. Ctrl-C during a reply stops
// the reply only.
func (r *replState) loop(src lineSource) error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	// A closed stdout (chatumm chat | head) must not kill the process
	// before the session is saved: writes fail instead.
	signal.Ignore(syscall.SIGPIPE)
	var mu sync.Mutex
	var cancel context.CancelFunc
	quit := make(chan struct{})
	go func() {
		quitting := false
		for s := range sigs {
			mu.Lock()
			if cancel != nil {
				cancel()
			}
			if !quitting && (s != os.Interrupt || cancel == nil) {
				quitting = true
				close(quit)
			}
			mu.Unlock()
		}
	}()
	defer src.restore()
	prompts := make(chan string, 1)
	defer close(prompts)
	lines := readLines(src, prompts)
	for {
		prompt := ""
		if r.interactive {
			prompt = ">>> "
		}
		prompts <- prompt
		var in inputLine
		var ok bool
		select {
		case in, ok = <-lines:
		case <-quit:
			src.restore()
			fmt.Fprintln(r.out)
			return r.finish()
		}
		if !ok {
			return r.finish()
		}
		if in.err != nil {
			r.printError(in.err)
			continue
		}
		line := strings.TrimSpace(in.text)
		if line == "" {
			continue
		}
		if text, ok := drawCommand(line); ok {
			// A message like any other (cancellable, attachments), whose
			// reply is a picture.
			line, r.drawNext = text, true
		} else if strings.HasPrefix(line, "/") {
			done, err := r.command(line)
			if err != nil {
				r.printError(err)
			}
			if done {
				return r.finish()
			}
			continue
		}
		if err := weightsChanged(r.m); err != nil {
			return r.abandon(err)
		}
		ctx, cf := context.WithCancel(context.Background())
		mu.Lock()
		cancel = cf
		mu.Unlock()
		err := r.sayGuarded(ctx, line)
		mu.Lock()
		cancel = nil
		mu.Unlock()
		cf()
		var fatal *weightsFault
		if errors.As(err, &fatal) {
			return r.abandon(fatal.err)
		}
		if err != nil {
			if changed := weightsChanged(r.m); changed != nil {
				return r.abandon(changed) // NaN logits from rewritten weights, say
			}
			if _, once := src.(*onceSource); once {
				if ferr := r.finish(); ferr != nil {
					return fmt.Errorf("%w; %v", err, ferr)
				}
				return err // chatumm chat "PROMPT" that failed exits non-zero
			}
			r.printError(err)
		}
		select {
		case <-quit: // SIGTERM or SIGHUP during the reply
			return r.finish()
		default:
		}
	}
}

// printError shows an error the chat survives, with advice for the REPL.
func (r *replState) printError(err error) {
	fmt.Fprintf(stderr, "error: %s\n", printable(oneLine(hint(err, inREPL).Error())))
}

// weightsFault is a memory fault in mapped weights, recovered mid-reply.
type weightsFault struct{ err error }

func (e *weightsFault) Error() string { return e.err.Error() }

// sayGuarded is say, with a memory fault in a mapped weights file (one
// truncated under the running chat) returned as a *weightsFault instead of
// crashing the process, so the conversation can still be saved.
func (r *replState) sayGuarded(ctx context.Context, line string) (err error) {
	defer func() {
		if rec := recover(); rec != nil {
			ferr := faultError(rec)
			if ferr == nil {
				panic(rec)
			}
			err = &weightsFault{ferr}
		}
	}()
	return r.say(ctx, line)
}

// abandon ends a chat whose model can no longer run (its weights file
// changed under it): the session is saved without its KV cache, which
// may be half written, and the error says where the dialogue is.
func (r *replState) abandon(cause error) error {
	if r.session == "" || len(r.conv.Turns()) == 0 {
		return cause
	}
	if err := session.Save(r.session, r.conv, false); err != nil {
		return fmt.Errorf("%v; the conversation could not be saved: %v", cause, err)
	}
	return fmt.Errorf("%v; the conversation was saved to %s", cause, r.session)
}

func (r *replState) finish() error {
	if r.session != "" && len(r.conv.Turns()) > 0 {
		if err := session.Save(r.session, r.conv, r.saveKV); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "saved %s\n", printable(r.session))
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
		fmt.Fprint(r.out, `  @PATH          attach a picture inside a message (@"a b.png", @~/x.png)
  /image PATH    attach a picture to the next message
  /draw TEXT     ask for a picture (the reply draws it)
  """            open and close a message of several lines
  /history       the conversation so far
  /save FILE     save the conversation; /load FILE resumes one
  /reset         start over
  /quit          leave (also Ctrl-D); Ctrl-C stops a reply
`)
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
			fmt.Fprintf(r.out, "%2d %-5s %s\n", i+1, printable(string(t.Role)), printable(strings.TrimSpace(text)))
		}
		fmt.Fprintf(r.out, "(%d tokens of %d)\n", len(r.conv.Tokens()), r.conv.Capacity())
	case "/save":
		if arg == "" {
			return false, fmt.Errorf("/save needs a file name")
		}
		if err := session.Save(arg, r.conv, r.saveKV); err != nil {
			return false, err
		}
		fmt.Fprintf(r.out, "(saved %s)\n", printable(arg))
	case "/load":
		if arg == "" {
			return false, fmt.Errorf("/load needs a file name")
		}
		if err := session.Load(arg, r.conv); err != nil {
			return false, err
		}
		fmt.Fprintf(r.out, "(loaded %s: %d turns)\n", printable(arg), len(r.conv.Turns()))
	case "/image":
		if arg == "" {
			return false, fmt.Errorf("/image needs a file name")
		}
		if err := checkImageFile(arg); err != nil {
			return false, err
		}
		r.pending = append(r.pending, arg)
		fmt.Fprintf(r.out, "(image %s attached to your next message)\n", printable(arg))
	default:
		return false, fmt.Errorf("unknown command %s (try /help)", printable(cmd))
	}
	return false, nil
}

// say sends one user message and streams the reply. A message that is
// not sent (an image that cannot be read, a full context) takes its
// attachments with it: one that can never be read must not block every
// later message.
func (r *replState) say(ctx context.Context, line string) error {
	text, paths := splitAttachments(line)
	paths = append(r.pending, paths...)
	r.pending = nil
	gen, add := r.gen, r.conv.AddUserContext
	if r.drawNext {
		r.drawNext = false
		gen.StartImage, gen.Images, add = true, false, r.conv.AddUserDrawingContext
	}
	images, err := encodeImages(r.m, paths)
	if err == nil {
		var bar *progressBar
		err = add(ctx, text, images, func(done, total int) {
			// Only a prompt long enough to come in chunks gets a bar.
			if bar == nil && done < total {
				bar = newProgressBar(total)
				bar.what = "reading the message"
			}
			if bar != nil {
				bar.update(done)
			}
		})
		bar.finish()
	}
	if err == context.Canceled {
		fmt.Fprintln(stderr, "(stopped; the message was not sent)")
		return nil
	}
	if err != nil {
		if len(paths) > 0 {
			return fmt.Errorf("%w (message not sent; its images were dropped: attach them again)", err)
		}
		return err
	}
	var progress *progressBar
	_, err = r.conv.Reply(ctx, r.smp, gen, func(e chat.Event) {
		switch e.Kind {
		case chat.EventText:
			fmt.Fprint(r.out, printable(e.Text))
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
