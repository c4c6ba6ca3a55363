package indexer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"sotay/handbook"
)

// EmbedCache stores embeddings keyed by (model, chunk content hash), so that
// unchanged chunks are never embedded twice, across rebuilds and restarts.
type EmbedCache interface {
	Get(ctx context.Context, model string, hashes []string) (map[string][]float32, error)
	Put(ctx context.Context, model string, vecs map[string][]float32) error
}

// VectorSync keeps a vector store in step with the library: documents whose
// hash changed are re-embedded (from the cache when possible), removed ones
// deleted. A manifest of document hashes records what the store durably
// holds, so an interrupted run resumes where it stopped; the embedding cache
// is written after every batch, so even what the manifest does not yet
// record is never embedded twice.
type VectorSync struct {
	Store    handbook.VectorStore
	Embedder handbook.Embedder
	Cache    EmbedCache
	// Manifest is the path of the JSON manifest (document id → hash).
	Manifest string
	// Save persists a store that is not durable by itself (the memvec
	// snapshot). When set, the manifest is written only after Save, at the
	// end of a sync or when it is interrupted: a process killed in between
	// leaves the previous manifest, and the next run takes the missing
	// vectors from the cache. Without Save every batch is assumed durable
	// when Upsert returns (pgvector) and the manifest follows each batch.
	Save func() error
	// BatchSize is how many chunks go to the embedder at once (64 by
	// default): the unit of caching, so of what an interruption can cost.
	BatchSize int
}

type embedJob struct {
	doc    *handbook.Document
	chunks []handbook.Chunk
}

// Sync embeds what changed and returns the number of chunks sent to the
// embedder. progress, when set, is called before the first batch and after
// each with the chunks done of those to embed (stage "embed").
func (v *VectorSync) Sync(ctx context.Context, lib *handbook.Library, progress Progress) (_ int, err error) {
	man, err := v.readManifest()
	if err != nil {
		return 0, err
	}
	dirty := false
	if v.Save != nil {
		// An interrupted run still saves what it finished.
		defer func() {
			if !dirty {
				return
			}
			if serr := v.checkpoint(man); serr != nil && err == nil {
				err = serr
			}
		}()
	}
	var removed []string
	for id := range man {
		if _, ok := lib.Docs[id]; !ok {
			removed = append(removed, id)
		}
	}
	sort.Strings(removed)
	for _, id := range removed {
		if err := v.Store.DeleteDocument(ctx, id); err != nil {
			return 0, err
		}
		delete(man, id)
		dirty = true
	}
	var jobs []embedJob
	total := 0
	for _, d := range lib.All() {
		if man[d.ID] == d.Hash {
			continue
		}
		cs := handbook.Chunks(d)
		jobs = append(jobs, embedJob{doc: d, chunks: cs})
		total += len(cs)
	}
	batch := v.batch()
	embedded, done := 0, 0
	model := v.Embedder.Model()
	if progress != nil && total > 0 {
		progress("embed", 0, total) // the stage starts: its clock too
	}
	// Group documents into batches of about `batch` chunks; each group is
	// embedded, stored and recorded in the manifest before the next.
	for start := 0; start < len(jobs); {
		if err := ctx.Err(); err != nil {
			return embedded, err
		}
		end, n := start, 0
		for end < len(jobs) && (n == 0 || n+len(jobs[end].chunks) <= batch) {
			n += len(jobs[end].chunks)
			end++
		}
		group := jobs[start:end]
		// The old vectors go first: if embedding fails, a changed document
		// has no vectors (keyword search still finds it) rather than stale
		// ones whose text or audience is no longer true.
		for _, j := range group {
			if err := v.Store.DeleteDocument(ctx, j.doc.ID); err != nil {
				return embedded, err
			}
			delete(man, j.doc.ID)
			dirty = true
		}
		var chunks []handbook.Chunk
		for _, j := range group {
			chunks = append(chunks, j.chunks...)
		}
		vecs, k, err := v.embed(ctx, model, chunks)
		if err != nil {
			return embedded, err
		}
		embedded += k
		if err := v.Store.Upsert(ctx, vecs); err != nil {
			return embedded, err
		}
		for _, j := range group {
			man[j.doc.ID] = j.doc.Hash
		}
		if v.Save == nil {
			if err := v.writeManifest(man); err != nil {
				return embedded, err
			}
		}
		done += len(chunks)
		if progress != nil {
			progress("embed", done, total)
		}
		start = end
	}
	if v.Save == nil && len(removed) > 0 && len(jobs) == 0 {
		if err := v.writeManifest(man); err != nil {
			return embedded, err
		}
	}
	return embedded, nil
}

// batch is BatchSize, 64 by default.
func (v *VectorSync) batch() int {
	if v.BatchSize <= 0 {
		return 64
	}
	return v.BatchSize
}

// checkpoint saves the store, then the manifest that describes it.
func (v *VectorSync) checkpoint(man map[string]string) error {
	if err := v.Save(); err != nil {
		return fmt.Errorf("save vector store: %w", err)
	}
	return v.writeManifest(man)
}

// embed returns a vector per chunk, from the cache or the embedder, and how
// many chunks the embedder was called for.
func (v *VectorSync) embed(ctx context.Context, model string, chunks []handbook.Chunk) ([]handbook.Vector, int, error) {
	hashes := make([]string, len(chunks))
	for i := range chunks {
		hashes[i] = chunks[i].Hash()
	}
	cached := map[string][]float32{}
	if v.Cache != nil {
		var err error
		if cached, err = v.Cache.Get(ctx, model, hashes); err != nil {
			return nil, 0, fmt.Errorf("read embedding cache: %w", err)
		}
	}
	var texts []string
	var missing []int
	for i, h := range hashes {
		if _, ok := cached[h]; !ok {
			texts = append(texts, chunks[i].EmbeddingText())
			missing = append(missing, i)
		}
	}
	// One embedding request's worth at a time, each cached as soon as it
	// comes back: a run interrupted in the middle of a long document
	// keeps what was already embedded.
	step := v.batch()
	for lo := 0; lo < len(texts); lo += step {
		hi := min(lo+step, len(texts))
		out, err := v.Embedder.Embed(ctx, texts[lo:hi])
		if err != nil {
			return nil, 0, fmt.Errorf("embed %d chunks: %w", hi-lo, err)
		}
		if len(out) != hi-lo {
			return nil, 0, fmt.Errorf("embedder returned %d vectors for %d texts: %w", len(out), hi-lo, handbook.ErrUnavailable)
		}
		fresh := map[string][]float32{}
		for j, i := range missing[lo:hi] {
			cached[hashes[i]] = out[j]
			fresh[hashes[i]] = out[j]
		}
		if v.Cache != nil {
			if err := v.Cache.Put(ctx, model, fresh); err != nil {
				return nil, 0, fmt.Errorf("write embedding cache: %w", err)
			}
		}
	}
	vecs := make([]handbook.Vector, len(chunks))
	for i := range chunks {
		vecs[i] = handbook.Vector{Chunk: chunks[i], Values: cached[hashes[i]]}
	}
	return vecs, len(texts), nil
}

func (v *VectorSync) readManifest() (map[string]string, error) {
	man := map[string]string{}
	if v.Manifest == "" {
		return man, nil
	}
	b, err := os.ReadFile(v.Manifest)
	if errors.Is(err, os.ErrNotExist) {
		return man, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read vector manifest: %w", err)
	}
	if err := json.Unmarshal(b, &man); err != nil {
		return map[string]string{}, nil // a torn manifest only costs a re-sync from the cache
	}
	return man, nil
}

func (v *VectorSync) writeManifest(man map[string]string) error {
	if v.Manifest == "" {
		return nil
	}
	b, err := json.Marshal(man)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(v.Manifest), 0o755); err != nil {
		return err
	}
	return WriteFileAtomic(v.Manifest, b)
}
