package bleve

import (
	"fmt"
	"path/filepath"
	"testing"

	"sotay/handbook"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// fakeSegment stands for a segment in cache keys; only its identity counts.
type fakeSegment struct {
	segment.Segment
	n int
}

// get1 is k's list in seg, or nil.
func get1(c *postingsCache, k termKey, seg segment.Segment) *postings {
	out := make([]*postings, 1)
	c.get(k, []segment.Segment{seg}, out)
	return out[0]
}

// TestPostingsCacheBound: the cache never holds more bytes than its bound,
// keeps what was used last and drops the least recently used first; a list
// larger than the whole cache is not kept.
func TestPostingsCacheBound(t *testing.T) {
	list := func(n int) *postings {
		return &postings{docs: make([]uint32, n), tfn: make([]float64, n), df: uint64(n)}
	}
	seg := &fakeSegment{n: 1}
	key := func(i int) termKey { return termKey{field: "text_fold", term: fmt.Sprint("t", i)} }
	one := entryBytes + list(100).bytes()
	c := newPostingsCache(3 * one)
	for i := range 3 {
		c.put(key(i), seg, list(100))
	}
	if lists, bytes, _, _ := c.stats(); lists != 3 || bytes != 3*one {
		t.Fatalf("after three lists: %d lists, %d bytes; want 3, %d", lists, bytes, 3*one)
	}
	if get1(c, key(0), seg) == nil { // 0 is now the most recently used
		t.Fatal("list 0 missing")
	}
	c.put(key(3), seg, list(100)) // evicts 1, the least recently used
	if get1(c, key(1), seg) != nil {
		t.Error("list 1 kept; it was the least recently used")
	}
	for _, i := range []int{0, 2, 3} {
		if get1(c, key(i), seg) == nil {
			t.Errorf("list %d evicted", i)
		}
	}
	c.put(key(4), seg, list(1000)) // larger than the cache
	if get1(c, key(4), seg) != nil {
		t.Error("a list larger than the whole cache was kept")
	}
	if _, bytes, _, _ := c.stats(); bytes > 3*one {
		t.Errorf("%d bytes held, bound %d", bytes, 3*one)
	}
	// Replacing a list (new deletions) keeps the byte count right.
	c.put(key(0), seg, list(50))
	lists, bytes, hits, misses := c.stats()
	if want := 2*one + entryBytes + list(50).bytes(); bytes != want || lists != 3 {
		t.Errorf("after replacing list 0: %d lists, %d bytes; want 3, %d", lists, bytes, want)
	}
	if hits == 0 || misses == 0 {
		t.Errorf("hits %d, misses %d: both should have been counted", hits, misses)
	}
	// A second segment's list joins the term's entry and counts in full.
	seg2 := &fakeSegment{n: 2}
	c.put(key(0), seg2, list(10))
	out := make([]*postings, 2)
	if found := c.get(key(0), []segment.Segment{seg2, seg}, out); found != 2 || len(out[0].docs) != 10 || len(out[1].docs) != 50 {
		t.Errorf("one term in two segments: found %d, lists %v", found, out)
	}
	if lists, bytes, _, _ := c.stats(); lists != 4 || bytes > 3*one {
		t.Errorf("after a second segment's list: %d lists, %d bytes (bound %d); want 4 lists", lists, bytes, 3*one)
	}
	var nilCache *postingsCache
	nilCache.put(key(0), seg, list(1))
	if get1(nilCache, key(0), seg) != nil {
		t.Error("a nil cache returned a list")
	}
}

// TestPostingsCachePrune: once a snapshot no longer holds a segment, the
// lists of that segment leave the cache, and the byte count follows.
func TestPostingsCachePrune(t *testing.T) {
	a, b := &fakeSegment{n: 1}, &fakeSegment{n: 2}
	p := &postings{docs: make([]uint32, 100), tfn: make([]float64, 100)}
	c := newPostingsCache(1 << 20)
	khai, sinh := termKey{"text_fold", "khai"}, termKey{"text_fold", "sinh"}
	c.put(khai, a, p)
	c.put(khai, b, p)
	c.put(sinh, b, p)
	snap1, snap2 := new(int), new(int)
	c.prune(snap1, func() []segment.Segment { return []segment.Segment{a, b} })
	if lists, _, _, _ := c.stats(); lists != 3 {
		t.Fatalf("pruning to both segments left %d lists, want 3", lists)
	}
	c.prune(snap2, func() []segment.Segment { return []segment.Segment{a} })
	lists, bytes, _, _ := c.stats()
	if lists != 1 || bytes != entryBytes+p.bytes() {
		t.Errorf("after the snapshot dropped segment b: %d lists, %d bytes; want 1, %d", lists, bytes, entryBytes+p.bytes())
	}
	if get1(c, khai, a) == nil {
		t.Error("the list of the live segment was dropped")
	}
	if get1(c, khai, b) != nil || get1(c, sinh, b) != nil {
		t.Error("a list of the dropped segment is still served")
	}
}

// TestPostingsCacheKeepsShortLists: a question's second search finds every
// list in the cache, the short and the empty ones (a term that a segment
// lacks) included.
func TestPostingsCacheKeepsShortLists(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	chunk := func(i int, text string) handbook.Chunk {
		return handbook.Chunk{ID: fmt.Sprintf("guides/g%d#s", i), DocID: fmt.Sprintf("guides/g%d", i), Anchor: "s",
			Kind: handbook.KindGuide, Title: "Hướng dẫn", Text: text, Audience: handbook.AudiencePublic, Status: handbook.StatusPublished}
	}
	// Two batches, two segments: "khai sinh" is in the first only.
	if err := x.Index(t.Context(), []handbook.Chunk{chunk(1, "Đăng ký khai sinh cho trẻ em."), chunk(2, "Chứng thực bản sao.")}); err != nil {
		t.Fatal(err)
	}
	if err := x.Index(t.Context(), []handbook.Chunk{chunk(3, "Đăng ký kết hôn.")}); err != nil {
		t.Fatal(err)
	}
	terms := handbook.FoldedSyllables("đăng ký khai sinh")
	q := handbook.Query{Raw: "đăng ký khai sinh", Terms: terms, Exact: terms}
	if _, err := x.Search(t.Context(), q, handbook.Filter{}, 5); err != nil {
		t.Fatal(err)
	}
	entries, _, _, misses := x.PostingsCacheStats()
	if entries == 0 || misses == 0 {
		t.Fatalf("after the first search: %d entries, %d misses", entries, misses)
	}
	hits, err := x.Search(t.Context(), q, handbook.Filter{}, 5)
	if err != nil || len(hits) == 0 || hits[0].ChunkID != "guides/g1#s" {
		t.Fatalf("second search: %v, %v", hits, err)
	}
	entries2, _, _, misses2 := x.PostingsCacheStats()
	if misses2 != misses || entries2 != entries {
		t.Errorf("the second search missed %d lists (%d entries, then %d)", misses2-misses, entries, entries2)
	}
}

// TestSnapCacheKeepsMostWhenFull: a full cache makes room by dropping a
// quarter of its values, not all of them, so a workload of slightly more
// keys than it holds still finds most; a newer snapshot starts afresh.
func TestSnapCacheKeepsMostWhenFull(t *testing.T) {
	c := snapCache[int, int]{max: 100}
	s1, s2 := &scorch.IndexSnapshot{}, &scorch.IndexSnapshot{}
	for k := range 101 {
		c.put(s1, k, k*2)
	}
	if n := len(c.m); n > 100 || n < 75 {
		t.Fatalf("after 101 puts into 100 places: %d values", n)
	}
	if v, ok := c.get(s1, 100); !ok || v != 200 {
		t.Errorf("the value just put: %d, %v", v, ok)
	}
	kept := 0
	for k := range 100 {
		if v, ok := c.get(s1, k); ok {
			if v != k*2 {
				t.Fatalf("key %d holds %d", k, v)
			}
			kept++
		}
	}
	if kept < 74 {
		t.Errorf("%d of the first 100 values kept; a full cache should drop a quarter", kept)
	}
	c.put(s1, 100, 7) // a key already there takes no room
	if n := len(c.m); n != kept+1 {
		t.Errorf("replacing a value changed the count from %d to %d", kept+1, n)
	}
	if _, ok := c.get(s2, 100); ok {
		t.Error("a newer snapshot found an older one's value")
	}
	c.put(s2, 1, 1)
	if _, ok := c.get(s1, 100); ok || len(c.m) != 1 {
		t.Errorf("a newer snapshot kept %d values of the older one", len(c.m)-1)
	}
}
