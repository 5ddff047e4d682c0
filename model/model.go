package model

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/tokenizer"
	"github.com/chatumm/chatumm/model/vqgan"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/runtime/fileio"
	"github.com/chatumm/chatumm/weights"
)

// Options control how a model is loaded.
type Options struct {
	Load    weights.LoadMode
	Pool    *runtime.Pool // nil: a new pool with runtime.DefaultThreads(), closed by Close
	VQPath  string        // take the VQ-GAN from another checkpoint (Lumina)
	Context int           // KV cache positions per sequence; 0 = max_position_embeddings
	F32KV   bool          // f32 KV cache instead of f16
}

// Model is everything needed to run a checkpoint: weights, decoder,
// tokenizer, the family's token protocol and the image-token maps.
//
// A Model is immutable once Load returns, and safe for concurrent use by
// any number of goroutines, each with its own State (NewState) or
// conversation; Close it once, after every user is done.
type Model struct {
	Path    string
	Cfg     *Config
	Weights *weights.Set
	T       *decoder.Transformer
	Tok     *tokenizer.Tokenizer // nil for a GGUF file (ids only)
	Pool    *runtime.Pool
	Proto   Protocol
	// CodeOfID[id] is the VQ code of an image token, -1 otherwise;
	// IDOfCode[code] is the token of a code.
	CodeOfID    []int32
	IDOfCode    []int
	VQ          *vqgan.Model // nil without VQ weights
	Janus       *Janus       // a Janus checkpoint's own parts (nil for other families)
	vqSet       *weights.Set // weights of --vq
	ownsPool    bool
	borrowed    bool // a WithPool view: Close releases nothing
	opts        Options
	fingerprint string
}

// Load opens a checkpoint: a directory with config.json, tokenizer.json and
// safetensors weights, or a llama GGUF file.
func Load(path string, opts Options) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fileio.Clean(err)
	}
	m := newModel(path, opts)
	if !st.IsDir() && strings.HasSuffix(strings.ToLower(path), ".gguf") {
		out, err := loadAnyGGUF(m, path, opts) // a chatumm GGUF or a llama.cpp one
		if err != nil {
			m.closePool()
		}
		return out, err
	}
	if !st.IsDir() {
		m.closePool()
		return nil, fmt.Errorf("%s: not a model directory or .gguf file", path)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		m.closePool()
		return nil, err
	}
	var tok *tokenizer.Tokenizer
	tokPath := filepath.Join(path, "tokenizer.json")
	if _, err := os.Stat(tokPath); err == nil || cfg.Dim > 0 {
		// A VQ-GAN alone needs no tokenizer; a transformer does.
		if tok, err = tokenizer.Load(tokPath); err != nil {
			m.closePool()
			return nil, err
		}
	}
	if err := refusePickle(path); err != nil {
		m.closePool()
		return nil, err
	}
	set, err := weights.Open(path, opts.Load)
	if err != nil {
		m.closePool()
		return nil, err
	}
	return m.build(cfg, tok, set, tokPath)
}

// LoadMemory builds a model from in-memory files (config.json,
// tokenizer.json, model.safetensors), used in place; name labels errors.
func LoadMemory(name string, files map[string][]byte, opts Options) (*Model, error) {
	m := newModel(name, opts)
	cfg, err := ParseConfig(files["config.json"])
	if err != nil {
		m.closePool()
		return nil, fmt.Errorf("%s/config.json: %v", name, err)
	}
	tok, err := tokenizer.Parse(files["tokenizer.json"], name+"/tokenizer.json")
	if err != nil {
		m.closePool()
		return nil, err
	}
	set, err := weights.OpenMemory(name+"/model.safetensors", files["model.safetensors"])
	if err != nil {
		m.closePool()
		return nil, err
	}
	return m.build(cfg, tok, set, name+"/tokenizer.json")
}

func newModel(path string, opts Options) *Model {
	m := &Model{Path: path, Pool: opts.Pool, opts: opts, Proto: noProtocol()}
	if m.Pool == nil {
		m.Pool, m.ownsPool = runtime.NewPool(0), true
	}
	return m
}

// noProtocol is the protocol of a vocabulary without protocol tokens.
func noProtocol() Protocol {
	return Protocol{BOS: -1, EOS: -1, Pad: -1, EndOfTurn: -1, Image: ImageFormat{Begin: -1, End: -1, RowEnd: -1}}
}

// build ties config, tokenizer and weights together, checking each against
// the others; on error everything is released.
func (m *Model) build(cfg *Config, tok *tokenizer.Tokenizer, set *weights.Set, tokName string) (*Model, error) {
	m.Cfg, m.Tok, m.Weights = cfg, tok, set
	if tok != nil { // a VQ-GAN alone has no vocabulary
		if err := m.setVocab(); err != nil {
			m.Close()
			return nil, fmt.Errorf("%s: %v", tokName, err)
		}
	}
	if cfg.Dim > 0 {
		var isImage []bool
		if cfg.MoT {
			isImage = make([]bool, cfg.VocabSize)
			for id, c := range m.CodeOfID[:cfg.VocabSize] {
				isImage[id] = c >= 0
			}
		}
		var err error
		m.T, err = decoder.Load(set, &cfg.Config, isImage, m.Pool, janusAlias(cfg, set))
		if err != nil {
			m.Close()
			return nil, err
		}
	}
	if err := m.loadVQ(); err != nil {
		m.Close()
		return nil, err
	}
	if cfg.Janus != nil {
		if err := m.loadJanus(); err != nil {
			m.Close()
			return nil, err
		}
	}
	if m.T == nil && m.VQ == nil {
		m.Close()
		return nil, fmt.Errorf("%s: neither a transformer nor a VQ-GAN in this checkpoint", m.Path)
	}
	if err := m.finish(); err != nil {
		return nil, err
	}
	return m, nil
}

// finish takes the fingerprint from the bytes as stored, then lays out the
// weights for decoding (decoder.Transformer.UseColMajor). After it the
// Model does not change.
func (m *Model) finish() error {
	var err error
	if m.fingerprint, err = m.computeFingerprint(); err != nil {
		m.Close()
		return err
	}
	if m.T == nil {
		return nil
	}
	if err := m.T.UseColMajor(m.Weights.Mode() == weights.Read); err != nil {
		m.Close()
		return err
	}
	return nil
}

// setVocab reads the family's protocol tokens and the image-code maps from
// the tokenizer's names, and checks them against the config.
func (m *Model) setVocab() error {
	t := m.Tok
	if m.Cfg.Dim > 0 && t.VocabSize() > m.Cfg.VocabSize {
		return fmt.Errorf("tokenizer has %d tokens but config vocab_size is %d", t.VocabSize(), m.Cfg.VocabSize)
	}
	family := m.Cfg.Family
	if family == nil {
		family = llama{}
	}
	p, err := family.protocol(t)
	if err != nil {
		return err
	}
	m.Proto = p
	codeOf, idOf, err := t.ImageCodes()
	if err != nil {
		return err
	}
	n := max(t.VocabSize(), m.Cfg.VocabSize)
	m.CodeOfID = make([]int32, n)
	for i := range m.CodeOfID {
		m.CodeOfID[i] = -1
	}
	for id, c := range codeOf {
		if id < n && c >= 0 {
			m.CodeOfID[id] = int32(c)
		}
	}
	m.IDOfCode = idOf
	if len(idOf) == 0 {
		// A text-only vocabulary: no images in or out, whatever the
		// protocol's names say.
		m.Proto.Image = noProtocol().Image
	}
	if m.Cfg.VQ != nil && len(idOf) > 0 && len(idOf) != m.Cfg.VQ.NumEmbeddings {
		return fmt.Errorf("%d image tokens in the vocabulary but the VQ codebook has %d entries", len(idOf), m.Cfg.VQ.NumEmbeddings)
	}
	return nil
}

// Close releases the weights, and the worker pool if Load created it.
// The Model must not be used afterwards.
func (m *Model) Close() error {
	if m.borrowed {
		return nil
	}
	if m.vqSet != nil {
		m.vqSet.Close()
		m.vqSet = nil
	}
	var err error
	if m.Weights != nil {
		err = m.Weights.Close()
		m.Weights = nil
	}
	m.closePool()
	return err
}

func (m *Model) closePool() {
	if m.ownsPool && m.Pool != nil {
		m.Pool.Close()
		m.ownsPool = false
	}
}

// NewState allocates a sequence with the model's context options.
func (m *Model) NewState() *decoder.State { return m.T.NewState(m.opts.Context, m.opts.F32KV) }

// IsImageToken reports whether id is a VQ code token.
func (m *Model) IsImageToken(id int) bool {
	return id >= 0 && id < len(m.CodeOfID) && m.CodeOfID[id] >= 0
}

// Family is the checkpoint's family.
func (m *Model) Family() Family {
	if m.Cfg == nil || m.Cfg.Family == nil {
		return llama{}
	}
	return m.Cfg.Family
}

// WeightDType is the storage type of the decoder's weights ("f16",
// "bf16", "f32", or a block type such as "Q4_K"; "" without a decoder).
func (m *Model) WeightDType() string {
	if m.T == nil || len(m.T.Layers) == 0 {
		return ""
	}
	return m.T.Layers[0].Experts[0].Q.TypeString() // "Q4_K" for a quantized model
}

// WithPool returns a view of m that runs its decoder on pool p (bench
// measures several thread counts on one loaded model). It shares m's
// weights; closing it releases nothing, and it must not outlive m.
func (m *Model) WithPool(p *runtime.Pool) *Model {
	c := *m
	if m.T != nil {
		c.T = m.T.WithPool(p)
	}
	c.Pool, c.ownsPool, c.borrowed = p, false, true
	return &c
}

// FaultError turns a value recovered from a fault on mapped memory into
// an error naming the weights file (the checkpoint's or --vq's) that
// changed under the process; nil if the fault is not in this model's
// weights.
func (m *Model) FaultError(recovered any) error {
	for _, set := range []*weights.Set{m.Weights, m.vqSet} {
		if set != nil {
			if err := set.FaultError(recovered); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckIntact reports a weights file (the checkpoint's or --vq's) that was
// truncated or changed since it was loaded.
func (m *Model) CheckIntact() error {
	for _, set := range []*weights.Set{m.Weights, m.vqSet} {
		if set != nil {
			if err := set.CheckIntact(); err != nil {
				return err
			}
		}
	}
	return nil
}
