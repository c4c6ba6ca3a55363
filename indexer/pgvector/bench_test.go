package pgvector_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"sotay/handbook"
	"sotay/indexer/indexertest"
	"sotay/indexer/pgvector"
)

// benchVectors returns n vectors of dimension dim with the same seed and
// chunk ids as memvec's benchmark, so the figures compare.
func benchVectors(n, dim int) []handbook.Vector {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]handbook.Vector, n)
	for i := range out {
		v := make([]float32, dim)
		for j := range v {
			v[j] = r.Float32()*2 - 1
		}
		c := indexertest.Chunk(fmt.Sprintf("regulations/bench-%d", i/20), fmt.Sprintf("dieu-%d", i), handbook.KindRegulation, "t", "h", "x")
		out[i] = handbook.Vector{Chunk: c, Values: v}
	}
	return out
}

func benchQuery(dim int) []float32 {
	q := make([]float32, dim)
	for i := range q {
		q[i] = float32(i%7) - 3
	}
	return q
}

// BenchmarkUpsert measures insert throughput at dimension 1024 (bge-m3):
// batches of 1,000 into a table without the HNSW index (a bulk load), and
// batches of 64 (VectorSync's default) into a table that has it.
func BenchmarkUpsert(b *testing.B) {
	const dim = 1024
	for _, tc := range []struct {
		name    string
		batch   int
		indexed bool
	}{{"bulk/batch=1000", 1000, false}, {"hnsw/batch=64", 64, true}} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := pgvector.Open(b.Context(), indexertest.PGVector(b), "bench", dim)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			pool := benchVectors(20_000, dim)
			if tc.indexed {
				if err := s.Upsert(b.Context(), pool[:2000]); err != nil {
					b.Fatal(err)
				}
				if err := s.BuildIndex(b.Context()); err != nil {
					b.Fatal(err)
				}
				pool = pool[2000:]
			}
			i, n := 0, 0
			start := time.Now()
			for b.Loop() {
				batch := make([]handbook.Vector, tc.batch)
				for j := range batch {
					batch[j] = pool[(i+j)%len(pool)]
					batch[j].Chunk.ID = fmt.Sprintf("%s~%d", batch[j].Chunk.ID, i+j) // always a new row
				}
				i += tc.batch
				if err := s.Upsert(b.Context(), batch); err != nil {
					b.Fatal(err)
				}
				n += tc.batch
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "vectors/s")
		})
	}
}

// BenchmarkNearest measures a top-10 query at dimension 1024 on 10k (and,
// without -short, 100k) chunks: exact (before BuildIndex) and with the HNSW
// index, with the point-in-time filter memvec's benchmark uses. It logs the
// load and index build times and reports recall@10 of the HNSW results
// against the exact ones for 20 queries.
func BenchmarkNearest(b *testing.B) {
	const dim, k = 1024, 10
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			if testing.Short() && n > 10_000 {
				b.Skip("large benchmark skipped in -short mode")
			}
			ctx := b.Context()
			dsn := indexertest.PGVector(b)
			if n > 10_000 && isPGlite(b, dsn) {
				b.Skip("PGlite (WASM, one in-memory database) cannot hold 100k vectors of dimension 1024; run against the pgvector/pgvector image")
			}
			s, err := pgvector.Open(ctx, dsn, "bench", dim)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			data := benchVectors(n, dim)
			start := time.Now()
			for i := 0; i < n; i += 1000 {
				if err := s.Upsert(ctx, data[i:min(i+1000, n)]); err != nil {
					b.Fatal(err)
				}
			}
			load := time.Since(start)
			f := handbook.Filter{At: handbook.MustDate("2026-11-25")}
			queries := [][]float32{benchQuery(dim)}
			for i := range 19 {
				queries = append(queries, data[(i*7919)%n].Values)
			}
			exact := make([][]handbook.Hit, len(queries))
			for i, q := range queries {
				if exact[i], err = s.Nearest(ctx, q, f, k); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("exact", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Nearest(ctx, queries[0], f, k); err != nil {
						b.Fatal(err)
					}
				}
			})
			start = time.Now()
			if err := s.BuildIndex(ctx); err != nil {
				b.Fatal(err)
			}
			build := time.Since(start)
			var found, total int
			for i, q := range queries {
				hits, err := s.Nearest(ctx, q, f, k)
				if err != nil {
					b.Fatal(err)
				}
				want := map[string]bool{}
				for _, h := range exact[i] {
					want[h.ChunkID] = true
				}
				for _, h := range hits {
					if want[h.ChunkID] {
						found++
					}
				}
				total += len(exact[i])
			}
			b.Logf("n=%d dim=%d: load %.1fs (%.0f vectors/s, batches of 1000), HNSW build %.1fs", n, dim,
				load.Seconds(), float64(n)/load.Seconds(), build.Seconds())
			b.Run("hnsw", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Nearest(ctx, queries[0], f, k); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(found)/float64(total), "recall@10")
			})
		})
	}
}

func isPGlite(b *testing.B, dsn string) bool {
	conn, err := pgx.Connect(b.Context(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(b.Context())
	var v string
	if err := conn.QueryRow(b.Context(), "SELECT version()", pgx.QueryExecModeSimpleProtocol).Scan(&v); err != nil {
		b.Fatal(err)
	}
	return strings.Contains(v, "PGlite")
}
