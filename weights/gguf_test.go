package weights

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// allValueKVs has one metadata pair of every GGUF value type.
var allValueKVs = []ggufKV{
	{"general.architecture", "llama"},
	{"t.u8", uint8(200)}, {"t.i8", int8(-5)}, {"t.u16", uint16(60000)}, {"t.i16", int16(-300)},
	{"t.u32", uint32(4000000000)}, {"t.i32", int32(-70000)}, {"t.f32", float32(1.5)},
	{"t.bool", true}, {"t.str", "héllo"}, {"t.u64", uint64(1) << 40}, {"t.i64", int64(-1) << 40},
	{"t.f64", 2.25},
	{"a.str", []string{"<s>", "", "▁x"}}, {"a.u8", []uint8{1, 2}}, {"a.i8", []int8{-1}},
	{"a.u16", []uint16{7}}, {"a.i16", []int16{-7}}, {"a.u32", []uint32{1, 2, 3}},
	{"a.i32", []int32{-1, 6}}, {"a.f32", []float32{0.5, -1e4}}, {"a.bool", []bool{true, false}},
	{"a.u64", []uint64{1 << 50}}, {"a.i64", []int64{-3}}, {"a.f64", []float64{3.5}},
	{"a.empty", []float32{}},
}

func TestGGUFRoundTrip(t *testing.T) {
	bf16 := ggufF16("c.bf16", 2)
	bf16.typ = ggmlBF16
	for _, version := range []uint32{2, 3} {
		for _, align := range []int{0, 64} {
			f := ggufFile{version: version, alignment: align, kvs: slices.Clone(allValueKVs),
				tensors: []ggufTensor{ggufF32("a.f32", 3, 2), ggufF16("b.f16", 5), bf16, ggufF32("d.f32", 2, 1, 1, 3)}}
			if align != 0 {
				f.kvs = append(f.kvs, ggufKV{"general.alignment", uint32(align)})
			}
			path := writeTemp(t, t.TempDir(), "m.gguf", f.bytes())
			for _, mode := range bothModes {
				s, err := Open(filepath.Dir(path), mode)
				if err != nil {
					t.Fatalf("v%d align %d %v: %v", version, align, mode, err)
				}
				if s.Format() != "gguf" || !slices.Equal(s.Names(), []string{"a.f32", "b.f16", "c.bf16", "d.f32"}) {
					t.Errorf("format %s names %v", s.Format(), s.Names())
				}
				for _, kv := range f.kvs {
					if got := s.Metadata()[kv.key]; !reflect.DeepEqual(got, kv.val) {
						t.Errorf("metadata %s = %#v, want %#v", kv.key, got, kv.val)
					}
				}
				a, _ := s.Tensor("a.f32")
				if !slices.Equal(a.Shape, []int{2, 3}) || !slices.Equal(a.F32(), []float32{0, 1, 2, 3, 4, 5}) {
					t.Errorf("a.f32 shape %v values %v", a.Shape, a.F32())
				}
				b, _ := s.Tensor("b.f16")
				if b.DType != F16 || !slices.Equal(b.U16(), []uint16{0, 1, 2, 3, 4}) {
					t.Errorf("b.f16 %v %v", b.DType, b.U16())
				}
				c, _ := s.Tensor("c.bf16")
				if c.DType != BF16 || !slices.Equal(c.U16(), []uint16{0, 1}) {
					t.Errorf("c.bf16 %v %v", c.DType, c.U16())
				}
				d, _ := s.Tensor("d.f32")
				if !slices.Equal(d.Shape, []int{3, 1, 1, 2}) || d.NumElements() != 6 {
					t.Errorf("d.f32 shape %v", d.Shape)
				}
				for _, name := range s.Names() {
					tt, _ := s.Tensor(name)
					if addrOf(tt.Bytes())%32 != 0 || tt.Copied {
						t.Errorf("%s: not 32-byte aligned in %v mode", name, mode)
					}
				}
				s.Close()
			}
		}
	}
}

// ggufBadFiles covers every GGUF validation error; the fuzz test uses them
// as seeds too.
func ggufBadFiles() []badFile {
	two := []ggufTensor{ggufF32("a", 8), ggufF32("b", 8)}
	cases := []struct {
		name   string
		file   ggufFile
		raw    []byte // used instead of file when set
		errors []string
	}{
		{"bad magic", ggufFile{}, []byte("GGUX\x03\x00\x00\x00"), []string{"not a GGUF file"}},
		{"version 1", ggufFile{version: 1}, nil, []string{"version 1 is not supported"}},
		{"big endian", ggufFile{version: 3 << 24}, nil, []string{"big-endian"}},
		{"version 9", ggufFile{version: 9}, nil, []string{"unsupported GGUF version 9"}},
		{"truncated header", ggufFile{}, []byte("GGUF\x03\x00\x00\x00\x01"), []string{"unexpected end of file", "tensor count"}},
		{"hostile tensor count", ggufFile{tensorCount: u64p(1 << 60)}, nil, []string{"tensor count 1152921504606846976 is impossible"}},
		{"hostile kv count", ggufFile{kvCount: u64p(1<<64 - 1)}, nil, []string{"metadata count", "impossible"}},
		{"kv beyond end of file", ggufFile{}, []byte("GGUF\x03\x00\x00\x00" + strings.Repeat("\x00", 8) + "\x01" + strings.Repeat("\x00", 7) + "\x32\x00\x00\x00\x00\x00\x00\x00abcdefghijklmn"),
			[]string{"metadata key 0 length 50", "exceeds the 14 bytes left"}},
		{"hostile string length", ggufFile{kvs: []ggufKV{{"k", rawValue{ggufString, binary.LittleEndian.AppendUint64(nil, 1<<62)}}}}, nil,
			[]string{`value of "k" length 4611686018427387904`, "exceeds"}},
		{"hostile array length", ggufFile{kvs: []ggufKV{{"k", rawValue{ggufArray, append(binary.LittleEndian.AppendUint32(nil, ggufUint32), binary.LittleEndian.AppendUint64(nil, 1<<61)...)}}}}, nil,
			[]string{`key "k"`, "uint32 values cannot fit"}},
		{"hostile string array", ggufFile{kvs: []ggufKV{{"k", rawValue{ggufArray, append(binary.LittleEndian.AppendUint32(nil, ggufString), binary.LittleEndian.AppendUint64(nil, 1<<40)...)}}}}, nil,
			[]string{`key "k"`, "strings cannot fit"}},
		{"nested array", ggufFile{kvs: []ggufKV{{"k", rawValue{ggufArray, append(binary.LittleEndian.AppendUint32(nil, ggufArray), make([]byte, 8)...)}}}}, nil,
			[]string{`key "k"`, "nested arrays"}},
		{"unknown value type", ggufFile{kvs: []ggufKV{{"k", rawValue{77, nil}}}}, nil, []string{`key "k"`, "unknown value type 77"}},
		{"duplicate key", ggufFile{kvs: []ggufKV{{"k", uint8(1)}, {"k", uint8(2)}}}, nil, []string{`duplicate metadata key "k"`}},
		{"alignment not power of two", ggufFile{kvs: []ggufKV{{"general.alignment", uint32(24)}}}, nil, []string{"general.alignment 24"}},
		{"alignment wrong type", ggufFile{kvs: []ggufKV{{"general.alignment", uint64(32)}}}, nil, []string{"general.alignment 32 (uint64)"}},
		{"too many dims", ggufFile{tensors: []ggufTensor{ggufF32("x.weight", 1, 1, 1, 1, 1)}}, nil, []string{`tensor "x.weight"`, "5 dimensions"}},
		{"unsupported Q2_K", ggufFile{tensors: []ggufTensor{{name: "x.weight", dims: []uint64{256}, typ: 10, data: make([]byte, 84), offset: -1}}}, nil,
			[]string{`tensor "x.weight"`, "unsupported tensor type Q2_K"}},
		{"Q8_0 row not whole blocks", ggufFile{tensors: []ggufTensor{ggufQuant("x.weight", 8, 48, 2)}}, nil,
			[]string{`tensor "x.weight"`, "Q8_0 rows of 48 elements are not whole 32-element blocks"}},
		{"Q4_K row not whole blocks", ggufFile{tensors: []ggufTensor{ggufQuant("x.weight", 12, 32, 1)}}, nil,
			[]string{`tensor "x.weight"`, "Q4_K rows of 32 elements are not whole 256-element blocks"}},
		{"quantized scalar", ggufFile{tensors: []ggufTensor{{name: "x.weight", typ: 8, data: make([]byte, 34), offset: -1}}}, nil,
			[]string{`tensor "x.weight"`, "Q8_0 rows of 1 elements are not whole 32-element blocks"}},
		{"Q6_K data cut short", ggufFile{tensors: []ggufTensor{ggufQuant("x.weight", 14, 256, 3)}, truncate: 64}, nil,
			[]string{`tensor "x.weight"`, "bytes [0, 630) beyond data section of 576 bytes"}},
		{"unknown type", ggufFile{tensors: []ggufTensor{{name: "x.weight", dims: []uint64{1}, typ: 99, data: make([]byte, 4), offset: -1}}}, nil,
			[]string{`tensor "x.weight"`, "unsupported tensor type type 99"}},
		{"duplicate tensor", ggufFile{tensors: []ggufTensor{ggufF32("x", 1), ggufF32("x", 1)}}, nil, []string{`tensor "x": duplicate name`}},
		{"offset misaligned", ggufFile{tensors: []ggufTensor{{name: "x.weight", dims: []uint64{1}, typ: ggmlF32, data: make([]byte, 4), offset: 4}}}, nil,
			[]string{`tensor "x.weight"`, "offset 4 is not a multiple of the alignment 32"}},
		{"offset beyond data", ggufFile{tensors: []ggufTensor{{name: "x.weight", dims: []uint64{1}, typ: ggmlF32, data: make([]byte, 4), offset: 1 << 40}}}, nil,
			[]string{`tensor "x.weight"`, "beyond data section"}},
		{"overflowing dims", ggufFile{tensors: []ggufTensor{{name: "x.weight", dims: []uint64{1 << 40, 1 << 40}, typ: ggmlF32, offset: 0}}}, nil,
			[]string{`tensor "x.weight"`, "too large"}},
		{"huge dim", ggufFile{tensors: []ggufTensor{{name: "x.weight", dims: []uint64{1 << 63}, typ: ggmlF32, offset: 0}}}, nil,
			[]string{`tensor "x.weight"`, "too large"}},
		{"overlap", ggufFile{tensors: []ggufTensor{ggufF32("a", 16), {name: "b", dims: []uint64{8}, typ: ggmlF32, data: make([]byte, 32), offset: 32}}}, nil,
			[]string{`tensor "b"`, `overlap tensor "a"`}},
		{"truncated data", ggufFile{tensors: two, truncate: 8}, nil, []string{`tensor "b"`, "beyond data section"}},
	}
	var out []badFile
	for _, c := range cases {
		raw := c.raw
		if raw == nil {
			raw = c.file.bytes()
		}
		out = append(out, badFile{c.name, raw, c.errors})
	}
	return out
}

func TestGGUFValidation(t *testing.T) {
	cases := ggufBadFiles()
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, dir, strings.ReplaceAll(c.name, " ", "_")+".gguf", c.file)
			_, err := Open(path, Read)
			wantErr(t, err, append(c.errors, filepath.Base(path))...)
		})
	}
}

// tinyLlama builds a 2-block llama GGUF: dim 8, 2 heads, 1 kv head, ffn 12,
// vocab 10. Shapes are given in ggml order.
func tinyLlama(tied bool) ggufFile {
	f := ggufFile{kvs: []ggufKV{
		{"general.architecture", "llama"}, {"general.name", "tiny"},
		{"llama.embedding_length", uint32(8)}, {"llama.block_count", uint32(2)},
		{"llama.attention.head_count", uint32(2)}, {"llama.attention.head_count_kv", uint32(1)},
		{"llama.feed_forward_length", uint64(12)}, {"llama.context_length", uint32(128)},
		{"llama.rope.freq_base", float32(500000)}, {"llama.attention.layer_norm_rms_epsilon", float32(1e-6)},
	}}
	f.tensors = append(f.tensors, ggufF16("token_embd.weight", 8, 10), ggufF32("output_norm.weight", 8))
	if !tied {
		f.tensors = append(f.tensors, ggufF16("output.weight", 8, 10))
	}
	for _, blk := range []string{"blk.0.", "blk.1."} {
		f.tensors = append(f.tensors,
			ggufF32(blk+"attn_norm.weight", 8), ggufF32(blk+"ffn_norm.weight", 8),
			ggufF16(blk+"attn_q.weight", 8, 8), ggufF16(blk+"attn_k.weight", 8, 4),
			ggufF16(blk+"attn_v.weight", 8, 4), ggufF16(blk+"attn_output.weight", 8, 8),
			ggufF16(blk+"ffn_gate.weight", 8, 12), ggufF16(blk+"ffn_up.weight", 8, 12),
			ggufF16(blk+"ffn_down.weight", 12, 8))
	}
	return f
}

func TestLlamaFromGGUF(t *testing.T) {
	for _, tied := range []bool{false, true} {
		f := tinyLlama(tied)
		s, err := Open(writeTemp(t, t.TempDir(), "tiny.gguf", f.bytes()), Mmap)
		if err != nil {
			t.Fatal(err)
		}
		g, err := LlamaFromGGUF(s)
		if err != nil {
			t.Fatal(err)
		}
		want := GGUFLlama{Name: "tiny", EmbeddingLength: 8, BlockCount: 2, HeadCount: 2, HeadCountKV: 1,
			FeedForwardLength: 12, ContextLength: 128, RopeDimensionCount: 4, VocabSize: 10,
			RopeFreqBase: 500000, RMSNormEps: float64(float32(1e-6)), RopeInterleaved: true, TiedEmbeddings: tied}
		got := *g
		got.HFNames, got.set = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("tied=%v:\n got %+v\nwant %+v", tied, got, want)
		}
		if len(g.HFNames) != 3+2*9 {
			t.Errorf("%d names", len(g.HFNames))
		}
		checks := map[string]string{
			"model.embed_tokens.weight":                      "token_embd.weight",
			"model.norm.weight":                              "output_norm.weight",
			"model.layers.1.input_layernorm.weight":          "blk.1.attn_norm.weight",
			"model.layers.0.self_attn.k_proj.weight":         "blk.0.attn_k.weight",
			"model.layers.0.self_attn.o_proj.weight":         "blk.0.attn_output.weight",
			"model.layers.1.post_attention_layernorm.weight": "blk.1.ffn_norm.weight",
			"model.layers.1.mlp.down_proj.weight":            "blk.1.ffn_down.weight",
			"lm_head.weight":                                 map[bool]string{false: "output.weight", true: "token_embd.weight"}[tied],
		}
		for hf, gg := range checks {
			if g.HFNames[hf] != gg {
				t.Errorf("HFNames[%s] = %q, want %q", hf, g.HFNames[hf], gg)
			}
		}
		down, ok := g.Tensor("model.layers.1.mlp.down_proj.weight")
		if !ok || !slices.Equal(down.Shape, []int{8, 12}) {
			t.Errorf("down_proj via HF name: %v %v", ok, down)
		}
		s.Close()
	}

	// Errors name the file and the offending key or tensor.
	mutate := []struct {
		name   string
		edit   func(f *ggufFile)
		errors []string
	}{
		{"wrong arch", func(f *ggufFile) { f.kvs[0].val = "gpt2" }, []string{`general.architecture is "gpt2"`}},
		{"missing key", func(f *ggufFile) { f.kvs = slices.Delete(f.kvs, 3, 4) }, []string{"missing metadata llama.block_count"}},
		{"bad head count", func(f *ggufFile) { f.kvs[4].val = uint32(3) }, []string{"do not divide"}},
		{"string count", func(f *ggufFile) { f.kvs[2].val = "8" }, []string{"llama.embedding_length", "positive integer"}},
		{"hostile block count", func(f *ggufFile) { f.kvs[3].val = uint32(1 << 30) }, []string{"block_count 1073741824"}},
		{"missing tensor", func(f *ggufFile) { f.tensors = f.tensors[:len(f.tensors)-1] }, []string{`missing tensor "blk.1.ffn_down.weight"`}},
		{"wrong shape", func(f *ggufFile) { f.tensors[5] = ggufF16("blk.0.attn_q.weight", 4, 8) }, []string{`tensor "blk.0.attn_q.weight" has shape [8 4], want [8 8]`}},
	}
	for _, m := range mutate {
		t.Run(m.name, func(t *testing.T) {
			f := tinyLlama(false)
			m.edit(&f)
			path := writeTemp(t, t.TempDir(), "bad.gguf", f.bytes())
			s, err := Open(path, Mmap)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, err = LlamaFromGGUF(s)
			wantErr(t, err, append(m.errors, "bad.gguf")...)
		})
	}
}

// TestPeerGeneratedGGUF reads the file written by the peer benchmark's
// generator (testdata/weights/gen_tiny_gguf.py) and checks every tensor's
// shape and first and last values against what numpy read back.
func TestPeerGeneratedGGUF(t *testing.T) {
	dir := filepath.Join("..", "testdata", "weights")
	var expect struct {
		Config  map[string]int
		Tensors map[string]struct {
			Shape       []int
			First, Last float64
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "tiny-llama.expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &expect); err != nil {
		t.Fatal(err)
	}
	for _, mode := range bothModes {
		s, err := Open(filepath.Join(dir, "tiny-llama.gguf"), mode)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Names()) != len(expect.Tensors) {
			t.Errorf("%d tensors, want %d", len(s.Names()), len(expect.Tensors))
		}
		for name, e := range expect.Tensors {
			tt, ok := s.Tensor(name)
			if !ok || !slices.Equal(tt.Shape, e.Shape) {
				t.Fatalf("%s: present %v shape %v, want %v", name, ok, tt.Shape, e.Shape)
			}
			var first, last float64
			if tt.DType == F32 {
				v := tt.F32()
				first, last = float64(v[0]), float64(v[len(v)-1])
			} else {
				v := tt.U16()
				first, last = float64(v[0]), float64(v[len(v)-1])
			}
			if first != e.First || last != e.Last {
				t.Errorf("%s: first/last %v %v, want %v %v", name, first, last, e.First, e.Last)
			}
		}
		if toks, _ := s.Metadata()["tokenizer.ggml.tokens"].([]string); len(toks) != expect.Config["vocab"] || toks[1] != "<s>" {
			t.Errorf("tokens: %d", len(toks))
		}
		g, err := LlamaFromGGUF(s)
		if err != nil {
			t.Fatal(err)
		}
		c := expect.Config
		if g.EmbeddingLength != c["dim"] || g.BlockCount != c["n_layer"] || g.HeadCount != c["n_head"] ||
			g.HeadCountKV != c["n_kv_head"] || g.FeedForwardLength != c["ffn"] || g.VocabSize != c["vocab"] ||
			g.ContextLength != c["ctx"] || g.RopeFreqBase != 10000 || g.TiedEmbeddings {
			t.Errorf("llama params %+v vs %v", *g, c)
		}
		s.Close()
	}
}
