package handbook_test

import (
	"strings"
	"testing"

	"sotay/handbook"
)

func regulationDoc() *handbook.Document {
	long := strings.Repeat("Người đi đăng ký khai sinh nộp tờ khai theo mẫu và giấy chứng sinh cho cơ quan đăng ký hộ tịch. ", 30)
	return &handbook.Document{
		ID: "regulations/luat-ho-tich-2014", Kind: handbook.KindRegulation, Title: "Luật Hộ tịch",
		Audience: handbook.AudiencePublic, Status: handbook.StatusPublished,
		Regulation: &handbook.Regulation{Number: "60/2014/QH13", DocType: "Luật", ShortName: "Luật Hộ tịch 2014",
			Effective: handbook.MustDate("2016-01-01")},
		Sections: []handbook.Section{
			{Kind: handbook.SectionChapter, Anchor: "chuong-2", Heading: "Chương II. ĐĂNG KÝ HỘ TỊCH TẠI ỦY BAN NHÂN DÂN CẤP XÃ"},
			{Kind: handbook.SectionArticle, Anchor: "dieu-15", Number: "15", Title: "Thời hạn đăng ký khai sinh",
				Heading: "Điều 15. Thời hạn đăng ký khai sinh", Path: []string{"Chương II"},
				Text: "Trong 60 ngày kể từ ngày sinh con, cha hoặc mẹ có trách nhiệm đăng ký khai sinh cho con."},
			{Kind: handbook.SectionArticle, Anchor: "dieu-16", Number: "16", Title: "Thủ tục đăng ký khai sinh",
				Heading: "Điều 16. Thủ tục đăng ký khai sinh", Path: []string{"Chương II"},
				Text: "Thủ tục như sau.\n" + "1. " + long + "\n2. " + long},
			{Kind: handbook.SectionClause, Anchor: "dieu-16-khoan-1", Parent: "dieu-16", Number: "1", Text: "1. " + long},
			{Kind: handbook.SectionClause, Anchor: "dieu-16-khoan-2", Parent: "dieu-16", Number: "2", Text: "2. " + long},
		},
	}
}

func TestChunksFollowStructure(t *testing.T) {
	chunks := handbook.Chunks(regulationDoc())
	var ids []string
	for _, c := range chunks {
		ids = append(ids, c.ID)
		if !strings.Contains(c.Heading, "Điều") {
			t.Errorf("chunk %s heading %q lacks the article heading", c.ID, c.Heading)
		}
		if len([]rune(c.Text)) > handbook.MaxChunkRunes {
			t.Errorf("chunk %s has %d runes", c.ID, len([]rune(c.Text)))
		}
		if !c.ValidFrom.IsSet() {
			t.Errorf("chunk %s lost the effective date", c.ID)
		}
	}
	// Short article: one chunk. Long article: one chunk per clause, or
	// more (~n) when a clause itself is too long.
	if ids[0] != "regulations/luat-ho-tich-2014#dieu-15" {
		t.Errorf("first chunk %s", ids[0])
	}
	hasClause := false
	for _, id := range ids {
		if strings.HasPrefix(id, "regulations/luat-ho-tich-2014#dieu-16-khoan-") {
			hasClause = true
		}
		if id == "regulations/luat-ho-tich-2014#dieu-16" {
			t.Errorf("long article was not split: %q", ids)
		}
	}
	if !hasClause {
		t.Errorf("no clause chunks: %q", ids)
	}
	// The article lead-in goes with clause 1.
	for _, c := range chunks {
		if c.ID == "regulations/luat-ho-tich-2014#dieu-16-khoan-1" && !strings.HasPrefix(c.Text, "Thủ tục như sau.") {
			t.Errorf("clause 1 chunk lacks the article lead-in: %.40q", c.Text)
		}
	}
	// The citation name is searchable as an alias.
	if !strings.Contains(strings.Join(chunks[0].Aliases, "|"), "Luật Hộ tịch 2014") {
		t.Errorf("aliases %q", chunks[0].Aliases)
	}
}

func TestProcedureCardChunk(t *testing.T) {
	d := &handbook.Document{
		ID: "procedures/ho-tich/dang-ky-khai-sinh", Kind: handbook.KindProcedure, Title: "Đăng ký khai sinh",
		Aliases: []string{"làm giấy khai sinh"},
		Procedure: &handbook.Procedure{Code: "1.001193", Field: "Hộ tịch", TimeLimit: "Ngay trong ngày",
			Documents: []handbook.DossierItem{{Name: "Tờ khai đăng ký khai sinh", Copies: "01 bản chính"}}},
		Sections: []handbook.Section{{Kind: handbook.SectionHeading, Anchor: "loi-thuong-gap", Heading: "Lỗi thường gặp", Text: "Quên giấy chứng sinh."}},
	}
	chunks := handbook.Chunks(d)
	if len(chunks) != 2 || chunks[0].Anchor != "" || chunks[0].ID != d.ID+"#" {
		t.Fatalf("chunks = %+v", chunks)
	}
	for _, want := range []string{"Mã thủ tục: 1.001193", "Thời hạn giải quyết: Ngay trong ngày", "Tờ khai đăng ký khai sinh (01 bản chính)"} {
		if !strings.Contains(chunks[0].Text, want) {
			t.Errorf("card lacks %q:\n%s", want, chunks[0].Text)
		}
	}
	if chunks[0].Field != "Hộ tịch" {
		t.Errorf("field %q", chunks[0].Field)
	}
}

func TestCitationLabel(t *testing.T) {
	d := regulationDoc()
	tests := []struct{ anchor, want string }{
		{"dieu-16", "Điều 16 Luật Hộ tịch 2014"},
		{"dieu-16-khoan-2", "khoản 2 Điều 16 Luật Hộ tịch 2014"},
		{"dieu-5-khoan-2-diem-dd", "điểm đ khoản 2 Điều 5 Luật Hộ tịch 2014"},
		{"dieu-10a", "Điều 10a Luật Hộ tịch 2014"},
		{"", "Luật Hộ tịch 2014"},
	}
	for _, tc := range tests {
		if got := handbook.CitationLabel(d, tc.anchor); got != tc.want {
			t.Errorf("CitationLabel(%q) = %q, want %q", tc.anchor, got, tc.want)
		}
	}
	d.Regulation.ShortName = ""
	d.Regulation.DocType, d.Regulation.Number = "Nghị định", "120/2025/NĐ-CP"
	if got := handbook.CitationLabel(d, "dieu-5-khoan-2"); got != "khoản 2 Điều 5 Nghị định số 120/2025/NĐ-CP" {
		t.Errorf("got %q", got)
	}
}

func TestValidity(t *testing.T) {
	from, to := handbook.MustDate("2016-01-01"), handbook.MustDate("2025-07-01")
	tests := []struct {
		day  string
		want handbook.Validity
	}{
		{"2015-12-31", handbook.NotYet}, {"2016-01-01", handbook.InForce},
		{"2025-06-30", handbook.InForce}, {"2025-07-01", handbook.Expired},
	}
	for _, tc := range tests {
		if got := handbook.ValidityAt(from, to, handbook.MustDate(tc.day)); got != tc.want {
			t.Errorf("ValidityAt(%s) = %s, want %s", tc.day, got, tc.want)
		}
	}
}

func TestFilterAllows(t *testing.T) {
	c := handbook.Chunk{Kind: handbook.KindGuide, Audience: handbook.AudienceInternal, Status: handbook.StatusPublished,
		Field: "Hộ tịch", ValidFrom: handbook.MustDate("2025-07-01")}
	at := handbook.MustDate("2026-01-01")
	tests := []struct {
		name string
		f    handbook.Filter
		want bool
	}{
		{"public caller never sees internal", handbook.Filter{At: at}, false},
		{"official sees internal", handbook.Filter{At: at, Audience: handbook.AudienceInternal}, true},
		{"kind mismatch", handbook.Filter{At: at, Audience: handbook.AudienceInternal, Kinds: []handbook.Kind{handbook.KindFAQ}}, false},
		{"field folded", handbook.Filter{At: at, Audience: handbook.AudienceInternal, Field: "ho tich"}, true},
		{"not yet in force", handbook.Filter{At: handbook.MustDate("2025-01-01"), Audience: handbook.AudienceInternal}, false},
		{"all dates", handbook.Filter{At: handbook.MustDate("2025-01-01"), Audience: handbook.AudienceInternal, AllDates: true}, true},
	}
	for _, tc := range tests {
		if got := tc.f.Allows(&c); got != tc.want {
			t.Errorf("%s: Allows = %v, want %v", tc.name, got, tc.want)
		}
	}
}
