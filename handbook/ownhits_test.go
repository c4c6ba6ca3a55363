package handbook

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// TestOwnHitsCopiesEveryString: every string field of a Hit (found by
// reflection, so a field added later is checked too) is copied out of the
// buffer it pointed into.
func TestOwnHitsCopiesEveryString(t *testing.T) {
	buf := []byte(strings.Repeat("abcdefgh", 64))
	var h Hit
	v := reflect.ValueOf(&h).Elem()
	n := 0
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.String {
			f.SetString(unsafe.String(&buf[8*i], 5))
			n++
		}
	}
	if n != len(hitStrings(&h)) {
		t.Fatalf("Hit has %d string fields, hitStrings lists %d", n, len(hitStrings(&h)))
	}
	hits := OwnHits([]Hit{h})
	clear(buf)
	for i := range v.NumField() {
		if f := reflect.ValueOf(hits[0]).Field(i); f.Kind() == reflect.String && f.String() != "abcde" {
			t.Errorf("field %s = %q after its buffer was cleared, want its own copy", v.Type().Field(i).Name, f.String())
		}
	}
}

// scratchIndex is a ScratchSearcher whose buffer is overwritten when it is
// released, as the next search's records would overwrite it.
type scratchIndex struct {
	KeywordIndex
	chunks   []Chunk
	released int
	live     int
}

func (x *scratchIndex) SearchScratch(ctx context.Context, q Query, f Filter, k int) ([]Hit, func(), error) {
	// Every string of every hit in one buffer.
	var buf []byte
	for _, c := range x.chunks {
		buf = append(buf, c.ID+c.DocID+c.Anchor+string(c.Kind)+c.Title+c.Text...)
	}
	at := 0
	take := func(s string) string {
		at += len(s)
		return unsafe.String(&buf[at-len(s)], len(s))
	}
	var hits []Hit
	for i, c := range x.chunks {
		hits = append(hits, Hit{ChunkID: take(c.ID), DocID: take(c.DocID), Anchor: take(c.Anchor), Kind: Kind(take(string(c.Kind))),
			Title: take(c.Title), Text: take(c.Text), Audience: AudiencePublic, Score: float64(len(x.chunks) - i)})
	}
	x.live++
	return hits, func() {
		x.live--
		x.released++
		for i := range buf {
			buf[i] = '~'
		}
		// The hits are in a buffer the next search reuses too.
		for i := range hits {
			hits[i] = Hit{ChunkID: "~", Snippet: "~"}
		}
	}, nil
}

// TestRetrieverReleasesScratchHits: a search through a ScratchSearcher
// returns hits that keep their text after the index's buffer is handed
// back and reused, and hands every buffer back.
func TestRetrieverReleasesScratchHits(t *testing.T) {
	chunks := []Chunk{
		{ID: "a#1", DocID: "a", Anchor: "1", Kind: KindGuide, Title: "Khai sinh", Text: "Đăng ký khai sinh tại xã.", Audience: AudiencePublic},
		{ID: "b#1", DocID: "b", Anchor: "1", Kind: KindGuide, Title: "Kết hôn", Text: "Đăng ký kết hôn tại xã.", Audience: AudiencePublic},
	}
	x := &scratchIndex{chunks: chunks}
	r := &Retriever{Keyword: x}
	res, err := r.Search(t.Context(), SearchRequest{Query: "đăng ký khai sinh"})
	if err != nil {
		t.Fatal(err)
	}
	if x.released != 1 || x.live != 0 {
		t.Errorf("%d buffers released, %d still held; want 1, 0", x.released, x.live)
	}
	if len(res.Hits) != 2 {
		t.Fatalf("%d hits, want 2", len(res.Hits))
	}
	for _, h := range res.Hits {
		var want string
		for _, c := range chunks {
			if c.ID == h.ChunkID {
				want = c.Text
			}
		}
		if h.Text != want || strings.Contains(h.Snippet+h.ChunkID+h.Title, "~") {
			t.Errorf("hit %s: text %q, snippet %q after the buffer was reused; want %q", h.ChunkID, h.Text, h.Snippet, want)
		}
	}
}
