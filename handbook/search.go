package handbook

import (
	"context"
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// Filter restricts results. It is applied inside the indexes, before anything
// is ranked, returned or sent to a model.
type Filter struct {
	Kinds    []Kind
	Field    string // procedure field (lĩnh vực), folded comparison
	At       Date   // point in time; zero means no date filter
	Audience Audience
	// AllDates keeps documents that are not in force on At (they are still
	// labelled with their validity).
	AllDates bool
	// Docs, when set, restricts results to these document ids.
	Docs []string
}

// Allows reports whether a chunk passes the filter. Indexes use it as the
// reference semantics (and memvec applies it directly).
func (f Filter) Allows(c *Chunk) bool {
	if c.Audience == AudienceInternal && f.Audience != AudienceInternal {
		return false
	}
	if c.Status == StatusArchived {
		return false
	}
	if len(f.Docs) > 0 && !slices.Contains(f.Docs, c.DocID) {
		return false
	}
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, c.Kind) {
		return false
	}
	if f.Field != "" && Fold(c.Field) != Fold(f.Field) {
		return false
	}
	if f.At.IsSet() && !f.AllDates && ValidityAt(c.ValidFrom, c.ValidTo, f.At) != InForce {
		return false
	}
	return true
}

// Hit is one retrieved chunk.
type Hit struct {
	ChunkID string `json:"chunk"`
	DocID   string `json:"doc"`
	Anchor  string `json:"anchor"`
	Kind    Kind   `json:"kind"`
	Title   string `json:"title"`
	Heading string `json:"heading"`
	Field   string `json:"field,omitempty"`
	Snippet string `json:"snippet"` // HTML-escaped text with <mark> around matches
	Text    string `json:"-"`
	// Folded holds the folded syllables of title, heading and text joined
	// by single spaces, and Names those of the title and each alias, a
	// line each, when the index stores them (the reranker computes them
	// otherwise). Strings, not slices: splitting them was a tenth of a
	// search's CPU at 100k chunks, for every candidate, where the reranker
	// reads Folded in one pass and Names only for some kinds.
	Folded    string   `json:"-"`
	Names     string   `json:"-"`
	Score     float64  `json:"score"`
	Validity  Validity `json:"validity"`
	Audience  Audience `json:"-"`
	ValidFrom Date     `json:"-"`
	ValidTo   Date     `json:"-"`
}

// KeywordIndex is full-text search over chunks.
type KeywordIndex interface {
	// Index adds or replaces chunks (by Chunk.ID).
	Index(ctx context.Context, chunks []Chunk) error
	// DeleteDocument removes every chunk of a document.
	DeleteDocument(ctx context.Context, docID string) error
	// Search returns up to k chunks matching q that pass f, best first.
	Search(ctx context.Context, q Query, f Filter, k int) ([]Hit, error)
}

// ScratchSearcher is a KeywordIndex that can also return hits whose
// strings point into a buffer it reuses: a search reads some 126 candidate
// records (300 KB at 100k chunks) and shows ten, and allocating the rest
// for each search made the collector run every few hundred searches.
// release hands the buffer back; the hits must not be read after it.
// Retriever copies the hits it returns (OwnHits).
type ScratchSearcher interface {
	SearchScratch(ctx context.Context, q Query, f Filter, k int) (hits []Hit, release func(), err error)
}

// OwnHits returns a copy of hits whose strings have storage of their own
// (one allocation for all), so that hits read from a ScratchSearcher
// outlive its buffers: the one their strings point into, and the one that
// holds the hits themselves.
func OwnHits(hits []Hit) []Hit {
	hits = slices.Clone(hits)
	n := 0
	for i := range hits {
		for _, p := range hitStrings(&hits[i]) {
			n += len(*p)
		}
	}
	buf := make([]byte, 0, n)
	for i := range hits {
		for _, p := range hitStrings(&hits[i]) {
			if *p == "" {
				continue
			}
			at := len(buf)
			buf = append(buf, *p...)
			*p = unsafe.String(&buf[at], len(*p))
		}
	}
	return hits
}

// hitStrings are the string fields of h (TestOwnHitsCopiesEveryString
// keeps the list whole).
func hitStrings(h *Hit) [13]*string {
	return [...]*string{&h.ChunkID, &h.DocID, &h.Anchor, (*string)(&h.Kind), &h.Title, &h.Heading, &h.Field,
		&h.Snippet, &h.Text, &h.Folded, &h.Names, (*string)(&h.Validity), (*string)(&h.Audience)}
}

// Vector is an embedding of one chunk, with what filters need.
type Vector struct {
	Chunk  Chunk
	Values []float32
}

// CheckVector reports why v cannot be an embedding: empty, a NaN or
// infinite value, or all zeros (no direction, so no cosine). The error wraps
// ErrInvalid. Embedders and vector stores call it so that a model returning
// garbage is caught where it enters, not as NaN scores at query time.
func CheckVector(v []float32) error {
	if len(v) == 0 {
		return fmt.Errorf("empty vector: %w", ErrInvalid)
	}
	zero := true
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("vector value %d is %v: %w", i, x, ErrInvalid)
		}
		zero = zero && x == 0
	}
	if zero {
		return fmt.Errorf("vector of %d zeros: %w", len(v), ErrInvalid)
	}
	return nil
}

// VectorStore is nearest-neighbour search over chunk embeddings.
type VectorStore interface {
	// Upsert adds or replaces vectors by chunk id. A vector that fails
	// CheckVector is ErrInvalid; one of another dimension than the
	// store's, ErrConflict.
	Upsert(ctx context.Context, vs []Vector) error
	DeleteDocument(ctx context.Context, docID string) error
	// Nearest returns up to k chunks closest to q (cosine) that pass f,
	// best first, with Score the cosine similarity. A query that fails
	// CheckVector is ErrInvalid; one of another dimension, ErrConflict.
	Nearest(ctx context.Context, q []float32, f Filter, k int) ([]Hit, error)
}

// Embedder turns texts into vectors.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	Model() string
}

// Message is one chat message for an LLM.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// LLM completes a chat conversation.
type LLM interface {
	Complete(ctx context.Context, msgs []Message) (string, error)
}
