package model

import (
	"fmt"
	"os"
	"path/filepath"
)

// refusePickle explains a checkpoint directory whose weights are PyTorch
// pickles only (deepseek-ai/Janus-Pro ships pytorch_model.bin): chatumm
// never unpickles — a pickle can run code — so the weights must be
// converted to safetensors first.
func refusePickle(dir string) error {
	for _, pattern := range []string{"*.safetensors", "*.safetensors.index.json", "*.gguf"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) > 0 {
			return nil
		}
	}
	for _, pattern := range []string{"*.bin", "*.pt", "*.pth", "*.ckpt"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) > 0 {
			if st, err := os.Stat(m[0]); err == nil && st.Mode().IsRegular() {
				return fmt.Errorf("%s is a PyTorch pickle, which chatumm never loads (unpickling can run code): convert it to safetensors (e.g. transformers' save_pretrained(..., safe_serialization=True), or the Hub's safetensors conversion)", m[0])
			}
		}
	}
	return nil
}
