package indexertest

import (
	"context"
	"errors"
	"math"
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
	t.Run("PointInTimeAndStatus", func(t *testing.T) {
		s := loaded(t)
		future := Chunk("regulations/nd-moi", "dieu-1", handbook.KindRegulation, "Nghị định mới", "Điều 1", "Chưa có hiệu lực.")
		future.ValidFrom = handbook.MustDate("2030-01-01")
		endsToday := Chunk("regulations/nd-het-han", "dieu-1", handbook.KindRegulation, "Nghị định hết hạn hôm nay", "Điều 1", "Hết hiệu lực từ hôm nay.")
		endsToday.ValidFrom, endsToday.ValidTo = handbook.MustDate("2020-01-01"), today
		startsToday := Chunk("regulations/nd-bat-dau", "dieu-1", handbook.KindRegulation, "Nghị định có hiệu lực hôm nay", "Điều 1", "Có hiệu lực từ hôm nay.")
		startsToday.ValidFrom = today
		archived := Chunk("technology/cu", "muc-1", handbook.KindGuide, "Hướng dẫn cũ", "Mục 1", "Đã lưu trữ.")
		archived.Status = handbook.StatusArchived
		upsert(t, s, vec(future, 0, 1, 0), vec(endsToday, 0, 1, 0.01), vec(startsToday, 0, 1, 0.02), vec(archived, 0, 1, 0))
		got := nearest(t, s, []float32{0, 1, 0}, public, 20)
		if !slices.Contains(got, startsToday.ID) {
			t.Errorf("a text in force from today is missing: %q", got)
		}
		for _, id := range []string{future.ID, endsToday.ID, archived.ID, corpus[4].ID} {
			if slices.Contains(got, id) {
				t.Errorf("%s returned on %s: %q", id, today, got)
			}
		}
		all := public
		all.AllDates = true
		got = nearest(t, s, []float32{0, 1, 0}, all, 20)
		for _, id := range []string{future.ID, endsToday.ID, startsToday.ID, corpus[4].ID} {
			if !slices.Contains(got, id) {
				t.Errorf("AllDates: %s missing: %q", id, got)
			}
		}
		if slices.Contains(got, archived.ID) || slices.Contains(got, corpus[5].ID) {
			t.Errorf("AllDates let an archived or internal chunk through: %q", got)
		}
		if got := nearest(t, s, []float32{0, 1, 0}, handbook.Filter{Audience: handbook.AudienceInternal}, 20); slices.Contains(got, archived.ID) {
			t.Errorf("archived chunk returned without any date filter: %q", got)
		}
	})
	t.Run("DocsFilter", func(t *testing.T) {
		s := loaded(t)
		f := public
		f.Docs = []string{corpus[1].DocID, corpus[2].DocID, corpus[5].DocID}
		got := nearest(t, s, []float32{1, 0, 0}, f, 10)
		if want := []string{corpus[1].ID, corpus[2].ID}; !slices.Equal(got, want) {
			t.Errorf("Docs filter = %q, want %q (the internal one stays hidden)", got, want)
		}
	})
	t.Run("LimitsAndEmptyStore", func(t *testing.T) {
		if got := nearest(t, open(t), []float32{1, 0, 0}, public, 5); len(got) != 0 {
			t.Errorf("empty store Nearest = %q", got)
		}
		s := loaded(t)
		if got := nearest(t, s, []float32{1, 0, 0}, public, 0); len(got) != 0 {
			t.Errorf("Nearest(k=0) = %q", got)
		}
		// Four chunks pass the public filter today; a larger k gets them all.
		if got := nearest(t, s, []float32{1, 0, 0}, public, 100); len(got) != 4 {
			t.Errorf("Nearest(k=100) = %q, want the 4 allowed chunks", got)
		}
	})
	t.Run("HitsCarryChunkFieldsAndCosine", func(t *testing.T) {
		s := loaded(t)
		hits, err := s.Nearest(t.Context(), []float32{9, 1, 1}, public, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].ChunkID != corpus[3].ID {
			t.Fatalf("Nearest = %q, want %s first", chunkIDs(hits), corpus[3].ID)
		}
		h, c := hits[0], corpus[3]
		if h.DocID != c.DocID || h.Anchor != c.Anchor || h.Kind != c.Kind || h.Title != c.Title || h.Heading != c.Heading ||
			h.Text != c.Text || h.Audience != c.Audience || h.ValidFrom != c.ValidFrom || h.ValidTo != c.ValidTo {
			t.Errorf("hit %+v does not carry the chunk's fields %+v", h, c)
		}
		if math.Abs(h.Score-1) > 1e-5 {
			t.Errorf("score of the same direction = %v, want 1", h.Score)
		}
		for i := 1; i < len(hits); i++ {
			if hits[i].Score > hits[i-1].Score {
				t.Errorf("scores not descending: %v after %v", hits[i].Score, hits[i-1].Score)
			}
			if hits[i].Score < -1-1e-6 || hits[i].Score > 1+1e-6 {
				t.Errorf("score %v outside [-1, 1]", hits[i].Score)
			}
		}
		if hits[0].Field != "" {
			t.Errorf("Field = %q, want empty for a regulation", hits[0].Field)
		}
		got, err := s.Nearest(t.Context(), []float32{0, 0, 1}, public, 1)
		if err != nil || len(got) != 1 || got[0].Field != corpus[2].Field {
			t.Errorf("Nearest = %+v, %v; want %s with field %q", got, err, corpus[2].ID, corpus[2].Field)
		}
	})
	t.Run("RejectsGarbageVectors", func(t *testing.T) {
		s := loaded(t)
		nan, inf := float32(math.NaN()), float32(math.Inf(1))
		for name, values := range map[string][]float32{"NaN": {1, nan, 0}, "Inf": {inf, 0, 0}, "zeros": {0, 0, 0}, "empty": {}} {
			if err := s.Upsert(t.Context(), []handbook.Vector{vec(corpus[0], values...)}); handbook.ErrorCode(err) != handbook.Invalid {
				t.Errorf("Upsert(%s) error = %v, want invalid", name, err)
			}
			if name == "empty" {
				continue
			}
			if _, err := s.Nearest(t.Context(), values, public, 3); handbook.ErrorCode(err) != handbook.Invalid {
				t.Errorf("Nearest(%s) error = %v, want invalid", name, err)
			}
		}
		// The refused vectors changed nothing.
		if got := nearest(t, s, []float32{1, 0, 0}, public, 1); !slices.Equal(got, []string{corpus[0].ID}) {
			t.Errorf("after refused upserts Nearest = %q", got)
		}
	})
	t.Run("QueryDimensionMismatchIsConflict", func(t *testing.T) {
		s := loaded(t)
		if _, err := s.Nearest(t.Context(), []float32{1, 0}, public, 3); handbook.ErrorCode(err) != handbook.Conflict {
			t.Errorf("Nearest(wrong dim) error = %v, want conflict", err)
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
