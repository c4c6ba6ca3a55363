package indexer_test

import (
	"context"
	"hash/fnv"
	"path/filepath"
	"sync/atomic"
	"testing"

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
