package session

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime"
)

const motDir = "../../testdata/ref/chameleon-mot"

func loadModel(t *testing.T, dir string, opts model.Options) *model.Model {
	t.Helper()
	if opts.Pool == nil {
		opts.Pool = runtime.NewPool(2)
	}
	m, err := model.Load(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func greedy() chat.GenOptions { return chat.GenOptions{MaxTokens: 6} }

// TestSessionRoundTrip: save and load (with and without the KV cache) give
// the same next reply as the original conversation.
func TestSessionRoundTrip(t *testing.T) {
	m := loadModel(t, motDir, model.Options{})
	c, _ := chat.New(m)
	smp := sample.New(3)
	c.AddUser("a red square", nil)
	c.Reply(context.Background(), smp, greedy(), nil)
	dir := t.TempDir()
	for _, withKV := range []bool{false, true} {
		path := filepath.Join(dir, "s.chatumm")
		if err := Save(path, c, withKV); err != nil {
			t.Fatal(err)
		}
		d, _ := chat.New(m)
		if err := Load(path, d); err != nil {
			t.Fatal(err)
		}
		if len(d.Tokens()) != len(c.Tokens()) || len(d.Turns()) != len(c.Turns()) {
			t.Fatalf("kv=%v: loaded %d tokens/%d turns, want %d/%d", withKV, len(d.Tokens()), len(d.Turns()), len(c.Tokens()), len(c.Turns()))
		}
		if withKV && d.Cached() == 0 {
			t.Fatal("KV cache was not restored")
		}
		// Same continuation from both.
		a := cloneAndReply(t, c, "and now?")
		b := cloneAndReply(t, d, "and now?")
		if a != b {
			t.Fatalf("kv=%v: reply after load %q, want %q", withKV, b, a)
		}
	}
}

func cloneAndReply(t *testing.T, c *chat.Conversation, msg string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clone")
	if err := Save(path, c, false); err != nil {
		t.Fatal(err)
	}
	d, _ := chat.New(c.M)
	if err := Load(path, d); err != nil {
		t.Fatal(err)
	}
	if err := d.AddUser(msg, nil); err != nil {
		t.Fatal(err)
	}
	turn, err := d.Reply(context.Background(), sample.New(9), greedy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return turn.Text + "|" + strings.Repeat("x", turn.End-turn.Start)
}

// TestBadSessions: corrupt, truncated, foreign and other-model files are
// clear errors and leave the conversation untouched.
func TestBadSessions(t *testing.T) {
	m := loadModel(t, motDir, model.Options{})
	c, _ := chat.New(m)
	c.AddUser("hello", nil)
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := Save(good, c, true); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	before := append([]int(nil), c.Tokens()...)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x40
	other := loadModel(t, "../../testdata/ref/lumina-qknorm", model.Options{})
	oc, _ := chat.New(other)
	oc.AddUser("hi", nil)
	otherPath := filepath.Join(dir, "other")
	if err := Save(otherPath, oc, false); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		write("flipped", flipped):               "checksum",
		write("truncated", data[:len(data)-40]): "checksum",
		write("short", data[:10]):               "truncated",
		write("empty", nil):                     "not a chatumm session",
		write("foreign", []byte("PK\x03\x04 a zip file, not a session at all........................")): "not a chatumm session",
		otherPath:                     "another model",
		filepath.Join(dir, "missing"): "no such file",
	}
	for path, want := range cases {
		err := Load(path, c)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), filepath.Base(path)) {
			t.Errorf("%s: got %v, want an error naming the file and containing %q", filepath.Base(path), err, want)
		}
		if len(c.Tokens()) != len(before) {
			t.Fatalf("%s: a failed load changed the conversation", filepath.Base(path))
		}
	}
}
