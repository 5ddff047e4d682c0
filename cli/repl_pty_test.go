//go:build linux

package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chatumm/chatumm/model/randmodel"
	"golang.org/x/sys/unix"
)

// ptyChat is `chatumm chat` running on a pseudo-terminal, as a person
// runs it: keys go in through the master side, and what the terminal
// would show comes back.
type ptyChat struct {
	t      *testing.T
	master *os.File
	cmd    *exec.Cmd
	mu     sync.Mutex
	screen bytes.Buffer
	done   chan struct{}
}

// openPTY returns a pseudo-terminal's master and its slave's path.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	return master, "/dev/pts/" + strconv.Itoa(int(n))
}

func startPTYChat(t *testing.T, env []string, args ...string) *ptyChat {
	t.Helper()
	master, slavePath := openPTY(t)
	slave, err := os.OpenFile(slavePath, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	ws := &unix.Winsize{Row: 40, Col: 120}
	unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, ws)
	cmd := exec.Command(chatummBin, append([]string{"chat"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	p := &ptyChat{t: t, master: master, cmd: cmd, done: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.screen.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				close(p.done)
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		master.Close()
	})
	return p
}

// waitFor waits until the output since mark contains want, and returns
// the new mark (the end of that output).
func (p *ptyChat) waitFor(mark int, want string) int {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		out := p.screen.String()
		p.mu.Unlock()
		if i := strings.Index(out[min(mark, len(out)):], want); i >= 0 {
			return mark + i + len(want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.screen.String()[min(mark, p.screen.Len()):]
	p.t.Fatalf("waited 60 s for %q; the terminal shows at its end:\n%s", want, out[max(0, len(out)-1500):])
	return 0
}

func (p *ptyChat) send(keys string) {
	p.t.Helper()
	if _, err := p.master.Write([]byte(keys)); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits for the process to exit and returns its exit status.
func (p *ptyChat) wait() error {
	errc := make(chan error, 1)
	go func() { errc <- p.cmd.Wait() }()
	select {
	case err := <-errc:
		return err
	case <-time.After(60 * time.Second):
		p.t.Fatal("chat did not exit")
		return nil
	}
}

// TestREPLOnATerminal drives the chat as a person would: a banner, line
// editing (a typo fixed with the arrow keys and backspace), history (Up
// brings back the last message, also in a new chat: it lives in a file),
// a multi-line message between """ marks, and /quit.
func TestREPLOnATerminal(t *testing.T) {
	cfg := t.TempDir()
	env := []string{"XDG_CONFIG_HOME=" + cfg, "HOME=" + cfg}
	p := startPTYChat(t, env, "--temp", "0", "--max-tokens", "8")
	mark := p.waitFor(0, "/help")
	mark = p.waitFor(mark, ">>> ")
	// "what colour is red" typed with a typo: "whxt", fixed by moving
	// left over "t", deleting the "x" and typing "a".
	p.send("whxt")
	p.send("\x1b[D\x7fa\x1b[C") // Left, Backspace, "a", Right
	p.send(" is red?\r")
	mark = p.waitFor(mark, ">>> ")
	p.send("/history\r")
	mark = p.waitFor(mark, "what is red?")
	mark = p.waitFor(mark, ">>> ")
	p.send(`"""` + "\r" + "first line\r" + "second line\r" + `"""` + "\r")
	mark = p.waitFor(mark, ">>> ")
	p.send("/history\r")
	mark = p.waitFor(mark, "first line")
	_ = p.waitFor(mark, ">>> ")
	p.send("/quit\r")
	if err := p.wait(); err != nil {
		t.Fatalf("chat exited with %v", err)
	}
	hist, err := os.ReadFile(filepath.Join(cfg, "chatumm", "history"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hist), "what is red?\n") || !strings.Contains(string(hist), "\n\"\"\"first line second line\"\"\"\n") ||
		strings.Contains(string(hist), "\n\"\"\"\n") {
		t.Fatalf("history file:\n%s", hist)
	}

	// A new chat: Up brings back the last line typed in the old one.
	p = startPTYChat(t, env, "--temp", "0", "--max-tokens", "8")
	p.waitFor(0, ">>> ")
	p.send("\x1b[A") // Up: "/quit"
	p.send("\r")
	if err := p.wait(); err != nil {
		t.Fatalf("chat exited with %v", err)
	}
}

// randomChatModel writes a random-weight checkpoint: it rarely ends a
// reply by itself, so a reply runs until it is stopped.
func randomChatModel(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := randmodel.Write(dir, randmodel.Shapes["tiny"], 1); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCtrlCOnATerminal: Ctrl-C while the model answers stops the answer,
// and Ctrl-C while a long pasted message is being read stops that too
// (the message is not sent); the chat goes on after both.
func TestCtrlCOnATerminal(t *testing.T) {
	dir := randomChatModel(t)
	p := startPTYChat(t, []string{"XDG_CONFIG_HOME=" + t.TempDir()}, "--model", dir, "--temp", "1", "--max-tokens", "100000")
	mark := p.waitFor(0, ">>> ")
	p.send("tell me a very long story\r")
	time.Sleep(500 * time.Millisecond)
	p.send("\x03") // Ctrl-C: SIGINT, the terminal is not raw during a reply
	mark = p.waitFor(mark, "(stopped)")
	mark = p.waitFor(mark, ">>> ")

	// A long message, pasted (bracketed paste: several lines, one message).
	var paste strings.Builder
	paste.WriteString("\x1b[200~")
	for i := 0; i < 11; i++ { // about 3,300 tokens (its tokenizer spells)
		paste.WriteString(strings.Repeat("word ", 60) + "\r")
	}
	paste.WriteString("\x1b[201~")
	p.send(paste.String())
	p.send("\r")
	// Ctrl-C once the progress of reading it shows.
	mark = p.waitFor(mark, "reading the message")
	p.send("\x03")
	mark = p.waitFor(mark, "(stopped; the message was not sent)")
	mark = p.waitFor(mark, ">>> ")
	p.send("/history\r")
	mark = p.waitFor(mark, "tell me a very long story")
	_ = p.waitFor(mark, ">>> ")
	p.send("/quit\r")
	if err := p.wait(); err != nil {
		t.Fatalf("chat exited with %v", err)
	}
}
