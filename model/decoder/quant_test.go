package decoder

import (
	"testing"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/weights"
)

// The loader converts weights' quantized DTypes to asm.QType by offset:
// both lists must name the same types in the same order with the same
// blocks.
func TestQuantTypesLineUp(t *testing.T) {
	for d := weights.Q4_0; d <= weights.Q6_K; d++ {
		q := asm.QType(d-weights.Q4_0) + asm.Q4_0
		if !d.Quantized() || q.String() != d.String() || q.BlockElems() != d.BlockElems() || q.BlockBytes() != d.BlockBytes() {
			t.Errorf("weights %v (%d elems, %d bytes) maps to asm %v (%d elems, %d bytes)",
				d, d.BlockElems(), d.BlockBytes(), q, q.BlockElems(), q.BlockBytes())
		}
	}
	if q := asm.QType(weights.Q6_K-weights.Q4_0) + asm.Q4_0; q+1 != asm.NumQTypes {
		t.Errorf("asm has types past Q6_K that weights does not load")
	}
}
