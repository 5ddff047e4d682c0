package cli

// Hostile and broken input: every case must end with a non-zero exit code
// and exactly one "chatumm: ..." line on stderr that names the problem (and
// the file or flag), without a panic and within seconds.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/weights"
)

// badCase is one hostile invocation. setup prepares files in dir and
// returns the arguments and the strings the error line must contain.
type badCase struct {
	name  string
	env   []string
	setup func(t *testing.T, dir string) (args []string, wants []string)
}

// knownBugs skips cases whose bug is reported and not yet fixed, by name.
var knownBugs = map[string]string{}

func runBadCases(t *testing.T, cases []badCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if bug, ok := knownBugs[tc.name]; ok {
				t.Skip("known bug: " + bug)
			}
			t.Parallel()
			dir := t.TempDir()
			args, wants := tc.setup(t, dir)
			r := invoke(t, invocation{args: args, dir: dir, env: tc.env})
			wantError(t, r, args, wants...)
			wantNoControls(t, "stderr", r.stderr)
		})
	}
}

// logitsArgs loads the model at path through `logits`, the smallest command
// that needs the whole transformer.
func logitsArgs(dir, model string) []string {
	return []string{"logits", "--model", model, "--ids", "0,5,9", "--out", filepath.Join(dir, "out.f32")}
}

// dropTensor removes one tensor from the file.
func dropTensor(name string) func([]weights.WriteTensor) []weights.WriteTensor {
	return func(ts []weights.WriteTensor) []weights.WriteTensor {
		var out []weights.WriteTensor
		for _, w := range ts {
			if w.Name != name {
				out = append(out, w)
			}
		}
		return out
	}
}

func TestBadModel(t *testing.T) {
	const qProj = "model.layers.1.self_attn.q_proj.weight"
	runBadCases(t, []badCase{
		{"missing path", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := filepath.Join(dir, "no-such-model")
			return logitsArgs(dir, p), []string{p, "no such file"}
		}},
		{"directory without config.json", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := filepath.Join(dir, "empty-model")
			os.Mkdir(m, 0o755)
			return logitsArgs(dir, m), []string{m, "config.json"}
		}},
		{"regular file as model", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := writeFile(t, filepath.Join(dir, "model.bin"), []byte("not a model"))
			return logitsArgs(dir, p), []string{p}
		}},
		{"config.json not JSON", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			writeFile(t, filepath.Join(m, "config.json"), []byte("{\"model_type\": \"llama\",,"))
			return logitsArgs(dir, m), []string{"config.json", "JSON"}
		}},
		{"unknown model_type", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			editConfig(t, m, func(c map[string]any) { c["model_type"] = "gpt2" })
			return logitsArgs(dir, m), []string{"config.json", `unknown model_type "gpt2"`}
		}},
		{"hidden_size disagrees with tensors", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			editConfig(t, m, func(c map[string]any) { c["hidden_size"] = 128; c["head_dim"] = 32 })
			return logitsArgs(dir, m), []string{"model.embed_tokens.weight", "shape", "128"}
		}},
		{"vocab_size disagrees with tensors", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "chameleon-bf16")
			editConfig(t, m, func(c map[string]any) { c["vocab_size"] = 800 })
			return logitsArgs(dir, m), []string{"model.embed_tokens.weight", "800"}
		}},
		{"num_hidden_layers larger than the file", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			editConfig(t, m, func(c map[string]any) { c["num_hidden_layers"] = 3 })
			return logitsArgs(dir, m), []string{"missing tensor", "model.layers.2."}
		}},
		{"missing tensor", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			editTensors(t, m, dropTensor(qProj))
			return logitsArgs(dir, m), []string{"missing tensor", qProj}
		}},
		{"missing MoT expert tensor", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "chameleon-mot")
			name := "model.layers.0.mlp_moe_gen.down_proj.weight"
			editTensors(t, m, dropTensor(name))
			return logitsArgs(dir, m), []string{"missing tensor", name}
		}},
		{"tensor of the wrong shape", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			editTensors(t, m, func(ts []weights.WriteTensor) []weights.WriteTensor {
				for i := range ts {
					if ts[i].Name == qProj { // [64, 64] stored as [32, 128]: same bytes
						ts[i].Shape = []int{32, 128}
					}
				}
				return ts
			})
			return logitsArgs(dir, m), []string{qProj, "shape [32, 128]", "want [64, 64]"}
		}},
		{"tensor of an unsupported dtype", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			editSafetensorsHeader(t, filepath.Join(m, "model.safetensors"), func(h map[string]map[string]any, dataLen int64) {
				h[qProj]["dtype"] = "I16" // same size as the F16 it replaces
			})
			return logitsArgs(dir, m), []string{"model.safetensors", qProj, "I16"}
		}},
		{"tensor of an unknown dtype", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			editSafetensorsHeader(t, filepath.Join(m, "model.safetensors"), func(h map[string]map[string]any, dataLen int64) {
				h[qProj]["dtype"] = "Q4_WHATEVER"
			})
			return logitsArgs(dir, m), []string{"model.safetensors", qProj, "Q4_WHATEVER"}
		}},
		{"norm vector stored as a matrix", nil, func(t *testing.T, dir string) ([]string, []string) {
			// A norm vector stored as a 2-D tensor is a shape error, not a crash.
			m := copyFixture(t, "llama")
			const norm = "model.layers.0.input_layernorm.weight"
			editTensors(t, m, func(ts []weights.WriteTensor) []weights.WriteTensor {
				for i := range ts {
					if ts[i].Name == norm {
						ts[i].Shape = []int{8, ts[i].Shape[0] / 8}
					}
				}
				return ts
			})
			return logitsArgs(dir, m), []string{norm, "shape"}
		}},
		{"truncated model.safetensors", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			p := filepath.Join(m, "model.safetensors")
			st, _ := os.Stat(p)
			os.Truncate(p, st.Size()/2)
			return logitsArgs(dir, m), []string{"model.safetensors"}
		}},
		{"model.safetensors cut inside the header", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			os.Truncate(filepath.Join(m, "model.safetensors"), 100)
			return logitsArgs(dir, m), []string{"model.safetensors", "header"}
		}},
		{"empty model.safetensors", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			os.Truncate(filepath.Join(m, "model.safetensors"), 0)
			return logitsArgs(dir, m), []string{"model.safetensors"}
		}},
		{"text file as model.safetensors", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			writeFile(t, filepath.Join(m, "model.safetensors"), []byte(strings.Repeat("this is not a safetensors file\n", 4)))
			return logitsArgs(dir, m), []string{"model.safetensors", "header length"}
		}},
		{"header offsets beyond the file", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			editSafetensorsHeader(t, filepath.Join(m, "model.safetensors"), func(h map[string]map[string]any, dataLen int64) {
				off := h[qProj]["data_offsets"].([]any)
				size := int64(off[1].(float64) - off[0].(float64))
				h[qProj]["data_offsets"] = []int64{dataLen, dataLen + size}
			})
			return logitsArgs(dir, m), []string{"model.safetensors", qProj, "beyond"}
		}},
		{"header length beyond the file", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			p := filepath.Join(m, "model.safetensors")
			data, _ := os.ReadFile(p)
			data[4] = 0x10 // header length += 2^32
			writeFile(t, p, data)
			return logitsArgs(dir, m), []string{"model.safetensors", "header length"}
		}},
		{"header offsets disagree with the shape", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			editSafetensorsHeader(t, filepath.Join(m, "model.safetensors"), func(h map[string]map[string]any, dataLen int64) {
				h[qProj]["shape"] = []int{64, 65}
			})
			return logitsArgs(dir, m), []string{"model.safetensors", qProj}
		}},
		{"overlapping tensors", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			const oProj = "model.layers.1.self_attn.o_proj.weight" // same shape as q_proj
			editSafetensorsHeader(t, filepath.Join(m, "model.safetensors"), func(h map[string]map[string]any, dataLen int64) {
				h[oProj]["data_offsets"] = h[qProj]["data_offsets"]
			})
			return logitsArgs(dir, m), []string{"model.safetensors", "overlap"}
		}},
		{"missing tokenizer.json", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			os.Remove(filepath.Join(m, "tokenizer.json"))
			return logitsArgs(dir, m), []string{"tokenizer.json"}
		}},
		{"tokenizer.json not JSON", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "llama")
			writeFile(t, filepath.Join(m, "tokenizer.json"), []byte("{\"model\": "))
			return logitsArgs(dir, m), []string{"tokenizer.json"}
		}},
		{"truncated gguf", nil, func(t *testing.T, dir string) ([]string, []string) {
			data, err := os.ReadFile(repoPath(t, "testdata", "weights", "tiny-llama.gguf"))
			if err != nil {
				t.Fatal(err)
			}
			p := writeFile(t, filepath.Join(dir, "cut.gguf"), data[:len(data)/3])
			return logitsArgs(dir, p), []string{p}
		}},
		{"text file named .gguf", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := writeFile(t, filepath.Join(dir, "fake.gguf"), []byte("GGUF? no, just text\n"))
			return logitsArgs(dir, p), []string{p}
		}},
		{"--vq without a VQ-GAN", nil, func(t *testing.T, dir string) ([]string, []string) {
			vq := refDir(t, "llama")
			args := append(logitsArgs(dir, refDir(t, "chameleon-mot")), "--vq", vq)
			return args, []string{"--vq", vq}
		}},
		{"--vq missing", nil, func(t *testing.T, dir string) ([]string, []string) {
			vq := filepath.Join(dir, "no-vq")
			args := append(logitsArgs(dir, refDir(t, "chameleon-mot")), "--vq", vq)
			return args, []string{"--vq", vq}
		}},
		{"--load bogus", nil, func(t *testing.T, dir string) ([]string, []string) {
			return append(logitsArgs(dir, refDir(t, "llama")), "--load", "bogus"), []string{"bogus", "mmap"}
		}},
		{"--threads negative", nil, func(t *testing.T, dir string) ([]string, []string) {
			return append(logitsArgs(dir, refDir(t, "llama")), "--threads", "-2"), []string{"--threads"}
		}},
		{"--ctx negative", nil, func(t *testing.T, dir string) ([]string, []string) {
			return append(logitsArgs(dir, refDir(t, "llama")), "--ctx", "-5"), []string{"--ctx"}
		}},
	})
}

func TestBadLogits(t *testing.T) {
	idsArgs := func(t *testing.T, dir, ids string) []string {
		return []string{"logits", "--model", refDir(t, "llama"), "--ids", ids, "--out", filepath.Join(dir, "out.f32")}
	}
	runBadCases(t, []badCase{
		{"id equal to vocab size", nil, func(t *testing.T, dir string) ([]string, []string) {
			return idsArgs(t, dir, "0,5,724"), []string{"724", "out of range"}
		}},
		{"negative id", nil, func(t *testing.T, dir string) ([]string, []string) {
			return idsArgs(t, dir, "0,-1,5"), []string{"-1", "out of range"}
		}},
		{"id beyond int64", nil, func(t *testing.T, dir string) ([]string, []string) {
			return idsArgs(t, dir, "0,99999999999999999999999"), []string{"--ids", "99999999999999999999999"}
		}},
		{"empty --ids", nil, func(t *testing.T, dir string) ([]string, []string) {
			return idsArgs(t, dir, ""), []string{"empty"}
		}},
		{"only commas in --ids", nil, func(t *testing.T, dir string) ([]string, []string) {
			return idsArgs(t, dir, " , ,,"), []string{"empty"}
		}},
		{"non-numeric id", nil, func(t *testing.T, dir string) ([]string, []string) {
			return idsArgs(t, dir, "0,5,seven"), []string{"--ids", `"seven"`}
		}},
		{"fractional id", nil, func(t *testing.T, dir string) ([]string, []string) {
			return idsArgs(t, dir, "0,1.5"), []string{"--ids", `"1.5"`}
		}},
		{"prompt longer than the context", nil, func(t *testing.T, dir string) ([]string, []string) {
			ids := strings.TrimSuffix(strings.Repeat("7,", 300), ",")
			return idsArgs(t, dir, ids), []string{"300", "256", "context"}
		}},
		{"prompt longer than --ctx", nil, func(t *testing.T, dir string) ([]string, []string) {
			return append(idsArgs(t, dir, "0,1,2,3,4,5,6,7"), "--ctx", "4"), []string{"8", "4", "context"}
		}},
		{"--ids and --text together", nil, func(t *testing.T, dir string) ([]string, []string) {
			return append(idsArgs(t, dir, "0,1"), "--text", "hello"), []string{"--ids", "--text"}
		}},
		{"no --out", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"logits", "--model", refDir(t, "llama"), "--ids", "0,1"}, []string{"out"}
		}},
		{"--out in a missing directory", nil, func(t *testing.T, dir string) ([]string, []string) {
			out := filepath.Join(dir, "no-such-dir", "out.f32")
			return []string{"logits", "--model", refDir(t, "llama"), "--ids", "0,1", "--out", out}, []string{out}
		}},
		{"model without a transformer", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := refDir(t, "vq-anole")
			return []string{"logits", "--model", m, "--ids", "0,1", "--out", filepath.Join(dir, "o.f32")}, []string{m, "transformer"}
		}},
	})
}

func TestBadScript(t *testing.T) {
	runArgs := func(t *testing.T, dir, script string) []string {
		return []string{"run", "--model", refDir(t, "chameleon-mot"), "--script", script,
			"-o", filepath.Join(dir, "out.json"), "--max-tokens", "4"}
	}
	fixed := func(file string, wants ...string) func(t *testing.T, dir string) ([]string, []string) {
		return func(t *testing.T, dir string) ([]string, []string) {
			p := cliData(t, file)
			return runArgs(t, dir, p), append([]string{p}, wants...)
		}
	}
	runBadCases(t, []badCase{
		{"missing script", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := filepath.Join(dir, "no-such-script.json")
			return runArgs(t, dir, p), []string{p, "no such file"}
		}},
		{"script is a directory", nil, func(t *testing.T, dir string) ([]string, []string) {
			return runArgs(t, dir, dir), []string{dir}
		}},
		{"invalid JSON", nil, fixed("script-bad-json.json", "invalid script")},
		{"unknown field", nil, fixed("script-unknown-field.json", `unknown field "temperature"`)},
		{"no turns", nil, fixed("script-no-turns.json", "no turns")},
		{"empty turn", nil, fixed("script-empty-turn.json", "turn 2 is empty")},
		{"image path missing", nil, func(t *testing.T, dir string) ([]string, []string) {
			// With a VQ encoder (--vq) the image would be readable, so the
			// error must be about the missing file.
			p := cliData(t, "script-missing-image.json")
			return append(runArgs(t, dir, p), "--vq", refDir(t, "vq-anole")), []string{p, "no-such-image.png"}
		}},
		{"trailing data after the script", nil, fixed("script-trailing-data.json")},
		{"image given to a model without an encoder", nil, func(t *testing.T, dir string) ([]string, []string) {
			s := writeFile(t, filepath.Join(dir, "s.json"),
				[]byte(`{"turns": [{"user": "what is this?", "images": ["`+repoPath(t, "testdata", "ref", "vq-image.png")+`"]}]}`))
			return runArgs(t, dir, s), []string{"VQ encoder"}
		}},
		{"--cfg bogus", nil, func(t *testing.T, dir string) ([]string, []string) {
			return append(runArgs(t, dir, cliData(t, "script-three-turns.json")), "--cfg", "bogus"), []string{"--cfg", "bogus"}
		}},
		{"--top-p above 1", nil, func(t *testing.T, dir string) ([]string, []string) {
			return append(runArgs(t, dir, cliData(t, "script-three-turns.json")), "--top-p", "1.5"), []string{"top-p"}
		}},
		{"--evict bogus", nil, func(t *testing.T, dir string) ([]string, []string) {
			return append(runArgs(t, dir, cliData(t, "script-three-turns.json")), "--evict", "newest"), []string{"--evict", "newest"}
		}},
	})
}

func TestBadVQ(t *testing.T) {
	anole := func(t *testing.T) string { return refDir(t, "vq-anole") }
	encode := func(t *testing.T, image string) []string {
		return []string{"vq", "encode", "--model", anole(t), "--image", image}
	}
	encodeFile := func(file string, wants ...string) func(t *testing.T, dir string) ([]string, []string) {
		return func(t *testing.T, dir string) ([]string, []string) {
			p := cliData(t, file)
			return encode(t, p), append([]string{p}, wants...)
		}
	}
	decode := func(t *testing.T, dir, codes string) []string {
		return []string{"vq", "decode", "--model", anole(t), "--codes", codes, "-o", filepath.Join(dir, "out.png")}
	}
	decodeFile := func(file string, wants ...string) func(t *testing.T, dir string) ([]string, []string) {
		return func(t *testing.T, dir string) ([]string, []string) {
			p := cliData(t, file)
			return decode(t, dir, p), append([]string{p}, wants...)
		}
	}
	runBadCases(t, []badCase{
		{"missing image", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := filepath.Join(dir, "missing.png")
			return encode(t, p), []string{p, "no such file"}
		}},
		{"zero-size image", nil, encodeFile("empty.png", "empty")},
		{"truncated PNG", nil, encodeFile("truncated.png", "truncated")},
		{"text file named .png", nil, encodeFile("not-an-image.png", "not a PNG or JPEG")},
		{"directory as image", nil, func(t *testing.T, dir string) ([]string, []string) {
			return encode(t, dir), []string{dir, "directory"}
		}},
		{"enormous PNG header", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := writeFile(t, filepath.Join(dir, "huge.png"), pngHeaderOnly(100000, 100000))
			return encode(t, p), []string{p, "100000×100000", "too large"}
		}},
		{"PNG of zero width", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := writeFile(t, filepath.Join(dir, "zero.png"), pngHeaderOnly(0, 32))
			return encode(t, p), []string{p}
		}},
		{"image to a model without a VQ-GAN", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := refDir(t, "chameleon-mot")
			return []string{"vq", "encode", "--model", m, "--image", repoPath(t, "testdata", "ref", "vq-image.png")},
				[]string{m, "VQ encoder"}
		}},
		{"no --image", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"vq", "encode", "--model", anole(t)}, []string{"image"}
		}},
		{"missing code file", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := filepath.Join(dir, "missing.txt")
			return decode(t, dir, p), []string{p, "no such file"}
		}},
		{"code file is a directory", nil, func(t *testing.T, dir string) ([]string, []string) {
			return decode(t, dir, dir), []string{dir}
		}},
		{"63 codes for an 8×8 grid", nil, decodeFile("codes-short.txt", "63", "64")},
		{"65 codes for an 8×8 grid", nil, decodeFile("codes-long.txt", "65", "64")},
		{"code equal to the codebook size", nil, decodeFile("codes-out-of-range.txt", "64", "out of range")},
		{"negative code", nil, decodeFile("codes-negative.txt", "-1", "out of range")},
		{"non-numeric code", nil, decodeFile("codes-not-numeric.txt", `"twelve"`)},
		{"empty code file", nil, decodeFile("codes-empty.txt", "no codes")},
		{"decode without a decoder", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := refDir(t, "vq-facebook")
			return []string{"vq", "decode", "--model", m, "--codes", cliData(t, "codes-good.txt"), "-o", filepath.Join(dir, "o.png")},
				[]string{m, "decoder"}
		}},
		{"decode into a missing directory", nil, func(t *testing.T, dir string) ([]string, []string) {
			out := filepath.Join(dir, "nope", "out.png")
			return []string{"vq", "decode", "--model", anole(t), "--codes", cliData(t, "codes-good.txt"), "-o", out}, []string{out}
		}},
	})
}

func TestBadCommandLine(t *testing.T) {
	runBadCases(t, []badCase{
		{"unknown command", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"frobnicate"}, []string{"frobnicate"}
		}},
		{"unknown flag", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"logits", "--frobnicate", "3"}, []string{"frobnicate"}
		}},
		{"inspect a missing path", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := filepath.Join(dir, "nothing-here")
			return []string{"inspect", p}, []string{p}
		}},
		{"inspect a truncated file", nil, func(t *testing.T, dir string) ([]string, []string) {
			m := copyFixture(t, "chameleon-bf16")
			os.Truncate(filepath.Join(m, "model.safetensors"), 5000)
			return []string{"inspect", m}, []string{"model.safetensors"}
		}},
		{"CHATUMM_CPU=bogus", []string{"CHATUMM_CPU=bogus"}, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"inspect", "--cpu"}, []string{"CHATUMM_CPU", "bogus"}
		}},
		{"chat --session corrupt", nil, func(t *testing.T, dir string) ([]string, []string) {
			p := filepath.Join(dir, "s.chs")
			data, _ := os.ReadFile(cliData(t, "session-corrupt.chs"))
			writeFile(t, p, data)
			return []string{"chat", "--model", refDir(t, "chameleon-mot"), "--session", p}, []string{p}
		}},
		{"bench -r 0", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "model", "--model", refDir(t, "llama"), "-p", "8", "-n", "8", "-r", "0"}, []string{"-r"}
		}},
		{"bench -t not a number", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "model", "--model", refDir(t, "llama"), "-p", "8", "-n", "8", "-t", "1,two"}, []string{"-t", "two"}
		}},
		{"bench -t 0", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "model", "--model", refDir(t, "llama"), "-p", "8", "-n", "8", "-t", "0"}, []string{"-t"}
		}},
		{"bench -o xml", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "model", "--model", refDir(t, "llama"), "-p", "8", "-o", "xml"}, []string{"xml"}
		}},
		{"bench -p beyond the context", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "model", "--model", refDir(t, "llama"), "-p", "1000", "-n", "0", "-r", "1"}, []string{"1000", "256"}
		}},
	})
}

// TestMainInProcess drives Main directly: the error goes to the package's
// stderr writer as one line and the exit code is returned, not exited.
func TestMainInProcess(t *testing.T) {
	var buf strings.Builder
	old := stderr
	stderr = &buf
	defer func() { stderr = old }()
	out := filepath.Join(t.TempDir(), "o.f32")
	code := Main([]string{"chatumm", "logits", "--model", refDir(t, "llama"), "--ids", "0,1,x", "--out", out})
	if code == 0 {
		t.Fatalf("Main returned 0 for a bad id")
	}
	line := strings.TrimSuffix(buf.String(), "\n")
	if strings.Contains(line, "\n") || !strings.HasPrefix(line, "chatumm: ") || !strings.Contains(line, `"x"`) {
		t.Errorf("stderr = %q, want one line \"chatumm: ... \\\"x\\\" ...\"", buf.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written although the command failed", out)
	}
}
