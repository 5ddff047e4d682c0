//go:build unix

package fileio

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadFileFIFO: a FIFO with no writer is refused at once; a plain open
// would block forever.
func TestReadFileFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for name, open := range map[string]func() error{
		"ReadFile": func() error { _, err := ReadFile(p, Image); return err },
		"Open":     func() error { _, _, err := Open(p); return err },
	} {
		done := make(chan error, 1)
		go func() { done <- open() }()
		select {
		case err := <-done:
			if err == nil || err.Error() != p+": not a regular file (a FIFO)" {
				t.Errorf("%s: err = %v, want %q", name, err, p+": not a regular file (a FIFO)")
			}
			if !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s: errors.Is(err, ErrNotRegular) is false", name)
			}
		case <-time.After(time.Second):
			t.Fatalf("%s on a FIFO still blocked after 1 s", name)
		}
	}
}

// TestOpenNonblockingFIFO: the descriptor check holds on its own, for a
// FIFO that appears after the path was first looked at.
func TestOpenNonblockingFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := openNonblocking(p)
		if err == nil {
			var fi os.FileInfo
			fi, err = f.Stat()
			if err == nil {
				err = checkRegular(p, fi)
			}
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("err = %v, want a not-a-regular-file error", err)
		}
	case <-time.After(time.Second):
		t.Fatal("opening a FIFO non-blocking still blocked after 1 s")
	}
}

func TestReadFileRefusesDeviceAndDirectory(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err := ReadFile("/dev/zero", Image)
		if err == nil || err.Error() != "/dev/zero: not a regular file (a device)" {
			t.Errorf("/dev/zero: err = %v", err)
		}
	}
	dir := t.TempDir()
	_, err := ReadFile(dir, Config)
	if err == nil || err.Error() != dir+": not a regular file (a directory)" {
		t.Errorf("directory: err = %v", err)
	}
}

func TestReadFileMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "none.json")
	_, err := ReadFile(p, Config)
	if err == nil || err.Error() != p+": no such file or directory" {
		t.Errorf("err = %v, want %q", err, p+": no such file or directory")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("errors.Is(err, fs.ErrNotExist) is false")
	}
}

// TestReadFileTooLarge: a sparse file far over the limit is refused from
// its size, without reading (reading 3 GiB of zeros here would take
// seconds and the memory).
func TestReadFileTooLarge(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.png")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const size = 3<<30 + 100<<20
	if err := f.Truncate(size); err != nil {
		t.Skipf("sparse file: %v", err)
	}
	f.Close()
	start := time.Now()
	_, err = ReadFile(p, Image)
	want := p + ": 3.1 GiB is more than the 64 MiB allowed for an image"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusing took %v; the file was read", d)
	}
}

func TestReadFileAtAndUnderLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	data := []byte(strings.Repeat("x", 100))
	os.WriteFile(p, data, 0o600)
	got, err := ReadFile(p, Limit{100, "a test file"})
	if err != nil || string(got) != string(data) {
		t.Fatalf("at the limit: %q, %v", got, err)
	}
	_, err = ReadFile(p, Limit{99, "a test file"})
	if err == nil || err.Error() != p+": 100 bytes is more than the 99 bytes allowed for a test file" {
		t.Errorf("over the limit: %v", err)
	}
}

// TestReadFileZeroSizeRegular: a regular file that says it is empty but is
// not (/proc) is still read up to the limit, and no further.
func TestReadFileZeroSizeRegular(t *testing.T) {
	const p = "/proc/self/status"
	fi, err := os.Stat(p)
	if err != nil || fi.Size() != 0 {
		t.Skip("no zero-size /proc file here")
	}
	got, err := ReadFile(p, Config)
	if err != nil || !strings.Contains(string(got), "Name:") {
		t.Errorf("read %d bytes, err %v", len(got), err)
	}
	_, err = ReadFile(p, Limit{10, "a test file"})
	if err == nil || !strings.Contains(err.Error(), "more than the 10 bytes allowed for a test file") {
		t.Errorf("over the limit: %v", err)
	}
}

func TestOpenRegular(t *testing.T) {
	p := filepath.Join(t.TempDir(), "w.bin")
	os.WriteFile(p, []byte("abcdef"), 0o600)
	f, fi, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi.Size() != 6 {
		t.Errorf("size %d", fi.Size())
	}
	buf := make([]byte, 3)
	if n, err := f.ReadAt(buf, 2); n != 3 || err != nil || string(buf) != "cde" {
		t.Errorf("ReadAt: %d %v %q", n, err, buf)
	}
}

func TestDescribe(t *testing.T) {
	_, err := os.Open("/nonexistent/x.png")
	if got := Describe(err); got != "/nonexistent/x.png: no such file or directory" {
		t.Errorf("Describe = %q", got)
	}
	wrapped := errors.Join(errors.New("tokenizer"), err)
	if got := Describe(wrapped); got != "tokenizer\n/nonexistent/x.png: no such file or directory" {
		t.Errorf("Describe(wrapped) = %q", got)
	}
	if got := Describe(errors.New("plain")); got != "plain" {
		t.Errorf("Describe(plain) = %q", got)
	}
	if Clean(nil) != nil || Describe(nil) != "" {
		t.Error("nil is not kept")
	}
	if c := Clean(err); !errors.Is(c, fs.ErrNotExist) {
		t.Error("Clean loses the cause")
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 bytes", 1: "1 byte", 1023: "1023 bytes", 1024: "1 KiB", 1536: "1.5 KiB",
		64 << 20: "64 MiB", 3<<30 + 100<<20: "3.1 GiB", 1 << 62: "4 EiB",
	} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
