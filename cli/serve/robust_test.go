package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatumm/chatumm/model/chat"
)

// TestMalformed: each bad request gets its 4xx in the API's error shape,
// and the server keeps serving afterwards.
func TestMalformed(t *testing.T) {
	_, ts := newTestServer(t, Config{MaxBody: 1 << 20})
	many := make([]any, 10000)
	for i := range many {
		many[i] = map[string]any{"role": "user", "content": "hi"}
	}
	// A PNG header declaring 20000×20000 pixels, and nothing else.
	var bomb bytes.Buffer
	bomb.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"))
	binary.Write(&bomb, binary.BigEndian, [2]uint32{20000, 20000})
	bomb.Write([]byte{8, 2, 0, 0, 0})
	binary.Write(&bomb, binary.BigEndian, crc32.ChecksumIEEE(bomb.Bytes()[12:]))
	huge := "data:image/png;base64," + base64.StdEncoding.EncodeToString(bomb.Bytes())
	notImage := "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("this is not a picture at all"))
	cases := []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"bad JSON", "/v1/chat/completions", `{"messages": [`, 400, "ends in the middle"},
		{"not JSON", "/v1/chat/completions", `hello`, 400, "invalid JSON"},
		{"empty body", "/v1/chat/completions", ``, 400, "empty request body"},
		{"trailing data", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]} {}`, 400, "data after"},
		{"wrong type", "/v1/chat/completions", `{"messages":"hi"}`, 400, "messages"},
		{"wrong type temperature", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"temperature":"hot"}`, 400, "temperature"},
		{"content number", "/v1/chat/completions", `{"messages":[{"role":"user","content":5}]}`, 400, "content"},
		{"bad role", "/v1/chat/completions", `{"messages":[{"role":"wizard","content":"hi"}]}`, 400, "role"},
		{"no messages", "/v1/chat/completions", `{"messages":[]}`, 400, "at least one"},
		{"last is assistant", "/v1/chat/completions", `{"messages":[{"role":"assistant","content":"hi"}]}`, 400, "last message"},
		{"n=2", "/v1/chat/completions", `{"n":2,"messages":[{"role":"user","content":"hi"}]}`, 400, "n = 1"},
		{"NaN-ish top_p", "/v1/chat/completions", `{"top_p":7,"messages":[{"role":"user","content":"hi"}]}`, 400, "top_p"},
		{"unknown model", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, 404, "not found"},
		{"bad base64", "/v1/chat/completions", mustJSON(t, map[string]any{"messages": []any{user("hi", "data:image/png;base64,@@@@")}}), 400, "base64"},
		{"not an image", "/v1/chat/completions", mustJSON(t, map[string]any{"messages": []any{user("hi", notImage)}}), 400, "not a PNG or JPEG"},
		{"remote URL", "/v1/chat/completions", mustJSON(t, map[string]any{"messages": []any{user("hi", "https://example.com/a.png")}}), 400, "offline"},
		{"huge picture", "/v1/chat/completions", mustJSON(t, map[string]any{"messages": []any{user("hi", huge)}}), 413, "megapixels"},
		{"gif", "/v1/chat/completions", mustJSON(t, map[string]any{"messages": []any{user("hi", "data:image/gif;base64,R0lG")}}), 400, "PNG or JPEG"},
		{"10,000 messages", "/v1/chat/completions", mustJSON(t, map[string]any{"messages": many}), 400, "at most"},
		{"huge body", "/v1/chat/completions", `{"messages":[{"role":"user","content":"` + strings.Repeat("a", 2<<20) + `"}]}`, 413, "larger than"},
		{"context overflow", "/v1/chat/completions", `{"messages":[{"role":"user","content":"` + strings.Repeat("red circle ", 2000) + `"}]}`, 400, "context"},
		{"no route", "/v1/embeddings", `{}`, 404, "no route"},
		{"ollama bad JSON", "/api/chat", `{"messages": [{]`, 400, "invalid JSON"},
		{"ollama bad base64", "/api/chat", `{"messages":[{"role":"user","content":"hi","images":["!!!"]}]}`, 400, "base64"},
		{"ollama wrong type", "/api/generate", `{"prompt":42}`, 400, "prompt"},
		{"images bad n", "/v1/images/generations", `{"prompt":"x","n":100}`, 400, "n 100"},
		{"images url format", "/v1/images/generations", `{"prompt":"x","response_format":"url"}`, 400, "b64_json"},
		{"edits not multipart", "/v1/images/edits", `{"prompt":"x"}`, 400, "multipart"},
	}
	for _, tc := range cases {
		resp, data := post(t, ts.URL+tc.path, tc.body)
		if resp.StatusCode != tc.status || !strings.Contains(string(data), tc.want) {
			t.Errorf("%s: status %d, body %.200s; want %d and %q", tc.name, resp.StatusCode, data, tc.status, tc.want)
		}
		ollama := strings.HasPrefix(tc.path, "/api/")
		if ollama != !strings.Contains(string(data), `"type"`) {
			t.Errorf("%s: error not in the %s shape: %.200s", tc.name, map[bool]string{true: "ollama", false: "OpenAI"}[ollama], data)
		}
	}
	chatOK(t, ts.URL, map[string]any{"messages": []any{user("hi")}})
}

// TestConcurrentNotMixed: different dialogues sent at once on four slots
// each get exactly the reply they get alone (seeded sampling makes every
// reply depend on its own request only), so no reply holds another's
// tokens. Also with the slots' decode steps batched (BatchOn): the
// replies are those of an unbatched server, and steps did run together.
func TestConcurrentNotMixed(t *testing.T) {
	for _, mode := range []BatchMode{BatchOff, BatchOn} {
		t.Run(fmt.Sprint("batch=", mode == BatchOn), func(t *testing.T) { testConcurrentNotMixed(t, mode) })
	}
}

func testConcurrentNotMixed(t *testing.T, mode BatchMode) {
	s, ts := newTestServer(t, Config{Parallel: 4, Cache: 6, Batch: mode})
	_, aloneTS := newTestServer(t, Config{Parallel: 1, Batch: BatchOff})
	colors := []string{"red", "blue", "green", "yellow", "purple", "orange", "white", "gray"}
	req := func(k int) map[string]any {
		return map[string]any{"seed": k, "temperature": 0.9, "max_tokens": 24, "modalities": []string{"text", "image"},
			"messages": []any{user(fmt.Sprintf("draw a big %s circle in the center on a gray background.", colors[k%len(colors)]))}}
	}
	const n = 12
	alone := make([]string, n)
	for k := range alone {
		r := chatOK(t, aloneTS.URL, req(k))
		alone[k] = r.Choices[0].Message.Content + "|" + fmt.Sprint(len(r.Choices[0].Message.Images))
		if len(r.Choices[0].Message.Images) > 0 {
			alone[k] += r.Choices[0].Message.Images[0].ImageURL.URL
		}
	}
	together := make([]string, n)
	var wg sync.WaitGroup
	for k := 0; k < n; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := chatOK(t, ts.URL, req(k))
			together[k] = r.Choices[0].Message.Content + "|" + fmt.Sprint(len(r.Choices[0].Message.Images))
			if len(r.Choices[0].Message.Images) > 0 {
				together[k] += r.Choices[0].Message.Images[0].ImageURL.URL
			}
		}()
	}
	wg.Wait()
	for k := range alone {
		if alone[k] != together[k] {
			t.Errorf("request %d: reply under load differs from its reply alone", k)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(alone)))) < n/2 {
		t.Fatal("the requests' replies are too alike for the test to see a mix-up")
	}
	if s.pool.busy() != 0 {
		t.Errorf("%d slots still busy", s.pool.busy())
	}
	if s.Batched() != (mode == BatchOn) {
		t.Fatalf("Batched() = %v with mode %d", s.Batched(), mode)
	}
	if mode == BatchOn {
		forwards, rows := s.batcher.Stats()
		if rows <= forwards {
			t.Errorf("%d batched forwards covered %d rows: no steps ran together", forwards, rows)
		}
		t.Logf("%d forwards, %.2f rows each", forwards, float64(rows)/float64(max(forwards, 1)))
	}
}

// TestQueueFull: with every permit held and no queue, a request is
// refused at once: 429 with Retry-After (OpenAI), 503 (ollama).
func TestQueueFull(t *testing.T) {
	s, ts := newTestServer(t, Config{Parallel: 1, Queue: -1})
	release, err := s.pool.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	resp, data := post(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("OpenAI: %d %s", resp.StatusCode, data)
	}
	resp, data = post(t, ts.URL+"/api/chat", `{"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("ollama: %d %s", resp.StatusCode, data)
	}
	release()
	chatOK(t, ts.URL, map[string]any{"messages": []any{user("hi")}})
}

// TestDisconnectFreesSlot: a client that goes away mid-stream stops its
// generation; the slot is free again and the next request is served.
func TestDisconnectFreesSlot(t *testing.T) {
	s, ts := newTestServer(t, Config{Parallel: 1})
	ctx, cancel := context.WithCancel(context.Background())
	body := mustJSON(t, map[string]any{"stream": true, "max_tokens": 100000, "temperature": 1.5,
		"messages": []any{user("tell me a long story")}})
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/chat/completions", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(resp.Body).ReadString('\n') // the stream has begun
	cancel()
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for s.pool.busy() != 0 || s.inflight.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slot of a disconnected client was not freed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	chatOK(t, ts.URL, map[string]any{"messages": []any{user("hi")}})
}

func TestStopCutter(t *testing.T) {
	c := newStopCutter([]string{"END"})
	var out string
	hit := false
	for _, piece := range []string{"abc E", "N", "D tail"} {
		s, h := c.add(piece)
		out += s
		hit = hit || h
		if h {
			break
		}
	}
	if out != "abc " || !hit {
		t.Errorf("got %q, hit %v", out, hit)
	}
}

// TestEvictOldest: with --evict oldest a history longer than the context
// loses its oldest turns instead of failing; without it, it is a 400.
func TestEvictOldest(t *testing.T) {
	var history []any
	for i := 0; i < 40; i++ {
		history = append(history, user("what color is the circle? "+strings.Repeat("it is a red circle. ", 3)),
			map[string]any{"role": "assistant", "content": "red."})
	}
	history = append(history, user("what color is the circle?"))
	body := mustJSON(t, map[string]any{"messages": history})
	_, strict := newTestServer(t, Config{})
	if resp, data := post(t, strict.URL+"/v1/chat/completions", body); resp.StatusCode != 400 || !strings.Contains(string(data), "context_length_exceeded") {
		t.Errorf("without eviction: %d %.200s", resp.StatusCode, data)
	}
	_, lenient := newTestServer(t, Config{Evict: chat.EvictOldest})
	r := chatOK(t, lenient.URL, map[string]any{"messages": history})
	if r.Usage.PromptTokens > testModel(t).Cfg.MaxPos {
		t.Errorf("prompt of %d tokens exceeds the context", r.Usage.PromptTokens)
	}
}
