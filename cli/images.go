package cli

import (
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/runtime/fileio"
	"golang.org/x/term"
)

// splitAttachments pulls "@PATH" attachments out of a message, the way
// people type them: @img.png, @"my photo.png" or @'my photo.png',
// @my\ photo.png, @~/pics/a.png, and @a.png? or @a.png. at the end of a
// sentence (trailing punctuation is dropped unless the file's name really
// has it). An @ inside a word (user@example.com) is text.
func splitAttachments(line string) (string, []string) {
	var text strings.Builder
	var paths []string
	for i := 0; i < len(line); {
		atWordStart := i == 0 || line[i-1] == ' ' || line[i-1] == '\t'
		if line[i] != '@' || !atWordStart || i+1 >= len(line) || line[i+1] == ' ' {
			text.WriteByte(line[i])
			i++
			continue
		}
		path, n := attachmentPath(line[i+1:])
		if path == "" {
			text.WriteByte(line[i])
			i++
			continue
		}
		paths = append(paths, path)
		i += 1 + n
	}
	if len(paths) == 0 {
		return line, nil
	}
	return strings.Join(strings.Fields(text.String()), " "), paths
}

// attachmentPath reads one path after an @: quoted, or up to unescaped
// white space. It returns the path and the bytes it took.
func attachmentPath(s string) (string, int) {
	var path string
	n := 0
	if q := s[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			return "", 0
		}
		path, n = s[1:1+end], end+2
	} else {
		var b strings.Builder
		for n < len(s) && s[n] != ' ' && s[n] != '\t' {
			if s[n] == '\\' && n+1 < len(s) && s[n+1] == ' ' {
				n++
			}
			b.WriteByte(s[n])
			n++
		}
		path = b.String()
		// "look at @a.png." — the full stop ends the sentence, unless a
		// file of that exact name exists.
		if trimmed := strings.TrimRight(path, "?.,!;:)"); trimmed != path && trimmed != "" {
			if _, err := os.Stat(expandHome(path)); err != nil {
				path = trimmed
			}
		}
	}
	return expandHome(path), n
}

// expandHome turns a leading ~/ into the home directory, as a shell would.
func expandHome(path string) string {
	if path == "~" || strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, path[1:])
		}
	}
	return path
}

// checkImageFile checks that path can be read as an image: a regular
// file (a FIFO, a device or a directory is refused without blocking or
// reading) within the size cap for images.
func checkImageFile(path string) error {
	f, fi, err := fileio.Open(path)
	if err != nil {
		return err
	}
	f.Close()
	if fi.Size() > fileio.Image.Bytes {
		return fmt.Errorf("%s: %s is more than the %s allowed for %s", path,
			fileio.FormatBytes(fi.Size()), fileio.FormatBytes(fileio.Image.Bytes), fileio.Image.What)
	}
	return nil
}

// encodeImages VQ-encodes image files into code grids. Each file is
// checked with checkImageFile first, so what the decoder reads is a
// regular file of bounded size.
func encodeImages(m *model.Model, paths []string) ([]chat.Image, error) {
	var out []chat.Image
	for _, p := range paths {
		if m.Proto.Image.Features { // read by the vision tower (Janus)
			if err := checkImageFile(p); err != nil {
				return nil, err
			}
			feats, err := m.ReadImageFeatures(p)
			if err != nil {
				return nil, err
			}
			out = append(out, chat.Image{Features: feats, Path: p})
			continue
		}
		if m.VQ != nil && m.VQ.HasEncoder() { // else the model's error says it cannot read images
			if err := checkImageFile(p); err != nil {
				return nil, err
			}
		}
		codes, err := m.EncodeImageFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, chat.Image{Codes: codes, Path: p})
	}
	return out, nil
}

var imageFileRE = regexp.MustCompile(`^chatumm-(\d{3,})\.png$`)

// nextImageNumber continues the numbering of images already in dir.
func nextImageNumber(dir string) int {
	n := 1
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if m := imageFileRE.FindStringSubmatch(e.Name()); m != nil {
			var k int
			fmt.Sscan(m[1], &k)
			if k >= n {
				n = k + 1
			}
		}
	}
	return n
}

// showImage decodes a drawn image, saves it as the next numbered PNG, prints
// the path and shows it inline where the terminal can.
func (r *replState) showImage(im chat.Image) {
	path := filepath.Join(r.imageDir, fmt.Sprintf("chatumm-%03d.png", r.imageNum))
	r.imageNum++
	png, err := r.m.DecodeImagePNG(im.Codes, im.Rows, im.Cols)
	shown := png
	if err == nil {
		png, err = scalePNG(png, r.scale)
	}
	if err == nil {
		err = fileio.WriteAtomic(path, png, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "\nerror: image not saved: %s\n", printable(oneLine(hint(err, inREPL).Error())))
		return
	}
	r.conv.SetLastImagePath(path)
	fmt.Fprintf(r.out, "\n[image: %s]\n", printable(path))
	if f, ok := r.out.(*os.File); ok && isTerminal(f) {
		cols := 80
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			cols = w
		}
		showPicture(r.out, shown, cols)
	}
}

// showInline prints a PNG with the kitty or iTerm2 graphics protocol (see
// graphicsTerminal).
func showInline(w io.Writer, png []byte) {
	b64 := base64.StdEncoding.EncodeToString(png)
	switch {
	case os.Getenv("TERM_PROGRAM") == "iTerm.app" || os.Getenv("LC_TERMINAL") == "iTerm2":
		fmt.Fprintf(w, "\x1b]1337;File=inline=1;size=%d:%s\a\n", len(png), b64)
	case strings.Contains(os.Getenv("TERM"), "kitty") || os.Getenv("KITTY_WINDOW_ID") != "":
		for i := 0; i < len(b64); i += 4096 {
			end := min(i+4096, len(b64))
			more := 0
			if end < len(b64) {
				more = 1
			}
			if i == 0 {
				fmt.Fprintf(w, "\x1b_Ga=T,f=100,m=%d;%s\x1b\\", more, b64[i:end])
			} else {
				fmt.Fprintf(w, "\x1b_Gm=%d;%s\x1b\\", more, b64[i:end])
			}
		}
		fmt.Fprintln(w)
	}
}

// progressBar draws "image  37% [=====     ] 380/1024  12s left" on stderr
// when stderr is a terminal; otherwise it stays silent.
type progressBar struct {
	what  string // what is under way: "image" unless set
	total int
	start time.Time
	tty   bool
	last  time.Time
}

func newProgressBar(total int) *progressBar {
	return &progressBar{what: "image", total: total, start: time.Now(), tty: isTerminal(os.Stderr)}
}

func (p *progressBar) update(done int) {
	if p == nil || !p.tty || p.total <= 0 {
		return
	}
	now := time.Now()
	if done < p.total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	const width = 30
	filled := width * done / p.total
	elapsed := now.Sub(p.start)
	left := time.Duration(0)
	if done > 0 {
		left = elapsed * time.Duration(p.total-done) / time.Duration(done)
	}
	fmt.Fprintf(os.Stderr, "\r%s %3d%% [%s%s] %d/%d  %s left ", p.what, 100*done/p.total,
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, p.total, left.Round(time.Second))
}

func (p *progressBar) finish() {
	if p != nil && p.tty {
		fmt.Fprint(os.Stderr, "\r\x1b[K")
	}
}
