package bleve_test

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"sotay/content"
	"sotay/handbook"
	"sotay/indexer"
	"sotay/indexer/bleve"
)

// TestTermAtATime runs the gold questions over the built-in content twice,
// through termAtATime and through bleve's own query, and wants the same
// ranking: the same chunks in the same order with the same relative scores
// (bleve's query norm scales its scores; ties may come in either order).
func TestTermAtATime(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes the whole built-in content")
	}
	lib, err := indexer.Load(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	x, err := bleve.Open(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	chunks := lib.Chunks()
	// Two batches of updates leave deleted documents in older segments:
	// the walk must skip them and number documents across segments.
	if err := x.Index(t.Context(), chunks); err != nil {
		t.Fatal(err)
	}
	if err := x.Index(t.Context(), chunks[:len(chunks)/3]); err != nil {
		t.Fatal(err)
	}
	an := handbook.NewAnalyzer(lib)
	files, _ := filepath.Glob("../../eval/gold-*.jsonl")
	var cases []handbook.EvalCase
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := handbook.ReadEvalCases(r, f)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, cs...)
	}
	if len(cases) < 100 {
		t.Fatalf("%d gold cases", len(cases))
	}
	filters := []handbook.Filter{
		{Audience: handbook.AudiencePublic, At: mustDate(t, "2026-11-26")},
		{Audience: handbook.AudienceInternal, Kinds: []handbook.Kind{handbook.KindProcedure, handbook.KindFAQ}},
		{Audience: handbook.AudiencePublic, At: mustDate(t, "2020-01-01"), Field: "Hộ tịch"},
	}
	compared, fieldsCompared := 0, 0
	compare := func() {
		for _, c := range cases {
			q, err := an.Analyze(c.Query)
			if err != nil || len(q.Terms) == 0 {
				continue
			}
			for fi, f := range filters {
				x.SetBleveScoring(true)
				want, err := x.Search(t.Context(), q, f, 40)
				if err != nil {
					t.Fatal(err)
				}
				x.SetBleveScoring(false)
				got, err := x.Search(t.Context(), q, f, 40)
				if err != nil {
					t.Fatal(err)
				}
				// A must filter adds bleve's near-zero filter scores (boost
				// 0.0001, a little more for the rarer kind): scores are no
				// longer proportional and near-ties may swap.
				filtered := len(f.Kinds) > 0 || f.Field != ""
				tol := 1e-9
				if filtered {
					tol = 1e-3
				}
				if !sameRanking(got, want, tol, !filtered) {
					t.Errorf("%s (filter %d): term-at-a-time ranking differs from bleve's\n got %v\nwant %v", c.Query, fi, chunkIDs(got), chunkIDs(want))
				}
				// The stored fields are read straight from the segments: they
				// must be what bleve's search result holds.
				byID := map[string]handbook.Hit{}
				for _, h := range want {
					byID[h.ChunkID] = h
				}
				for _, h := range got {
					w, ok := byID[h.ChunkID]
					if !ok {
						continue
					}
					h.Score, w.Score = 0, 0
					if !reflect.DeepEqual(h, w) {
						t.Fatalf("%s: stored fields of %s differ\n got %+v\nwant %+v", c.Query, h.ChunkID, h, w)
					}
					fieldsCompared++
				}
				compared++
			}
		}
	}
	compare()
	// Updating chunks deletes their old copies in segments whose postings
	// the cache now holds: the cached lists must skip them and count
	// document frequencies again.
	if err := x.Index(t.Context(), chunks[len(chunks)/4:len(chunks)/2]); err != nil {
		t.Fatal(err)
	}
	if _, _, hits, _ := x.PostingsCacheStats(); hits == 0 {
		t.Fatal("the postings cache was never used")
	}
	compare()
	if fieldsCompared == 0 {
		t.Fatal("no hit's stored fields compared")
	}
	t.Logf("%d searches compared, %d hits' stored fields", compared, fieldsCompared)
}

func mustDate(t *testing.T, s string) handbook.Date {
	d, err := handbook.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func chunkIDs(hs []handbook.Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.ChunkID
	}
	return out
}

// sameRanking: the same chunks in the same order, where two chunks may
// swap only when their scores tie (within tol after dividing by the best);
// with proportional scores (within tol) when proportional is set.
func sameRanking(got, want []handbook.Hit, tol float64, proportional bool) bool {
	if len(got) != len(want) {
		return false
	}
	if len(got) == 0 {
		return true
	}
	gt, wt := got[0].Score, want[0].Score
	norm := map[string]float64{}
	for _, h := range got {
		norm[h.ChunkID] = h.Score / gt
	}
	last := got[len(got)-1].Score / gt
	for i := range got {
		g := got[i].Score / gt
		if proportional && math.Abs(g-want[i].Score/wt) > tol {
			return false
		}
		if got[i].ChunkID == want[i].ChunkID {
			continue
		}
		other, ok := norm[want[i].ChunkID]
		if !ok {
			// Only a tie at the cut may swap a chunk in or out.
			other = last
		}
		if math.Abs(g-other) > tol {
			return false
		}
	}
	return true
}
