// Package embedded carries chatumm's default model inside the binary, so
// that `chatumm chat` works on a machine with nothing downloaded. The files
// are embedded as strings and handed to the loaders in place: the weights
// are never copied.
package embedded

import (
	"bufio"
	"embed"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/chatumm/chatumm/model"
)

//go:embed chatumm-tiny
var files embed.FS

// Name is how the embedded model is reported (inspect, errors).
const Name = "embedded:chatumm-tiny"

const dir = "chatumm-tiny"

// Files returns the embedded model's files, name → contents. The slices
// alias the binary's read-only data and must not be written.
func Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, n := range []string{"config.json", "tokenizer.json", "model.safetensors", "checksums.txt"} {
		b, err := readInPlace(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %s is missing from this build (rebuild after exporting the model into model/embedded/chatumm-tiny)", Name, n)
		}
		out[n] = b
	}
	return out, nil
}

func readInPlace(name string) ([]byte, error) {
	return files.ReadFile(dir + "/" + name)
}

// Verify checks every file against checksums.txt ("crc32hex  name" lines).
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
			return fmt.Errorf("%s: %s is damaged (crc32 %08x, want %08x)", Name, fields[1], got, want)
		}
		seen++
	}
	if seen == 0 {
		return fmt.Errorf("%s: checksums.txt lists no files", Name)
	}
	return nil
}

// Load verifies and loads the embedded model.
func Load(opts model.Options) (*model.Model, error) {
	fs, err := Files()
	if err != nil {
		return nil, err
	}
	return LoadFiles(fs, opts)
}

// LoadFiles loads a model from in-memory files (tests pass damaged copies).
func LoadFiles(fs map[string][]byte, opts model.Options) (*model.Model, error) {
	if err := Verify(fs); err != nil {
		return nil, err
	}
	return model.LoadMemory(Name, fs, opts)
}
