package pgvector

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	pgv "github.com/pgvector/pgvector-go"

	"sotay/handbook"
)

// Cache is an embedding cache in the store's database, table
// embedding_cache(model, hash, embedding). It has the method set of
// indexer.EmbedCache, so every replica shares what any of them embedded.
type Cache struct {
	s *Store
}

// cacheBatch bounds the hashes per SELECT and the rows per INSERT.
const cacheBatch = 500

// Get returns the cached embeddings of model among hashes, keyed by hash.
func (c *Cache) Get(ctx context.Context, model string, hashes []string) (map[string][]float32, error) {
	out := make(map[string][]float32, len(hashes))
	for start := 0; start < len(hashes); start += cacheBatch {
		rows, err := c.s.pool.Query(ctx, "SELECT hash, embedding FROM "+c.s.cache+" WHERE model = $1 AND hash = ANY($2::text[])",
			model, hashes[start:min(start+cacheBatch, len(hashes))])
		if err != nil {
			return nil, wrap("read embedding cache", err)
		}
		var hash string
		var vec pgv.Vector
		_, err = pgx.ForEachRow(rows, []any{&hash, &vec}, func() error {
			out[hash] = vec.Slice()
			return nil
		})
		if err != nil {
			return nil, wrap("read embedding cache", err)
		}
	}
	return out, nil
}

// Put stores embeddings of model keyed by content hash, replacing any
// stored under the same key.
func (c *Cache) Put(ctx context.Context, model string, vecs map[string][]float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	hashes := make([]string, 0, len(vecs))
	for h, v := range vecs {
		if len(v) == 0 {
			return fmt.Errorf("write embedding cache: empty vector for %s: %w", h, handbook.ErrInvalid)
		}
		hashes = append(hashes, h)
	}
	sort.Strings(hashes) // a stable lock order between concurrent writers
	per := cacheBatch
	if len(hashes) > 0 {
		per = min(cacheBatch, max(1, (1<<20)/(11*len(vecs[hashes[0]])+128)))
	}
	err := c.s.inTx(ctx, 0, func(tx pgx.Tx) error {
		for start := 0; start < len(hashes); start += per {
			batch := hashes[start:min(start+per, len(hashes))]
			var b strings.Builder
			b.WriteString("INSERT INTO " + c.s.cache + " (model, hash, embedding) VALUES ")
			args := []any{model}
			for i, h := range batch {
				if i > 0 {
					b.WriteString(", ")
				}
				args = append(args, h, pgv.NewVector(vecs[h]))
				b.WriteString("($1, $" + strconv.Itoa(len(args)-1) + ", $" + strconv.Itoa(len(args)) + "::vector)")
			}
			b.WriteString(" ON CONFLICT (model, hash) DO UPDATE SET embedding = EXCLUDED.embedding, created_at = now()")
			if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("write embedding cache", err)
}
