// Package session saves a conversation to a file and resumes it, in this
// process or another: the token history, the turns with their text and
// image codes, and optionally the KV cache (so resuming needs no
// prefill). Files are written atomically and checked whole — checksum,
// every token, every turn, every cached value — before the conversation is
// touched, so a corrupt, truncated or foreign file is one error line and
// the dialogue in memory stays as it was.
package session

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/runtime/fileio"
)

// Session file layout (little-endian):
//
//	magic "CHUMSESS" | version u32 | header length u32 | header JSON |
//	KV length u64 | KV bytes | SHA-256 of everything before
//
// The checksum is verified and the whole file validated before anything in
// memory changes, so a corrupt, truncated or foreign file leaves the
// conversation as it was.
const (
	sessionMagic   = "CHUMSESS"
	sessionVersion = 1
	maxHeaderBytes = 1 << 30
)

type sessionHeader struct {
	Model  string        `json:"model"`
	Tokens []int         `json:"tokens"`
	Turns  []sessionTurn `json:"turns"`
	KV     *kvInfo       `json:"kv,omitempty"`
}

type sessionTurn struct {
	Role   chat.Role      `json:"role"`
	Start  int            `json:"start"`
	End    int            `json:"end"`
	Text   string         `json:"text"`
	Images []sessionImage `json:"images,omitempty"`
}

type sessionImage struct {
	Codes []int  `json:"codes"`
	Rows  int    `json:"rows,omitempty"` // 0: the model's square grid
	Cols  int    `json:"cols,omitempty"`
	Path  string `json:"path,omitempty"`
}

// ErrTooLong is matched (errors.Is) when a session holds more tokens than
// the context it is loaded into.
var ErrTooLong = errors.New("session longer than the context")

// Save writes the conversation to path atomically (temporary file in the
// same directory, fsync, rename), readable only by its owner: a dialogue is
// private. With withKV the KV cache is stored too, so loading needs no
// prefill. Temporary files of earlier saves that were killed are removed.
func Save(path string, c *chat.Conversation, withKV bool) error {
	h := sessionHeader{Model: c.M.Fingerprint(), Tokens: c.Tokens()}
	for _, t := range c.Turns() {
		st := sessionTurn{Role: t.Role, Start: t.Start, End: t.End, Text: t.Text}
		for _, im := range t.Images {
			st.Images = append(st.Images, sessionImage{Codes: im.Codes, Rows: im.Rows, Cols: im.Cols, Path: im.Path})
		}
		h.Turns = append(h.Turns, st)
	}
	var kv []byte
	if cache, cached := c.Cache(); withKV && cached > 0 {
		info, data := exportKV(cache, cached)
		h.KV, kv = &info, data
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var buf bytes.Buffer
	buf.WriteString(sessionMagic)
	binary.Write(&buf, binary.LittleEndian, uint32(sessionVersion))
	binary.Write(&buf, binary.LittleEndian, uint32(len(hdr)))
	buf.Write(hdr)
	binary.Write(&buf, binary.LittleEndian, uint64(len(kv)))
	buf.Write(kv)
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	fileio.CleanStale(path)
	return fileio.WriteAtomic(path, buf.Bytes(), 0o600)
}

// sizeLimit bounds a session file for conversation c: its header (tokens
// and turn texts, a few bytes per token at most) and a full f32 KV cache
// of c's context. Memory read is bounded by what c could hold.
func sizeLimit(c *chat.Conversation) fileio.Limit {
	cfg := c.M.Cfg
	kv := int64(c.Capacity()) * int64(cfg.Layers) * 2 * int64(cfg.KVHeads*cfg.HeadDim) * 4
	return fileio.Limit{Bytes: maxHeaderBytes + kv + 1<<10, What: "a session of this model and context"}
}

// Load replaces conversation c with the session in path. Any problem is
// an error naming the file, and c is then unchanged.
func Load(path string, c *chat.Conversation) error {
	data, err := fileio.ReadFile(path, sizeLimit(c))
	if err != nil {
		return err
	}
	h, kv, err := parseSession(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := checkSession(c, h, kv); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// Everything checked: now replace the state.
	turns := make([]chat.Turn, 0, len(h.Turns))
	for _, t := range h.Turns {
		turn := chat.Turn{Role: t.Role, Start: t.Start, End: t.End, Text: t.Text}
		for _, im := range t.Images {
			turn.Images = append(turn.Images, chat.Image{Codes: im.Codes, Rows: im.Rows, Cols: im.Cols, Path: im.Path})
		}
		turns = append(turns, turn)
	}
	// A cache saved in another precision is not narrowed or widened: the
	// history is prefilled again on the next turn instead.
	var fill func(*ops.KVCache) int
	if cache, _ := c.Cache(); h.KV != nil && h.KV.F32 == cache.IsF32() {
		fill = func(dst *ops.KVCache) int {
			importKV(dst, *h.KV, kv)
			return h.KV.Positions
		}
	}
	c.Restore(h.Tokens, turns, fill)
	return nil
}

func parseSession(data []byte) (*sessionHeader, []byte, error) {
	const fixed = len(sessionMagic) + 4 + 4 + 8 + sha256.Size
	if len(data) < len(sessionMagic) || string(data[:len(sessionMagic)]) != sessionMagic {
		return nil, nil, fmt.Errorf("not a chatumm session file")
	}
	if len(data) < fixed {
		return nil, nil, fmt.Errorf("session file truncated (%d bytes)", len(data))
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, nil, fmt.Errorf("session file corrupt or truncated (checksum mismatch)")
	}
	r := bytes.NewReader(body[len(sessionMagic):])
	var version, hlen uint32
	binary.Read(r, binary.LittleEndian, &version)
	binary.Read(r, binary.LittleEndian, &hlen)
	if version != sessionVersion {
		return nil, nil, fmt.Errorf("session format version %d is not supported (this chatumm reads version %d)", version, sessionVersion)
	}
	if int64(hlen) > int64(r.Len()) || hlen > maxHeaderBytes {
		return nil, nil, fmt.Errorf("session header length %d exceeds the file", hlen)
	}
	hdr := make([]byte, hlen)
	io.ReadFull(r, hdr)
	var kvLen uint64
	if err := binary.Read(r, binary.LittleEndian, &kvLen); err != nil {
		return nil, nil, fmt.Errorf("session file truncated")
	}
	if kvLen != uint64(r.Len()) {
		return nil, nil, fmt.Errorf("session KV section of %d bytes does not match the %d bytes present", kvLen, r.Len())
	}
	kv := body[len(body)-int(kvLen):]
	var h sessionHeader
	if err := json.Unmarshal(hdr, &h); err != nil {
		return nil, nil, fmt.Errorf("session header: %v", err)
	}
	return &h, kv, nil
}

// checkSession validates a parsed session against this model and context.
func checkSession(c *chat.Conversation, h *sessionHeader, kv []byte) error {
	if h.Model != c.M.Fingerprint() {
		return fmt.Errorf("session was saved with another model (fingerprint %s, this model is %s)", h.Model, c.M.Fingerprint())
	}
	V := c.M.LogitsSize() // with a Janus model's drawn codes (ids VocabSize + code)
	for i, id := range h.Tokens {
		if id < 0 || id >= V {
			return fmt.Errorf("session token %d (at %d) out of range [0, %d)", id, i, V)
		}
	}
	if len(h.Tokens) > c.Capacity() {
		return fmt.Errorf("%w: the session holds %d tokens, more than the context of %d", ErrTooLong, len(h.Tokens), c.Capacity())
	}
	prev := 0
	if len(h.Tokens) > 0 && h.Tokens[0] == c.M.Proto.BOS {
		prev = 1
	}
	for i, t := range h.Turns {
		if t.Role != chat.User && t.Role != chat.Agent {
			return fmt.Errorf("session turn %d has unknown role %q", i, t.Role)
		}
		if t.Start != prev || t.End < t.Start || t.End > len(h.Tokens) {
			return fmt.Errorf("session turn %d spans [%d, %d), inconsistent with the history", i, t.Start, t.End)
		}
		for _, im := range t.Images {
			for _, code := range im.Codes {
				if code < 0 || code >= len(c.M.IDOfCode) {
					return fmt.Errorf("session turn %d has image code %d out of range", i, code)
				}
			}
		}
		prev = t.End
	}
	if prev != len(h.Tokens) {
		return fmt.Errorf("session history has %d tokens outside any turn", len(h.Tokens)-prev)
	}
	if h.KV != nil {
		cache, _ := c.Cache()
		if err := checkKV(cache, *h.KV, kv, len(h.Tokens)); err != nil {
			return err
		}
	} else if len(kv) != 0 {
		return fmt.Errorf("session has KV bytes but no KV description")
	}
	return nil
}
