package fileio

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// staleAge is how old a leftover temporary file must be before CleanStale
// removes it: older than any save in progress (a save is one write and an
// fsync), so a second process saving the same path at the same moment does
// not lose its file.
const staleAge = time.Minute

// tempPrefix is the start of the name of every temporary file for path:
// ".<base>.tmp" (WriteAtomic adds "-<random>"; older chatumm versions
// appended digits directly, and CleanStale removes those too).
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp" }

// createTemp creates a new, empty temporary file next to path.
func createTemp(path string, perm os.FileMode) (*os.File, error) {
	dir := filepath.Dir(path)
	for range 10 {
		var r [6]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, tempPrefix(path)+"-"+hex.EncodeToString(r[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("%s: cannot pick a temporary file name", path)
}

// WriteAtomic writes data to path so that path holds either its old content
// or all of data, whatever happens meanwhile (a full disk, a kill, a power
// cut after the call returns): a temporary file in the same directory is
// written, synced and renamed over path, and the directory is synced so the
// rename itself is durable. On any error the temporary file is removed and
// path is untouched. perm applies when the file is created (less umask).
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		// Renaming over a directory fails anyway; over a device or FIFO it
		// would replace the node, which is never what was meant.
		return &notRegularError{path, Kind(fi.Mode())}
	}
	f, err := createTemp(path, perm)
	if err != nil {
		return Clean(err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err
		}
		return fmt.Errorf("%s: %v", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes a rename in dir durable. It is best effort: some file
// systems refuse to sync a directory, and the data itself is already synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// CleanStale removes the temporary files that saves of path killed before
// their rename left in path's directory, if they are older than a minute
// (younger ones may belong to a save in progress). It returns how many it
// removed; a directory that cannot be read is not an error, since there is
// then nothing this process could have left there.
func CleanStale(path string) (int, error) {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, nil
	}
	prefix := tempPrefix(path)
	removed := 0
	var first error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < staleAge {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			if first == nil && !errors.Is(err, fs.ErrNotExist) {
				first = Clean(err)
			}
			continue
		}
		removed++
	}
	return removed, first
}

// probeBytes is written (and synced) by CheckWritable: enough to fail on a
// full file system, where creating an empty file can still succeed.
const probeBytes = 4096

// CheckWritable reports whether WriteAtomic(path, ...) could succeed now:
// path's directory exists, a file can be created, written and synced there,
// and path, if it exists, is a regular file. A command calls it at start
// for every path it will save to at exit (a session, an output file), so
// a dialogue is not lost to a typo in a directory name. It cannot promise
// the disk will still have room later.
func CheckWritable(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: the directory %s does not exist", path, dir)
		}
		return fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: %s is not a directory", path, dir)
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return &notRegularError{path, Kind(fi.Mode())}
	}
	f, err := createTemp(path, 0o600)
	if err != nil {
		return fmt.Errorf("%s: cannot create a file in %s: %v", path, dir, unwrapPath(err))
	}
	defer os.Remove(f.Name())
	_, err = f.Write(make([]byte, probeBytes))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: cannot write in %s: %v", path, dir, unwrapPath(err))
	}
	return nil
}
