//go:build unix

package cli

// The chat REPL against what users and their machines do to it: huge
// lines, attachments deleted before sending, SIGTERM and SIGHUP (a closed
// terminal) at the prompt and in the middle of a reply, weights truncated
// under a running chat. In each case the conversation must survive in its
// session file.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/chatumm/chatumm/model/randmodel"
)

// TestChatLongLine: a 17 MiB line is one error line; the lines after it
// are read and sent as usual.
func TestChatLongLine(t *testing.T) {
	dir := t.TempDir()
	stdin := "hello\n" + strings.Repeat("a", 17<<20) + "\nafter\n/history\n"
	args := []string{"chat", "--model", refDir(t, "chameleon-mot"), "--max-tokens", "4"}
	r := invoke(t, invocation{args: args, stdin: stdin, dir: dir})
	wantSuccess(t, r, args...)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: line of 17 MiB is longer than the 1 MiB") {
		t.Errorf("stderr %q, want one line \"error: line of 17 MiB is longer than the 1 MiB ...\"", clipText(r.stderr, 500))
	}
	if !strings.Contains(r.stdout, " 3 user  after") {
		t.Errorf("the line after the long one is not turn 3:\n%s", clipText(r.stdout, 2000))
	}
}

// TestChatDeletedAttachment: an image attached with /image and deleted
// before the message is sent is reported once and dropped; the next
// message goes through.
func TestChatDeletedAttachment(t *testing.T) {
	dir := t.TempDir()
	img, err := os.ReadFile(repoPath(t, "testdata", "ref", "vq-image.png"))
	if err != nil {
		t.Fatal(err)
	}
	pic := writeFile(t, filepath.Join(dir, "pic.png"), img)
	lc := startChat(t, dir, "chat", "--model", refDir(t, "chameleon-mot"), "--vq", refDir(t, "vq-anole"), "--max-tokens", "4")
	lc.send("/image pic.png")
	lc.waitStdout("attached to your next message", 1)
	os.Remove(pic)
	lc.send("what is it?", "hello", "/history")
	r := lc.wait(true)
	wantSuccess(t, r, lc.args...)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "pic.png") || !strings.Contains(lines[0], "not sent") {
		t.Errorf("stderr %q, want one error line naming pic.png and saying the message was not sent", r.stderr)
	}
	if !strings.Contains(r.stdout, " 1 user  hello") {
		t.Errorf("the message after the failed one is not turn 1:\n%s", r.stdout)
	}
}

// randomModel writes a random-weight checkpoint big enough that a reply of
// thousands of tokens takes a while (4,096 positions), so a test can act
// in the middle of it.
func randomModel(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "random")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := randmodel.Write(dir, randmodel.Shapes["tiny"], 7); err != nil {
		t.Fatal(err)
	}
	return dir
}

var turnLine = regexp.MustCompile(`(?m)^ *\d+ (user|model) `)

// resumedTurns resumes sess in a new process and returns the /history
// listing, checking the resume worked.
func resumedTurns(t *testing.T, dir, sess string, modelArgs ...string) string {
	t.Helper()
	args := append(append([]string{"chat"}, modelArgs...), "--session", sess, "--max-tokens", "1")
	r := invoke(t, invocation{args: args, stdin: "/history\n", dir: dir})
	wantSuccess(t, r, args...)
	if !strings.Contains(r.stderr, "resumed "+sess) {
		t.Fatalf("no resume of %s: stderr %q", sess, r.stderr)
	}
	return r.stdout
}

// TestChatSignalAtPrompt: SIGTERM or SIGHUP while the chat waits for input
// saves the session like /quit and exits 0.
func TestChatSignalAtPrompt(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			sess := filepath.Join(dir, "talk.chs")
			lc := startChat(t, dir, "chat", "--model", refDir(t, "chameleon-mot"), "--max-tokens", "4", "--session", sess)
			lc.send("hello", "/history")
			lc.waitStdout("tokens of", 1)
			lc.signal(sig)
			r := lc.wait(false)
			wantSuccess(t, r, lc.args...)
			if !strings.Contains(r.stderr, "saved "+sess) {
				t.Fatalf("stderr %q, want \"saved %s\"", r.stderr, sess)
			}
			if h := resumedTurns(t, dir, sess, "--model", refDir(t, "chameleon-mot")); !strings.Contains(h, " 1 user  hello") {
				t.Errorf("resumed history lacks the message:\n%s", h)
			}
		})
	}
}

// TestChatSignalMidReply: SIGTERM or SIGHUP during a long reply stops it,
// keeps what was generated, saves and exits 0; SIGINT only stops the reply.
func TestChatSignalMidReply(t *testing.T) {
	m := randomModel(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			sess := filepath.Join(dir, "talk.chs")
			lc := startChat(t, dir, "chat", "--model", m, "--max-tokens", "100000", "--session", sess)
			lc.send("hello")
			lc.waitUntil(func(out string) bool { return len(out) > 0 }, "the start of the reply")
			lc.signal(sig)
			if sig == syscall.SIGINT {
				lc.send("/history")
				lc.waitStdout("tokens of", 1)
			}
			r := lc.wait(sig == syscall.SIGINT)
			wantSuccess(t, r, lc.args...)
			if !strings.Contains(r.stderr, "(stopped)") {
				t.Errorf("stderr %q: the reply was not stopped by %v", r.stderr, sig)
			}
			if !strings.Contains(r.stderr, "saved "+sess) {
				t.Fatalf("stderr %q, want \"saved %s\"", r.stderr, sess)
			}
			h := resumedTurns(t, dir, sess, "--model", m)
			if n := len(turnLine.FindAllString(h, -1)); n != 2 || !strings.Contains(h, " 1 user  hello") {
				t.Errorf("resumed history has %d turns, want the message and the partial reply:\n%s", n, clipText(h, 1000))
			}
		})
	}
}

// TestChatWeightsTruncated: model.safetensors truncated under a running
// chat, in the middle of a reply (a memory fault in the mapping) or
// between two messages, ends the chat with one line naming the file and a
// non-zero exit, and the session holds the conversation.
func TestChatWeightsTruncated(t *testing.T) {
	for _, when := range []string{"mid-reply", "between messages"} {
		t.Run(when, func(t *testing.T) {
			m := randomModel(t)
			weightsFile := filepath.Join(m, "model.safetensors")
			intact, err := os.ReadFile(weightsFile)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			sess := filepath.Join(dir, "talk.chs")
			maxTokens := "100000"
			if when != "mid-reply" {
				maxTokens = "4"
			}
			lc := startChat(t, dir, "chat", "--model", m, "--max-tokens", maxTokens, "--session", sess)
			lc.send("hello")
			if when == "mid-reply" {
				lc.waitUntil(func(out string) bool { return len(out) > 0 }, "the start of the reply")
			} else {
				lc.send("/history")
				lc.waitStdout("tokens of", 1)
			}
			if err := os.Truncate(weightsFile, 4096); err != nil {
				t.Fatal(err)
			}
			if when != "mid-reply" {
				lc.send("and now?")
			}
			r := lc.wait(false)
			if r.code == 0 {
				t.Fatalf("exit 0 after the weights were truncated\nstderr: %s", r.stderr)
			}
			line := strings.TrimSpace(r.stderr)
			if strings.Contains(line, "\n") || !strings.HasPrefix(line, "chatumm: ") ||
				!strings.Contains(line, weightsFile) || !strings.Contains(line, "saved to "+sess) {
				t.Fatalf("stderr %q, want one line naming %s and saying the conversation was saved", r.stderr, weightsFile)
			}
			// The same weights again: the session resumes with its turns.
			writeFile(t, weightsFile, intact)
			if h := resumedTurns(t, dir, sess, "--model", m); !strings.Contains(h, " 1 user  hello") {
				t.Errorf("resumed history lacks the message:\n%s", clipText(h, 1000))
			}
		})
	}
}

// TestSessionAcrossProcesses: a session saved by one process resumes in
// another, for the embedded model and for a model directory with a VQ-GAN
// (the fingerprint is content only), with and without its KV cache, on
// exit (--session) and through /save and /load.
func TestSessionAcrossProcesses(t *testing.T) {
	models := map[string][]string{
		"embedded":          nil,
		"directory with VQ": {"--model", repoPath(t, "model", "embedded", "chatumm-tiny")},
	}
	for name, modelArgs := range models {
		for _, kv := range []bool{false, true} {
			label := name
			if kv {
				label += " with KV"
			}
			t.Run(label, func(t *testing.T) {
				dir := t.TempDir()
				sess := filepath.Join(dir, "talk.chs")
				args := append(append([]string{"chat"}, modelArgs...), "--session", sess, "--max-tokens", "8")
				if kv {
					args = append(args, "--save-kv")
				}
				r := invoke(t, invocation{args: args, stdin: "hello\n/save copy.chs\n", dir: dir})
				wantSuccess(t, r, args...)
				h := resumedTurns(t, dir, sess, modelArgs...)
				if !strings.Contains(h, " 1 user  hello") || len(turnLine.FindAllString(h, -1)) != 2 {
					t.Errorf("resumed history, want the 2 turns of the first run:\n%s", h)
				}
				load := append(append([]string{"chat"}, modelArgs...), "--max-tokens", "1")
				r = invoke(t, invocation{args: load, stdin: "/load copy.chs\n/history\n", dir: dir})
				wantSuccess(t, r, load...)
				if !strings.Contains(r.stdout, "(loaded copy.chs: 2 turns)") || r.stderr != "" {
					t.Errorf("/load in a new process: stdout %q, stderr %q", r.stdout, r.stderr)
				}
			})
		}
	}
}

// TestChatReplyFillsContext: a reply that runs into the end of the context
// leaves a session that fits it, so the next run resumes it.
func TestChatReplyFillsContext(t *testing.T) {
	dir := t.TempDir()
	sess := filepath.Join(dir, "full.chs")
	m := refDir(t, "chameleon-mot")
	args := []string{"chat", "--model", m, "--ctx", "24", "--temp", "1", "--max-tokens", "1000", "--session", sess}
	r := invoke(t, invocation{args: args, stdin: "hello there, tell me a long story\n", dir: dir})
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	h := resumedTurns(t, dir, sess, "--model", m, "--ctx", "24")
	if !strings.Contains(h, "(24 tokens of 24)") { // the reply ran to the end of the context
		t.Errorf("resumed history:\n%s", h)
	}
}
