package weights

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/chatumm/chatumm/runtime/fileio"
)

// Set is an open collection of tensors from one model: one file, or the
// shards of one safetensors index.
type Set struct {
	format   string
	mode     LoadMode
	files    []string
	tensors  map[string]*Tensor
	names    []string
	metadata map[string]any

	mappings    [][]byte  // file mappings (Mmap) or anonymous buffers (Read), for Close
	sources     []*source // the mapped files, kept open to check them (see CheckIntact)
	mapped      int64     // bytes of those mappings that hold file or tensor bytes
	readBytes   int64     // Read mode: bytes allocated for tensors
	copiedBytes int64     // Mmap mode: bytes of misaligned tensors copied to the heap
}

// parsedFile is a validated header: every tensor's range lies inside the
// data section, ranges do not overlap and sizes match shapes.
type parsedFile struct {
	path      string
	size      int64 // file size
	dataStart int64 // file offset of the data section
	dataSize  int64
	tensors   []*Tensor
	metadata  map[string]any
}

// Open opens a weight file or model directory; see the package comment for
// what path may name. The returned Set must be closed.
func Open(path string, mode LoadMode) (*Set, error) {
	if mode != Mmap && mode != Read {
		return nil, fmt.Errorf("%s: unknown load mode %d", path, int(mode))
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fileio.Clean(err)
	}
	if fi.IsDir() {
		if path, err = findInDir(path); err != nil {
			return nil, err
		}
	}
	if strings.HasSuffix(path, ".json") {
		return openSharded(path, mode)
	}
	s := newSet(mode)
	if err := s.addFile(path, nil); err != nil {
		s.Close()
		return nil, err
	}
	s.finish()
	return s, nil
}

// findInDir picks the weight file of a model directory.
func findInDir(dir string) (string, error) {
	for _, name := range []string{"model.safetensors", "model.safetensors.index.json"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	for _, pattern := range []string{"*.safetensors", "*.gguf"} {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		if len(matches) == 1 {
			return matches[0], nil
		}
		if len(matches) > 1 {
			return "", fmt.Errorf("%s: %d %s files and no model.safetensors.index.json; name one", dir, len(matches), pattern)
		}
	}
	return "", fmt.Errorf("%s: no model.safetensors, model.safetensors.index.json, *.safetensors or *.gguf", dir)
}

func newSet(mode LoadMode) *Set {
	return &Set{mode: mode, tensors: map[string]*Tensor{}, metadata: map[string]any{}}
}

// addFile validates one file, loads its tensors and adds them to the set. If
// want is non-nil, it holds the tensors a shard index places in this file,
// and each must be present.
func (s *Set) addFile(path string, want []string) error {
	// Only a regular file, opened without blocking: a FIFO or a device
	// named as a model (or by a shard index) is a one-line error.
	f, fi, err := fileio.Open(path)
	if err != nil {
		return err
	}
	kept := false
	defer func() {
		if !kept {
			f.Close()
		}
	}()
	var magic [4]byte
	n, _ := f.ReadAt(magic[:], 0)
	format := "safetensors"
	var pf *parsedFile
	if (n == 4 && string(magic[:]) == ggufMagic) || strings.EqualFold(filepath.Ext(path), ".gguf") {
		format = "gguf"
		pf, err = parseGGUF(f, path, fi.Size())
	} else {
		pf, err = parseSafetensors(f, path, fi.Size())
	}
	if err != nil {
		return err
	}
	if s.format != "" && s.format != format {
		return fmt.Errorf("%s: %s file in a %s set", path, format, s.format)
	}
	s.format = format
	for _, name := range want {
		if !containsTensor(pf.tensors, name) {
			return fmt.Errorf("%s: tensor %q listed in the index is not in this shard", path, name)
		}
	}
	for _, t := range pf.tensors {
		if old, dup := s.tensors[t.Name]; dup {
			return fmt.Errorf("%s: tensor %q is also in %s", path, t.Name, old.File)
		}
	}
	if kept, err = s.load(f, fi, pf); err != nil {
		return err
	}
	for _, t := range pf.tensors {
		s.tensors[t.Name] = t
	}
	for k, v := range pf.metadata {
		if _, seen := s.metadata[k]; !seen {
			s.metadata[k] = v
		}
	}
	s.files = append(s.files, path)
	return nil
}

func containsTensor(ts []*Tensor, name string) bool {
	for _, t := range ts {
		if t.Name == name {
			return true
		}
	}
	return false
}

// load gives every tensor of a validated file its bytes. It reports
// whether the set keeps f open (a mapped file, see CheckIntact).
func (s *Set) load(f *os.File, fi os.FileInfo, pf *parsedFile) (kept bool, err error) {
	if s.mode == Read {
		return false, s.loadRead(f, pf)
	}
	if pf.dataSize == 0 {
		return false, nil // nothing to map: no tensor has bytes
	}
	mem, err := mapFile(f, pf.size)
	if err != nil {
		return false, fmt.Errorf("%s: %w", pf.path, err)
	}
	s.mappings = append(s.mappings, mem)
	s.mapped += int64(len(mem))
	var src *source
	if mapsFiles {
		src = &source{path: pf.path, f: f, info: fi, mem: mem}
		s.sources = append(s.sources, src)
	}
	for _, t := range pf.tensors {
		start := pf.dataStart + t.offset
		t.data = mem[start : start+t.nbytes : start+t.nbytes]
		t.mapped, t.fileAt, t.src = true, start, src
		if addrOf(t.data)%t.DType.alignment() != 0 {
			// A typed view must be aligned; copy this one tensor once.
			t.data = alignedCopy(t.data)
			t.Copied, t.mapped = true, false
			s.copiedBytes += t.nbytes
		}
	}
	return src != nil, nil
}

// tensorAlign is where each tensor starts in the read-mode buffer: a cache
// line, which also suits 512-bit loads.
const tensorAlign = 64

// loadRead reads every tensor's bytes, in file order, into one anonymous
// huge-page buffer.
func (s *Set) loadRead(f *os.File, pf *parsedFile) error {
	ts := append([]*Tensor(nil), pf.tensors...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].offset < ts[j].offset })
	var total int64
	for _, t := range ts {
		total += alignUp(t.nbytes, tensorAlign)
	}
	for _, t := range ts {
		t.Copied = (pf.dataStart+t.offset)%t.DType.alignment() != 0
	}
	if total == 0 {
		return nil
	}
	buf, mapping, err := allocAligned(total)
	if err != nil {
		return fmt.Errorf("%s: %w", pf.path, err)
	}
	s.mappings = append(s.mappings, mapping)
	s.mapped += total
	s.readBytes += total
	var at int64
	for _, t := range ts {
		dst := buf[at : at+t.nbytes : at+t.nbytes]
		if _, err := f.ReadAt(dst, pf.dataStart+t.offset); err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("file shrank while loading")
			}
			return fmt.Errorf("%s: tensor %q: reading %d bytes at offset %d: %w",
				pf.path, t.Name, t.nbytes, pf.dataStart+t.offset, err)
		}
		t.data, t.fileAt = dst, pf.dataStart+t.offset
		at += alignUp(t.nbytes, tensorAlign)
	}
	return nil
}

// finish sorts the names once all files are in.
func (s *Set) finish() {
	s.names = make([]string, 0, len(s.tensors))
	for name := range s.tensors {
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
}

// Tensor returns the named tensor.
func (s *Set) Tensor(name string) (*Tensor, bool) {
	t, ok := s.tensors[name]
	return t, ok
}

// Names returns all tensor names, sorted.
func (s *Set) Names() []string { return append([]string(nil), s.names...) }

// Files returns the files the tensors came from, in load order.
func (s *Set) Files() []string { return append([]string(nil), s.files...) }

// Format is "safetensors" or "gguf".
func (s *Set) Format() string { return s.format }

// Mode is the load mode the set was opened with.
func (s *Set) Mode() LoadMode { return s.mode }

// Metadata holds safetensors __metadata__ entries (strings; for shards the
// first shard's value wins, and the index's "metadata" is merged in) or the
// GGUF key-value pairs with their GGUF types.
func (s *Set) Metadata() map[string]any { return s.metadata }

// MappedBytes is the size of the memory holding tensor bytes: the file
// mappings in Mmap mode, the anonymous buffers in Read mode; plus any
// misaligned tensors copied to the heap.
func (s *Set) MappedBytes() int64 { return s.mapped + s.copiedBytes }

// ResidentBytes is how much of that is in RAM now. In Mmap mode it counts
// the mapped file pages that mincore reports resident, i.e. present in the
// page cache (they may still cost a page fault on first touch); -1 where
// mincore is unavailable. In Read mode it is the allocated bytes. Heap copies
// of misaligned tensors are added in both modes.
func (s *Set) ResidentBytes() int64 {
	if s.mode == Read {
		return s.readBytes + s.copiedBytes
	}
	n := s.copiedBytes
	for _, m := range s.mappings {
		r := residentBytes(m)
		if r < 0 {
			return -1
		}
		n += r
	}
	return n
}

// Close releases the mappings. Views taken from the tensors must not be used
// afterwards; the tensors themselves return empty views.
func (s *Set) Close() error {
	var first error
	for _, m := range s.mappings {
		if err := unmap(m); err != nil && first == nil {
			first = err
		}
	}
	s.mappings = nil
	for _, src := range s.sources {
		src.f.Close()
	}
	s.sources = nil
	for _, t := range s.tensors {
		t.data, t.src = nil, nil
	}
	return first
}

// checkRanges rejects overlapping tensors. Each range was already checked to
// lie inside the data section.
func checkRanges(pf *parsedFile) error {
	ts := append([]*Tensor(nil), pf.tensors...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].offset < ts[j].offset })
	var prev *Tensor
	for _, t := range ts {
		if t.nbytes == 0 {
			continue
		}
		if prev != nil && t.offset < prev.offset+prev.nbytes {
			return fmt.Errorf("%s: tensor %q: bytes [%d, %d) overlap tensor %q [%d, %d)", pf.path,
				t.Name, t.offset, t.offset+t.nbytes, prev.Name, prev.offset, prev.offset+prev.nbytes)
		}
		prev = t
	}
	return nil
}
