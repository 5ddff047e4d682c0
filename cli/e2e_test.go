package cli

// Good paths through the real binary: logits against the PyTorch reference,
// scripted dialogues, inspect, the VQ-GAN tools and the model benchmark
// (the chat REPL is in chat_e2e_test.go).

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/weights"
)

var transformerFixtures = []string{"chameleon-bf16", "chameleon-mot", "chameleon-swin", "llama", "lumina-qknorm"}

// Largest logit error allowed, as max |diff| / rms(reference logits), per
// fixture (weight dtype and layout) and KV cache type: about 5× the error
// (in the comments: f32 KV, f16 KV) measured on 2026-12-06 with
// `go test ./cli -run 'LogitsMatch|LogitsGGUF' -v` (which logs it) and by
// model/reference_test.go's and model/gguf_reference_test.go's tests, on
// AVX2 and with CHATUMM_CPU=generic. The f32-KV bound is the one that sees
// small mistakes (rms_norm_eps ×10); the f16-KV bound covers K/V rounding.
var logitTol = map[string]struct{ f32KV, f16KV float64 }{
	"chameleon-bf16": {f32KV: 9e-6, f16KV: 5.2e-3},    // BF16: 1.8e-6, 1.04e-3
	"chameleon-mot":  {f32KV: 8e-6, f16KV: 4.4e-3},    // F16: 1.6e-6, 0.87e-3
	"chameleon-swin": {f32KV: 1.4e-5, f16KV: 7e-3},    // F32: 2.8e-6, 1.40e-3
	"llama":          {f32KV: 1.05e-5, f16KV: 3.9e-3}, // F16: 2.1e-6, 0.77e-3
	"lumina-qknorm":  {f32KV: 8.5e-6, f16KV: 4.1e-3},  // F16: 1.7e-6, 0.82e-3
	"tiny-llama":     {f32KV: 3.8e-6, f16KV: 9e-4},    // GGUF F16: 0.75e-6, 1.8e-4
	"tiny-mqa-tied":  {f32KV: 8.5e-6, f16KV: 7e-3},    // GGUF F32: 1.7e-6, 1.4e-3
}

// checkLogits runs `chatumm logits` on model with ids (env added to its
// environment), with the default f16 and with the f32 KV cache, and
// compares every position with the reference file, within logitTol[fixture].
func checkLogits(t *testing.T, fixture, model string, ids []int, vocab int, refFile string, env ...string) {
	t.Helper()
	want := readF32(t, refFile)
	var ss float64
	for _, w := range want {
		ss += float64(w) * float64(w)
	}
	rms := math.Sqrt(ss / float64(len(want)))
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = strconv.Itoa(id)
	}
	for _, f32kv := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "logits.f32")
		args := []string{"logits", "--model", model, "--ids", strings.Join(strs, ","), "--out", out}
		limit := logitTol[fixture].f16KV
		if f32kv {
			args, limit = append(args, "--kv-f32"), logitTol[fixture].f32KV
		}
		wantSuccess(t, invoke(t, invocation{args: args, env: env}), args...)
		got := readF32(t, out)
		if len(got) != len(ids)*vocab || len(want) != len(got) {
			t.Fatalf("%d floats written, reference %d, want %d ids × %d vocab = %d", len(got), len(want), len(ids), vocab, len(ids)*vocab)
		}
		var maxDiff float64
		for i := range want {
			d := math.Abs(float64(got[i]) - float64(want[i]))
			if math.IsNaN(d) {
				t.Fatalf("logit %d is %v", i, got[i])
			}
			maxDiff = math.Max(maxDiff, d)
		}
		rel := maxDiff / rms
		t.Logf("kv-f32=%v: max |diff| / rms(reference) %.3g (limit %.3g)", f32kv, rel, limit)
		if !(rel <= limit) {
			t.Errorf("kv-f32=%v: max |diff| / rms(reference) %.3g > %.3g", f32kv, rel, limit)
		}
	}
}

// TestLogitsMatchReference: `chatumm logits` writes [n_ids, vocab] float32
// equal to the PyTorch reference within logitTol, with either KV cache.
func TestLogitsMatchReference(t *testing.T) {
	for _, fx := range transformerFixtures {
		t.Run(fx, func(t *testing.T) {
			t.Parallel()
			var exp struct {
				PromptIDs []int `json:"prompt_ids"`
				VocabSize int   `json:"vocab_size"`
			}
			data, err := os.ReadFile(filepath.Join(refDir(t, fx), "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &exp); err != nil {
				t.Fatal(err)
			}
			checkLogits(t, fx, refDir(t, fx), exp.PromptIDs, exp.VocabSize, filepath.Join(refDir(t, fx), "logits.f32"))
		})
	}
}

// TestLogitsGGUFAndText: the logits of each test GGUF file match the
// independent numpy reference (tools/peers/gguf_ref.py), and a --text
// prompt gives whole rows of finite logits.
func TestLogitsGGUFAndText(t *testing.T) {
	for _, name := range []string{"tiny-llama", "tiny-mqa-tied"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var exp struct {
				PromptIDs  []int  `json:"prompt_ids"`
				VocabSize  int    `json:"vocab_size"`
				LogitsFile string `json:"logits_file"`
			}
			data, err := os.ReadFile(repoPath(t, "testdata", "weights", name+".ref.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &exp); err != nil {
				t.Fatal(err)
			}
			checkLogits(t, name, repoPath(t, "testdata", "weights", name+".gguf"), exp.PromptIDs, exp.VocabSize, repoPath(t, "testdata", "weights", exp.LogitsFile))
		})
	}
	text := filepath.Join(t.TempDir(), "text.f32")
	args := []string{"logits", "--model", refDir(t, "llama"), "--text", "hello world", "--out", text}
	wantSuccess(t, chatumm(t, args...), args...)
	if got := readF32(t, text); len(got) == 0 || len(got)%724 != 0 || !allFinite(got) {
		t.Errorf("--text: %d floats, want whole rows of 724, all finite", len(got))
	}
}

func allFinite(xs []float32) bool {
	for _, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}

// TestRunScript: a 3-turn script on the MoT fixture gives a transcript of 3
// answered turns, the same on a second run and with two threads.
func TestRunScript(t *testing.T) {
	dir := t.TempDir()
	run := func(out string, env ...string) Transcript {
		args := []string{"run", "--model", refDir(t, "chameleon-mot"), "--script", cliData(t, "script-three-turns.json"), "-o", out}
		r := invoke(t, invocation{args: args, dir: dir, env: env})
		wantSuccess(t, r, args...)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var tr Transcript
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&tr); err != nil {
			t.Fatalf("transcript %s: %v", out, err)
		}
		return tr
	}
	tr := run(filepath.Join(dir, "a.json"))
	if len(tr.Turns) != 3 {
		t.Fatalf("%d turns in the transcript, want 3", len(tr.Turns))
	}
	if tr.Seed != 7 {
		t.Errorf("seed %d, want the script's 7", tr.Seed)
	}
	total := 0
	for i, tt := range tr.Turns {
		if tt.Error != "" {
			t.Errorf("turn %d: error %q", i+1, tt.Error)
		}
		if tt.NewTokens <= 0 || tt.ReplyTokens <= 0 {
			t.Errorf("turn %d: %d new tokens, %d reply tokens; want both positive", i+1, tt.NewTokens, tt.ReplyTokens)
		}
		total += tt.NewTokens + tt.ReplyTokens
	}
	if tr.Tokens < total || tr.Tokens > total+2 {
		t.Errorf("history of %d tokens, the turns account for %d (+ <s>)", tr.Tokens, total)
	}
	again := run(filepath.Join(dir, "b.json"))
	threads2 := run(filepath.Join(dir, "c.json"), "CHATUMM_THREADS=2")
	for i := range tr.Turns {
		if again.Turns[i].Reply != tr.Turns[i].Reply {
			t.Errorf("turn %d: second run replied %q, first %q", i+1, again.Turns[i].Reply, tr.Turns[i].Reply)
		}
		if threads2.Turns[i].Reply != tr.Turns[i].Reply {
			t.Errorf("turn %d: 2 threads replied %q, 1 thread %q", i+1, threads2.Turns[i].Reply, tr.Turns[i].Reply)
		}
	}
}

// TestRunScriptImages: with the VQ-GAN taken from vq-anole (--vq), a script
// can show the model an image (path relative to the script) and force an
// image reply, which is written as a 32×32 PNG.
func TestRunScriptImages(t *testing.T) {
	dir := t.TempDir()
	img, err := os.ReadFile(repoPath(t, "testdata", "ref", "vq-image.png"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "in.png"), img)
	script := writeFile(t, filepath.Join(dir, "script.json"), []byte(`{"turns": [
		{"user": "what is this?", "images": ["in.png"], "max_tokens": 4},
		{"user": "draw it again", "force_image": true, "max_tokens": 4}]}`))
	out := filepath.Join(dir, "out", "transcript.json")
	os.Mkdir(filepath.Dir(out), 0o755)
	args := []string{"run", "--model", refDir(t, "chameleon-mot"), "--vq", refDir(t, "vq-anole"), "--script", script, "-o", out}
	wantSuccess(t, chatumm(t, args...), args...)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var tr Transcript
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatal(err)
	}
	if len(tr.Turns) != 2 {
		t.Fatalf("%d turns, want 2", len(tr.Turns))
	}
	t1, t2 := tr.Turns[0], tr.Turns[1]
	if t1.Error != "" || len(t1.UserImages) != 1 || t1.NewTokens < 64+2 {
		t.Errorf("turn 1: error %q, user images %v, %d new tokens (want ≥ 64 codes + begin/end image)", t1.Error, t1.UserImages, t1.NewTokens)
	}
	if t2.Error != "" || len(t2.ReplyImages) != 1 || len(t2.ReplyCodes) != 1 {
		t.Fatalf("turn 2: error %q, reply images %v; want one forced image", t2.Error, t2.ReplyImages)
	}
	if n := len(t2.ReplyCodes[0]); n != 64 {
		t.Errorf("reply image has %d codes, want 8×8 = 64", n)
	}
	checkPNG(t, t2.ReplyImages[0], 32, 32)
	if filepath.Dir(t2.ReplyImages[0]) != filepath.Dir(out) {
		t.Errorf("reply image %s not next to the transcript %s", t2.ReplyImages[0], out)
	}
}

func checkPNG(t *testing.T, path string, w, h int) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("%s is %d×%d, want %d×%d", path, b.Dx(), b.Dy(), w, h)
	}
	return data
}

// TestInspect: every fixture's tensors are listed, the model summary has no
// check error, and an unused tensor is reported as extra.
func TestInspect(t *testing.T) {
	fixtures := append([]string{"vq-anole", "vq-facebook", "vq-lumina"}, transformerFixtures...)
	for _, fx := range fixtures {
		t.Run(fx, func(t *testing.T) {
			t.Parallel()
			dir := refDir(t, fx)
			r := chatumm(t, "inspect", dir)
			wantSuccess(t, r, "inspect", dir)
			names := tensorNames(t, dir)
			for _, n := range names {
				if !strings.Contains(r.stdout, n+" ") {
					t.Errorf("tensor %s not listed", n)
				}
			}
			if !strings.Contains(r.stdout, strconv.Itoa(len(names))+" tensors") {
				t.Errorf("no \"%d tensors\" summary in:\n%s", len(names), clipText(r.stdout, 2000))
			}
			if strings.Contains(r.stdout, "model check:") || strings.Contains(r.stdout, "extra tensors") {
				t.Errorf("fixture reported as faulty:\n%s", clipText(r.stdout, 2000))
			}
			wantLine := "model: "
			if strings.HasPrefix(fx, "vq-") {
				wantLine = "vq-gan: 64 codes"
			}
			if !strings.Contains(r.stdout, wantLine) {
				t.Errorf("no %q line in:\n%s", wantLine, clipText(r.stdout, 2000))
			}
		})
	}
	t.Run("gguf", func(t *testing.T) {
		t.Parallel()
		p := repoPath(t, "testdata", "weights", "tiny-llama.gguf")
		r := chatumm(t, "inspect", p)
		wantSuccess(t, r, "inspect", p)
		if !strings.Contains(r.stdout, "blk.0.attn_q.weight") || !strings.Contains(r.stdout, "format gguf") {
			t.Errorf("gguf tensors or format not listed:\n%s", clipText(r.stdout, 2000))
		}
	})
	t.Run("extra tensor", func(t *testing.T) {
		t.Parallel()
		m := copyFixture(t, "llama")
		const extra = "model.layers.0.self_attn.rotary_emb.inv_freq"
		editTensors(t, m, func(ts []weights.WriteTensor) []weights.WriteTensor {
			return append(ts, weights.WriteTensor{Name: extra, DType: weights.F32, Shape: []int{8}, Data: make([]byte, 32)})
		})
		r := chatumm(t, "inspect", m)
		wantSuccess(t, r, "inspect", m)
		if !strings.Contains(r.stdout, "extra tensors not used by the model (1): "+extra) {
			t.Errorf("extra tensor not reported:\n%s", clipText(r.stdout, 3000))
		}
		// An extra tensor is not fatal: the model still runs.
		out := filepath.Join(t.TempDir(), "o.f32")
		args := []string{"logits", "--model", m, "--ids", "0,1", "--out", out}
		wantSuccess(t, chatumm(t, args...), args...)
	})
	t.Run("broken config is reported, tensors still listed", func(t *testing.T) {
		t.Parallel()
		m := copyFixture(t, "llama")
		editConfig(t, m, func(c map[string]any) { c["num_hidden_layers"] = 3 })
		r := chatumm(t, "inspect", m)
		wantSuccess(t, r, "inspect", m)
		if !strings.Contains(r.stdout, "model check: ") || !strings.Contains(r.stdout, "model.layers.2.") {
			t.Errorf("missing layer not reported:\n%s", clipText(r.stdout, 3000))
		}
	})
}

func TestInspectCPU(t *testing.T) {
	r := chatumm(t, "inspect", "--cpu")
	wantSuccess(t, r, "inspect", "--cpu")
	if !strings.Contains(r.stdout, "kernels available: ") || !strings.Contains(r.stdout, "kernels in use: ") {
		t.Errorf("inspect --cpu:\n%s", r.stdout)
	}
	r = invoke(t, invocation{args: []string{"inspect", "--cpu"}, env: []string{"CHATUMM_CPU=generic"}})
	wantSuccess(t, r, "inspect", "--cpu")
	if !strings.Contains(r.stdout, "kernels in use: generic (CHATUMM_CPU=generic)") {
		t.Errorf("CHATUMM_CPU=generic not honoured:\n%s", r.stdout)
	}
	// The forced path computes the same logits as the reference too.
	var exp struct {
		PromptIDs []int `json:"prompt_ids"`
		VocabSize int   `json:"vocab_size"`
	}
	data, err := os.ReadFile(filepath.Join(refDir(t, "llama"), "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	checkLogits(t, "llama", refDir(t, "llama"), exp.PromptIDs, exp.VocabSize, filepath.Join(refDir(t, "llama"), "logits.f32"), "CHATUMM_CPU=generic")
}

// parseCodes reads vq encode's output: whitespace-separated integers.
func parseCodes(t *testing.T, s string) []int {
	t.Helper()
	var codes []int
	for _, f := range strings.Fields(s) {
		v, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("vq encode printed %q, not an integer", f)
		}
		codes = append(codes, v)
	}
	return codes
}

// TestVQEncode: the printed codes are the reference's (except where its
// nearest/second-nearest gap is below 1e-4), as 8 rows of 8.
func TestVQEncode(t *testing.T) {
	image := repoPath(t, "testdata", "ref", "vq-image.png")
	for _, fx := range []string{"vq-anole", "vq-facebook", "vq-lumina"} {
		t.Run(fx, func(t *testing.T) {
			t.Parallel()
			var exp struct {
				Codes []int     `json:"codes"`
				Gaps  []float64 `json:"code_distance_gaps"`
			}
			data, err := os.ReadFile(filepath.Join(refDir(t, fx), "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &exp); err != nil {
				t.Fatal(err)
			}
			args := []string{"vq", "encode", "--model", refDir(t, fx), "--image", image}
			r := chatumm(t, args...)
			wantSuccess(t, r, args...)
			codes := parseCodes(t, r.stdout)
			if len(codes) != len(exp.Codes) {
				t.Fatalf("%d codes, want %d", len(codes), len(exp.Codes))
			}
			for i, c := range codes {
				if c < 0 || c >= 64 {
					t.Errorf("code %d at %d out of [0, 64)", c, i)
				} else if c != exp.Codes[i] && exp.Gaps[i] >= 1e-4 {
					t.Errorf("code %d at %d, reference %d (gap %.3g)", c, i, exp.Codes[i], exp.Gaps[i])
				}
			}
			if rows := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(rows) != 8 {
				t.Errorf("%d output rows, want 8 (one per grid row)", len(rows))
			}
		})
	}
	t.Run("jpeg", func(t *testing.T) {
		t.Parallel()
		args := []string{"vq", "encode", "--model", refDir(t, "vq-anole"), "--image", cliData(t, "vq-image.jpg")}
		r := chatumm(t, args...)
		wantSuccess(t, r, args...)
		codes := parseCodes(t, r.stdout)
		if len(codes) != 64 {
			t.Fatalf("%d codes, want 64", len(codes))
		}
		for i, c := range codes {
			if c < 0 || c >= 64 {
				t.Errorf("code %d at %d out of [0, 64)", c, i)
			}
		}
	})
}

// TestVQDecode: decoding the reference's codes gives a 32×32 PNG whose
// every channel is the reference's float pixel mapped to 8 bits,
// round(clamp((x+1)·127.5)), except within 0.01 of a rounding boundary
// (the decoder's float error, ~1e-6, is 1e-4 of a level; the float pixels
// themselves are checked in model/vqgan); encode → decode round-trips
// through a code file.
func TestVQDecode(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "decoded.png")
	args := []string{"vq", "decode", "--model", refDir(t, "vq-anole"), "--codes", cliData(t, "codes-good.txt"), "-o", out}
	wantSuccess(t, chatumm(t, args...), args...)
	data := checkPNG(t, out, 32, 32)
	img, _ := png.Decode(bytes.NewReader(data))
	ref := readF32(t, filepath.Join(refDir(t, "vq-anole"), "decoded.f32")) // [3, 32, 32] in [-1, 1]
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			for c, v := range []uint32{r >> 8, g >> 8, b >> 8} {
				level := math.Min(255, math.Max(0, (float64(ref[c*1024+y*32+x])+1)*127.5))
				want := math.Round(level)
				nearTie := math.Abs(level-math.Floor(level)-0.5) < 0.01
				if float64(v) != want && !(nearTie && math.Abs(float64(v)-level) < 1) {
					t.Errorf("pixel (%d,%d) channel %d = %d, reference %.4f → %v", x, y, c, v, level, want)
				}
			}
		}
	}

	// Round trip: vq encode's output is a valid code file for vq decode.
	args = []string{"vq", "encode", "--model", refDir(t, "vq-anole"), "--image", repoPath(t, "testdata", "ref", "vq-image.png")}
	r := chatumm(t, args...)
	wantSuccess(t, r, args...)
	codes := writeFile(t, filepath.Join(dir, "codes.txt"), []byte(r.stdout))
	out2 := filepath.Join(dir, "roundtrip.png")
	args = []string{"vq", "decode", "--model", refDir(t, "vq-anole"), "--codes", codes, "-o", out2}
	wantSuccess(t, chatumm(t, args...), args...)
	checkPNG(t, out2, 32, 32)
}

// TestBenchModel: the llama-bench style table and JSON lines.
func TestBenchModel(t *testing.T) {
	base := []string{"bench", "model", "--model", refDir(t, "llama"), "-p", "8", "-n", "8", "-t", "1", "-r", "2"}
	r := chatumm(t, base...)
	wantSuccess(t, r, base...)
	for _, test := range []string{"pp8", "tg8"} {
		row := regexp.MustCompile(`(?m)^\|.*\| ` + test + ` \| [0-9.]+ ± [0-9.]+ \|$`)
		if !row.MatchString(r.stdout) {
			t.Errorf("no %s row in:\n%s", test, r.stdout)
		}
	}
	args := append(base, "-o", "json")
	r = chatumm(t, args...)
	wantSuccess(t, r, args...)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d JSON lines, want 2 (pp8, tg8):\n%s", len(lines), r.stdout)
	}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, line)
		}
		for _, k := range []string{"n_prompt", "n_gen", "n_threads", "avg_ts", "stddev_ts", "model_size"} {
			if _, ok := rec[k].(float64); !ok {
				t.Errorf("line %d: %s missing or not a number: %v", i+1, k, rec[k])
			}
		}
		wantP, wantN := 8.0, 0.0
		if i == 1 {
			wantP, wantN = 0, 8
		}
		if rec["n_prompt"] != wantP || rec["n_gen"] != wantN || rec["n_threads"] != 1.0 {
			t.Errorf("line %d: n_prompt %v n_gen %v n_threads %v, want %v %v 1", i+1, rec["n_prompt"], rec["n_gen"], rec["n_threads"], wantP, wantN)
		}
		if ts, _ := rec["avg_ts"].(float64); ts <= 0 {
			t.Errorf("line %d: avg_ts %v, want > 0", i+1, rec["avg_ts"])
		}
		if sz, _ := rec["model_size"].(float64); sz <= 0 {
			t.Errorf("line %d: model_size %v, want > 0", i+1, rec["model_size"])
		}
	}
}
