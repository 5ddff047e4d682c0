// Package fileio reads user-supplied files safely and writes user state
// atomically.
//
// Reading: every file a user names (weights, configs, tokenizers, images,
// sessions, scripts, code files) is opened with Open or ReadFile, which
// open it non-blocking (so a FIFO or a device never blocks in open), check
// the open descriptor (fstat, not the path, so nothing can be swapped in
// between) and refuse anything but a regular file, and, for ReadFile,
// refuse a file larger than the limit for its kind before reading a byte.
// The read itself is bounded too, since a file can grow after the check
// and some regular files (/proc) report size 0.
//
// Writing: WriteAtomic writes a temporary file next to the target, syncs
// it and renames it over the target, so a reader (or a later run after a
// crash) sees the old content or the new, never a torn file. CleanStale
// removes the temporary files a killed save left behind, and CheckWritable
// lets a command refuse at start a path it could not save to at exit.
//
// Errors are one line, "PATH: reason"; Clean and Describe turn the
// standard library's "open PATH: reason" into that form.
package fileio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Limit is the most bytes ReadFile accepts for one kind of file, and how
// that kind is named in the error ("an image").
type Limit struct {
	Bytes int64
	What  string
}

// The caps per kind of input. Each is far above any real file of its kind
// and far below what would hurt a machine, so an honest file never meets
// it and a hostile or mistaken one (a disk image given as a config) is one
// error line instead of an out-of-memory crash. Weights have no cap: they
// are mapped, not read, and their headers are validated instead.
var (
	// Image: a 50-megapixel PNG is rarely over 100 MiB; the camera JPEGs
	// and screenshots this tool is given are a few MiB.
	Image = Limit{64 << 20, "an image"}
	// Config: config.json and generation configs are kilobytes.
	Config = Limit{64 << 20, "a JSON config"}
	// Tokenizer: tokenizer.json of a 256k-vocabulary model is ~35 MiB.
	Tokenizer = Limit{256 << 20, "a tokenizer"}
	// ShardIndex: model.safetensors.index.json of a 1,000-shard model is
	// well under 10 MiB.
	ShardIndex = Limit{64 << 20, "a safetensors index"}
	// Script: a scripted dialogue is text and image paths.
	Script = Limit{64 << 20, "a script"}
	// Codes: an image's VQ codes as text are ~5 bytes per code; 64 MiB is
	// ten million codes.
	Codes = Limit{64 << 20, "a code file"}
)

// ReadFile reads a regular file of at most limit.Bytes bytes. A FIFO, a
// device, a directory or a socket is refused without reading (and without
// blocking), as is a file whose size is over the limit.
func ReadFile(path string, limit Limit) ([]byte, error) {
	f, fi, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > limit.Bytes {
		return nil, tooLarge(path, fi.Size(), limit)
	}
	// The size is a hint only: the file may grow or shrink meanwhile.
	buf := make([]byte, 0, min(fi.Size(), limit.Bytes)+1)
	w := &boundedBuffer{buf: buf}
	if _, err := io.Copy(w, io.LimitReader(f, limit.Bytes+1)); err != nil {
		return nil, Clean(&fs.PathError{Op: "read", Path: path, Err: unwrapPath(err)})
	}
	if int64(len(w.buf)) > limit.Bytes {
		return nil, fmt.Errorf("%s: more than the %s allowed for %s (the file grew while being read)",
			path, FormatBytes(limit.Bytes), limit.What)
	}
	return w.buf, nil
}

// boundedBuffer collects what io.Copy reads; unlike bytes.Buffer it never
// grows to more than twice what it holds, and not at all when the size hint
// was right.
type boundedBuffer struct{ buf []byte }

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func tooLarge(path string, size int64, limit Limit) error {
	return fmt.Errorf("%s: %s is more than the %s allowed for %s", path, FormatBytes(size), FormatBytes(limit.Bytes), limit.What)
}

// Open opens a regular file for reading, for callers that map or stream it
// (weights). The FileInfo is from the open descriptor. See ReadFile for
// what is refused.
func Open(path string) (*os.File, os.FileInfo, error) {
	// A first look at the path refuses a FIFO or device without even
	// opening it (opening some devices has effects); the descriptor is
	// checked again below, which is what counts.
	if fi, err := os.Stat(path); err != nil {
		return nil, nil, Clean(err)
	} else if err := checkRegular(path, fi); err != nil {
		return nil, nil, err
	}
	f, err := openNonblocking(path)
	if err != nil {
		return nil, nil, Clean(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, Clean(err)
	}
	if err := checkRegular(path, fi); err != nil {
		f.Close()
		return nil, nil, err
	}
	if err := clearNonblock(f); err != nil {
		f.Close()
		return nil, nil, Clean(&fs.PathError{Op: "open", Path: path, Err: err})
	}
	return f, fi, nil
}

// ErrNotRegular is what errors.Is finds in the error for a path that names
// a FIFO, a device, a directory or a socket.
var ErrNotRegular = errors.New("not a regular file")

type notRegularError struct {
	path, kind string
}

func (e *notRegularError) Error() string {
	return fmt.Sprintf("%s: %s (%s)", e.path, ErrNotRegular, e.kind)
}

func (e *notRegularError) Unwrap() error { return ErrNotRegular }

func checkRegular(path string, fi os.FileInfo) error {
	if fi.Mode().IsRegular() {
		return nil
	}
	return &notRegularError{path, Kind(fi.Mode())}
}

// Kind names what a non-regular file is: "a FIFO", "a device", ...
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a plain file"
}

// FormatBytes writes n as "512 bytes", "64 MiB" or "3.1 GiB".
func FormatBytes(n int64) string {
	if n < 1024 && n > -1024 {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, u := float64(n)/1024, 0
	for (v >= 1024 || v <= -1024) && u < len(units)-1 {
		v /= 1024
		u++
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), units[u])
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

// Clean returns err with every *fs.PathError in its message shown as
// "PATH: reason" instead of "op PATH: reason", the one form errors take in
// chatumm. errors.Is and errors.As still see the original. nil stays nil.
func Clean(err error) error {
	if err == nil {
		return nil
	}
	msg := Describe(err)
	if msg == err.Error() {
		return err
	}
	return &cleanError{msg, err}
}

// Describe is Clean(err).Error(): "PATH: reason" for a path error, the
// message unchanged otherwise (and "" for nil).
func Describe(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err != nil {
		short := pe.Path + ": " + pe.Err.Error()
		if strings.Contains(msg, pe.Error()) {
			return strings.Replace(msg, pe.Error(), short, 1)
		}
		return msg
	}
	var le *os.LinkError
	if errors.As(err, &le) && le.Err != nil {
		return strings.Replace(msg, le.Error(), le.New+": "+le.Err.Error(), 1)
	}
	return msg
}

type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }
func (e *cleanError) Unwrap() error { return e.err }

// unwrapPath returns the reason inside a path error, for errors that are
// about to be given a path again.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
