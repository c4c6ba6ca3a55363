package bleve

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sotay/handbook"

	index "github.com/blevesearch/bleve_index_api"
)

func textChunk(doc, anchor, text string) handbook.Chunk {
	return handbook.Chunk{ID: doc + "#" + anchor, DocID: doc, Anchor: anchor, Kind: handbook.KindGuide,
		Title: "Hướng dẫn " + doc, Heading: "Mục " + anchor, Text: text, Audience: handbook.AudiencePublic, Status: handbook.StatusPublished}
}

func searchTexts(t *testing.T, x *Index, q string) map[string]handbook.Hit {
	t.Helper()
	terms := handbook.FoldedSyllables(q)
	hits, err := x.Search(context.Background(), handbook.Query{Raw: q, Terms: terms, Exact: terms}, handbook.Filter{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]handbook.Hit{}
	for _, h := range hits {
		out[h.ChunkID] = h
	}
	return out
}

// TestChunkTexts: hits carry the text and folded text of the chunk as
// indexed last, also after the index is opened again, and the file keeps
// them out of bleve's stored fields.
func TestChunkTexts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := textChunk("a", "1", "Công dân đăng ký khai sinh cho con tại Ủy ban nhân dân cấp xã.")
	b := textChunk("b", "1", "Cài đặt chữ ký số trên máy tính của cán bộ một cửa.")
	if err := x.Index(ctx, []handbook.Chunk{a, b}); err != nil {
		t.Fatal(err)
	}
	hits := searchTexts(t, x, "khai sinh")
	if h := hits[a.ID]; h.Text != a.Text || h.Folded != strings.Join(handbook.FoldedSyllables(a.Title+" "+a.Heading+" "+a.Text), " ") {
		t.Errorf("hit = text %q folded %q", h.Text, h.Folded)
	}
	// Replaced: the new text, not the old record.
	a.Text = "Người dân đăng ký khai sinh trực tuyến trên Cổng dịch vụ công."
	if err := x.Index(ctx, []handbook.Chunk{a}); err != nil {
		t.Fatal(err)
	}
	if h := searchTexts(t, x, "khai sinh")[a.ID]; h.Text != a.Text || !strings.Contains(h.Folded, "cong dich vu cong") {
		t.Errorf("after the update: text %q folded %q", h.Text, h.Folded)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash after records were written but before bleve took the batch
	// leaves records no document names; appends go on after them.
	f, err := os.OpenFile(filepath.Join(dir, textsFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("nửa bản ghi")
	f.Close()
	if x, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if h := searchTexts(t, x, "chữ ký số")[b.ID]; h.Text != b.Text {
		t.Errorf("after reopening: text %q, want %q", h.Text, b.Text)
	}
	c := textChunk("c", "1", "Tra cứu hồ sơ khai sinh bằng mã QR.")
	if err := x.Index(ctx, []handbook.Chunk{c}); err != nil {
		t.Fatal(err)
	}
	hits = searchTexts(t, x, "khai sinh")
	if hits[c.ID].Text != c.Text || hits[a.ID].Text != a.Text {
		t.Errorf("after an append past a torn record: %q / %q", hits[c.ID].Text, hits[a.ID].Text)
	}
	// No candidate's text goes through bleve's stored fields any more.
	adv, err := x.idx.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	doc, err := r.Document(a.ID)
	if err != nil || doc == nil {
		t.Fatalf("document %s: %v", a.ID, err)
	}
	stored := map[string]bool{}
	doc.VisitFields(func(f index.Field) { stored[f.Name()] = true })
	if len(stored) != 1 || !stored["tx"] {
		t.Errorf("stored fields %v: want tx alone", stored)
	}
}

// TestChunkTextDamage: a record that no longer matches its checksum fails
// the search with an error instead of quoting other words.
func TestChunkTextDamage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	a := textChunk("a", "1", "Lệ phí đăng ký khai sinh đúng hạn được miễn.")
	if err := x.Index(context.Background(), []handbook.Chunk{a}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, textsFile)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), "miễn")
	copy(data[i:], "MIỄN")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	terms := handbook.FoldedSyllables("khai sinh")
	_, err = x.Search(context.Background(), handbook.Query{Raw: "khai sinh", Terms: terms, Exact: terms}, handbook.Filter{}, 10)
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("search over a damaged record: error %v, want a checksum mismatch", err)
	}
}

func TestTextLocRoundTrip(t *testing.T) {
	for _, l := range []textLoc{{}, {off: 1 << 40, n: 3300, crc: 0xffffffff}} {
		got, err := parseTextLoc(l.String())
		if err != nil || got != l {
			t.Errorf("parseTextLoc(%q) = %+v, %v; want %+v", l.String(), got, err, l)
		}
	}
	for _, bad := range []string{"", "1:2", "1:2:3:4", "a:b:c", "-1:0:0", "1:-2:0", "1:99999999:0", "1:2:zzzzzzzzzzzz"} {
		if _, err := parseTextLoc(bad); err == nil {
			t.Errorf("parseTextLoc(%q) succeeded", bad)
		}
	}
}

// FuzzDecodeRecord: any bytes decode to a hit or an error, never a panic
// or strings longer than the record (TestRecordRoundTrip checks a real
// record).
func FuzzDecodeRecord(f *testing.F) {
	c := textChunk("procedures/ho-tich/khai-sinh", "ho-so", "Tờ khai đăng ký khai sinh theo mẫu.")
	c.Aliases = []string{"Khai sinh"}
	c.ValidFrom = handbook.MustDate("2025-07-01")
	f.Add(appendRecord(nil, &c))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var h handbook.Hit
		if err := decodeRecord(b, &h); err != nil {
			return
		}
		for _, s := range []string{h.ChunkID, h.DocID, h.Text, h.Folded} {
			if len(s) > len(b) {
				t.Fatalf("string of %d bytes from a record of %d", len(s), len(b))
			}
		}
	})
}

func TestRecordRoundTrip(t *testing.T) {
	c := textChunk("regulations/nd-30-2020", "dieu-8", "Thể thức văn bản gồm quốc hiệu và tiêu ngữ.")
	c.Aliases = []string{"Nghị định 30"}
	c.Field = "Văn thư"
	c.ValidFrom, c.ValidTo = handbook.MustDate("2020-03-05"), handbook.MustDate("2030-01-01")
	var h handbook.Hit
	if err := decodeRecord(appendRecord(nil, &c), &h); err != nil {
		t.Fatal(err)
	}
	want := handbook.Hit{ChunkID: c.ID, DocID: c.DocID, Anchor: c.Anchor, Kind: c.Kind, Title: c.Title, Heading: c.Heading,
		Field: c.Field, Text: c.Text, Audience: c.Audience, ValidFrom: c.ValidFrom, ValidTo: c.ValidTo,
		Folded: strings.Join(handbook.FoldedSyllables(c.Title+" "+c.Heading+" "+c.Text), " "),
		Names:  "huong dan regulations nd 30 2020\nnghi dinh 30"}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("decoded %+v\nwant    %+v", h, want)
	}
	if err := decodeRecord(appendRecord(nil, &c)[:20], &h); err == nil {
		t.Error("a cut record decoded")
	}
}

// TestReadAllRuns: records asked for in any order, some next to each other
// (read together) and some far apart (read alone), each come back as their
// own chunk in the order asked; a locator naming another chunk's record is
// an error even when that record is read in the same run.
func TestReadAllRuns(t *testing.T) {
	s, err := openTexts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var chunks []handbook.Chunk
	for i := range 12 {
		text := fmt.Sprintf("Đoạn %d về hộ tịch.", i)
		if i%4 == 3 {
			text += strings.Repeat(" Nội dung dài của một điều khoản.", 400) // > readGap
		}
		chunks = append(chunks, textChunk("guides/g", fmt.Sprint(i), text))
	}
	locs, err := s.appendAll(chunks)
	if err != nil {
		t.Fatal(err)
	}
	ask := []int{7, 0, 2, 11, 1, 5, 4, 9}
	ids := make([]string, len(ask))
	at := make([]textLoc, len(ask))
	for i, c := range ask {
		ids[i], at[i] = chunks[c].ID, locs[c]
	}
	// Into blocks of their own, and into one caller's buffer (too small
	// at first: it grows before any record is read into it).
	for _, buf := range [][]byte{nil, make([]byte, 0, 16)} {
		hits, got, err := s.readAll(ids, at, buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range ask {
			if hits[i].ChunkID != chunks[c].ID || hits[i].Text != chunks[c].Text {
				t.Errorf("hit %d: %s %.30q, want %s %.30q", i, hits[i].ChunkID, hits[i].Text, chunks[c].ID, chunks[c].Text)
			}
		}
		if buf == nil {
			continue
		}
		// The hits' strings are in the buffer returned.
		clear(got[:cap(got)])
		for i := range hits {
			if hits[i].ChunkID != strings.Repeat("\x00", len(hits[i].ChunkID)) {
				t.Fatalf("hit %d: id %q not in the buffer returned", i, hits[i].ChunkID)
			}
		}
	}
	at[1] = locs[1] // chunk 0 asked for, chunk 1's record named: both in one run
	if _, _, err := s.readAll(ids, at, nil, nil); err == nil || !strings.Contains(err.Error(), chunks[1].ID) {
		t.Errorf("misplaced locator: error %v, want one naming the record read", err)
	}
}
