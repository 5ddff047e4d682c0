package weights

import (
	"os"
	"path/filepath"
	"testing"
)

// Fuzzing: go test -run XXX -fuzz FuzzSafetensorsHeader -fuzztime 2m -parallel 1 ./weights
// (likewise FuzzGGUF). Broken files that once mattered live in
// testdata/fuzz/<FuzzName>/ and run as part of every go test.

func FuzzSafetensorsHeader(f *testing.F) {
	for _, c := range safetensorsBadFiles() {
		f.Add(c.file)
	}
	f.Add(validSafetensors(f))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		openAndTouch(t, dir, "fuzz.safetensors", data)
	})
}

func FuzzGGUF(f *testing.F) {
	for _, c := range ggufBadFiles() {
		f.Add(c.file)
	}
	tiny := tinyLlama(true)
	f.Add(tiny.bytes())
	all := ggufFile{kvs: allValueKVs, tensors: []ggufTensor{ggufF32("a", 3, 2), ggufF16("b", 5)}}
	f.Add(all.bytes())
	quant := ggufFile{tensors: []ggufTensor{ggufF32("n", 4), ggufQuant("q8", 8, 64, 2), ggufQuant("q4k", 12, 256, 1), ggufQuant("q6k", 14, 256, 2)}}
	f.Add(quant.bytes())
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		openAndTouch(t, dir, "fuzz.gguf", data)
	})
}

func validSafetensors(f *testing.F) []byte {
	path := filepath.Join(f.TempDir(), "seed.safetensors")
	if err := WriteSafetensors(path, sampleTensors(), map[string]string{"format": "pt"}); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// openAndTouch opens data as a weight file in both modes; whatever Open
// accepts must be fully readable through every view, with sizes that agree.
func openAndTouch(t *testing.T, dir, name string, data []byte) {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	for _, mode := range bothModes {
		s, err := Open(path, mode)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			continue
		}
		for _, n := range s.Names() {
			tt, _ := s.Tensor(n)
			if len(tt.Bytes()) != tt.NumElements()/tt.DType.BlockElems()*tt.DType.BlockBytes() {
				t.Fatalf("%s: %d bytes for shape %v of %v", n, len(tt.Bytes()), tt.Shape, tt.DType)
			}
			var sum uint64
			switch tt.DType {
			case F32:
				for _, v := range tt.F32() {
					sum += uint64(v)
				}
			case F16, BF16:
				for _, v := range tt.U16() {
					sum += uint64(v)
				}
			default: // quantized blocks
				for _, v := range tt.Bytes() {
					sum += uint64(v)
				}
			}
			_ = sum
		}
		if s.Format() == "gguf" {
			LlamaFromGGUF(s) // must not panic whatever the metadata says
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
