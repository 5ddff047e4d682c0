package weights

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// ramp fills dst with bytes that differ per tensor and position.
func ramp(seed byte) func(dst []byte) error {
	return func(dst []byte) error {
		for i := range dst {
			dst[i] = seed + byte(i*7)
		}
		return nil
	}
}

func TestWriteGGUFRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	meta := []GGUFKV{
		{"general.architecture", "chatumm"},
		{"chatumm.config_json", `{"model_type":"llama"}`},
		{"u32", uint32(7)}, {"i32", int32(-3)}, {"f32", float32(1.5)}, {"b", true},
		{"u64", uint64(1 << 40)}, {"f64", 2.25},
		{"strs", []string{"a", "", "ccc"}}, {"ints", []int32{1, -2, 3}}, {"floats", []float32{0.5, -1}},
	}
	tensors := []GGUFTensor{
		{Name: "norm.weight", DType: F32, Shape: []int{5}, Fill: ramp(1)},
		{Name: "w.q8", DType: Q8_0, Shape: []int{3, 64}, Fill: ramp(2)}, // 3 rows of 2 blocks
		{Name: "w.q4k", DType: Q4_K, Shape: []int{2, 256}, Fill: ramp(3)},
		{Name: "emb.f16", DType: F16, Shape: []int{2, 3, 3}, Fill: ramp(4)},
		{Name: "bf", DType: BF16, Shape: []int{7}, Fill: ramp(5)},
	}
	if err := WriteGGUF(path, meta, tensors); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []LoadMode{Mmap, Read} {
		s, err := Open(path, mode)
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range meta {
			if got := s.Metadata()[kv.Key]; !reflect.DeepEqual(got, kv.Value) {
				t.Errorf("%v: metadata %q = %#v, want %#v", mode, kv.Key, got, kv.Value)
			}
		}
		if got := s.Metadata()["general.alignment"]; got != uint32(32) {
			t.Errorf("general.alignment = %#v", got)
		}
		wantBytes := map[string]int{"norm.weight": 20, "w.q8": 3 * 2 * 34, "w.q4k": 2 * 144, "emb.f16": 36, "bf": 14}
		for i, w := range tensors {
			got, ok := s.Tensor(w.Name)
			if !ok {
				t.Fatalf("%v: tensor %q missing", mode, w.Name)
			}
			want := make([]byte, wantBytes[w.Name])
			ramp(byte(i + 1))(want)
			if got.DType != w.DType || !reflect.DeepEqual(got.Shape, w.Shape) || !reflect.DeepEqual(got.Bytes(), want) {
				t.Errorf("%v: %q: %v %v %d bytes, want %v %v %d", mode, w.Name, got.DType, got.Shape, len(got.Bytes()), w.DType, w.Shape, len(want))
			}
		}
		s.Close()
	}
}

// leftovers lists the files in dir.
func leftovers(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteGGUFFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	fillErr := errors.New("source tensor unreadable")
	err := WriteGGUF(path, nil, []GGUFTensor{
		{Name: "a", DType: F32, Shape: []int{4}, Fill: ramp(0)},
		{Name: "b", DType: F32, Shape: []int{4}, Fill: func([]byte) error { return fillErr }},
	})
	if !errors.Is(err, fillErr) || !strings.Contains(err.Error(), `tensor "b": source tensor unreadable`) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v", err)
	}
	if names := leftovers(t, dir); len(names) != 0 {
		t.Errorf("left behind: %v", names)
	}

	// A directory that cannot be written: a one-line error, no file.
	if os.Geteuid() != 0 { // root writes anywhere; a missing directory then stands in
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		err = WriteGGUF(filepath.Join(ro, "m.gguf"), nil, []GGUFTensor{{Name: "a", DType: F32, Shape: []int{4}, Fill: ramp(0)}})
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("read-only dir: err = %v", err)
		}
		if names := leftovers(t, ro); len(names) != 0 {
			t.Errorf("left behind: %v", names)
		}
	}
	err = WriteGGUF(filepath.Join(dir, "missing", "m.gguf"), nil, []GGUFTensor{{Name: "a", DType: F32, Shape: []int{4}, Fill: ramp(0)}})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing dir: err = %v", err)
	}
}

// Bad tensors or metadata are refused before any file is created.
func TestWriteGGUFRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	cases := []struct {
		name string
		meta []GGUFKV
		ts   []GGUFTensor
		want string
	}{
		{"row not whole blocks", nil, []GGUFTensor{{Name: "w", DType: Q8_0, Shape: []int{2, 48}, Fill: ramp(0)}}, "not whole 32-element blocks"},
		{"duplicate tensor", nil, []GGUFTensor{{Name: "w", DType: F32, Shape: []int{1}, Fill: ramp(0)}, {Name: "w", DType: F32, Shape: []int{1}, Fill: ramp(0)}}, "given twice"},
		{"five dims", nil, []GGUFTensor{{Name: "w", DType: F32, Shape: []int{1, 1, 1, 1, 1}, Fill: ramp(0)}}, "at most 4"},
		{"bad value", []GGUFKV{{"k", struct{}{}}}, nil, "unsupported value type"},
		{"bad alignment", []GGUFKV{{"general.alignment", uint32(64)}}, nil, "general.alignment"},
	}
	for _, c := range cases {
		err := WriteGGUF(path, c.meta, c.ts)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want one line with %q", c.name, err, c.want)
		}
	}
	if names := leftovers(t, dir); len(names) != 0 {
		t.Errorf("left behind: %v", names)
	}
}
