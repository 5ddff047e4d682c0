package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/chatumm/chatumm/runtime/fileio"
)

// maxMessageBytes is the longest line the chat REPL takes as one message.
// It is far more text than any context holds (a token is a few bytes), so
// it only refuses input that could never be sent, and it bounds the memory
// a line costs whatever is piped in.
const maxMessageBytes = 1 << 20

// maxSkipBytes is how far a too-long line is skipped looking for its end.
// Past it the input is not lines of text (chat < /dev/zero): reading on
// would never end, so the input ends instead.
const maxSkipBytes = 64 * maxMessageBytes

// errNoLineBreak ends an input that has no line break in maxSkipBytes.
var errNoLineBreak = fmt.Errorf("the input has no line break in %s: it is not lines of text, so reading stops", fileio.FormatBytes(maxSkipBytes))

// lineTooLongError reports a line longer than the reader's limit; the line
// was read to its end and dropped, so the next read starts after it.
type lineTooLongError struct {
	size, limit int64
}

func (e *lineTooLongError) Error() string {
	return fmt.Sprintf("line of %s is longer than the %s a message may be; it was not sent",
		fileio.FormatBytes(e.size), fileio.FormatBytes(e.limit))
}

// lineReader reads lines of at most limit bytes (without the newline).
// Unlike bufio.Scanner, a longer line is an error for that line only: it
// is skipped, and reading goes on with the next.
type lineReader struct {
	r     *bufio.Reader
	limit int
}

func newLineReader(r io.Reader, limit int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), limit: limit}
}

// next returns the next line without its "\n" (or "\r\n"). At the end of
// the input it returns io.EOF; a last line without a newline is returned
// first. Any other read error ends the input too.
func (lr *lineReader) next() (string, error) {
	var line []byte
	var size int64
	tooLong := false
	for {
		chunk, err := lr.r.ReadSlice('\n')
		size += int64(len(chunk))
		if !tooLong {
			if len(line)+len(chunk) > lr.limit+2 { // room for "\r\n"
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			if size > maxSkipBytes {
				return "", errNoLineBreak
			}
			continue
		}
		if err != nil && size == 0 {
			return "", io.EOF
		}
		if err == nil {
			size-- // the newline is not part of the line
		}
		break // a newline, or the end of the input after a partial line
	}
	if tooLong {
		return "", &lineTooLongError{size: size, limit: int64(lr.limit)}
	}
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	if n > lr.limit {
		return "", &lineTooLongError{size: int64(n), limit: int64(lr.limit)}
	}
	return string(line[:n]), nil
}
