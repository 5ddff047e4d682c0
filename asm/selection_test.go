package asm

// Selecting a path: CHATUMM_CPU, Use, the errors for a path that is not
// there, and the completeness of every path's table.

import (
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// activeAtStart is recorded before any test can call Use (after asm.go's
// init, which runs first: init functions run in file name order).
var activeAtStart *Kernels

func init() { activeAtStart = Active() }

// TestSelectionFromEnv: CHATUMM_CPU picks the implementation at start. (A
// name this CPU cannot run never gets here: the test binary exits at init,
// see TestForcedMissingPathFails.)
func TestSelectionFromEnv(t *testing.T) {
	want := strings.TrimSpace(os.Getenv("CHATUMM_CPU"))
	if SelectionError() != nil {
		t.Fatalf("CHATUMM_CPU=%s: the test binary runs with selection error %v", want, SelectionError())
	}
	switch {
	case want == "":
		if activeAtStart != Available()[len(Available())-1] {
			t.Fatalf("no CHATUMM_CPU: active %q; want the fastest", activeAtStart.Name)
		}
	case activeAtStart.Name != want:
		t.Fatalf("CHATUMM_CPU=%s: active %q", want, activeAtStart.Name)
	}
}

// TestForcedMissingPathFails runs this test binary again with CHATUMM_CPU
// naming paths that are not there: each run must fail before any test, with
// one line that names the value and the paths available, so a forced path
// is never silently replaced by the default one.
func TestForcedMissingPathFails(t *testing.T) {
	missing := map[string]string{"sve": "unknown kernel path"}
	for _, p := range knownPaths {
		if Lookup(p.name) == nil {
			missing[p.name] = "CHATUMM_CPU=" + p.name + ": "
		}
	}
	for name, why := range missing {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSelectionFromEnv$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CHATUMM_CPU="+name)
		out, err := cmd.CombinedOutput()
		if _, ran := err.(*exec.ExitError); err != nil && !ran {
			// Under qemu user mode without binfmt_misc the binary cannot
			// start itself; Use's messages are checked by TestUse.
			t.Skipf("cannot re-run the test binary here: %v", err)
		}
		msg := strings.TrimSpace(string(out))
		if err == nil || strings.Contains(msg, "\n") || !strings.Contains(msg, why) || !strings.Contains(msg, "available: generic") {
			t.Errorf("CHATUMM_CPU=%s: exit %v, output %q; want a failure with one line naming it", name, err, msg)
		}
		t.Logf("CHATUMM_CPU=%s: %s", name, msg)
	}
}

// TestEveryFieldFilled: every path fills the whole table, and every func
// field is compared across implementations by a test named here, so a new
// field cannot go untested.
func TestEveryFieldFilled(t *testing.T) {
	comparedBy := map[string]string{}
	for _, f := range strings.Fields("DotF32 DotF16 DotBF16 Sum SumSq Max") {
		comparedBy[f] = "TestDotMatchesGeneric"
	}
	for _, f := range strings.Fields("RowsF32 RowsF16 RowsBF16") {
		comparedBy[f+"Multi"] = "TestRowsMultiMatchesRows"
		comparedBy[f] = "TestRowsMatchGeneric"
	}
	for _, f := range strings.Fields("F16ToF32 BF16ToF32 F32ToF16") {
		comparedBy[f] = "TestConversionsMatchGeneric"
	}
	for _, f := range strings.Fields("Axpy AxpyF16 AxpyBF16 Scale Add Mul ExpSub SiLU SwiGLU") {
		comparedBy[f] = "TestElementwiseMatchGeneric"
	}
	comparedBy["GemmMicro"] = "TestGemmMicro"
	comparedBy["GemmMicroSet"] = "TestGemmMicroSet"
	for _, f := range strings.Fields("GemmPackF32 GemmPackF16 GemmPackBF16") {
		comparedBy[f] = "TestGemmPack"
	}
	for _, f := range strings.Fields("GemmPackColsF32 GemmPackColsF16 GemmPackColsBF16") {
		comparedBy[f] = "TestGemmPackCols"
	}
	comparedBy["WinogradInput16"], comparedBy["WinogradOutput16"] = "TestWinograd16", "TestWinograd16"
	comparedBy["FMAPeak"] = "TestFMAPeak"
	typ := reflect.TypeOf(Kernels{})
	for _, k := range Available() {
		v := reflect.ValueOf(k).Elem()
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if f.Type.Kind() != reflect.Func {
				continue
			}
			if v.Field(i).IsNil() {
				t.Errorf("%s: Kernels.%s is nil", k.Name, f.Name)
			}
			if comparedBy[f.Name] == "" {
				t.Errorf("Kernels.%s is compared by no test: add it to a cross-implementation test and to this list", f.Name)
			}
		}
	}
	if Available()[0].Name != "generic" {
		t.Fatalf("Available()[0] = %q, want generic", Available()[0].Name)
	}
}

func TestUse(t *testing.T) {
	var names []string
	for _, k := range Available() {
		names = append(names, k.Name)
	}
	t.Logf("available: %s; active: %s", strings.Join(names, ", "), Active().Name)
	saved := Active()
	defer func() { active = saved }()
	for _, k := range Available() {
		if err := Use(k.Name); err != nil {
			t.Fatalf("Use(%q): %v", k.Name, err)
		}
		if Active() != k || Lookup(k.Name) != k {
			t.Fatalf("Use(%q) left %q active", k.Name, Active().Name)
		}
	}
	before := Active()
	for _, name := range []string{"generic", "avx2", "avx512", "neon", "bogus", ""} {
		err := Use(name)
		if Lookup(name) != nil {
			if err != nil {
				t.Fatalf("Use(%q) = %v for an available implementation", name, err)
			}
			before = Active()
			continue
		}
		if err == nil {
			t.Fatalf("Use(%q) succeeded but %q is not available", name, name)
		}
		if !strings.Contains(err.Error(), "available: "+strings.Join(names, ", ")) || Active() != before {
			t.Fatalf("Use(%q): error %q, active %q", name, err, Active().Name)
		}
	}
	// Exported wrappers go through the active implementation.
	if err := Use("generic"); err != nil {
		t.Fatal(err)
	}
	if got := DotF32([]float32{1, 2, 3}, []float32{4, 5, 6}); got != 32 {
		t.Fatalf("DotF32 via generic = %v, want 32", got)
	}
}
