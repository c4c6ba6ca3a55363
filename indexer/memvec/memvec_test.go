package memvec_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"sotay/handbook"
	"sotay/indexer/indexertest"
	"sotay/indexer/memvec"
)

func TestContract(t *testing.T) {
	indexertest.TestVectorStore(t, func(t *testing.T) handbook.VectorStore { return memvec.New() })
}

func TestSnapshotRoundTripAndModelStamp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vectors.gob")
	s, err := memvec.Open(path, "bge-m3")
	if err != nil {
		t.Fatal(err)
	}
	c := indexertest.Corpus()[0]
	if err := s.Upsert(t.Context(), []handbook.Vector{{Chunk: c, Values: []float32{3, 4}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	s2, err := memvec.Open(path, "bge-m3")
	if err != nil {
		t.Fatal(err)
	}
	if !s2.Has(c.ID, c.Hash()) || s2.Len() != 1 {
		t.Errorf("reopened store lost the vector")
	}
	if _, err := memvec.Open(path, "other-model"); handbook.ErrorCode(err) != handbook.Conflict {
		t.Errorf("Open with another model error = %v, want conflict", err)
	}
}

func benchStore(b *testing.B, n, dim int) *memvec.Store {
	r := rand.New(rand.NewPCG(1, 2))
	s := memvec.New()
	batch := make([]handbook.Vector, 0, 1000)
	for i := range n {
		v := make([]float32, dim)
		for j := range v {
			v[j] = r.Float32()*2 - 1
		}
		c := indexertest.Chunk(fmt.Sprintf("regulations/bench-%d", i/20), fmt.Sprintf("dieu-%d", i), handbook.KindRegulation, "t", "h", "x")
		batch = append(batch, handbook.Vector{Chunk: c, Values: v})
		if len(batch) == cap(batch) {
			if err := s.Upsert(b.Context(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := s.Upsert(b.Context(), batch); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkNearest measures a top-10 query at dimension 1024 (bge-m3), with
// the inner product the CPU gets (dot=selected: AVX+FMA assembly on amd64)
// and, as the same-run baseline, the portable Go loop (dot=portable).
func BenchmarkNearest(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			if testing.Short() && n > 10_000 {
				b.Skip("large benchmark skipped in -short mode")
			}
			s := benchStore(b, n, 1024)
			q := make([]float32, 1024)
			for i := range q {
				q[i] = float32(i%7) - 3
			}
			f := handbook.Filter{At: handbook.MustDate("2026-11-25")}
			for _, impl := range []string{"selected", "portable"} {
				b.Run("dot="+impl, func(b *testing.B) {
					if impl == "portable" {
						memvec.UsePortableDot(b)
					}
					for b.Loop() {
						if _, err := s.Nearest(b.Context(), q, f, 10); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// TestSaveWhileWriting saves while another goroutine replaces and deletes
// vectors in place; run with -race. Every snapshot must load.
func TestSaveWhileWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vectors.gob")
	s, err := memvec.Open(path, "m")
	if err != nil {
		t.Fatal(err)
	}
	corpus := indexertest.Corpus()
	put := func(x float32) error {
		var vs []handbook.Vector
		for i, c := range corpus {
			vs = append(vs, handbook.Vector{Chunk: c, Values: []float32{x, float32(i), 1}})
		}
		return s.Upsert(t.Context(), vs)
	}
	if err := put(1); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		for i := range 200 {
			if err := put(float32(i)); err != nil {
				done <- err
				return
			}
			if err := s.DeleteDocument(t.Context(), corpus[i%len(corpus)].DocID); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range 20 {
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		if _, err := memvec.Open(path, "m"); err != nil {
			t.Fatalf("snapshot saved during writes does not load: %v", err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestDotMatchesPortable: the selected inner product (assembly where the CPU
// has AVX and FMA) agrees with the portable loop for every length around
// the unrolled widths and at bge-m3's dimension.
func TestDotMatchesPortable(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	lengths := []int{1024, 1023, 768, 384}
	for n := range 80 {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		a, b := make([]float32, n), make([]float32, n+3) // b may be longer
		var scale float64
		for i := range a {
			a[i], b[i] = r.Float32()*2-1, r.Float32()*2-1
			scale += math.Abs(float64(a[i] * b[i]))
		}
		got, want := memvec.Dot(a, b), memvec.DotGo(a, b)
		if math.Abs(float64(got-want)) > 1e-5*max(scale, 1) {
			t.Errorf("n=%d: Dot = %v, portable %v", n, got, want)
		}
	}
}
