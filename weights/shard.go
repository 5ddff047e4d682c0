package weights

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/chatumm/chatumm/runtime/fileio"
)

// shardIndex is model.safetensors.index.json as written by transformers.
type shardIndex struct {
	Metadata  map[string]any    `json:"metadata"`
	WeightMap map[string]string `json:"weight_map"`
}

// openSharded opens every shard named by an index. Each shard is validated
// as a whole and must contain the tensors the index places in it. Tensors a
// shard holds beyond the index are loaded too (as transformers does), but a
// name may live in only one shard.
func openSharded(indexPath string, mode LoadMode) (*Set, error) {
	raw, err := fileio.ReadFile(indexPath, fileio.ShardIndex)
	if err != nil {
		return nil, err
	}
	var idx shardIndex
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("%s: not a valid safetensors index: %v", indexPath, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("%s: weight_map is missing or empty", indexPath)
	}
	byShard := map[string][]string{}
	for name, shard := range idx.WeightMap {
		// Shards must sit next to the index: a hostile index must not make us
		// open arbitrary files.
		if shard == "" || shard != filepath.Base(shard) || shard == "." || shard == ".." || strings.ContainsAny(shard, `/\`) {
			return nil, fmt.Errorf("%s: tensor %q: shard name %q is not a plain file name in the index's directory", indexPath, name, shard)
		}
		byShard[shard] = append(byShard[shard], name)
	}
	shards := make([]string, 0, len(byShard))
	for shard := range byShard {
		shards = append(shards, shard)
	}
	sort.Strings(shards)

	s := newSet(mode)
	dir := filepath.Dir(indexPath)
	for _, shard := range shards {
		want := byShard[shard]
		sort.Strings(want)
		if err := s.addFile(filepath.Join(dir, shard), want); err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.format != "safetensors" {
		s.Close()
		return nil, fmt.Errorf("%s: shards must be safetensors files, got %s", indexPath, s.format)
	}
	for k, v := range idx.Metadata {
		if _, seen := s.metadata[k]; !seen {
			s.metadata[k] = v
		}
	}
	s.finish()
	return s, nil
}
