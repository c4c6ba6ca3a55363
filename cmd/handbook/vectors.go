package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"sotay/handbook"
	"sotay/handbook/openai"
	"sotay/indexer"
	"sotay/indexer/memvec"
	"sotay/indexer/pgvector"
)

// vectorSetup is the embedding half of retrieval, when configured.
type vectorSetup struct {
	// Embedder embeds chunks when indexing: big batches, patient retries.
	Embedder handbook.Embedder
	// Query embeds search queries: one short try, since the search answers
	// from keywords rather than wait (HANDBOOK_EMBED_TIMEOUT).
	Query handbook.Embedder
	Store handbook.VectorStore
	Sync  *indexer.VectorSync
	Close func() error
	// pg is set in pgvector mode: `handbook index` builds its HNSW index
	// after loading and resets it on -rebuild.
	pg *pgvector.Store
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// openVectors wires the embedder, the vector store and the embedding cache.
// With no HANDBOOK_EMBED_URL it returns nil: search is lexical only, with no
// error and no extra work.
func openVectors(cfg Config, log *slog.Logger) (*vectorSetup, error) {
	if cfg.EmbedURL == "" {
		return nil, nil
	}
	emb := openai.NewEmbedder(cfg.EmbedURL, cfg.EmbedKey, cfg.EmbedModel, cfg.EmbedDim,
		openai.WithTimeout(30*time.Second), openai.WithBatchSize(cfg.EmbedBatch))
	// One retry after 100 ms (a dropped keep-alive connection); the
	// retriever bounds the whole call by cfg.EmbedTimeout anyway.
	query := openai.NewEmbedder(cfg.EmbedURL, cfg.EmbedKey, cfg.EmbedModel, cfg.EmbedDim,
		openai.WithTimeout(cfg.EmbedTimeout), openai.WithRetries(1, 100*time.Millisecond))
	dir := filepath.Join(cfg.Data, "vectors")
	model := unsafeName.ReplaceAllString(cfg.EmbedModel, "_")
	cache, err := indexer.OpenFileCache(filepath.Join(dir, "cache-"+model+".bin"))
	if err != nil {
		return nil, err
	}
	v := &vectorSetup{Embedder: emb, Query: query}
	switch cfg.VectorStore {
	case "memvec":
		store, err := memvec.Open(filepath.Join(dir, "memvec-"+model+".gob"), cfg.EmbedModel)
		if err != nil {
			return nil, fmt.Errorf("open memvec: %w (run: handbook index -rebuild)", err)
		}
		manifest := filepath.Join(dir, "manifest-"+model+".json")
		if store.Len() == 0 {
			// A lost or deleted snapshot: resync (from the cache, so
			// without embedding calls) instead of trusting the manifest.
			os.Remove(manifest)
		}
		v.Store, v.Close = store, store.Close
		v.Sync = &indexer.VectorSync{Store: store, Embedder: emb, Cache: cache, Manifest: manifest, Save: store.Save, BatchSize: cfg.EmbedBatch}
	case "pgvector":
		if cfg.EmbedDim <= 0 {
			return nil, errors.New("HANDBOOK_EMBED_DIM is required when HANDBOOK_VECTOR_STORE=pgvector (e.g. 1024 for bge-m3)")
		}
		// Opening dials the database; it gets its own deadline because
		// constructors do not receive the command's context.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		store, err := pgvector.Open(ctx, cfg.DatabaseURL, cfg.EmbedModel, cfg.EmbedDim)
		if err != nil {
			if handbook.ErrorCode(err) == handbook.Conflict {
				return nil, fmt.Errorf("open pgvector: %w (run: handbook index -rebuild)", err)
			}
			return nil, fmt.Errorf("open pgvector: %w", err)
		}
		manifest := filepath.Join(dir, "manifest-pgvector-"+model+".json")
		if n, err := store.Len(ctx); err == nil && n == 0 {
			// An emptied or restored database: resync (from the shared
			// cache, so without embedding calls).
			os.Remove(manifest)
		}
		v.pg, v.Store, v.Close = store, store, store.Close
		v.Sync = &indexer.VectorSync{Store: store, Embedder: emb, Cache: store.Cache(), Manifest: manifest, BatchSize: cfg.EmbedBatch}
	default:
		return nil, fmt.Errorf("HANDBOOK_VECTOR_STORE=%s is not supported", cfg.VectorStore)
	}
	log.Info("embeddings enabled", "model", cfg.EmbedModel, "vector_store", cfg.VectorStore)
	return v, nil
}

// resetPG empties the pgvector tables for a rebuild (the shared embedding
// cache is kept) and rewires the new store.
func (a *App) resetPG(ctx context.Context) error {
	v := a.vectors
	if v == nil || v.pg == nil {
		return nil
	}
	cfg := a.Config
	store, err := pgvector.Reset(ctx, cfg.DatabaseURL, cfg.EmbedModel, cfg.EmbedDim)
	if err != nil {
		return fmt.Errorf("reset pgvector: %w", err)
	}
	v.pg.Close()
	os.Remove(v.Sync.Manifest)
	v.pg, v.Store, v.Close = store, store, store.Close
	v.Sync.Store, v.Sync.Cache = store, store.Cache()
	a.Retriever.Vectors = store
	return nil
}

// buildVectorIndex creates pgvector's HNSW index after a bulk load.
func (a *App) buildVectorIndex(ctx context.Context) error {
	if a.vectors == nil || a.vectors.pg == nil {
		return nil
	}
	return a.vectors.pg.BuildIndex(ctx)
}
