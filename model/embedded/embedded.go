// Package embedded carries chatumm's default model inside the binary, so
// that `chatumm chat` works on a machine with nothing downloaded. The files
// are embedded as strings — read-only data of the executable — and handed to
// the loaders in place: the weights are never copied.
package embedded

import (
	"bufio"
	_ "embed" // the model files below
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"unsafe"

	"github.com/chatumm/chatumm/model"
)

var (
	//go:embed chatumm-tiny/config.json
	configJSON string
	//go:embed chatumm-tiny/tokenizer.json
	tokenizerJSON string
	//go:embed chatumm-tiny/model.safetensors
	modelSafetensors string
	//go:embed chatumm-tiny/checksums.txt
	checksums string
)

// Name is how the embedded model is reported (inspect, errors, sessions).
const Name = "embedded:chatumm-tiny"

// inPlace views a string's bytes without copying. The bytes live in the
// binary's read-only segment: writing to them faults, and nothing does.
func inPlace(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Files returns the embedded model's files, name → contents, aliasing the
// executable's read-only data.
func Files() map[string][]byte {
	return map[string][]byte{
		"config.json":       inPlace(configJSON),
		"tokenizer.json":    inPlace(tokenizerJSON),
		"model.safetensors": inPlace(modelSafetensors),
		"checksums.txt":     inPlace(checksums),
	}
}

// Verify checks every file against checksums.txt ("crc32hex  name" lines),
// so a damaged build fails at start with a clear error instead of producing
// garbage.
func Verify(fs map[string][]byte) error {
	sums, ok := fs["checksums.txt"]
	if !ok {
		return fmt.Errorf("%s: checksums.txt missing", Name)
	}
	seen := 0
	sc := bufio.NewScanner(strings.NewReader(string(sums)))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return fmt.Errorf("%s: checksums.txt: malformed line %q", Name, sc.Text())
		}
		want, err := strconv.ParseUint(fields[0], 16, 32)
		if err != nil {
			return fmt.Errorf("%s: checksums.txt: malformed checksum %q", Name, fields[0])
		}
		data, ok := fs[fields[1]]
		if !ok {
			return fmt.Errorf("%s: %s is missing", Name, fields[1])
		}
		if got := crc32.ChecksumIEEE(data); got != uint32(want) {
			return fmt.Errorf("%s: %s is damaged (crc32 %08x, want %08x); reinstall chatumm", Name, fields[1], got, want)
		}
		seen++
	}
	if seen == 0 {
		return fmt.Errorf("%s: checksums.txt lists no files", Name)
	}
	return nil
}

// Load verifies and loads the embedded model.
func Load(opts model.Options) (*model.Model, error) { return LoadFiles(Files(), opts) }

// LoadFiles loads a model from in-memory files (tests pass damaged copies).
func LoadFiles(fs map[string][]byte, opts model.Options) (*model.Model, error) {
	if err := Verify(fs); err != nil {
		return nil, err
	}
	return model.LoadMemory(Name, fs, opts)
}
