package bleve_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"sotay/handbook"
	"sotay/indexer/bleve"
	"sotay/indexer/indexertest"

	"github.com/blevesearch/bleve/v2/analysis"
)

func open(t *testing.T) handbook.KeywordIndex {
	t.Helper()
	x, err := bleve.Open(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func TestContract(t *testing.T) {
	indexertest.TestKeywordIndex(t, open)
}

// TestAnalyzers checks the exact token streams: terms, positions and byte
// offsets (offsets must point into the original, unfolded text).
func TestAnalyzers(t *testing.T) {
	x := open(t).(*bleve.Index)
	input := "Đăng ký khai sinh"
	tests := []struct {
		analyzer string
		want     []analysis.Token
	}{
		{bleve.ExactAnalyzer, []analysis.Token{
			{Term: []byte("đăng"), Start: 0, End: 6, Position: 1},
			{Term: []byte("ký"), Start: 7, End: 10, Position: 2},
			{Term: []byte("khai"), Start: 11, End: 15, Position: 3},
			{Term: []byte("sinh"), Start: 16, End: 20, Position: 4},
		}},
		{bleve.FoldAnalyzer, []analysis.Token{
			{Term: []byte("dang"), Start: 0, End: 6, Position: 1},
			{Term: []byte("ky"), Start: 7, End: 10, Position: 2},
			{Term: []byte("khai"), Start: 11, End: 15, Position: 3},
			{Term: []byte("sinh"), Start: 16, End: 20, Position: 4},
		}},
		{bleve.BigramAnalyzer, []analysis.Token{
			{Term: []byte("dang ky"), Start: 0, End: 10, Position: 1},
			{Term: []byte("ky khai"), Start: 7, End: 15, Position: 2},
			{Term: []byte("khai sinh"), Start: 11, End: 20, Position: 3},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.analyzer, func(t *testing.T) {
			toks, err := x.Analyze(tc.analyzer, input)
			if err != nil {
				t.Fatal(err)
			}
			if len(toks) != len(tc.want) {
				t.Fatalf("got %d tokens, want %d: %v", len(toks), len(tc.want), toks)
			}
			for i, w := range tc.want {
				g := toks[i]
				if string(g.Term) != string(w.Term) || g.Start != w.Start || g.End != w.End || g.Position != w.Position {
					t.Errorf("token %d = {%s %d-%d @%d}, want {%s %d-%d @%d}", i, g.Term, g.Start, g.End, g.Position, w.Term, w.Start, w.End, w.Position)
				}
				if tc.analyzer == bleve.ExactAnalyzer && input[g.Start:g.End] != string(g.Term) && input[g.Start:g.End] != "Đăng" {
					t.Errorf("offsets %d-%d of %s point at %q", g.Start, g.End, g.Term, input[g.Start:g.End])
				}
			}
		})
	}
}

func TestReopenKeepsIndexAndRejectsOtherMapping(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	x, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Index(t.Context(), indexertest.Corpus()); err != nil {
		t.Fatal(err)
	}
	x.Close()
	x, err = bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	n, _ := x.Count()
	if n != uint64(len(indexertest.Corpus())) {
		t.Errorf("reopened index has %d chunks", n)
	}
	q := indexertest.Analyze(t, "ket hon")
	hits, err := x.Search(t.Context(), q, handbook.Filter{}, 5)
	if err != nil || len(hits) == 0 || !slices.Contains([]string{"procedures/ho-tich/dang-ky-ket-hon"}, hits[0].DocID) {
		t.Errorf("search after reopen = %v, %v", hits, err)
	}
}

// TestBigramAndExactPathsMatch guards the analyzer of each match path: the
// adjacent syllables of a phrase must outrank the same syllables scattered
// (bigram field), and diacritics typed by the user must prefer the exact
// word over one that only folds alike (exact field). Both failed silently
// when bleve analysed every sub-field with the default analyzer.
func TestBigramAndExactPathsMatch(t *testing.T) {
	x := open(t)
	scattered := indexertest.Chunk("faq/a", "", handbook.KindFAQ, "Câu hỏi", "Hỏi", "Sinh rồi khai.")
	phrase := indexertest.Chunk("faq/b", "", handbook.KindFAQ, "Câu hỏi", "Hỏi", "Hướng dẫn đăng ký khai sinh cho trẻ em tại xã.")
	soDo := indexertest.Chunk("faq/c", "", handbook.KindFAQ, "Câu hỏi", "Hỏi", "Mất sổ đỏ thì làm lại ở đâu.")
	soDoAlike := indexertest.Chunk("faq/d", "", handbook.KindFAQ, "Câu hỏi", "Hỏi", "Số đo chiều cao.")
	if err := x.Index(t.Context(), []handbook.Chunk{scattered, phrase}); err != nil {
		t.Fatal(err)
	}
	search := func(q string) []string {
		hits, err := x.Search(t.Context(), indexertest.Analyze(t, q), handbook.Filter{}, 5)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.DocID)
		}
		return ids
	}
	if got := search("khai sinh"); len(got) < 2 || got[0] != "faq/b" {
		t.Errorf("Search(khai sinh) = %q, want the adjacent phrase first", got)
	}
	if err := x.Index(t.Context(), []handbook.Chunk{soDo, soDoAlike}); err != nil {
		t.Fatal(err)
	}
	if got := search("sổ đỏ"); len(got) < 2 || got[0] != "faq/c" {
		t.Errorf("Search(sổ đỏ) = %q, want the exact word first", got)
	}
}

func chunk(id, text string) handbook.Chunk {
	return handbook.Chunk{ID: id, DocID: id, Anchor: "gioi-thieu", Kind: handbook.KindGuide, Title: "Trang " + id,
		Text: text, Audience: handbook.AudiencePublic, Status: handbook.StatusPublished}
}

// indexed indexes chunks in a new index and returns a search of it that
// gives the sorted ids of the hits for a question, unfiltered.
func indexed(t *testing.T, chunks ...handbook.Chunk) func(q handbook.Query) []string {
	t.Helper()
	x := open(t)
	if err := x.Index(t.Context(), chunks); err != nil {
		t.Fatal(err)
	}
	return func(q handbook.Query) []string {
		t.Helper()
		hits, err := x.Search(t.Context(), q, handbook.Filter{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		return ids(hits)
	}
}

func ids(hits []handbook.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.ChunkID)
	}
	slices.Sort(out)
	return out
}

// Common syllables leave the single-syllable paths but not the bigrams: a
// chunk that shares only a common syllable with the query is no longer a
// candidate, one that has the phrase still is, and a query made of one
// common syllable still finds it.
func TestCommonSyllablesLeaveUnigramPaths(t *testing.T) {
	search := indexed(t,
		chunk("a", "Thủ tục đăng ký khai sinh cho trẻ em."),
		chunk("b", "Thủ tục cấp giấy phép xây dựng nhà ở."),
		chunk("c", "Thủ môn của đội bóng xã."),
	)
	phrase := handbook.Query{Raw: "thủ tục", Exact: []string{"thủ", "tục"}, Terms: []string{"thu", "tuc"}}
	if got := search(phrase); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("without common syllables: %v, want a, b and c", got)
	}
	phrase.Common = map[string]bool{"thu": true, "tuc": true}
	if got := search(phrase); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("with thủ and tục common: %v, want a and b (the phrase), not c (thủ alone)", got)
	}
	single := handbook.Query{Raw: "thủ", Exact: []string{"thủ"}, Terms: []string{"thu"}, Common: map[string]bool{"thu": true}}
	if got := search(single); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("one common syllable: %v, want every chunk that has it", got)
	}
}

// An expansion that folds to one common syllable ("nghị định" → "NĐ")
// is left out: it would match on its own a chunk that shares nothing else
// with the question. An expansion with a rarer syllable still matches.
func TestCommonOneSyllableExpansionLeftOut(t *testing.T) {
	search := indexed(t,
		chunk("a", "Nghị định quy định về đăng ký hộ tịch."),
		chunk("b", "NĐ số 10 về phí và lệ phí."),
		chunk("c", "Hướng dẫn dùng VNeID trên điện thoại."),
	)
	q := handbook.Query{Raw: "nghị định", Exact: []string{"nghị", "định"}, Terms: []string{"nghi", "dinh"}, Expansions: []string{"NĐ"}}
	if got := search(q); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("with NĐ not common: %v, want a and b (through the expansion)", got)
	}
	q.Common = map[string]bool{"nd": true}
	if got := search(q); !slices.Equal(got, []string{"a"}) {
		t.Errorf("with NĐ common: %v, want a only", got)
	}
	q.Expansions = []string{"NĐ", "VNeID"}
	if got := search(q); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("with NĐ common and VNeID not: %v, want a and c", got)
	}
}

func TestCompactLeavesOneSegment(t *testing.T) {
	x, err := bleve.Open(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, id := range []string{"a", "b", "c"} {
		if err := x.Index(t.Context(), []handbook.Chunk{chunk(id, "Đăng ký khai sinh "+id)}); err != nil {
			t.Fatal(err)
		}
	}
	before := x.Segments()
	if err := x.Compact(t.Context()); err != nil {
		t.Fatal(err)
	}
	if after := x.Segments(); before < 2 || after != 1 {
		t.Errorf("segments: %d before, %d after compacting; want several, then 1", before, after)
	}
	if n, _ := x.Count(); n != 3 {
		t.Errorf("%d chunks after compacting, want 3", n)
	}
}

// Index over many batches: every chunk lands, and a cancelled context stops
// it with the context's error.
func TestIndexManyBatches(t *testing.T) {
	x, err := bleve.Open(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var chunks []handbook.Chunk
	for i := range 2345 {
		chunks = append(chunks, chunk(fmt.Sprintf("c%04d", i), fmt.Sprintf("Điều %d. Nội dung thứ %d", i, i)))
	}
	if err := x.Index(t.Context(), chunks); err != nil {
		t.Fatal(err)
	}
	if n, _ := x.Count(); n != uint64(len(chunks)) {
		t.Errorf("%d chunks indexed, want %d", n, len(chunks))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := x.Index(ctx, chunks); !errors.Is(err, context.Canceled) {
		t.Errorf("Index with a cancelled context = %v, want context.Canceled", err)
	}
}

// TestSearchScratch: hits read into a reused buffer are the hits Search
// returns; with every buffer taken a search still answers (from blocks of
// its own) instead of waiting; each release gives its buffer back.
func TestSearchScratch(t *testing.T) {
	x := open(t).(*bleve.Index)
	chunks := []handbook.Chunk{chunk("a#1", "Đăng ký khai sinh tại xã"), chunk("b#1", "Đăng ký kết hôn"), chunk("c#1", "Cấp bản sao trích lục khai sinh")}
	if err := x.Index(t.Context(), chunks); err != nil {
		t.Fatal(err)
	}
	q, err := (&handbook.Analyzer{}).Analyze("khai sinh")
	if err != nil {
		t.Fatal(err)
	}
	f := handbook.Filter{Audience: handbook.AudienceInternal}
	want, err := x.Search(t.Context(), q, f, 10)
	if err != nil || len(want) != 2 {
		t.Fatalf("Search = %v, %v; want two hits", ids(want), err)
	}
	free := bleve.RecordBuffersFree()
	var releases []func()
	for i := range free + 2 {
		got, release, err := x.SearchScratch(t.Context(), q, f, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("search %d: SearchScratch = %+v, want %+v", i, got, want)
		}
		releases = append(releases, release)
	}
	if n := bleve.RecordBuffersFree(); n != 0 {
		t.Errorf("%d buffers free with every search holding one, want 0", n)
	}
	for _, release := range releases {
		release()
	}
	if n := bleve.RecordBuffersFree(); n != free {
		t.Errorf("%d buffers free after the releases, want %d", n, free)
	}
	// Each buffer is taken twice in turn: what a caller wrote into the
	// hits of one search must not show in the next one's.
	for i := range 2 * free {
		got, release, err := x.SearchScratch(t.Context(), q, f, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("search %d through a reused buffer: %+v, want %+v", i, got, want)
		}
		for j := range got {
			got[j].Snippet, got[j].Validity = "<mark>cũ</mark>", handbook.Expired
		}
		release()
	}
}
