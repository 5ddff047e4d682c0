package chat

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	Role   Role           `json:"role"`
	Start  int            `json:"start"`
	End    int            `json:"end"`
	Text   string         `json:"text"`
	Images []sessionImage `json:"images,omitempty"`
}

type sessionImage struct {
	Codes []int  `json:"codes"`
	Path  string `json:"path,omitempty"`
}

// Save writes the conversation to path atomically (temporary file in the
// same directory, fsync, rename). With withKV the KV cache is stored too, so
// loading needs no prefill.
func (c *Conversation) Save(path string, withKV bool) error {
	h := sessionHeader{Model: c.M.Fingerprint(), Tokens: c.tokens}
	for _, t := range c.turns {
		st := sessionTurn{Role: t.Role, Start: t.Start, End: t.End, Text: t.Text}
		for _, im := range t.Images {
			st.Images = append(st.Images, sessionImage{Codes: im.Codes, Path: im.Path})
		}
		h.Turns = append(h.Turns, st)
	}
	var kv []byte
	if withKV && c.cached > 0 {
		info, data := exportKV(c.state.KV, c.cached)
		h.KV, kv = &info, data
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
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
	return writeFileAtomic(path, buf.Bytes(), 0o600) // a dialogue is private
}

// WriteFileAtomic writes data to a temporary file next to path, syncs it and
// renames it over path, so readers see the old file or the new one, never a
// torn write.
func WriteFileAtomic(path string, data []byte) error { return writeFileAtomic(path, data, 0o644) }

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("%s: %v", path, unwrap(err))
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("%s: %v", path, unwrap(err))
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %v", path, unwrap(err))
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %v", path, unwrap(err))
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; best effort
		d.Close()
	}
	return nil
}

func unwrap(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Load replaces the conversation with the session in path. Any problem is
// an error naming the file, and the conversation is then unchanged.
func (c *Conversation) Load(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %v", path, unwrap(err))
	}
	h, kv, err := parseSession(data)
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if err := c.checkSession(h, kv); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	// Everything checked: now replace the state.
	c.tokens = append(c.tokens[:0], h.Tokens...)
	c.turns = c.turns[:0]
	for _, t := range h.Turns {
		turn := Turn{Role: t.Role, Start: t.Start, End: t.End, Text: t.Text}
		for _, im := range t.Images {
			turn.Images = append(turn.Images, Image{Codes: im.Codes, Path: im.Path})
		}
		c.turns = append(c.turns, turn)
	}
	c.state.Truncate(0)
	c.cached, c.logitsValid, c.replyTurn = 0, false, -1
	// A cache saved in another precision is not narrowed or widened: the
	// history is prefilled again on the next turn instead.
	if h.KV != nil && h.KV.F32 == c.state.KV.IsF32() {
		importKV(c.state.KV, *h.KV, kv)
		c.state.Len = h.KV.Positions
		c.cached = h.KV.Positions
	}
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
func (c *Conversation) checkSession(h *sessionHeader, kv []byte) error {
	if h.Model != c.M.Fingerprint() {
		return fmt.Errorf("session was saved with another model (fingerprint %s, this model is %s)", h.Model, c.M.Fingerprint())
	}
	V := c.M.Cfg.VocabSize
	for i, id := range h.Tokens {
		if id < 0 || id >= V {
			return fmt.Errorf("session token %d (at %d) out of range [0, %d)", id, i, V)
		}
	}
	if len(h.Tokens) > c.state.Capacity() {
		return fmt.Errorf("session holds %d tokens, more than the context of %d (use a larger --ctx)", len(h.Tokens), c.state.Capacity())
	}
	prev := 0
	if len(h.Tokens) > 0 && h.Tokens[0] == c.M.Proto.BOS {
		prev = 1
	}
	for i, t := range h.Turns {
		if t.Role != User && t.Role != Agent {
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
		if err := checkKV(c.state.KV, *h.KV, kv, len(h.Tokens)); err != nil {
			return err
		}
	} else if len(kv) != 0 {
		return fmt.Errorf("session has KV bytes but no KV description")
	}
	return nil
}
