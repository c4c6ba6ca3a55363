package handbook_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"sotay/handbook"
	"sotay/handbook/openai"
	"sotay/handbook/openai/openaitest"
	"sotay/indexer/bleve"
	"sotay/indexer/memvec"
)

// The hybrid tests run the real pipeline: bleve for keywords, memvec for
// vectors, and the OpenAI-compatible client against openaitest, whose
// deterministic vectors come from hashed syllables (texts sharing words are
// near each other).

var hybridToday = handbook.MustDate("2026-11-25")

func faqDoc(id, title, text string) *handbook.Document {
	return &handbook.Document{ID: id, Kind: handbook.KindFAQ, Title: title, Audience: handbook.AudiencePublic,
		Status: handbook.StatusPublished, Hash: id + text,
		Sections: []handbook.Section{{Kind: handbook.SectionHeading, Anchor: "tra-loi", Heading: "Trả lời", Text: text}}}
}

func hybridDocs() []*handbook.Document {
	secret := faqDoc("faq/noi-bo/mat-khau", "Mật khẩu hệ thống một cửa",
		"Con tôi mới đẻ thì làm giấy gì: cán bộ dùng mật khẩu zebraquartz để mở hệ thống.")
	secret.Audience = handbook.AudienceInternal
	expired := faqDoc("faq/ho-tich/giay-chung-sinh-cu", "Giấy chứng sinh theo quy định cũ",
		"Trẻ mới đẻ được cấp giấy chứng sinh theo mẫu cũ.")
	expired.Expires = handbook.MustDate("2025-07-01")
	return []*handbook.Document{
		faqDoc("faq/ho-tich/khai-sinh", "Đăng ký khai sinh cho con", "Cha mẹ đăng ký khai sinh cho con trong 60 ngày kể từ ngày sinh, nộp giấy chứng sinh."),
		faqDoc("faq/ho-tich/khai-tu", "Đăng ký khai tử", "Người thân đăng ký khai tử trong 15 ngày, nộp giấy báo tử."),
		faqDoc("faq/ho-tich/ket-hon", "Đăng ký kết hôn", "Hai bên nam nữ cùng có mặt khi đăng ký kết hôn."),
		faqDoc("faq/dat-dai/so-do", "Cấp lại giấy chứng nhận quyền sử dụng đất", "Mất sổ đỏ thì làm đơn đề nghị cấp lại."),
		faqDoc("faq/cong-nghe/vneid", "Tài khoản định danh điện tử VNeID", "Công dân tự đăng ký tài khoản mức 1 trên ứng dụng VNeID."),
		secret, expired,
	}
}

type hybridFixture struct {
	idx     *bleve.Index
	lib     *handbook.Library
	vectors *memvec.Store
	fake    *openaitest.Server
	r       *handbook.Retriever
}

func newHybridFixture(t *testing.T, docs []*handbook.Document) *hybridFixture {
	t.Helper()
	lib := handbook.NewLibrary(docs, nil, nil)
	idx, err := bleve.Open(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	chunks := lib.Chunks()
	if len(chunks) != len(docs) {
		t.Fatalf("fixture has %d chunks, want one per document", len(chunks))
	}
	if err := idx.Index(t.Context(), chunks); err != nil {
		t.Fatal(err)
	}
	fake := openaitest.NewServer(t)
	emb := openai.NewEmbedder(fake.URL, "", "fake-embed", 0)
	texts := make([]string, len(chunks))
	for i := range chunks {
		texts[i] = chunks[i].EmbeddingText()
	}
	vals, err := emb.Embed(t.Context(), texts)
	if err != nil {
		t.Fatal(err)
	}
	vectors := memvec.New()
	vs := make([]handbook.Vector, len(chunks))
	for i := range chunks {
		vs[i] = handbook.Vector{Chunk: chunks[i], Values: vals[i]}
	}
	if err := vectors.Upsert(t.Context(), vs); err != nil {
		t.Fatal(err)
	}
	r := &handbook.Retriever{Keyword: idx, Vectors: vectors, Embedder: emb, Library: func() *handbook.Library { return lib }}
	r.SetAnalyzer(handbook.NewAnalyzer(lib))
	return &hybridFixture{idx: idx, lib: lib, vectors: vectors, fake: fake, r: r}
}

func (x *hybridFixture) search(t *testing.T, q, mode string, audience handbook.Audience) *handbook.SearchResult {
	t.Helper()
	res, err := x.r.Search(t.Context(), handbook.SearchRequest{Query: q, Limit: handbook.MaxLimit, Mode: mode,
		Filter: handbook.Filter{At: hybridToday, Audience: audience}})
	if err != nil {
		t.Fatalf("Search(%q, %s) error = %v", q, mode, err)
	}
	return res
}

func docIDs(hits []handbook.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.DocID)
	}
	return out
}

// TestHybridFusesBothLists: the hybrid ranking is the reciprocal rank
// fusion of the lexical and the vector rankings, with the configured k and
// weights, and holds what either list found.
func TestHybridFusesBothLists(t *testing.T) {
	x := newHybridFixture(t, hybridDocs())
	const q = "con tôi mới đẻ thì làm giấy gì"
	lex := x.search(t, q, handbook.ModeLexical, handbook.AudiencePublic)
	vec := x.search(t, q, handbook.ModeVector, handbook.AudiencePublic)
	if lex.Mode != "lexical" || vec.Mode != "vector" {
		t.Fatalf("modes = %q, %q", lex.Mode, vec.Mode)
	}
	if len(vec.Hits) == 0 || slices.Equal(docIDs(lex.Hits), docIDs(vec.Hits)) {
		t.Fatalf("the fixture must give two different rankings: lexical %q, vector %q", docIDs(lex.Hits), docIDs(vec.Hits))
	}
	for _, fusion := range []handbook.Fusion{{}, {K: 1, LexicalWeight: 1, VectorWeight: 3}, {K: 10, LexicalWeight: 4, VectorWeight: 0.5}} {
		x.r.Fusion = fusion
		hyb := x.search(t, q, "", handbook.AudiencePublic)
		if hyb.Mode != "hybrid" || hyb.Degraded != "" {
			t.Fatalf("default mode with an embedder = %q (notice %q), want hybrid", hyb.Mode, hyb.Degraded)
		}
		want := docIDs(handbook.Fuse(fusion, lex.Hits, vec.Hits))
		if got := docIDs(hyb.Hits); !slices.Equal(got, want) {
			t.Errorf("Fusion%+v: hybrid = %q, want RRF of lexical %q and vector %q = %q", fusion, got, docIDs(lex.Hits), docIDs(vec.Hits), want)
		}
	}
	// The weights decide which list leads.
	x.r.Fusion = handbook.Fusion{K: 1, LexicalWeight: 0.01, VectorWeight: 1}
	if got := x.search(t, q, "", handbook.AudiencePublic).Hits; got[0].DocID != vec.Hits[0].DocID {
		t.Errorf("vector-weighted hybrid starts with %s, want the vector list's first, %s", got[0].DocID, vec.Hits[0].DocID)
	}
	x.r.Fusion = handbook.Fusion{K: 1, LexicalWeight: 1, VectorWeight: 0.01}
	if got := x.search(t, q, "", handbook.AudiencePublic).Hits; got[0].DocID != lex.Hits[0].DocID {
		t.Errorf("lexical-weighted hybrid starts with %s, want the lexical list's first, %s", got[0].DocID, lex.Hits[0].DocID)
	}
}

// TestHybridFiltersBeforeFusion: the audience and point-in-time filters
// apply to the vector list too, so nothing hidden reaches the fused one,
// even a page whose text is the question word for word.
func TestHybridFiltersBeforeFusion(t *testing.T) {
	x := newHybridFixture(t, hybridDocs())
	const q = "con tôi mới đẻ thì làm giấy gì"
	for _, mode := range []string{handbook.ModeVector, handbook.ModeHybrid} {
		got := docIDs(x.search(t, q, mode, handbook.AudiencePublic).Hits)
		if slices.Contains(got, "faq/noi-bo/mat-khau") {
			t.Errorf("%s search for a public caller returned the internal page: %q", mode, got)
		}
		if slices.Contains(got, "faq/ho-tich/giay-chung-sinh-cu") {
			t.Errorf("%s search returned a page expired on %s: %q", mode, hybridToday, got)
		}
	}
	// An official sees the internal page, found by its vector first.
	if got := docIDs(x.search(t, q, handbook.ModeVector, handbook.AudienceInternal).Hits); len(got) == 0 || got[0] != "faq/noi-bo/mat-khau" {
		t.Errorf("vector search for an official = %q, want the internal page first", got)
	}
}

// TestHybridChecksVectorsAgainstCurrentContent: the vector store lags
// behind the content (the embedding run failed or has not run yet). A page
// since made internal, or removed, must not come back through its old
// vector.
func TestHybridChecksVectorsAgainstCurrentContent(t *testing.T) {
	docs := hybridDocs()
	x := newHybridFixture(t, docs)
	const q = "đăng ký khai sinh cho con"
	if got := docIDs(x.search(t, q, handbook.ModeVector, handbook.AudiencePublic).Hits); !slices.Contains(got, "faq/ho-tich/khai-sinh") {
		t.Fatalf("vector search = %q, want the khai-sinh page", got)
	}
	// New content: khai-sinh is internal now and khai-tu is gone; the
	// vector store still has both as they were.
	var next []*handbook.Document
	for _, d := range docs {
		switch d.ID {
		case "faq/ho-tich/khai-tu":
			continue
		case "faq/ho-tich/khai-sinh":
			c := *d
			c.Audience = handbook.AudienceInternal
			d = &c
		}
		next = append(next, d)
	}
	lib := handbook.NewLibrary(next, nil, nil)
	x.r.Library = func() *handbook.Library { return lib }
	// The keyword index follows the content (the indexer updates it
	// first); only the vectors lag.
	for _, id := range []string{"faq/ho-tich/khai-tu", "faq/ho-tich/khai-sinh"} {
		if err := x.idx.DeleteDocument(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	d, _ := lib.Doc("faq/ho-tich/khai-sinh")
	if err := x.idx.Index(t.Context(), handbook.Chunks(d)); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{handbook.ModeVector, handbook.ModeHybrid} {
		got := docIDs(x.search(t, q, mode, handbook.AudiencePublic).Hits)
		if slices.Contains(got, "faq/ho-tich/khai-sinh") || slices.Contains(got, "faq/ho-tich/khai-tu") {
			t.Errorf("%s search returned a page through its stale vector: %q", mode, got)
		}
	}
	if got := x.search(t, q, handbook.ModeVector, handbook.AudienceInternal).Hits; len(got) == 0 ||
		got[0].DocID != "faq/ho-tich/khai-sinh" || got[0].Audience != handbook.AudienceInternal {
		t.Errorf("official's vector search = %+v, want khai-sinh first, labelled internal", got)
	}
}

// panicVectors fails the test if the retriever touches it.
type panicVectors struct{ t *testing.T }

func (p panicVectors) Upsert(context.Context, []handbook.Vector) error {
	p.t.Error("Upsert called")
	return nil
}
func (p panicVectors) DeleteDocument(context.Context, string) error {
	p.t.Error("DeleteDocument called")
	return nil
}
func (p panicVectors) Nearest(context.Context, []float32, handbook.Filter, int) ([]handbook.Hit, error) {
	p.t.Error("Nearest called without an embedder")
	return nil, nil
}

// TestNoEmbedderIsLexicalWithoutNotice: without an embedder the vector path
// is not attempted at all (no call, no goroutine, no notice), whatever mode
// is asked, except "vector", which says that it is not configured.
func TestNoEmbedderIsLexicalWithoutNotice(t *testing.T) {
	x := newHybridFixture(t, hybridDocs())
	x.r.Embedder, x.r.Vectors = nil, panicVectors{t}
	for _, mode := range []string{"", handbook.ModeHybrid, handbook.ModeLexical} {
		res := x.search(t, "đăng ký khai sinh", mode, handbook.AudiencePublic)
		if res.Mode != "lexical" || res.Degraded != "" || res.VectorErr != nil || len(res.Hits) == 0 {
			t.Errorf("mode %q without an embedder: %q, notice %q, err %v, %d hits; want lexical without notice",
				mode, res.Mode, res.Degraded, res.VectorErr, len(res.Hits))
		}
	}
	_, err := x.r.Search(t.Context(), handbook.SearchRequest{Query: "khai sinh", Mode: handbook.ModeVector})
	if handbook.ErrorCode(err) != handbook.Invalid {
		t.Errorf("vector mode without an embedder: error = %v, want invalid", err)
	}
	if n := len(x.fake.EmbeddingRequests()); n != 1 { // the fixture's own indexing call
		t.Errorf("embedding requests = %d, want none beyond the fixture's", n-1)
	}
}

func TestSearchRejectsUnknownMode(t *testing.T) {
	x := newHybridFixture(t, hybridDocs())
	_, err := x.r.Search(t.Context(), handbook.SearchRequest{Query: "khai sinh", Mode: "semantic"})
	if handbook.ErrorCode(err) != handbook.Invalid {
		t.Errorf("Search(mode semantic) error = %v, want invalid", err)
	}
}

// fixedKeyword is a keyword index that always returns the same hits.
type fixedKeyword []handbook.Hit

func (f fixedKeyword) Index(context.Context, []handbook.Chunk) error { return nil }
func (f fixedKeyword) DeleteDocument(context.Context, string) error  { return nil }
func (f fixedKeyword) Search(context.Context, handbook.Query, handbook.Filter, int) ([]handbook.Hit, error) {
	return slices.Clone(f), nil
}

// TestEmbedderOutageCoolsDown: once the embedder has failed, searches skip
// it for EmbedCooldown and answer from keywords at once, with the notice;
// then one search tries again. Runs on synctest's fake clock.
func TestEmbedderOutageCoolsDown(t *testing.T) {
	srv := openaitest.NewServer(t) // outside the bubble: its listener would block the fake clock
	synctest.Test(t, func(t *testing.T) {
		c := handbook.Chunk{ID: "faq/a#tra-loi", DocID: "faq/a", Anchor: "tra-loi", Kind: handbook.KindFAQ, Title: "Đăng ký khai sinh",
			Text: "Đăng ký khai sinh cho con.", Audience: handbook.AudiencePublic, Status: handbook.StatusPublished}
		vectors := memvec.New()
		if err := vectors.Upsert(t.Context(), []handbook.Vector{{Chunk: c, Values: openaitest.Vector(c.EmbeddingText(), 64)}}); err != nil {
			t.Fatal(err)
		}
		r := &handbook.Retriever{
			Keyword: fixedKeyword{{ChunkID: c.ID, DocID: c.DocID, Anchor: c.Anchor, Kind: c.Kind, Title: c.Title, Text: c.Text, Score: 1}},
			Vectors: vectors, EmbedCooldown: time.Minute,
			Embedder: openai.NewEmbedder(srv.URL, "", "m", 64, openai.WithHTTPClient(&http.Client{Transport: srv.Transport()}),
				openai.WithRetries(0, 0)),
		}
		search := func() *handbook.SearchResult {
			res, err := r.Search(t.Context(), handbook.SearchRequest{Query: "khai sinh"})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		srv.FailEmbeddings(http.StatusServiceUnavailable, http.StatusServiceUnavailable)
		res := search()
		if res.Mode != "lexical" || res.Degraded == "" || !errors.Is(res.VectorErr, handbook.ErrUnavailable) || len(res.Hits) != 1 {
			t.Fatalf("search with the embedder down = %q, notice %q, err %v", res.Mode, res.Degraded, res.VectorErr)
		}
		for range 5 {
			time.Sleep(10 * time.Second)
			res := search()
			if res.Mode != "lexical" || res.Degraded == "" || res.VectorErr != nil {
				t.Errorf("search during the cool-down = %q, notice %q, err %v; want lexical with the notice and no new error",
					res.Mode, res.Degraded, res.VectorErr)
			}
		}
		if n := len(srv.EmbeddingRequests()); n != 1 {
			t.Errorf("embedding requests during the cool-down = %d, want only the first", n)
		}
		time.Sleep(11 * time.Second) // the minute is over: try again, still down
		if res := search(); res.VectorErr == nil || len(srv.EmbeddingRequests()) != 2 {
			t.Errorf("after the cool-down: err %v, %d requests; want one new failed try", res.VectorErr, len(srv.EmbeddingRequests()))
		}
		time.Sleep(61 * time.Second) // back up
		if res := search(); res.Mode != "hybrid" || res.Degraded != "" {
			t.Errorf("search once the embedder is back = %q, notice %q; want hybrid", res.Mode, res.Degraded)
		}
	})
}
