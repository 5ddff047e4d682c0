package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Fingerprint identifies the checkpoint for session files, from its
// content only (never from addresses or load options), so a session saved
// by one process resumes in another: the config, the vocabulary, every
// tensor's name, dtype and shape, and samples of every tensor's bytes (two
// checkpoints of the same shape but different weights differ).
func (m *Model) Fingerprint() string { return m.fingerprint }

func (m *Model) computeFingerprint() (string, error) {
	h := sha256.New()
	cfg, err := json.Marshal(m.Cfg) // content: VQ is followed, not printed as a pointer
	if err != nil {
		return "", fmt.Errorf("%s: config: %v", m.Path, err)
	}
	fmt.Fprintf(h, "%s|%s|", m.Family().Name(), cfg)
	if m.Tok != nil {
		fmt.Fprintf(h, "vocab %d|", m.Tok.VocabSize())
		for id := 0; id < m.Tok.VocabSize(); id += 97 {
			fmt.Fprintf(h, "%d=%s|", id, m.Tok.TokenName(id))
		}
	}
	if m.Weights != nil {
		for _, name := range m.Weights.Names() {
			t, _ := m.Weights.Tensor(name)
			fmt.Fprintf(h, "%s %v %v|", name, t.DType, t.Shape)
			b := t.Bytes()
			const sampleSize = 256
			if len(b) <= 2*sampleSize {
				h.Write(b)
			} else {
				h.Write(b[:sampleSize])
				h.Write(b[len(b)/2 : len(b)/2+sampleSize])
				h.Write(b[len(b)-sampleSize:])
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}
