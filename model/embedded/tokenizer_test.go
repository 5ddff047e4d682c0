package embedded

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/chatumm/chatumm/model/tokenizer"
)

// TestTrainingTokenizationMatches: the runtime encodes text exactly as the
// training pipeline did (testdata/tokenizer_check.json holds the ids
// tools/train produced), so the model sees at run time what it learned.
func TestTrainingTokenizationMatches(t *testing.T) {
	var check struct {
		Items []struct {
			Text string `json:"text"`
			IDs  []int  `json:"ids"`
		} `json:"items"`
	}
	data, err := os.ReadFile("testdata/tokenizer_check.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &check); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Parse(Files()["tokenizer.json"], Name+"/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range check.Items {
		got := tok.Encode(it.Text, false)
		if len(got) == 0 && len(it.IDs) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, it.IDs) {
			t.Errorf("%q: runtime %v, training %v", it.Text, got, it.IDs)
		}
	}
}
