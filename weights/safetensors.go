package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxHeaderSize is the reference implementation's limit on the JSON header.
const maxHeaderSize = 100_000_000

// maxTensorBytes bounds shape products so that no sum or conversion of byte
// counts can overflow; it is far above any real tensor.
const maxTensorBytes = 1 << 52

var safetensorsDTypes = map[string]DType{"F32": F32, "F16": F16, "BF16": BF16}

// Dtypes the safetensors format defines that this runtime does not load.
var safetensorsOtherDTypes = map[string]bool{
	"F64": true, "I64": true, "U64": true, "I32": true, "U32": true, "I16": true, "U16": true,
	"I8": true, "U8": true, "BOOL": true, "F8_E4M3": true, "F8_E5M2": true, "F8_E8M0": true,
	"F6_E2M3": true, "F6_E3M2": true, "F4": true, "C64": true,
}

// safetensorsEntry is one tensor of the header, with numbers kept raw so
// that floats, quoted numbers and out-of-range values can be rejected.
type safetensorsEntry struct {
	DType       *string           `json:"dtype"`
	Shape       []json.RawMessage `json:"shape"`
	DataOffsets []json.RawMessage `json:"data_offsets"`
}

// parseSafetensors reads and validates the header of a safetensors file:
//
//	[8-byte little-endian header length N][N bytes of JSON][data section]
func parseSafetensors(r io.ReaderAt, path string, size int64) (*parsedFile, error) {
	if size < 8 {
		return nil, fmt.Errorf("%s: file is %d bytes, too short for a safetensors header", path, size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("%s: reading header length: %w", path, err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxHeaderSize {
		return nil, fmt.Errorf("%s: header length %d exceeds the %d-byte limit (not a safetensors file?)", path, n, maxHeaderSize)
	}
	if n > uint64(size-8) {
		return nil, fmt.Errorf("%s: header length %d beyond the end of the %d-byte file", path, n, size)
	}
	header := make([]byte, n)
	if _, err := r.ReadAt(header, 8); err != nil {
		return nil, fmt.Errorf("%s: reading header: %w", path, err)
	}
	pf := &parsedFile{path: path, size: size, dataStart: 8 + int64(n), metadata: map[string]any{}}
	pf.dataSize = size - pf.dataStart

	entries, err := splitHeader(header)
	if err != nil {
		return nil, fmt.Errorf("%s: header is not a valid JSON object: %v", path, err)
	}
	for _, e := range entries {
		if e.name == "__metadata__" {
			if err := parseSafetensorsMetadata(e.raw, pf.metadata); err != nil {
				return nil, fmt.Errorf("%s: __metadata__: %v", path, err)
			}
			continue
		}
		t, err := parseSafetensorsEntry(e.name, e.raw, pf.dataSize)
		if err != nil {
			return nil, fmt.Errorf("%s: tensor %q: %v", path, e.name, err)
		}
		t.File = path
		pf.tensors = append(pf.tensors, t)
	}
	if err := checkRanges(pf); err != nil {
		return nil, err
	}
	return pf, nil
}

type headerEntry struct {
	name string
	raw  json.RawMessage
}

// splitHeader splits the top-level JSON object into its members, rejecting
// duplicate names and anything after the closing brace except whitespace.
func splitHeader(header []byte) ([]headerEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	if tok, err := dec.Token(); err != nil {
		return nil, err
	} else if tok != json.Delim('{') {
		return nil, errors.New("does not start with '{'")
	}
	var entries []headerEntry
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		if seen[name] {
			return nil, fmt.Errorf("duplicate entry %q", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		entries = append(entries, headerEntry{name, raw})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the closing '}'")
	}
	return entries, nil
}

func parseSafetensorsMetadata(raw json.RawMessage, into map[string]any) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("not an object of strings: %v", err)
	}
	for k, v := range m {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("value of %q is %s, not a string", k, clip(v))
		}
		into[k] = s
	}
	return nil
}

func parseSafetensorsEntry(name string, raw json.RawMessage, dataSize int64) (*Tensor, error) {
	var e safetensorsEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("bad entry %s: %v", clip(raw), err)
	}
	switch {
	case e.DType == nil:
		return nil, errors.New("missing dtype")
	case e.Shape == nil:
		return nil, errors.New("missing shape")
	case e.DataOffsets == nil:
		return nil, errors.New("missing data_offsets")
	}
	dt, ok := safetensorsDTypes[*e.DType]
	if !ok {
		if safetensorsOtherDTypes[*e.DType] {
			return nil, fmt.Errorf("unsupported dtype %s (loadable: F32, F16, BF16)", *e.DType)
		}
		return nil, fmt.Errorf("unknown dtype %q", *e.DType)
	}
	dims := make([]int64, len(e.Shape))
	for i, raw := range e.Shape {
		d, err := jsonInt(raw)
		if err != nil {
			return nil, fmt.Errorf("shape[%d]: %v", i, err)
		}
		if d < 0 {
			return nil, fmt.Errorf("shape[%d] is negative (%d)", i, d)
		}
		dims[i] = d
	}
	if len(e.DataOffsets) != 2 {
		return nil, fmt.Errorf("data_offsets has %d values, want 2", len(e.DataOffsets))
	}
	var off [2]int64
	for i, raw := range e.DataOffsets {
		v, err := jsonInt(raw)
		if err != nil {
			return nil, fmt.Errorf("data_offsets[%d]: %v", i, err)
		}
		if v < 0 {
			return nil, fmt.Errorf("data_offsets[%d] is negative (%d)", i, v)
		}
		off[i] = v
	}
	if off[0] > off[1] {
		return nil, fmt.Errorf("data_offsets [%d, %d] begin after end", off[0], off[1])
	}
	if off[1] > dataSize {
		return nil, fmt.Errorf("data_offsets [%d, %d] beyond data section of %d bytes", off[0], off[1], dataSize)
	}
	nbytes, ok := byteSize(dims, int64(dt.Size()), maxTensorBytes)
	if !ok {
		return nil, fmt.Errorf("shape %v is too large", dims)
	}
	if nbytes != off[1]-off[0] {
		return nil, fmt.Errorf("shape %v of %s needs %d bytes, data_offsets [%d, %d] hold %d",
			dims, dt, nbytes, off[0], off[1], off[1]-off[0])
	}
	shape := make([]int, len(dims))
	for i, d := range dims {
		shape[i] = int(d)
	}
	return &Tensor{Name: name, DType: dt, Shape: shape, offset: off[0], nbytes: nbytes, fileAt: -1}, nil
}

// jsonInt parses a JSON integer literal (no fraction, exponent or quotes).
func jsonInt(raw json.RawMessage) (int64, error) {
	v, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%s is out of range", clip(raw))
		}
		return 0, fmt.Errorf("%s is not an integer", clip(raw))
	}
	return v, nil
}

// clip shortens a JSON fragment for an error message.
func clip(b []byte) string {
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}
