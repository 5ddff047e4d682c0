//go:build unix

package cli

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/weights"
)

// TestFaultError: a read of a mapped weights file truncated after loading
// is recovered as an error naming the file; any other panic is not taken
// for a fault.
func TestFaultError(t *testing.T) {
	dir := copyFixture(t, "llama")
	m, err := model.Load(dir, model.Options{Load: weights.Mmap})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	old := loadedModels
	loadedModels = []*model.Model{m}
	defer func() { loadedModels = old }()

	file := filepath.Join(dir, "model.safetensors")
	if err := os.Truncate(file, 0); err != nil {
		t.Fatal(err)
	}
	var touched int
	recovered := func() (rec any) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() { rec = recover() }()
		for _, name := range m.Weights.Names() {
			tensor, _ := m.Weights.Tensor(name)
			for _, b := range tensor.Bytes() {
				touched += int(b)
			}
		}
		return nil
	}()
	if recovered == nil {
		t.Skip("no tensor of the fixture is mapped from the file (all copied at load)")
	}
	err = faultError(recovered)
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("faultError(%v) = %v, want an error naming %s", recovered, err, file)
	}
	if faultError(errors.New("a bug")) != nil || faultError("index out of range") != nil {
		t.Errorf("faultError took an ordinary panic for a memory fault")
	}
}
