package bleve

import (
	"container/list"
	"slices"
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

// termKey names a term of a field; the cache keeps one entry per term,
// holding its list in each segment searched. With an entry per segment's
// list a search made one lookup per segment and term (a hundred at 100k
// chunks in three segments), each missing the cache lines of a map of
// 37,000 entries and of the LRU's neighbours: a tenth of the walk.
type termKey struct {
	field, term string
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

// bytes is what a list holds: 12 bytes a posting, and some 80 for its
// header and its place in the entry.
func (p *postings) bytes() int { return len(p.docs)*12 + 80 }

// entryBytes is what an entry holds besides its lists: map slot, LRU
// element, key.
const entryBytes = 160

// postingsEntry is one term's lists, segs[i]'s in lists[i].
type postingsEntry struct {
	key   termKey
	segs  []segment.Segment
	lists []*postings
}

func (e *postingsEntry) bytes() int {
	n := entryBytes
	for _, p := range e.lists {
		n += p.bytes()
	}
	return n
}

type postingsCache struct {
	mu    sync.Mutex
	max   int
	size  int
	lists int        // lists held, in all entries
	lru   *list.List // of *postingsEntry, most recent first
	items map[termKey]*list.Element

	hits, misses uint64
	// snap is the snapshot whose segments the entries were last pruned to.
	snap any
}

func newPostingsCache(maxBytes int) *postingsCache {
	return &postingsCache{max: maxBytes, lru: list.New(), items: map[termKey]*list.Element{}}
}

// get sets out[i] to k's list in segs[i], or nil where the cache has none,
// and returns how many it found.
func (c *postingsCache) get(k termKey, segs []segment.Segment, out []*postings) int {
	clear(out)
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	found := 0
	if el, ok := c.items[k]; ok {
		c.lru.MoveToFront(el)
		e := el.Value.(*postingsEntry)
		for i, s := range segs {
			if j := slices.Index(e.segs, s); j >= 0 {
				out[i] = e.lists[j]
				found++
			}
		}
	}
	c.hits += uint64(found)
	c.misses += uint64(len(segs) - found)
	return found
}

// put adds p as k's list in seg, or replaces the one there, unless the
// entry would be larger than the whole cache; the least recently used
// entries make room.
func (c *postingsCache) put(k termKey, seg segment.Segment, p *postings) {
	if c == nil || entryBytes+p.bytes() > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var e *postingsEntry
	if el, ok := c.items[k]; ok {
		c.lru.MoveToFront(el)
		e = el.Value.(*postingsEntry)
	} else {
		e = &postingsEntry{key: k}
		c.items[k] = c.lru.PushFront(e)
		c.size += entryBytes
	}
	if j := slices.Index(e.segs, seg); j >= 0 {
		c.size += p.bytes() - e.lists[j].bytes()
		e.lists[j] = p
	} else {
		e.segs = append(e.segs, seg)
		e.lists = append(e.lists, p)
		c.size += p.bytes()
		c.lists++
	}
	for c.size > c.max {
		c.remove(c.lru.Back())
	}
}

// remove drops an entry with its lists; c.mu is held.
func (c *postingsCache) remove(el *list.Element) {
	e := el.Value.(*postingsEntry)
	c.lru.Remove(el)
	delete(c.items, e.key)
	c.size -= e.bytes()
	c.lists -= len(e.lists)
}

// prune drops the lists of segments that snap does not hold, once per
// snapshot, and the entries left with none; live lists them and is only
// called when snap is new.
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
	for _, el := range c.items {
		e := el.Value.(*postingsEntry)
		n := 0
		for i, s := range e.segs {
			if keep[s] {
				e.segs[n], e.lists[n] = s, e.lists[i]
				n++
				continue
			}
			c.size -= e.lists[i].bytes()
			c.lists--
		}
		clear(e.segs[n:])
		clear(e.lists[n:])
		e.segs, e.lists = e.segs[:n], e.lists[:n]
		if n == 0 {
			c.remove(el)
		}
	}
}

// stats returns the lists held, their bytes, and the lookups of a list
// that hit and missed.
func (c *postingsCache) stats() (lists, bytes int, hits, misses uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lists, c.size, c.hits, c.misses
}
