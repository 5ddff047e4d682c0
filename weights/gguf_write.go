package weights

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/chatumm/chatumm/runtime/fileio"
)

// GGUFTensor is one tensor for WriteGGUF. Shape is row-major (PyTorch
// order, as Tensor.Shape); the file stores ggml's ne[], its reverse. Fill
// writes the tensor's bytes into dst (exactly its size, zeroed) when its
// turn comes, so only one tensor's bytes are in memory at a time.
type GGUFTensor struct {
	Name  string
	DType DType
	Shape []int
	Fill  func(dst []byte) error
}

// GGUFKV is one metadata entry. Value is a string, bool, uint8, int8,
// uint16, int16, uint32, int32, uint64, int64, float32 or float64, or a
// slice of one of those ([]string included); it keeps that GGUF type.
type GGUFKV struct {
	Key   string
	Value any
}

// ggufWriteAlignment is general.alignment in every file WriteGGUF writes
// (ggml's default, so readers that ignore the key agree).
const ggufWriteAlignment = 32

// WriteGGUF writes a GGUF v3 file: the header, metadata (in the order
// given, after general.alignment if metadata does not set it) and every
// tensor's info first, then each tensor's bytes from its Fill, each at an
// offset aligned to 32 bytes. The file appears atomically: it is written to
// a temporary file in path's directory, synced and renamed over path; on any
// error (a Fill error, a full disk) the temporary file is removed and path
// is untouched. Peak memory is the largest tensor's bytes.
func WriteGGUF(path string, metadata []GGUFKV, tensors []GGUFTensor) error {
	sizes, err := checkGGUFTensors(path, metadata, tensors)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: is a %s, not a regular file", path, fileio.Kind(fi.Mode()))
	}
	if !slices.ContainsFunc(metadata, func(kv GGUFKV) bool { return kv.Key == "general.alignment" }) {
		metadata = append(slices.Clip(metadata), GGUFKV{"general.alignment", uint32(ggufWriteAlignment)})
	}

	var h ggufEncoder
	h.raw([]byte(ggufMagic))
	h.u32(3)
	h.u64(uint64(len(tensors)))
	h.u64(uint64(len(metadata)))
	for _, kv := range metadata {
		h.str(kv.Key)
		if err := h.value(kv.Value); err != nil {
			return fmt.Errorf("%s: metadata %q: %v", path, kv.Key, err)
		}
	}
	var offset int64
	for i, t := range tensors {
		h.str(t.Name)
		h.u32(uint32(len(t.Shape)))
		for j := len(t.Shape) - 1; j >= 0; j-- {
			h.u64(uint64(t.Shape[j]))
		}
		h.u32(t.DType.GGMLType())
		h.u64(uint64(offset))
		offset = alignUp(offset+sizes[i], ggufWriteAlignment)
	}
	h.raw(make([]byte, alignUp(int64(len(h.b)), ggufWriteAlignment)-int64(len(h.b))))

	f, err := createTempNear(path)
	if err != nil {
		return err
	}
	ok := false
	defer func() { // also on a panic in a Fill
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	failed := func(err error) error { return fmt.Errorf("%s: %v", path, fileio.Clean(err)) }
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.Write(h.b); err != nil {
		return failed(err)
	}
	var buf []byte
	var pad [ggufWriteAlignment]byte
	for i, t := range tensors {
		n := sizes[i]
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		b := buf[:n]
		clear(b)
		if err := t.Fill(b); err != nil {
			return fmt.Errorf("%s: tensor %q: %w", path, t.Name, err)
		}
		if _, err := w.Write(b); err != nil {
			return failed(err)
		}
		if _, err := w.Write(pad[:alignUp(n, ggufWriteAlignment)-n]); err != nil {
			return failed(err)
		}
	}
	if err := w.Flush(); err != nil {
		return failed(err)
	}
	if err := f.Sync(); err != nil {
		return failed(err)
	}
	if err := f.Close(); err != nil {
		return failed(err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err
		}
		return fmt.Errorf("%s: %v", path, err)
	}
	ok = true
	if d, err := os.Open(filepath.Dir(path)); err == nil { // make the rename durable
		d.Sync()
		d.Close()
	}
	return nil
}

// checkGGUFTensors validates names, dtypes and shapes and returns each
// tensor's byte size.
func checkGGUFTensors(path string, metadata []GGUFKV, tensors []GGUFTensor) ([]int64, error) {
	keys := map[string]bool{}
	for _, kv := range metadata {
		if kv.Key == "" || keys[kv.Key] {
			return nil, fmt.Errorf("%s: metadata key %q empty or given twice", path, kv.Key)
		}
		keys[kv.Key] = true
		if kv.Key == "general.alignment" && kv.Value != any(uint32(ggufWriteAlignment)) {
			return nil, fmt.Errorf("%s: general.alignment must be uint32(%d)", path, ggufWriteAlignment)
		}
	}
	seen := map[string]bool{}
	sizes := make([]int64, len(tensors))
	for i, t := range tensors {
		if t.Name == "" || seen[t.Name] {
			return nil, fmt.Errorf("%s: tensor name %q empty or given twice", path, t.Name)
		}
		seen[t.Name] = true
		if t.DType >= numDTypes || t.Fill == nil {
			return nil, fmt.Errorf("%s: tensor %q: dtype %v or no Fill", path, t.Name, t.DType)
		}
		if len(t.Shape) > ggmlMaxDims {
			return nil, fmt.Errorf("%s: tensor %q: %d dimensions, ggml allows at most %d", path, t.Name, len(t.Shape), ggmlMaxDims)
		}
		dims := make([]int64, len(t.Shape))
		for j, d := range t.Shape {
			dims[len(dims)-1-j] = int64(d)
		}
		n, ok, err := ggufByteSize(&Tensor{Name: t.Name, DType: t.DType}, dims)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if !ok {
			return nil, fmt.Errorf("%s: tensor %q: invalid shape %v", path, t.Name, t.Shape)
		}
		sizes[i] = n
	}
	return sizes, nil
}

// createTempNear creates a new temporary file in path's directory, named
// as runtime/fileio names its temporaries (".<base>.tmp-<random>"), so
// fileio.CleanStale also removes one a killed process left behind.
func createTempNear(path string) (*os.File, error) {
	dir := filepath.Dir(path)
	for range 10 {
		var r [6]byte
		rand.Read(r[:])
		name := filepath.Join(dir, "."+filepath.Base(path)+".tmp-"+hex.EncodeToString(r[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: cannot create a file in %s: %v", path, dir, fileio.Clean(err))
		}
		return f, nil
	}
	return nil, fmt.Errorf("%s: cannot pick a temporary file name", path)
}

// ggufEncoder builds the header in memory (it is small: names, shapes
// and metadata, the tokenizer JSON at most).
type ggufEncoder struct{ b []byte }

func (e *ggufEncoder) raw(p []byte) { e.b = append(e.b, p...) }
func (e *ggufEncoder) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *ggufEncoder) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *ggufEncoder) str(s string) { e.u64(uint64(len(s))); e.b = append(e.b, s...) }

// value writes a metadata value's type and encoding.
func (e *ggufEncoder) value(v any) error {
	if typ, ok := ggufScalarType(v); ok {
		e.u32(typ)
		e.scalar(v)
		return nil
	}
	e.u32(ggufArray)
	switch a := v.(type) {
	case []string:
		e.u32(ggufString)
		e.u64(uint64(len(a)))
		for _, s := range a {
			e.str(s)
		}
	case []byte:
		return array(e, a)
	case []int8:
		return array(e, a)
	case []uint16:
		return array(e, a)
	case []int16:
		return array(e, a)
	case []uint32:
		return array(e, a)
	case []int32:
		return array(e, a)
	case []uint64:
		return array(e, a)
	case []int64:
		return array(e, a)
	case []float32:
		return array(e, a)
	case []float64:
		return array(e, a)
	case []bool:
		return array(e, a)
	default:
		return fmt.Errorf("unsupported value type %T", v)
	}
	return nil
}

func array[T any](e *ggufEncoder, a []T) error {
	var zero T
	typ, _ := ggufScalarType(zero)
	e.u32(typ)
	e.u64(uint64(len(a)))
	for _, v := range a {
		e.scalar(v)
	}
	return nil
}

// ggufScalarType is the GGUF type of a scalar Go value (ok false for
// anything else).
func ggufScalarType(v any) (uint32, bool) {
	switch v.(type) {
	case uint8:
		return ggufUint8, true
	case int8:
		return ggufInt8, true
	case uint16:
		return ggufUint16, true
	case int16:
		return ggufInt16, true
	case uint32:
		return ggufUint32, true
	case int32:
		return ggufInt32, true
	case float32:
		return ggufFloat32, true
	case bool:
		return ggufBool, true
	case string:
		return ggufString, true
	case uint64:
		return ggufUint64, true
	case int64:
		return ggufInt64, true
	case float64:
		return ggufFloat64, true
	}
	return 0, false
}

func (e *ggufEncoder) scalar(v any) {
	le := binary.LittleEndian
	switch x := v.(type) {
	case uint8:
		e.b = append(e.b, x)
	case int8:
		e.b = append(e.b, byte(x))
	case uint16:
		e.b = le.AppendUint16(e.b, x)
	case int16:
		e.b = le.AppendUint16(e.b, uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case bool:
		if x {
			e.b = append(e.b, 1)
		} else {
			e.b = append(e.b, 0)
		}
	case string:
		e.str(x)
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	}
}
