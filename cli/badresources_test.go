package cli

// Hostile input of the kinds issue 22 names: special files, thread counts,
// unwritable sessions, advice on model errors, and control characters that
// must never reach the terminal.

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/weights"
)

// TestBadSpecialFiles: a FIFO, an endless device or a directory given as
// any input file is refused at once with one line naming it — never a hang
// in open, never a read until memory runs out.
func TestBadSpecialFiles(t *testing.T) {
	mot := func(t *testing.T) string { return refDir(t, "chameleon-mot") }
	runArgs := func(t *testing.T, dir, script string) []string {
		return []string{"run", "--model", mot(t), "--script", script, "-o", filepath.Join(dir, "out.json")}
	}
	decode := func(t *testing.T, dir, codes string) []string {
		return []string{"vq", "decode", "--model", refDir(t, "vq-anole"), "--codes", codes, "-o", filepath.Join(dir, "out.png")}
	}
	encode := func(t *testing.T, image string) []string {
		return []string{"vq", "encode", "--model", refDir(t, "vq-anole"), "--image", image}
	}
	chatSession := func(t *testing.T, sess string) []string {
		return []string{"chat", "--model", mot(t), "--session", sess}
	}
	// inModel replaces one file of a copy of the llama fixture by a FIFO.
	inModel := func(name string) func(t *testing.T, dir string) ([]string, []string) {
		return func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			os.Remove(filepath.Join(m, name))
			mkfifo(t, m, name)
			return logitsArgs(dir, m), []string{name}
		}
	}
	runBadCases(t, []badCase{
		{"FIFO as script", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := mkfifo(t, dir, "script.json")
			return runArgs(t, dir, p), []string{p, "FIFO"}
		}},
		{"/dev/zero as script", nil, func(t *testing.T, dir string) ([]string, []string) {
			return runArgs(t, dir, devZero(t)), []string{"/dev/zero", "device"}
		}},
		{"/dev/zero as a script's image", nil, func(t *testing.T, dir string) ([]string, []string) {
			s := writeFile(t, filepath.Join(dir, "s.json"), []byte(`{"turns": [{"user": "look", "images": ["`+devZero(t)+`"]}]}`))
			return runArgs(t, dir, s), []string{s, "/dev/zero", "device"}
		}},
		{"FIFO as code file", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := mkfifo(t, dir, "codes.txt")
			return decode(t, dir, p), []string{p, "FIFO"}
		}},
		{"/dev/zero as code file", nil, func(t *testing.T, dir string) ([]string, []string) {
			return decode(t, dir, devZero(t)), []string{"/dev/zero", "device"}
		}},
		{"FIFO as image", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := mkfifo(t, dir, "pic.png")
			return encode(t, p), []string{p, "FIFO"}
		}},
		{"/dev/zero as image", nil, func(t *testing.T, dir string) ([]string, []string) {
			return encode(t, devZero(t)), []string{"/dev/zero", "device"}
		}},
		{"/dev/zero as the image to describe", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"describe", "--model", mot(t), "--vq", refDir(t, "vq-anole"), "--image", devZero(t)}, []string{"/dev/zero", "device"}
		}},
		{"FIFO as session", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := mkfifo(t, dir, "talk.chs")
			return chatSession(t, p), []string{"--session", p, "FIFO"}
		}},
		{"/dev/zero as session", nil, func(t *testing.T, dir string) ([]string, []string) {
			return chatSession(t, devZero(t)), []string{"--session", "/dev/zero", "device"}
		}},
		{"directory as session", nil, func(t *testing.T, dir string) ([]string, []string) {
			return chatSession(t, dir), []string{"--session", dir, "directory"}
		}},
		{"FIFO as .gguf model", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := mkfifo(t, dir, "m.gguf")
			return logitsArgs(dir, p), []string{p, "FIFO"}
		}},
		{"/dev/zero as model", nil, func(t *testing.T, dir string) ([]string, []string) {
			return logitsArgs(dir, devZero(t)), []string{"/dev/zero"}
		}},
		{"FIFO as model.safetensors", nil, inModel("model.safetensors")},
		{"FIFO as config.json", nil, inModel("config.json")},
		{"FIFO as tokenizer.json", nil, inModel("tokenizer.json")},
		{"FIFO as --vq", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := mkfifo(t, dir, "vq")
			return append(logitsArgs(dir, mot(t)), "--vq", p), []string{"--vq", p}
		}},
	})
}

// TestBadThreads: thread counts that would allocate per thread are refused
// before anything is allocated, from the flag and from CHATUMM_THREADS, in
// every command that takes them.
func TestBadThreads(t *testing.T) {
	script := func(t *testing.T) string { return cliData(t, "script-three-turns.json") }
	huge := "2147483647"
	runBadCases(t, []badCase{
		{"logits --threads 2147483647", nil, func(t *testing.T, dir string) ([]string, []string) {
			return append(logitsArgs(dir, refDir(t, "llama")), "--threads", huge), []string{"--threads " + huge, "at most"}
		}},
		{"chat --threads 2147483647", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"chat", "--threads", huge}, []string{"--threads " + huge, "at most"}
		}},
		{"run --threads 2147483647", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"run", "--script", script(t), "--threads", huge}, []string{"--threads " + huge, "at most"}
		}},
		{"generate --threads 2147483647", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"generate", "a circle", "-o", filepath.Join(dir, "o.png"), "--threads", huge}, []string{"--threads " + huge}
		}},
		{"vq encode --threads 2147483647", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"vq", "encode", "--image", repoPath(t, "testdata", "ref", "vq-image.png"), "--threads", huge}, []string{"--threads " + huge}
		}},
		{"bench model -t 2147483647", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "model", "--model", refDir(t, "llama"), "-p", "8", "-n", "0", "-t", huge}, []string{"-t", huge, "at most"}
		}},
		{"bench kernels --threads 2147483647", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "kernels", "--quick", "--threads", "1," + huge}, []string{huge, "at most"}
		}},
		{"CHATUMM_THREADS=1000000000 logits", []string{"CHATUMM_THREADS=1000000000"}, func(t *testing.T, dir string) ([]string, []string) {
			return logitsArgs(dir, refDir(t, "llama")), []string{"CHATUMM_THREADS=1000000000", "at most"}
		}},
		{"CHATUMM_THREADS=1000000000 chat", []string{"CHATUMM_THREADS=1000000000"}, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"chat"}, []string{"CHATUMM_THREADS=1000000000"}
		}},
		{"CHATUMM_THREADS=1000000000 bench model", []string{"CHATUMM_THREADS=1000000000"}, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "model", "--model", refDir(t, "llama"), "-p", "8", "-n", "0"}, []string{"CHATUMM_THREADS=1000000000"}
		}},
		{"CHATUMM_THREADS=lots", []string{"CHATUMM_THREADS=lots"}, func(t *testing.T, dir string) ([]string, []string) {
			return logitsArgs(dir, refDir(t, "llama")), []string{"CHATUMM_THREADS", "lots"}
		}},
	})
}

// TestBadSessionPath: a --session that could not be saved at exit is an
// error at start, before the model is loaded or a word is typed; a session
// longer than the context says which flag helps.
func TestBadSessionPath(t *testing.T) {
	mot := func(t *testing.T) string { return refDir(t, "chameleon-mot") }
	runBadCases(t, []badCase{
		{"--session in a missing directory", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := filepath.Join(dir, "no-such-dir", "talk.chs")
			return []string{"chat", "--model", mot(t), "--session", p}, []string{"--session", p, "does not exist"}
		}},
		{"--session where no file can be created", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := "/proc/chatumm-talk.chs" // read-only even for root
			if _, err := os.Stat("/proc/self"); err != nil {
				t.Skip("no /proc")
			}
			return []string{"chat", "--model", mot(t), "--session", p}, []string{"--session", p}
		}},
		{"--session checked before the model loads", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := filepath.Join(dir, "nope", "talk.chs")
			return []string{"chat", "--model", filepath.Join(dir, "no-such-model"), "--session", p}, []string{p}
		}},
		{"session longer than --ctx", nil, func(t *testing.T, dir string) ([]string, []string) {
			sess := filepath.Join(dir, "long.chs")
			first := []string{"chat", "--model", mot(t), "--max-tokens", "8", "--session", sess}
			wantSuccess(t, invoke(t, invocation{args: first, stdin: "hello there, how are you today?\n", dir: dir}), first...)
			return []string{"chat", "--model", mot(t), "--ctx", "8", "--session", sess}, []string{sess, "use a larger --ctx"}
		}},
	})
}

// TestBadHints: errors of the model layer reach the user with advice
// about this command line.
func TestBadHints(t *testing.T) {
	runBadCases(t, []badCase{
		{"--text to a model without a tokenizer", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := ggufWithoutTokenizer(t, repoPath(t, "testdata", "weights", "tiny-llama.gguf"), dir)
			return []string{"logits", "--model", m, "--text", "hi", "--out", filepath.Join(dir, "o.f32")}, []string{m, "tokenizer", "--ids"}
		}},
		{"prompt longer than --ctx", nil, func(t *testing.T, dir string) ([]string, []string) {
			return append(logitsArgs(dir, refDir(t, "llama")), "--ctx", "2"), []string{"context", "larger --ctx"}
		}},
		{"prompt longer than the model's context", nil, func(t *testing.T, dir string) ([]string, []string) {
			ids := strings.TrimSuffix(strings.Repeat("7,", 300), ",")
			return []string{"logits", "--model", refDir(t, "llama"), "--ids", ids, "--out", filepath.Join(dir, "o.f32")},
				[]string{"300", "256", "at most 256 tokens"}
		}},
		{"script turn longer than the context", nil, func(t *testing.T, dir string) ([]string, []string) {
			s := writeFile(t, filepath.Join(dir, "s.json"), []byte(`{"turns": [{"user": "`+strings.Repeat("words and more words ", 40)+`"}]}`))
			return []string{"run", "--model", refDir(t, "chameleon-mot"), "--script", s, "--ctx", "16"}, []string{s, "turn 1", "--ctx"}
		}},
		{"decode with a checkpoint without a decoder", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := refDir(t, "vq-facebook")
			return []string{"vq", "decode", "--model", m, "--codes", cliData(t, "codes-good.txt"), "-o", filepath.Join(dir, "o.png")},
				[]string{m, "decoder", "--vq"}
		}},
	})
}

// TestBadEscapes: control characters from a file name, a file or the
// model never reach the terminal raw.
func TestBadEscapes(t *testing.T) {
	runBadCases(t, []badCase{
		{"ESC in a missing script's name", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := filepath.Join(dir, "\x1b]0;pwned\x07.json")
			return []string{"run", "--script", p}, []string{`\x1b]0;pwned\x07.json`}
		}},
		{"ESC in a tensor name of a broken model", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			const qProj = "model.layers.1.self_attn.q_proj.weight"
			editTensors(t, m, func(ts []weights.WriteTensor) []weights.WriteTensor {
				for i := range ts {
					if ts[i].Name == qProj {
						ts[i].Name = "\x1b[2J\u009b" + qProj
					}
				}
				return ts
			})
			return logitsArgs(dir, m), []string{"missing tensor"}
		}},
	})
}

// wantNoControls checks that out holds no character a terminal acts on
// (see printable).
func wantNoControls(t *testing.T, what, out string) {
	t.Helper()
	if i := strings.IndexFunc(out, isControl); i >= 0 {
		t.Errorf("%s holds control character %q at %d: %q", what, []rune(out[i:])[0], i, clipText(out, 500))
	}
}

// TestNoTerminalInjection: tensor names (inspect), turn text and image
// paths from a session (/history) and given replies in a transcript are
// printed with their control characters escaped.
func TestNoTerminalInjection(t *testing.T) {
	const evil = "\x1b]0;pwned\x07\x1b[2J\u009b31m"
	const shown = `\x1b]0;pwned\x07\x1b[2J\u009b31m`
	t.Run("inspect", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "evil.safetensors")
		ts := []weights.WriteTensor{{Name: "w" + evil, DType: weights.F32, Shape: []int{2}, Data: make([]byte, 8)}}
		if err := weights.WriteSafetensors(p, ts, nil); err != nil {
			t.Fatal(err)
		}
		r := chatumm(t, "inspect", p)
		wantSuccess(t, r, "inspect", p)
		wantNoControls(t, "inspect stdout", r.stdout)
		if !strings.Contains(r.stdout, "w"+shown) {
			t.Errorf("inspect does not show the escaped name:\n%s", r.stdout)
		}
	})
	t.Run("history", func(t *testing.T) {
		dir := t.TempDir()
		sess := filepath.Join(dir, "s.chs")
		args := []string{"chat", "--model", refDir(t, "chameleon-mot"), "--max-tokens", "2", "--session", sess}
		wantSuccess(t, invoke(t, invocation{args: args, stdin: "hi " + evil + " there\n", dir: dir}), args...)
		r := invoke(t, invocation{args: args, stdin: "/history\n", dir: dir})
		wantSuccess(t, r, args...)
		wantNoControls(t, "/history", r.stdout)
		wantNoControls(t, "chat stderr", r.stderr)
		if !strings.Contains(r.stdout, "hi "+shown+" there") {
			t.Errorf("/history does not show the escaped text:\n%s", r.stdout)
		}
	})
	t.Run("transcript", func(t *testing.T) {
		dir := t.TempDir()
		s := writeFile(t, filepath.Join(dir, "s.json"),
			[]byte(`{"turns": [{"user": "a\u001b[2Jb\u009b", "model": [{"text": "c\u007fd\u0085"}]}]}`))
		args := []string{"run", "--model", refDir(t, "chameleon-mot"), "--script", s}
		r := invoke(t, invocation{args: args, dir: dir})
		wantSuccess(t, r, args...)
		wantNoControls(t, "transcript", r.stdout)
		if !strings.Contains(r.stdout, `\u009b`) {
			t.Errorf("the transcript lost the C1 character instead of escaping it:\n%s", r.stdout)
		}
	})
}

// ggufWithoutTokenizer copies a GGUF file into dir without its tokenizer
// metadata: a model that takes token ids only.
func ggufWithoutTokenizer(t *testing.T, src, dir string) string {
	t.Helper()
	set, err := weights.Open(src, weights.Read)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	var meta []weights.GGUFKV
	for k, v := range set.Metadata() {
		if !strings.HasPrefix(k, "tokenizer.") && k != "general.alignment" {
			meta = append(meta, weights.GGUFKV{Key: k, Value: v})
		}
	}
	sort.Slice(meta, func(i, j int) bool { return meta[i].Key < meta[j].Key })
	var tensors []weights.GGUFTensor
	for _, name := range set.Names() {
		tt, _ := set.Tensor(name)
		data := tt.Bytes()
		tensors = append(tensors, weights.GGUFTensor{Name: name, DType: tt.DType, Shape: tt.Shape,
			Fill: func(dst []byte) error { copy(dst, data); return nil }})
	}
	out := filepath.Join(dir, "no-tokenizer.gguf")
	if err := weights.WriteGGUF(out, meta, tensors); err != nil {
		t.Fatal(err)
	}
	return out
}
