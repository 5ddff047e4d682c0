package weights

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
)

// GGUF layout (ggml docs/gguf.md), all little-endian:
//
//	"GGUF" | version u32 | tensor_count u64 | kv_count u64
//	kv_count × (key string | value_type u32 | value)
//	tensor_count × (name string | n_dims u32 | n_dims × u64 ne | type u32 | offset u64)
//	padding to general.alignment | data section
//
// A string is a u64 byte length then the bytes; an array is an element type
// u32, a u64 count, then the elements. Version 2 and 3 share this layout (v3
// only adds big-endian files, which are rejected here); version 1 used 32-bit
// counts and is not supported.

const ggufMagic = "GGUF"

const (
	ggufDefaultAlignment = 32
	ggmlMaxDims          = 4       // GGML_MAX_DIMS
	maxGGUFString        = 1 << 24 // bounds any one string (chat templates are ~10 kB)
	maxPrealloc          = 1 << 16 // never trust a count for more than this up front
	// Smallest possible encodings, used to bound counts by the bytes left.
	minKVBytes         = 8 + 4 + 1     // empty key, value type, 1-byte value
	minTensorInfoBytes = 8 + 4 + 4 + 8 // empty name, n_dims 0, type, offset
)

// ggufReader reads the header sequentially and knows how many bytes are left
// in the file, so no count or length can make it allocate more than the file
// could hold.
type ggufReader struct {
	r    *bufio.Reader
	path string
	pos  int64
	size int64
	buf  [8]byte
}

func (g *ggufReader) left() int64 { return g.size - g.pos }

func (g *ggufReader) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{g.path}, args...)...)
}

// bytes reads exactly n bytes (n must already be checked against left()).
func (g *ggufReader) bytes(p []byte, what string) error {
	if int64(len(p)) > g.left() {
		return g.errorf("unexpected end of file at offset %d reading %s", g.pos, what)
	}
	if _, err := io.ReadFull(g.r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return g.errorf("unexpected end of file at offset %d reading %s", g.pos, what)
		}
		return g.errorf("reading %s: %v", what, err)
	}
	g.pos += int64(len(p))
	return nil
}

func (g *ggufReader) u32(what string) (uint32, error) {
	err := g.bytes(g.buf[:4], what)
	return binary.LittleEndian.Uint32(g.buf[:4]), err
}

func (g *ggufReader) u64(what string) (uint64, error) {
	err := g.bytes(g.buf[:8], what)
	return binary.LittleEndian.Uint64(g.buf[:8]), err
}

func (g *ggufReader) str(what string) (string, error) {
	n, err := g.u64(what + " length")
	if err != nil {
		return "", err
	}
	if n > uint64(g.left()) {
		return "", g.errorf("%s length %d at offset %d exceeds the %d bytes left", what, n, g.pos-8, g.left())
	}
	if n > maxGGUFString {
		return "", g.errorf("%s length %d at offset %d exceeds the %d-byte string limit", what, n, g.pos-8, maxGGUFString)
	}
	b := make([]byte, n)
	if err := g.bytes(b, what); err != nil {
		return "", err
	}
	return string(b), nil
}

// value reads one metadata value of type typ.
func (g *ggufReader) value(typ uint32, key string) (any, error) {
	what := fmt.Sprintf("value of %q", key)
	switch {
	case typ == ggufString:
		return g.str(what)
	case typ == ggufArray:
		return g.array(key)
	case typ < ggufTypeCount:
		b := make([]byte, ggufScalarSize[typ])
		if err := g.bytes(b, what); err != nil {
			return nil, err
		}
		return decodeScalar(typ, b), nil
	}
	return nil, g.errorf("key %q: unknown value type %d", key, typ)
}

func (g *ggufReader) array(key string) (any, error) {
	what := fmt.Sprintf("array %q", key)
	elem, err := g.u32(what + " element type")
	if err != nil {
		return nil, err
	}
	count, err := g.u64(what + " length")
	if err != nil {
		return nil, err
	}
	switch {
	case elem == ggufArray:
		return nil, g.errorf("key %q: nested arrays are not supported", key)
	case elem >= ggufTypeCount:
		return nil, g.errorf("key %q: unknown array element type %d", key, elem)
	case elem == ggufString:
		if count > uint64(g.left()/8) {
			return nil, g.errorf("key %q: %d strings cannot fit in the %d bytes left", key, count, g.left())
		}
		out := make([]string, 0, min(count, maxPrealloc))
		for i := uint64(0); i < count; i++ {
			s, err := g.str(fmt.Sprintf("%s[%d]", what, i))
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	size := uint64(ggufScalarSize[elem])
	if count > uint64(g.left())/size {
		return nil, g.errorf("key %q: %d %s values cannot fit in the %d bytes left", key, count, ggufValueTypeNames[elem], g.left())
	}
	b := make([]byte, count*size)
	if err := g.bytes(b, what); err != nil {
		return nil, err
	}
	return decodeArray(elem, b, int(count)), nil
}

// parseGGUF reads and validates a GGUF header.
func parseGGUF(r io.ReaderAt, path string, size int64) (*parsedFile, error) {
	g := &ggufReader{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<16), path: path, size: size}
	var magic [4]byte
	if err := g.bytes(magic[:], "magic"); err != nil {
		return nil, err
	}
	if string(magic[:]) != ggufMagic {
		return nil, g.errorf("not a GGUF file (magic %q)", magic[:])
	}
	version, err := g.u32("version")
	if err != nil {
		return nil, err
	}
	switch {
	case version == 2 || version == 3:
	case version == 1:
		return nil, g.errorf("GGUF version 1 is not supported (re-convert the model)")
	case bits.ReverseBytes32(version) == 2 || bits.ReverseBytes32(version) == 3:
		return nil, g.errorf("big-endian GGUF is not supported")
	default:
		return nil, g.errorf("unsupported GGUF version %d", version)
	}
	tensorCount, err := g.u64("tensor count")
	if err != nil {
		return nil, err
	}
	kvCount, err := g.u64("metadata count")
	if err != nil {
		return nil, err
	}
	if tensorCount > uint64(g.left()/minTensorInfoBytes) {
		return nil, g.errorf("tensor count %d is impossible in a %d-byte file", tensorCount, size)
	}
	if kvCount > uint64(g.left()/minKVBytes) {
		return nil, g.errorf("metadata count %d is impossible in a %d-byte file", kvCount, size)
	}

	pf := &parsedFile{path: path, size: size, metadata: make(map[string]any, min(kvCount, maxPrealloc))}
	for i := uint64(0); i < kvCount; i++ {
		key, err := g.str(fmt.Sprintf("metadata key %d", i))
		if err != nil {
			return nil, err
		}
		if _, dup := pf.metadata[key]; dup {
			return nil, g.errorf("duplicate metadata key %q", key)
		}
		typ, err := g.u32(fmt.Sprintf("type of %q", key))
		if err != nil {
			return nil, err
		}
		v, err := g.value(typ, key)
		if err != nil {
			return nil, err
		}
		pf.metadata[key] = v
	}
	alignment := int64(ggufDefaultAlignment)
	if v, ok := pf.metadata["general.alignment"]; ok {
		a, isU32 := v.(uint32)
		if !isU32 || a == 0 || a&(a-1) != 0 {
			return nil, g.errorf("general.alignment %v (%T) is not a power-of-two uint32", v, v)
		}
		alignment = int64(a)
	}

	type info struct {
		t      *Tensor
		offset uint64
		dims   []int64
	}
	infos := make([]info, 0, min(tensorCount, maxPrealloc))
	seen := make(map[string]bool, min(tensorCount, maxPrealloc))
	for i := uint64(0); i < tensorCount; i++ {
		name, err := g.str(fmt.Sprintf("name of tensor %d", i))
		if err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, g.errorf("tensor %q: duplicate name", name)
		}
		seen[name] = true
		nDims, err := g.u32(fmt.Sprintf("n_dims of tensor %q", name))
		if err != nil {
			return nil, err
		}
		if nDims > ggmlMaxDims {
			return nil, g.errorf("tensor %q: %d dimensions, ggml allows at most %d", name, nDims, ggmlMaxDims)
		}
		dims := make([]int64, nDims)
		for j := range dims {
			d, err := g.u64(fmt.Sprintf("dims of tensor %q", name))
			if err != nil {
				return nil, err
			}
			if d > 1<<62 {
				return nil, g.errorf("tensor %q: dimension %d is %d, too large", name, j, d)
			}
			dims[j] = int64(d)
		}
		typ, err := g.u32(fmt.Sprintf("type of tensor %q", name))
		if err != nil {
			return nil, err
		}
		dt, ok := ggmlDType(typ)
		if !ok {
			return nil, g.errorf("tensor %q: unsupported tensor type %s (loadable: %s)", name, ggmlTypeName(typ), loadableGGMLTypes)
		}
		offset, err := g.u64(fmt.Sprintf("offset of tensor %q", name))
		if err != nil {
			return nil, err
		}
		t := &Tensor{Name: name, DType: dt, File: path, fileAt: -1}
		infos = append(infos, info{t, offset, dims})
	}

	pf.dataStart = alignUp(g.pos, alignment)
	if pf.dataStart > size {
		if tensorCount > 0 {
			return nil, g.errorf("data section would start at %d, beyond the end of the %d-byte file", pf.dataStart, size)
		}
		pf.dataStart = size
	}
	pf.dataSize = size - pf.dataStart
	for _, in := range infos {
		t := in.t
		if in.offset%uint64(alignment) != 0 {
			return nil, g.errorf("tensor %q: offset %d is not a multiple of the alignment %d", t.Name, in.offset, alignment)
		}
		nbytes, ok, err := ggufByteSize(t, in.dims)
		if err != nil {
			return nil, g.errorf("%v", err)
		}
		if !ok {
			return nil, g.errorf("tensor %q: shape %v (ggml order) is too large", t.Name, in.dims)
		}
		if in.offset > uint64(pf.dataSize) || nbytes > pf.dataSize-int64(in.offset) {
			return nil, g.errorf("tensor %q: bytes [%d, %d) beyond data section of %d bytes",
				t.Name, in.offset, in.offset+uint64(nbytes), pf.dataSize)
		}
		t.offset, t.nbytes = int64(in.offset), nbytes
		// ggml's ne[0] is the fastest-varying dimension; reverse for row-major.
		t.Shape = make([]int, len(in.dims))
		for j, d := range in.dims {
			t.Shape[len(in.dims)-1-j] = int(d)
		}
		pf.tensors = append(pf.tensors, t)
	}
	if err := checkRanges(pf); err != nil {
		return nil, err
	}
	return pf, nil
}

// ggufByteSize is the byte size of a tensor of t's type with ggml dims
// (ne[0] innermost). A block-quantized tensor's rows (ne[0]) must be whole
// blocks; ok is false for a shape too large to address.
func ggufByteSize(t *Tensor, dims []int64) (n int64, ok bool, err error) {
	be := int64(t.DType.BlockElems())
	if be == 1 {
		n, ok = byteSize(dims, int64(t.DType.Size()), maxTensorBytes)
		return n, ok, nil
	}
	if len(dims) == 0 || dims[0]%be != 0 {
		inner := int64(1) // a scalar is one row of one element
		if len(dims) > 0 {
			inner = dims[0]
		}
		return 0, false, fmt.Errorf("tensor %q: %v rows of %d elements are not whole %d-element blocks", t.Name, t.DType, inner, be)
	}
	blocks := slices.Clone(dims)
	blocks[0] /= be
	n, ok = byteSize(blocks, int64(t.DType.BlockBytes()), maxTensorBytes)
	return n, ok, nil
}
