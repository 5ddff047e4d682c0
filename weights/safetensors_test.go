package weights

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var bothModes = []LoadMode{Mmap, Read}

// sampleTensors covers every dtype, a scalar, an empty tensor and an odd
// number of 2-byte elements (which would misalign a following f32 tensor if
// the writer did not order data by element size).
func sampleTensors() []WriteTensor {
	return []WriteTensor{
		{Name: "b.f32", DType: F32, Shape: []int{2, 3}, Data: f32Bytes(1, 2, 3, 4, 5, 6.5)},
		{Name: "a.f16", DType: F16, Shape: []int{3}, Data: u16Bytes(0x3c00, 0x4000, 0xbc00)},
		{Name: "c.bf16", DType: BF16, Shape: []int{1, 1, 2}, Data: u16Bytes(0x3f80, 0xc000)},
		{Name: "d.scalar", DType: F32, Shape: []int{}, Data: f32Bytes(7)},
		{Name: "e.empty", DType: BF16, Shape: []int{0, 5}, Data: nil},
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	meta := map[string]string{"format": "pt", "note": `quotes " and <tags>`}
	if err := WriteSafetensors(path, sampleTensors(), meta); err != nil {
		t.Fatal(err)
	}
	for _, open := range []string{path, dir} {
		for _, mode := range bothModes {
			s, err := Open(open, mode)
			if err != nil {
				t.Fatalf("%s %v: %v", open, mode, err)
			}
			if s.Format() != "safetensors" || s.Mode() != mode || !slices.Equal(s.Files(), []string{path}) {
				t.Errorf("format %q mode %v files %v", s.Format(), s.Mode(), s.Files())
			}
			if want := []string{"a.f16", "b.f32", "c.bf16", "d.scalar", "e.empty"}; !slices.Equal(s.Names(), want) {
				t.Errorf("names %v, want %v", s.Names(), want)
			}
			for k, v := range meta {
				if s.Metadata()[k] != v {
					t.Errorf("metadata %q = %v, want %q", k, s.Metadata()[k], v)
				}
			}
			for _, w := range sampleTensors() {
				got, ok := s.Tensor(w.Name)
				if !ok {
					t.Fatalf("missing %q", w.Name)
				}
				if got.DType != w.DType || !slices.Equal(got.Shape, w.Shape) || got.File != path || got.Copied {
					t.Errorf("%s: dtype %v shape %v file %q copied %v", w.Name, got.DType, got.Shape, got.File, got.Copied)
				}
				if !bytes.Equal(got.Bytes(), w.Data) || got.NumElements()*w.DType.Size() != len(w.Data) {
					t.Errorf("%s: bytes %x, want %x", w.Name, got.Bytes(), w.Data)
				}
			}
			b, _ := s.Tensor("b.f32")
			if v := b.F32(); !slices.Equal(v, []float32{1, 2, 3, 4, 5, 6.5}) {
				t.Errorf("F32 view %v", v)
			}
			c, _ := s.Tensor("c.bf16")
			if v := c.U16(); !slices.Equal(v, []uint16{0x3f80, 0xc000}) {
				t.Errorf("U16 view %x", v)
			}
			if s.MappedBytes() <= 0 || s.ResidentBytes() <= 0 || s.ResidentBytes() > s.MappedBytes()+4096 {
				t.Errorf("mapped %d resident %d", s.MappedBytes(), s.ResidentBytes())
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if b.Bytes() != nil {
				t.Error("views survive Close")
			}
		}
	}
}

func TestWriterAlignmentAndAtomicity(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	os.WriteFile(path, []byte("old contents"), 0o644)
	if err := WriteSafetensors(path, sampleTensors(), nil); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	n := int(raw[0]) | int(raw[1])<<8
	if (8+n)%8 != 0 {
		t.Errorf("header length %d leaves the data section misaligned", n)
	}
	if bytes.Contains(raw[8:8+n], []byte("__metadata__")) {
		t.Error("empty metadata written")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	// A failed write leaves the old file and no temporary file.
	bad := []WriteTensor{{Name: "x", DType: F32, Shape: []int{2}, Data: f32Bytes(1)}}
	wantErr(t, WriteSafetensors(path, bad, nil), "w.safetensors", `"x"`, "needs 8 bytes, got 4")
	wantErr(t, WriteSafetensors(path, append(sampleTensors(), sampleTensors()[0]), nil), `"b.f32" given twice`)
	if after, _ := os.ReadFile(path); !bytes.Equal(after, raw) {
		t.Error("failed write changed the file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// TestMisalignedCopy places an f32 tensor at an odd offset: the mmap view
// must be an aligned copy, flagged Copied, with the same bytes.
func TestMisalignedCopy(t *testing.T) {
	data := append([]byte{0xAA}, f32Bytes(1.5, -2)...)
	header := `{"pad":{"dtype":"F16","shape":[0],"data_offsets":[0,0]},` +
		`"w":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}`
	for (8+len(header))%8 != 0 { // an 8-aligned data section, so "w" is off by one
		header += " "
	}
	path := writeTemp(t, t.TempDir(), "mis.safetensors", rawSafetensors(header, data))
	for _, mode := range bothModes {
		s, err := Open(path, mode)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := s.Tensor("w")
		if !w.Copied {
			t.Errorf("%v: misaligned tensor not flagged", mode)
		}
		if addrOf(w.Bytes())%4 != 0 {
			t.Errorf("%v: view not aligned", mode)
		}
		if !slices.Equal(w.F32(), []float32{1.5, -2}) {
			t.Errorf("%v: values %v", mode, w.F32())
		}
		if p, _ := s.Tensor("pad"); p.Copied || len(p.U16()) != 0 {
			t.Errorf("%v: empty tensor copied=%v", mode, p.Copied)
		}
		s.Close()
	}
}

// badFile is a broken weight file and fragments its error must contain
// (besides the file name, which is always checked).
type badFile struct {
	name   string
	file   []byte
	errors []string
}

// safetensorsBadFiles covers every validation error; the fuzz test uses
// them as seeds too.
func safetensorsBadFiles() []badFile {
	ok8 := make([]byte, 8)
	return []badFile{
		{"short file", []byte{1, 2, 3}, []string{"too short"}},
		{"header too long for file", append([]byte{100, 0, 0, 0, 0, 0, 0, 0}, "{}"...), []string{"header length 100 beyond"}},
		{"header over limit", []byte{0, 0, 0, 0, 1, 0, 0, 0, '{', '}'}, []string{"exceeds the 100000000-byte limit"}},
		{"not json", rawSafetensors(`{"a":`, nil), []string{"not a valid JSON object"}},
		{"not an object", rawSafetensors(`[1,2]`, nil), []string{"does not start with '{'"}},
		{"trailing garbage", rawSafetensors(`{} x`, nil), []string{"after the closing"}},
		{"duplicate", rawSafetensors(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{}}`, ok8), []string{`duplicate entry "a"`}},
		{"missing dtype", rawSafetensors(`{"x.weight":{"shape":[1],"data_offsets":[0,4]}}`, ok8), []string{`tensor "x.weight"`, "missing dtype"}},
		{"missing shape", rawSafetensors(`{"x.weight":{"dtype":"F32","data_offsets":[0,4]}}`, ok8), []string{`tensor "x.weight"`, "missing shape"}},
		{"missing offsets", rawSafetensors(`{"x.weight":{"dtype":"F32","shape":[1]}}`, ok8), []string{`tensor "x.weight"`, "missing data_offsets"}},
		{"entry not object", rawSafetensors(`{"x.weight":5}`, ok8), []string{`tensor "x.weight"`, "bad entry"}},
		{"unsupported I8", rawSafetensors(`{"x.weight":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}`, ok8), []string{`tensor "x.weight"`, "unsupported dtype I8"}},
		{"unsupported F64", rawSafetensors(`{"x.weight":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, ok8), []string{`tensor "x.weight"`, "unsupported dtype F64"}},
		{"unknown dtype", rawSafetensors(`{"x.weight":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}`, ok8), []string{`tensor "x.weight"`, `unknown dtype "Q4"`}},
		{"negative dim", rawSafetensors(`{"x.weight":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, ok8), []string{`tensor "x.weight"`, "negative"}},
		{"float dim", rawSafetensors(`{"x.weight":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, ok8), []string{`tensor "x.weight"`, "not an integer"}},
		{"quoted dim", rawSafetensors(`{"x.weight":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}`, ok8), []string{`tensor "x.weight"`, "not an integer"}},
		{"huge dim", rawSafetensors(`{"x.weight":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}`, ok8), []string{`tensor "x.weight"`, "out of range"}},
		{"overflowing shape", rawSafetensors(`{"x.weight":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}`, ok8), []string{`tensor "x.weight"`, "too large"}},
		{"offsets beyond data", rawSafetensors(`{"x.weight":{"dtype":"F32","shape":[4],"data_offsets":[10,26]}}`, make([]byte, 16)), []string{`tensor "x.weight": data_offsets [10, 26] beyond data section of 16 bytes`}},
		{"offsets reversed", rawSafetensors(`{"x.weight":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, ok8), []string{`tensor "x.weight"`, "begin after end"}},
		{"negative offset", rawSafetensors(`{"x.weight":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, ok8), []string{`tensor "x.weight"`, "negative"}},
		{"three offsets", rawSafetensors(`{"x.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, ok8), []string{`tensor "x.weight"`, "has 3 values"}},
		{"size mismatch", rawSafetensors(`{"x.weight":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, ok8), []string{`tensor "x.weight"`, "needs 12 bytes"}},
		{"overlap", rawSafetensors(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[2],"data_offsets":[4,8]}}`, ok8), []string{`tensor "b"`, `overlap tensor "a"`}},
		{"metadata not strings", rawSafetensors(`{"__metadata__":{"n":1}}`, nil), []string{"__metadata__", `"n"`, "not a string"}},
	}
}

func TestSafetensorsValidation(t *testing.T) {
	cases := safetensorsBadFiles()
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, dir, strings.ReplaceAll(c.name, " ", "_")+".safetensors", c.file)
			_, err := Open(path, Mmap)
			wantErr(t, err, append(c.errors, filepath.Base(path))...)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "nope.safetensors"), Mmap)
	wantErr(t, err, "nope.safetensors")
	_, err = Open(dir, Mmap)
	wantErr(t, err, dir, "no model.safetensors")
	writeTemp(t, dir, "a.gguf", nil)
	writeTemp(t, dir, "b.gguf", nil)
	_, err = Open(dir, Mmap)
	wantErr(t, err, "2 *.gguf files")
	_, err = Open(dir, LoadMode(7))
	wantErr(t, err, "unknown load mode")
	for in, want := range map[string]LoadMode{"mmap": Mmap, "read": Read, "": Mmap} {
		if m, err := ParseLoadMode(in); err != nil || m != want {
			t.Errorf("ParseLoadMode(%q) = %v, %v", in, m, err)
		}
	}
	_, err = ParseLoadMode("fast")
	wantErr(t, err, `"fast"`, "mmap or read")
}

func TestByteSize(t *testing.T) {
	cases := []struct {
		dims []int64
		n    int64
		ok   bool
	}{
		{nil, 4, true},
		{[]int64{3, 5}, 60, true},
		{[]int64{1 << 40, 1 << 40}, 0, false},
		{[]int64{1 << 40, 1 << 40, 0}, 0, true},
		{[]int64{1 << 40, 0, -1}, 0, false},
	}
	for _, c := range cases {
		n, ok := byteSize(c.dims, 4, maxTensorBytes)
		if n != c.n || ok != c.ok {
			t.Errorf("byteSize(%v) = %d, %v; want %d, %v", c.dims, n, ok, c.n, c.ok)
		}
	}
}

func TestOpenMemory(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/m.safetensors"
	f16 := []byte{0x00, 0x3c, 0x00, 0x40} // 1.0, 2.0
	f32 := []byte{0, 0, 0x80, 0x3f}       // 1.0
	if err := WriteSafetensors(path, []WriteTensor{
		{Name: "a", DType: F16, Shape: []int{2}, Data: f16},
		{Name: "b", DType: F32, Shape: []int{1}, Data: f32},
	}, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenMemory("mem", data)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Tensor("a")
	b, _ := s.Tensor("b")
	if got := a.U16(); len(got) != 2 || got[0] != 0x3c00 || got[1] != 0x4000 {
		t.Fatalf("a = %x", got)
	}
	if got := b.F32(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("b = %v", got)
	}
	// Zero copy: the view points into data.
	inData := func(v []byte) bool {
		p := addrOf(v)
		return p >= addrOf(data) && p < addrOf(data)+int64(len(data))
	}
	if !a.Copied && !inData(a.Bytes()) {
		t.Fatal("aligned tensor was copied")
	}
	for _, bad := range [][]byte{nil, data[:7], data[:len(data)-1]} {
		if _, err := OpenMemory("mem", bad); err == nil || !strings.Contains(err.Error(), "mem") {
			t.Fatalf("truncated image: %v", err)
		}
	}
}

// TestWriterFill: tensors given by Fill are written exactly as if their bytes
// had been given as Data.
func TestWriterFill(t *testing.T) {
	dir := t.TempDir()
	given, filled := filepath.Join(dir, "given.safetensors"), filepath.Join(dir, "filled.safetensors")
	ts := sampleTensors()
	if err := WriteSafetensors(given, ts, nil); err != nil {
		t.Fatal(err)
	}
	for i := range ts {
		data := ts[i].Data
		ts[i].Data, ts[i].Fill = nil, func(dst []byte) {
			if len(dst) != len(data) {
				t.Errorf("%s: Fill got %d bytes, want %d", ts[i].Name, len(dst), len(data))
			}
			copy(dst, data)
		}
	}
	if err := WriteSafetensors(filled, ts, nil); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(given)
	b, _ := os.ReadFile(filled)
	if !bytes.Equal(a, b) {
		t.Fatal("Fill wrote different bytes than Data")
	}
}

// Release drops a mapped tensor's whole pages from the process's resident
// set (Rss in smaps_rollup, Linux), and the bytes read back unchanged
// afterwards (from the page cache); in read mode it leaves them alone.
func TestReleaseKeepsBytes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	big := make([]byte, 4<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>9)
	}
	if err := WriteSafetensors(path, []WriteTensor{{Name: "w", DType: F16, Shape: []int{2048, 1024}, Data: big}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, mode := range bothModes {
		s, err := Open(path, mode)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := s.Tensor("w")
		for i := 0; i < len(w.Bytes()); i += 1024 { // touch every page
			touchSink += int(w.Bytes()[i])
		}
		before, ok := rssKiB(t)
		w.Release()
		after, _ := rssKiB(t)
		if ok && mode == Mmap && after > before-3<<10 {
			t.Errorf("mmap: Rss %d -> %d KiB after releasing a 4 MiB tensor", before, after)
		}
		if !bytes.Equal(w.Bytes(), big) {
			t.Fatalf("%v: bytes changed after Release", mode)
		}
		s.Close()
	}
}

var touchSink int // keeps the touching loop from being optimised away

// rssKiB is the process's resident memory from /proc/self/smaps_rollup
// (which walks the page tables; /proc/self/status's counters lag); ok is
// false where there is none.
func rssKiB(t *testing.T) (kib int, ok bool) {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, found := strings.CutPrefix(line, "Rss:"); found {
			_, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kib)
			return kib, err == nil
		}
	}
	return 0, false
}

// ReadFile re-reads a tensor's bytes from its file in both load modes and
// refuses ranges outside the tensor and tensors that have no file.
func TestTensorReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	if err := WriteSafetensors(path, sampleTensors(), nil); err != nil {
		t.Fatal(err)
	}
	for _, mode := range bothModes {
		s, err := Open(path, mode)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := s.Tensor("b.f32")
		got := make([]byte, 8)
		if err := b.ReadFile(got, 4); err != nil || !bytes.Equal(got, b.Bytes()[4:12]) {
			t.Errorf("%v: ReadFile = %x, %v; want %x", mode, got, err, b.Bytes()[4:12])
		}
		if err := b.ReadFile(got, int64(len(b.Bytes())-4)); err == nil {
			t.Errorf("%v: ReadFile past the tensor's end succeeded", mode)
		}
		s.Close()
	}
	data, _ := os.ReadFile(path)
	s, err := OpenMemory("mem.safetensors", data)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Tensor("b.f32")
	if err := b.ReadFile(make([]byte, 4), 0); err == nil {
		t.Error("ReadFile on an in-memory tensor succeeded")
	}
}
