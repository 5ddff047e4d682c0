package serve

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/sample"
)

// genRequest is a parsed request of either API.
type genRequest struct {
	turns []reqTurn // the last is the user's
	opts  chat.GenOptions
	seed  uint64
	stop  []string
}

// genResult is what a generation produced and what it cost.
type genResult struct {
	text       string
	images     []outImage
	finish     string // "stop" or "length"
	prompt     int    // history tokens
	cached     int    // of which reused from the KV cache
	completion int    // tokens generated
	prefillDur time.Duration
	evalDur    time.Duration
	totalDur   time.Duration
}

// outImage is a drawn image: its PNG bytes and codes.
type outImage struct {
	png   []byte
	image chat.Image
}

// streamer receives a generation as it happens: text (already cut at a
// stop string), image progress and finished images. The server calls it
// on the request's goroutine.
type streamer interface {
	text(s string)
	progress(done, total int)
	image(im outImage)
}

// generate runs one request on a slot: it waits for a permit, lays the
// history out on the best-matching conversation, prefills what the cache
// lacks and generates the reply. An error before generation started
// (queue full, bad image, history too long) is returned with nothing
// sent to out.
func (s *Server) generate(ctx context.Context, req *genRequest, out streamer) (*genResult, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	// Shutdown cancels s.base; requests already derive from it, tests'
	// requests may not.
	stopBase := context.AfterFunc(s.base, cancel)
	defer stopBase()

	release, err := s.pool.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	s.inflight.Add(1)
	defer s.inflight.Add(-1)

	enc, err := s.pool.encode(req.turns)
	if err != nil {
		return nil, badRequest("messages", "%v", err)
	}
	sl, h := s.pool.take(enc.layout)
	defer s.pool.give(sl)
	conv := sl.conv
	room := 2 // a first reply token and the closing one
	if req.opts.StartImage {
		room = s.m.Proto.Image.BlockLen(s.m.ImageGrid(), s.m.ImageGrid()) + 2
	}
	if fit, ok := trimToFit(h, conv.Capacity(), room); ok && s.cfg.Evict == chat.EvictOldest {
		h = fit
	} else if len(h.tokens)+room > conv.Capacity() {
		return nil, &decoder.ContextFullError{Have: len(h.tokens), New: room, Capacity: conv.Capacity()}
	}
	reused, err := conv.SetHistory(h.tokens, h.turns)
	if err != nil {
		return nil, err
	}
	res := &genResult{prompt: len(h.tokens), cached: reused}

	// Prefill now, so that its errors come before any output and its time
	// is measured on its own.
	if err := conv.Prefill(); err != nil {
		return nil, err
	}
	res.prefillDur = time.Since(start)

	genCtx, stopGen := context.WithCancel(ctx)
	defer stopGen()
	cut := newStopCutter(req.stop)
	var text strings.Builder
	stopped := false
	lastPct := -1
	before := len(conv.Tokens())
	evalStart := time.Now()
	turn, err := conv.Reply(genCtx, sample.New(req.seed), req.opts, func(e chat.Event) {
		if stopped {
			return
		}
		switch e.Kind {
		case chat.EventText:
			emit, hit := cut.add(e.Text)
			text.WriteString(emit)
			if emit != "" {
				out.text(emit)
			}
			if hit {
				stopped = true
				stopGen()
			}
		case chat.EventImageStart:
			lastPct = -1
		case chat.EventImageProgress:
			// At most ~100 progress events per image, whatever its size.
			if pct := e.Done * 100 / max(e.Total, 1); pct != lastPct {
				lastPct = pct
				out.progress(e.Done, e.Total)
			}
		case chat.EventImage:
			png, perr := s.m.DecodeImagePNG(e.Image.Codes, e.Image.Rows, e.Image.Cols)
			if perr != nil {
				return // a model that cannot decode pixels still returns the text
			}
			im := outImage{png: png, image: e.Image}
			s.images.put(png, e.Image) // a resent image is recognised, not re-encoded
			res.images = append(res.images, im)
			out.image(im)
		}
	})
	if !stopped {
		if rest := cut.flush(); rest != "" {
			text.WriteString(rest)
			out.text(rest)
		}
	}
	res.evalDur = time.Since(evalStart)
	res.completion = len(conv.Tokens()) - before
	res.text = text.String()
	res.finish = "stop"
	if s.textTokens(conv, turn) >= req.opts.MaxTokens {
		res.finish = "length"
	}
	res.totalDur = time.Since(start)
	switch {
	case err == nil, stopped:
	case errors.Is(err, decoder.ErrContextFull):
		res.finish = "length"
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.finish = "length" // the per-request deadline: what was written so far
	default:
		return res, err
	}
	return res, nil
}

// textTokens counts the reply's text tokens (its image blocks and closing
// token excluded), to tell a reply cut by max_tokens.
func (s *Server) textTokens(conv *chat.Conversation, t chat.Turn) int {
	f := &s.m.Proto.Image
	n := 0
	toks := conv.Tokens()
	for _, id := range toks[t.Start:min(t.End, len(toks))] {
		if s.m.IsImageToken(id) || id == f.Begin || id == f.End || id == f.RowEnd || id == s.m.Proto.EndOfTurn || id == s.m.Proto.EOS {
			continue
		}
		if _, ok := f.SizeOf(id); ok {
			continue
		}
		n++
	}
	return n
}

// stopCutter finds stop strings in streamed text. It holds back the tail
// that could still begin a stop string, so no part of one is ever sent.
type stopCutter struct {
	stops   []string
	pending string
	longest int
}

func newStopCutter(stops []string) *stopCutter {
	c := &stopCutter{}
	for _, s := range stops {
		if s != "" {
			c.stops = append(c.stops, s)
			c.longest = max(c.longest, len(s))
		}
	}
	return c
}

// add takes new text and returns what may be sent, and whether a stop
// string was found (the text is cut before it).
func (c *stopCutter) add(s string) (string, bool) {
	if len(c.stops) == 0 {
		return s, false
	}
	c.pending += s
	cutAt := -1
	for _, stop := range c.stops {
		if i := strings.Index(c.pending, stop); i >= 0 && (cutAt < 0 || i < cutAt) {
			cutAt = i
		}
	}
	if cutAt >= 0 {
		out := c.pending[:cutAt]
		c.pending = ""
		return out, true
	}
	keep := 0
	for _, stop := range c.stops {
		for k := min(len(stop)-1, len(c.pending)); k > keep; k-- {
			if strings.HasSuffix(c.pending, stop[:k]) {
				keep = k
				break
			}
		}
	}
	out := c.pending[:len(c.pending)-keep]
	c.pending = c.pending[len(c.pending)-keep:]
	return out, false
}

func (c *stopCutter) flush() string {
	out := c.pending
	c.pending = ""
	return out
}
