package weights

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"unicode/utf8"
)

// WriteTensor is one tensor to write: Data holds its little-endian bytes,
// NumElements(Shape) × DType.Size() of them. A tensor may instead give Fill,
// which writes those bytes into dst when the tensor's turn comes, so a large
// generated checkpoint never has to be in memory all at once.
type WriteTensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
	Fill  func(dst []byte)
}

// WriteSafetensors writes tensors and optional metadata as a safetensors
// file. Header entries are sorted by name and the header is padded with
// spaces to a multiple of 8 bytes. In the data section tensors are ordered by
// element size (largest first), then name, so every tensor is aligned to its
// element size, as the reference writer does. The file appears atomically:
// it is written to a temporary file in the same directory, synced, then
// renamed over path.
func WriteSafetensors(path string, tensors []WriteTensor, metadata map[string]string) error {
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("%s: metadata %q: not valid UTF-8", path, k)
		}
	}
	byName := make([]*WriteTensor, len(tensors))
	seen := map[string]bool{}
	sizes := map[string]int64{} // byte sizes of the tensors that Fill
	size := func(t *WriteTensor) int64 {
		if n, ok := sizes[t.Name]; ok {
			return n
		}
		return int64(len(t.Data))
	}
	for i := range tensors {
		t := &tensors[i]
		if t.Name == "" || t.Name == "__metadata__" || !utf8.ValidString(t.Name) {
			return fmt.Errorf("%s: invalid tensor name %q", path, t.Name)
		}
		if seen[t.Name] {
			return fmt.Errorf("%s: tensor %q given twice", path, t.Name)
		}
		seen[t.Name] = true
		if !t.DType.valid() {
			return fmt.Errorf("%s: tensor %q: invalid dtype %v", path, t.Name, t.DType)
		}
		dims := make([]int64, len(t.Shape))
		for j, d := range t.Shape {
			dims[j] = int64(d)
		}
		n, ok := byteSize(dims, int64(t.DType.Size()), maxTensorBytes)
		if !ok {
			return fmt.Errorf("%s: tensor %q: invalid shape %v", path, t.Name, t.Shape)
		}
		if t.Data == nil && t.Fill != nil {
			sizes[t.Name] = n
		} else if n != int64(len(t.Data)) {
			return fmt.Errorf("%s: tensor %q: shape %v of %s needs %d bytes, got %d", path, t.Name, t.Shape, t.DType, n, len(t.Data))
		}
		byName[i] = t
	}
	sort.Slice(byName, func(i, j int) bool { return byName[i].Name < byName[j].Name })
	inData := append([]*WriteTensor(nil), byName...)
	sort.SliceStable(inData, func(i, j int) bool { return inData[i].DType.Size() > inData[j].DType.Size() })

	offsets := map[string][2]int64{}
	var at int64
	for _, t := range inData {
		offsets[t.Name] = [2]int64{at, at + size(t)}
		at += size(t)
	}
	header := buildHeader(byName, offsets, metadata)

	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	w.Write(lenBuf[:])
	w.Write(header)
	var fillBuf []byte
	for _, t := range inData {
		if _, ok := sizes[t.Name]; ok {
			n := int(size(t))
			if cap(fillBuf) < n {
				fillBuf = make([]byte, n)
			}
			clear(fillBuf[:n])
			t.Fill(fillBuf[:n])
			w.Write(fillBuf[:n])
			continue
		}
		w.Write(t.Data)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ok = true
	// Make the rename itself durable; not every system can sync a directory.
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		dir.Sync()
		dir.Close()
	}
	return nil
}

// buildHeader writes the JSON header by hand so its order is fixed:
// __metadata__ first (keys sorted), then tensors by name.
func buildHeader(byName []*WriteTensor, offsets map[string][2]int64, metadata map[string]string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	comma := func() {
		if !first {
			b.WriteByte(',')
		}
		first = false
	}
	if len(metadata) > 0 {
		comma()
		b.WriteString(`"__metadata__":{`)
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(jsonString(k))
			b.WriteByte(':')
			b.Write(jsonString(metadata[k]))
		}
		b.WriteByte('}')
	}
	for _, t := range byName {
		comma()
		b.Write(jsonString(t.Name))
		b.WriteString(`:{"dtype":"` + t.DType.String() + `","shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		off := offsets[t.Name]
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off[0], off[1])
	}
	b.WriteByte('}')
	for (8+b.Len())%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes()
}

func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes (invalid UTF-8 becomes U+FFFD)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
