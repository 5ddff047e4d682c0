package weights

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// writeSharded writes two shards and an index placing a.* in shard 1 and
// b.* in shard 2, and returns the directory.
func writeSharded(t *testing.T, weightMap map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	shard1 := []WriteTensor{
		{Name: "a.bf16", DType: BF16, Shape: []int{2, 2}, Data: u16Bytes(1, 2, 3, 4)},
		{Name: "a.f32", DType: F32, Shape: []int{1}, Data: f32Bytes(9)},
	}
	shard2 := []WriteTensor{{Name: "b.f16", DType: F16, Shape: []int{3}, Data: u16Bytes(5, 6, 7)}}
	if err := WriteSafetensors(filepath.Join(dir, "model-00001-of-00002.safetensors"), shard1, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteSafetensors(filepath.Join(dir, "model-00002-of-00002.safetensors"), shard2, nil); err != nil {
		t.Fatal(err)
	}
	if weightMap == nil {
		weightMap = map[string]string{
			"a.bf16": "model-00001-of-00002.safetensors",
			"a.f32":  "model-00001-of-00002.safetensors",
			"b.f16":  "model-00002-of-00002.safetensors",
		}
	}
	index, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 18}, "weight_map": weightMap})
	writeTemp(t, dir, "model.safetensors.index.json", index)
	return dir
}

func TestShardedIndex(t *testing.T) {
	dir := writeSharded(t, nil)
	for _, mode := range bothModes {
		for _, open := range []string{dir, filepath.Join(dir, "model.safetensors.index.json")} {
			s, err := Open(open, mode)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"a.bf16", "a.f32", "b.f16"}; !slices.Equal(s.Names(), want) {
				t.Errorf("names %v", s.Names())
			}
			if len(s.Files()) != 2 || s.Format() != "safetensors" {
				t.Errorf("files %v format %s", s.Files(), s.Format())
			}
			b, _ := s.Tensor("b.f16")
			if !slices.Equal(b.U16(), []uint16{5, 6, 7}) || filepath.Base(b.File) != "model-00002-of-00002.safetensors" {
				t.Errorf("b.f16 = %v from %s", b.U16(), b.File)
			}
			a, _ := s.Tensor("a.bf16")
			if !slices.Equal(a.U16(), []uint16{1, 2, 3, 4}) {
				t.Errorf("a.bf16 = %v", a.U16())
			}
			if s.Metadata()["format"] != "pt" || s.Metadata()["total_size"] != float64(18) {
				t.Errorf("metadata %v", s.Metadata())
			}
			s.Close()
		}
	}
}

func TestShardedErrors(t *testing.T) {
	const s1, s2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
	cases := []struct {
		name      string
		weightMap map[string]string
		errors    []string
	}{
		{"tensor in wrong shard", map[string]string{"a.bf16": s2}, []string{s2, `tensor "a.bf16" listed in the index is not in this shard`}},
		{"missing shard", map[string]string{"a.bf16": "model-00009.safetensors"}, []string{"model-00009.safetensors"}},
		{"path escape", map[string]string{"a.bf16": "../x.safetensors"}, []string{"index.json", `tensor "a.bf16"`, "not a plain file name"}},
		{"empty", map[string]string{}, []string{"weight_map is missing or empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeSharded(t, c.weightMap)
			_, err := Open(dir, Mmap)
			wantErr(t, err, c.errors...)
		})
	}

	// A tensor in two shards is ambiguous.
	dir := writeSharded(t, nil)
	dup := []WriteTensor{{Name: "a.f32", DType: F32, Shape: []int{1}, Data: f32Bytes(1)},
		{Name: "b.f16", DType: F16, Shape: []int{1}, Data: u16Bytes(1)}}
	if err := WriteSafetensors(filepath.Join(dir, s2), dup, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"),
		[]byte(`{"weight_map":{"a.f32":"`+s1+`","b.f16":"`+s2+`"}}`), 0o644)
	_, err := Open(dir, Mmap)
	wantErr(t, err, s2, `tensor "a.f32"`, "also in")

	// A broken shard is reported with its own name.
	os.WriteFile(filepath.Join(dir, s2), []byte("garbage!garbage!"), 0o644)
	_, err = Open(dir, Read)
	wantErr(t, err, s2, "header length")

	os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), []byte(`{"weight_map":`), 0o644)
	_, err = Open(dir, Mmap)
	wantErr(t, err, "index.json", "not a valid safetensors index")
}
