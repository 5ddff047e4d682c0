package serve

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

const drawRed = "draw a big red circle in the center on a gray background."

// TestDrawThenAsk: a picture drawn through chat completions (modalities
// text+image), resent as history, is recognised by hash and answered
// about; the answer names the colour drawn.
func TestDrawThenAsk(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	first := chatOK(t, ts.URL, map[string]any{"model": "chatumm-tiny", "messages": []any{user(drawRed)}, "modalities": []string{"text", "image"}})
	msg := first.Choices[0].Message
	if len(msg.Images) != 1 {
		t.Fatalf("want one image, got %d (text %q)", len(msg.Images), msg.Content)
	}
	pngOf(t, msg.Images[0].ImageURL.URL)
	history := []any{user(drawRed), map[string]any{"role": "assistant", "content": msg.Content, "images": msg.Images},
		user("what color is the circle?")}
	second := chatOK(t, ts.URL, map[string]any{"messages": history})
	if !strings.Contains(second.Choices[0].Message.Content, "red") {
		t.Errorf("answer %q does not name the red drawn", second.Choices[0].Message.Content)
	}
	// Everything up to the new question came from the slot's KV cache,
	// but the reply's closing token: it is run with the next turn.
	if got, want := second.Usage.Details.Cached, first.Usage.PromptTokens+first.Usage.CompletionTokens-1; got < want {
		t.Errorf("cached %d tokens of the resent history, want at least %d", got, want)
	}
	// The same picture attached by a user is answered about too.
	third := chatOK(t, ts.URL, map[string]any{"messages": []any{user("what color is the circle?", msg.Images[0].ImageURL.URL)}})
	if !strings.Contains(third.Choices[0].Message.Content, "red") {
		t.Errorf("answer about an attached picture %q does not say red", third.Choices[0].Message.Content)
	}
}

// TestStreamSSE: a streamed completion arrives as data: chunks, image
// progress before the image, then a finish reason, usage and [DONE].
func TestStreamSSE(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	resp, err := http.Post(ts.URL+"/v1/chat/completions", "application/json", strings.NewReader(mustJSON(t, map[string]any{
		"messages": []any{user(drawRed)}, "stream": true, "modalities": []string{"text", "image"},
		"stream_options": map[string]any{"include_usage": true}})))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	var progress, images, finish int
	var sawUsage, sawDone bool
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("not an SSE data line: %q", line)
		}
		if data == "[DONE]" {
			sawDone = true
			continue
		}
		var c struct {
			Choices []struct {
				Delta struct {
					ImageProgress *struct{ Done, Total int } `json:"image_progress"`
					Images        []any                      `json:"images"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *struct {
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatal(err)
		}
		if c.Usage != nil {
			sawUsage = c.Usage.CompletionTokens > 0
		}
		for _, ch := range c.Choices {
			if ch.Delta.ImageProgress != nil {
				if images > 0 {
					t.Error("progress after the image")
				}
				progress++
			}
			images += len(ch.Delta.Images)
			if ch.FinishReason != nil {
				finish++
			}
		}
	}
	if progress == 0 || images != 1 || finish != 1 || !sawUsage || !sawDone {
		t.Errorf("progress %d, images %d, finish reasons %d, usage %v, [DONE] %v", progress, images, finish, sawUsage, sawDone)
	}
}

// TestMultiTurnPrefix: an 8-turn dialogue resent as full history each
// time prefills only its new tokens (the server's reported cached count),
// and the 8th turn's prefill is much cheaper than a cold server's.
func TestMultiTurnPrefix(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	var history []any
	questions := []string{drawRed, "what color is the circle?", "make the circle blue.", "what color is the circle?",
		"draw a small green square at the top left on a white background.", "what shape is it?", "make the square yellow.", "what color is the square?"}
	var last chatResp
	for i, q := range questions {
		history = append(history, user(q))
		last = chatOK(t, ts.URL, map[string]any{"messages": history, "modalities": []string{"text", "image"}})
		m := last.Choices[0].Message
		history = append(history, map[string]any{"role": "assistant", "content": m.Content, "images": m.Images})
		if i > 0 {
			newTokens := last.Usage.PromptTokens - last.Usage.Details.Cached
			if newTokens > 40 {
				t.Errorf("turn %d: %d of %d prompt tokens prefilled again, want only the new question's", i+1, newTokens, last.Usage.PromptTokens)
			}
		}
	}
	// The same 8th request on a fresh server prefills everything.
	_, cold := newTestServer(t, Config{})
	c := chatOK(t, cold.URL, map[string]any{"messages": history[:len(history)-1], "modalities": []string{"text", "image"}})
	if c.Usage.Details.Cached > 1 {
		t.Errorf("a cold server reused %d tokens", c.Usage.Details.Cached)
	}
	if c.Usage.PromptTokens != last.Usage.PromptTokens {
		t.Errorf("cold history %d tokens, warm %d: the layouts differ", c.Usage.PromptTokens, last.Usage.PromptTokens)
	}
	t.Logf("8th turn: %d prompt tokens, %d prefilled warm, %d cold", last.Usage.PromptTokens, last.Usage.PromptTokens-last.Usage.Details.Cached, c.Usage.PromptTokens)
}

func TestImagesEndpoints(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	resp, data := post(t, ts.URL+"/v1/images/generations", `{"prompt":"`+drawRed+`","n":2,"response_format":"b64_json"}`)
	var gen struct {
		Data []struct {
			B64 string `json:"b64_json"`
		} `json:"data"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(data, &gen) != nil || len(gen.Data) != 2 {
		t.Fatalf("generations: %d %s", resp.StatusCode, data)
	}
	png, err := base64.StdEncoding.DecodeString(gen.Data[0].B64)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatal("generations: not a PNG")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("image", "in.png")
	fw.Write(png)
	mw.WriteField("prompt", "make the circle blue.")
	mw.Close()
	r2, err := http.Post(ts.URL+"/v1/images/edits", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Body.Close()
	var edit struct {
		Data []struct {
			B64 string `json:"b64_json"`
		} `json:"data"`
	}
	if r2.StatusCode != 200 || json.NewDecoder(r2.Body).Decode(&edit) != nil || len(edit.Data) != 1 || edit.Data[0].B64 == "" {
		t.Fatalf("edits: status %d", r2.StatusCode)
	}
	if resp, data := post(t, ts.URL+"/v1/images/generations", `{"prompt":"x","size":"1024x1024"}`); resp.StatusCode != 400 || !strings.Contains(string(data), "24x24") {
		t.Errorf("unsupported size: %d %s", resp.StatusCode, data)
	}
}

func TestOllama(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	resp, data := post(t, ts.URL+"/api/chat", `{"model":"chatumm-tiny:latest","messages":[{"role":"user","content":"`+drawRed+`"}]}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var final map[string]any
	var image string
	for _, l := range lines {
		var v struct {
			Done    bool `json:"done"`
			Message struct {
				Images []string `json:"images"`
			} `json:"message"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if len(v.Message.Images) > 0 {
			image = v.Message.Images[0]
		}
		if v.Done {
			json.Unmarshal([]byte(l), &final)
		}
	}
	if final == nil || final["eval_count"].(float64) <= 0 || final["prompt_eval_count"].(float64) <= 0 || image == "" {
		t.Fatalf("final %v, image %d bytes", final, len(image))
	}
	// Ask about the drawn picture, not streamed.
	resp, data = post(t, ts.URL+"/api/chat", mustJSON(t, map[string]any{"stream": false, "messages": []any{
		map[string]any{"role": "user", "content": "what color is the circle?", "images": []string{image}}}}))
	var one struct {
		Message struct{ Content string } `json:"message"`
		Done    bool                     `json:"done"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(data, &one) != nil || !one.Done || !strings.Contains(one.Message.Content, "red") {
		t.Errorf("non-streamed chat: %d %s", resp.StatusCode, data)
	}
	resp, data = post(t, ts.URL+"/api/generate", `{"prompt":"what color is the circle?","images":["`+image+`"],"stream":false}`)
	if resp.StatusCode != 200 || !strings.Contains(string(data), "red") {
		t.Errorf("generate: %d %s", resp.StatusCode, data)
	}
	for _, path := range []string{"/api/tags", "/api/version"} {
		r, err := http.Get(ts.URL + path)
		if err != nil || r.StatusCode != 200 {
			t.Errorf("%s: %v %v", path, err, r.StatusCode)
		}
	}
	if resp, data := post(t, ts.URL+"/api/show", `{"model":"chatumm-tiny"}`); resp.StatusCode != 200 || !strings.Contains(string(data), "vision") {
		t.Errorf("show: %d %s", resp.StatusCode, data)
	}
	if resp, data := post(t, ts.URL+"/api/chat", `{"model":"llama3","messages":[{"role":"user","content":"hi"}]}`); resp.StatusCode != 404 || !strings.Contains(string(data), `"error"`) {
		t.Errorf("unknown model: %d %s", resp.StatusCode, data)
	}
}

func TestAuth(t *testing.T) {
	_, ts := newTestServer(t, Config{APIKey: "s3cret"})
	for _, tc := range []struct {
		header string
		want   int
	}{{"", 401}, {"Bearer wrong", 401}, {"Bearer s3cret", 200}} {
		req, _ := http.NewRequest("GET", ts.URL+"/v1/models", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: status %d, want %d", tc.header, resp.StatusCode, tc.want)
		}
	}
	// The page itself is public (it asks for the key).
	if r, err := http.Get(ts.URL + "/"); err != nil || r.StatusCode != 200 {
		t.Errorf("page: %v", err)
	}
	if !IsLoopback("127.0.0.1") || !IsLoopback("::1") || !IsLoopback("localhost") || IsLoopback("0.0.0.0") || IsLoopback("192.168.1.2") {
		t.Error("IsLoopback")
	}
}

func TestPage(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	for path, want := range map[string]string{"/": "app.js", "/static/app.js": "localStorage", "/static/style.css": "pixelated"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(b.String(), want) {
			t.Errorf("%s: status %d, %q missing", path, resp.StatusCode, want)
		}
	}
	if resp, _ := http.Get(ts.URL + "/static/../serve.go"); resp.StatusCode != 404 {
		t.Errorf("path escape: %d", resp.StatusCode)
	}
}
