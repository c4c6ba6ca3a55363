package bleve

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	mathbits "math/bits"
	"runtime"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Term-at-a-time scoring.
//
// A question becomes a disjunction of some seventy term clauses (four
// fields, three match paths, one term per syllable or bigram). bleve walks
// them document-at-a-time: every posting of every clause goes through a
// heap ordered by byte-compared document ids and builds a DocumentMatch. At
// 100,000 chunks that merge was three quarters of a search's CPU while the
// postings themselves were a quarter (docs/BENCHMARKS.md).
//
// score walks each term's postings once, segment by segment, and adds its
// contribution to dense per-document accumulators. It computes the score
// bleve's query would: for each term tf·norm·idf² times the boost
// (TermQueryScorer), summed per match query and multiplied by the share of
// the match query's terms found (the coord of its disjunction), then summed
// over match queries and multiplied by the share of match queries matched.
// bleve's query norm is left out: it scales every score of a query alike,
// and the reranker divides by the best score anyway. TestTermAtATime checks
// the ranking against bleve's own on the same index.

// matchSpec is one match query: the terms analyzer made of a text, in
// order and with repeats, each matched on field with boost.
type matchSpec struct {
	field, analyzer string
	terms           []string
	boost           float64
}

// query is the match query as bleve's MatchQuery (operator OR) builds it
// from the text: a disjunction of at least one of the terms, with the boost
// on each term and on the disjunction; no terms match nothing.
func (m matchSpec) query() query.Query {
	if len(m.terms) == 0 {
		return query.NewMatchNoneQuery()
	}
	tqs := make([]query.Query, len(m.terms))
	for i, t := range m.terms {
		tq := query.NewTermQuery(t)
		tq.SetField(m.field)
		tq.SetBoost(m.boost)
		tqs[i] = tq
	}
	d := query.NewDisjunctionQuery(tqs)
	d.SetMin(1)
	d.SetBoost(m.boost)
	return d
}

// accum holds the per-document accumulators of one search: as long as the
// index, so they are reused, never allocated per search.
type accum struct {
	docs []docAccum
	// touched marks the documents with gen > 0, a bit each: the best are
	// picked, and the accumulators zeroed, in document order. Walking a
	// list of them in the order they were first reached missed the cache
	// at each (a tenth of a loaded server's CPU at 100k chunks).
	touched []uint64
	// nt holds, per match query (numbered from 1), how many terms it has.
	nt []float64
	// decoded holds, per segment, the postings decoded for the search (see
	// decoder): kept with the slot, their arrays were a third of the bytes
	// a search allocated at 100k chunks.
	decoded []postings
	// best is the buffer the best documents are picked in.
	best []scored
}

// docAccum is one document's accumulators, side by side: the walk jumps
// from document to document, and with one array per counter each visit
// missed the cache up to four times (a third of a search's CPU at 100k
// chunks was these loads); together they share a cache line.
//
// termSum and termCnt belong to match query gen. They are folded into sum
// when a later match query first reaches the document, or at the end: a
// pass over every document the match query reached, after each match
// query, cost as much as the walk's own loop (docs/BENCHMARKS.md).
type docAccum struct {
	termSum float64 // match query gen's sum
	sum     float64 // the sum over earlier match queries
	termCnt uint16  // match query gen's terms found
	cnt     uint16  // earlier match queries matched
	gen     uint32  // the last match query that reached the document; 0: none
}

// fold adds the pending match query's share to sum.
func (d *docAccum) fold(nt []float64) {
	d.sum += d.termSum * float64(d.termCnt) / nt[d.gen]
	d.cnt++
	d.termSum, d.termCnt = 0, 0
}

// scoringSlots bounds how many searches score at once and keeps their
// accumulators. Scoring is pure CPU, so more searches at once than cores
// only interleave them; each also held 24 bytes per chunk of accumulators.
// They were in a sync.Pool, which drops its items at every other GC: under
// load each search allocated and cleared 2 MB again at 100k chunks and grew
// its touched lists from empty, and 256 requests in flight held half a GB
// (handbook bench load, docs/BENCHMARKS.md). A search waits here for a
// slot, or for its context to end.
var scoringSlots = newSlots(max(2, runtime.GOMAXPROCS(0)))

func newSlots(n int) chan *accum {
	c := make(chan *accum, n)
	for range n {
		c <- &accum{}
	}
	return c
}

// getAccum takes a slot with accumulators for n documents.
func getAccum(ctx context.Context, n int) (*accum, error) {
	var a *accum
	select {
	case a = <-scoringSlots:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if len(a.docs) < n {
		n += n / 8 // room for the next documents added
		a.docs = make([]docAccum, n)
		a.touched = make([]uint64, (n+63)/64)
	}
	return a, nil
}

// release zeroes what the search touched and gives the slot back, also
// after a search that stopped on an error halfway through a match query.
func (a *accum) release() {
	for w, bits := range a.touched {
		for ; bits != 0; bits &= bits - 1 {
			a.docs[w*64+mathbits.TrailingZeros64(bits)] = docAccum{}
		}
		a.touched[w] = 0
	}
	scoringSlots <- a
}

// scored is a document number with its score.
type scored struct {
	num   uint64
	score float64
}

// worse orders by score, then by document number as bleve's collector
// does: of equal scores the earlier document comes first.
func worse(p, q scored) bool {
	return p.score < q.score || (p.score == q.score && p.num > q.num)
}

// bestFirst compares for sorting the best first, by worse.
func bestFirst(p, q scored) int {
	switch {
	case worse(q, p):
		return -1
	case worse(p, q):
		return 1
	}
	return 0
}

// termAtATime returns the k best documents of the disjunction of specs among
// those passing must (each a set the document must be in) and mustNot, best
// first, with their scores and stored fields. ok is false when the index is
// not a scorch snapshot; the caller then runs the query through bleve.
func (x *Index) termAtATime(ctx context.Context, specs []matchSpec, fs filterSet, k int) (hits []candidate, ok bool, err error) {
	if k <= 0 {
		return nil, true, nil
	}
	adv, err := x.idx.Advanced()
	if err != nil {
		return nil, false, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, false, err
	}
	defer r.Close()
	snap, isSnap := r.(*scorch.IndexSnapshot)
	if !isSnap {
		return nil, false, nil
	}
	segs := snap.Segments()
	offsets := make([]uint64, len(segs))
	var total uint64
	for i, s := range segs {
		offsets[i] = total
		total += s.Segment().Count()
	}
	if total >= math.MaxUint32 {
		return nil, false, nil
	}
	docTotal, err := snap.DocCount()
	if err != nil {
		return nil, false, err
	}
	live := make([]segment.Segment, len(segs))
	for i, s := range segs {
		live[i] = s.Segment()
	}
	x.postings.prune(snap, func() []segment.Segment { return live })
	a, err := getAccum(ctx, int(total))
	if err != nil {
		return nil, true, err
	}
	defer a.release()
	// Deleted documents are in the cached postings; they are excluded with
	// the filtered ones when the best are picked.
	skip, err := x.excluded(ctx, snap, segs, offsets, total, fs)
	if err != nil {
		return nil, true, err
	}

	dicts := map[string][]segment.TermDictionary{}
	dict := func(field string) ([]segment.TermDictionary, error) {
		if d, ok := dicts[field]; ok {
			return d, nil
		}
		d := make([]segment.TermDictionary, len(segs))
		for i, s := range segs {
			td, err := s.Segment().Dictionary(field)
			if err != nil {
				return nil, fmt.Errorf("dictionary %s: %w", field, err)
			}
			d[i] = td
		}
		dicts[field] = d
		return d, nil
	}
	lists := make([]*postings, len(segs))
	if len(a.decoded) < len(segs) {
		a.decoded = append(a.decoded, make([]postings, len(segs)-len(a.decoded))...)
	}
	dec := decoder{tmp: a.decoded[:len(segs)]}
	// Common bigrams leave their match queries (commonLimit); should that
	// leave the question no term at all, it is walked again with them.
	limit := commonLimit(docTotal)
	var gone int // match queries left with no term
	for dropping := true; ; dropping = false {
		a.nt = append(a.nt[:0], 0)
		kept, dropped := 0, 0
		gone = 0
		for mi, spec := range specs {
			if mi%8 == 0 && ctx.Err() != nil {
				return nil, true, ctx.Err()
			}
			if len(spec.terms) == 0 {
				continue
			}
			gen := uint32(len(a.nt))
			a.nt = append(a.nt, 0)
			n := 0 // the terms the match query keeps
			for _, term := range spec.terms {
				drop := dropping && spec.analyzer == BigramAnalyzer && limit < float64(docTotal)
				// Most lists are cached: they give the document frequency
				// with no second lookup.
				if x.postings.get(termKey{spec.field, term}, live, lists) < len(segs) || !current(lists, segs) {
					if drop {
						// Counted without reading the postings: a common
						// list is long, and decoding it (then caching it,
						// evicting others) only to leave it out cost more
						// than the walk saved.
						df, err := x.termDF(snap, spec.field, term, dict)
						if err != nil {
							return nil, true, fmt.Errorf("postings %s:%s: %w", spec.field, term, err)
						}
						if float64(df) > limit {
							dropped++
							continue
						}
					}
					if err := x.fillPostings(segs, live, spec.field, term, dict, &dec, lists); err != nil {
						return nil, true, fmt.Errorf("postings %s:%s: %w", spec.field, term, err)
					}
				}
				var df uint64
				for _, p := range lists {
					df += p.df
				}
				if drop && float64(df) > limit {
					dropped++
					continue
				}
				n++
				if df == 0 {
					continue
				}
				idf := 1 + math.Log(float64(docTotal)/float64(df+1))
				w := spec.boost * idf * idf
				for i, p := range lists {
					off := uint32(offsets[i])
					for j, n := range p.docs {
						d := off + n
						acc := &a.docs[d]
						c := p.tfn[j] * w
						if acc.gen == gen {
							acc.termSum += c
							acc.termCnt++
							continue
						}
						if acc.gen == 0 {
							a.touched[d/64] |= 1 << (d % 64)
						} else {
							acc.fold(a.nt)
						}
						acc.gen, acc.termSum, acc.termCnt = gen, c, 1
					}
				}
			}
			// Folds of this match query come after its last term.
			a.nt[gen] = float64(n)
			if n == 0 {
				gone++
			}
			kept += n
		}
		if kept > 0 || dropped == 0 {
			break
		}
	}

	nm := float64(len(specs) - gone)
	// The best k are picked with a buffer: documents that may be among
	// them are appended, and when it is full it is cut to its best k,
	// whose worst (kth) then turns away any document not better. Most
	// documents reached fall under kth, and are turned away before the
	// division: below sits a billionth under kth·nm, far more than the
	// rounding of either product, so a score equal to kth's is still
	// compared. A heap of k, sifted for each document that entered, cost
	// three times as much.
	best := a.best[:0]
	if cap(best) < 4*k {
		best = make([]scored, 0, 4*k)
	}
	var kth scored
	below := math.Inf(-1)
	// In document order, each accumulator zeroed once read (release then
	// has nothing left to do).
	for w, bits := range a.touched {
		for ; bits != 0; bits &= bits - 1 {
			d := w*64 + mathbits.TrailingZeros64(bits)
			acc := &a.docs[d]
			if skip != nil && skip[d/64]&(1<<(d%64)) != 0 {
				*acc = docAccum{}
				continue
			}
			acc.fold(a.nt)
			raw := acc.sum * float64(acc.cnt)
			*acc = docAccum{}
			if raw < below {
				continue
			}
			s := scored{num: uint64(d), score: raw / nm}
			if below > math.Inf(-1) && !worse(kth, s) {
				continue
			}
			best = append(best, s)
			if len(best) == cap(best) {
				best = bestOf(best, k)
				kth = best[k-1]
				below = kth.score * nm * (1 - 1e-9)
			}
		}
		a.touched[w] = 0
	}
	a.best = best
	if len(best) > k {
		best = bestOf(best, k)
	}
	slices.SortFunc(best, bestFirst)
	hits = make([]candidate, len(best))
	for i, b := range best {
		hits[i].score = b.score
	}
	if err := x.locsOf(snap, segs, offsets, best, hits); err != nil {
		return nil, true, err
	}
	return hits, true, nil
}

// locsOf sets hits[i].loc to where the record of document best[i] is: the
// locators read before, under one lock for all (a lock and a map lookup
// per candidate were 1% of a loaded server's CPU); locOf reads the others.
func (x *Index) locsOf(snap *scorch.IndexSnapshot, segs []*scorch.SegmentSnapshot, offsets []uint64, best []scored, hits []candidate) error {
	c := &x.locs
	var tableBuf [8][]textLoc
	tables := tableBuf[:0]
	if len(segs) > len(tableBuf) {
		tables = make([][]textLoc, 0, len(segs))
	}
	var missBuf [32]int
	missing := missBuf[:0]
	c.mu.Lock()
	if c.snap == snap {
		for _, s := range segs {
			tables = append(tables, c.segs[s.Segment()])
		}
		for i, b := range best {
			si := segmentOf(offsets, b.num)
			if t, num := tables[si], b.num-offsets[si]; num < uint64(len(t)) && t[num].n > 0 {
				hits[i].loc = t[num]
				continue
			}
			missing = append(missing, i)
		}
	} else {
		for i := range best {
			missing = append(missing, i)
		}
	}
	c.mu.Unlock()
	for _, i := range missing {
		n := best[i].num
		si := segmentOf(offsets, n)
		loc, err := x.locOf(snap, segs[si], n-offsets[si])
		if err != nil {
			return fmt.Errorf("stored fields of %d: %w", n, err)
		}
		hits[i].loc = loc
	}
	return nil
}

// candidate is a chunk found: where its record is, its score, and its id
// when the search had it at hand ("" otherwise: the record's checksum
// still proves the record is the one the locator names).
type candidate struct {
	id    string
	loc   textLoc
	score float64
}

// locOf returns where the record of document num of segment s is, as its
// "tx" field says, read once per segment and document. Reading the stored
// field of every candidate (126 a search at 100k chunks) decompressed a
// block of stored documents each time: 5% of a loaded server's CPU.
func (x *Index) locOf(snap *scorch.IndexSnapshot, s *scorch.SegmentSnapshot, num uint64) (textLoc, error) {
	c := &x.locs
	seg := s.Segment()
	c.mu.Lock()
	if c.snap != snap {
		// Segments a newer snapshot no longer holds go with their arrays.
		live := make(map[segment.Segment]bool, len(snap.Segments()))
		for _, ls := range snap.Segments() {
			live[ls.Segment()] = true
		}
		for k := range c.segs {
			if !live[k] {
				delete(c.segs, k)
			}
		}
		c.snap = snap
	}
	if c.segs == nil {
		c.segs = map[segment.Segment][]textLoc{}
	}
	locs := c.segs[seg]
	if locs == nil {
		locs = make([]textLoc, seg.Count())
		c.segs[seg] = locs
	}
	if num >= uint64(len(locs)) {
		c.mu.Unlock()
		return textLoc{}, fmt.Errorf("document %d of a segment of %d", num, len(locs))
	}
	if l := locs[num]; l.n > 0 {
		c.mu.Unlock()
		return l, nil
	}
	c.mu.Unlock()
	h, err := storedHit(s, num)
	if err != nil {
		return textLoc{}, err
	}
	tx, _ := h.Fields["tx"].(string)
	l, err := parseTextLoc(tx)
	if err != nil {
		return textLoc{}, fmt.Errorf("chunk %s: %w %q", h.ID, err, tx)
	}
	if l.n > 0 {
		c.mu.Lock()
		locs[num] = l
		c.mu.Unlock()
	}
	return l, nil
}

// locCache keeps, per segment, the record locators locOf has read.
type locCache struct {
	mu   sync.Mutex
	snap *scorch.IndexSnapshot
	segs map[segment.Segment][]textLoc
}

// storedHit reads a document's id and stored fields straight from its
// segment, as bleve's search result would give them (the one stored field,
// "tx", is text). Through bleve, each hit meant looking its id up in every
// segment's dictionary again and building a whole document.Document: a
// quarter of a search's CPU at 100k chunks.
func storedHit(s *scorch.SegmentSnapshot, num uint64) (*search.DocumentMatch, error) {
	h := &search.DocumentMatch{Fields: make(map[string]any, len(hitFields))}
	err := s.VisitDocument(num, func(field string, typ byte, value []byte, _ []uint64) bool {
		switch {
		case field == "_id":
			h.ID = string(value)
		case typ == 't':
			h.Fields[field] = string(value)
		}
		return true
	})
	if err == nil && h.ID == "" {
		err = errors.New("no document id")
	}
	return h, err
}

// decoder is one search's scratch space for decoding postings lists that
// the cache does not hold.
type decoder struct {
	pl   segment.PostingsList
	iter segment.PostingsIterator
	tmp  []postings // one per segment: a term's lists are used together
}

// fillPostings completes out, the postings of term in field that the cache
// gave for segs (nil where it had none; live[i] is segs[i]'s segment):
// lists it lacked are decoded and cached, and cached lists counted under
// other deletions are counted again. Without a cache, a list decoded lives
// in dec until the next term.
func (x *Index) fillPostings(segs []*scorch.SegmentSnapshot, live []segment.Segment, field, term string, dict func(string) ([]segment.TermDictionary, error), dec *decoder, out []*postings) error {
	key := termKey{field, term}
	for i, s := range segs {
		del := s.Deleted()
		if p := out[i]; p != nil {
			if p.del != del {
				// Other deletions since it was cached: the same list with
				// its document frequency counted again.
				q := *p
				q.del, q.df = del, liveCount(p.docs, del)
				x.postings.put(key, live[i], &q)
				out[i] = &q
			}
			continue
		}
		p, err := x.decodePostings(s, field, term, dict, i, dec)
		if err != nil {
			return err
		}
		if x.postings != nil {
			c := &postings{
				docs: slices.Clone(p.docs),
				tfn:  slices.Clone(p.tfn),
				df:   p.df, del: del,
			}
			x.postings.put(key, live[i], c)
			p = c
		}
		out[i] = p
	}
	return nil
}

// current reports whether each list was counted with its segment's
// deletions.
func current(lists []*postings, segs []*scorch.SegmentSnapshot) bool {
	for i, s := range segs {
		if lists[i].del != s.Deleted() {
			return false
		}
	}
	return true
}

// decodePostings decodes the postings of term in field of the i-th segment
// s into dec.tmp[i].
func (x *Index) decodePostings(s *scorch.SegmentSnapshot, field, term string, dict func(string) ([]segment.TermDictionary, error), i int, dec *decoder) (*postings, error) {
	ds, err := dict(field)
	if err != nil {
		return nil, err
	}
	pl, err := ds[i].PostingsList([]byte(term), nil, dec.pl)
	if err != nil {
		return nil, err
	}
	dec.pl = pl
	p := &dec.tmp[i]
	p.docs, p.tfn = p.docs[:0], p.tfn[:0]
	if pl.Count() > 0 {
		dec.iter = pl.Iterator(true, true, false, dec.iter)
		for {
			ps, err := dec.iter.Next()
			if err != nil {
				return nil, err
			}
			if ps == nil {
				break
			}
			p.docs = append(p.docs, uint32(ps.Number()))
			p.tfn = append(p.tfn, tfNorm(ps.Frequency(), ps.Norm()))
		}
	}
	p.del = s.Deleted()
	p.df = liveCount(p.docs, p.del)
	return p, nil
}

// liveCount is how many of the sorted document numbers docs are not in del.
func liveCount(docs []uint32, del *roaring.Bitmap) uint64 {
	n := uint64(len(docs))
	if del == nil || len(docs) == 0 {
		return n
	}
	del.Iterate(func(d uint32) bool {
		if d > docs[len(docs)-1] {
			return false
		}
		if _, found := slices.BinarySearch(docs, d); found {
			n--
		}
		return true
	})
	return n
}

// excluded returns the bitset of documents a search must not return in
// snap: deleted ones, those that hit a mustNot set and those that miss a
// must set; nil when there are none. The sets depend only on the snapshot
// and the filter, and most searches share one filter (public, in force
// today): each set is computed once per snapshot and kept, which took a
// numeric range searcher per search off the path (6% of a search at 100k
// chunks). Two filters share a set only when their queries are the same
// (filterSet.key).
func (x *Index) excluded(ctx context.Context, snap *scorch.IndexSnapshot, segs []*scorch.SegmentSnapshot, offsets []uint64, total uint64, fs filterSet) ([]uint64, error) {
	must, mustNot := fs.must, fs.mustNot
	if bits, ok := x.skips.get(snap, fs.key); ok {
		return bits, nil
	}
	bits := make([]uint64, (total+63)/64)
	some := false
	set := func(n uint64) {
		bits[n/64] |= 1 << (n % 64)
		some = true
	}
	for i, s := range segs {
		if del := s.Deleted(); del != nil {
			off := offsets[i]
			del.Iterate(func(n uint32) bool {
				set(off + uint64(n))
				return true
			})
		}
	}
	visit := func(q query.Query, fn func(n uint64)) error {
		s, err := q.Searcher(ctx, snap, x.idx.Mapping(), search.SearcherOptions{Score: "none"})
		if err != nil {
			return err
		}
		defer s.Close()
		sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize(), 0)}
		for {
			dm, err := s.Next(sctx)
			if err != nil {
				return err
			}
			if dm == nil {
				return nil
			}
			if n := binary.BigEndian.Uint64(dm.IndexInternalID); n < total {
				fn(n)
			}
			sctx.DocumentMatchPool.Put(dm)
		}
	}
	for _, q := range mustNot {
		if err := visit(q, set); err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
	}
	// A document must be in every must set: count its memberships and
	// exclude those short of all.
	if len(must) > 0 {
		seen := make([]uint8, total)
		for _, q := range must {
			if err := visit(q, func(n uint64) { seen[n]++ }); err != nil {
				return nil, fmt.Errorf("filter: %w", err)
			}
		}
		for n, c := range seen {
			if int(c) < len(must) {
				set(uint64(n))
			}
		}
	}
	if !some {
		bits = nil
	}
	x.skips.put(snap, fs.key, bits)
	return bits, nil
}

// snapCache keeps values worked out for one index snapshot, at most max
// of them: a newer snapshot starts it afresh, and a full cache drops a
// quarter of its values, picked by the map's random order. Starting a full
// cache afresh made a workload with a few more keys than max miss on all of
// them again and again: at 100k chunks 1,000 questions look up 23,000
// bigrams' document frequencies.
type snapCache[K comparable, V any] struct {
	mu   sync.Mutex
	snap *scorch.IndexSnapshot
	m    map[K]V
	max  int
}

func (c *snapCache[K, V]) get(snap *scorch.IndexSnapshot, k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != snap {
		var zero V
		return zero, false
	}
	v, ok := c.m[k]
	return v, ok
}

func (c *snapCache[K, V]) put(snap *scorch.IndexSnapshot, k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != snap {
		c.snap, c.m = snap, map[K]V{}
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		drop := max(1, c.max/4)
		for old := range c.m {
			delete(c.m, old)
			if drop--; drop == 0 {
				break
			}
		}
	}
	c.m[k] = v
}

// maxSkipSets bounds the exclusion sets kept for one snapshot (about 12 KB
// each at 100,000 chunks); filters beyond it are computed again.
const maxSkipSets = 256

// termDF counts the live documents of snap with term in field, from the
// segments' dictionaries without reading the postings, or as counted
// before for the same snapshot.
func (x *Index) termDF(snap *scorch.IndexSnapshot, field, term string, dict func(string) ([]segment.TermDictionary, error)) (uint64, error) {
	key := dfKey{field, term}
	if df, ok := x.dfs.get(snap, key); ok {
		return df, nil
	}
	ds, err := dict(field)
	if err != nil {
		return 0, err
	}
	var df uint64
	for i, s := range snap.Segments() {
		pl, err := ds[i].PostingsList([]byte(term), s.Deleted(), nil)
		if err != nil {
			return 0, err
		}
		df += pl.Count()
	}
	x.dfs.put(snap, key, df)
	return df, nil
}

type dfKey struct{ field, term string }

// maxDFTerms bounds the terms whose counts are kept for one snapshot (some
// 100 bytes each, 3 MB in all). Counting a question's bigrams in every segment's
// dictionary, to tell the common ones, was a tenth of a loaded server's
// CPU; questions share their bigrams.
const maxDFTerms = 32768

func segmentOf(offsets []uint64, n uint64) int {
	i, _ := slices.BinarySearch(offsets, n+1)
	return i - 1
}

var sqrtCache = func() (c [64]float64) {
	for i := range c {
		c[i] = math.Sqrt(float64(i))
	}
	return c
}()

func sqrtFreq(f uint64) float64 {
	if f < uint64(len(sqrtCache)) {
		return sqrtCache[f]
	}
	return math.Sqrt(float64(f))
}

// tfNorm is a posting's share of its score before the term's weight: the
// square root of its frequency times its norm, as TermQueryScorer
// multiplies them. Kept per posting, the walk multiplies once per posting
// where it looked up a root, widened a norm and multiplied twice; the
// score is the same to the bit, since (√f·norm)·w is what it computed.
func tfNorm(freq uint64, norm float64) float64 {
	return sqrtFreq(freq) * float64(float32(norm))
}

// bestOf reorders s so that its best k (by worse) come first, the k-th
// best last of them, and returns those k; k must be at most len(s). It
// partitions around a middle element, as quickselect does: the order is
// total (document numbers differ), so the k picked are those a full sort
// would put first.
func bestOf(s []scored, k int) []scored {
	lo, hi := 0, len(s) // the k-th best is in s[lo:hi]
	for hi-lo > 1 {
		m := lo + (hi-lo)/2
		s[m], s[hi-1] = s[hi-1], s[m]
		pivot := s[hi-1]
		// Better than the pivot to the left.
		p := lo
		for i := lo; i < hi-1; i++ {
			if worse(pivot, s[i]) {
				s[i], s[p] = s[p], s[i]
				p++
			}
		}
		s[p], s[hi-1] = s[hi-1], s[p]
		switch {
		case p == k-1:
			lo = hi
		case p < k-1:
			lo = p + 1
		default:
			hi = p
		}
	}
	// s[k-1] is the k-th best and all before it are better: it is the
	// worst of the k.
	return s[:k]
}
