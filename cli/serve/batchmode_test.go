package serve

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/chatumm/chatumm/model/chat"
)

func TestParseBatchMode(t *testing.T) {
	for in, want := range map[string]BatchMode{"auto": BatchAuto, "on": BatchOn, "off": BatchOff, " ON ": BatchOn, "Off": BatchOff} {
		got, err := ParseBatchMode(in)
		if err != nil || got != want {
			t.Errorf("ParseBatchMode(%q) = %v, %v; want %v", in, got, err, want)
		}
		if again, err := ParseBatchMode(got.String()); err != nil || again != got {
			t.Errorf("ParseBatchMode(%q.String()) = %v, %v", in, again, err)
		}
	}
	for _, in := range []string{"", "yes", "1", "true", "batch"} {
		if _, err := ParseBatchMode(in); err == nil {
			t.Errorf("ParseBatchMode(%q) took it", in)
		}
	}
}

// TestBatchModeChoosesBatcher: on forces a batcher even for the embedded
// model (whose weights fit any cache, so auto leaves it off), off and a
// single slot never have one, and /health says which.
func TestBatchModeChoosesBatcher(t *testing.T) {
	if chat.BatchingPays(testModel(t)) {
		t.Fatal("BatchingPays says the embedded model's cache-resident steps would gain from batching")
	}
	for _, c := range []struct {
		mode     BatchMode
		parallel int
		want     bool
	}{
		{BatchAuto, 4, false}, {BatchOn, 4, true}, {BatchOff, 4, false}, {BatchOn, 1, false},
	} {
		s, ts := newTestServer(t, Config{Parallel: c.parallel, Batch: c.mode})
		if s.Batched() != c.want {
			t.Errorf("--batch %v --parallel %d: Batched() = %v", c.mode, c.parallel, s.Batched())
		}
		resp, err := http.Get(ts.URL + "/health")
		if err != nil {
			t.Fatal(err)
		}
		var health struct {
			Batched bool `json:"batched"`
		}
		err = json.NewDecoder(resp.Body).Decode(&health)
		resp.Body.Close()
		if err != nil || health.Batched != c.want {
			t.Errorf("--batch %v --parallel %d: /health batched = %v (%v)", c.mode, c.parallel, health.Batched, err)
		}
	}
}
