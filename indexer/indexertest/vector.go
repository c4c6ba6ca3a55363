package indexertest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"sotay/handbook"
)

func vec(c handbook.Chunk, values ...float32) handbook.Vector {
	return handbook.Vector{Chunk: c, Values: values}
}

func chunkIDs(hits []handbook.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.ChunkID)
	}
	return out
}

// TestVectorStore checks the VectorStore contract. open must return an
// empty store and register its own cleanup with t.Cleanup.
func TestVectorStore(t *testing.T, open func(t *testing.T) handbook.VectorStore) {
	corpus := Corpus() // khai sinh, kết hôn, sổ đỏ, điều 16, NĐ 61 (expired), internal guide
	today := handbook.MustDate("2026-11-25")
	public := handbook.Filter{At: today, Audience: handbook.AudiencePublic}
	internal := handbook.Filter{At: today, Audience: handbook.AudienceInternal}
	upsert := func(t *testing.T, s handbook.VectorStore, vs ...handbook.Vector) {
		t.Helper()
		if err := s.Upsert(t.Context(), vs); err != nil {
			t.Fatal(err)
		}
	}
	nearest := func(t *testing.T, s handbook.VectorStore, q []float32, f handbook.Filter, k int) []string {
		t.Helper()
		hits, err := s.Nearest(t.Context(), q, f, k)
		if err != nil {
			t.Fatal(err)
		}
		return chunkIDs(hits)
	}
	loaded := func(t *testing.T) handbook.VectorStore {
		s := open(t)
		upsert(t, s,
			vec(corpus[0], 1, 0, 0), vec(corpus[1], 0.8, 0.6, 0), vec(corpus[2], 0, 0, 1),
			vec(corpus[3], 0.9, 0.1, 0.1), vec(corpus[4], 1, 0.05, 0), vec(corpus[5], 1, 0.01, 0))
		return s
	}
	t.Run("NearestOrdersBySimilarity", func(t *testing.T) {
		s := loaded(t)
		got := nearest(t, s, []float32{1, 0, 0}, public, 3)
		want := []string{corpus[0].ID, corpus[3].ID, corpus[1].ID}
		if !slices.Equal(got, want) {
			t.Errorf("Nearest = %q, want %q", got, want)
		}
	})
	t.Run("CosineIgnoresLength", func(t *testing.T) {
		s := loaded(t)
		if got := nearest(t, s, []float32{50, 0, 0}, public, 1); len(got) != 1 || got[0] != corpus[0].ID {
			t.Errorf("Nearest(scaled) = %q", got)
		}
	})
	t.Run("FiltersApplyBeforeRanking", func(t *testing.T) {
		s := loaded(t)
		got := nearest(t, s, []float32{1, 0.01, 0}, public, 10)
		if slices.Contains(got, corpus[5].ID) {
			t.Errorf("public caller got the internal chunk: %q", got)
		}
		if slices.Contains(got, corpus[4].ID) {
			t.Errorf("expired decree returned today: %q", got)
		}
		if got := nearest(t, s, []float32{1, 0.01, 0}, internal, 1); len(got) != 1 || got[0] != corpus[5].ID {
			t.Errorf("internal caller Nearest = %q, want the internal chunk", got)
		}
		f := public
		f.Kinds = []handbook.Kind{handbook.KindRegulation}
		if got := nearest(t, s, []float32{1, 0, 0}, f, 10); !slices.Equal(got, []string{corpus[3].ID}) {
			t.Errorf("kind filter = %q", got)
		}
		f = public
		f.Field = "dat dai"
		if got := nearest(t, s, []float32{1, 0, 0}, f, 10); !slices.Equal(got, []string{corpus[2].ID}) {
			t.Errorf("field filter = %q", got)
		}
	})
	t.Run("UpsertReplacesSameChunkID", func(t *testing.T) {
		s := loaded(t)
		upsert(t, s, vec(corpus[2], 1, 0, 0))
		got := nearest(t, s, []float32{1, 0, 0}, public, 10)
		if n := len(got); n != 4 {
			t.Errorf("after replace %d hits: %q", n, got)
		}
		if got[0] != corpus[0].ID && got[0] != corpus[2].ID {
			t.Errorf("replaced vector not used: %q", got)
		}
	})
	t.Run("DeleteDocumentRemovesItsChunks", func(t *testing.T) {
		s := loaded(t)
		if err := s.DeleteDocument(t.Context(), corpus[0].DocID); err != nil {
			t.Fatal(err)
		}
		if got := nearest(t, s, []float32{1, 0, 0}, public, 10); slices.Contains(got, corpus[0].ID) {
			t.Errorf("deleted chunk still returned: %q", got)
		}
	})
	t.Run("DimensionMismatchIsConflict", func(t *testing.T) {
		s := loaded(t)
		err := s.Upsert(t.Context(), []handbook.Vector{vec(corpus[0], 1, 0)})
		if handbook.ErrorCode(err) != handbook.Conflict {
			t.Errorf("Upsert(wrong dim) error = %v, want conflict", err)
		}
	})
	t.Run("HonoursCancelledContext", func(t *testing.T) {
		s := loaded(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.Nearest(ctx, []float32{1, 0, 0}, public, 1); !errors.Is(err, context.Canceled) {
			t.Errorf("Nearest(cancelled ctx) error = %v, want context.Canceled", err)
		}
	})
}
