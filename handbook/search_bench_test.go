package handbook_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"syscall"
	"testing"
	"time"

	"sotay/handbook"
	"sotay/internal/gctune"
)

// BenchmarkSearchContent times Retriever.Search (query analysis, bleve,
// rerank, snippets) on the built-in content over the gold questions, and
// reports p50/p95 and the ranking quality of the same questions, so a
// speed-up that costs recall shows in the same line. It runs with the
// server's garbage-collector setting (internal/gctune). Its p50 is the query
// latency figure in docs/BENCHMARKS.md:
//
//	go test ./handbook -run '^$' -bench SearchContent -benchtime 3000x
func BenchmarkSearchContent(b *testing.B) {
	var cases []handbook.EvalCase
	files, _ := filepath.Glob("../eval/*.jsonl")
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		cs, err := handbook.ReadEvalCases(fh, name)
		fh.Close()
		if err != nil {
			b.Fatal(err)
		}
		cases = append(cases, cs...)
	}
	if len(cases) == 0 {
		b.Skip("no gold set in eval/")
	}
	a, _ := contentAssistant(b)
	r := a.Retriever
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	gctune.Apply() // as handbook serve runs
	f := handbook.Filter{Audience: handbook.AudienceInternal, At: handbook.DateOf(time.Now())}
	rep, err := handbook.Evaluate(b.Context(), cases, func(ctx context.Context, q string) ([]handbook.Hit, error) {
		res, err := r.Search(ctx, handbook.SearchRequest{Query: q, Limit: 10, Filter: f})
		if err != nil {
			return nil, err
		}
		return res.Hits, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		c := cases[i%len(cases)]
		i++
		start := time.Now()
		if _, err := r.Search(b.Context(), handbook.SearchRequest{Query: c.Query, Limit: 10, Filter: f}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	cpu = cpuTime() - cpu
	slices.Sort(lat)
	// CPU time per search (this process, all threads, GC included) is
	// steadier than wall-clock percentiles on a shared machine.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(lat)), "cpu-ms/op")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(rep.R1, "recall@1")
	b.ReportMetric(rep.MRR10, "mrr@10")
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
