package weights

import (
	"encoding/binary"
	"fmt"
	"math"
)

// ggmlTypeNames names ggml's tensor types by their GGUF number (gaps are
// types removed from ggml). ggmlDTypes says which are loadable; the names
// are for error messages.
var ggmlTypeNames = []string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
	10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K",
	16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
	22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
	29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4", 40: "NVFP4",
	41: "Q1_0", 42: "Q2_0",
}

const (
	ggmlF32  = 0
	ggmlF16  = 1
	ggmlBF16 = 30
)

// ggmlDTypes maps the loadable ggml tensor type numbers to DTypes.
var ggmlDTypes = map[uint32]DType{
	ggmlF32: F32, ggmlF16: F16, ggmlBF16: BF16,
	2: Q4_0, 3: Q4_1, 6: Q5_0, 7: Q5_1, 8: Q8_0, 12: Q4_K, 13: Q5_K, 14: Q6_K,
}

// loadableGGMLTypes lists them for the unsupported-type error.
const loadableGGMLTypes = "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K"

// ggmlTypeName returns the ggml name of a tensor type number.
func ggmlTypeName(t uint32) string {
	if int64(t) < int64(len(ggmlTypeNames)) && ggmlTypeNames[t] != "" {
		return ggmlTypeNames[t]
	}
	return fmt.Sprintf("type %d", t)
}

// ggmlDType maps a ggml tensor type to a loadable DType.
func ggmlDType(t uint32) (DType, bool) {
	d, ok := ggmlDTypes[t]
	return d, ok
}

// GGMLType is the GGUF tensor type number of d (for a GGUF writer).
func (d DType) GGMLType() uint32 {
	for t, dt := range ggmlDTypes {
		if dt == d {
			return t
		}
	}
	panic(fmt.Sprintf("weights: %v has no ggml type", d))
}

// GGUF metadata value types.
const (
	ggufUint8 = iota
	ggufInt8
	ggufUint16
	ggufInt16
	ggufUint32
	ggufInt32
	ggufFloat32
	ggufBool
	ggufString
	ggufArray
	ggufUint64
	ggufInt64
	ggufFloat64
	ggufTypeCount
)

var ggufValueTypeNames = [ggufTypeCount]string{
	"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool",
	"string", "array", "uint64", "int64", "float64",
}

// ggufScalarSize is the encoded size of a fixed-size value type (0 for
// string and array).
var ggufScalarSize = [ggufTypeCount]int{1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8}

// decodeScalar converts one little-endian value to its Go type.
func decodeScalar(typ uint32, b []byte) any {
	le := binary.LittleEndian
	switch typ {
	case ggufUint8:
		return b[0]
	case ggufInt8:
		return int8(b[0])
	case ggufUint16:
		return le.Uint16(b)
	case ggufInt16:
		return int16(le.Uint16(b))
	case ggufUint32:
		return le.Uint32(b)
	case ggufInt32:
		return int32(le.Uint32(b))
	case ggufFloat32:
		return math.Float32frombits(le.Uint32(b))
	case ggufBool:
		return b[0] != 0
	case ggufUint64:
		return le.Uint64(b)
	case ggufInt64:
		return int64(le.Uint64(b))
	case ggufFloat64:
		return math.Float64frombits(le.Uint64(b))
	}
	panic("unreachable: not a scalar GGUF type")
}

// decodeArray converts count packed scalars to a typed Go slice
// ([]uint32, []float32, ...).
func decodeArray(typ uint32, b []byte, count int) any {
	size := ggufScalarSize[typ]
	switch typ {
	case ggufUint8:
		return b
	case ggufInt8:
		return fill(make([]int8, count), b, size, typ)
	case ggufUint16:
		return fill(make([]uint16, count), b, size, typ)
	case ggufInt16:
		return fill(make([]int16, count), b, size, typ)
	case ggufUint32:
		return fill(make([]uint32, count), b, size, typ)
	case ggufInt32:
		return fill(make([]int32, count), b, size, typ)
	case ggufFloat32:
		return fill(make([]float32, count), b, size, typ)
	case ggufBool:
		return fill(make([]bool, count), b, size, typ)
	case ggufUint64:
		return fill(make([]uint64, count), b, size, typ)
	case ggufInt64:
		return fill(make([]int64, count), b, size, typ)
	case ggufFloat64:
		return fill(make([]float64, count), b, size, typ)
	}
	panic("unreachable: not a scalar GGUF type")
}

func fill[T any](out []T, b []byte, size int, typ uint32) []T {
	for i := range out {
		out[i] = decodeScalar(typ, b[i*size:]).(T)
	}
	return out
}

// metaInt reads an integer metadata value of any integer type.
func metaInt(v any) (int64, bool) {
	switch x := v.(type) {
	case uint8:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// metaFloat reads a float (or integer) metadata value.
func metaFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	if i, ok := metaInt(v); ok {
		return float64(i), true
	}
	return 0, false
}
