package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/embedded"
	"github.com/chatumm/chatumm/model/sample"
)

var (
	embeddedOnce  sync.Once
	embeddedModel *model.Model
	embeddedErr   error
)

// testModel is the embedded model, loaded once for the package: it is
// safe for concurrent use, and every server here shares it.
func testModel(t *testing.T) *model.Model {
	t.Helper()
	embeddedOnce.Do(func() { embeddedModel, embeddedErr = embedded.Load(model.Options{}) })
	if embeddedErr != nil {
		t.Fatal(embeddedErr)
	}
	return embeddedModel
}

func newTestServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	cfg.Model = testModel(t)
	if cfg.Gen.MaxTokens == 0 {
		cfg.Gen = chat.GenOptions{MaxTokens: 48, Text: defaultText(), Image: defaultText()}
	}
	if cfg.Queue == 0 {
		cfg.Queue = 64
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close) // after the HTTP server (cleanups run last first)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

func post(t *testing.T, url, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// chatResp is the part of a chat completion the tests read.
type chatResp struct {
	Choices []struct {
		Message struct {
			Content string `json:"content"`
			Images  []struct {
				ImageURL struct {
					URL string `json:"url"`
				} `json:"image_url"`
			} `json:"images"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		Details          struct {
			Cached int `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
	} `json:"usage"`
	Error *struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	} `json:"error"`
}

func chatOK(t *testing.T, url string, req any) chatResp {
	t.Helper()
	resp, data := post(t, url+"/v1/chat/completions", mustJSON(t, req))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	var out chatResp
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	if len(out.Choices) != 1 {
		t.Fatalf("%d choices: %s", len(out.Choices), data)
	}
	return out
}

// pngOf decodes a data URL's PNG bytes.
func pngOf(t *testing.T, url string) []byte {
	t.Helper()
	b64, ok := strings.CutPrefix(url, "data:image/png;base64,")
	if !ok {
		t.Fatalf("not a PNG data URL: %.40s", url)
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Fatalf("not a PNG: %v", err)
	}
	return data
}

func user(text string, images ...string) map[string]any {
	parts := []any{}
	for _, u := range images {
		parts = append(parts, map[string]any{"type": "image_url", "image_url": map[string]any{"url": u}})
	}
	parts = append(parts, map[string]any{"type": "text", "text": text})
	return map[string]any{"role": "user", "content": parts}
}

func defaultText() sample.Params { return sample.Params{TopP: 0.9} }
