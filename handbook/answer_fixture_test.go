package handbook_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sotay/handbook"
	"sotay/indexer/bleve"

	"golang.org/x/text/unicode/norm"
)

// The answer tests build their library from handbook types (the Markdown
// parser is tested on its own) and search it with the real bleve index.

// askToday is the date every answer test runs on.
var askToday = time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)

// askInternalMarker appears only in an askInternal document: it must never reach
// a public caller's prompt or answer.
const askInternalMarker = "zephyrnoibo"

func askArticle(anchor, heading, title, text string) handbook.Section {
	return handbook.Section{Kind: handbook.SectionArticle, Anchor: anchor, Heading: heading, Title: title, Text: text}
}

// askClauses adds the clause sections of an askArticle whose text is one clause
// per line ("1. …").
func askClauses(art handbook.Section) []handbook.Section {
	out := []handbook.Section{art}
	for _, line := range strings.Split(art.Text, "\n") {
		num, _, ok := strings.Cut(line, ". ")
		if !ok || strings.Trim(num, "0123456789") != "" {
			continue
		}
		out = append(out, handbook.Section{Kind: handbook.SectionClause, Anchor: art.Anchor + "-khoan-" + num, Number: num,
			Heading: "Khoản " + num, Parent: art.Anchor, Text: line})
	}
	return out
}

func askDocs() []*handbook.Document {
	pub, published := handbook.AudiencePublic, handbook.StatusPublished
	khaiSinh := &handbook.Document{
		ID: "procedures/ho-tich/dang-ky-khai-sinh", Kind: handbook.KindProcedure, Title: "Đăng ký khai sinh",
		Aliases:  []string{"làm giấy khai sinh", "khai sinh cho con", "giấy khai sinh"},
		Audience: pub, Status: published, Owner: "Sở Tư pháp",
		Summary: "Cha, mẹ đăng ký khai sinh cho con trong 60 ngày kể từ ngày sinh.",
		Procedure: &handbook.Procedure{
			Code: "1.001193", Field: "Hộ tịch", Agency: "Ủy ban nhân dân cấp xã",
			Where:     "Trung tâm Phục vụ hành chính công cấp xã nơi cư trú của cha hoặc mẹ",
			Channels:  []string{"trực tiếp", "bưu chính", "trực tuyến"},
			Online:    "toàn trình",
			TimeLimit: "Ngay trong ngày làm việc; nhận hồ sơ sau 15 giờ thì trả kết quả trong ngày làm việc tiếp theo",
			Fee:       "Miễn lệ phí khi đăng ký đúng hạn; quá hạn nộp theo mức Hội đồng nhân dân tỉnh quy định",
			Documents: []handbook.DossierItem{
				{Name: "Tờ khai đăng ký khai sinh theo mẫu", Copies: "01 bản chính"},
				{Name: "Giấy chứng sinh", Copies: "01 bản chính", Note: "không có thì nộp văn bản của người làm chứng"},
				{Name: "Giấy tờ tùy thân của người đi đăng ký", Copies: "xuất trình bản chính"},
			},
			Steps:   []string{"Nộp hồ sơ tại bộ phận một cửa.", "Công chức tư pháp - hộ tịch kiểm tra và ghi Sổ hộ tịch."},
			Result:  "Giấy khai sinh (bản chính)",
			DVCURL:  "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193",
			Hotline: "Tổng đài hỗ trợ của Sở Tư pháp",
		},
		LegalBasis: []handbook.Reference{
			{Doc: "regulations/luat-ho-tich-2014", Article: "dieu-16"},
			{Doc: "regulations/nd-120-2025", Article: "dieu-5-khoan-2"},
			{Doc: "regulations/luat-ho-tich-2014", Article: "dieu-11-khoan-1"},
			{Doc: "regulations/khong-ton-tai", Article: "dieu-1"},
			{Doc: "regulations/luat-ho-tich-2014", Article: "dieu-99"},
		},
		Sections: []handbook.Section{
			{Kind: handbook.SectionIntro, Anchor: "gioi-thieu", Text: "Cha hoặc mẹ có trách nhiệm đăng ký khai sinh cho con trong thời hạn 60 ngày kể từ ngày sinh con."},
			{Kind: handbook.SectionHeading, Anchor: "loi-thuong-gap", Heading: "Lỗi thường gặp",
				Text: "Không bắt buộc về nơi sinh để đăng ký khai sinh. Người dân có thể đăng ký tại nơi cư trú của cha hoặc mẹ."},
		},
	}
	ketHon := &handbook.Document{
		ID: "procedures/ho-tich/dang-ky-ket-hon", Kind: handbook.KindProcedure, Title: "Đăng ký kết hôn",
		Aliases: []string{"làm giấy đăng ký kết hôn", "đăng ký kết hôn"}, Audience: pub, Status: handbook.StatusDraft, Owner: "Sở Tư pháp",
		Procedure: &handbook.Procedure{
			Field: "Hộ tịch", Agency: "Ủy ban nhân dân cấp xã", Where: "Ủy ban nhân dân cấp xã nơi cư trú của một trong hai bên",
			TimeLimit: "Ngay trong ngày", Fee: "Miễn lệ phí đối với công dân Việt Nam cư trú trong nước",
			Documents: []handbook.DossierItem{{Name: "Tờ khai đăng ký kết hôn", Copies: "01 bản chính"}},
		},
		LegalBasis: []handbook.Reference{{Doc: "regulations/luat-ho-tich-2014", Article: "dieu-11"}},
	}
	luat := &handbook.Document{
		ID: "regulations/luat-ho-tich-2014", Kind: handbook.KindRegulation, Title: "Luật Hộ tịch", Audience: pub, Status: published,
		Owner:      "Sở Tư pháp",
		Regulation: &handbook.Regulation{Number: "60/2014/QH13", DocType: "Luật", ShortName: "Luật Hộ tịch 2014", Effective: handbook.MustDate("2016-01-01")},
		Sections: append(askClauses(askArticle("dieu-11", "Điều 11. Lệ phí hộ tịch", "Lệ phí hộ tịch",
			"1. Miễn lệ phí đăng ký hộ tịch khi đăng ký khai sinh, khai tử đúng hạn, giám hộ, kết hôn của công dân Việt Nam cư trú ở trong nước.\n"+
				"2. Cá nhân yêu cầu đăng ký sự kiện hộ tịch khác, cấp bản sao trích lục hộ tịch phải nộp lệ phí.")),
			askClauses(askArticle("dieu-16", "Điều 16. Thủ tục đăng ký khai sinh", "Thủ tục đăng ký khai sinh",
				"1. Người đi đăng ký khai sinh nộp tờ khai theo mẫu quy định và giấy chứng sinh cho cơ quan đăng ký hộ tịch. Trường hợp không có giấy chứng sinh thì nộp văn bản của người làm chứng xác nhận về việc sinh.\n"+
					"2. Ngay sau khi nhận đủ giấy tờ, nếu thấy thông tin khai sinh đầy đủ và phù hợp, công chức tư pháp - hộ tịch ghi nội dung khai sinh vào Sổ hộ tịch."))...),
	}
	nd120 := &handbook.Document{
		ID: "regulations/nd-120-2025", Kind: handbook.KindRegulation, Title: "Nghị định phân định thẩm quyền lĩnh vực tư pháp",
		Audience: pub, Status: published, Owner: "Sở Tư pháp",
		Regulation: &handbook.Regulation{Number: "120/2025/NĐ-CP", DocType: "Nghị định",
			Effective: handbook.MustDate("2025-07-01"), Expired: handbook.MustDate("2027-03-01")},
		Sections: askClauses(askArticle("dieu-5", "Điều 5. Thẩm quyền của Ủy ban nhân dân cấp xã", "Thẩm quyền của Ủy ban nhân dân cấp xã",
			"1. Ủy ban nhân dân cấp xã thực hiện chứng thực bản sao từ bản chính và chứng thực chữ ký.\n"+
				"2. Ủy ban nhân dân cấp xã thực hiện đăng ký kết hôn có yếu tố nước ngoài thay cho Ủy ban nhân dân cấp huyện trước đây.")),
	}
	// An expired regulation: its fee (5.000 đồng) must never be askQuoted.
	old := &handbook.Document{
		ID: "regulations/nd-158-2005", Kind: handbook.KindRegulation, Title: "Nghị định về đăng ký và quản lý hộ tịch", Audience: pub, Status: published,
		Regulation: &handbook.Regulation{Number: "158/2005/NĐ-CP", DocType: "Nghị định", Effective: handbook.MustDate("2006-04-01"), Expired: handbook.MustDate("2016-01-01")},
		Sections: []handbook.Section{askArticle("dieu-9", "Điều 9. Lệ phí đăng ký khai sinh", "Lệ phí đăng ký khai sinh",
			"Lệ phí đăng ký khai sinh quá hạn là 5.000 đồng do Ủy ban nhân dân cấp huyện thu.")},
	}
	faq := &handbook.Document{
		ID: "faq/ho-tich/qua-han-khai-sinh", Kind: handbook.KindFAQ, Title: "Quá 60 ngày chưa làm khai sinh có bị phạt không?",
		Audience: pub, Status: published, Owner: "Sở Tư pháp",
		Sections: []handbook.Section{{Kind: handbook.SectionIntro, Anchor: "tra-loi",
			Text: "Quá 60 ngày vẫn đăng ký khai sinh bình thường. Cha mẹ có thể bị nhắc nhở hoặc xử phạt hành chính theo quy định."}},
	}
	publicGuide := &handbook.Document{
		ID: "technology/mot-cua-dien-tu", Kind: handbook.KindGuide, Title: "Sử dụng phần mềm một cửa điện tử", Audience: pub, Status: published,
		Owner: "Sở Khoa học và Công nghệ",
		Sections: []handbook.Section{{Kind: handbook.SectionHeading, Anchor: "dang-nhap", Heading: "Đăng nhập phần mềm một cửa điện tử",
			Text: "Công chức đăng nhập phần mềm một cửa điện tử bằng tài khoản được cấp. Khi quên mật khẩu quản trị, liên hệ quản trị viên của xã để đặt lại."}},
	}
	internalGuide := &handbook.Document{
		ID: "technology/mot-cua-quan-tri", Kind: handbook.KindGuide, Title: "Quản trị phần mềm một cửa điện tử", Audience: handbook.AudienceInternal,
		Status: published, Owner: "Sở Khoa học và Công nghệ",
		Sections: []handbook.Section{{Kind: handbook.SectionHeading, Anchor: "dat-lai-mat-khau", Heading: "Đặt lại mật khẩu quản trị phần mềm một cửa điện tử",
			Text: "Tài khoản quản trị phần mềm một cửa điện tử dùng mã " + askInternalMarker + " để đặt lại mật khẩu quản trị."}},
	}
	return []*handbook.Document{khaiSinh, ketHon, luat, nd120, old, faq, publicGuide, internalGuide}
}

func askLibrary(t testing.TB) *handbook.Library {
	t.Helper()
	th := &handbook.Thesaurus{}
	th.Add("nhập khẩu", "đăng ký thường trú")
	return handbook.NewLibrary(askDocs(), th, nil)
}

// askIndex indexes every chunk of lib in a fresh bleve index.
func askIndex(t testing.TB, lib *handbook.Library) *bleve.Index {
	t.Helper()
	idx, err := bleve.Open(filepath.Join(t.TempDir(), "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Index(context.Background(), lib.Chunks()); err != nil {
		t.Fatal(err)
	}
	if err := idx.Compact(context.Background()); err != nil { // as Manager does
		t.Fatal(err)
	}
	return idx
}

// newAskAssistant wires an Assistant on the fixture library; llm may be nil.
func newAskAssistant(t testing.TB, llm handbook.LLM) (*handbook.Assistant, *handbook.Library) {
	t.Helper()
	lib := askLibrary(t)
	r := &handbook.Retriever{Keyword: askIndex(t, lib)}
	r.SetAnalyzer(handbook.NewAnalyzer(lib))
	return &handbook.Assistant{
		Retriever:     r,
		Library:       func() *handbook.Library { return lib },
		LLM:           llm,
		Prompt:        askPrompt,
		PromptVersion: "test-1",
		Now:           func() time.Time { return askToday },
	}, lib
}

// askPrompt renders the excerpts the way prompts.Answer does (numbered
// "[n] label — heading" blocks), without importing it.
func askPrompt(in handbook.AnswerInput) ([]handbook.Message, error) {
	var b strings.Builder
	b.WriteString("=== CÂU HỎI ===\n" + in.Question + "\n=== HẾT CÂU HỎI ===\n\n")
	for _, e := range in.Excerpts {
		b.WriteString("[" + strconv.Itoa(e.N) + "] " + e.Label + " — " + e.Heading + "\n" + e.Text + "\n\n")
	}
	return []handbook.Message{{Role: "system", Content: "Chỉ dùng đoạn trích."}, {Role: "user", Content: b.String()}}, nil
}

func askPublic() handbook.Filter   { return handbook.Filter{Audience: handbook.AudiencePublic} }
func askInternal() handbook.Filter { return handbook.Filter{Audience: handbook.AudienceInternal} }

// checkAnswerCitations fails the test unless every citation resolves to an
// existing document and anchor, links to it, quotes it verbatim, and every
// marker [n] of the text has a citation.
func checkAnswerCitations(t *testing.T, lib *handbook.Library, ans *handbook.Answer) {
	t.Helper()
	for i, c := range ans.Citations {
		d, ok := lib.Doc(c.Doc)
		if !ok {
			t.Errorf("citation %d: document %q does not exist", i+1, c.Doc)
			continue
		}
		if c.Anchor != "" {
			if _, ok := d.Section(c.Anchor); !ok {
				t.Errorf("citation %d: anchor %q not in %s", i+1, c.Anchor, c.Doc)
			}
		}
		if want := handbook.DocURL(c.Doc, c.Anchor); c.URL != want {
			t.Errorf("citation %d: URL %q, want %q", i+1, c.URL, want)
		}
		if c.Label == "" {
			t.Errorf("citation %d: empty label", i+1)
		}
		if c.Quote != "" && !askQuoted(d, c.Anchor, c.Quote) {
			t.Errorf("citation %d: quote %q not found in %s#%s", i+1, c.Quote, c.Doc, c.Anchor)
		}
	}
	for _, n := range askMarkers(ans.Text) {
		if n < 1 || n > len(ans.Citations) {
			t.Errorf("marker [%d] in %q, but %d citations", n, ans.Text, len(ans.Citations))
		}
	}
}

// askQuoted reports whether every part of quote (split at " … ") appears in
// the text of the document at anchor: its section, its chunks, or the card.
func askQuoted(d *handbook.Document, anchor, quote string) bool {
	var hay strings.Builder
	if s, ok := d.Section(anchor); ok {
		hay.WriteString(s.Text + "\n")
	}
	for _, c := range handbook.Chunks(d) {
		if c.Anchor == anchor || strings.HasPrefix(anchor, c.Anchor+"-") {
			hay.WriteString(c.Text + "\n")
		}
	}
	if anchor == "" {
		hay.WriteString(handbook.ProcedureCard(d))
	}
	h := askFold(hay.String())
	for _, p := range strings.Split(quote, " … ") {
		if !strings.Contains(h, askFold(p)) {
			return false
		}
	}
	return true
}

func askFold(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// askMarkers returns the numbers of the [n] askMarkers in text.
func askMarkers(text string) []int {
	var out []int
	for {
		i := strings.IndexByte(text, '[')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(text[i:], ']')
		if j < 0 {
			return out
		}
		n := 0
		ok := j > 1
		for _, r := range text[i+1 : i+j] {
			if r < '0' || r > '9' {
				ok = false
				break
			}
			n = n*10 + int(r-'0')
		}
		if ok {
			out = append(out, n)
		}
		text = text[i+j:]
	}
}

// nfd decomposes s, as text pasted from Word or PDF often is.
func nfd(s string) string { return norm.NFD.String(s) }
