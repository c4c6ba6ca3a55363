package indexer

import (
	"context"

	"sotay/handbook"
)

// VectorSync keeps a vector store in step with the library.
// TODO(#5): embedding cache, batching and resume.
type VectorSync struct {
	Store    handbook.VectorStore
	Embedder handbook.Embedder
}

// Sync embeds the chunks that changed; it returns how many were embedded.
func (v *VectorSync) Sync(ctx context.Context, lib *handbook.Library, p Progress) (int, error) {
	return 0, nil
}
