package model

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/model/tokenizer"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/runtime/fileio"
	"github.com/chatumm/chatumm/weights"
	"github.com/chatumm/chatumm/weights/quant"
)

// A "chatumm GGUF" is a model directory in one file: the Hugging Face
// tensors under their own names and shapes, the transformer's matrices in
// ggml block types, and config.json and tokenizer.json as metadata text, so
// that it loads through the same family code as the directory.
const (
	chatummArch      = "chatumm"
	metaConfigJSON   = "chatumm.config_json"
	metaTokenizerJSN = "chatumm.tokenizer_json"
	metaQuantType    = "chatumm.quantization" // the --type the file was made with
	// Other small JSON files a family reads from its directory travel as
	// "chatumm." + the name with '.' as '_' (sideFiles lists them).
	// maxMetaString is the longest string weights.Open accepts in GGUF
	// metadata (its per-string bound): a larger config, tokenizer or side
	// file is refused ("larger than 16 MiB") rather than written unreadable.
	maxMetaString = 1 << 24
)

// QuantizeStats describes one Quantize run.
type QuantizeStats struct {
	Tensors  int               // tensors written
	InBytes  int64             // tensor bytes read from the source
	OutBytes int64             // tensor bytes written
	ByType   map[string]int    // tensors per output type ("Q4_K", "F32", ...)
	Kept     map[string]string // each tensor not in the requested type, and why
}

// Quantize writes the model directory src (config.json, tokenizer.json,
// safetensors) to dst as a chatumm GGUF whose transformer matrices are in
// block type q (one of quant.Types). It streams: one tensor's output bytes
// are in memory at a time, the source is read through its mapping, and dst
// appears atomically (nothing is left behind on an error). progress, if not
// nil, is called after each tensor with the source bytes done and in all.
// pool parallelises the encoding (nil: one thread).
func Quantize(src, dst string, q asm.QType, pool *runtime.Pool, progress func(done, total int64)) (QuantizeStats, error) {
	return QuantizeContext(context.Background(), src, dst, q, pool, progress)
}

// QuantizeContext is Quantize that stops when ctx is done: within a few
// rows, returning ctx's error and writing nothing.
func QuantizeContext(ctx context.Context, src, dst string, q asm.QType, pool *runtime.Pool, progress func(done, total int64)) (QuantizeStats, error) {
	var st QuantizeStats
	if !slices.Contains(quant.Types, q) {
		return st, fmt.Errorf("quantize: unsupported type %v (want q8_0, q4_0, q4_k, q5_k or q6_k)", q)
	}
	if fi, err := os.Stat(src); err != nil {
		return st, fileio.Clean(err)
	} else if !fi.IsDir() {
		return st, fmt.Errorf("%s: not a model directory (quantize reads config.json, tokenizer.json and safetensors)", src)
	}
	cfgText, err := fileio.ReadFile(filepath.Join(src, "config.json"), fileio.Config)
	if err != nil {
		return st, err
	}
	cfg, err := ParseConfig(cfgText)
	if err != nil {
		return st, fmt.Errorf("%s: %v", filepath.Join(src, "config.json"), err)
	}
	if len(cfgText) > maxMetaString {
		return st, fmt.Errorf("%s: larger than %d MiB", filepath.Join(src, "config.json"), maxMetaString>>20)
	}
	if cfg.Dim == 0 {
		return st, fmt.Errorf("%s: a VQ-GAN alone has no transformer matrices to quantize", src)
	}
	meta := []weights.GGUFKV{
		{Key: "general.architecture", Value: chatummArch}, // first: isChatummGGUF reads only this
		{Key: "general.name", Value: filepath.Base(filepath.Clean(src))},
		{Key: metaQuantType, Value: q.String()},
		{Key: metaConfigJSON, Value: string(cfgText)},
	}
	tokPath := filepath.Join(src, "tokenizer.json")
	if tokText, err := fileio.ReadFile(tokPath, fileio.Tokenizer); err == nil {
		if len(tokText) > maxMetaString {
			return st, fmt.Errorf("%s: larger than %d MiB", tokPath, maxMetaString>>20)
		}
		meta = append(meta, weights.GGUFKV{Key: metaTokenizerJSN, Value: string(tokText)})
	} else if !errors.Is(err, fs.ErrNotExist) {
		return st, err
	}
	for _, name := range sideFiles {
		text, err := fileio.ReadFile(filepath.Join(src, name), fileio.Config)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return st, err
		}
		if len(text) > maxMetaString {
			return st, fmt.Errorf("%s: larger than %d MiB", filepath.Join(src, name), maxMetaString>>20)
		}
		meta = append(meta, weights.GGUFKV{Key: sideFileKey(name), Value: string(text)})
	}
	set, err := weights.Open(src, weights.Mmap)
	if err != nil {
		return st, err
	}
	defer set.Close()
	for _, f := range set.Files() {
		if same, _ := sameFile(f, dst); same {
			return st, fmt.Errorf("%s: is the source weights file", dst)
		}
	}

	// A fault reading the source's mapping (the file truncated meanwhile,
	// an I/O error) becomes an error naming it, here as in the pool.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))

	_, hasHead := set.Tensor("lm_head.weight")
	tied := cfg.TieEmbeddings && !hasHead
	st.ByType, st.Kept = map[string]int{}, map[string]string{}
	var tensors []weights.GGUFTensor
	var total, done int64
	for _, name := range set.Names() {
		t, _ := set.Tensor(name)
		total += int64(len(t.Bytes()))
	}
	for _, name := range set.Names() {
		t, _ := set.Tensor(name)
		out, why := tensorQType(name, t, q, tied)
		gt := weights.GGUFTensor{Name: name, DType: t.DType, Shape: t.Shape}
		if out == asm.QNone {
			if why != "" {
				st.Kept[name] = why
			}
			gt.Fill = func(b []byte) error { copy(b, t.Bytes()); return nil }
		} else {
			if out != q && why != "" {
				st.Kept[name] = why
			}
			gt.DType = weights.Q4_0 + weights.DType(out-asm.Q4_0)
			gt.Fill = func(b []byte) error { return encodeTensor(ctx, pool, out, b, t) }
		}
		in := int64(len(t.Bytes()))
		inner := gt.Fill
		gt.Fill = func(b []byte) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if err = set.FaultError(r); err == nil {
						panic(r)
					}
				}
			}()
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := inner(b); err != nil {
				return err
			}
			t.Release() // its pages leave this process's resident set
			done += in
			st.OutBytes += int64(len(b))
			if progress != nil {
				progress(done, total)
			}
			return nil
		}
		st.ByType[gt.DType.String()]++
		tensors = append(tensors, gt)
	}
	st.Tensors, st.InBytes = len(tensors), total
	if err := weights.WriteGGUF(dst, meta, tensors); err != nil {
		return st, err
	}
	if err := set.CheckIntact(); err != nil {
		os.Remove(dst) // made from bytes that changed under it
		return st, err
	}
	return st, nil
}

// lmMatrix matches the transformer's projection matrices under every
// prefix decoder.Load reads (Chameleon/Llama "model.", Janus's language
// model prefixes), the MoT image experts' "_moe_gen" ones included.
var lmMatrix = regexp.MustCompile(`^(model\.|model\.language_model\.|language_model\.model\.)layers\.\d+\.(self_attn\.[qkvo]_proj(_moe_gen)?|mlp(_moe_gen)?\.(gate|up|down)_proj)\.weight$`)

func isEmbedding(name string) bool {
	return name == "model.embed_tokens.weight" || name == "model.language_model.embed_tokens.weight" ||
		name == "language_model.model.embed_tokens.weight"
}

func isOutput(name string) bool {
	return name == "lm_head.weight" || name == "language_model.lm_head.weight"
}

// tensorQType is the block type tensor t gets in a file quantized to q,
// following llama-quantize: the transformer's matrices and the token
// embedding get q; the output projection (lm_head, or the embedding when
// it is tied to it) gets Q6_K, or Q8_0 when q is Q8_0 or its rows are not
// whole 256-element super-blocks; a row that is not whole blocks of the
// chosen type takes quant.Fallback's type. Everything else is kept as
// stored (QNone): norms, biases, 1-D tensors, the VQ-GAN, vision towers and
// heads other than the LM's. why says why a tensor is not in type q.
func tensorQType(name string, t *weights.Tensor, q asm.QType, tied bool) (out asm.QType, why string) {
	output := isOutput(name) || (tied && isEmbedding(name))
	if !output && !isEmbedding(name) && !lmMatrix.MatchString(name) {
		return asm.QNone, ""
	}
	if len(t.Shape) != 2 || t.DType.Quantized() {
		return asm.QNone, "not a 2-D f32/f16/bf16 matrix"
	}
	cols := t.Shape[1]
	want := q
	if output {
		want = asm.Q6_K
		if q == asm.Q8_0 || cols%asm.Q6_K.BlockElems() != 0 {
			want = asm.Q8_0
		}
	}
	out = quant.Fallback(want, cols)
	switch {
	case out == asm.QNone:
		return out, fmt.Sprintf("rows of %d are not whole blocks", cols)
	case out != want:
		return out, fmt.Sprintf("%v: rows of %d are not whole %v blocks", out, cols, want)
	case output && out != q:
		return out, fmt.Sprintf("%v: the output projection (as llama-quantize)", out)
	}
	return out, ""
}

// encodeTensor quantizes t (f32, f16 or bf16, [rows, cols]) into dst, a
// few rows at a time per thread so the float32 copies stay small.
func encodeTensor(ctx context.Context, pool *runtime.Pool, q asm.QType, dst []byte, t *weights.Tensor) error {
	rows, cols := t.Shape[0], t.Shape[1]
	rowBytes := quant.RowBytes(q, cols)
	if len(dst) != rows*rowBytes {
		return fmt.Errorf("%v output of %d bytes, want %d", q, len(dst), rows*rowBytes)
	}
	const chunkRows = 16
	pool.For(rows, func(lo, hi int) {
		buf := make([]float32, min(chunkRows, hi-lo)*cols)
		for r := lo; r < hi && ctx.Err() == nil; r += chunkRows {
			n := min(chunkRows, hi-r)
			x := buf[:n*cols]
			switch t.DType {
			case weights.F32:
				x = t.F32()[r*cols : (r+n)*cols]
			case weights.F16:
				asm.F16ToF32(x, t.U16()[r*cols:(r+n)*cols])
			case weights.BF16:
				asm.BF16ToF32(x, t.U16()[r*cols:(r+n)*cols])
			}
			quant.Quantize(q, dst[r*rowBytes:(r+n)*rowBytes], x)
		}
	})
	return ctx.Err()
}

// sameFile reports whether a and b name one existing file.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// loadAnyGGUF loads a .gguf file: a chatumm GGUF through the family code of
// its embedded config.json, any other as a llama.cpp model.
func loadAnyGGUF(m *Model, path string, opts Options) (*Model, error) {
	if isChatummGGUF(path) {
		return loadQuantized(m, path, opts)
	}
	return loadGGUF(m, path, opts)
}

// isChatummGGUF reads only the first metadata entry, which is
// general.architecture in every file Quantize writes (and in llama.cpp's).
func isChatummGGUF(path string) bool {
	f, _, err := fileio.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	want := "general.architecture"
	head := make([]byte, 4+4+8+8+8+len(want)+4+8+len(chatummArch))
	if _, err := io.ReadFull(f, head); err != nil {
		return false
	}
	le := binary.LittleEndian
	p := head[24:]
	if string(head[:4]) != "GGUF" || le.Uint64(p) != uint64(len(want)) || string(p[8:8+len(want)]) != want {
		return false
	}
	p = p[8+len(want):]
	const ggufString = 8
	return le.Uint32(p) == ggufString && le.Uint64(p[4:]) == uint64(len(chatummArch)) && string(p[12:]) == chatummArch
}

// loadQuantized builds a model from a chatumm GGUF exactly as from the
// directory it was made from: config and tokenizer from the metadata, the
// tensors (block-quantized ones included) from the file.
func loadQuantized(m *Model, path string, opts Options) (*Model, error) {
	set, err := weights.Open(path, opts.Load)
	if err != nil {
		return nil, err
	}
	md := set.Metadata()
	cfgText, ok := md[metaConfigJSON].(string)
	if !ok {
		set.Close()
		return nil, fmt.Errorf("%s: chatumm GGUF without %s (a string)", path, metaConfigJSON)
	}
	cfg, err := ParseConfig([]byte(cfgText))
	if err != nil {
		set.Close()
		return nil, fmt.Errorf("%s: %s: %v", path, metaConfigJSON, err)
	}
	tokName := path + ": " + metaTokenizerJSN
	var tok *tokenizer.Tokenizer
	if text, ok := md[metaTokenizerJSN].(string); ok {
		if tok, err = tokenizer.Parse([]byte(text), tokName); err != nil {
			set.Close()
			return nil, err
		}
	} else if md[metaTokenizerJSN] != nil || cfg.Dim > 0 {
		set.Close()
		return nil, fmt.Errorf("%s: chatumm GGUF without %s (a string); a transformer needs it", path, metaTokenizerJSN)
	}
	return m.build(cfg, tok, set, tokName)
}

// sideFiles are the files besides config.json and tokenizer.json that a
// family reads from its checkpoint directory (Janus's image processor).
var sideFiles = []string{"preprocessor_config.json"}

func sideFileKey(name string) string { return "chatumm." + strings.ReplaceAll(name, ".", "_") }

// SideFile returns the content of a small file that comes with the
// checkpoint (one of sideFiles, e.g. preprocessor_config.json) and a name
// for it in messages: from the model directory, or from a chatumm GGUF's
// metadata. A checkpoint without one gives an error satisfying
// errors.Is(err, fs.ErrNotExist).
func (m *Model) SideFile(name string) (data []byte, label string, err error) {
	if m.Weights == nil {
		return nil, m.Path, fmt.Errorf("%s: no weights: %w", m.Path, fs.ErrNotExist)
	}
	if s, ok := m.Weights.Metadata()[sideFileKey(name)].(string); ok && m.Weights.Format() == "gguf" {
		return []byte(s), m.Path + ": " + sideFileKey(name), nil
	}
	if st, err := os.Stat(m.Path); err == nil && !st.IsDir() {
		return nil, m.Path, fmt.Errorf("%s: no %s: %w", m.Path, name, fs.ErrNotExist)
	}
	path := filepath.Join(m.Path, name)
	data, err = fileio.ReadFile(path, fileio.Config)
	return data, path, err
}

// QuantizedType reports the --type a chatumm GGUF was made with ("" for
// any other model).
func (m *Model) QuantizedType() string {
	if m.Weights == nil {
		return ""
	}
	s, _ := m.Weights.Metadata()[metaQuantType].(string)
	return strings.ToLower(s)
}
