package model

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Fingerprint identifies the checkpoint for session files: the config, the
// vocabulary, every tensor's name, dtype and shape, and samples of every
// tensor's bytes (two checkpoints of the same shape but different weights
// differ). Computed on first use.
func (m *Model) Fingerprint() string {
	if m.fingerprint != "" {
		return m.fingerprint
	}
	h := sha256.New()
	fmt.Fprintf(h, "%+v|", *m.Cfg)
	if m.Cfg.VQ != nil {
		fmt.Fprintf(h, "%+v|", *m.Cfg.VQ)
	}
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
	m.fingerprint = hex.EncodeToString(h.Sum(nil)[:16])
	return m.fingerprint
}
