package cli

// The chat REPL end to end: the binary reads messages and /commands from a
// pipe, as from a person typing, and exits 0 at EOF.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestChatREPL drives the chat through a pipe: commands, errors that must
// not end the conversation, and EOF, which exits 0.
func TestChatREPL(t *testing.T) {
	dir := t.TempDir()
	corrupt, _ := os.ReadFile(cliData(t, "session-corrupt.chs"))
	writeFile(t, filepath.Join(dir, "corrupt.chs"), corrupt)
	stdin := strings.Join([]string{
		"hello there",
		"/history",
		"/save first.chs",
		"/reset",
		"/history",
		"/load first.chs",
		"/load corrupt.chs",
		"/load no-such-session.chs",
		"/image missing.png",
		"tell me about @also-missing.png",
		"/frobnicate now",
		"/save",
		"what now?",
		"/history",
	}, "\n") + "\n"
	args := []string{"chat", "--model", refDir(t, "chameleon-mot"), "--max-tokens", "4"}
	r := invoke(t, invocation{args: args, stdin: stdin, dir: dir})
	wantSuccess(t, r, args...)

	errLines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	wantErrs := [][]string{
		{"corrupt.chs"},
		{"no-such-session.chs", "no such file"},
		{"missing.png", "no such file"},
		{"VQ encoder"}, // @PATH to a model that cannot read images
		{"unknown command /frobnicate"},
		{"/save needs a file name"},
	}
	if len(errLines) != len(wantErrs) {
		t.Fatalf("stderr has %d lines, want %d errors:\n%s", len(errLines), len(wantErrs), r.stderr)
	}
	for i, w := range wantErrs {
		if !strings.HasPrefix(errLines[i], "error: ") {
			t.Errorf("stderr line %q does not start with \"error: \"", errLines[i])
		}
		for _, s := range w {
			if !strings.Contains(errLines[i], s) {
				t.Errorf("error line %q does not mention %q", errLines[i], s)
			}
		}
	}
	for _, s := range []string{"(saved first.chs)", "(conversation cleared)", "(loaded first.chs: 2 turns)"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
	// The three /history listings: 2 turns, none after /reset, then 4 at the
	// end (the 2 loaded ones and the exchange after the errors).
	hist := regexp.MustCompile(`(?m)^\((\d+) tokens of (\d+)\)$`).FindAllStringSubmatch(r.stdout, -1)
	if len(hist) != 3 {
		t.Fatalf("%d /history footers, want 3:\n%s", len(hist), r.stdout)
	}
	turnLines := regexp.MustCompile(`(?m)^ *\d+ (user|model) `).FindAllString(r.stdout, -1)
	if len(turnLines) != 2+0+4 {
		t.Errorf("/history listed %d turns in all, want 2 + 0 + 4:\n%s", len(turnLines), r.stdout)
	}
	if !strings.Contains(r.stdout, " 3 user  what now?") {
		t.Errorf("the message after the errors is not turn 3:\n%s", r.stdout)
	}
	if hist[1][1] != "1" {
		t.Errorf("after /reset the history holds %s tokens, want 1 (<s>)", hist[1][1])
	}
}

// TestChatImages: with a VQ-GAN (--vq), /image and @PATH attach images; a
// missing or broken image is an error line and the chat goes on.
func TestChatImages(t *testing.T) {
	dir := t.TempDir()
	img, err := os.ReadFile(repoPath(t, "testdata", "ref", "vq-image.png"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "pic.png"), img)
	writeFile(t, filepath.Join(dir, "text.png"), []byte("not an image"))
	stdin := strings.Join([]string{
		"/image missing.png",
		"/image pic.png",
		"what is it?",
		"and this? @text.png",
		"and this one? @pic.png",
		"/history",
	}, "\n") + "\n"
	args := []string{"chat", "--model", refDir(t, "chameleon-mot"), "--vq", refDir(t, "vq-anole"), "--max-tokens", "4"}
	r := invoke(t, invocation{args: args, stdin: stdin, dir: dir})
	wantSuccess(t, r, args...)
	errLines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(errLines) != 2 || !strings.Contains(errLines[0], "missing.png") || !strings.Contains(errLines[1], "text.png") {
		t.Errorf("stderr %q, want one error line for missing.png, one for text.png", r.stderr)
	}
	for _, s := range []string{"(image pic.png attached to your next message)", " 1 user  [image pic.png] what is it?",
		" 3 user  [image pic.png] and this one?"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
}

// TestChatSession: --session creates the file on exit, a second run resumes
// it, and a session of another model is refused.
func TestChatSession(t *testing.T) {
	dir := t.TempDir()
	sess := filepath.Join(dir, "talk.chs")
	args := []string{"chat", "--model", refDir(t, "chameleon-mot"), "--max-tokens", "4", "--session", sess}
	r := invoke(t, invocation{args: args, stdin: "hello\n", dir: dir})
	wantSuccess(t, r, args...)
	if _, err := os.Stat(sess); err != nil {
		t.Fatalf("session not saved on exit: %v (stderr %q)", err, r.stderr)
	}
	r = invoke(t, invocation{args: args, stdin: "/history\nand again\n", dir: dir})
	wantSuccess(t, r, args...)
	if !strings.Contains(r.stderr, "resumed "+sess+": 2 turns") {
		t.Errorf("second run did not resume: stderr %q", r.stderr)
	}
	if !strings.Contains(r.stdout, " 1 user  hello") {
		t.Errorf("resumed history lacks the first message:\n%s", r.stdout)
	}
	r = invoke(t, invocation{args: args, stdin: "/history\n", dir: dir})
	wantSuccess(t, r, args...)
	if !strings.Contains(r.stderr, "resumed "+sess+": 4 turns") {
		t.Errorf("third run: stderr %q, want 4 turns resumed", r.stderr)
	}

	other := []string{"chat", "--model", refDir(t, "llama"), "--session", sess}
	r = invoke(t, invocation{args: other, stdin: "hi\n", dir: dir})
	wantError(t, r, other, sess)
	// /load of the foreign session inside a chat is an error line; the chat goes on.
	other = []string{"chat", "--model", refDir(t, "llama"), "--max-tokens", "2"}
	r = invoke(t, invocation{args: other, stdin: "/load " + sess + "\nhi\n/history\n", dir: dir})
	wantSuccess(t, r, other...)
	if !strings.HasPrefix(r.stderr, "error: ") || !strings.Contains(r.stderr, sess) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("foreign /load: stderr %q, want one error line naming the file", r.stderr)
	}
	if !strings.Contains(r.stdout, " 1 user  hi") {
		t.Errorf("chat did not continue after the failed /load:\n%s", r.stdout)
	}
}
