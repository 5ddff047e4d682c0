package fileio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.session")
	if err := WriteAtomic(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(p, []byte("new content"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if string(got) != "new content" {
		t.Errorf("content %q", got)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// TestWriteAtomicFailureKeepsOld: a write that cannot complete leaves the
// old content and no temporary file.
func TestWriteAtomicFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.session")
	os.WriteFile(p, []byte("old"), 0o600)
	// A directory where the file should go is refused before anything is
	// written.
	blocked := filepath.Join(dir, "d")
	os.Mkdir(blocked, 0o700)
	os.WriteFile(filepath.Join(blocked, "x"), nil, 0o600)
	err := WriteAtomic(blocked, []byte("new"), 0o600)
	if err == nil || !strings.HasPrefix(err.Error(), blocked+": ") {
		t.Errorf("over a directory: err = %v", err)
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	// /dev/full fails the write itself; path must not be replaced.
	if _, err := os.Stat("/dev/full"); err == nil {
		if err := WriteAtomic("/dev/full", []byte("x"), 0o600); err == nil {
			t.Error("WriteAtomic over a device succeeded")
		}
	}
	got, _ := os.ReadFile(p)
	if string(got) != "old" {
		t.Errorf("old content changed: %q", got)
	}
	missing := filepath.Join(dir, "no", "s.session")
	if err := WriteAtomic(missing, []byte("x"), 0o600); err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("missing directory: %v", err)
	}
}

// TestWriteAtomicReadersSeeWholeFiles: a reader running alongside repeated
// saves only ever sees one complete version, never a mix or a prefix.
func TestWriteAtomicReadersSeeWholeFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.session")
	versions := [][]byte{[]byte(strings.Repeat("a", 1<<20)), []byte(strings.Repeat("b", 1<<19))}
	if err := WriteAtomic(p, versions[0], 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			if err := WriteAtomic(p, versions[i%2], 0o600); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for reads := 0; ; reads++ {
		select {
		case <-done:
			if tmp := tempFiles(t, filepath.Dir(p)); len(tmp) != 0 {
				t.Errorf("temporary files left: %v", tmp)
			}
			return
		default:
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(versions[0]) && string(got) != string(versions[1]) {
			t.Fatalf("read %d: a torn file of %d bytes", reads, len(got))
		}
	}
}

func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "chat.session")
	old := time.Now().Add(-2 * staleAge)
	stale := []string{".chat.session.tmp-0123abcd", ".chat.session.tmp123456"}
	for _, n := range stale {
		os.WriteFile(filepath.Join(dir, n), []byte("partial"), 0o600)
		os.Chtimes(filepath.Join(dir, n), old, old)
	}
	fresh := ".chat.session.tmp-fresh"
	other := ".other.session.tmp-0123abcd"
	os.WriteFile(filepath.Join(dir, fresh), nil, 0o600)
	os.WriteFile(filepath.Join(dir, other), nil, 0o600)
	os.Chtimes(filepath.Join(dir, other), old, old)
	os.WriteFile(p, []byte("kept"), 0o600)
	n, err := CleanStale(p)
	if err != nil || n != 2 {
		t.Errorf("removed %d, err %v; want 2", n, err)
	}
	left := tempFiles(t, dir)
	if strings.Join(left, ",") != fresh+","+other && strings.Join(left, ",") != other+","+fresh {
		t.Errorf("left %v, want only %s and %s", left, fresh, other)
	}
	if got, _ := os.ReadFile(p); string(got) != "kept" {
		t.Error("the file itself was touched")
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "new.session")); err != nil {
		t.Errorf("writable directory: %v", err)
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("probe left %v", tmp)
	}
	p := filepath.Join(dir, "missing", "s.session")
	if err := CheckWritable(p); err == nil || err.Error() != p+": the directory "+filepath.Join(dir, "missing")+" does not exist" {
		t.Errorf("missing directory: %v", err)
	}
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o600)
	if err := CheckWritable(filepath.Join(file, "s")); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("file as directory: %v", err)
	}
	if err := CheckWritable(dir); err == nil || !strings.Contains(err.Error(), "(a directory)") {
		t.Errorf("directory as target: %v", err)
	}
	if _, err := os.Stat("/dev/full"); err == nil {
		if err := CheckWritable("/dev/full"); err == nil || !strings.Contains(err.Error(), "(a device)") {
			t.Errorf("/dev/full: %v", err)
		}
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o500)
		defer os.Chmod(ro, 0o700)
		if err := CheckWritable(filepath.Join(ro, "s")); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("read-only directory: %v", err)
		}
	}
}
