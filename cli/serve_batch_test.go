package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestServeBatchFlagRefusesUnknownMode(t *testing.T) {
	args := []string{"serve", "--port", "0", "--batch", "sometimes"}
	wantError(t, chatumm(t, args...), args, "--batch sometimes", "auto, on or off")
}

// TestServeBatchFlag starts `chatumm serve` with the embedded model, whose
// weights fit the cache so auto leaves batching off, and checks that
// --batch on and off are what /health reports.
func TestServeBatchFlag(t *testing.T) {
	for flag, want := range map[string]bool{"on": true, "off": false, "auto": false} {
		t.Run(flag, func(t *testing.T) {
			if got := serveHealthBatched(t, "--parallel", "2", "--batch", flag); got != want {
				t.Errorf("--batch %s: /health batched = %v, want %v", flag, got, want)
			}
		})
	}
}

// serveHealthBatched runs chatumm serve on a free port with args, reads
// "batched" from its /health and stops it with SIGTERM.
func serveHealthBatched(t *testing.T, args ...string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, chatummBin, append([]string{"serve", "--port", "0"}, args...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "CHATUMM_THREADS=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("chatumm serve %s did not stop cleanly on SIGTERM: %v\nstderr: %s", quoteArgs(args), err, stderr.String())
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("chatumm serve %s printed no URL: %v\nstderr: %s", quoteArgs(args), err, stderr.String())
	}
	_, rest, ok := strings.Cut(line, "http://")
	url, _, _ := strings.Cut(rest, " ")
	if !ok || url == "" {
		t.Fatalf("no URL in the startup line %q", line)
	}
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + strings.TrimSuffix(url, "/") + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var health struct {
		Batched *bool `json:"batched"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil || health.Batched == nil {
		t.Fatalf("/health: no batched field (%v)", err)
	}
	return *health.Batched
}
