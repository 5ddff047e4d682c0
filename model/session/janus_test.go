package session

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime"
)

// TestJanusSessionAfterDrawing: a Janus dialogue with a picture read from
// a file, saved right after a picture was drawn (its codes are ids above
// the vocabulary), resumes with or without its KV cache and goes on: the
// pictures are read again (from the file, from the codes) as needed.
func TestJanusSessionAfterDrawing(t *testing.T) {
	m, err := model.Load(filepath.Join("..", "..", "testdata", "ref", "janus-a"), model.Options{Pool: runtime.NewPool(2), F32KV: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, _ := chat.New(m)
	pic := filepath.Join("..", "..", "testdata", "ref", "janus-a", "image.png")
	feats, err := m.ReadImageFeatures(pic)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddUser("look", []chat.Image{{Features: feats, Path: pic}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Reply(context.Background(), sample.New(1), chat.GenOptions{MaxTokens: 2}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.AddUserDrawing("a red cat", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Reply(context.Background(), sample.New(1), chat.GenOptions{StartImage: true, Guidance: model.GuidanceSchemes["janus"], TextScale: 5}, nil); err != nil {
		t.Fatal(err)
	}
	for _, withKV := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "s.chatumm")
		if err := Save(path, c, withKV); err != nil {
			t.Fatal(err)
		}
		r, _ := chat.New(m)
		if err := Load(path, r); err != nil {
			t.Fatalf("kv %v: %v", withKV, err)
		}
		if err := r.AddUser("what is it?", nil); err != nil {
			t.Fatalf("kv %v: %v", withKV, err)
		}
		if got := r.Turns()[3].Images[0].Features; len(got) != m.Cfg.Janus.ImageTokens*m.Cfg.Dim {
			t.Fatalf("kv %v: the resumed picture was not re-read (%d features)", withKV, len(got))
		}
		if _, err := r.Reply(context.Background(), sample.New(1), chat.GenOptions{MaxTokens: 3}, nil); err != nil {
			t.Fatalf("kv %v: %v", withKV, err)
		}
	}
}
