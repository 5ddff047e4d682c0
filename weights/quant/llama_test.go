package quant

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/weights"
)

// TestMatchesLlamaQuantize compares this package's blocks with
// llama-quantize's on the same f16 tensors. It needs files made outside
// the test (llama.cpp is no dependency of this module):
//
//	CHATUMM_QUANT_REF_SRC=model-f16.gguf
//	CHATUMM_QUANT_REF_DIR=dir  # holding Q8_0.gguf, Q4_0.gguf, ... made by
//	  llama-quantize --pure --output-tensor-type T --token-embedding-type T model-f16.gguf dir/T.gguf T
//
// With no importance matrix llama-quantize runs ggml's reference
// quantizers, so every block must be bit-identical.
func TestMatchesLlamaQuantize(t *testing.T) {
	src, dir := os.Getenv("CHATUMM_QUANT_REF_SRC"), os.Getenv("CHATUMM_QUANT_REF_DIR")
	if src == "" || dir == "" {
		t.Skip("CHATUMM_QUANT_REF_SRC and CHATUMM_QUANT_REF_DIR not set (see the comment)")
	}
	in, err := weights.Open(src, weights.Mmap)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for q := asm.Q4_0; q < asm.NumQTypes; q++ {
		ref, err := weights.Open(filepath.Join(dir, q.String()+".gguf"), weights.Mmap)
		if err != nil {
			t.Errorf("%v: %v", q, err)
			continue
		}
		var blocks, differ, tensors int
		for _, name := range ref.Names() {
			rt, _ := ref.Tensor(name)
			st, ok := in.Tensor(name)
			if !ok || !rt.DType.Quantized() || st.DType != weights.F16 {
				continue
			}
			tensors++
			x := make([]float32, st.NumElements())
			asm.F16ToF32(x, st.U16())
			got := make([]byte, RowBytes(q, len(x)))
			Quantize(q, got, x)
			want, bb := rt.Bytes(), q.BlockBytes()
			for b := 0; b < len(got); b += bb {
				blocks++
				if !bytes.Equal(got[b:b+bb], want[b:b+bb]) {
					if differ == 0 {
						t.Logf("%v %s: first differing block %d:\n got %x\nwant %x", q, name, b/bb, got[b:b+bb], want[b:b+bb])
					}
					differ++
				}
			}
		}
		ref.Close()
		t.Logf("%v: %d tensors, %d of %d blocks differ from llama-quantize", q, tensors, differ, blocks)
		if differ != 0 || tensors == 0 {
			t.Errorf("%v: %d of %d blocks differ (%d tensors)", q, differ, blocks, tensors)
		}
	}
}
