package indexer_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"sotay/handbook"
	"sotay/indexer"
	"sotay/indexer/memvec"
)

// countingEmbedder returns deterministic vectors and counts the texts it saw.
type countingEmbedder struct {
	texts atomic.Int64
	calls atomic.Int64
}

func (e *countingEmbedder) Model() string { return "fake-3" }

func (e *countingEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	e.calls.Add(1)
	e.texts.Add(int64(len(texts)))
	out := make([][]float32, len(texts))
	for i, t := range texts {
		h := fnv.New32a()
		h.Write([]byte(t))
		s := h.Sum32()
		out[i] = []float32{float32(s%97) + 1, float32(s%89) + 1, float32(s%83) + 1}
	}
	return out, nil
}

func doc(id, text string) *handbook.Document {
	return &handbook.Document{
		ID: id, Kind: handbook.KindGuide, Title: id, Audience: handbook.AudiencePublic, Status: handbook.StatusPublished,
		Hash:     fmtHash(text),
		Sections: []handbook.Section{{Kind: handbook.SectionHeading, Anchor: "muc-1", Heading: "Mục 1", Text: text}},
	}
}

func fmtHash(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return string(rune('a'+h.Sum64()%26)) + s
}

func TestVectorSyncEmbedsOnlyWhatChanged(t *testing.T) {
	dir := t.TempDir()
	emb := &countingEmbedder{}
	cache, err := indexer.OpenFileCache(filepath.Join(dir, "cache.bin"))
	if err != nil {
		t.Fatal(err)
	}
	store := memvec.New()
	vs := &indexer.VectorSync{Store: store, Embedder: emb, Cache: cache, Manifest: filepath.Join(dir, "manifest.json"), BatchSize: 2}
	lib := handbook.NewLibrary([]*handbook.Document{doc("technology/a", "một"), doc("technology/b", "hai"), doc("technology/c", "ba")}, nil, nil)

	n, err := vs.Sync(t.Context(), lib, nil)
	if err != nil || n != 3 || store.Len() != 3 {
		t.Fatalf("first sync embedded %d (err %v), store has %d", n, err, store.Len())
	}
	// Unchanged content: zero embedding calls.
	calls := emb.calls.Load()
	if n, err := vs.Sync(t.Context(), lib, nil); err != nil || n != 0 || emb.calls.Load() != calls {
		t.Errorf("re-sync of unchanged content embedded %d (calls %d→%d, err %v)", n, calls, emb.calls.Load(), err)
	}
	// One document changes: only its chunk is embedded; one is removed.
	lib2 := handbook.NewLibrary([]*handbook.Document{doc("technology/a", "một"), doc("technology/b", "hai đã sửa")}, nil, nil)
	if n, err := vs.Sync(t.Context(), lib2, nil); err != nil || n != 1 {
		t.Errorf("sync after one edit embedded %d, want 1 (err %v)", n, err)
	}
	if store.Len() != 2 {
		t.Errorf("store has %d vectors after a removal, want 2", store.Len())
	}
	// A fresh store with the same cache (e.g. after losing the snapshot or
	// an interrupted run) is rebuilt without any embedding call.
	cache2, err := indexer.OpenFileCache(filepath.Join(dir, "cache.bin"))
	if err != nil {
		t.Fatal(err)
	}
	fresh := &indexer.VectorSync{Store: memvec.New(), Embedder: emb, Cache: cache2, Manifest: filepath.Join(dir, "m2.json")}
	before := emb.texts.Load()
	if n, err := fresh.Sync(t.Context(), lib2, nil); err != nil || n != 0 || emb.texts.Load() != before {
		t.Errorf("rebuild from cache embedded %d texts (err %v)", emb.texts.Load()-before, err)
	}
}

func TestVectorSyncResumesAfterInterruption(t *testing.T) {
	dir := t.TempDir()
	emb := &countingEmbedder{}
	cache, _ := indexer.OpenFileCache(filepath.Join(dir, "cache.bin"))
	var docs []*handbook.Document
	for _, s := range []string{"a", "b", "c", "d", "e", "f"} {
		docs = append(docs, doc("technology/"+s, "nội dung "+s))
	}
	lib := handbook.NewLibrary(docs, nil, nil)
	ctx, cancel := context.WithCancel(t.Context())
	progressed := 0
	vs := &indexer.VectorSync{Store: memvec.New(), Embedder: emb, Cache: cache, Manifest: filepath.Join(dir, "m.json"), BatchSize: 2}
	_, err := vs.Sync(ctx, lib, func(_ string, done, total int) {
		progressed = done
		if done >= 2 {
			cancel() // interrupted after the first batch
		}
	})
	if err == nil || progressed != 2 {
		t.Fatalf("interrupted sync: err %v, progressed %d", err, progressed)
	}
	first := emb.texts.Load()
	n, err := vs.Sync(t.Context(), lib, nil)
	if err != nil || n != 4 || emb.texts.Load() != first+4 {
		t.Errorf("resume embedded %d (texts %d→%d), want the 4 remaining", n, first, emb.texts.Load())
	}
}

// TestVectorSyncResumesAfterKill interrupts a sync the way kill -9 does: the
// memvec snapshot is never saved and the process state is lost. The next
// run, in a fresh store opened from disk, embeds only what the first did
// not, and the store ends up with every chunk.
func TestVectorSyncResumesAfterKill(t *testing.T) {
	dir := t.TempDir()
	snap, manifest, cachePath := filepath.Join(dir, "memvec.gob"), filepath.Join(dir, "m.json"), filepath.Join(dir, "cache.bin")
	var docs []*handbook.Document
	for _, s := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		docs = append(docs, doc("technology/"+s, "nội dung "+s))
	}
	lib := handbook.NewLibrary(docs, nil, nil)
	emb := &countingEmbedder{}

	ctx, cancel := context.WithCancel(t.Context())
	store, err := memvec.Open(snap, emb.Model())
	if err != nil {
		t.Fatal(err)
	}
	cache, err := indexer.OpenFileCache(cachePath)
	if err != nil {
		t.Fatal(err)
	}
	killed := errors.New("killed")
	vs := &indexer.VectorSync{Store: store, Embedder: emb, Cache: cache, Manifest: manifest, BatchSize: 2,
		Save: func() error { return killed }} // the process dies before anything is saved
	if _, err := vs.Sync(ctx, lib, func(_ string, done, _ int) {
		if done >= 4 {
			cancel()
		}
	}); err == nil {
		t.Fatal("interrupted sync returned no error")
	}
	first := emb.texts.Load()
	if first != 4 {
		t.Fatalf("first run embedded %d texts, want 4 before the kill", first)
	}

	// A new process: everything is read back from disk.
	store2, err := memvec.Open(snap, emb.Model())
	if err != nil {
		t.Fatal(err)
	}
	cache2, err := indexer.OpenFileCache(cachePath)
	if err != nil {
		t.Fatal(err)
	}
	vs2 := &indexer.VectorSync{Store: store2, Embedder: emb, Cache: cache2, Manifest: manifest, BatchSize: 2, Save: store2.Save}
	n, err := vs2.Sync(t.Context(), lib, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || emb.texts.Load() != 7 {
		t.Errorf("resumed run embedded %d chunks (%d texts in all), want the 3 the first run did not finish (7 in all)", n, emb.texts.Load())
	}
	if store2.Len() != len(docs) {
		t.Errorf("store holds %d vectors, want %d", store2.Len(), len(docs))
	}
	// And the saved state is complete: a third process embeds nothing.
	store3, err := memvec.Open(snap, emb.Model())
	if err != nil {
		t.Fatal(err)
	}
	vs3 := &indexer.VectorSync{Store: store3, Embedder: emb, Cache: cache2, Manifest: manifest, Save: store3.Save}
	if n, err := vs3.Sync(t.Context(), lib, nil); err != nil || n != 0 || store3.Len() != len(docs) {
		t.Errorf("third run embedded %d (err %v), store has %d", n, err, store3.Len())
	}
}

// failingEmbedder is down.
type failingEmbedder struct{}

func (failingEmbedder) Model() string { return "fake-3" }
func (failingEmbedder) Embed(context.Context, []string) ([][]float32, error) {
	return nil, fmt.Errorf("model server: %w", handbook.ErrUnavailable)
}

// TestVectorSyncDropsStaleVectorsWhenEmbeddingFails: a document is edited
// (here made internal) while the embedder is down. Its old vectors, with
// the old text and audience, must not stay searchable.
func TestVectorSyncDropsStaleVectorsWhenEmbeddingFails(t *testing.T) {
	dir := t.TempDir()
	store := memvec.New()
	cache, err := indexer.OpenFileCache(filepath.Join(dir, "cache.bin"))
	if err != nil {
		t.Fatal(err)
	}
	lib := handbook.NewLibrary([]*handbook.Document{doc("technology/a", "một"), doc("technology/b", "hai")}, nil, nil)
	vs := &indexer.VectorSync{Store: store, Embedder: &countingEmbedder{}, Cache: cache, Manifest: filepath.Join(dir, "m.json")}
	if _, err := vs.Sync(t.Context(), lib, nil); err != nil {
		t.Fatal(err)
	}
	edited := doc("technology/b", "hai, nay là tài liệu nội bộ")
	edited.Audience = handbook.AudienceInternal
	vs.Embedder = failingEmbedder{}
	_, err = vs.Sync(t.Context(), handbook.NewLibrary([]*handbook.Document{doc("technology/a", "một"), edited}, nil, nil), nil)
	if !errors.Is(err, handbook.ErrUnavailable) {
		t.Fatalf("Sync with the embedder down: error = %v, want unavailable", err)
	}
	hits, err := store.Nearest(t.Context(), []float32{1, 1, 1}, handbook.Filter{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.DocID == "technology/b" {
			t.Errorf("the edited document's old vector is still searchable: %+v", h)
		}
	}
	// Once the embedder is back, the document is embedded again.
	vs.Embedder = &countingEmbedder{}
	if n, err := vs.Sync(t.Context(), handbook.NewLibrary([]*handbook.Document{doc("technology/a", "một"), edited}, nil, nil), nil); err != nil || n != 1 {
		t.Errorf("sync after recovery embedded %d, %v; want 1", n, err)
	}
}

func TestFileCacheRoundTripAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.bin")
	a, err := indexer.OpenFileCache(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := indexer.OpenFileCache(path) // a second process on the same data directory
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	va := map[string][]float32{"h1": {1, 2, 3}, "h2": {float32(math.Pi), -0.5, 1e-30}}
	if err := a.Put(ctx, "m", va); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "m", map[string][]float32{"h3": {7, 8, 9, 10}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Put(ctx, "other", map[string][]float32{"h1": {5}}); err != nil {
		t.Fatal(err)
	}
	c, err := indexer.OpenFileCache(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, "m", []string{"h1", "h2", "h3", "h4"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{"h1": {1, 2, 3}, "h2": va["h2"], "h3": {7, 8, 9, 10}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get after two writers (-want +got):\n%s", diff)
	}
	if got, _ := c.Get(ctx, "other", []string{"h1"}); !slices.Equal(got["h1"], []float32{5}) {
		t.Errorf("Get(other model) = %v", got)
	}
	// b saw a's first records when it appended; its own offsets are right.
	if got, _ := b.Get(ctx, "m", []string{"h3"}); !slices.Equal(got["h3"], []float32{7, 8, 9, 10}) {
		t.Errorf("writer b reads back %v", got)
	}
}

func TestFileCacheCutsTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.bin")
	c, err := indexer.OpenFileCache(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := c.Put(ctx, "m", map[string][]float32{"h1": {1, 2}, "h2": {3, 4}}); err != nil {
		t.Fatal(err)
	}
	good, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of the next record: its header and half a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{40, 0, 0, 0, 2, 0, 0, 0, 'm', 0, 'h'})
	f.Close()

	c2, err := indexer.OpenFileCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Size() != good.Size() {
		t.Errorf("file is %d bytes after reopening, want the torn tail cut to %d", st.Size(), good.Size())
	}
	if err := c2.Put(ctx, "m", map[string][]float32{"h3": {5, 6}}); err != nil {
		t.Fatal(err)
	}
	c3, err := indexer.OpenFileCache(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c3.Get(ctx, "m", []string{"h1", "h2", "h3"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]float32{"h1": {1, 2}, "h2": {3, 4}, "h3": {5, 6}}, got); diff != "" {
		t.Errorf("records after a torn tail (-want +got):\n%s", diff)
	}
}
