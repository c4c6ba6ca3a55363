package bleve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"

	"sotay/handbook"

	bleve "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
)

// MappingVersion changes whenever the mapping or analysis changes; an index
// built with another version must be rebuilt.
const MappingVersion = "vi-7"

var _ handbook.KeywordIndex = (*Index)(nil)

// Index is a bleve index of handbook chunks.
type Index struct {
	idx  bleve.Index
	path string
	// texts holds the chunks' hit records (texts.go).
	texts *textStore
	// bleveScoring sends questions through bleve's own query execution
	// instead of termAtATime (tests compare the two).
	bleveScoring bool
	// postings caches decoded postings lists for termAtATime; nil keeps
	// none.
	postings *postingsCache
	// skips keeps the documents each filter excludes in the current
	// snapshot (termAtATime).
	skips snapCache[string, []uint64]
	// locs keeps where each document's record is (locOf).
	locs locCache
	// dfs keeps the document frequencies of bigram terms in the current
	// snapshot, for the common-bigram rule (commonLimit).
	dfs snapCache[dfKey, uint64]
}

// Boosts of the match paths per field. Measured on the project's gold set
// (docs/BENCHMARKS.md): bigrams carry phrase information that unigrams lack,
// the exact (diacritics kept) path breaks ties between words that fold alike.
type boosts struct{ fold, bigram, exact float64 }

// A slice, not a map: the clauses are built in one order, so equal inputs
// sum their scores in one order and ties break the same way on every run.
var fieldBoosts = []struct {
	field string
	boosts
}{
	{"title", boosts{fold: 3, bigram: 4, exact: 1}},
	{"aliases", boosts{fold: 2.5, bigram: 3.5, exact: 0.5}},
	{"heading", boosts{fold: 2, bigram: 3, exact: 0.5}},
	{"text", boosts{fold: 1, bigram: 1.5, exact: 0.3}},
}

// expansionWeight scales the boosts of a thesaurus expansion relative to the
// user's own words (divided by √k when a question has k expansions).
const expansionWeight = 0.6

func newMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	for name, cfg := range tokenFilters() {
		if err := im.AddCustomTokenFilter(name, cfg); err != nil {
			return nil, fmt.Errorf("add token filter %s: %w", name, err)
		}
	}
	for name, cfg := range analyzers() {
		if err := im.AddCustomAnalyzer(name, cfg); err != nil {
			return nil, fmt.Errorf("add analyzer %s: %w", name, err)
		}
	}
	dm := bleve.NewDocumentStaticMapping()
	text := func(prop string) {
		fms := []*mapping.FieldMapping{}
		for _, a := range []struct{ suffix, analyzer string }{
			{"_exact", ExactAnalyzer}, {"_fold", FoldAnalyzer}, {"_bigram", BigramAnalyzer},
		} {
			fm := bleve.NewTextFieldMapping()
			fm.Name = prop + a.suffix
			fm.Analyzer = a.analyzer
			fm.Store = false
			fm.IncludeInAll = false
			fm.IncludeTermVectors = false
			fms = append(fms, fm)
		}
		dm.AddFieldMappingsAt(prop, fms...)
	}
	for _, p := range []string{"title", "aliases", "heading", "text"} {
		text(p)
	}
	kw := func(prop string) {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = keyword.Name
		fm.Store = false
		fm.IncludeInAll = false
		dm.AddFieldMappingsAt(prop, fm)
	}
	for _, p := range []string{"doc", "anchor", "kind", "field", "field_key", "audience", "status"} {
		kw(p)
	}
	// The one stored field: where the chunk's hit record is in the chunk
	// text file (texts.go).
	tx := bleve.NewTextFieldMapping()
	tx.Index = false
	tx.Store = true
	tx.IncludeInAll = false
	dm.AddFieldMappingsAt("tx", tx)
	for _, p := range []string{"valid_from", "valid_to"} {
		fm := bleve.NewNumericFieldMapping()
		fm.Store = false
		fm.IncludeInAll = false
		dm.AddFieldMappingsAt(p, fm)
	}
	// No field keeps doc values: they serve sorting and facets by field,
	// which no query here uses, and at 100k chunks they were written for
	// every field of every chunk (docs/BENCHMARKS.md).
	for _, fms := range dm.Properties {
		for _, fm := range fms.Fields {
			fm.DocValues = false
		}
	}
	im.DocValuesDynamic = false
	im.DefaultMapping = dm
	im.DefaultAnalyzer = FoldAnalyzer
	return im, nil
}

// Open opens the index at path, creating it when it does not exist.
func Open(path string) (*Index, error) {
	idx, err := bleve.Open(path)
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		m, merr := newMapping()
		if merr != nil {
			return nil, merr
		}
		idx, err = bleve.New(path, m)
		if err == nil {
			err = idx.SetInternal([]byte("mapping_version"), []byte(MappingVersion))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open bleve index %s: %w", path, err)
	}
	v, err := idx.GetInternal([]byte("mapping_version"))
	if err != nil || string(v) != MappingVersion {
		idx.Close()
		return nil, fmt.Errorf("open bleve index %s: mapping version %q, want %q: %w", path, v, MappingVersion, handbook.ErrConflict)
	}
	texts, err := openTexts(path)
	if err != nil {
		idx.Close()
		return nil, err
	}
	return &Index{idx: idx, path: path, texts: texts, postings: newPostingsCache(DefaultPostingsCacheBytes),
		skips: snapCache[string, []uint64]{max: maxSkipSets}, dfs: snapCache[dfKey, uint64]{max: maxDFTerms}}, nil
}

// SetPostingsCache bounds the cache of decoded postings to maxBytes; 0
// keeps none. Call it before searching.
func (x *Index) SetPostingsCache(maxBytes int) {
	x.postings = nil
	if maxBytes > 0 {
		x.postings = newPostingsCache(maxBytes)
	}
}

// PostingsCacheStats reports the cache of decoded postings: the lists it
// holds (a term's list in one segment each) and their bytes, and the lists
// looked up that it had and that it lacked.
func (x *Index) PostingsCacheStats() (lists, bytes int, hits, misses uint64) {
	if x.postings == nil {
		return 0, 0, 0, 0
	}
	return x.postings.stats()
}

// SetBleveScoring sends questions through bleve's own query execution
// (true) or through termAtATime (false, the default). They rank alike
// (TestTermAtATime); the switch is there to compare them.
func (x *Index) SetBleveScoring(on bool) { x.bleveScoring = on }

// Close closes the index.
func (x *Index) Close() error { return errors.Join(x.idx.Close(), x.texts.Close()) }

// Path returns the directory of the index.
func (x *Index) Path() string { return x.path }

// SetInternal stores a key/value next to the index (manifests, stamps).
func (x *Index) SetInternal(key string, val []byte) error {
	return x.idx.SetInternal([]byte(key), val)
}

// GetInternal reads a value stored with SetInternal; nil when absent.
func (x *Index) GetInternal(key string) ([]byte, error) {
	return x.idx.GetInternal([]byte(key))
}

// Count returns the number of indexed chunks.
func (x *Index) Count() (uint64, error) { return x.idx.DocCount() }

func dateNum(d handbook.Date, unset int) float64 {
	if !d.IsSet() {
		return float64(unset)
	}
	return float64(d.Int())
}

func chunkDoc(c *handbook.Chunk, tx textLoc) map[string]any {
	return map[string]any{
		"doc":        c.DocID,
		"anchor":     c.Anchor,
		"kind":       string(c.Kind),
		"title":      c.Title,
		"aliases":    strings.Join(c.Aliases, "\n"),
		"heading":    c.Heading,
		"text":       c.Text,
		"tx":         tx.String(),
		"field":      c.Field,
		"field_key":  handbook.Fold(c.Field),
		"audience":   string(c.Audience),
		"status":     string(c.Status),
		"valid_from": dateNum(c.ValidFrom, 0),
		"valid_to":   dateNum(c.ValidTo, 99991231),
	}
}

// batchSize bounds memory per batch; bleve persists each batch atomically.
const batchSize = 500

// Index adds or replaces chunks, one bleve batch at a time. Batches were
// sent from several goroutines for a fifth off a bulk build, until a test
// run panicked inside zapx: two concurrent batches looked up a segment's
// term dictionary while it was being closed after a merge ("assignment to
// entry in nil map" in invertedIndexCache). bleve analyses each batch on
// all cores anyway.
func (x *Index) Index(ctx context.Context, chunks []handbook.Chunk) error {
	for start := 0; start < len(chunks); start += batchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := chunks[start:min(start+batchSize, len(chunks))]
		locs, err := x.texts.appendAll(batch)
		if err != nil {
			return err
		}
		b := x.idx.NewBatch()
		for i := range batch {
			if err := b.Index(batch[i].ID, chunkDoc(&batch[i], locs[i])); err != nil {
				return fmt.Errorf("index chunk %s: %w", batch[i].ID, err)
			}
		}
		if err := x.idx.Batch(b); err != nil {
			return fmt.Errorf("index batch: %w", err)
		}
	}
	return nil
}

// DeleteDocument removes every chunk of docID.
func (x *Index) DeleteDocument(ctx context.Context, docID string) error {
	q := query.NewTermQuery(docID)
	q.SetField("doc")
	req := bleve.NewSearchRequestOptions(q, 10000, 0, false)
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return fmt.Errorf("find chunks of %s: %w", docID, err)
	}
	if len(res.Hits) == 0 {
		return nil
	}
	b := x.idx.NewBatch()
	for _, h := range res.Hits {
		b.Delete(h.ID)
	}
	if err := x.idx.Batch(b); err != nil {
		return fmt.Errorf("delete chunks of %s: %w", docID, err)
	}
	return nil
}

// textQuery builds the disjunction of match paths for one phrase: its folded
// syllables, their bigrams and, when given, the syllables as typed. Common
// syllables (handbook.Query.Common) are left out of the single-syllable
// paths while the phrase keeps a rarer syllable or a bigram to match on.
// Each path is analysed here with its own analyzer: bleve resolves a
// query's analyzer by the document path, and our sub-fields ("text_bigram")
// are named mappings of one path ("text"), so left to bleve every path was
// analysed with the default (folded unigram) analyzer and the bigram and
// exact fields never matched.
func (x *Index) textQuery(exact, folded []string, common map[string]bool, weight float64) ([]matchSpec, error) {
	multi := len(folded) > 1
	keepF, keepE := folded, exact
	if len(common) > 0 {
		keepF, keepE = nil, nil
		for i, t := range folded {
			if common[t] {
				continue
			}
			keepF = append(keepF, t)
			if i < len(exact) {
				keepE = append(keepE, exact[i])
			}
		}
		if len(keepF) == 0 && !multi {
			keepF, keepE = folded, exact
		}
	}
	// Each path's text is analysed once, for all four fields.
	var paths []matchSpec
	for _, p := range []struct {
		analyzer string
		words    []string
		use      bool
	}{{FoldAnalyzer, keepF, len(keepF) > 0}, {BigramAnalyzer, folded, multi}, {ExactAnalyzer, keepE, len(keepE) > 0}} {
		if !p.use {
			continue
		}
		an := x.idx.Mapping().AnalyzerNamed(p.analyzer)
		if an == nil {
			return nil, fmt.Errorf("unknown analyzer %q", p.analyzer)
		}
		var terms []string
		for _, tok := range an.Analyze([]byte(strings.Join(p.words, " "))) {
			terms = append(terms, string(tok.Term))
		}
		paths = append(paths, matchSpec{analyzer: p.analyzer, terms: terms})
	}
	var qs []matchSpec
	for _, fb := range fieldBoosts {
		for _, p := range paths {
			switch p.analyzer {
			case FoldAnalyzer:
				p.field, p.boost = fb.field+"_fold", fb.fold*weight
			case BigramAnalyzer:
				p.field, p.boost = fb.field+"_bigram", fb.bigram*weight
			default:
				p.field, p.boost = fb.field+"_exact", fb.exact*weight
			}
			qs = append(qs, p)
		}
	}
	return qs, nil
}

// commonBigramShare: a bigram on more than this share of a field's chunks,
// and on more than handbook.DefaultCommonMinDF of them, is left out of that
// field's bigram match query, as common syllables are left out of the
// single-syllable ones (handbook.Query.Common). "quy định", "nghị định",
// "đăng ký", "thủ tục" sit on a tenth to a fifth of 100,000 synthetic
// chunks: their postings were 82% of those a search walked, and they rank
// next to nothing, since nearly every candidate has them. Leaving out those
// over 5% made a search a quarter cheaper there with MRR@10 0.537 → 0.538
// and Recall@1 0.456 → 0.450 (over 2%: 0.531 and 0.450); the floor keeps
// the built-in content, and any knowledge base under 1,000 chunks, ranked
// as before (docs/BENCHMARKS.md).
const commonBigramShare = 0.05

// commonLimit is how many of n chunks a bigram may be on and not be common.
func commonLimit(n uint64) float64 {
	return max(commonBigramShare*float64(n), handbook.DefaultCommonMinDF)
}

// dropCommonBigrams returns specs without their bigram match queries'
// common terms (commonLimit); a match query left with none goes. A
// question whose terms would all go keeps them. termAtATime drops them as
// it walks, counted in the segments' dictionaries once per snapshot
// (termDF); this is for bleve's query, which must rank alike.
func (x *Index) dropCommonBigrams(ctx context.Context, specs []matchSpec) ([]matchSpec, error) {
	adv, err := x.idx.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	n, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	limit := commonLimit(n)
	if float64(n) <= limit {
		return specs, nil // no term can be on more chunks than there are
	}
	out := make([]matchSpec, 0, len(specs))
	left := 0
	for _, s := range specs {
		if s.analyzer != BigramAnalyzer || len(s.terms) == 0 {
			out = append(out, s)
			left += len(s.terms)
			continue
		}
		var terms []string
		for _, t := range s.terms {
			tfr, err := r.TermFieldReader(ctx, []byte(t), s.field, false, false, false)
			if err != nil {
				return nil, fmt.Errorf("term %s:%s: %w", s.field, t, err)
			}
			df := tfr.Count()
			tfr.Close()
			if float64(df) <= limit {
				terms = append(terms, t)
			}
		}
		if len(terms) == 0 {
			continue
		}
		s.terms = terms
		out = append(out, s)
		left += len(terms)
	}
	if left == 0 {
		return specs, nil
	}
	return out, nil
}

// filterSet is a filter as bleve queries: a chunk must be in every must
// set and in no mustNot set. key names the queries (two filters with the
// same key have the same queries) for the sets kept per snapshot
// (excluded). It is written as the queries are built: marshalling the
// queries to JSON for the key, at every search, was 1% of a loaded
// server's CPU.
type filterSet struct {
	must, mustNot []query.Query
	key           string
}

func filterQueries(f handbook.Filter) filterSet {
	var (
		fs  filterSet
		key []byte
	)
	str := func(s string) {
		key = strconv.AppendInt(key, int64(len(s)), 10)
		key = append(key, ':')
		key = append(key, s...)
	}
	term := func(field, v string) query.Query {
		t := query.NewTermQuery(v)
		t.SetField(field)
		t.SetBoost(0.0001)
		return t
	}
	if f.Audience != handbook.AudienceInternal {
		fs.mustNot = append(fs.mustNot, term("audience", string(handbook.AudienceInternal)))
		key = append(key, "-audience;"...)
	}
	fs.mustNot = append(fs.mustNot, term("status", string(handbook.StatusArchived)))
	key = append(key, "-archived;"...)
	if len(f.Docs) > 0 {
		var ds []query.Query
		key = append(key, "+docs"...)
		for _, d := range f.Docs {
			ds = append(ds, term("doc", d))
			str(d)
		}
		fs.must = append(fs.must, query.NewDisjunctionQuery(ds))
		key = append(key, ';')
	}
	if len(f.Kinds) > 0 {
		var ks []query.Query
		key = append(key, "+kinds"...)
		for _, k := range f.Kinds {
			ks = append(ks, term("kind", string(k)))
			str(string(k))
		}
		fs.must = append(fs.must, query.NewDisjunctionQuery(ks))
		key = append(key, ';')
	}
	if f.Field != "" {
		v := handbook.Fold(handbook.NormalizeLine(f.Field))
		fs.must = append(fs.must, term("field_key", v))
		key = append(key, "+field"...)
		str(v)
		key = append(key, ';')
	}
	if f.At.IsSet() && !f.AllDates {
		// In force at `at`: valid_from <= at < valid_to, written as two
		// exclusions. Almost every chunk has open dates, so the excluded
		// sets (not yet in force, expired) are tiny, where the inclusive
		// ranges matched nearly every chunk and made each candidate
		// advance two wide numeric disjunctions (a fifth of query time).
		at := float64(f.At.Int())
		yes, no := true, false
		notYet := query.NewNumericRangeInclusiveQuery(&at, nil, &no, nil)
		notYet.SetField("valid_from")
		expired := query.NewNumericRangeInclusiveQuery(nil, &at, nil, &yes)
		expired.SetField("valid_to")
		fs.mustNot = append(fs.mustNot, notYet, expired)
		key = append(key, "-outside"...)
		key = strconv.AppendInt(key, int64(f.At.Int()), 10)
		key = append(key, ';')
	}
	fs.key = string(key)
	return fs
}

// Search returns up to k chunks for q that pass f.
func (x *Index) Search(ctx context.Context, q handbook.Query, f handbook.Filter, k int) ([]handbook.Hit, error) {
	return x.search(ctx, q, f, k, nil)
}

// SearchScratch is Search with the hits, and their strings, in buffers
// that release hands back for the next search (handbook.ScratchSearcher).
// When every buffer is in use the records go into fresh blocks, as Search
// reads them, and release does nothing.
func (x *Index) SearchScratch(ctx context.Context, q handbook.Query, f handbook.Filter, k int) ([]handbook.Hit, func(), error) {
	var sc *scratch
	select {
	case sc = <-recordBuffers:
	default:
		hits, err := x.Search(ctx, q, f, k)
		return hits, func() {}, err
	}
	hits, err := x.search(ctx, q, f, k, sc)
	release := func() {
		if cap(sc.buf) > maxPooledRecords {
			sc.buf = []byte{}
		}
		if cap(sc.hits) > maxPooledHits {
			sc.hits = nil
		}
		recordBuffers <- sc
	}
	if err != nil {
		release()
		return nil, nil, err
	}
	return hits, release, nil
}

// scratch is what a search reads its candidates into: their records, and
// the hits decoded from them (126 at 100k chunks, 38 KB, a third of what
// a search allocated).
type scratch struct {
	buf  []byte
	hits []handbook.Hit
}

// recordBuffers hold the records and hits read by SearchScratch, ~340 KB a
// search at 100k chunks (most of what it allocated), for as many searches
// at once as the cores can work on and some. A fixed set, not a sync.Pool:
// a pool is emptied by the collector, and an overloaded server, hundreds
// of searches in flight, each taking a buffer, drove the heap to its limit
// and the collector into running without pause.
var recordBuffers = func() chan *scratch {
	n := 4 * runtime.GOMAXPROCS(0)
	c := make(chan *scratch, n)
	for range n {
		c <- &scratch{buf: []byte{}}
	}
	return c
}()

// maxPooledRecords and maxPooledHits bound the buffers kept for reuse.
const (
	maxPooledRecords = 4 << 20
	maxPooledHits    = 1024
)

// search is Search reading the records and hits into sc, grown as needed,
// when sc is not nil; into fresh blocks when it is.
func (x *Index) search(ctx context.Context, q handbook.Query, f handbook.Filter, k int, sc *scratch) ([]handbook.Hit, error) {
	if len(q.Terms) == 0 {
		return nil, nil
	}
	var exact []string
	if handbook.HasDiacritics(strings.Join(q.Exact, "")) {
		exact = q.Exact
	}
	should, err := x.textQuery(exact, q.Terms, q.Common, 1)
	if err != nil {
		return nil, err
	}
	// k expansions together weigh like √k of them, not k: one synonym
	// ("CCCD" → "căn cước công dân") keeps its full weight, while a word
	// with many one-way expansions ("cấp huyện" → "cấp xã", "cấp tỉnh",
	// …) no longer outweighs the rest of the question.
	w := expansionWeight / math.Sqrt(float64(max(len(q.Expansions), 1)))
	for _, e := range q.Expansions {
		// An expansion of one common syllable ("nghị định" → "NĐ", on a
		// third of 100,000 synthetic chunks) matches on its own chunks
		// that share nothing else with the question, and its four lists
		// were a fifth of the postings a search walked there. Left out:
		// MRR@10 0.538 → 0.548, Recall@1 0.450 → 0.458, the walk 14%
		// cheaper (docs/BENCHMARKS.md). The question's own words are kept
		// as they are (textQuery).
		terms := handbook.FoldedSyllables(e)
		if len(terms) == 1 && q.Common[terms[0]] {
			continue
		}
		more, err := x.textQuery(nil, terms, q.Common, w)
		if err != nil {
			return nil, err
		}
		should = append(should, more...)
	}
	fs := filterQueries(f)
	var (
		found []candidate
		ok    bool
	)
	if !x.bleveScoring {
		if found, ok, err = x.termAtATime(ctx, should, fs, k); err != nil {
			return nil, searchErr(ctx, err)
		}
	}
	if !ok {
		if found, err = x.searchBleve(ctx, should, fs.must, fs.mustNot, k); err != nil {
			return nil, err
		}
	}
	ids := make([]string, len(found))
	locs := make([]textLoc, len(found))
	for i, c := range found {
		if math.IsNaN(c.score) {
			return nil, fmt.Errorf("bleve search: NaN score")
		}
		ids[i], locs[i] = c.id, c.loc
	}
	var buf []byte
	var into []handbook.Hit
	if sc != nil {
		buf, into = sc.buf[:0], sc.hits
	}
	hits, buf, err := x.texts.readAll(ids, locs, buf, into)
	if sc != nil {
		sc.buf = buf
		if cap(hits) > cap(sc.hits) {
			sc.hits = hits[:0]
		}
	}
	if err != nil {
		return nil, err
	}
	for i, c := range found {
		hits[i].Score = c.score
	}
	return hits, nil
}

// foldNames is what Hit.Names holds for c.
func foldNames(c *handbook.Chunk) string {
	names := make([]string, 0, len(c.Aliases)+1)
	for _, n := range append([]string{c.Title}, c.Aliases...) {
		names = append(names, strings.Join(handbook.FoldedSyllables(n), " "))
	}
	return strings.Join(names, "\n")
}

var hitFields = []string{"tx"}

// searchBleve runs the question as one bleve query: the reference that
// termAtATime computes faster, and the path for indexes that are not scorch.
func (x *Index) searchBleve(ctx context.Context, should []matchSpec, must, mustNot []query.Query, k int) ([]candidate, error) {
	should, err := x.dropCommonBigrams(ctx, should)
	if err != nil {
		return nil, err
	}
	qs := make([]query.Query, len(should))
	for i, s := range should {
		qs[i] = s.query()
	}
	bq := query.NewBooleanQuery(append([]query.Query{query.NewDisjunctionQuery(qs)}, must...), nil, mustNot)
	req := bleve.NewSearchRequestOptions(bq, k, 0, false)
	req.Fields = hitFields
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, searchErr(ctx, err)
	}
	found := make([]candidate, len(res.Hits))
	for i, h := range res.Hits {
		tx, _ := h.Fields["tx"].(string)
		loc, err := parseTextLoc(tx)
		if err != nil {
			return nil, fmt.Errorf("chunk %s: %w %q", h.ID, err, tx)
		}
		found[i] = candidate{id: h.ID, loc: loc, score: h.Score}
	}
	return found, nil
}

// searchErr reports a failed search: the context's error when the search
// was cancelled, otherwise err wrapped.
func searchErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("bleve search: %w", err)
}

// Remove deletes the index directory at path.
func Remove(path string) error { return os.RemoveAll(path) }

// Analyze runs one of the index's analyzers over text (for tests and the
// `handbook search --explain` output).
func (x *Index) Analyze(analyzer, text string) (analysis.TokenStream, error) {
	a := x.idx.Mapping().AnalyzerNamed(analyzer)
	if a == nil {
		return nil, fmt.Errorf("unknown analyzer %q", analyzer)
	}
	return a.Analyze([]byte(text)), nil
}

// Compact merges the index into a single segment. A bulk build leaves a
// dozen segments; every query term opens a reader and walks postings in
// each of them, so a freshly built index is compacted before it serves.
func (x *Index) Compact(ctx context.Context) error {
	adv, err := x.idx.Advanced()
	if err != nil {
		return fmt.Errorf("compact index: %w", err)
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil
	}
	if err := s.ForceMerge(ctx, &mergeplan.SingleSegmentMergePlanOptions); err != nil {
		return fmt.Errorf("compact index: %w", err)
	}
	return nil
}

// Segments is the number of segments the index is made of now.
func (x *Index) Segments() int {
	m, _ := x.idx.StatsMap()["index"].(map[string]any)
	n, _ := m["TotFileSegmentsAtRoot"].(uint64)
	return int(n)
}
