package cli

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 100)
	in := "first\r\n" + long + "\nafter the long one\n\n" + strings.Repeat("y", 10) + "\nno newline at the end"
	// One byte per read: lines longer than a read, and the buffer, are
	// the cases that matter.
	lr := newLineReader(iotest.OneByteReader(strings.NewReader(in)), 10)
	type got struct {
		line    string
		tooLong int64 // the size a too-long line is reported with
	}
	var out []got
	for {
		s, err := lr.next()
		if err == io.EOF {
			break
		}
		var tl *lineTooLongError
		if err != nil && !errors.As(err, &tl) {
			t.Fatalf("unexpected error %v", err)
		}
		g := got{line: s}
		if tl != nil {
			g.tooLong = tl.size
		}
		out = append(out, g)
	}
	// "after the long one" (18 bytes) and the last line (21) are over 10 too.
	want := []got{{"first", 0}, {"", 100}, {"", 18}, {"", 0}, {strings.Repeat("y", 10), 0}, {"", 21}}
	if len(out) != len(want) {
		t.Fatalf("got %d lines %v, want %d %v", len(out), out, len(want), want)
	}
	for i := range want {
		if out[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i, out[i], want[i])
		}
	}
}

// TestLineReaderHugeLine: a line far longer than the reader's buffer and
// limit costs no more than the limit, is one error, and the next line is
// read as usual.
func TestLineReaderHugeLine(t *testing.T) {
	huge := strings.Repeat("z", 17<<20)
	lr := newLineReader(strings.NewReader(huge+"\nhello\n"), maxMessageBytes)
	_, err := lr.next()
	var tl *lineTooLongError
	if !errors.As(err, &tl) {
		t.Fatalf("17 MiB line: err %v, want a lineTooLongError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "17 MiB") || !strings.Contains(msg, "1 MiB") || !strings.Contains(msg, "not sent") {
		t.Errorf("error %q should give both sizes and say the line was not sent", msg)
	}
	if s, err := lr.next(); err != nil || s != "hello" {
		t.Errorf("after the long line: %q, %v; want \"hello\"", s, err)
	}
	if _, err := lr.next(); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
}

// zeros is an endless input without a line break, like /dev/zero.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestLineReaderEndsInputWithoutLineBreaks: chat < /dev/zero ends with one
// error after a bounded skip instead of reading forever.
func TestLineReaderEndsInputWithoutLineBreaks(t *testing.T) {
	lr := newLineReader(zeros{}, maxMessageBytes)
	if _, err := lr.next(); !errors.Is(err, errNoLineBreak) {
		t.Fatalf("endless input without line breaks: %v, want errNoLineBreak", err)
	}
}
