package weights

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTemp writes data to dir/name and returns the path.
func writeTemp(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rawSafetensors builds a safetensors file from a header given verbatim,
// for headers the writer would refuse to produce.
func rawSafetensors(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

// wantErr checks that err is non-nil and mentions every fragment.
func wantErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

// f32Bytes and u16Bytes encode test data little-endian.
func f32Bytes(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func u16Bytes(v ...uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}

// ggufTensor is a tensor for the test GGUF writer. dims are in ggml order
// (dims[0] fastest). offset < 0 means "next aligned position".
type ggufTensor struct {
	name   string
	dims   []uint64
	typ    uint32
	data   []byte
	offset int64
}

// ggufKV is one metadata pair; the GGUF type follows the Go type of val.
type ggufKV struct {
	key string
	val any
}

// ggufFile is a small GGUF writer for tests; the override fields let tests
// write hostile headers.
type ggufFile struct {
	version     uint32
	alignment   int // used for data layout; written only if also in kvs
	kvs         []ggufKV
	tensors     []ggufTensor
	tensorCount *uint64 // override the tensor count field
	kvCount     *uint64 // override the kv count field
	truncate    int     // drop this many bytes from the end
}

func ggufStr(b *bytes.Buffer, s string) {
	binary.Write(b, binary.LittleEndian, uint64(len(s)))
	b.WriteString(s)
}

// ggufValue writes v's type tag (unless inArray) and value.
func ggufValue(b *bytes.Buffer, v any) {
	le := binary.LittleEndian
	tag := func(t uint32) { binary.Write(b, le, t) }
	switch x := v.(type) {
	case uint8:
		tag(ggufUint8)
		b.WriteByte(x)
	case int8:
		tag(ggufInt8)
		b.WriteByte(byte(x))
	case uint16:
		tag(ggufUint16)
		binary.Write(b, le, x)
	case int16:
		tag(ggufInt16)
		binary.Write(b, le, x)
	case uint32:
		tag(ggufUint32)
		binary.Write(b, le, x)
	case int32:
		tag(ggufInt32)
		binary.Write(b, le, x)
	case float32:
		tag(ggufFloat32)
		binary.Write(b, le, x)
	case bool:
		tag(ggufBool)
		binary.Write(b, le, x)
	case string:
		tag(ggufString)
		ggufStr(b, x)
	case uint64:
		tag(ggufUint64)
		binary.Write(b, le, x)
	case int64:
		tag(ggufInt64)
		binary.Write(b, le, x)
	case float64:
		tag(ggufFloat64)
		binary.Write(b, le, x)
	case []string:
		tag(ggufArray)
		tag(ggufString)
		binary.Write(b, le, uint64(len(x)))
		for _, s := range x {
			ggufStr(b, s)
		}
	case []uint8, []int8, []uint16, []int16, []uint32, []int32, []float32, []bool, []uint64, []int64, []float64:
		tag(ggufArray)
		var elem bytes.Buffer
		n := 0
		switch y := x.(type) {
		case []uint8:
			ggufValue(&elem, uint8(0))
			n = len(y)
		case []int8:
			ggufValue(&elem, int8(0))
			n = len(y)
		case []uint16:
			ggufValue(&elem, uint16(0))
			n = len(y)
		case []int16:
			ggufValue(&elem, int16(0))
			n = len(y)
		case []uint32:
			ggufValue(&elem, uint32(0))
			n = len(y)
		case []int32:
			ggufValue(&elem, int32(0))
			n = len(y)
		case []float32:
			ggufValue(&elem, float32(0))
			n = len(y)
		case []bool:
			ggufValue(&elem, false)
			n = len(y)
		case []uint64:
			ggufValue(&elem, uint64(0))
			n = len(y)
		case []int64:
			ggufValue(&elem, int64(0))
			n = len(y)
		case []float64:
			ggufValue(&elem, float64(0))
			n = len(y)
		}
		b.Write(elem.Bytes()[:4]) // the element type tag
		binary.Write(b, le, uint64(n))
		binary.Write(b, le, x)
	case rawValue:
		tag(x.typ)
		b.Write(x.bytes)
	default:
		panic(fmt.Sprintf("ggufValue: unsupported %T", v))
	}
}

// rawValue writes a type tag and then arbitrary bytes.
type rawValue struct {
	typ   uint32
	bytes []byte
}

func (f *ggufFile) bytes() []byte {
	le := binary.LittleEndian
	align := f.alignment
	if align == 0 {
		align = ggufDefaultAlignment
	}
	version := f.version
	if version == 0 {
		version = 3
	}
	var b bytes.Buffer
	b.WriteString("GGUF")
	binary.Write(&b, le, version)
	nt, nkv := uint64(len(f.tensors)), uint64(len(f.kvs))
	if f.tensorCount != nil {
		nt = *f.tensorCount
	}
	if f.kvCount != nil {
		nkv = *f.kvCount
	}
	binary.Write(&b, le, nt)
	binary.Write(&b, le, nkv)
	for _, kv := range f.kvs {
		ggufStr(&b, kv.key)
		ggufValue(&b, kv.val)
	}
	var next int64
	offsets := make([]int64, len(f.tensors))
	for i, t := range f.tensors {
		offsets[i] = t.offset
		if t.offset < 0 {
			offsets[i] = next
			next += int64(alignUp(int64(len(t.data)), int64(align)))
		}
		ggufStr(&b, t.name)
		binary.Write(&b, le, uint32(len(t.dims)))
		binary.Write(&b, le, t.dims)
		binary.Write(&b, le, t.typ)
		binary.Write(&b, le, uint64(offsets[i]))
	}
	for b.Len()%align != 0 {
		b.WriteByte(0)
	}
	dataStart := b.Len()
	for i, t := range f.tensors {
		if offsets[i]+int64(len(t.data)) > 1<<20 {
			continue // a hostile offset: the header is the point, not the data
		}
		end := dataStart + int(offsets[i]) + len(t.data)
		if end > b.Len() {
			b.Write(make([]byte, end-b.Len()))
		}
		copy(b.Bytes()[dataStart+int(offsets[i]):], t.data)
	}
	for b.Len()%align != 0 {
		b.WriteByte(0)
	}
	out := b.Bytes()
	return out[:len(out)-f.truncate]
}

// f32Tensor and f16Tensor make GGUF tensors of given ggml dims with data
// 0, 1, 2, ... (f16 data is the raw counter bits).
func ggufF32(name string, dims ...uint64) ggufTensor {
	n := 1
	for _, d := range dims {
		n *= int(d)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return ggufTensor{name: name, dims: dims, typ: ggmlF32, data: f32Bytes(v...), offset: -1}
}

func ggufF16(name string, dims ...uint64) ggufTensor {
	n := 1
	for _, d := range dims {
		n *= int(d)
	}
	v := make([]uint16, n)
	for i := range v {
		v[i] = uint16(i)
	}
	return ggufTensor{name: name, dims: dims, typ: ggmlF16, data: u16Bytes(v...), offset: -1}
}

func u64p(v uint64) *uint64 { return &v }
