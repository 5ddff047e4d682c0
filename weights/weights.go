// Package weights reads model weight files: safetensors (one file, or shards
// named by a model.safetensors.index.json) and GGUF v2/v3. Every header is
// validated completely before any tensor byte is touched, and every error
// names the file and, where there is one, the tensor. Every file, including
// each shard an index names, is opened with runtime/fileio: it must be a
// regular file, and a FIFO or device is an error, not a hang.
//
// Opening:
//
//	s, err := weights.Open(path, weights.Mmap) // or weights.Read
//	defer s.Close()
//	t, ok := s.Tensor("model.embed_tokens.weight")
//	rows := t.U16() // zero-copy bf16/f16 view; F32() for f32; Bytes() for raw
//
// path is a .safetensors file, a .gguf file, a model.safetensors.index.json,
// or a directory holding model.safetensors, model.safetensors.index.json, a
// single *.safetensors or a single *.gguf (checked in that order).
//
// Load modes (ParseLoadMode accepts "mmap" and "read"):
//
//   - Mmap (the default): each file is mapped read-only with MAP_SHARED and
//     madvise(MADV_WILLNEED); tensors are views into the page cache. Mapped
//     pages count against the page cache, not the process, so MappedBytes and
//     ResidentBytes (pages resident per mincore) are reported separately.
//     Truncating a file while it is mapped makes later reads fault (SIGBUS);
//     runtime's pool turns such a fault into a panic, and Set.FaultError
//     turns that into an error naming the file (see intact.go).
//   - Read: every tensor byte is read once into an anonymous, 2 MiB-aligned
//     mapping advised with MADV_HUGEPAGE, each tensor starting on a 64-byte
//     boundary. Bytes are unchanged (f16/bf16 stay f16/bf16). On hosts where
//     file-backed pages read slowly (this project's CI VM is one) this is the
//     faster mode for inference.
//
// Dtypes: F32, F16 and BF16 are loadable from both formats; each tensor
// keeps the dtype stored in the file (Chameleon checkpoints mix bf16 and
// f32). GGUF files may also hold ggml's block-quantized Q4_0, Q4_1, Q5_0,
// Q5_1, Q8_0, Q4_K, Q5_K and Q6_K tensors, kept as raw blocks (Bytes): their
// innermost dimension must be a whole number of blocks. Any other dtype, in
// either format, fails Open with "unsupported tensor type".
//
// Alignment: a typed view's data pointer is always aligned to the element
// size. A tensor whose bytes sit misaligned in a mapped file is copied once,
// at Open, into aligned memory and marked Copied.
//
// GGUF: Shape is given in row-major (PyTorch) order, i.e. ggml's ne[] reversed,
// so a GGUF "attn_q" has the same Shape as the Hugging Face q_proj. Metadata
// values keep their GGUF type (uint32, float32, string, []string, []int32, ...).
// LlamaFromGGUF reads the llama hyper-parameters and maps GGUF tensor names to
// Hugging Face names; see GGUFLlama for the RoPE layout caveat.
//
// WriteSafetensors writes a file atomically (temp file, fsync, rename) with
// sorted names and an 8-byte-aligned header, as the reference writer does.
package weights

import (
	"fmt"
	"os"
	"slices"
	"unsafe"

	"github.com/chatumm/chatumm/runtime/fileio"
)

// DType is the element type of a loadable tensor. The numbering of F32, F16
// and BF16 matches ops.DType, so ops.DType(t.DType) converts those three.
// The block-quantized types (GGUF only) come after them in asm.QType's
// order (Q4_0 is QType 1, ...), so asm.QType(d-Q4_0+1) converts; their
// blocks are exactly ggml's (block_q4_0, ..., block_q6_K).
type DType uint8

const (
	F32 DType = iota
	F16
	BF16
	Q4_0
	Q4_1
	Q5_0
	Q5_1
	Q8_0
	Q4_K
	Q5_K
	Q6_K
	numDTypes
)

// dtypeInfo is each DType's name and block: BlockElems elements stored in
// BlockBytes bytes (1 element per block for the plain types). The block
// sizes are ggml's (ggml-common.h), kept here as a table so that weights
// needs no kernel package.
var dtypeInfo = [numDTypes]struct {
	name              string
	blockElems, bytes int
}{
	F32: {"F32", 1, 4}, F16: {"F16", 1, 2}, BF16: {"BF16", 1, 2},
	Q4_0: {"Q4_0", 32, 18}, Q4_1: {"Q4_1", 32, 20}, Q5_0: {"Q5_0", 32, 22}, Q5_1: {"Q5_1", 32, 24},
	Q8_0: {"Q8_0", 32, 34}, Q4_K: {"Q4_K", 256, 144}, Q5_K: {"Q5_K", 256, 176}, Q6_K: {"Q6_K", 256, 210},
}

func (d DType) String() string {
	if d < numDTypes {
		return dtypeInfo[d].name
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size is the byte size of one element of F32, F16 or BF16, and 0 for a
// block-quantized type, whose elements have no byte size of their own (see
// BlockBytes).
func (d DType) Size() int {
	if d.Quantized() || d >= numDTypes {
		return 0
	}
	return dtypeInfo[d].bytes
}

// Quantized reports a block-quantized type (Q4_0 ... Q6_K).
func (d DType) Quantized() bool { return d >= Q4_0 && d < numDTypes }

// BlockElems is how many elements one block holds: 32 for Q4_0 ... Q8_0,
// 256 for the K types, 1 for F32, F16 and BF16.
func (d DType) BlockElems() int {
	if d >= numDTypes {
		return 1
	}
	return dtypeInfo[d].blockElems
}

// BlockBytes is the byte size of one block (of one element for F32, F16
// and BF16): ggml's 18, 20, 22, 24, 34, 144, 176, 210 for Q4_0 ... Q6_K.
func (d DType) BlockBytes() int {
	if d >= numDTypes {
		return 0
	}
	return dtypeInfo[d].bytes
}

// alignment is the boundary a tensor's bytes need in memory: the element
// size, or for a quantized type that of its f16 scales.
func (d DType) alignment() int64 {
	if d.Quantized() {
		return 2
	}
	return int64(d.Size())
}

// valid reports a type the safetensors writer can store (not the
// GGUF-only quantized types).
func (d DType) valid() bool { return d <= BF16 }

// Tensor is one named weight. Its bytes live in the Set's memory and stay
// valid until the Set is closed.
type Tensor struct {
	Name  string
	DType DType
	Shape []int  // row-major (PyTorch order), also for GGUF
	File  string // the file the tensor was read from
	// Copied reports that the tensor's bytes in the file are not aligned to its
	// element size. In Mmap mode the views then point at a one-time aligned
	// copy instead of the mapping; in Read mode every tensor is copied anyway.
	Copied bool

	offset int64 // start of the bytes, relative to the file's data section
	nbytes int64
	data   []byte
	mapped bool    // data is a view into a read-only file mapping
	fileAt int64   // where the bytes start in File (-1: not from a file)
	src    *source // the open mapped file (nil: not mapped, or the Set is closed)
}

// ReadFile reads len(dst) of the tensor's bytes, starting at byte off of the
// tensor, again from its file rather than from memory: for a caller that
// rewrites the tensor's memory in place (a model that stores a matrix
// transposed) and needs the original bytes as it goes.
func (t *Tensor) ReadFile(dst []byte, off int64) error {
	if t.fileAt < 0 || off < 0 || off+int64(len(dst)) > t.nbytes {
		return fmt.Errorf("%s: tensor %q: cannot re-read bytes %d..%d from the file", t.File, t.Name, off, off+int64(len(dst)))
	}
	// The mapped file's own descriptor, so the bytes are the mapping's
	// even if the path has since been replaced.
	var f *os.File
	if t.src != nil {
		f = t.src.f
	} else {
		var err error
		if f, _, err = fileio.Open(t.File); err != nil {
			return err
		}
		defer f.Close()
	}
	if _, err := f.ReadAt(dst, t.fileAt+off); err != nil {
		return fmt.Errorf("%s: tensor %q: re-reading %d bytes at offset %d: %w", t.File, t.Name, len(dst), t.fileAt+off, err)
	}
	return nil
}

// Release tells the OS that this process does not need the tensor's pages
// for now, for a tensor the caller has made its own copy of (a model that
// stores a matrix transposed). For a view into a file mapping (Mmap mode)
// the whole pages inside it leave the process's resident set; touching them
// again reads them back from the page cache, so the bytes stay valid. For
// any other tensor it does nothing.
func (t *Tensor) Release() {
	if t.mapped {
		releasePages(t.data)
	}
}

// NumElements is the product of Shape (1 for a scalar).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Bytes returns the tensor's raw little-endian bytes without copying.
func (t *Tensor) Bytes() []byte { return t.data }

// F32 returns a zero-copy float32 view. It panics if the tensor is not F32:
// calling it on another dtype is a programming error.
func (t *Tensor) F32() []float32 {
	if t.DType != F32 {
		panic(fmt.Sprintf("weights: F32() on %s tensor %q", t.DType, t.Name))
	}
	if len(t.data) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&t.data[0])), len(t.data)/4)
}

// U16 returns a zero-copy view of F16 or BF16 bits. It panics on an F32
// tensor: calling it there is a programming error.
func (t *Tensor) U16() []uint16 {
	if t.DType != F16 && t.DType != BF16 {
		panic(fmt.Sprintf("weights: U16() on %s tensor %q", t.DType, t.Name))
	}
	if len(t.data) == 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&t.data[0])), len(t.data)/2)
}

// LoadMode says how tensor bytes reach memory.
type LoadMode int

const (
	Mmap LoadMode = iota // map the files read-only (default)
	Read                 // read once into anonymous huge-page memory
)

func (m LoadMode) String() string {
	switch m {
	case Mmap:
		return "mmap"
	case Read:
		return "read"
	}
	return fmt.Sprintf("LoadMode(%d)", int(m))
}

// ParseLoadMode parses "mmap" or "read" (an empty string means mmap).
func ParseLoadMode(s string) (LoadMode, error) {
	switch s {
	case "mmap", "":
		return Mmap, nil
	case "read":
		return Read, nil
	}
	return 0, fmt.Errorf("unknown load mode %q (want mmap or read)", s)
}

// byteSize returns the product of dims times elemSize, or ok=false if a dim
// is negative or the product exceeds limit (which keeps every later int64
// sum and int conversion in range).
func byteSize(dims []int64, elemSize int64, limit int64) (n int64, ok bool) {
	for _, d := range dims {
		if d < 0 {
			return 0, false
		}
	}
	if slices.Contains(dims, 0) {
		return 0, true // an empty tensor, however large the other dims
	}
	n = elemSize
	for _, d := range dims {
		if n > limit/d {
			return 0, false
		}
		n *= d
	}
	return n, n <= limit
}
