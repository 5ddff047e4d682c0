package cli

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"image/png"
	"path/filepath"
	"strings"

	"github.com/chatumm/chatumm/runtime/fileio"
)

// writeImage writes a decoded picture (PNG bytes) to path in the format its
// extension names: .jpg or .jpeg as JPEG, .png or no extension as PNG.
// Any other extension is refused, so out.jpg never holds PNG bytes.
func writeImage(path string, pngData []byte) error {
	if err := checkImageExt(path); err != nil {
		return err
	}
	data := pngData
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg":
		img, err := png.Decode(bytes.NewReader(pngData))
		if err != nil {
			return fmt.Errorf("%s: %v", printable(path), err)
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
			return fmt.Errorf("%s: %v", printable(path), err)
		}
		data = buf.Bytes()
	}
	return fileio.WriteAtomic(path, data, 0o644)
}

// checkImageExt refuses an output name whose extension is not a format
// writeImage writes (checked before the model runs).
func checkImageExt(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case "", ".png", ".jpg", ".jpeg":
		return nil
	}
	return fmt.Errorf("%s: chatumm writes .png or .jpg pictures, not %s", printable(path), printable(filepath.Ext(path)))
}
