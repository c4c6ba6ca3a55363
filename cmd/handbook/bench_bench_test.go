package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sotay/handbook"
	"sotay/indexer"
	"sotay/internal/gctune"
	"sotay/internal/synth"
)

// Search benchmarks on a synthetic corpus. By default they generate and
// index 10,000 chunks once (about a minute); pass a corpus from
// `handbook bench gen` and a data directory to reuse an index:
//
//	go test ./cmd/handbook -run '^$' -bench Search -bench.corpus /tmp/c100k -bench.data /tmp/c100k-data
//
// They report Recall@1 and MRR@10 next to the time per search, so a speed-up
// that costs ranking quality shows.
var (
	benchCorpusFlag = flag.String("bench.corpus", "", "corpus directory from `handbook bench gen` (default: generate 10k chunks)")
	benchDataFlag   = flag.String("bench.data", "", "data directory holding (or receiving) the corpus index")
	benchPostings   = flag.Int("bench.postings-mb", -1, "postings cache in MiB (0: none; -1: the default)")
	benchCandidates = flag.Int("bench.candidates", 0, "lexical candidates the reranker sees (0: handbook.DefaultCandidates)")
	benchDump       = flag.String("bench.dump", "", "BenchmarkSearch writes each question's hits, ids and exact scores, to this file: two builds that must rank alike can be diffed")
)

type benchFixture struct {
	retriever *handbook.Retriever
	cases     []handbook.EvalCase
	filter    handbook.Filter
	close     func()
}

var (
	searchOnce sync.Once
	searchFix  *benchFixture
	searchErr  error
)

func searchFixture(b *testing.B) *benchFixture {
	b.Helper()
	if testing.Short() {
		b.Skip("large benchmark: skipped with -short")
	}
	searchOnce.Do(func() {
		corpus := *benchCorpusFlag
		tmp := ""
		if corpus == "" || *benchDataFlag == "" {
			tmp, searchErr = os.MkdirTemp("", "handbook-benchmark-")
			if searchErr != nil {
				return
			}
		}
		if corpus == "" {
			corpus = filepath.Join(tmp, "corpus")
			if _, searchErr = generateCorpus(corpus, synth.Options{Chunks: 10000, Queries: 300, Seed: 1}); searchErr != nil {
				return
			}
		}
		data := *benchDataFlag
		if data == "" {
			data = filepath.Join(tmp, "data")
		}
		var lib *handbook.Library
		if lib, searchErr = indexer.Load(os.DirFS(filepath.Join(corpus, corpusContent))); searchErr != nil {
			return
		}
		f := &benchFixture{filter: handbook.Filter{Audience: handbook.AudiencePublic, At: handbook.Today(time.Now())}}
		if f.cases, searchErr = readCases(filepath.Join(corpus, corpusQueries)); searchErr != nil {
			return
		}
		benchPostingsMB = *benchPostings
		m := newBenchManager(filepath.Join(data, "index"))
		if _, searchErr = m.OpenCurrent(); searchErr != nil {
			return
		}
		if _, searchErr = m.Sync(b.Context(), lib, false); searchErr != nil {
			return
		}
		f.retriever = &handbook.Retriever{Keyword: m, Candidates: *benchCandidates}
		f.retriever.SetAnalyzer(handbook.NewAnalyzer(lib))
		f.close = func() {
			m.Close()
			if tmp != "" {
				os.RemoveAll(tmp)
			}
		}
		searchFix = f
	})
	if searchErr != nil {
		b.Fatal(searchErr)
	}
	return searchFix
}

// BenchmarkSearch times Retriever.Search (analysis, bleve, rerank, snippets)
// per question, and reports the ranking quality of the same questions.
func BenchmarkSearch(b *testing.B) {
	f := searchFixture(b)
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	gctune.Apply() // as handbook serve runs
	rep, err := handbook.Evaluate(b.Context(), f.cases, func(ctx context.Context, q string) ([]handbook.Hit, error) {
		res, err := f.retriever.Search(ctx, handbook.SearchRequest{Query: q, Limit: 10, Filter: f.filter})
		if err != nil {
			return nil, err
		}
		return res.Hits, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if *benchDump != "" {
		if err := dumpHits(b.Context(), f, *benchDump); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		c := f.cases[i%len(f.cases)]
		i++
		if _, err := f.retriever.Search(b.Context(), handbook.SearchRequest{Query: c.Query, Limit: 10, Filter: f.filter}); err != nil {
			b.Fatal(err)
		}
	}
	// The process's CPU per search (collector included): steadier than wall
	// time on a shared machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(i), "cpu-ms/op")
	b.ReportMetric(rep.R1, "recall@1")
	b.ReportMetric(rep.MRR10, "mrr@10")
}

// dumpHits writes, per question, the ids of its hits with their scores'
// bits and snippets: a change meant to leave ranking alone must leave the
// file alike to the byte.
func dumpHits(ctx context.Context, f *benchFixture, name string) error {
	var buf bytes.Buffer
	for _, c := range f.cases {
		res, err := f.retriever.Search(ctx, handbook.SearchRequest{Query: c.Query, Limit: 10, Filter: f.filter})
		if err != nil {
			return err
		}
		fmt.Fprintf(&buf, "%q\n", c.Query)
		for _, h := range res.Hits {
			fmt.Fprintf(&buf, "\t%s %x %q\n", h.ChunkID, math.Float64bits(h.Score), h.Snippet)
		}
	}
	return os.WriteFile(name, buf.Bytes(), 0o644)
}

// BenchmarkSearchParallel runs the same searches from 4 goroutines per
// processor (8 on the 2-core reference machine), as the HTTP benchmark's
// concurrency 8 does without the HTTP: it shows what searches cost each
// other (collector, accumulators, caches), which one at a time hides.
func BenchmarkSearchParallel(b *testing.B) {
	f := searchFixture(b)
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	gctune.Apply()
	for _, c := range f.cases { // warm caches as BenchmarkSearch's evaluation does
		if _, err := f.retriever.Search(b.Context(), handbook.SearchRequest{Query: c.Query, Limit: 10, Filter: f.filter}); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	cpu0 := cpuTime()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := f.cases[int(next.Add(1))%len(f.cases)]
			if _, err := f.retriever.Search(b.Context(), handbook.SearchRequest{Query: c.Query, Limit: 10, Filter: f.filter}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(max(next.Load(), 1)), "cpu-ms/op")
}
