package handbook

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// nameMatchRef is nameMatch before its quick rejection of names whose
// first syllable the question lacks.
func nameMatchRef(q Query, h *Hit) float64 {
	if h.Kind == KindRegulation {
		return 0
	}
	names := splitNames(h.Names)
	if names == nil {
		names = [][]string{FoldedSyllables(h.Title)}
	}
	best := 0.0
	for _, n := range names {
		if len(n) < 2 {
			continue
		}
		if longestRun(n, q.Terms) == len(n) {
			return 1
		}
		for _, e := range q.expansionTerms() {
			if longestRun(n, e) == len(n) {
				best = 0.8
			}
		}
	}
	return best
}

// TestNameMatchMatchesReference compares nameMatch with nameMatchRef, and
// Rerank's order with a stable sort of the hits themselves, on random
// names, titles and questions over a small vocabulary, so that names match
// often.
func TestNameMatchMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	vocab := []string{"dang", "ky", "khai", "sinh", "ket"}
	words := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = vocab[rng.IntN(len(vocab))]
		}
		return out
	}
	matched := 0
	for i := range 5000 {
		q := Query{Terms: words(1 + rng.IntN(8))}
		for range rng.IntN(3) {
			q.Expansions = append(q.Expansions, strings.Join(words(1+rng.IntN(3)), " "))
		}
		anyTerm := map[string]bool{}
		for _, t := range q.Terms {
			anyTerm[t] = true
		}
		for _, e := range q.expansionTerms() {
			for _, t := range e {
				anyTerm[t] = true
			}
		}
		h := Hit{Kind: KindProcedure, Title: strings.Join(words(1+rng.IntN(4)), " ")}
		var names []string
		for range rng.IntN(4) {
			names = append(names, strings.Repeat(" ", rng.IntN(2))+strings.Join(words(1+rng.IntN(4)), " "))
		}
		h.Names = strings.Join(names, "\n")
		if i%10 == 0 {
			h.Kind = KindRegulation
		}
		got, want := nameMatch(q, anyTerm, &h), nameMatchRef(q, &h)
		if got != want {
			t.Fatalf("names %q title %q, question %q + %q: %v, want %v", h.Names, h.Title, q.Terms, q.Expansions, got, want)
		}
		if got > 0 {
			matched++
		}
	}
	if matched < 200 {
		t.Fatalf("only %d of 5000 cases matched a name: the comparison proves little", matched)
	}

	for round := range 200 {
		q := Query{Terms: words(1 + rng.IntN(5))}
		hits := make([]Hit, 1+rng.IntN(130))
		for i := range hits {
			hits[i] = Hit{ChunkID: fmt.Sprint(round, "/", i), Kind: KindGuide, Score: float64(rng.IntN(4)),
				Title: strings.Join(words(2), " "), Folded: strings.Join(words(3+rng.IntN(20)), " ")}
		}
		orig := slices.Clone(hits)
		got := Rerank(q, hits)
		// The reference: the hits in their first order with the scores
		// Rerank gave them, stably sorted themselves.
		score := map[string]float64{}
		for _, h := range got {
			score[h.ChunkID] = h.Score
		}
		want := orig
		for i := range want {
			want[i].Score = score[want[i].ChunkID]
		}
		slices.SortStableFunc(want, func(a, b Hit) int {
			switch {
			case a.Score > b.Score:
				return -1
			case a.Score < b.Score:
				return 1
			}
			return 0
		})
		if len(got) != len(want) {
			t.Fatalf("round %d: %d hits, want %d", round, len(got), len(want))
		}
		for i := range got {
			if got[i].ChunkID != want[i].ChunkID || got[i].Score != want[i].Score {
				t.Fatalf("round %d: hit %d is %s (%v), want %s (%v)", round, i, got[i].ChunkID, got[i].Score, want[i].ChunkID, want[i].Score)
			}
		}
	}
}
