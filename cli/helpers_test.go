package cli

// End-to-end tests of the chatumm command: TestMain builds the real binary
// once and the tests exec it, so they see the real exit codes, the real
// stdout/stderr split and any panic stack trace a user would see.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatumm/chatumm/weights"
)

// chatummBin is the binary built by TestMain.
var chatummBin string

// callTimeout bounds one invocation: every command in these tests works on
// tiny fixtures and takes well under a second when the machine is idle, so
// reaching this means a hang.
const callTimeout = 30 * time.Second

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chatumm-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	chatummBin = filepath.Join(dir, "chatumm")
	build := exec.Command(goTool(), "build", "-o", chatummBin, "./chatumm")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building the chatumm binary: %v\n", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// goTool is the go command that runs this test: the one on PATH, else the
// usual install location.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// invocation is one run of the binary.
type invocation struct {
	args  []string
	stdin string   // fed through a pipe, then EOF
	dir   string   // working directory (default: the test's temp dir)
	env   []string // added to the environment
}

type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

// chatumm runs the binary with args in a fresh temp directory.
func chatumm(t *testing.T, args ...string) result {
	t.Helper()
	return invoke(t, invocation{args: args})
}

func invoke(t *testing.T, in invocation) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, chatummBin, in.args...)
	cmd.Dir = in.dir
	if cmd.Dir == "" {
		cmd.Dir = t.TempDir()
	}
	// One worker thread: the tests run on a small shared machine, and the
	// fixtures are too small to gain from more.
	cmd.Env = append(append(os.Environ(), "CHATUMM_THREADS=1"), in.env...)
	cmd.Stdin = strings.NewReader(in.stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(t0)}
	if ctx.Err() != nil {
		t.Fatalf("chatumm %s: no answer after %v (hang?)\nstderr: %s", quoteArgs(in.args), callTimeout, r.stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("chatumm %s: %v", quoteArgs(in.args), err)
	}
	checkNoPanic(t, in.args, r)
	return r
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, " ")
}

func checkNoPanic(t *testing.T, args []string, r result) {
	t.Helper()
	for _, s := range []string{r.stdout, r.stderr} {
		if strings.Contains(s, "panic:") || strings.Contains(s, "goroutine ") {
			t.Fatalf("chatumm %s crashed (exit %d):\n%s", quoteArgs(args), r.code, clipText(s, 3000))
		}
	}
}

// wantSuccess checks exit code 0 and an empty stderr.
func wantSuccess(t *testing.T, r result, args ...string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("chatumm %s: exit %d, want 0\nstderr: %s", quoteArgs(args), r.code, r.stderr)
	}
}

// wantError checks the bad-input contract: a non-zero exit code and exactly
// one line on stderr, "chatumm: ...", containing every string of wants.
func wantError(t *testing.T, r result, args []string, wants ...string) {
	t.Helper()
	what := "chatumm " + quoteArgs(args)
	if r.code == 0 {
		t.Errorf("%s: exit 0, want an error\nstdout: %s\nstderr: %s", what, clipText(r.stdout, 500), r.stderr)
		return
	}
	line := strings.TrimSuffix(r.stderr, "\n")
	if line == "" || strings.Contains(line, "\n") {
		t.Errorf("%s: stderr should be exactly one line, got %q", what, clipText(r.stderr, 1000))
		return
	}
	if !strings.HasPrefix(line, "chatumm: ") {
		t.Errorf("%s: stderr %q does not start with \"chatumm: \"", what, line)
	}
	for _, w := range wants {
		if !strings.Contains(line, w) {
			t.Errorf("%s: error %q does not mention %q", what, line, w)
		}
	}
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// repoPath is a path in the repository, absolute so the binary can run in
// any directory.
func repoPath(t testing.TB, parts ...string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(append([]string{".."}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func refDir(t testing.TB, fixture string) string { return repoPath(t, "testdata", "ref", fixture) }
func cliData(t testing.TB, name string) string   { return repoPath(t, "testdata", "cli", name) }

// copyFixture copies testdata/ref/<fixture> into a fresh temp directory so a
// test can damage it.
func copyFixture(t *testing.T, fixture string) string {
	t.Helper()
	src := refDir(t, fixture)
	dst := filepath.Join(t.TempDir(), fixture)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// editConfig rewrites dir/config.json after edit changes its fields.
func editConfig(t *testing.T, dir string, edit func(cfg map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	if data, err = json.MarshalIndent(cfg, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// editTensors rewrites dir/model.safetensors with the tensors edit returns.
func editTensors(t *testing.T, dir string, edit func([]weights.WriteTensor) []weights.WriteTensor) {
	t.Helper()
	path := filepath.Join(dir, "model.safetensors")
	set, err := weights.Open(path, weights.Read)
	if err != nil {
		t.Fatal(err)
	}
	var ts []weights.WriteTensor
	for _, name := range set.Names() {
		w, _ := set.Tensor(name)
		ts = append(ts, weights.WriteTensor{Name: name, DType: w.DType, Shape: append([]int(nil), w.Shape...),
			Data: append([]byte(nil), w.Bytes()...)})
	}
	set.Close()
	if err := weights.WriteSafetensors(path, edit(ts), nil); err != nil {
		t.Fatal(err)
	}
}

// tensorNames lists the tensors of a checkpoint as the weights package sees them.
func tensorNames(t *testing.T, dir string) []string {
	t.Helper()
	set, err := weights.Open(dir, weights.Mmap)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	return set.Names()
}

// editSafetensorsHeader rewrites the JSON header of a safetensors file and
// keeps its data section byte for byte, so the header can lie about it.
func editSafetensorsHeader(t *testing.T, path string, edit func(h map[string]map[string]any, dataLen int64)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(data)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &raw); err != nil {
		t.Fatal(err)
	}
	h := map[string]map[string]any{}
	for k, v := range raw {
		var e map[string]any
		if err := json.Unmarshal(v, &e); err != nil {
			t.Fatal(err)
		}
		h[k] = e
	}
	body := data[8+n:]
	edit(h, int64(len(body)))
	hdr, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	out = append(append(out, hdr...), body...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pngHeaderOnly builds the start of a PNG file declaring a width×height
// RGBA image: signature, an IHDR chunk with a correct CRC, and an IDAT
// chunk far too short for the pixels. A decoder that allocates the image
// before checking its size would ask for width×height×4 bytes.
func pngHeaderOnly(width, height uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, payload []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(payload)))
		crc := crc32.NewIEEE()
		io.WriteString(crc, typ)
		crc.Write(payload)
		b.WriteString(typ)
		b.Write(payload)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := binary.BigEndian.AppendUint32(nil, width)
	ihdr = binary.BigEndian.AppendUint32(ihdr, height)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA, deflate, adaptive filter, no interlace
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x00, 0x00}) // a few bytes of zlib
	return b.Bytes()
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readF32 reads a raw little-endian float32 file.
func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data)%4 != 0 {
		t.Fatalf("%s: %d bytes is not a whole number of float32", path, len(data))
	}
	out := make([]float32, len(data)/4)
	if err := binary.Read(bytes.NewReader(data), binary.LittleEndian, out); err != nil {
		t.Fatal(err)
	}
	return out
}
