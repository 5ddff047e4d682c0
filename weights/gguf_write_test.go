package weights

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
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

// Random files round-trip: any mix of dtypes, shapes of 1 to 4 dimensions
// (zero-sized ones included) and metadata types reads back as written, in
// both load modes.
func TestWriteGGUFRandomRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	dtypes := []DType{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K}
	values := []func() any{
		func() any { return uint8(r.IntN(256)) }, func() any { return int8(r.IntN(256) - 128) },
		func() any { return uint16(r.Uint32()) }, func() any { return int16(r.Uint32()) },
		func() any { return r.Uint32() }, func() any { return int32(r.Uint32()) },
		func() any { return r.Uint64() }, func() any { return int64(r.Uint64()) },
		func() any { return r.Float32() }, func() any { return r.Float64() }, func() any { return r.IntN(2) == 1 },
		func() any { return strings.Repeat("é", r.IntN(5)) },
		func() any { return []string{"", "a", strings.Repeat("z", r.IntN(40))} },
		func() any { return []float32{r.Float32(), -1} }, func() any { return []int32{int32(r.Uint32())} },
		func() any { return []uint8{1, 2, 3} }, func() any { return []float64{} },
	}
	for trial := range 20 {
		var meta []GGUFKV
		for i := range r.IntN(6) {
			meta = append(meta, GGUFKV{fmt.Sprintf("k%d", i), values[r.IntN(len(values))]()})
		}
		var tensors []GGUFTensor
		for i := range 1 + r.IntN(6) {
			dt := dtypes[r.IntN(len(dtypes))]
			shape := make([]int, 1+r.IntN(4))
			for j := range shape {
				shape[j] = r.IntN(4)
			}
			shape[len(shape)-1] = dt.BlockElems() * r.IntN(3)
			tensors = append(tensors, GGUFTensor{Name: fmt.Sprintf("t%d", i), DType: dt, Shape: shape, Fill: ramp(byte(i))})
		}
		path := filepath.Join(t.TempDir(), "r.gguf")
		if err := WriteGGUF(path, meta, tensors); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		for _, mode := range []LoadMode{Mmap, Read} {
			s, err := Open(path, mode)
			if err != nil {
				t.Fatalf("trial %d %v: %v", trial, mode, err)
			}
			for _, kv := range meta {
				if got := s.Metadata()[kv.Key]; !reflect.DeepEqual(got, kv.Value) {
					t.Errorf("trial %d: %q = %#v, want %#v", trial, kv.Key, got, kv.Value)
				}
			}
			for i, w := range tensors {
				got, ok := s.Tensor(w.Name)
				if !ok || got.DType != w.DType || !reflect.DeepEqual(got.Shape, w.Shape) {
					t.Fatalf("trial %d: %q read back as %+v", trial, w.Name, got)
				}
				n := w.DType.BlockBytes()
				for j, d := range w.Shape {
					if j == len(w.Shape)-1 {
						d /= w.DType.BlockElems()
					}
					n *= d
				}
				want := make([]byte, n)
				ramp(byte(i))(want)
				if !bytes.Equal(got.Bytes(), want) {
					t.Errorf("trial %d: %q bytes differ", trial, w.Name)
				}
			}
			s.Close()
		}
	}
}
