package serve

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/chatumm/chatumm/model/chat"
)

// oaChatRequest is the body of POST /v1/chat/completions; fields chatumm
// does not use (tools, logprobs, ...) are ignored, as OpenAI-compatible
// servers do.
type oaChatRequest struct {
	Model               string          `json:"model"`
	Messages            []oaMessage     `json:"messages"`
	Stream              bool            `json:"stream"`
	StreamOptions       *oaStreamOpts   `json:"stream_options"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Seed                *int64          `json:"seed"`
	Stop                json.RawMessage `json:"stop"`
	N                   *int            `json:"n"`
	Modalities          []string        `json:"modalities"`
}

type oaStreamOpts struct {
	IncludeUsage bool `json:"include_usage"`
}

type oaMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	// Images is how an assistant message carries the images it returned
	// (OpenRouter's convention); a client resends it with the history.
	Images []oaContentPart `json:"images"`
}

type oaContentPart struct {
	Type     string          `json:"type"`
	Text     string          `json:"text"`
	ImageURL json.RawMessage `json:"image_url"`
}

// imageURL reads an image_url field: {"url": "..."} or a bare string.
func (p *oaContentPart) imageURL(name string) (string, error) {
	var obj struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(p.ImageURL, &obj); err == nil && obj.URL != "" {
		return obj.URL, nil
	}
	var s string
	if err := json.Unmarshal(p.ImageURL, &s); err == nil && s != "" {
		return s, nil
	}
	return "", badRequest(name, "%s.image_url: want {\"url\": \"data:image/png;base64,...\"}", name)
}

func (s *Server) checkModel(name string, ollama bool) error {
	if name == "" || name == s.cfg.Name || strings.TrimSuffix(name, ":latest") == s.cfg.Name {
		return nil
	}
	msg := fmt.Sprintf("model %q not found: this server serves %q", name, s.cfg.Name)
	if ollama {
		msg = fmt.Sprintf("model '%s' not found", name)
	}
	return &apiError{status: http.StatusNotFound, msg: msg, typ: "invalid_request_error", param: "model", code: "model_not_found"}
}

// parseMessages turns OpenAI messages into raw turns.
func parseMessages(msgs []oaMessage) ([]rawTurn, error) {
	if len(msgs) > maxMessages {
		return nil, badRequest("messages", "messages: %d messages, at most %d allowed", len(msgs), maxMessages)
	}
	out := make([]rawTurn, 0, len(msgs))
	for i, m := range msgs {
		name := fmt.Sprintf("messages[%d]", i)
		var t rawTurn
		switch m.Role {
		case "user":
			t.role = chat.User
		case "assistant":
			t.role = chat.Agent
		case "system", "developer":
			t.role = "system"
		case "":
			return nil, badRequest(name+".role", "%s.role: missing", name)
		default:
			return nil, badRequest(name+".role", "%s.role %q: want user, assistant or system", name, m.Role)
		}
		var texts []string
		content := m.Content
		if len(content) == 0 || string(content) == "null" {
			content = nil
		}
		if content != nil {
			var str string
			var parts []oaContentPart
			if err := json.Unmarshal(content, &str); err == nil {
				texts = append(texts, str)
			} else if err := json.Unmarshal(content, &parts); err == nil {
				for j, p := range parts {
					pname := fmt.Sprintf("%s.content[%d]", name, j)
					switch p.Type {
					case "text", "input_text":
						texts = append(texts, p.Text)
					case "image_url":
						url, err := p.imageURL(pname)
						if err != nil {
							return nil, err
						}
						ref, err := parseDataURL(pname, url)
						if err != nil {
							return nil, err
						}
						t.images = append(t.images, ref)
					default:
						return nil, badRequest(pname+".type", "%s.type %q: want text or image_url", pname, p.Type)
					}
				}
			} else {
				return nil, badRequest(name+".content", "%s.content: want a string or an array of content parts", name)
			}
		}
		if t.role == "system" && len(t.images) > 0 {
			return nil, badRequest(name, "%s: a system message cannot carry images", name)
		}
		for j, p := range m.Images {
			pname := fmt.Sprintf("%s.images[%d]", name, j)
			url, err := p.imageURL(pname)
			if err != nil {
				return nil, err
			}
			ref, err := parseDataURL(pname, url)
			if err != nil {
				return nil, err
			}
			t.images = append(t.images, ref)
		}
		t.text = strings.Join(texts, "\n")
		out = append(out, t)
	}
	return out, nil
}

// parseStop reads "stop": a string or up to 4 strings.
func parseStop(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, badRequest("stop", "stop: want a string or an array of strings")
	}
	if len(many) > 16 {
		return nil, badRequest("stop", "stop: %d strings, at most 16 allowed", len(many))
	}
	return many, nil
}

// sampling applies a request's temperature, top_p, max tokens and seed to
// the server's defaults; names are the request's field names.
func (s *Server) sampling(temp, topP *float64, maxTokens *int, seed *int64, names [4]string) (chat.GenOptions, uint64, error) {
	o := s.cfg.Gen
	if temp != nil {
		if !(*temp >= 0 && *temp <= 100) {
			return o, 0, badRequest(names[0], "%s %v: want a number in [0, 100]", names[0], *temp)
		}
		o.Text.Temperature = float32(*temp)
	}
	if topP != nil {
		if !(*topP >= 0 && *topP <= 1) {
			return o, 0, badRequest(names[1], "%s %v: want a number in [0, 1]", names[1], *topP)
		}
		o.Text.TopP = float32(*topP)
	}
	if maxTokens != nil {
		if *maxTokens <= 0 {
			return o, 0, badRequest(names[2], "%s %d: want a positive integer", names[2], *maxTokens)
		}
		o.MaxTokens = min(*maxTokens, math.MaxInt32)
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = 512
	}
	if err := o.Text.Validate(); err != nil {
		return o, 0, badRequest("", "%v", err)
	}
	sd := s.cfg.Seed
	if seed != nil {
		sd = uint64(*seed)
	}
	return o, sd, nil
}

func (s *Server) openaiModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{s.modelObject()}})
}

func (s *Server) openaiModel(w http.ResponseWriter, r *http.Request) {
	if err := s.checkModel(r.PathValue("id"), false); err != nil {
		s.fail(w, false, err)
		return
	}
	writeJSON(w, http.StatusOK, s.modelObject())
}

func (s *Server) modelObject() map[string]any {
	return map[string]any{"id": s.cfg.Name, "object": "model", "created": s.started.Unix(), "owned_by": "chatumm"}
}

func (s *Server) openaiChat(w http.ResponseWriter, r *http.Request) {
	var req oaChatRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, false, err)
		return
	}
	g, err := s.openaiGenRequest(&req)
	if err != nil {
		s.fail(w, false, err)
		return
	}
	id := fmt.Sprintf("chatcmpl-%d", time.Now().UnixNano())
	created := time.Now().Unix()
	if !req.Stream {
		res, err := s.generate(r.Context(), g, discard{})
		if err != nil {
			s.fail(w, false, err)
			return
		}
		msg := map[string]any{"role": "assistant", "content": res.text}
		if len(res.images) > 0 {
			msg["images"] = oaImages(res.images)
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id": id, "object": "chat.completion", "created": created, "model": s.cfg.Name,
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": res.finish}},
			"usage":   oaUsage(res),
		})
		return
	}
	sse := &oaStream{w: w, id: id, created: created, model: s.cfg.Name}
	res, err := s.generate(r.Context(), g, sse)
	if err != nil && !sse.started {
		s.fail(w, false, err)
		return
	}
	if err != nil {
		// Headers are gone: the error travels in the stream, as OpenAI
		// sends it.
		e := s.classify(err, false)
		sse.data(map[string]any{"error": map[string]any{"message": e.msg, "type": e.typ, "code": nilIfEmpty(e.code)}})
		sse.done()
		return
	}
	sse.chunk(map[string]any{}, res.finish)
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		sse.data(map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": s.cfg.Name, "choices": []any{}, "usage": oaUsage(res)})
	}
	sse.done()
}

func (s *Server) openaiGenRequest(req *oaChatRequest) (*genRequest, error) {
	if err := s.checkModel(req.Model, false); err != nil {
		return nil, err
	}
	if req.N != nil && *req.N != 1 {
		return nil, badRequest("n", "n %d: only n = 1 is supported", *req.N)
	}
	maxTok := req.MaxCompletionTokens
	if maxTok == nil {
		maxTok = req.MaxTokens
	}
	opts, seed, err := s.sampling(req.Temperature, req.TopP, maxTok, req.Seed, [4]string{"temperature", "top_p", "max_tokens", "seed"})
	if err != nil {
		return nil, err
	}
	opts.Images = false
	for _, m := range req.Modalities {
		switch m {
		case "text":
		case "image":
			if !s.m.CanDrawImages() || !s.m.CanDecodeImages() {
				return nil, badRequest("modalities", "modalities: this model cannot draw images")
			}
			opts.Images = true
		default:
			return nil, badRequest("modalities", "modalities %q: want text or image", m)
		}
	}
	stop, err := parseStop(req.Stop)
	if err != nil {
		return nil, err
	}
	raw, err := parseMessages(req.Messages)
	if err != nil {
		return nil, err
	}
	turns, err := s.buildTurns(raw)
	if err != nil {
		return nil, err
	}
	return &genRequest{turns: turns, opts: opts, seed: seed, stop: stop}, nil
}

func oaImages(ims []outImage) []any {
	out := make([]any, len(ims))
	for i, im := range ims {
		out[i] = map[string]any{"type": "image_url", "index": i, "image_url": map[string]any{"url": dataURL(im.png)}}
	}
	return out
}

func oaUsage(res *genResult) map[string]any {
	return map[string]any{
		"prompt_tokens": res.prompt, "completion_tokens": res.completion, "total_tokens": res.prompt + res.completion,
		"prompt_tokens_details": map[string]any{"cached_tokens": res.cached},
	}
}

// discard is the streamer of a non-streaming request.
type discard struct{}

func (discard) text(string)       {}
func (discard) progress(int, int) {}
func (discard) image(im outImage) {}

// oaStream writes a chat completion as server-sent events, chunked as
// OpenAI does; image progress travels as delta.image_progress and a
// finished image as delta.images.
type oaStream struct {
	w         http.ResponseWriter
	id, model string
	created   int64
	started   bool
	nImages   int
}

func (o *oaStream) start() {
	if o.started {
		return
	}
	o.started = true
	h := o.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	o.w.WriteHeader(http.StatusOK)
	o.chunk(map[string]any{"role": "assistant", "content": ""}, "")
}

func (o *oaStream) data(v any) {
	o.start()
	b, _ := json.Marshal(v)
	fmt.Fprintf(o.w, "data: %s\n\n", b)
	if f, ok := o.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (o *oaStream) chunk(delta map[string]any, finish string) {
	o.start()
	var fr any
	if finish != "" {
		fr = finish
	}
	o.data(map[string]any{"id": o.id, "object": "chat.completion.chunk", "created": o.created, "model": o.model,
		"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": fr}}})
}

func (o *oaStream) done() {
	o.start()
	fmt.Fprint(o.w, "data: [DONE]\n\n")
	if f, ok := o.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (o *oaStream) text(s string) { o.chunk(map[string]any{"content": s}, "") }

func (o *oaStream) progress(done, total int) {
	o.chunk(map[string]any{"image_progress": map[string]any{"done": done, "total": total}}, "")
}

func (o *oaStream) image(im outImage) {
	o.chunk(map[string]any{"images": []any{map[string]any{"type": "image_url", "index": o.nImages,
		"image_url": map[string]any{"url": dataURL(im.png)}}}}, "")
	o.nImages++
}

// b64 is base64 of a PNG, for images endpoints.
func b64(png []byte) string { return base64.StdEncoding.EncodeToString(png) }
