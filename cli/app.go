// Package cli is the chatumm command line: chat, run, generate, edit,
// describe, logits, inspect, vq and bench, on top of package model.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/chatumm/chatumm/asm"
	"github.com/urfave/cli/v2"
)

// exitError carries an exit code without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

var stderr io.Writer = os.Stderr

// Main runs the command line and returns the process exit code. Every
// failure is one line on stderr.
//
// CHATUMM_CPUPROFILE=FILE writes a Go CPU profile of the whole run (for
// `go tool pprof`): where a model's time goes on a user's own machine.
func Main(args []string) (code int) {
	// A read of a mapped weights file truncated under the running command
	// panics instead of killing the process (see faults.go); a panic that
	// is not such a fault is a bug and keeps its stack trace.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if rec := recover(); rec != nil {
			err := faultError(rec)
			if err == nil {
				panic(rec)
			}
			fmt.Fprintf(stderr, "chatumm: %s\n", printable(oneLine(err.Error())))
			code = 1
		}
	}()
	if path := os.Getenv("CHATUMM_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(stderr, "chatumm: CHATUMM_CPUPROFILE: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "chatumm: CHATUMM_CPUPROFILE: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	app := NewApp()
	if err := app.Run(interspersed(app, args)); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		fmt.Fprintf(stderr, "chatumm: %s\n", printable(oneLine(hint(err, inCommand).Error())))
		return 1
	}
	return 0
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.ReplaceAll(s, "\n", "; ")
}

// NewApp builds the urfave/cli application.
func NewApp() *cli.App {
	return &cli.App{
		Name:                 "chatumm",
		Usage:                "chat with unified multimodal models (text and images) on the CPU",
		Version:              version(),
		EnableBashCompletion: false,
		Before: func(*cli.Context) error {
			if err := asm.SelectionError(); err != nil {
				return err
			}
			return nil
		},
		ExitErrHandler: func(*cli.Context, error) {}, // Main prints errors
		Writer:         os.Stdout,
		ErrWriter:      os.Stderr,
		Commands: []*cli.Command{
			chatCommand(),
			runCommand(),
			generateCommand(),
			editCommand(),
			describeCommand(),
			logitsCommand(),
			inspectCommand(),
			vqCommand(),
			benchCommand(),
			serveCommand(),
			quantizeCommand(),
			{
				Name:  "version",
				Usage: "print the version (as --version does)",
				Action: func(c *cli.Context) error {
					cli.ShowVersion(c)
					return nil
				},
			},
		},
	}
}

// version is the module version the binary was built from (`go install
// …@v1.2.3`), or "devel" plus the VCS revision for a build from a checkout.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel " + s.Value[:12]
		}
	}
	return "devel"
}
