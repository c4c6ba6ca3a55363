package bleve

import (
	"fmt"
	"testing"
)

// TestPostingsCacheBound: the cache never holds more bytes than its bound,
// keeps what was used last and drops the least recently used first; a list
// larger than the whole cache is not kept.
func TestPostingsCacheBound(t *testing.T) {
	list := func(n int) *postings {
		return &postings{docs: make([]uint32, n), freqs: make([]uint16, n), norms: make([]float32, n), df: uint64(n)}
	}
	key := func(i int) postingsKey { return postingsKey{field: "text_fold", term: fmt.Sprint("t", i)} }
	one := list(100).bytes()
	c := newPostingsCache(3 * one)
	for i := range 3 {
		c.put(key(i), list(100))
	}
	if entries, bytes, _, _ := c.stats(); entries != 3 || bytes != 3*one {
		t.Fatalf("after three lists: %d entries, %d bytes; want 3, %d", entries, bytes, 3*one)
	}
	if c.get(key(0)) == nil { // 0 is now the most recently used
		t.Fatal("list 0 missing")
	}
	c.put(key(3), list(100)) // evicts 1, the least recently used
	if c.get(key(1)) != nil {
		t.Error("list 1 kept; it was the least recently used")
	}
	for _, i := range []int{0, 2, 3} {
		if c.get(key(i)) == nil {
			t.Errorf("list %d evicted", i)
		}
	}
	c.put(key(4), list(1000)) // larger than the cache
	if c.get(key(4)) != nil {
		t.Error("a list larger than the whole cache was kept")
	}
	if _, bytes, _, _ := c.stats(); bytes > 3*one {
		t.Errorf("%d bytes held, bound %d", bytes, 3*one)
	}
	// Replacing an entry (new deletions) keeps the byte count right.
	c.put(key(0), list(50))
	entries, bytes, hits, misses := c.stats()
	if want := 2*one + list(50).bytes(); bytes != want || entries != 3 {
		t.Errorf("after replacing list 0: %d entries, %d bytes; want 3, %d", entries, bytes, want)
	}
	if hits == 0 || misses == 0 {
		t.Errorf("hits %d, misses %d: both should have been counted", hits, misses)
	}
	var nilCache *postingsCache
	nilCache.put(key(0), list(1))
	if nilCache.get(key(0)) != nil {
		t.Error("a nil cache returned a list")
	}
}
