package main

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"sotay/handbook"
)

// A server that has just started answers its first searches slower: the
// postings cache, the cached record locators and document counts, and the
// page cache of the index fill as questions come (at 100k chunks the first
// pass over 500 questions had a p50 of 5.5 ms, the second 3.3 ms, and an
// open load of 300 searches/s started at /readyz queued to p95 393 ms for
// its first 10 s; docs/BENCHMARKS.md). Once the index is ready, warmUp
// asks the questions asked most in the day before the start again, one at
// a time, so that the callers after a restart find the caches as the
// callers before it left them.

// Bounds of the warm-up: questions of the last warmWindow, the warmMax
// asked most, read from at most warmScan log entries.
const (
	warmWindow = 24 * time.Hour
	warmMax    = 300
	warmScan   = 200000
)

var errWarmScanned = errors.New("warm-up: enough of the log read")

type searcher interface {
	Search(ctx context.Context, req handbook.SearchRequest) (*handbook.SearchResult, error)
}

// warmQuery is a question to ask again, with the audience it was asked for.
type warmQuery struct {
	query    string
	audience handbook.Audience
}

// warmUp searches again for the questions asked most in the day before
// now, most asked first; it stops when ctx ends. It returns how many it
// asked.
func warmUp(ctx context.Context, r searcher, store handbook.Store, now time.Time, log *slog.Logger) int {
	start := time.Now()
	counts := map[warmQuery]int{}
	scanned := 0
	err := store.Questions(ctx, now.Add(-warmWindow), now, func(q *handbook.Question) error {
		if scanned++; scanned > warmScan {
			return errWarmScanned
		}
		if q.Source == handbook.SourceSearch || q.Source == handbook.SourceAsk {
			counts[warmQuery{q.Query, q.Role.Audience()}]++
		}
		return nil
	})
	if err != nil && !errors.Is(err, errWarmScanned) {
		log.Warn("warm-up: read the question log", "err", err)
		return 0
	}
	queries := make([]warmQuery, 0, len(counts))
	for q := range counts {
		queries = append(queries, q)
	}
	slices.SortFunc(queries, func(a, b warmQuery) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a.query, b.query), cmp.Compare(a.audience, b.audience))
	})
	queries = queries[:min(len(queries), warmMax)]
	today := handbook.Today(now)
	asked := 0
	for _, q := range queries {
		if ctx.Err() != nil {
			break
		}
		f := handbook.Filter{Audience: q.audience, At: today}
		// Lexical: the caches are the keyword index's, and a model
		// server need not embed hundreds of questions at every start.
		req := handbook.SearchRequest{Query: q.query, Limit: 10, Filter: f, Mode: handbook.ModeLexical}
		if _, err := r.Search(ctx, req); err == nil {
			asked++
		}
	}
	log.Info("warm-up: recent questions asked again", "questions", asked, "took", time.Since(start).Round(time.Millisecond))
	return asked
}
