package handbook

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"html"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// SearchRequest is a search as the API and CLI receive it.
type SearchRequest struct {
	Query  string
	Limit  int
	Filter Filter
	// Mode chooses the retrieval paths: "" or "hybrid" (vectors when an
	// embedder is configured), "lexical", or "vector" (for evaluation).
	// Anything else is Invalid.
	Mode string
}

// Search modes of SearchRequest.Mode and SearchResult.Mode.
const (
	ModeHybrid  = "hybrid"
	ModeLexical = "lexical"
	ModeVector  = "vector"
)

// DegradedNotice is SearchResult.Degraded when the semantic half could not
// be used: the reader learns that results rest on keywords alone.
const DegradedNotice = "Tìm kiếm ngữ nghĩa tạm thời không khả dụng; kết quả chỉ dựa trên từ khóa."

// SearchResult is what Retriever.Search returns.
type SearchResult struct {
	Query      Query
	Hits       []Hit
	Answerable bool
	// Mode says which retrieval paths contributed: "lexical" or "hybrid".
	Mode string
	// Degraded explains, in Vietnamese, why a path was skipped (e.g. the
	// embedding service did not answer); empty when all went well.
	Degraded string
	// VectorErr is the precise cause of Degraded, for logs; nil when the
	// vector path was skipped without trying (after a recent failure).
	VectorErr error `json:"-"`
	Took      time.Duration
}

// MaxLimit bounds SearchRequest.Limit.
const MaxLimit = 50

// Fusion configures reciprocal rank fusion of the lexical and vector lists.
type Fusion struct {
	K             float64 // RRF constant, 60 by default
	LexicalWeight float64 // 1 by default
	VectorWeight  float64 // 1 by default
}

// Retriever runs the retrieval pipeline of DESIGN.md: analyse, search the
// keyword index (and the vector store when an embedder is set), fuse, rerank
// and cut snippets. Filters are applied inside the indexes.
type Retriever struct {
	Keyword  KeywordIndex
	Vectors  VectorStore // optional
	Embedder Embedder    // optional; nil means lexical only
	Fusion   Fusion
	// Candidates is how many lexical hits are reranked; 0 means
	// DefaultCandidates for the size of the knowledge base.
	Candidates int
	// EmbedTimeout bounds the vector path of one search (query embedding
	// and vector store) so that a slow embedder or database degrades to
	// lexical results instead of stalling the search; 0 means
	// DefaultEmbedTimeout.
	EmbedTimeout time.Duration
	// EmbedCooldown is how long searches skip the vector path after it
	// failed, answering from keywords at once instead of each waiting for
	// a service that is down; 0 means DefaultEmbedCooldown, negative none.
	EmbedCooldown time.Duration
	// Library, when set, returns the current documents: vector hits are
	// checked against them (the document still exists and passes the
	// filter with its current audience, status and dates), because a
	// vector store can lag behind the content (a failed or pending
	// embedding run, replicas sharing pgvector).
	Library func() *Library

	analyzer  atomic.Pointer[Analyzer]
	skipUntil atomic.Int64 // unix nanoseconds; vector path skipped before
}

// Defaults of Retriever.EmbedTimeout and EmbedCooldown.
const (
	DefaultEmbedTimeout  = 3 * time.Second
	DefaultEmbedCooldown = 30 * time.Second
)

// SetAnalyzer installs the analyzer (thesaurus and vocabulary) used for
// queries; called whenever the library is reloaded.
func (r *Retriever) SetAnalyzer(a *Analyzer) { r.analyzer.Store(a) }

// Analyzer returns the current analyzer.
func (r *Retriever) Analyzer() *Analyzer {
	if a := r.analyzer.Load(); a != nil {
		return a
	}
	return &Analyzer{}
}

// Search runs a search request.
func (r *Retriever) Search(ctx context.Context, req SearchRequest) (*SearchResult, error) {
	start := time.Now()
	q, err := r.Analyzer().Analyze(req.Query)
	if err != nil {
		return nil, err
	}
	limit := req.Limit
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, MaxLimit)
	switch req.Mode {
	case "", ModeHybrid, ModeLexical, ModeVector:
	default:
		return nil, Errorf(Invalid, "Chế độ tìm kiếm không hợp lệ: dùng hybrid, lexical hoặc vector.", "bad search mode %q", req.Mode)
	}
	hits, mode, vecErr, err := r.retrieve(ctx, q, req.Filter, limit, req.Mode)
	if err != nil {
		return nil, err
	}
	degraded := ""
	if mode == ModeLexical && vecErr != nil {
		degraded = DegradedNotice
		if errors.Is(vecErr, errSkipped) {
			vecErr = nil
		}
	}
	at := req.Filter.At
	if !at.IsSet() {
		at = Today(time.Now())
	}
	marks := markTerms(q)
	for i := range hits {
		hits[i].Validity = ValidityAt(hits[i].ValidFrom, hits[i].ValidTo, at)
		hits[i].Snippet = hitSnippet(&hits[i], marks, 260)
	}
	return &SearchResult{
		Query:      q,
		Hits:       hits,
		Answerable: Answerable(q, hits),
		Mode:       mode,
		Degraded:   degraded,
		VectorErr:  vecErr,
		Took:       time.Since(start),
	}, nil
}

// DefaultCandidates is how many lexical hits the reranker sees in a
// knowledge base of n chunks: 40 up to 10,000 chunks (the right page is in
// bleve's top 20 for ~98% of the gold questions), then growing with the
// square root of the size, to 126 at 100,000 and at most 160. The more
// chunks share a question's words, the deeper the right one sits in bleve's
// order: at 100k synthetic chunks, 40 → 100 candidates lifted Recall@1 from
// 0.355 to 0.400 for about 1 ms (docs/BENCHMARKS.md); on the built-in
// content more than 40 changes nothing and costs 2 ms.
func DefaultCandidates(n int) int {
	if n <= 10000 {
		return 40
	}
	return min(int(40*math.Sqrt(float64(n)/10000)), 160)
}

// errSkipped is the vector path's error while it cools down after a
// failure.
var errSkipped = errors.New("vector search skipped after a recent failure")

// retrieve returns ranked hits for an analysed query (no snippets), the mode
// used and, when the vector path was wanted but failed, why.
func (r *Retriever) retrieve(ctx context.Context, q Query, f Filter, limit int, want string) (hits []Hit, mode string, vecErr, err error) {
	n := r.Candidates
	if n <= 0 {
		n = DefaultCandidates(r.Analyzer().N)
	}
	n = max(n, limit)
	hasVectors := r.Embedder != nil && r.Vectors != nil
	if want == ModeVector {
		if !hasVectors {
			return nil, "", nil, Errorf(Invalid, "Chưa cấu hình tìm kiếm ngữ nghĩa (embedding).", "vector mode without an embedder")
		}
		vec, err := r.nearest(ctx, q, f, n)
		if err != nil {
			if ctx.Err() != nil {
				return nil, "", nil, ctx.Err()
			}
			return nil, "", nil, Errorf(Unavailable, DegradedNotice, "vector search: %v", err)
		}
		return truncate(dedupe(vec), limit), ModeVector, nil, nil
	}
	// The vector path (a network call to the embedding model) runs while
	// the keyword index is searched.
	type vecResult struct {
		hits []Hit
		err  error
	}
	var vecDone chan vecResult
	if hasVectors && want != ModeLexical {
		vecDone = make(chan vecResult, 1)
		vctx, cancel := context.WithCancel(ctx)
		defer cancel() // stops it when the keyword search fails
		go func() {
			hits, err := r.nearest(vctx, q, f, n)
			vecDone <- vecResult{hits, err}
		}()
	}
	// The keyword hits may point into the index's buffers (ScratchSearcher):
	// what is returned is copied (OwnHits) before they go back.
	var releases []func()
	defer func() {
		for _, release := range releases {
			release()
		}
	}()
	// own copies what is returned out of those buffers, when there are any.
	own := func(hits []Hit) []Hit {
		if len(releases) == 0 {
			return hits
		}
		return OwnHits(hits)
	}
	keyword := func(f Filter) ([]Hit, error) {
		if s, ok := r.Keyword.(ScratchSearcher); ok {
			hits, release, err := s.SearchScratch(ctx, q, f, n)
			if err == nil {
				releases = append(releases, release)
			}
			return hits, err
		}
		return r.Keyword.Search(ctx, q, f, n)
	}
	lex, err := keyword(f)
	if err != nil {
		return nil, "", nil, err
	}
	if len(q.Docs) > 0 {
		// The question names texts by number: look in them directly, in
		// force or not (their validity label says which).
		named := f
		named.Docs, named.AllDates = q.Docs, true
		more, err := keyword(named)
		if err != nil {
			return nil, "", nil, err
		}
		lex = mergeHits(lex, more)
	}
	lex = dedupe(Rerank(q, lex))
	if vecDone == nil {
		return own(truncate(lex, limit)), ModeLexical, nil, nil
	}
	v := <-vecDone
	if v.err != nil {
		if ctx.Err() != nil {
			return nil, "", nil, ctx.Err()
		}
		return own(truncate(lex, limit)), ModeLexical, v.err, nil
	}
	return own(truncate(dedupe(Fuse(r.Fusion, lex, dedupe(v.hits))), limit)), ModeHybrid, nil, nil
}

// dedupe keeps the best chunk of each place a reader would open: one per
// procedure, FAQ or template page (its sections are one answer), up to two
// per guide, and one per article of a regulation (the pieces of a split
// section are one place). Without it one procedure's card, steps and
// mistakes filled the top three and pushed the right page down.
//
// A place is keyed by its page and anchor side by side: joined into one
// string they were a quarter of the allocations of a search at 100k chunks.
func dedupe(hits []Hit) []Hit {
	type place struct{ doc, anchor string }
	seen := make(map[place]int, len(hits))
	out := hits[:0]
	for _, h := range hits {
		k, limit := place{doc: h.DocID}, 1
		switch h.Kind {
		case KindRegulation:
			k.anchor = h.Anchor
		case KindGuide:
			limit = 2
		}
		if seen[k] >= limit {
			continue
		}
		seen[k]++
		out = append(out, h)
	}
	return out
}

// nearest embeds the query and searches the vector store, within
// EmbedTimeout. A failure starts the cool-down; during it nearest returns
// errSkipped without trying.
func (r *Retriever) nearest(ctx context.Context, q Query, f Filter, n int) ([]Hit, error) {
	if until := r.skipUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		return nil, errSkipped
	}
	timeout := r.EmbedTimeout
	if timeout <= 0 {
		timeout = DefaultEmbedTimeout
	}
	vctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hits, err := r.searchVectors(vctx, q, f, n)
	if err != nil && ctx.Err() == nil {
		// Not the caller giving up: the embedder or the store failed.
		if cool := r.EmbedCooldown; cool >= 0 {
			if cool == 0 {
				cool = DefaultEmbedCooldown
			}
			r.skipUntil.Store(time.Now().Add(cool).UnixNano())
		}
		return nil, err
	}
	if err == nil {
		r.skipUntil.Store(0)
	}
	return hits, err
}

func (r *Retriever) searchVectors(ctx context.Context, q Query, f Filter, n int) ([]Hit, error) {
	vs, err := r.Embedder.Embed(ctx, []string{q.Raw})
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	if len(vs) != 1 {
		return nil, fmt.Errorf("embedder returned %d vectors for one query", len(vs))
	}
	if err := CheckVector(vs[0]); err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	hits, err := r.Vectors.Nearest(ctx, vs[0], f, n)
	if err != nil {
		return nil, fmt.Errorf("vector search: %w", err)
	}
	return r.current(hits, f), nil
}

// current drops vector hits whose document is gone or, with its current
// metadata, no longer passes f, and refreshes the metadata of the others;
// without Library it returns hits as they are.
func (r *Retriever) current(hits []Hit, f Filter) []Hit {
	if r.Library == nil {
		return hits
	}
	lib := r.Library()
	if lib == nil {
		return hits
	}
	out := hits[:0]
	for _, h := range hits {
		d, ok := lib.Doc(h.DocID)
		if !ok {
			continue
		}
		c := Chunk{ID: h.ChunkID, DocID: d.ID, Kind: d.Kind, Field: d.Field(), Audience: d.Audience, Status: d.Status,
			ValidFrom: d.ValidFrom(), ValidTo: d.ValidTo()}
		if !f.Allows(&c) {
			continue
		}
		h.Kind, h.Title, h.Field, h.Audience, h.ValidFrom, h.ValidTo = c.Kind, d.Title, c.Field, c.Audience, c.ValidFrom, c.ValidTo
		out = append(out, h)
	}
	return out
}

func truncate(h []Hit, n int) []Hit {
	if len(h) > n {
		return h[:n]
	}
	return h
}

// Fuse merges a lexical and a vector ranking by weighted reciprocal rank
// fusion: score = wl/(k+rank_lex) + wv/(k+rank_vec). Hits present in only
// one list keep that list's contribution.
func Fuse(o Fusion, lexical, vector []Hit) []Hit {
	k := o.K
	if k <= 0 {
		k = 60
	}
	wl, wv := o.LexicalWeight, o.VectorWeight
	if wl == 0 && wv == 0 {
		wl, wv = 1, 1
	}
	byID := map[string]*Hit{}
	var order []string
	score := map[string]float64{}
	add := func(list []Hit, w float64) {
		for i, h := range list {
			if _, ok := byID[h.ChunkID]; !ok {
				h := h
				byID[h.ChunkID] = &h
				order = append(order, h.ChunkID)
			}
			score[h.ChunkID] += w / (k + float64(i+1))
		}
	}
	add(lexical, wl)
	add(vector, wv)
	out := make([]Hit, 0, len(order))
	for _, id := range order {
		h := *byID[id]
		h.Score = score[id]
		out = append(out, h)
	}
	slices.SortStableFunc(out, func(a, b Hit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return out
}

// Rerank reorders lexical candidates by cheap, explainable features
// (retrieval-notes.md): the bleve score normalised to the best one, the
// longest run of query syllables found verbatim in the chunk, and how much
// of the chunk's own title (article or section heading) the query contains.
func Rerank(q Query, hits []Hit) []Hit {
	if len(hits) == 0 {
		return hits
	}
	top := hits[0].Score
	for _, h := range hits {
		top = max(top, h.Score)
	}
	if top <= 0 {
		top = 1
	}
	qset := map[string]bool{}
	for _, t := range q.Terms {
		qset[t] = true
	}
	// Every syllable of the query and its expansions: a name can match
	// only if its first syllable is one.
	anyTerm := maps.Clone(qset)
	for _, e := range q.expansionTerms() {
		for _, t := range e {
			anyTerm[t] = true
		}
	}
	qmarks := newMarkSet(qset)
	type ranked struct {
		score float64
		i     int
	}
	order := make([]ranked, len(hits))
	for i := range hits {
		h := &hits[i]
		doc := h.Folded
		if doc == "" {
			doc = strings.Join(FoldedSyllables(h.Title+" "+h.Heading+" "+h.Text), " ")
		}
		run, cover := bestRun(q, doc)
		h.Score = h.Score/top + RerankRunWeight*run + RerankCoverWeight*cover + RerankTitleWeight*titleCoverage(&qmarks, h) +
			RerankNameWeight*nameMatch(q, anyTerm, h) + RerankRefWeight*refMatch(q, qset, h)
		order[i] = ranked{h.Score, i}
	}
	// The order is sorted, not the hits: a Hit is some 300 bytes, and
	// moving them about in a stable sort of 126 was a fifth of Rerank.
	slices.SortStableFunc(order, func(a, b ranked) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	// Put each hit in its place by following the permutation's cycles,
	// without a second array of hits (38 KB a search).
	for k := range order {
		if order[k].i < 0 || order[k].i == k {
			continue
		}
		tmp := hits[k]
		for j := k; ; {
			src := order[j].i
			order[j].i = -1
			if src == k {
				hits[j] = tmp
				break
			}
			hits[j], j = hits[src], src
		}
	}
	return hits
}

// Rerank weights, measured on the gold sets (docs/BENCHMARKS.md).
var (
	RerankRunWeight   = 1.5
	RerankTitleWeight = 0.1
	RerankNameWeight  = 0.25
	RerankRefWeight   = 1.0
	RerankCoverWeight = 1.0
)

// mergeHits adds the hits of b that a lacks, keeping a's order.
func mergeHits(a, b []Hit) []Hit {
	seen := make(map[string]bool, len(a))
	for _, h := range a {
		seen[h.ChunkID] = true
	}
	for _, h := range b {
		if !seen[h.ChunkID] {
			a = append(a, h)
		}
	}
	return a
}

// nameMatch is 1 when the question contains the page's title or one of its
// aliases (two syllables or more) verbatim: the caller named the procedure
// (0.8 when a thesaurus expansion of the question does). anyTerm holds the
// syllables of the question and its expansions: a name whose first
// syllable is not one of them is passed over unsplit, as nearly all are.
func nameMatch(q Query, anyTerm map[string]bool, h *Hit) float64 {
	if h.Kind == KindRegulation {
		return 0 // every article shares the law's name
	}
	if strings.TrimSpace(h.Names) != "" {
		if !anyFirst(h.Names, anyTerm) {
			return 0
		}
	}
	names := splitNames(h.Names)
	if names == nil {
		names = [][]string{FoldedSyllables(h.Title)}
	}
	best := 0.0
	for _, n := range names {
		if len(n) < 2 {
			continue
		}
		if longestRun(n, q.Terms) == len(n) {
			return 1
		}
		for _, e := range q.expansionTerms() {
			if longestRun(n, e) == len(n) {
				best = 0.8
			}
		}
	}
	return best
}

// anyFirst reports whether a line of names starts with a syllable in set.
func anyFirst(names string, set map[string]bool) bool {
	for n := range strings.SplitSeq(names, "\n") {
		for f := range strings.FieldsSeq(n) {
			if set[f] {
				return true
			}
			break // the first syllable only
		}
	}
	return false
}

// splitNames splits Hit.Names into each name's syllables, nil when there
// are none. All names share one array of syllables: two allocations where
// splitting by line and then by field made one per name and more.
func splitNames(s string) [][]string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	out := make([][]string, 0, strings.Count(s, "\n")+1)
	all := make([]string, 0, strings.Count(s, " ")+strings.Count(s, "\n")+1)
	for n := range strings.SplitSeq(s, "\n") {
		start := len(all)
		for f := range strings.FieldsSeq(n) {
			all = append(all, f)
		}
		if len(all) > start {
			out = append(out, all[start:len(all):len(all)])
		}
	}
	return out
}

// refMatch rewards hits in a text the question names by number, and the
// article it names ("điều 16"), when the text's name also appears.
func refMatch(q Query, qset map[string]bool, h *Hit) float64 {
	score := 0.0
	named := slices.Contains(q.Docs, h.DocID)
	if named {
		score += 0.5
	}
	if q.Article != "" && h.Kind == KindRegulation && (h.Anchor == q.Article || strings.HasPrefix(h.Anchor, q.Article+"-")) {
		if named {
			score += 0.5
		} else {
			// The law named by its title: "luật hộ tịch điều 16".
			terms := FoldedSyllables(h.Title)
			found := 0
			for _, t := range terms {
				if qset[t] {
					found++
				}
			}
			if len(terms) > 0 {
				score += 0.5 * float64(found) / float64(len(terms))
			}
		}
	}
	return score
}

// bestRun is the idf mass of the heaviest run of two or more consecutive
// query terms found verbatim in doc (folded syllables joined by single
// spaces), as a share of the query's idf mass; it also returns the share of
// that mass found anywhere in doc (coverage).
//
// It runs over every candidate's text for every question (126 texts of
// ~150 syllables at 100k chunks), so it makes one pass with no allocation.
// A syllable of up to 8 bytes is read as one word (wordKey), its end found
// among those 8 bytes at once, and looked up by that word in a sparse
// open-addressing table of the query's terms. A term continues a run when
// the term before it in the query matched the syllable before
// (last[prev] == pos-1), so nothing is reset between syllables.
//
// A quarter of a candidate's syllables are query terms, at random, so a
// branch on "is it one" mispredicted at every few syllables: a syllable
// that is none is counted as the dummy term D, whose run nobody extends,
// and the same few steps run either way. Only a syllable landing on
// another term's slot (one in sixteen at most, the table kept that
// sparse) and a query repeating a term take branches of their own: 10%
// less time than a branch on each lookup, on the candidates of 200
// questions at 100k chunks (1.54 against 1.70 µs a text). Before, comparing
// each syllable with every term and zeroing every term's run at each, then
// hashing byte by byte, were a tenth of a loaded server's CPU.
func bestRun(q Query, doc string) (run, cover float64) {
	terms := q.Terms
	n := len(terms)
	// Terms are numbered from 1; 0 is the sentinel S before the first
	// (never matched: last[S] stays -2) and n+1 the dummy D.
	const inline = 32
	var (
		lastBuf [inline + 2]int32   // position of the syllable the term matched last
		massBuf [inline + 2]float64 // mass of the run ending with the term there
		lenBuf  [inline + 2]int32   // its length
		nextBuf [inline + 2]int32   // the next lower term with the same text, or 0
		wBuf    [inline + 2]float64 // the term's weight; D's is 0
		slotBuf [16 * inline]int32  // a term or 0; at most 1/16 full
		keyBuf  [16 * inline]uint64
	)
	last, mass, length, next, w := lastBuf[:], massBuf[:], lenBuf[:], nextBuf[:], wBuf[:]
	slots, keys := slotBuf[:], keyBuf[:]
	if n > inline {
		last, mass, length, next, w = make([]int32, n+2), make([]float64, n+2), make([]int32, n+2), make([]int32, n+2), make([]float64, n+2)
		size := 16 << bits.Len(uint(n))
		slots, keys = make([]int32, size), make([]uint64, size)
	}
	dummy := int32(n + 1)
	total := 0.0
	for i := 1; i <= n; i++ {
		w[i] = 1
		if len(q.Weights) == n {
			w[i] = q.Weights[i-1]
		}
		total += w[i]
	}
	if total == 0 {
		return 0, 0
	}
	for i := range n + 2 {
		last[i] = -2
	}
	shift := 64 - uint(bits.Len(uint(len(slots)-1)))
	mask := len(slots) - 1
	// slots hold the highest number of each distinct term, keys its word;
	// next chains the lower numbers of the same term, highest first.
	for i, t := range terms {
		k := wordKey(t)
		for h := int(k * 0x9E3779B97F4A7C15 >> shift); ; h = (h + 1) & mask {
			if slots[h] == 0 {
				slots[h], keys[h] = int32(i)+1, k
				break
			}
			if head := slots[h]; keys[h] == k && terms[head-1] == t {
				next[i+1] = head
				slots[h] = int32(i) + 1
				break
			}
		}
	}
	b := unsafe.Slice(unsafe.StringData(doc), len(doc))
	best := 0.0
	pos := int32(0)
	for start := 0; start <= len(doc); pos++ {
		// The syllable's end: the first space among the next 8 bytes, or
		// further on.
		end, k := -1, uint64(0)
		if start+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[start:])
			y := x ^ 0x2020202020202020
			if z := (y - 0x0101010101010101) &^ y & 0x8080808080808080; z != 0 {
				n := bits.TrailingZeros64(z) / 8
				end, k = start+n, x&(1<<(8*n)-1)
			}
		}
		if end < 0 {
			if sp := strings.IndexByte(doc[start:], ' '); sp >= 0 {
				end = start + sp
			} else {
				end = len(doc)
			}
			k = wordKey(doc[start:end])
		}
		t := doc[start:end]
		start = end + 1
		if t == "" {
			continue
		}
		h := int(k * 0x9E3779B97F4A7C15 >> shift)
		i := dummy
		if keys[h] == k {
			i = slots[h] // k != 0: the slot is taken
		} else if slots[h] != 0 {
			// Another term's slot: the term, if any, is further on.
			for h = (h + 1) & mask; slots[h] != 0; h = (h + 1) & mask {
				if keys[h] == k {
					i = slots[h]
					break
				}
			}
		}
		if len(t) > 8 && i != dummy && terms[i-1] != t {
			i = dummy // another syllable of the same hash
		}
		// Highest number first, so that the previous term's last is still
		// the previous syllable's when it is the same text. D's previous
		// term is S.
		for ; ; i = next[i] {
			p := i - 1
			if i == dummy {
				p = 0
			}
			l, m := int32(1), w[i]
			if last[p] == pos-1 {
				l, m = length[p]+1, mass[p]+w[i]
			}
			length[i], mass[i], last[i] = l, m, pos
			if l >= 2 {
				best = max(best, m)
			}
			if next[i] == 0 {
				break
			}
		}
	}
	found := 0.0
	for i := 1; i <= n; i++ {
		if last[i] >= 0 {
			found += w[i]
		}
	}
	return best / total, found / total
}

// wordKey is t's bytes as a little-endian word when t has at most 8 of
// them (text holds no zero bytes, so no two such syllables share one), and
// a hash of them otherwise. Equal keys still need equal strings.
func wordKey(t string) uint64 {
	if len(t) <= 8 {
		var k uint64
		for i := len(t) - 1; i >= 0; i-- {
			k = k<<8 | uint64(t[i])
		}
		return k
	}
	k := uint64(14695981039346656037)
	for i := 0; i < len(t); i++ {
		k = (k ^ uint64(t[i])) * 1099511628211
	}
	return k
}

// longestRun is the length of the longest run of consecutive query terms
// that occurs verbatim in doc.
func longestRun(q, doc []string) int {
	best := 0
	for i := range q {
		for j := range doc {
			n := 0
			for i+n < len(q) && j+n < len(doc) && q[i+n] == doc[j+n] {
				n++
			}
			best = max(best, n)
		}
	}
	return best
}

// titleCoverage is the share of the hit's own title syllables (the last
// heading, without "Điều N."; the document title for cards) that the query
// contains.
func titleCoverage(marks *markSet, h *Hit) float64 {
	title := lastSection(h.Heading)
	if h.Anchor == "" || title == "" {
		title = h.Title
	}
	if strings.HasPrefix(title, "Điều ") {
		if i := strings.Index(title, ". "); i > 0 {
			title = title[i+2:]
		}
	}
	// Folded syllable by syllable into one buffer: this runs for every
	// candidate, and FoldedSyllables allocated a string per syllable. No
	// NFC pass first: folding drops decomposed marks as it drops composed
	// ones, and composing every candidate's title was half of this.
	var buf [64]byte
	total, n := 0, 0
	eachToken(title, func(start, end int) {
		total++
		if f := AppendFold(buf[:0], title[start:end]); marks.has(unsafe.String(unsafe.SliceData(f), len(f))) {
			n++
		}
	})
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}

// headingSep joins the headings of a section's path.
const headingSep = " › "

// lastSection is heading after its last headingSep: the section's own
// title. strings.LastIndex over every candidate's heading was a quarter of
// titleCoverage; this looks for the separator's last byte from the end.
func lastSection(heading string) string {
	for end := len(heading); ; {
		i := strings.LastIndexByte(heading[:end], headingSep[len(headingSep)-2])
		if i < 0 {
			return heading
		}
		if start := i - (len(headingSep) - 2); start >= 0 && i+1 < len(heading) && heading[start:i+2] == headingSep {
			return heading[i+2:]
		}
		end = i
	}
}

// stopTerms are folded question words that carry no topic. They are kept in
// queries (removing them hurt ranking) but not counted as evidence.
var stopTerms = map[string]bool{
	"la": true, "co": true, "khong": true, "duoc": true, "gi": true, "nao": true, "thi": true, "toi": true,
	"em": true, "anh": true, "chi": true, "can": true, "lam": true, "sao": true, "the": true, "nhu": true,
	"o": true, "dau": true, "cho": true, "cua": true, "va": true, "voi": true, "de": true, "bao": true,
	"nhieu": true, "ai": true, "may": true, "a": true, "ah": true, "nhe": true, "vay": true, "muon": true,
	"hoi": true, "xin": true, "ve": true, "thu": true, "tuc": true, "mot": true, "cac": true, "nhung": true,
	"khi": true, "neu": true, "phai": true, "di": true, "ra": true, "vao": true, "trong": true, "tai": true,
}

// Answerable reports whether the best hit is strong enough evidence to
// answer from: it must contain a fair share of the query's topic words.
func Answerable(q Query, hits []Hit) bool {
	if len(hits) == 0 {
		return false
	}
	return Coverage(q, &hits[0]) >= AnswerableCoverage
}

// AnswerableCoverage is the share of topic words the best hit must contain.
var AnswerableCoverage = 0.5

// Coverage is the share of the query's topic words (or of its expansions'
// words, whichever is higher) that occur in the hit.
func Coverage(q Query, h *Hit) float64 {
	// The hit's folded syllables as the index stored them (title, heading
	// and text), read in place: splitting them into a set allocated some
	// 28 KB per search for the best hit alone.
	folded := h.Folded
	if folded == "" {
		folded = strings.Join(FoldedSyllables(h.Title+" "+h.Heading+" "+h.Text), " ")
	}
	// Whether each syllable of the question and its expansions is in the
	// hit.
	expansions := make([][]string, len(q.Expansions))
	inDoc := map[string]bool{}
	for _, t := range q.Terms {
		inDoc[t] = false
	}
	for i, e := range q.Expansions {
		expansions[i] = FoldedSyllables(e)
		for _, t := range expansions[i] {
			inDoc[t] = false
		}
	}
	for t := range strings.SplitSeq(folded, " ") {
		if _, ok := inDoc[t]; ok {
			inDoc[t] = true
		}
	}
	share := func(terms []string) float64 {
		n, found := 0, 0
		for _, t := range terms {
			if stopTerms[t] {
				continue
			}
			n++
			if inDoc[t] {
				found++
			}
		}
		if n == 0 {
			return 0
		}
		return float64(found) / float64(n)
	}
	best := share(q.Terms)
	for _, e := range expansions {
		best = max(best, share(e)*0.9)
	}
	return best
}

// Snippet cuts the window of text (about size runes) with the most query
// syllables, HTML-escapes it and wraps matching syllables in <mark>.
func Snippet(text string, q Query, size int) string {
	return snippet(text, "", markTerms(q), size)
}

// hitSnippet is h's snippet, read with the folded syllables h carries.
func hitSnippet(h *Hit, marks markSet, size int) string {
	return snippet(h.Text, foldedText(h), marks, size)
}

// foldedText is the part of h.Folded that folds h.Text: what follows the
// title's and heading's syllables. It is "" when h carries no folded text.
func foldedText(h *Hit) string {
	if h.Folded == "" {
		return ""
	}
	skip := 0
	eachToken(h.Title, func(int, int) { skip++ })
	eachToken(h.Heading, func(int, int) { skip++ })
	f := h.Folded
	for ; skip > 0; skip-- {
		i := strings.IndexByte(f, ' ')
		if i < 0 {
			return ""
		}
		f = f[i+1:]
	}
	return f
}

// markSet holds the folded syllables a snippet marks (markTerms), with a
// filter by length and first byte that turns most syllables away before
// the map is asked.
type markSet struct {
	terms  map[string]bool
	filter [16]uint64 // bit (first byte & 63) of word len & 15
}

func newMarkSet(terms map[string]bool) markSet {
	m := markSet{terms: terms}
	for t := range terms {
		if t != "" {
			m.filter[len(t)&15] |= 1 << (t[0] & 63)
		}
	}
	return m
}

func (m *markSet) has(t string) bool {
	return t != "" && m.filter[len(t)&15]&(1<<(t[0]&63)) != 0 && m.terms[t]
}

// markTerms are the folded syllables a snippet marks: the query's and its
// expansions', stop words excepted.
func markTerms(q Query) markSet {
	terms := map[string]bool{}
	add := func(t string) {
		if !stopTerms[t] {
			terms[t] = true
		}
	}
	for _, t := range q.Terms {
		add(t)
	}
	for _, e := range q.expansionTerms() {
		for _, t := range e {
			add(t)
		}
	}
	return newMarkSet(terms)
}

// snippet cuts text's window of about size bytes that holds the most
// marked syllables, collapses its white space, escapes it and marks the
// syllables. folded, when not "", holds the folded syllables of text joined
// by single spaces (a hit's stored Folded without its title and heading):
// reading them in step with text spares folding each syllable, half of
// the work. If they do not line up with text's syllables, text is folded
// here.
//
// It runs over the whole text of every hit shown (ten per search), so it
// reads text once and copies only the window: collapsing the whole text
// first, then folding every syllable, was 15% of a loaded server's CPU at
// 100k chunks. Distances are measured in text as it is, white space
// included.
func snippet(text, folded string, marks markSet, size int) string {
	// A match is a marked syllable, with where the snippet starts if the
	// window starts there: four syllables earlier, for context.
	type span struct{ start, end, tok, from int }
	var (
		matchBuf [32]span
		buf      [64]byte
	)
	find := func(folded string) ([]span, bool) {
		matches := matchBuf[:0]
		tok, ok, fold, left := 0, true, folded == "", folded != ""
		var recent [4]int // starts of the last four syllables, by tok % 4
		eachToken(text, func(start, end int) {
			var f []byte
			switch {
			case fold:
				f = AppendFold(buf[:0], text[start:end])
			case !left:
				ok = false // more syllables than folded ones
			default:
				i := strings.IndexByte(folded, ' ')
				if i < 0 {
					i, left = len(folded), false
				}
				f = unsafe.Slice(unsafe.StringData(folded), i)
				folded = folded[min(i+1, len(folded)):]
			}
			from := 0 // the text's start when the context reaches the first syllable
			if tok > 4 {
				from = recent[tok%4]
			}
			recent[tok%4] = start
			if marks.has(unsafe.String(unsafe.SliceData(f), len(f))) {
				matches = append(matches, span{start, end, tok, from})
			}
			tok++
		})
		return matches, ok && !left
	}
	var matches []span
	ok := false
	if folded != "" {
		matches, ok = find(folded)
	}
	if !ok {
		matches, _ = find("")
	}
	// The window starts at a matching syllable and holds the most matches
	// within size bytes; the first such window wins.
	best, bestN := 0, 0
	for a, end := 0, 0; a < len(matches); a++ {
		end = max(end, a)
		for end < len(matches) && matches[end].end-matches[a].start <= size {
			end++
		}
		if n := end - a; n > bestN {
			best, bestN = a, n
		}
	}
	from, fromTok := 0, 0
	if bestN > 0 {
		from, fromTok = matches[best].from, max(matches[best].tok-4, 0)
	}
	to := len(text)
	if n := prefixRunes(text[from:], size); n < len(text)-from {
		to = from + n
		if k := lastSpace(text[from:to]); k > size/2 {
			to = from + k
		}
	}
	window := collapseSpace(text[from:to])
	// A window cut inside a syllable ends with part of it, never marked.
	r1, _ := utf8.DecodeLastRuneInString(text[:to])
	r2, _ := utf8.DecodeRuneInString(text[to:])
	cut := to < len(text) && IsWordRune(r1) && IsWordRune(r2)
	var b strings.Builder
	b.Grow(len(window) + 16*bestN + 8)
	if from > 0 {
		b.WriteString("… ")
	}
	// The window's syllables are text's from fromTok on: collapsing white
	// space changes no syllable.
	pos, tok, m := 0, fromTok, 0
	eachToken(window, func(start, end int) {
		for m < len(matches) && matches[m].tok < tok {
			m++
		}
		if m < len(matches) && matches[m].tok == tok && !(cut && end == len(window)) {
			b.WriteString(html.EscapeString(window[pos:start]))
			b.WriteString("<mark>")
			b.WriteString(html.EscapeString(window[start:end]))
			b.WriteString("</mark>")
			pos = end
		}
		tok++
	})
	b.WriteString(html.EscapeString(window[pos:]))
	if to < len(strings.TrimRightFunc(text, unicode.IsSpace)) {
		b.WriteString(" …")
	}
	return b.String()
}

// lastSpace is the offset of the last white space in s, or -1.
func lastSpace(s string) int {
	return strings.LastIndexFunc(s, unicode.IsSpace)
}

// collapseSpace is strings.Join(strings.Fields(s), " ") in one pass over
// the bytes, without allocating when s has no run of white space to
// collapse. It runs over the whole text of every hit shown; through
// strings.FieldsSeq, which decodes every rune of non-ASCII text, it was 4%
// of a loaded server's CPU at 100k chunks, and decoding every rune whose
// first byte might start a Unicode space (0xE1 starts most Vietnamese
// letters) was still 5%. Bytes are read one at a time: a byte that is not
// the start of a space is copied as it is, whether or not it starts a
// rune, so nothing is decoded (spaceLen).
func collapseSpace(s string) string {
	var out []byte // nil while s needs no change
	end := 0       // end of the last word; s[:end] is the result so far when out is nil
	for i := 0; i < len(s); {
		// Skip a run of spaces, then take the word after it.
		j := i
		for j < len(s) {
			sz := 1
			if c := s[j]; c >= utf8.RuneSelf {
				sz = spaceLen(s[j:])
			} else if !asciiSpace[c] {
				sz = 0
			}
			if sz == 0 {
				break
			}
			j += sz
		}
		if j == len(s) {
			break
		}
		k := j + 1
	word:
		for ; k < len(s); k++ {
			switch c := s[k]; {
			case c < utf8.RuneSelf:
				if asciiSpace[c] {
					break word
				}
			case c == 0xE1: // most Vietnamese letters; only U+1680 is a space
				if k+1 < len(s) && s[k+1] == 0x9A && spaceLen(s[k:]) > 0 {
					break word
				}
			case c == 0xC2 || c == 0xE2 || c == 0xE3:
				if spaceLen(s[k:]) > 0 {
					break word
				}
			}
		}
		first := end == 0 && out == nil
		switch {
		case out != nil:
			out = append(append(out, ' '), s[j:k]...)
		case first && j == 0, !first && j == end+1 && s[end] == ' ':
			// Still s itself.
		default:
			out = append(make([]byte, 0, len(s)), s[:end]...)
			if !first {
				out = append(out, ' ')
			}
			out = append(out, s[j:k]...)
		}
		end, i = k, k
	}
	if out != nil {
		return string(out)
	}
	return s[:end]
}

// spaceLen is the byte length of the Unicode white space (unicode.IsSpace)
// that s starts with, or 0. Beyond ASCII these are U+0085, U+00A0, U+1680,
// U+2000–U+200A, U+2028, U+2029, U+202F, U+205F and U+3000.
func spaceLen(s string) int {
	switch s[0] {
	case 0xC2:
		if len(s) >= 2 && (s[1] == 0x85 || s[1] == 0xA0) {
			return 2
		}
	case 0xE1:
		if len(s) >= 3 && s[1] == 0x9A && s[2] == 0x80 {
			return 3
		}
	case 0xE2:
		if len(s) >= 3 && (s[1] == 0x80 && (s[2] <= 0x8A || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF) && s[2] >= 0x80 ||
			s[1] == 0x81 && s[2] == 0x9F) {
			return 3
		}
	case 0xE3:
		if len(s) >= 3 && s[1] == 0x80 && s[2] == 0x80 {
			return 3
		}
	}
	return 0
}

var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// prefixRunes is the byte length of the first n runes of s (all of s when
// it is shorter).
func prefixRunes(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}
