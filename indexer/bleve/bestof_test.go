package bleve

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBestOfMatchesSort: bestOf picks the k documents a full sort by
// worse puts first, the worst of them last, with many equal scores.
func TestBestOfMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := range 3000 {
		n := 1 + r.IntN(600)
		k := 1 + r.IntN(n)
		s := make([]scored, n)
		for i, num := range r.Perm(n) {
			s[i] = scored{num: uint64(num), score: float64(r.IntN(1 + trial%50))}
		}
		want := slices.Clone(s)
		slices.SortFunc(want, bestFirst)
		got := bestOf(s, k)
		if len(got) != k || got[k-1] != want[k-1] {
			t.Fatalf("trial %d (n %d, k %d): k-th %v, want %v", trial, n, k, got[len(got)-1], want[k-1])
		}
		for _, g := range got[:k-1] {
			if !worse(got[k-1], g) {
				t.Fatalf("trial %d: %v is among the best but not better than the k-th %v", trial, g, got[k-1])
			}
		}
		slices.SortFunc(got, func(p, q scored) int { return int(p.num) - int(q.num) })
		wantSet := slices.Clone(want[:k])
		slices.SortFunc(wantSet, func(p, q scored) int { return int(p.num) - int(q.num) })
		if !slices.Equal(got, wantSet) {
			t.Fatalf("trial %d: picked %v, want %v", trial, got, wantSet)
		}
	}
}
