// Package indexertest holds the behaviour every handbook.KeywordIndex and
// handbook.VectorStore must share, as suites that each backend calls from its
// own tests (the fstest.TestFS model), plus helpers for integration tests.
package indexertest

import (
	"slices"
	"testing"

	"sotay/handbook"
)

// Chunk builds a published, public chunk for tests.
func Chunk(doc, anchor string, kind handbook.Kind, title, heading, text string) handbook.Chunk {
	return handbook.Chunk{
		ID: doc + "#" + anchor, DocID: doc, Anchor: anchor, Kind: kind, Title: title, Heading: heading, Text: text,
		Audience: handbook.AudiencePublic, Status: handbook.StatusPublished,
	}
}

// Corpus is a small Vietnamese corpus shared by the suites.
func Corpus() []handbook.Chunk {
	khaiSinh := Chunk("procedures/ho-tich/dang-ky-khai-sinh", "", handbook.KindProcedure, "Đăng ký khai sinh", "Thông tin thủ tục",
		"Thủ tục đăng ký khai sinh cho trẻ em. Hồ sơ gồm tờ khai và giấy chứng sinh.")
	khaiSinh.Field = "Hộ tịch"
	khaiSinh.Aliases = []string{"làm giấy khai sinh"}
	ketHon := Chunk("procedures/ho-tich/dang-ky-ket-hon", "", handbook.KindProcedure, "Đăng ký kết hôn", "Thông tin thủ tục",
		"Hai bên nam, nữ có mặt khi đăng ký kết hôn.")
	ketHon.Field = "Hộ tịch"
	soDo := Chunk("procedures/dat-dai/cap-doi-cap-lai-giay-chung-nhan", "", handbook.KindProcedure, "Cấp đổi, cấp lại Giấy chứng nhận quyền sử dụng đất",
		"Thông tin thủ tục", "Cấp lại giấy chứng nhận quyền sử dụng đất bị mất.")
	soDo.Field = "Đất đai"
	dieu16 := Chunk("regulations/luat-ho-tich-2014", "dieu-16", handbook.KindRegulation, "Luật Hộ tịch", "Điều 16. Thủ tục đăng ký khai sinh",
		"Người đi đăng ký khai sinh nộp tờ khai theo mẫu quy định và giấy chứng sinh cho cơ quan đăng ký hộ tịch.")
	dieu16.ValidFrom = handbook.MustDate("2016-01-01")
	old := Chunk("regulations/nd-61-2018", "dieu-1", handbook.KindRegulation, "Nghị định 61/2018/NĐ-CP về một cửa", "Điều 1. Phạm vi điều chỉnh",
		"Cơ chế một cửa, một cửa liên thông trong giải quyết thủ tục hành chính.")
	old.ValidFrom, old.ValidTo = handbook.MustDate("2018-06-21"), handbook.MustDate("2025-07-01")
	secret := Chunk("technology/mat-mang-noi-bo", "", handbook.KindGuide, "Xử lý khi mất mạng tại bộ phận một cửa", "Quy trình nội bộ",
		"Mã khẩn cấp zebraquartz dùng cho cán bộ khi mất mạng.")
	secret.Audience = handbook.AudienceInternal
	return []handbook.Chunk{khaiSinh, ketHon, soDo, dieu16, old, secret}
}

// Analyze analyses q with the corpus' vocabulary and a small thesaurus.
func Analyze(t testing.TB, q string) handbook.Query {
	t.Helper()
	th := &handbook.Thesaurus{}
	th.Add("sổ đỏ", "giấy chứng nhận quyền sử dụng đất")
	vocab := map[string]struct{}{}
	for _, c := range Corpus() {
		for _, w := range handbook.FoldedSyllables(c.Title + " " + c.Heading + " " + c.Text) {
			vocab[w] = struct{}{}
		}
	}
	a := &handbook.Analyzer{Thesaurus: th, Vocab: vocab}
	out, err := a.Analyze(q)
	if err != nil {
		t.Fatalf("Analyze(%q): %v", q, err)
	}
	return out
}

func docIDs(hits []handbook.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.DocID)
	}
	return out
}

// TestKeywordIndex checks the KeywordIndex contract. open must return an
// empty index and register its own cleanup.
func TestKeywordIndex(t *testing.T, open func(t *testing.T) handbook.KeywordIndex) {
	today := handbook.MustDate("2026-11-25")
	public := handbook.Filter{At: today, Audience: handbook.AudiencePublic}
	load := func(t *testing.T) handbook.KeywordIndex {
		x := open(t)
		if err := x.Index(t.Context(), Corpus()); err != nil {
			t.Fatal(err)
		}
		return x
	}
	search := func(t *testing.T, x handbook.KeywordIndex, q string, f handbook.Filter) []handbook.Hit {
		t.Helper()
		hits, err := x.Search(t.Context(), Analyze(t, q), f, 10)
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		return hits
	}
	t.Run("SameResultWithAndWithoutDiacritics", func(t *testing.T) {
		x := load(t)
		for _, q := range []string{"đăng ký khai sinh", "dang ky khai sinh", "DANG KY KHAI SINH", "dang ky khai sinhf"} {
			hits := search(t, x, q, public)
			if len(hits) == 0 || hits[0].DocID != "procedures/ho-tich/dang-ky-khai-sinh" {
				t.Errorf("Search(%q) = %q, want the birth registration first", q, docIDs(hits))
			}
		}
	})
	t.Run("ThesaurusExpansion", func(t *testing.T) {
		x := load(t)
		hits := search(t, x, "làm lại sổ đỏ bị mất", public)
		if len(hits) == 0 || hits[0].DocID != "procedures/dat-dai/cap-doi-cap-lai-giay-chung-nhan" {
			t.Errorf("Search(sổ đỏ) = %q", docIDs(hits))
		}
	})
	t.Run("InternalNeverReachesPublic", func(t *testing.T) {
		x := load(t)
		for _, h := range search(t, x, "zebraquartz mất mạng", public) {
			if h.DocID == "technology/mat-mang-noi-bo" {
				t.Errorf("public search returned internal %s", h.ChunkID)
			}
		}
		internal := public
		internal.Audience = handbook.AudienceInternal
		if hits := search(t, x, "zebraquartz", internal); len(hits) == 0 || hits[0].DocID != "technology/mat-mang-noi-bo" {
			t.Errorf("internal search = %q", docIDs(hits))
		}
	})
	t.Run("PointInTime", func(t *testing.T) {
		x := load(t)
		if hits := search(t, x, "một cửa liên thông", public); slices.Contains(docIDs(hits), "regulations/nd-61-2018") {
			t.Errorf("expired decree returned today: %q", docIDs(hits))
		}
		past := public
		past.At = handbook.MustDate("2020-01-01")
		if hits := search(t, x, "một cửa liên thông", past); !slices.Contains(docIDs(hits), "regulations/nd-61-2018") {
			t.Errorf("decree in force in 2020 missing: %q", docIDs(hits))
		}
		all := public
		all.AllDates = true
		if hits := search(t, x, "một cửa liên thông", all); !slices.Contains(docIDs(hits), "regulations/nd-61-2018") {
			t.Errorf("AllDates lost the expired decree: %q", docIDs(hits))
		}
		before := public
		before.At = handbook.MustDate("2015-01-01")
		if hits := search(t, x, "thủ tục đăng ký khai sinh", before); slices.Contains(docIDs(hits), "regulations/luat-ho-tich-2014") {
			t.Errorf("law not yet in force returned: %q", docIDs(hits))
		}
	})
	t.Run("KindAndFieldFilters", func(t *testing.T) {
		x := load(t)
		f := public
		f.Kinds = []handbook.Kind{handbook.KindRegulation}
		for _, h := range search(t, x, "đăng ký khai sinh", f) {
			if h.Kind != handbook.KindRegulation {
				t.Errorf("kind filter returned %s (%s)", h.ChunkID, h.Kind)
			}
		}
		f = public
		f.Field = "dat dai"
		hits := search(t, x, "giấy chứng nhận đăng ký", f)
		if len(hits) == 0 {
			t.Fatal("field filter returned nothing")
		}
		for _, h := range hits {
			if h.Field != "Đất đai" {
				t.Errorf("field filter returned %s (%q)", h.ChunkID, h.Field)
			}
		}
	})
	t.Run("DeleteDocument", func(t *testing.T) {
		x := load(t)
		if err := x.DeleteDocument(t.Context(), "procedures/ho-tich/dang-ky-khai-sinh"); err != nil {
			t.Fatal(err)
		}
		if hits := search(t, x, "khai sinh", public); slices.Contains(docIDs(hits), "procedures/ho-tich/dang-ky-khai-sinh") {
			t.Errorf("deleted document still found: %q", docIDs(hits))
		}
	})
	t.Run("IndexReplacesSameID", func(t *testing.T) {
		x := load(t)
		c := Corpus()[1]
		c.Text = "Nội dung mới hoàn toàn về xylophone."
		if err := x.Index(t.Context(), []handbook.Chunk{c}); err != nil {
			t.Fatal(err)
		}
		hits := search(t, x, "xylophone", public)
		if len(hits) != 1 || hits[0].ChunkID != c.ID {
			t.Errorf("replaced chunk search = %q", docIDs(hits))
		}
	})
}
