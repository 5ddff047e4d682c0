package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chatumm/chatumm/runtime/fileio"
	"golang.org/x/term"
)

// lineSource is where the REPL's messages come from: a terminal, with line
// editing and history, or anything else (a pipe, a file) read line by line.
type lineSource interface {
	// readLine shows prompt (on a terminal) and returns the next line
	// without its line break; io.EOF at the end of the input.
	readLine(prompt string) (string, error)
	// restore puts the terminal back as it was found. It may be called
	// from another goroutine, at any time, more than once.
	restore()
	// record adds a message that was read to the history, if there is one.
	record(msg string)
}

// pipeSource reads lines from a non-terminal (see lineReader).
type pipeSource struct {
	lr   *lineReader
	done bool
}

func (p *pipeSource) readLine(string) (string, error) {
	if p.done {
		return "", io.EOF
	}
	s, err := p.lr.next()
	if errors.Is(err, errNoLineBreak) {
		p.done = true
	}
	return s, err
}

func (p *pipeSource) restore()      {}
func (p *pipeSource) record(string) {}

// onceSource is one message given on the command line.
type onceSource struct {
	msg  string
	done bool
}

func (o *onceSource) readLine(string) (string, error) {
	if o.done {
		return "", io.EOF
	}
	o.done = true
	return o.msg, nil
}

func (o *onceSource) restore()      {}
func (o *onceSource) record(string) {}

// termSource reads from a terminal with golang.org/x/term's line editor:
// arrow keys, Home/End, Ctrl-A/E/K/U/W, history with Up and Down, and
// bracketed paste (a pasted block of several lines is one message). The
// terminal is raw only while a line is being typed, so a reply prints as
// usual and Ctrl-C during it (or during the prompt's prefill) is the usual
// SIGINT.
type termSource struct {
	fd      int
	in      *os.File
	t       *term.Terminal
	history *historyFile
	plain   *pipeSource // set when the terminal refused raw mode

	mu  sync.Mutex
	raw *term.State // the state to restore while in raw mode
}

func newTermSource(in, out *os.File, history string) *termSource {
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{in, out}, "")
	h := loadHistory(history)
	t.History = lineEditorHistory{h}
	return &termSource{fd: int(in.Fd()), in: in, t: t, history: h}
}

// lineEditorHistory is the history as the line editor sees it: it reads
// it, but the lines it would add itself (each line of a multi-line message,
// each pasted line) are dropped: whole messages are added by record.
type lineEditorHistory struct{ *historyFile }

func (lineEditorHistory) Add(string) {}

// record adds a message the user sent to the history. A message of several
// lines is kept as one line between """ marks, which sends the same text
// again when recalled.
func (s *termSource) record(msg string) {
	if strings.Contains(msg, "\n") {
		msg = multiLineMark + strings.Join(strings.Fields(msg), " ") + multiLineMark
	}
	s.history.Add(msg)
}

func (s *termSource) readLine(prompt string) (string, error) {
	if s.plain != nil {
		return s.plain.readLine(prompt)
	}
	s.mu.Lock()
	raw, err := term.MakeRaw(s.fd)
	s.raw = raw
	s.mu.Unlock()
	if err != nil {
		// A terminal that refuses raw mode still gives lines: read them
		// without the editor from now on.
		s.plain = &pipeSource{lr: newLineReader(s.in, maxMessageBytes)}
		return s.plain.readLine(prompt)
	}
	defer s.restore()
	if w, h, err := term.GetSize(s.fd); err == nil {
		s.t.SetSize(w, h)
	}
	s.t.SetBracketedPasteMode(true)
	defer s.t.SetBracketedPasteMode(false)
	s.t.SetPrompt(prompt)
	var pasted []string
	for {
		line, err := s.t.ReadLine()
		if errors.Is(err, term.ErrPasteIndicator) {
			// One line of a paste: the rest follows, ending with the line
			// the user then sends with Enter.
			pasted = append(pasted, line)
			s.t.SetPrompt("... ")
			continue
		}
		if err != nil {
			// Ctrl-D, Ctrl-C, or a read error (a hung-up terminal): as for
			// a pipe, any of them ends the input, so a terminal that fails
			// never turns into a loop of errors.
			return "", io.EOF
		}
		if len(pasted) > 0 {
			line = strings.Join(append(pasted, line), "\n")
		}
		if len(line) > maxMessageBytes {
			return "", &lineTooLongError{size: int64(len(line)), limit: maxMessageBytes}
		}
		return line, nil
	}
}

func (s *termSource) restore() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.raw != nil {
		term.Restore(s.fd, s.raw)
		s.raw = nil
	}
}

// maxHistory is how many lines the history file keeps.
const maxHistory = 1000

// historyFile is the REPL's history, kept in a file in the user's config
// directory so that Up finds what was typed in earlier chats. Each line
// added rewrites the file atomically (it is small): a crash never leaves it
// half written. A history that cannot be read or written is no error: the
// chat works without it.
type historyFile struct {
	path  string
	lines []string // oldest first
}

// historyPath is $XDG_CONFIG_HOME/chatumm/history (or the platform's config
// directory); "" when there is none.
func historyPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "chatumm", "history")
}

func loadHistory(path string) *historyFile {
	h := &historyFile{path: path}
	if path == "" {
		return h
	}
	data, err := fileio.ReadFile(path, fileio.Limit{Bytes: 4 << 20, What: "a history file"})
	if err != nil {
		return h
	}
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" {
			h.lines = append(h.lines, unescapeHistory(l))
		}
	}
	if len(h.lines) > maxHistory {
		h.lines = h.lines[len(h.lines)-maxHistory:]
	}
	return h
}

// Add records a line (not a repeat of the last one, not a blank one).
func (h *historyFile) Add(line string) {
	if strings.TrimSpace(line) == "" || (len(h.lines) > 0 && h.lines[len(h.lines)-1] == line) {
		return
	}
	h.lines = append(h.lines, line)
	if len(h.lines) > maxHistory {
		h.lines = h.lines[len(h.lines)-maxHistory:]
	}
	if h.path == "" {
		return
	}
	var b strings.Builder
	for _, l := range h.lines {
		b.WriteString(escapeHistory(l))
		b.WriteByte('\n')
	}
	if os.MkdirAll(filepath.Dir(h.path), 0o700) == nil {
		_ = fileio.WriteAtomic(h.path, []byte(b.String()), 0o600)
	}
}

func (h *historyFile) Len() int { return len(h.lines) }

// At returns the idx-th most recent line (0 is the newest).
func (h *historyFile) At(idx int) string { return h.lines[len(h.lines)-1-idx] }

// escapeHistory keeps a multi-line message on one line of the file.
func escapeHistory(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

func unescapeHistory(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] == 'n' {
				b.WriteByte('\n')
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
