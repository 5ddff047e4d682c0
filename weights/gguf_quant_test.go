package weights

import (
	"bytes"
	"slices"
	"testing"
)

// ggufQuant makes a tensor of ggml type typ with ggml dims (ne[0] first)
// whose bytes count up from 1: the loader keeps blocks as raw bytes, so
// their content only has to come back unchanged. The byte size is computed
// from ggml's block sizes written out here, independently of dtypeInfo.
func ggufQuant(name string, typ uint32, dims ...uint64) ggufTensor {
	block := map[uint32][2]int{2: {32, 18}, 3: {32, 20}, 6: {32, 22}, 7: {32, 24}, 8: {32, 34},
		12: {256, 144}, 13: {256, 176}, 14: {256, 210}}[typ]
	n := 1
	for _, d := range dims {
		n *= int(d)
	}
	data := make([]byte, n/block[0]*block[1])
	for i := range data {
		data[i] = byte(i*7 + 1)
	}
	return ggufTensor{name: name, dims: dims, typ: typ, data: data, offset: -1}
}

// TestGGUFQuantizedTensors: each of the eight block types loads in both
// modes with its DType, row-major shape and exact bytes, next to f32 norms
// as llama-quantize writes them, aligned for its f16 scales.
func TestGGUFQuantizedTensors(t *testing.T) {
	types := []struct {
		ggml        uint32
		dt          DType
		elems, size int
	}{
		{2, Q4_0, 32, 18}, {3, Q4_1, 32, 20}, {6, Q5_0, 32, 22}, {7, Q5_1, 32, 24},
		{8, Q8_0, 32, 34}, {12, Q4_K, 256, 144}, {13, Q5_K, 256, 176}, {14, Q6_K, 256, 210},
	}
	f := ggufFile{tensors: []ggufTensor{ggufF32("norm.weight", 3)}}
	for _, ty := range types {
		if ty.dt.BlockElems() != ty.elems || ty.dt.BlockBytes() != ty.size || !ty.dt.Quantized() || ty.dt.Size() != 0 {
			t.Errorf("%v: block %d elems in %d bytes, quantized %v, size %d", ty.dt,
				ty.dt.BlockElems(), ty.dt.BlockBytes(), ty.dt.Quantized(), ty.dt.Size())
		}
		if ty.dt.GGMLType() != ty.ggml {
			t.Errorf("%v: ggml type %d, want %d", ty.dt, ty.dt.GGMLType(), ty.ggml)
		}
		// 2 rows of 2 blocks, and a 3-d one (experts × rows × cols).
		f.tensors = append(f.tensors, ggufQuant(ty.dt.String()+".2d", ty.ggml, uint64(2*ty.elems), 3),
			ggufQuant(ty.dt.String()+".3d", ty.ggml, uint64(ty.elems), 1, 2))
	}
	path := writeTemp(t, t.TempDir(), "q.gguf", f.bytes())
	for _, mode := range bothModes {
		s, err := Open(path, mode)
		if err != nil {
			t.Fatalf("%v: %v", mode, err)
		}
		for _, ty := range types {
			for _, want := range []ggufTensor{ggufQuant("", ty.ggml, uint64(2*ty.elems), 3), ggufQuant("", ty.ggml, uint64(ty.elems), 1, 2)} {
				name := ty.dt.String() + map[int]string{2: ".2d", 3: ".3d"}[len(want.dims)]
				tt, ok := s.Tensor(name)
				if !ok {
					t.Fatalf("%v: %s missing", mode, name)
				}
				shape := slices.Clone(want.dims)
				slices.Reverse(shape)
				if tt.DType != ty.dt || !slices.Equal(tt.Shape, toInts(shape)) || !bytes.Equal(tt.Bytes(), want.data) {
					t.Errorf("%v %s: dtype %v shape %v %d bytes; want %v %v %d bytes", mode, name, tt.DType, tt.Shape, len(tt.Bytes()), ty.dt, shape, len(want.data))
				}
				if addrOf(tt.Bytes())%32 != 0 || tt.Copied {
					t.Errorf("%v %s: not aligned in place (copied %v)", mode, name, tt.Copied)
				}
				if _, err := tt.Float32s(); err == nil {
					t.Errorf("%s: Float32s of a quantized tensor did not fail", name)
				} else {
					wantErr(t, err, "q.gguf", name, "unsupported dtype "+ty.dt.String())
				}
			}
		}
		s.Close()
	}
}

func toInts(d []uint64) []int {
	out := make([]int, len(d))
	for i, v := range d {
		out[i] = int(v)
	}
	return out
}

// TestLlamaFromGGUFQuantized: a llama file with quantized projections and
// embeddings (block-sized rows) passes the architecture checks, which look
// at shapes only.
func TestLlamaFromGGUFQuantized(t *testing.T) {
	f := tinyLlama(false)
	// A block needs rows of 32 (256 for K types): dim 256, ffn 64, head dim 128.
	f.kvs[2].val = uint32(256)
	f.kvs[6].val = uint64(64)
	f.tensors = []ggufTensor{ggufQuant("token_embd.weight", 14, 256, 10), ggufF32("output_norm.weight", 256),
		ggufQuant("output.weight", 14, 256, 10)}
	for _, blk := range []string{"blk.0.", "blk.1."} {
		f.tensors = append(f.tensors,
			ggufF32(blk+"attn_norm.weight", 256), ggufF32(blk+"ffn_norm.weight", 256),
			ggufQuant(blk+"attn_q.weight", 8, 256, 256), ggufQuant(blk+"attn_k.weight", 2, 256, 128),
			ggufQuant(blk+"attn_v.weight", 12, 256, 128), ggufQuant(blk+"attn_output.weight", 13, 256, 256),
			ggufQuant(blk+"ffn_gate.weight", 3, 256, 64), ggufQuant(blk+"ffn_up.weight", 6, 256, 64),
			ggufQuant(blk+"ffn_down.weight", 7, 64, 256))
	}
	path := writeTemp(t, t.TempDir(), "tinyq.gguf", f.bytes())
	s, err := Open(path, Mmap)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g, err := LlamaFromGGUF(s)
	if err != nil {
		t.Fatal(err)
	}
	if g.EmbeddingLength != 256 || g.FeedForwardLength != 64 || g.VocabSize != 10 || g.TiedEmbeddings {
		t.Errorf("params %+v", *g)
	}
	down, _ := g.Tensor("model.layers.1.mlp.down_proj.weight")
	if down.DType != Q5_1 || !slices.Equal(down.Shape, []int{256, 64}) {
		t.Errorf("down_proj %v %v", down.DType, down.Shape)
	}
}
