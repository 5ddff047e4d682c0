package ops

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chatumm/chatumm/runtime"
)

// MatVecFused must give, bit for bit, what MatVecMulti gives for each matrix
// on its own, for any thread count (rows cross several claimed chunks).
func TestMatVecFusedMatchesMulti(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	const cols = 70
	for _, dt := range []DType{F32, F16, BF16} {
		ws := []*Mat{randMatOf(rng, dt, 2*claimRows+5, cols), randMatOf(rng, dt, 17, cols), randMatOf(rng, dt, claimRows, cols)}
		xs := [][]float32{coreVec(rng, cols), coreVec(rng, cols)}
		var want [][]float32
		for _, w := range ws {
			ys := [][]float32{make([]float32, w.Rows), make([]float32, w.Rows)}
			MatVecMulti(nil, w, xs, ys)
			want = append(want, ys...)
		}
		for _, threads := range []int{1, 2, 3} {
			p := runtime.NewPool(threads)
			var got [][]float32
			for _, w := range ws {
				got = append(got, make([]float32, w.Rows), make([]float32, w.Rows))
			}
			MatVecFused(p, ws, xs, got)
			p.Close()
			for i := range want {
				for r := range want[i] {
					if got[i][r] != want[i][r] {
						t.Fatalf("%v threads=%d: output %d row %d = %g, MatVecMulti gives %g", dt, threads, i, r, got[i][r], want[i][r])
					}
				}
			}
		}
	}
}

// TestChunkRangeClaimsEachOnce races an owner taking fronts against thieves
// taking backs: every chunk must be claimed exactly once.
func TestChunkRangeClaimsEachOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 1000} {
		var r chunkRange
		r.set(5, 5+n)
		seen := make([]atomic.Int32, n)
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(fromBack bool) {
				defer wg.Done()
				for {
					c, ok := r.take(fromBack)
					if !ok {
						return
					}
					seen[c-5].Add(1)
				}
			}(g > 0)
		}
		wg.Wait()
		for c := range seen {
			if v := seen[c].Load(); v != 1 {
				t.Fatalf("n=%d: chunk %d claimed %d times", n, c+5, v)
			}
		}
	}
}
