package session

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime"
)

// FuzzParseSession: a session file is user input (and may be damaged). The
// fuzzer mutates real sessions, with and without a KV cache; with resum it
// rewrites the checksum so that mutations reach the header, the JSON and
// the KV section instead of all failing the SHA-256. Loading must never
// panic, must leave the conversation unchanged on error, and a session it
// accepts must fit the conversation's context.
func FuzzParseSession(f *testing.F) {
	pool := runtime.NewPool(1)
	m, err := model.Load(motDir, model.Options{Pool: pool})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { m.Close(); pool.Close() })
	c, _ := chat.New(m)
	c.AddUser("a red square", nil)
	c.Reply(context.Background(), sample.New(1), chat.GenOptions{MaxTokens: 6}, nil)
	dir := f.TempDir()
	for _, withKV := range []bool{false, true} {
		p := filepath.Join(dir, "seed.chs")
		if err := Save(p, c, withKV); err != nil {
			f.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
		f.Add(data, true)
	}
	f.Add([]byte(sessionMagic), true)
	conv, _ := chat.New(m)
	path := filepath.Join(dir, "fuzz.chs")
	f.Fuzz(func(t *testing.T, data []byte, resum bool) {
		if resum && len(data) >= sha256.Size {
			body := data[:len(data)-sha256.Size]
			sum := sha256.Sum256(body)
			data = append(append([]byte(nil), body...), sum[:]...)
		}
		h, _, perr := parseSession(data)
		if perr == nil && h == nil {
			t.Fatalf("parseSession: no header and no error")
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		conv.Reset()
		before := len(conv.Tokens())
		err := Load(path, conv)
		if err != nil {
			if len(conv.Tokens()) != before || len(conv.Turns()) != 0 {
				t.Fatalf("failed Load (%v) changed the conversation", err)
			}
			return
		}
		if perr != nil {
			t.Fatalf("Load accepted what parseSession refused (%v)", perr)
		}
		if n := len(conv.Tokens()); n > conv.Capacity() || conv.Cached() > n {
			t.Fatalf("loaded %d tokens (%d cached) into a context of %d", n, conv.Cached(), conv.Capacity())
		}
		prev := 0
		for i, turn := range conv.Turns() {
			if turn.Start < prev || turn.End < turn.Start || turn.End > len(conv.Tokens()) {
				t.Fatalf("loaded turn %d spans [%d, %d) of %d tokens", i, turn.Start, turn.End, len(conv.Tokens()))
			}
			prev = turn.End
		}
	})
}
