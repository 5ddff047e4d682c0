package cli

// A chat driven line by line while it runs, for what a pipe written at
// once cannot do: change files between two messages, signal the process
// in the middle of a reply.

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that a copying goroutine writes while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type liveChat struct {
	t           *testing.T
	args        []string
	cmd         *exec.Cmd
	cancel      context.CancelFunc
	stdin       io.WriteCloser
	stdout, err syncBuffer
	exited      chan struct{}
	waitErr     error
}

// startChat starts the binary with args in dir, its stdin a pipe the
// test writes with send.
func startChat(t *testing.T, dir string, args ...string) *liveChat {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	lc := &liveChat{t: t, args: args, cancel: cancel, exited: make(chan struct{})}
	lc.cmd = exec.CommandContext(ctx, chatummBin, args...)
	lc.cmd.Dir = dir
	lc.cmd.Env = append(os.Environ(), "CHATUMM_THREADS=1")
	lc.cmd.Stdout, lc.cmd.Stderr = &lc.stdout, &lc.err
	var err error
	if lc.stdin, err = lc.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := lc.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		lc.waitErr = lc.cmd.Wait()
		close(lc.exited)
	}()
	t.Cleanup(func() {
		cancel()
		<-lc.exited
	})
	return lc
}

func (lc *liveChat) send(lines ...string) {
	lc.t.Helper()
	if _, err := io.WriteString(lc.stdin, strings.Join(lines, "\n")+"\n"); err != nil {
		lc.t.Fatalf("writing to chat: %v\nstderr: %s", err, lc.err.String())
	}
}

// waitStdout waits until stdout holds want n times in all.
func (lc *liveChat) waitStdout(want string, n int) {
	lc.t.Helper()
	lc.waitUntil(func(out string) bool { return strings.Count(out, want) >= n }, want)
}

// waitUntil waits until ok(stdout) holds; what names the wait in errors.
func (lc *liveChat) waitUntil(ok func(stdout string) bool, what string) {
	lc.t.Helper()
	deadline := time.Now().Add(callTimeout)
	for !ok(lc.stdout.String()) {
		select {
		case <-lc.exited:
			lc.t.Fatalf("chatumm %s exited before printing %s\nstdout: %s\nstderr: %s",
				quoteArgs(lc.args), what, clipText(lc.stdout.String(), 2000), lc.err.String())
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			lc.t.Fatalf("no %s on stdout after %v", what, callTimeout)
		}
	}
}

func (lc *liveChat) signal(sig os.Signal) {
	lc.t.Helper()
	if err := lc.cmd.Process.Signal(sig); err != nil {
		lc.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to exit (stdin stays open unless closeInput)
// and returns what it did, failing on a hang or a panic.
func (lc *liveChat) wait(closeInput bool) result {
	lc.t.Helper()
	if closeInput {
		lc.stdin.Close()
	}
	select {
	case <-lc.exited:
	case <-time.After(callTimeout):
		lc.t.Fatalf("chatumm %s: no exit after %v (hang?)\nstderr: %s", quoteArgs(lc.args), callTimeout, lc.err.String())
	}
	r := result{stdout: lc.stdout.String(), stderr: lc.err.String()}
	if ee, ok := lc.waitErr.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
		if r.code < 0 {
			lc.t.Fatalf("chatumm %s was killed (%v)\nstderr: %s", quoteArgs(lc.args), lc.waitErr, r.stderr)
		}
	} else if lc.waitErr != nil {
		lc.t.Fatalf("chatumm %s: %v", quoteArgs(lc.args), lc.waitErr)
	}
	checkNoPanic(lc.t, lc.args, r)
	return r
}
