package serve

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestGracefulShutdown: cancelling Serve's context (what SIGTERM does)
// lets a request in flight finish, then Serve returns and the port is
// closed.
func TestGracefulShutdown(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, 5*time.Second) }()
	url := "http://" + ln.Addr().String()
	got := make(chan int, 1)
	go func() {
		resp, err := http.Post(url+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"stream":true,"messages":[{"role":"user","content":"draw a big red circle in the center on a gray background."}],"modalities":["text","image"]}`))
		if err != nil {
			got <- -1
			return
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		if strings.Contains(b.String(), "data: [DONE]") {
			got <- resp.StatusCode
		} else {
			got <- 0
		}
	}()
	for s.inflight.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if code := <-got; code != 200 {
		t.Errorf("in-flight request: %d, want 200 with a complete stream", code)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if _, err := http.Get(url + "/v1/models"); err == nil {
		t.Error("still accepting after shutdown")
	}
}
