package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/decoder"
)

// apiError is an error with the HTTP status and the OpenAI error fields it
// is reported with; the ollama API reports msg alone.
type apiError struct {
	status          int
	msg, typ, param string
	code            string
	retryAfter      int // seconds; 0: no Retry-After header
}

func (e *apiError) Error() string { return e.msg }

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...), typ: "invalid_request_error", param: param}
}

// fail writes err in the shape of the API the request came in on.
func (s *Server) fail(w http.ResponseWriter, ollama bool, err error) {
	e := s.classify(err, ollama)
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	if ollama {
		writeJSON(w, e.status, map[string]string{"error": e.msg})
		return
	}
	body := map[string]any{"message": e.msg, "type": e.typ, "param": nilIfEmpty(e.param), "code": nilIfEmpty(e.code)}
	writeJSON(w, e.status, map[string]any{"error": body})
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// classify maps an error to its status. What a client's input causes is a
// 4xx; only the model's own failure (non-finite logits) is a 500.
func (s *Server) classify(err error, ollama bool) *apiError {
	var ae *apiError
	var mbe *http.MaxBytesError
	var nf *chat.NonFiniteError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mbe):
		return &apiError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body larger than the %d bytes allowed", mbe.Limit), typ: "invalid_request_error", code: "request_too_large"}
	case errors.Is(err, errQueueFull):
		// OpenAI clients retry 429; ollama answers a full queue with 503.
		status := http.StatusTooManyRequests
		if ollama {
			status = http.StatusServiceUnavailable
		}
		return &apiError{status: status, msg: "server busy: every slot is generating and the queue is full; retry shortly", typ: "rate_limit_error", code: "queue_full", retryAfter: 2}
	case errors.Is(err, errQueueTimeout):
		return &apiError{status: http.StatusServiceUnavailable, msg: "timed out waiting for a free slot", typ: "server_error", code: "queue_timeout", retryAfter: 5}
	case errors.Is(err, decoder.ErrContextFull):
		return &apiError{status: http.StatusBadRequest, msg: err.Error() + " (start a new conversation, or run the server with --evict oldest)", typ: "invalid_request_error", param: "messages", code: "context_length_exceeded"}
	case errors.Is(err, chat.ErrNoImages), errors.Is(err, model.ErrNoVQDecoder), errors.Is(err, chat.ErrNoTokenizer):
		return &apiError{status: http.StatusBadRequest, msg: err.Error(), typ: "invalid_request_error"}
	case errors.As(err, &nf):
		return &apiError{status: http.StatusInternalServerError, msg: err.Error(), typ: "server_error"}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &apiError{status: http.StatusServiceUnavailable, msg: "request cancelled: " + err.Error(), typ: "server_error", retryAfter: 5}
	}
	return &apiError{status: http.StatusInternalServerError, msg: err.Error(), typ: "server_error"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// decodeJSON reads one JSON value from the body into v: a body over the
// limit, malformed or truncated JSON, a field of the wrong type and data
// after the value are each a one-line 4xx.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("", "invalid JSON: data after the request object")
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "request"
		}
		return badRequest(field, "%s: want %s, got JSON %s", field, jsonKind(te.Type.String()), te.Value)
	case errors.As(err, &se):
		return badRequest("", "invalid JSON at byte %d: %v", se.Offset, err)
	case errors.Is(err, io.EOF):
		return badRequest("", "empty request body: want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "invalid JSON: the body ends in the middle of the object")
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return badRequest("", "invalid JSON: %v", err)
}

// jsonKind names a Go type the way a JSON user thinks of it.
func jsonKind(t string) string {
	switch t {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "uint64", "float64", "float32", "*int", "*float64", "*int64", "*uint64":
		return "a number"
	}
	if len(t) > 1 && t[0] == '[' {
		return "an array"
	}
	return "an object"
}
