package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sotay/handbook"
	"sotay/handbook/sqlite"
)

// recordingSearcher records the searches asked of it; it cancels stop
// after the nth.
type recordingSearcher struct {
	reqs []handbook.SearchRequest
	n    int
	stop context.CancelFunc
}

func (r *recordingSearcher) Search(ctx context.Context, req handbook.SearchRequest) (*handbook.SearchResult, error) {
	r.reqs = append(r.reqs, req)
	if len(r.reqs) == r.n && r.stop != nil {
		r.stop()
	}
	return &handbook.SearchResult{}, nil
}

// TestWarmUpAsksRecentQuestionsAgain: the warm-up asks the questions of
// the last day again, most asked first, each with the audience of the role
// that asked it, on today's texts and the keyword index only; older
// questions are left out, and it stops when its context ends.
func TestWarmUpAsksRecentQuestionsAgain(t *testing.T) {
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "handbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2026, 7, 1, 1, 0, 0, 0, time.UTC) // 08:00 in Vietnam
	logged := []struct {
		query  string
		role   handbook.Role
		source string
		ago    time.Duration
		times  int
	}{
		{"khai sinh", handbook.RolePublic, handbook.SourceSearch, time.Hour, 3},
		{"kết hôn", handbook.RoleOfficial, handbook.SourceAsk, 2 * time.Hour, 2},
		{"khai sinh", handbook.RoleOfficial, handbook.SourceSearch, 3 * time.Hour, 1},
		{"chứng thực", handbook.RolePublic, handbook.SourceSearch, 23 * time.Hour, 1},
		{"hôm kia", handbook.RolePublic, handbook.SourceSearch, 30 * time.Hour, 9},
	}
	for _, l := range logged {
		for range l.times {
			q := &handbook.Question{Time: now.Add(-l.ago), Source: l.source, Query: l.query, Role: l.role}
			if err := store.LogQuestion(t.Context(), q); err != nil {
				t.Fatal(err)
			}
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := &recordingSearcher{}
	if n := warmUp(t.Context(), r, store, now, log); n != 4 {
		t.Errorf("warmUp asked %d questions, want 4", n)
	}
	type asked struct {
		query    string
		audience handbook.Audience
	}
	var got []asked
	for _, req := range r.reqs {
		got = append(got, asked{req.Query, req.Filter.Audience})
		if req.Mode != handbook.ModeLexical || req.Filter.At != handbook.Today(now) || req.Limit != 10 {
			t.Errorf("%q: mode %q, date %v, limit %d; want lexical, %v, 10", req.Query, req.Mode, req.Filter.At, req.Limit, handbook.Today(now))
		}
	}
	want := []asked{
		{"khai sinh", handbook.AudiencePublic},
		{"kết hôn", handbook.AudienceInternal},
		{"chứng thực", handbook.AudiencePublic},
		{"khai sinh", handbook.AudienceInternal},
	}
	if !slices.Equal(got, want) {
		t.Errorf("asked %v, want %v", got, want)
	}

	ctx, cancel := context.WithCancel(t.Context())
	r = &recordingSearcher{n: 2, stop: cancel}
	if n := warmUp(ctx, r, store, now, log); n != 2 || len(r.reqs) != 2 {
		t.Errorf("cancelled after the second: asked %d (%d searches), want 2", n, len(r.reqs))
	}
}
