package weights

import (
	"bytes"
	"fmt"
)

// OpenMemory opens a safetensors image that is already in memory (the
// model embedded in the binary): the header is validated as for a file and
// the tensors alias data without copying, except misaligned ones, which are
// copied once. name labels errors and Files(). data must stay unmodified
// for the life of the Set.
func OpenMemory(name string, data []byte) (*Set, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: empty weights image", name)
	}
	pf, err := parseSafetensors(bytes.NewReader(data), name, int64(len(data)))
	if err != nil {
		return nil, err
	}
	s := newSet(Mmap)
	s.format = "safetensors"
	for _, t := range pf.tensors {
		start := pf.dataStart + t.offset
		t.data = data[start : start+t.nbytes : start+t.nbytes]
		if len(t.data) > 0 && addrOf(t.data)%int64(t.DType.Size()) != 0 {
			t.data = alignedCopy(t.data)
			t.Copied = true
			s.copiedBytes += t.nbytes
		}
		s.tensors[t.Name] = t
	}
	s.metadata = pf.metadata
	if s.metadata == nil {
		s.metadata = map[string]any{}
	}
	s.files = []string{name}
	s.mapped = int64(len(data))
	s.finish()
	return s, nil
}
