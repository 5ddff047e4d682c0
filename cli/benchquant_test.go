package cli

import (
	"regexp"
	"testing"
)

// TestBenchModelQuant: --random tiny --quant q4_k benchmarks the random
// checkpoint quantized (the table names the block type); --quant without
// --random, or with an unknown type or shape, is one error naming the flag.
func TestBenchModelQuant(t *testing.T) {
	args := []string{"bench", "model", "--random", "tiny", "--quant", "q4_k", "-p", "8", "-n", "4", "-t", "1", "-r", "1"}
	r := chatumm(t, args...)
	wantSuccess(t, r, args...)
	for _, test := range []string{"pp8", "tg4"} {
		row := regexp.MustCompile(`(?m)^\| chameleon .* Q4_K \|.*\| ` + test + ` \| [0-9.]+ ± [0-9.]+ \|$`)
		if !row.MatchString(r.stdout) {
			t.Errorf("no Q4_K %s row in:\n%s", test, r.stdout)
		}
	}
	runBadCases(t, []badCase{
		{"quant without random", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "model", "--quant", "q8_0", "-p", "8"}, []string{"--quant", "--random", "chatumm quantize"}
		}},
		{"unknown quant type", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "model", "--random", "tiny", "--quant", "q3_k", "-p", "8"}, []string{"--quant", "q3_k", "q8_0"}
		}},
		{"dtype without random", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "model", "--dtype", "f16", "-p", "8"}, []string{"--dtype", "--random"}
		}},
		{"unknown dtype", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "model", "--random", "tiny", "--dtype", "f8", "-p", "8"}, []string{"--dtype", "f8", "bf16"}
		}},
		{"unknown random shape", nil, func(t *testing.T, dir string) ([]string, []string) {
			return []string{"bench", "model", "--random", "13b", "-p", "8"}, []string{"--random", "13b", "anole-7b"}
		}},
	})
}

// TestBenchModelDType: --dtype writes the random checkpoint in the type
// asked for, bf16 for a shape that is f16 by default and f16 for Janus.
func TestBenchModelDType(t *testing.T) {
	for _, c := range []struct{ shape, dtype, family, want string }{
		{"tiny", "bf16", "chameleon", "BF16"},
		{"janus-tiny", "f16", "janus", "F16"},
	} {
		args := []string{"bench", "model", "--random", c.shape, "--dtype", c.dtype, "-p", "8", "-n", "2", "-t", "1", "-r", "1"}
		r := chatumm(t, args...)
		wantSuccess(t, r, args...)
		row := regexp.MustCompile(`(?m)^\| ` + c.family + ` .* ` + c.want + ` \|.*\| pp8 \|`)
		if !row.MatchString(r.stdout) {
			t.Errorf("%s --dtype %s: no %s pp8 row in:\n%s", c.shape, c.dtype, c.want, r.stdout)
		}
	}
}

// TestBenchKernelsQuick: the kernel table names both yardsticks, the best
// short block and the sustained whole-buffer read, each with a positive
// GB/s, next to at least one matvec row measured against them.
func TestBenchKernelsQuick(t *testing.T) {
	args := []string{"bench", "kernels", "--quick", "--threads", "1"}
	r := chatumm(t, args...)
	wantSuccess(t, r, args...)
	for _, re := range []string{
		`(?m)^ *read bandwidth +1 GiB +1 +[0-9]*[1-9][0-9]*\.[0-9] GB/s +best 16 MiB block`,
		`(?m)^ *sustained read +1 GiB +1 +[0-9]*[1-9][0-9]*\.[0-9] GB/s +mean of whole passes`,
		`(?m)^ *matvec F16 +512×512 +1 +[0-9.]+ GB/s +[0-9]+% of [0-9.]+ GB/s read next to it`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("no line matching %s in:\n%s", re, r.stdout)
		}
	}
}
