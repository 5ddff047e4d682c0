package model

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/chatumm/chatumm/model/tokenizer"
	"github.com/chatumm/chatumm/model/vqgan"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// Options control how a model is loaded.
type Options struct {
	Load    weights.LoadMode
	Pool    *runtime.Pool // nil: a new pool with runtime.DefaultThreads()
	VQPath  string        // take the VQ-GAN from another checkpoint (Lumina)
	Context int           // KV cache positions per sequence; 0 = max_position_embeddings
	F32KV   bool          // f32 KV cache instead of f16
}

// Specials are the protocol tokens, looked up by name (-1 when absent).
type Specials struct {
	BOS, EOS, Pad, EndOfTurn, BeginImage, EndImage int
	// ImageNewline ends every latent row in Lumina's image layout.
	ImageNewline int
}

// Model is everything needed to run a checkpoint: weights, transformer,
// tokenizer and the image-token maps.
type Model struct {
	Path    string
	Cfg     *Config
	Weights *weights.Set
	T       *Transformer
	Tok     *tokenizer.Tokenizer // nil for a GGUF file (ids only)
	Pool    *runtime.Pool
	Special Specials
	// CodeOfID[id] is the VQ code of an image token, -1 otherwise;
	// IDOfCode[code] is the token of a code.
	CodeOfID    []int32
	IDOfCode    []int
	VQ          *vqgan.Model // nil without VQ weights
	sizeOfID    map[int]int  // Lumina size token id → grid count
	vqSet       *weights.Set // weights of --vq
	opts        Options
	fingerprint string
}

// Load opens a checkpoint: a directory with config.json, tokenizer.json and
// safetensors weights, or a llama GGUF file.
func Load(path string, opts Options) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, unwrapPathErr(err))
	}
	pool := opts.Pool
	if pool == nil {
		pool = runtime.NewPool(0)
	}
	m := &Model{Path: path, Pool: pool, opts: opts, Special: Specials{-1, -1, -1, -1, -1, -1, -1}}
	if !st.IsDir() && strings.HasSuffix(strings.ToLower(path), ".gguf") {
		return loadGGUF(m, path, opts)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a model directory or .gguf file", path)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		return nil, err
	}
	var tok *tokenizer.Tokenizer
	tokPath := filepath.Join(path, "tokenizer.json")
	if _, err := os.Stat(tokPath); err == nil || cfg.Dim > 0 {
		// A VQ-GAN alone needs no tokenizer; a transformer does.
		if tok, err = tokenizer.Load(tokPath); err != nil {
			return nil, err
		}
	}
	set, err := weights.Open(path, opts.Load)
	if err != nil {
		return nil, err
	}
	return m.build(cfg, tok, set, tokPath)
}

// LoadMemory builds a model from in-memory files (config.json,
// tokenizer.json, model.safetensors), used in place; name labels errors.
func LoadMemory(name string, files map[string][]byte, opts Options) (*Model, error) {
	pool := opts.Pool
	if pool == nil {
		pool = runtime.NewPool(0)
	}
	m := &Model{Path: name, Pool: pool, opts: opts, Special: Specials{-1, -1, -1, -1, -1, -1, -1}}
	cfg, err := ParseConfig(files["config.json"])
	if err != nil {
		return nil, fmt.Errorf("%s/config.json: %v", name, err)
	}
	tok, err := tokenizer.Parse(files["tokenizer.json"], name+"/tokenizer.json")
	if err != nil {
		return nil, err
	}
	set, err := weights.OpenMemory(name+"/model.safetensors", files["model.safetensors"])
	if err != nil {
		return nil, err
	}
	return m.build(cfg, tok, set, name+"/tokenizer.json")
}

// build ties config, tokenizer and weights together, checking each against
// the others; on error the weights are released.
func (m *Model) build(cfg *Config, tok *tokenizer.Tokenizer, set *weights.Set, tokName string) (*Model, error) {
	m.Cfg, m.Tok, m.Weights = cfg, tok, set
	if tok != nil { // a VQ-GAN alone has no vocabulary
		if err := m.setVocab(); err != nil {
			set.Close()
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
		m.T, err = LoadTransformer(set, cfg, isImage, m.Pool, nil)
		if err != nil {
			set.Close()
			return nil, err
		}
	}
	if err := m.loadVQ(); err != nil {
		m.Close()
		return nil, err
	}
	if m.T == nil && m.VQ == nil {
		set.Close()
		return nil, fmt.Errorf("%s: neither a transformer nor a VQ-GAN in this checkpoint", m.Path)
	}
	if err := m.finishTransformer(); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// finishTransformer lays out the weights for decoding (Transformer.useColMajor),
// after taking the fingerprint from the bytes as stored.
func (m *Model) finishTransformer() error {
	if m.T == nil {
		return nil
	}
	m.Fingerprint()
	return m.T.useColMajor(m.Weights.Mode() == weights.Read)
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// setVocab reads the special tokens and the image-code maps from the
// tokenizer's names, and checks them against the config.
func (m *Model) setVocab() error {
	t := m.Tok
	if m.Cfg.Dim > 0 && t.VocabSize() > m.Cfg.VocabSize {
		return fmt.Errorf("tokenizer has %d tokens but config vocab_size is %d", t.VocabSize(), m.Cfg.VocabSize)
	}
	id := func(name string) int {
		if v, ok := t.TokenID(name); ok {
			return v
		}
		return -1
	}
	m.Special = Specials{
		BOS: id("<s>"), EOS: id("</s>"), Pad: id("<pad>"),
		EndOfTurn: id("<reserved08706>"), BeginImage: id("<racm3:break>"), EndImage: id("<eoss>"),
		ImageNewline: id("<reserved08799>"),
	}
	m.sizeOfID = map[int]int{}
	for n := 1; n <= maxSizeToken; n++ {
		if v := id(fmt.Sprintf("<reserved%05d>", 8800+n)); v >= 0 {
			m.sizeOfID[v] = n
		}
	}
	if m.Cfg.LuminaImages && (m.Special.ImageNewline < 0 || len(m.sizeOfID) == 0) {
		return fmt.Errorf("Lumina image layout needs <reserved08799> and the <reserved088NN> size tokens")
	}
	if m.Special.BOS < 0 {
		m.Special.BOS = id("<|begin_of_text|>")
	}
	if m.Special.EOS < 0 {
		m.Special.EOS = id("<|end_of_text|>")
	}
	codeOf, idOf, err := t.ImageCodes()
	if err != nil {
		return err
	}
	n := t.VocabSize()
	if m.Cfg.VocabSize > n {
		n = m.Cfg.VocabSize
	}
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
	if m.Cfg.VQ != nil && len(idOf) > 0 && len(idOf) != m.Cfg.VQ.NumEmbeddings {
		return fmt.Errorf("%d image tokens in the vocabulary but the VQ codebook has %d entries", len(idOf), m.Cfg.VQ.NumEmbeddings)
	}
	return nil
}

// Close releases the weights.
func (m *Model) Close() error {
	if m.vqSet != nil {
		m.vqSet.Close()
	}
	if m.Weights != nil {
		return m.Weights.Close()
	}
	return nil
}

// NewState allocates a sequence with the model's context options.
func (m *Model) NewState() *State { return m.T.NewState(m.opts.Context, m.opts.F32KV) }

// IsImageToken reports whether id is a VQ code token.
func (m *Model) IsImageToken(id int) bool {
	return id >= 0 && id < len(m.CodeOfID) && m.CodeOfID[id] >= 0
}

// maxSizeToken bounds Lumina's size tokens: n grids of 32 px, so 128 is a
// 4096-pixel side.
const maxSizeToken = 128

// SizeToken returns the id of Lumina's size token for n grids.
func (m *Model) SizeToken(n int) (int, bool) {
	if m.Tok == nil || n < 1 || n > maxSizeToken {
		return -1, false
	}
	return m.Tok.TokenID(fmt.Sprintf("<reserved%05d>", 8800+n))
}

// SizeOf returns the grid count of a size token.
func (m *Model) SizeOf(id int) (int, bool) {
	n, ok := m.sizeOfID[id]
	return n, ok
}

// SizeTokens lists the ids of every size token (for the sampling mask).
func (m *Model) SizeTokens() []int {
	ids := make([]int, 0, len(m.sizeOfID))
	for id := range m.sizeOfID {
		ids = append(ids, id)
	}
	return ids
}
