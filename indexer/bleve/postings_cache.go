package bleve

import (
	"container/list"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// A cache of decoded postings.
//
// After term-at-a-time scoring, two thirds of a search's CPU at 100,000
// chunks went into decoding zap postings: roaring containers, varint
// frequency and norm chunks, an interface call per posting. Questions share
// their words (thủ tục, đăng ký, hồ sơ, giấy…), and the longest lists, the
// costliest to decode, are the most shared. postingsCache keeps decoded
// lists of one segment's term as plain arrays, so a second question with
// the word walks memory instead of decoding.
//
// Entries hold what the segment holds, deleted documents included: deletions
// are per snapshot and are skipped when the best documents are picked.
// Segments never change, so an entry is valid for as long as its segment
// lives. When a snapshot no longer holds a segment (a merge or an update
// replaced it), its entries are dropped at once rather than left to the LRU
// order: they would keep the closed segment's structures alive.

// Every list is cached, short and empty ones too. Leaving out lists under
// 64 postings made 70% of a search's lookups at 100k chunks miss: each went
// to the segment's term dictionary (an FST walk) and decoded again, 5% of a
// search's CPU. Cached, they add 30,000 small entries, 4 MiB, and the
// misses fall to 6% (docs/BENCHMARKS.md).

// DefaultPostingsCacheBytes bounds the cache: at 100,000 synthetic chunks
// it holds the lists of the words most questions share (docs/BENCHMARKS.md).
const DefaultPostingsCacheBytes = 48 << 20

type postingsKey struct {
	seg   segment.Segment
	field string
	term  string
}

// postings is one decoded list: document numbers within the segment with
// each posting's tfNorm.
type postings struct {
	docs []uint32
	tfn  []float64
	// df is the list's length without the documents deleted in del; it is
	// recomputed when a snapshot brings other deletions.
	df  uint64
	del *roaring.Bitmap
}

// bytes is what an entry holds: 12 bytes a posting, and some 240 for the
// entry itself (map slot, LRU element, postings header, key).
func (p *postings) bytes() int { return len(p.docs)*12 + 240 }

type postingsEntry struct {
	key postingsKey
	val *postings
}

type postingsCache struct {
	mu    sync.Mutex
	max   int
	size  int
	lru   *list.List // of *postingsEntry, most recent first
	items map[postingsKey]*list.Element

	hits, misses uint64
	// snap is the snapshot whose segments the entries were last pruned to.
	snap any
}

func newPostingsCache(maxBytes int) *postingsCache {
	return &postingsCache{max: maxBytes, lru: list.New(), items: map[postingsKey]*list.Element{}}
}

func (c *postingsCache) get(k postingsKey) *postings {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		c.misses++
		return nil
	}
	c.hits++
	c.lru.MoveToFront(e)
	return e.Value.(*postingsEntry).val
}

// put adds p unless it is larger than the whole cache, evicting the least
// recently used entries to make room.
func (c *postingsCache) put(k postingsKey, p *postings) {
	if c == nil || p.bytes() > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		old := e.Value.(*postingsEntry)
		c.size += p.bytes() - old.val.bytes()
		old.val = p
		c.lru.MoveToFront(e)
	} else {
		c.items[k] = c.lru.PushFront(&postingsEntry{k, p})
		c.size += p.bytes()
	}
	for c.size > c.max {
		e := c.lru.Back()
		old := e.Value.(*postingsEntry)
		c.lru.Remove(e)
		delete(c.items, old.key)
		c.size -= old.val.bytes()
	}
}

// prune drops the entries of segments that snap does not hold, once per
// snapshot; live lists them and is only called when snap is new.
func (c *postingsCache) prune(snap any, live func() []segment.Segment) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap == snap {
		return
	}
	c.snap = snap
	segs := live()
	keep := make(map[segment.Segment]bool, len(segs))
	for _, s := range segs {
		keep[s] = true
	}
	for k, e := range c.items {
		if !keep[k.seg] {
			c.size -= e.Value.(*postingsEntry).val.bytes()
			c.lru.Remove(e)
			delete(c.items, k)
		}
	}
}

// stats returns the entries, their bytes, and the lookups that hit and
// missed.
func (c *postingsCache) stats() (entries, bytes int, hits, misses uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items), c.size, c.hits, c.misses
}
