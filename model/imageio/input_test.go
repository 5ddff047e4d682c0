package imageio

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// FuzzReadImage: any bytes given as an image either decode to an image
// within the caps, which preprocesses to 3×res×res values in [-1, 1], or
// are an error; never a panic, a hang or an allocation sized by a header.
func FuzzReadImage(f *testing.F) {
	if b, err := os.ReadFile("../../testdata/ref/vq-image.png"); err == nil {
		f.Add(b)
	}
	small := image.NewNRGBA(image.Rect(0, 0, 9, 4))
	for i := range small.Pix {
		small.Pix[i] = uint8(i * 37)
	}
	f.Add(encodePNG(f, small))
	var jb bytes.Buffer
	jpeg.Encode(&jb, small, nil)
	f.Add(jb.Bytes())
	f.Add(encodePNG(f, image.NewGray(image.Rect(0, 0, 2000, 1))))
	f.Add(pngHeaderOnly(10_000, 6_000))
	pal := image.NewPaletted(image.Rect(0, 0, 3, 3), color.Palette{color.White, color.Transparent})
	f.Add(encodePNG(f, pal))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeImage(data)
		if err != nil {
			if img != nil {
				t.Fatal("an image and an error")
			}
			return
		}
		b := img.Bounds()
		if err := checkSize("", b.Dx(), b.Dy()); err != nil {
			t.Fatalf("decoded an image outside the caps: %v", err)
		}
		if b.Dx()*b.Dy() > 1<<20 {
			return // valid and large: preprocessing it is slow, not interesting
		}
		const res = 16
		out := Preprocess(img, res)
		if len(out) != 3*res*res {
			t.Fatalf("%d values", len(out))
		}
		for _, v := range out {
			if !(v >= -1 && v <= 1) {
				t.Fatalf("value %v outside [-1, 1]", v)
			}
		}
	})
}

// TestReadImageRefusesSpecialFiles: a FIFO, a device and a directory are
// one-line errors, at once; nothing is read from /dev/zero.
func TestReadImageRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "photo.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadImage(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || err.Error() != fifo+": not a regular file (a FIFO)" {
			t.Errorf("FIFO: %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("ReadImage on a FIFO still blocked after 1 s")
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := ReadImage("/dev/zero"); err == nil || err.Error() != "/dev/zero: not a regular file (a device)" {
			t.Errorf("/dev/zero: %v", err)
		}
	}
	if _, err := ReadImage(dir); err == nil || err.Error() != dir+": not a regular file (a directory)" {
		t.Errorf("directory: %v", err)
	}
	empty := filepath.Join(dir, "empty.png")
	os.WriteFile(empty, nil, 0o600)
	if _, err := ReadImage(empty); err == nil || err.Error() != empty+": empty file, not an image" {
		t.Errorf("empty: %v", err)
	}
}
