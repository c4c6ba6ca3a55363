// Package memvec is the default in-process handbook.VectorStore: exact cosine
// search over normalised vectors, filters applied per chunk before scoring,
// and a gob snapshot in the data directory. It imports handbook and the
// standard library only.
package memvec

import (
	"container/heap"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"sotay/handbook"
)

var _ handbook.VectorStore = (*Store)(nil)

// Store holds vectors in memory. Vectors are normalised once on insert so
// that cosine similarity is a plain dot product.
type Store struct {
	mu     sync.RWMutex
	model  string
	dim    int
	ids    []string // position → chunk id
	chunks []handbook.Chunk
	vecs   []float32 // len(ids)*dim, row-major
	pos    map[string]int
	path   string
}

// New returns an empty store that is not persisted.
func New() *Store { return &Store{pos: map[string]int{}} }

// snapshot is the on-disk form.
type snapshot struct {
	Version int
	Model   string
	Dim     int
	IDs     []string
	Chunks  []handbook.Chunk
	Vecs    []float32
}

const snapshotVersion = 1

// Open loads the snapshot at path (a missing file gives an empty store) and
// remembers path for Save. model stamps the snapshot: a snapshot made with
// another embedding model is a conflict (re-index with -rebuild).
func Open(path, model string) (*Store, error) {
	s := New()
	s.path, s.model = path, model
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open vector snapshot: %w", err)
	}
	defer f.Close()
	var snap snapshot
	if err := gob.NewDecoder(f).Decode(&snap); err != nil {
		return nil, fmt.Errorf("decode vector snapshot %s: %w", path, err)
	}
	if snap.Version != snapshotVersion {
		return nil, fmt.Errorf("vector snapshot %s has version %d: %w", path, snap.Version, handbook.ErrConflict)
	}
	if snap.Model != model && len(snap.IDs) > 0 {
		return nil, fmt.Errorf("vector snapshot %s was made with model %q, not %q: %w", path, snap.Model, model, handbook.ErrConflict)
	}
	s.dim, s.ids, s.chunks, s.vecs = snap.Dim, snap.IDs, snap.Chunks, snap.Vecs
	for i, id := range s.ids {
		s.pos[id] = i
	}
	return s, nil
}

// Save writes the snapshot atomically (temporary file, fsync, rename). It
// holds the read lock while encoding: searches go on, writes wait, because
// Upsert and DeleteDocument change the arrays in place.
func (s *Store) Save() error {
	if s.path == "" {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap := snapshot{Version: snapshotVersion, Model: s.model, Dim: s.dim, IDs: s.ids, Chunks: s.chunks, Vecs: s.vecs}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(s.path), ".memvec-*")
	if err != nil {
		return fmt.Errorf("save vector snapshot: %w", err)
	}
	defer os.Remove(f.Name())
	if err := gob.NewEncoder(f).Encode(&snap); err != nil {
		f.Close()
		return fmt.Errorf("save vector snapshot: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save vector snapshot: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save vector snapshot: %w", err)
	}
	return os.Rename(f.Name(), s.path)
}

// Close saves the snapshot.
func (s *Store) Close() error { return s.Save() }

// Len returns the number of vectors.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.ids)
}

// Has reports whether chunk id is stored with the given content hash.
func (s *Store) Has(id, hash string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.pos[id]
	return ok && s.chunks[i].Hash() == hash
}

func normalise(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	if n == 0 {
		return out
	}
	inv := float32(1 / math.Sqrt(n))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}

// Upsert adds or replaces vectors by chunk id. All vectors must have the
// store's dimension (set by the first insert).
func (s *Store) Upsert(ctx context.Context, vs []handbook.Vector) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vs {
		if err := handbook.CheckVector(v.Values); err != nil {
			return fmt.Errorf("upsert %s: %w", v.Chunk.ID, err)
		}
		if s.dim == 0 {
			s.dim = len(v.Values)
		}
		if len(v.Values) != s.dim {
			return fmt.Errorf("upsert %s: dimension %d, store has %d: %w", v.Chunk.ID, len(v.Values), s.dim, handbook.ErrConflict)
		}
		nv := normalise(v.Values)
		if i, ok := s.pos[v.Chunk.ID]; ok {
			s.chunks[i] = v.Chunk
			copy(s.vecs[i*s.dim:(i+1)*s.dim], nv)
			continue
		}
		s.pos[v.Chunk.ID] = len(s.ids)
		s.ids = append(s.ids, v.Chunk.ID)
		s.chunks = append(s.chunks, v.Chunk)
		s.vecs = append(s.vecs, nv...)
	}
	return nil
}

// DeleteDocument removes every vector of docID, compacting the arrays.
func (s *Store) DeleteDocument(ctx context.Context, docID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := 0
	for r := range s.ids {
		if s.chunks[r].DocID == docID {
			delete(s.pos, s.ids[r])
			continue
		}
		if w != r {
			s.ids[w], s.chunks[w] = s.ids[r], s.chunks[r]
			copy(s.vecs[w*s.dim:(w+1)*s.dim], s.vecs[r*s.dim:(r+1)*s.dim])
			s.pos[s.ids[w]] = w
		}
		w++
	}
	s.ids, s.chunks, s.vecs = s.ids[:w], s.chunks[:w], s.vecs[:w*s.dim]
	return nil
}

type scored struct {
	i     int
	score float32
}

// minHeap keeps the k best scores with the worst on top. A fixed-size heap
// beats sorting all scores (chromem-go measured the same).
type minHeap []scored

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i].score < h[j].score }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Nearest returns the k chunks most similar to q that pass f. The scan is
// split across the CPUs; each part keeps its own heap.
func (s *Store) Nearest(ctx context.Context, q []float32, f handbook.Filter, k int) ([]handbook.Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := handbook.CheckVector(q); err != nil {
		return nil, fmt.Errorf("nearest: query %w", err)
	}
	if k <= 0 {
		return nil, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := len(s.ids)
	if n == 0 {
		return nil, nil
	}
	if len(q) != s.dim {
		return nil, fmt.Errorf("query dimension %d, store has %d: %w", len(q), s.dim, handbook.ErrConflict)
	}
	qn := normalise(q)
	parts := min(runtime.GOMAXPROCS(0), max(1, n/2048))
	heaps := make([]minHeap, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*n/parts, (p+1)*n/parts
		wg.Go(func() {
			h := make(minHeap, 0, k+1)
			for i := lo; i < hi; i++ {
				if i%4096 == 0 && ctx.Err() != nil {
					return
				}
				if !f.Allows(&s.chunks[i]) {
					continue
				}
				sc := dot(qn, s.vecs[i*s.dim:(i+1)*s.dim])
				if len(h) < k {
					heap.Push(&h, scored{i, sc})
				} else if sc > h[0].score {
					h[0] = scored{i, sc}
					heap.Fix(&h, 0)
				}
			}
			heaps[p] = h
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var all minHeap
	for _, h := range heaps {
		all = append(all, h...)
	}
	// Sort descending by score, ties by position for a stable order.
	slicesSortScored(all)
	if len(all) > k {
		all = all[:k]
	}
	hits := make([]handbook.Hit, len(all))
	for j, sc := range all {
		c := &s.chunks[sc.i]
		hits[j] = handbook.Hit{
			ChunkID: c.ID, DocID: c.DocID, Anchor: c.Anchor, Kind: c.Kind, Title: c.Title, Heading: c.Heading,
			Field: c.Field, Text: c.Text, Score: float64(sc.score), Audience: c.Audience,
			ValidFrom: c.ValidFrom, ValidTo: c.ValidTo,
		}
	}
	return hits, nil
}

func slicesSortScored(a []scored) {
	// insertion into a sorted slice is fine for k*parts ≤ a few hundred
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && (a[j].score > a[j-1].score || (a[j].score == a[j-1].score && a[j].i < a[j-1].i)); j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// dot is the inner product of a and b (len(b) >= len(a)): dotGo, or an
// assembly version where the CPU has one (dot_amd64.go).
var dot = dotGo

// dotGo is the inner product, unrolled by four.
func dotGo(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
