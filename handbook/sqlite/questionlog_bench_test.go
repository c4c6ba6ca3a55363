package sqlite

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"sotay/handbook"
)

// BenchmarkLogQuestionParallel logs from four goroutines per processor, as
// a loaded server's searches do, and reports the slowest percent of the
// calls and the commits per entry: callers take an id and go, the queue is
// written in batches behind them.
func BenchmarkLogQuestionParallel(b *testing.B) {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "handbook.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t := time.Now()
			if err := s.LogQuestion(b.Context(), &handbook.Question{Source: handbook.SourceSearch, Query: "đăng ký khai sinh",
				Role: handbook.RolePublic, Results: []string{"procedures/khai-sinh#", "faq/khai-sinh#"}}); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	}
	b.ReportMetric(float64(s.logq.commits.Load())/float64(b.N), "commits/op")
}
