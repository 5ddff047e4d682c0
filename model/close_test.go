package model

import (
	goruntime "runtime"
	"testing"
	"time"
)

// TestCloseStopsThePool: a Model that created its worker pool stops it on
// Close, so loading and closing models leaves no parked goroutines.
func TestCloseStopsThePool(t *testing.T) {
	const dir = "../testdata/ref/chameleon-mot"
	m, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	before := goruntime.NumGoroutine()
	for i := 0; i < 5; i++ {
		m, err := Load(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Workers exit asynchronously after Close; give them a moment.
	deadline := time.Now().Add(2 * time.Second)
	for goruntime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := goruntime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after 5 loads and closes, %d before", n, before)
	}
}
