package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/chatumm/chatumm/model/chat"
)

// olOptions are the ollama "options" chatumm uses; others are ignored.
type olOptions struct {
	Temperature *float64 `json:"temperature"`
	TopP        *float64 `json:"top_p"`
	Seed        *int64   `json:"seed"`
	NumPredict  *int     `json:"num_predict"`
	Stop        []string `json:"stop"`
}

type olMessage struct {
	Role    string   `json:"role"`
	Content string   `json:"content"`
	Images  []string `json:"images"`
}

type olChatRequest struct {
	Model    string      `json:"model"`
	Messages []olMessage `json:"messages"`
	Stream   *bool       `json:"stream"`
	Options  *olOptions  `json:"options"`
}

type olGenerateRequest struct {
	Model   string     `json:"model"`
	Prompt  string     `json:"prompt"`
	System  string     `json:"system"`
	Images  []string   `json:"images"`
	Stream  *bool      `json:"stream"`
	Options *olOptions `json:"options"`
}

func olImages(name string, list []string) ([]imageRef, error) {
	var out []imageRef
	for j, b := range list {
		ref, err := parseDataURL(fmt.Sprintf("%s.images[%d]", name, j), b)
		if err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, nil
}

func (s *Server) olGen(model string, o *olOptions, raw []rawTurn) (*genRequest, error) {
	if err := s.checkModel(model, true); err != nil {
		return nil, err
	}
	if o == nil {
		o = &olOptions{}
	}
	opts, seed, err := s.sampling(o.Temperature, o.TopP, o.NumPredict, o.Seed, [4]string{"options.temperature", "options.top_p", "options.num_predict", "options.seed"})
	if err != nil {
		return nil, err
	}
	// ollama clients have no modalities field: a model that draws may.
	opts.Images = s.m.CanDrawImages() && s.m.CanDecodeImages()
	turns, err := s.buildTurns(raw)
	if err != nil {
		return nil, err
	}
	return &genRequest{turns: turns, opts: opts, seed: seed, stop: o.Stop}, nil
}

func (s *Server) ollamaChat(w http.ResponseWriter, r *http.Request) {
	var req olChatRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, true, err)
		return
	}
	var raw []rawTurn
	if len(req.Messages) > maxMessages {
		s.fail(w, true, badRequest("messages", "messages: %d messages, at most %d allowed", len(req.Messages), maxMessages))
		return
	}
	for i, m := range req.Messages {
		name := fmt.Sprintf("messages[%d]", i)
		t := rawTurn{text: m.Content}
		switch m.Role {
		case "user":
			t.role = chat.User
		case "assistant":
			t.role = chat.Agent
		case "system":
			t.role = "system"
		default:
			s.fail(w, true, badRequest(name, "%s.role %q: want user, assistant or system", name, m.Role))
			return
		}
		var err error
		if t.images, err = olImages(name, m.Images); err != nil {
			s.fail(w, true, err)
			return
		}
		raw = append(raw, t)
	}
	g, err := s.olGen(req.Model, req.Options, raw)
	if err != nil {
		s.fail(w, true, err)
		return
	}
	s.olRun(w, r, g, req.Stream == nil || *req.Stream, true)
}

func (s *Server) ollamaGenerate(w http.ResponseWriter, r *http.Request) {
	var req olGenerateRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, true, err)
		return
	}
	if req.Prompt == "" && len(req.Images) == 0 {
		// ollama loads the model on an empty prompt; here it is loaded.
		writeJSON(w, http.StatusOK, map[string]any{"model": s.cfg.Name, "created_at": time.Now().UTC().Format(time.RFC3339Nano), "response": "", "done": true, "done_reason": "load"})
		return
	}
	ims, err := olImages("request", req.Images)
	if err != nil {
		s.fail(w, true, err)
		return
	}
	raw := []rawTurn{{role: chat.User, text: req.Prompt, images: ims}}
	if req.System != "" {
		raw = append([]rawTurn{{role: "system", text: req.System}}, raw...)
	}
	g, err := s.olGen(req.Model, req.Options, raw)
	if err != nil {
		s.fail(w, true, err)
		return
	}
	s.olRun(w, r, g, req.Stream == nil || *req.Stream, false)
}

// olRun generates and answers in ollama's shape: NDJSON lines when
// streaming, one object otherwise; chat puts text in message.content,
// generate in response.
func (s *Server) olRun(w http.ResponseWriter, r *http.Request, g *genRequest, stream, isChat bool) {
	st := &olStream{w: w, model: s.cfg.Name, chat: isChat, on: stream}
	res, err := s.generate(r.Context(), g, st)
	if err != nil && !st.started {
		s.fail(w, true, err)
		return
	}
	if err != nil {
		st.line(map[string]any{"error": s.classify(err, true).msg})
		return
	}
	final := st.base()
	if isChat {
		msg := map[string]any{"role": "assistant", "content": ""}
		if !stream {
			msg["content"] = res.text
			if len(res.images) > 0 {
				msg["images"] = olB64(res.images)
			}
		}
		final["message"] = msg
	} else {
		final["response"] = ""
		if !stream {
			final["response"] = res.text
			if len(res.images) > 0 {
				final["images"] = olB64(res.images)
			}
		}
	}
	final["done"] = true
	final["done_reason"] = res.finish
	final["total_duration"] = res.totalDur.Nanoseconds()
	final["load_duration"] = 0
	final["prompt_eval_count"] = res.prompt - res.cached
	final["prompt_eval_duration"] = res.prefillDur.Nanoseconds()
	final["eval_count"] = res.completion
	final["eval_duration"] = res.evalDur.Nanoseconds()
	if !stream {
		writeJSON(w, http.StatusOK, final)
		return
	}
	st.line(final)
}

func olB64(ims []outImage) []string {
	out := make([]string, len(ims))
	for i, im := range ims {
		out[i] = b64(im.png)
	}
	return out
}

// olStream writes NDJSON lines; when not streaming it sends nothing and
// olRun answers with one object.
type olStream struct {
	w       http.ResponseWriter
	model   string
	chat    bool
	on      bool
	started bool
}

func (o *olStream) base() map[string]any {
	return map[string]any{"model": o.model, "created_at": time.Now().UTC().Format(time.RFC3339Nano)}
}

func (o *olStream) line(v map[string]any) {
	if !o.started {
		o.started = true
		o.w.Header().Set("Content-Type", "application/x-ndjson")
		o.w.WriteHeader(http.StatusOK)
	}
	b, _ := json.Marshal(v)
	o.w.Write(append(b, '\n'))
	if f, ok := o.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (o *olStream) piece(text string, images []string, extra map[string]any) {
	if !o.on {
		return
	}
	v := o.base()
	if o.chat {
		msg := map[string]any{"role": "assistant", "content": text}
		if images != nil {
			msg["images"] = images
		}
		v["message"] = msg
	} else {
		v["response"] = text
		if images != nil {
			v["images"] = images
		}
	}
	v["done"] = false
	for k, x := range extra {
		v[k] = x
	}
	o.line(v)
}

func (o *olStream) text(s string) { o.piece(s, nil, nil) }
func (o *olStream) progress(done, total int) {
	o.piece("", nil, map[string]any{"completed": done, "total": total})
}
func (o *olStream) image(im outImage) { o.piece("", []string{b64(im.png)}, nil) }

func (s *Server) olDetails() map[string]any {
	family := strings.ToLower(s.m.Family().Name())
	return map[string]any{"format": "safetensors", "family": family, "families": []string{family},
		"parameter_size": "", "quantization_level": strings.ToUpper(s.m.WeightDType())}
}

func (s *Server) ollamaTags(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"models": []any{map[string]any{
		"name": s.cfg.Name + ":latest", "model": s.cfg.Name + ":latest", "modified_at": s.started.UTC().Format(time.RFC3339),
		"size": 0, "digest": "", "details": s.olDetails(),
	}}})
}

func (s *Server) ollamaPS(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"models": []any{map[string]any{
		"name": s.cfg.Name + ":latest", "model": s.cfg.Name + ":latest", "size": 0, "details": s.olDetails(),
	}}})
}

func (s *Server) ollamaShow(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model string `json:"model"`
		Name  string `json:"name"`
	}
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, true, err)
		return
	}
	name := req.Model
	if name == "" {
		name = req.Name
	}
	if err := s.checkModel(name, true); err != nil {
		s.fail(w, true, err)
		return
	}
	caps := []string{"completion"}
	if s.m.CanReadImages() {
		caps = append(caps, "vision")
	}
	if s.m.CanDrawImages() && s.m.CanDecodeImages() {
		caps = append(caps, "image")
	}
	info := map[string]any{"general.architecture": s.olDetails()["family"]}
	if s.m.Cfg != nil {
		info["context_length"] = s.m.Cfg.MaxPos
	}
	writeJSON(w, http.StatusOK, map[string]any{"modelfile": "", "parameters": "", "template": "",
		"details": s.olDetails(), "model_info": info, "capabilities": caps})
}

func (s *Server) ollamaVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"version": s.cfg.Version})
}
