// Package serve is `chatumm serve`: an HTTP server that speaks the OpenAI
// and ollama APIs (text and images in, text and images out) for one loaded
// model, with a bounded pool of conversation slots whose KV caches let a
// stateless client resend its whole dialogue at the cost of its new
// tokens only, and a web chat page embedded in the binary.
package serve

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
)

// Config is what the server serves and how.
type Config struct {
	Model *model.Model
	// Name is the model id clients name (OpenAI "model", ollama "name");
	// empty: from the model's path.
	Name string
	// Parallel is how many requests generate at once; Cache how many
	// conversations (KV caches) are kept for prefix reuse, at least
	// Parallel; Queue how many requests may wait for a slot.
	Parallel, Cache, Queue int
	// APIKey, when set, is required as "Authorization: Bearer KEY" on
	// every API route.
	APIKey string
	// Gen holds the default sampling and reply options; a request's
	// fields override them. Seed is the default seed.
	Gen  chat.GenOptions
	Seed uint64
	// Evict says what to do with a history longer than the context.
	Evict chat.EvictPolicy
	// MaxBody bounds a request body in bytes; MaxImage one decoded image.
	MaxBody, MaxImage int64
	// Timeout bounds one request, queueing included.
	Timeout time.Duration
	Version string
	// Batch says whether the decode steps of the slots generating at once
	// run together, one forward pass for all of them (chat.Batcher).
	Batch BatchMode
}

// BatchMode chooses whether slots step together.
type BatchMode int

const (
	// BatchAuto batches when more than one slot may generate and a decode
	// step reads more weight bytes than the CPU's last-level cache holds
	// (chat.BatchingPays): then the steps are bound by reading the weights,
	// which a batch shares. A model that fits the cache is bound by
	// arithmetic, which it does not share.
	BatchAuto BatchMode = iota
	BatchOn
	BatchOff
)

// batchModeNames are the names ParseBatchMode takes and String gives.
var batchModeNames = [...]string{BatchAuto: "auto", BatchOn: "on", BatchOff: "off"}

// ParseBatchMode reads a batch mode as a user writes it: auto, on or off.
func ParseBatchMode(s string) (BatchMode, error) {
	for mode, name := range batchModeNames {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return BatchMode(mode), nil
		}
	}
	return BatchAuto, fmt.Errorf("batch mode %q: want auto, on or off", s)
}

func (b BatchMode) String() string {
	if b >= 0 && int(b) < len(batchModeNames) {
		return batchModeNames[b]
	}
	return fmt.Sprintf("BatchMode(%d)", int(b))
}

// Server is the HTTP handler of one model. Handler serves it; Shutdown
// cancels whatever is still generating.
type Server struct {
	cfg     Config
	m       *model.Model
	pool    *slotPool
	batcher *chat.Batcher // nil: each slot steps alone
	images  *imageCache
	mux     *http.ServeMux
	keyHash [32]byte
	// base is cancelled by Shutdown; every generation watches it.
	base     context.Context
	cancel   context.CancelFunc
	closing  atomic.Bool
	started  time.Time
	inflight atomic.Int64
}

// Defaults for the limits a zero Config leaves open.
const (
	defaultMaxBody  = 32 << 20
	defaultMaxImage = 16 << 20
	defaultTimeout  = 10 * time.Minute
	// maxMessages bounds the messages of one request: far more than any
	// context holds, few enough to tokenize quickly.
	maxMessages = 2048
	// maxImagesPerRequest bounds the images VQ-encoded for one request.
	maxImagesPerRequest = 64
)

// New builds a server for cfg.Model.
func New(cfg Config) (*Server, error) {
	m := cfg.Model
	if m == nil || m.T == nil {
		return nil, fmt.Errorf("serve: the model has no transformer")
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 1
	}
	if cfg.Cache < cfg.Parallel {
		cfg.Cache = cfg.Parallel
	}
	if cfg.Queue < 0 {
		cfg.Queue = 0
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = defaultMaxBody
	}
	if cfg.MaxImage <= 0 {
		cfg.MaxImage = defaultMaxImage
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.Name == "" {
		cfg.Name = modelName(m.Path)
	}
	if cfg.Version == "" {
		cfg.Version = "0.1.0"
	}
	var batcher *chat.Batcher
	if cfg.Parallel > 1 && (cfg.Batch == BatchOn || cfg.Batch == BatchAuto && chat.BatchingPays(m)) {
		// A model the batcher cannot step (Janus) generates unbatched.
		batcher, _ = chat.NewBatcher(m)
	}
	pool, err := newSlotPool(m, cfg.Parallel, cfg.Cache, cfg.Queue, cfg.Evict, batcher)
	if err != nil {
		if batcher != nil {
			batcher.Close()
		}
		return nil, err
	}
	s := &Server{cfg: cfg, m: m, pool: pool, batcher: batcher, images: newImageCache(4096), started: time.Now()}
	if cfg.APIKey != "" {
		s.keyHash = sha256.Sum256([]byte(cfg.APIKey))
	}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.routes()
	return s, nil
}

// modelName is the id of a model at path: the embedded model's name
// without its scheme, a directory's or file's base name.
func modelName(path string) string {
	path = strings.TrimPrefix(path, "embedded:")
	path = strings.TrimSuffix(filepath.Base(filepath.Clean(path)), ".gguf")
	if path == "" || path == "." || path == "/" {
		return "chatumm"
	}
	return path
}

func (s *Server) routes() {
	mux := http.NewServeMux()
	api := func(pattern string, h http.HandlerFunc, ollama bool) {
		mux.Handle(pattern, s.guard(h, ollama))
	}
	api("GET /v1/models", s.openaiModels, false)
	api("GET /v1/models/{id}", s.openaiModel, false)
	api("POST /v1/chat/completions", s.openaiChat, false)
	api("POST /v1/images/generations", s.openaiImageGenerations, false)
	api("POST /v1/images/edits", s.openaiImageEdits, false)
	api("POST /api/chat", s.ollamaChat, true)
	api("POST /api/generate", s.ollamaGenerate, true)
	api("GET /api/tags", s.ollamaTags, true)
	api("POST /api/show", s.ollamaShow, true)
	api("GET /api/version", s.ollamaVersion, true)
	api("GET /api/ps", s.ollamaPS, true)
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /static/{file}", s.static)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		health := map[string]any{"status": "ok", "busy": s.pool.busy(), "waiting": s.pool.waitingCount(), "batched": s.batcher != nil}
		if s.batcher != nil {
			forwards, rows := s.batcher.Stats()
			health["batched_forwards"], health["batched_rows"] = forwards, rows
			health["lone_steps"] = s.batcher.LoneSteps() // a lone decoder's steps: no batch, no wait
		}
		writeJSON(w, http.StatusOK, health)
	})
	// Anything else under the APIs is a 404 in that API's shape.
	mux.Handle("/v1/", s.guard(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, false, errNotFound(r))
	}, false))
	mux.Handle("/api/", s.guard(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, true, errNotFound(r))
	}, true))
	s.mux = mux
}

func errNotFound(r *http.Request) *apiError {
	return &apiError{status: http.StatusNotFound, msg: fmt.Sprintf("no route %s %s", r.Method, r.URL.Path), typ: "invalid_request_error", code: "not_found"}
}

// guard checks the API key and bounds the body before h runs. A method
// the route does not take is answered in the API's error shape too.
func (s *Server) guard(h http.HandlerFunc, ollama bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.APIKey != "" && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="chatumm"`)
			s.fail(w, ollama, &apiError{status: http.StatusUnauthorized, msg: "missing or wrong API key: send Authorization: Bearer KEY", typ: "invalid_request_error", code: "invalid_api_key"})
			return
		}
		if s.closing.Load() {
			w.Header().Set("Retry-After", "5")
			s.fail(w, ollama, &apiError{status: http.StatusServiceUnavailable, msg: "the server is shutting down", typ: "server_error", code: "shutting_down"})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
		h(w, r)
	})
}

// authorized compares the bearer token with the key in constant time
// (hashes of equal length, so not even the length leaks).
func (s *Server) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		// The ollama client and some scripts send the key bare.
		token = r.Header.Get("X-API-Key")
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], s.keyHash[:]) == 1
}

// Batched reports whether the slots' decode steps run together.
func (s *Server) Batched() bool { return s.batcher != nil }

// Close stops the batcher (Serve does on return); generations still
// running afterwards step alone.
func (s *Server) Close() {
	if s.batcher != nil {
		s.batcher.Close()
	}
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Name is the model id the server answers to.
func (s *Server) Name() string { return s.cfg.Name }

// BeginShutdown refuses new API requests with 503 from now on.
func (s *Server) BeginShutdown() { s.closing.Store(true) }

// CancelAll stops every generation still running (between tokens); their
// clients get what was generated so far.
func (s *Server) CancelAll() { s.cancel() }

// IsLoopback reports whether host names only this machine.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Serve runs the server on ln until ctx is cancelled (SIGTERM/SIGINT),
// then stops accepting, lets in-flight requests finish for up to grace,
// and cancels those still generating.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return s.base },
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.BeginShutdown()
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.CancelAll() // generations stop between tokens and reply
		cctx, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel2()
		if hs.Shutdown(cctx) != nil {
			hs.Close()
		}
		err = nil
	}
	s.CancelAll()
	<-done
	s.Close()
	return err
}
