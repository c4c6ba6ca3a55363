package markdown_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/tools/txtar"

	"sotay/handbook"
	"sotay/handbook/markdown"
)

// loadTxtar reads testdata/name into a file system (hugo's fixture style).
func loadTxtar(t *testing.T, name string) fstest.MapFS {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, f := range a.Files {
		fsys[f.Name] = &fstest.MapFile{Data: f.Data}
	}
	return fsys
}

// mustParse parses a file that must load without problems.
func mustParse(t *testing.T, path string, data []byte) *handbook.Document {
	t.Helper()
	doc, problems, err := markdown.Parse(path, data)
	if err != nil {
		t.Fatalf("Parse(%s) error = %v", path, err)
	}
	for _, p := range problems {
		t.Errorf("Parse(%s) problem: %s", path, p)
	}
	return doc
}

// page builds a content file from front-matter lines and a body.
func page(front, body string) []byte {
	return []byte("---\n" + front + "\n---\n" + body)
}

type sectionSummary struct {
	Kind    handbook.SectionKind
	Anchor  string
	Parent  string
	Number  string
	Title   string
	Line    int
	Path    []string
	Heading string
}

func summarize(ss []handbook.Section) []sectionSummary {
	out := make([]sectionSummary, len(ss))
	for i, s := range ss {
		out[i] = sectionSummary{s.Kind, s.Anchor, s.Parent, s.Number, s.Title, s.Line, s.Path, s.Heading}
	}
	return out
}

func TestParseRegulationStructure(t *testing.T) {
	fsys := loadTxtar(t, "regulation.txtar")
	const path = "regulations/luat-ho-tich-2014.md"
	doc := mustParse(t, path, fsys[path].Data)

	const (
		part = "Phần thứ nhất. QUY ĐỊNH CHUNG"
		ch1  = "Chương I. NHỮNG QUY ĐỊNH CHUNG"
		ch2  = "Chương II. ĐĂNG KÝ HỘ TỊCH TẠI ỦY BAN NHÂN DÂN CẤP XÃ"
		muc1 = "Mục 1. ĐĂNG KÝ KHAI SINH"
		muc2 = "Mục 2. ĐĂNG KÝ KẾT HÔN"
	)
	p1 := []string{part, ch1}
	p2 := []string{part, ch2, muc1}
	p3 := []string{part, ch2, muc2}
	want := []sectionSummary{
		{handbook.SectionIntro, "gioi-thieu", "", "", "", 14, nil, "Giới thiệu"},
		{handbook.SectionPart, "phan-1", "", "thứ nhất", "QUY ĐỊNH CHUNG", 16, nil, part},
		{handbook.SectionChapter, "chuong-1", "", "I", "NHỮNG QUY ĐỊNH CHUNG", 18, []string{part}, ch1},
		{handbook.SectionArticle, "dieu-3", "", "3", "Nội dung đăng ký hộ tịch", 20, p1, "Điều 3. Nội dung đăng ký hộ tịch"},
		{handbook.SectionClause, "dieu-3-khoan-1", "dieu-3", "1", "", 22, p1, "Khoản 1 Điều 3"},
		{handbook.SectionPoint, "dieu-3-khoan-1-diem-a", "dieu-3-khoan-1", "a", "", 23, p1, "Điểm a khoản 1 Điều 3"},
		{handbook.SectionPoint, "dieu-3-khoan-1-diem-b", "dieu-3-khoan-1", "b", "", 24, p1, "Điểm b khoản 1 Điều 3"},
		{handbook.SectionPoint, "dieu-3-khoan-1-diem-c", "dieu-3-khoan-1", "c", "", 25, p1, "Điểm c khoản 1 Điều 3"},
		{handbook.SectionPoint, "dieu-3-khoan-1-diem-d", "dieu-3-khoan-1", "d", "", 26, p1, "Điểm d khoản 1 Điều 3"},
		{handbook.SectionPoint, "dieu-3-khoan-1-diem-dd", "dieu-3-khoan-1", "đ", "", 27, p1, "Điểm đ khoản 1 Điều 3"},
		{handbook.SectionPoint, "dieu-3-khoan-1-diem-e", "dieu-3-khoan-1", "e", "", 28, p1, "Điểm e khoản 1 Điều 3"},
		{handbook.SectionClause, "dieu-3-khoan-2", "dieu-3", "2", "", 29, p1, "Khoản 2 Điều 3"},
		{handbook.SectionArticle, "dieu-4", "", "4", "Giải thích từ ngữ", 31, p1, "Điều 4. Giải thích từ ngữ"},
		{handbook.SectionClause, "dieu-4-khoan-1", "dieu-4", "1", "", 35, p1, "Khoản 1 Điều 4"},
		{handbook.SectionClause, "dieu-4-khoan-6", "dieu-4", "6", "", 37, p1, "Khoản 6 Điều 4"},
		{handbook.SectionChapter, "chuong-2", "", "II", "ĐĂNG KÝ HỘ TỊCH TẠI ỦY BAN NHÂN DÂN CẤP XÃ", 39, []string{part}, ch2},
		{handbook.SectionDivision, "chuong-2-muc-1", "", "1", "ĐĂNG KÝ KHAI SINH", 41, []string{part, ch2}, muc1},
		{handbook.SectionArticle, "dieu-10a", "", "10a", "Đăng ký khai sinh trực tuyến", 43, p2, "Điều 10a. Đăng ký khai sinh trực tuyến"},
		{handbook.SectionPoint, "dieu-10a-diem-a", "dieu-10a", "a", "", 46, p2, "Điểm a Điều 10a"},
		{handbook.SectionPoint, "dieu-10a-diem-b", "dieu-10a", "b", "", 47, p2, "Điểm b Điều 10a"},
		{handbook.SectionArticle, "dieu-16", "", "16", "Thủ tục đăng ký khai sinh", 49, p2, "Điều 16. Thủ tục đăng ký khai sinh"},
		{handbook.SectionClause, "dieu-16-khoan-1", "dieu-16", "1", "", 51, p2, "Khoản 1 Điều 16"},
		{handbook.SectionClause, "dieu-16-khoan-2", "dieu-16", "2", "", 52, p2, "Khoản 2 Điều 16"},
		{handbook.SectionPoint, "dieu-16-khoan-2-diem-a", "dieu-16-khoan-2", "a", "", 53, p2, "Điểm a khoản 2 Điều 16"},
		{handbook.SectionPoint, "dieu-16-khoan-2-diem-b", "dieu-16-khoan-2", "b", "", 54, p2, "Điểm b khoản 2 Điều 16"},
		{handbook.SectionClause, "dieu-16-khoan-3", "dieu-16", "3", "", 58, p2, "Khoản 3 Điều 16"},
		{handbook.SectionDivision, "chuong-2-muc-2", "", "2", "ĐĂNG KÝ KẾT HÔN", 60, []string{part, ch2}, muc2},
		{handbook.SectionArticle, "dieu-17", "", "17", "Thẩm quyền đăng ký kết hôn và nội dung Giấy chứng nhận kết hôn", 62, p3,
			"Điều 17. Thẩm quyền đăng ký kết hôn và nội dung Giấy chứng nhận kết hôn"},
		{handbook.SectionClause, "dieu-17-khoan-1", "dieu-17", "1", "", 64, p3, "Khoản 1 Điều 17"},
		{handbook.SectionHeading, "ghi-chu-cua-so-tay", "", "", "", 66, []string{ch2}, "Ghi chú của sổ tay"},
	}
	if diff := cmp.Diff(want, summarize(doc.Sections)); diff != "" {
		t.Errorf("Parse(%s) sections (-want +got):\n%s", path, diff)
	}
	if doc.ID != "regulations/luat-ho-tich-2014" || doc.BodyLine != 13 {
		t.Errorf("Parse(%s) ID, BodyLine = %q, %d; want regulations/luat-ho-tich-2014, 13", path, doc.ID, doc.BodyLine)
	}
}

func TestParseSectionText(t *testing.T) {
	fsys := loadTxtar(t, "regulation.txtar")
	const path = "regulations/luat-ho-tich-2014.md"
	doc := mustParse(t, path, fsys[path].Data)
	tests := []struct {
		anchor, text string
	}{
		{"gioi-thieu", "Luật này quy định về hộ tịch; quyền, nghĩa vụ của cá nhân về hộ tịch."},
		{"dieu-3-khoan-1-diem-dd", "đ) Thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc;"},
		{"dieu-3-khoan-1", "1. Xác nhận vào Sổ hộ tịch các sự kiện hộ tịch:\na) Khai sinh;\nb) Kết hôn;\nc) Giám hộ;\n" +
			"d) Nhận cha, mẹ, con;\nđ) Thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc;\ne) Khai tử."},
		{"dieu-4", "Trong Luật này, các từ ngữ dưới đây được hiểu như sau:\n" +
			"1. Cơ quan đăng ký hộ tịch là Ủy ban nhân dân xã, phường, thị trấn.\n" +
			"6. Giấy khai sinh là văn bản do cơ quan nhà nước có thẩm quyền cấp cho cá nhân khi được đăng ký khai sinh."},
		{"dieu-10a", "Người yêu cầu có thể nộp hồ sơ trên Cổng dịch vụ công:\na) qua tài khoản định danh điện tử mức độ 2;\nb) qua Cổng Dịch vụ công quốc gia."},
		{"dieu-16-khoan-2", "2. Ngay sau khi nhận đủ giấy tờ, nếu thấy thông tin khai sinh đầy đủ và phù hợp, công chức tư pháp - hộ tịch ghi nội dung khai sinh vào Sổ hộ tịch:\n" +
			"a) cập nhật vào Cơ sở dữ liệu hộ tịch điện tử;\nb) lấy Số định danh cá nhân.\n" +
			"Công chức tư pháp - hộ tịch và người đi đăng ký khai sinh cùng ký tên vào Sổ hộ tịch."},
		{"dieu-16-khoan-2-diem-b", "b) lấy Số định danh cá nhân."},
		{"dieu-16-khoan-3", "3. Chính phủ quy định chi tiết việc đăng ký khai sinh cho trẻ em bị bỏ rơi."},
		{"chuong-2", ""},
	}
	for _, tc := range tests {
		t.Run(tc.anchor, func(t *testing.T) {
			s, ok := doc.Section(tc.anchor)
			if !ok {
				t.Fatalf("Section(%q) not found", tc.anchor)
			}
			if s.Text != tc.text {
				t.Errorf("Section(%q).Text = %q, want %q", tc.anchor, s.Text, tc.text)
			}
		})
	}
	// An article's text holds all of its clauses' text.
	art, _ := doc.Section("dieu-16")
	for _, s := range doc.Sections {
		if s.Parent == "dieu-16" && !strings.Contains(art.Text, s.Text) {
			t.Errorf("dieu-16 text does not contain %s text %q", s.Anchor, s.Text)
		}
	}
}

// Clauses written as an ordered list, as escaped paragraphs and as lines of
// one paragraph give the same sections and text.
func TestParseClauseForms(t *testing.T) {
	const front = "title: Nghị định 123/2015/NĐ-CP\nkind: regulation"
	forms := map[string]string{
		"ordered list": "## Điều 9. Giấy tờ nộp và xuất trình\n\n" +
			"1. Người yêu cầu đăng ký hộ tịch xuất trình bản chính giấy tờ tùy thân.\n" +
			"2. Trường hợp gửi hồ sơ qua hệ thống bưu chính thì phải gửi kèm theo:\n" +
			"   a) bản sao có chứng thực giấy tờ tùy thân;\n" +
			"   b) bản sao có chứng thực giấy tờ chứng minh nơi cư trú.\n",
		"loose ordered list": "## Điều 9. Giấy tờ nộp và xuất trình\n\n" +
			"1. Người yêu cầu đăng ký hộ tịch xuất trình bản chính giấy tờ tùy thân.\n\n" +
			"2. Trường hợp gửi hồ sơ qua hệ thống bưu chính thì phải gửi kèm theo:\n\n" +
			"   a) bản sao có chứng thực giấy tờ tùy thân;\n\n" +
			"   b) bản sao có chứng thực giấy tờ chứng minh nơi cư trú.\n",
		"paragraphs": "## Điều 9. Giấy tờ nộp và xuất trình\n\n" +
			"1\\. Người yêu cầu đăng ký hộ tịch xuất trình bản chính giấy tờ tùy thân.\n\n" +
			"2\\. Trường hợp gửi hồ sơ qua hệ thống bưu chính thì phải gửi kèm theo:\n\n" +
			"a) bản sao có chứng thực giấy tờ tùy thân;\n\n" +
			"b) bản sao có chứng thực giấy tờ chứng minh nơi cư trú.\n",
		"one paragraph": "## Điều 9. Giấy tờ nộp và xuất trình\n\n" +
			"1\\. Người yêu cầu đăng ký hộ tịch xuất trình bản chính giấy tờ tùy thân.\n" +
			"2. Trường hợp gửi hồ sơ qua hệ thống bưu chính thì phải gửi kèm theo:\n" +
			"a) bản sao có chứng thực giấy tờ tùy thân;\n" +
			"b) bản sao có chứng thực giấy tờ chứng minh nơi cư trú.\n",
		"bullet points": "## Điều 9. Giấy tờ nộp và xuất trình\n\n" +
			"1. Người yêu cầu đăng ký hộ tịch xuất trình bản chính giấy tờ tùy thân.\n" +
			"2. Trường hợp gửi hồ sơ qua hệ thống bưu chính thì phải gửi kèm theo:\n" +
			"   - a) bản sao có chứng thực giấy tờ tùy thân;\n" +
			"   - b) bản sao có chứng thực giấy tờ chứng minh nơi cư trú.\n",
	}
	want := map[string]string{
		"dieu-9": "1. Người yêu cầu đăng ký hộ tịch xuất trình bản chính giấy tờ tùy thân.\n" +
			"2. Trường hợp gửi hồ sơ qua hệ thống bưu chính thì phải gửi kèm theo:\n" +
			"a) bản sao có chứng thực giấy tờ tùy thân;\nb) bản sao có chứng thực giấy tờ chứng minh nơi cư trú.",
		"dieu-9-khoan-1": "1. Người yêu cầu đăng ký hộ tịch xuất trình bản chính giấy tờ tùy thân.",
		"dieu-9-khoan-2": "2. Trường hợp gửi hồ sơ qua hệ thống bưu chính thì phải gửi kèm theo:\n" +
			"a) bản sao có chứng thực giấy tờ tùy thân;\nb) bản sao có chứng thực giấy tờ chứng minh nơi cư trú.",
		"dieu-9-khoan-2-diem-a": "a) bản sao có chứng thực giấy tờ tùy thân;",
		"dieu-9-khoan-2-diem-b": "b) bản sao có chứng thực giấy tờ chứng minh nơi cư trú.",
	}
	for name, body := range forms {
		t.Run(name, func(t *testing.T) {
			doc := mustParse(t, "regulations/nd-123-2015.md", page(front, body))
			got := map[string]string{}
			for _, s := range doc.Sections {
				got[s.Anchor] = s.Text
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("section texts (-want +got):\n%s", diff)
			}
			art, _ := doc.Section("dieu-9")
			for anchor := range want {
				if anchor != "dieu-9" && !strings.Contains(art.HTML, `id="`+anchor+`"`) {
					t.Errorf("dieu-9 HTML has no id %q:\n%s", anchor, art.HTML)
				}
			}
		})
	}
}

func TestParseHTML(t *testing.T) {
	fsys := loadTxtar(t, "regulation.txtar")
	const path = "regulations/luat-ho-tich-2014.md"
	doc := mustParse(t, path, fsys[path].Data)
	art, _ := doc.Section("dieu-4")
	for _, want := range []string{
		`<h2 id="dieu-4">Điều 4. Giải thích từ ngữ</h2>`,
		`<li id="dieu-4-khoan-1">`,
		`<li value="6" id="dieu-4-khoan-6">`, // summaries skip clauses; the number stays
	} {
		if !strings.Contains(art.HTML, want) {
			t.Errorf("dieu-4 HTML does not contain %s:\n%s", want, art.HTML)
		}
	}
	if c, _ := doc.Section("dieu-4-khoan-1"); c.HTML != "" {
		t.Errorf("clause HTML = %q, want empty (it is inside the article's)", c.HTML)
	}
	for _, id := range []string{"phan-1", "chuong-2-muc-1", "dieu-16-khoan-2-diem-a", "ghi-chu-cua-so-tay"} {
		if !strings.Contains(doc.HTML, `id="`+id+`"`) {
			t.Errorf("document HTML has no id %q", id)
		}
	}
	// Every anchor a hit or a citation can carry lands on an element.
	for _, sec := range doc.Sections {
		if !strings.Contains(doc.HTML, `id="`+sec.Anchor+`"`) {
			t.Errorf("document HTML has no id %q (section %q)", sec.Anchor, sec.Heading)
		}
	}
}

func TestParseRawHTMLDropped(t *testing.T) {
	body := "## Hướng dẫn\n\n<script>alert('x')</script>\n\nBấm <b onclick=\"x()\">Nộp hồ sơ</b> rồi [mở](javascript:alert(1)).\n"
	doc := mustParse(t, "technology/huong-dan.md", page("title: Hướng dẫn\nkind: guide\nsources: [https://dichvucong.gov.vn]", body))
	for _, bad := range []string{"<script", "onclick", "javascript:"} {
		if strings.Contains(doc.HTML, bad) {
			t.Errorf("HTML contains %q:\n%s", bad, doc.HTML)
		}
	}
	if s := doc.Sections[0]; s.Text != "Bấm Nộp hồ sơ rồi mở." {
		t.Errorf("Text = %q, want %q", s.Text, "Bấm Nộp hồ sơ rồi mở.")
	}
}

func TestParseHeadings(t *testing.T) {
	tests := []struct {
		heading string
		kind    handbook.SectionKind
		anchor  string
		number  string
		title   string
	}{
		{"Điều 16. Thủ tục đăng ký khai sinh", handbook.SectionArticle, "dieu-16", "16", "Thủ tục đăng ký khai sinh"},
		{"ĐIỀU 7: Thẩm quyền", handbook.SectionArticle, "dieu-7", "7", "Thẩm quyền"},
		{"**Điều 10a.** Khai sinh trực tuyến", handbook.SectionArticle, "dieu-10a", "10a", "Khai sinh trực tuyến"},
		{"Điều 5", handbook.SectionArticle, "dieu-5", "5", ""},
		{"Chương XIV. ĐIỀU KHOẢN THI HÀNH", handbook.SectionChapter, "chuong-14", "XIV", "ĐIỀU KHOẢN THI HÀNH"},
		{"CHƯƠNG IV", handbook.SectionChapter, "chuong-4", "IV", ""},
		{"Chương 3 - Đăng ký kết hôn", handbook.SectionChapter, "chuong-3", "3", "Đăng ký kết hôn"},
		{"Phần thứ hai. QUYỀN SỞ HỮU", handbook.SectionPart, "phan-2", "thứ hai", "QUYỀN SỞ HỮU"},
		{"Phần thứ mười một", handbook.SectionPart, "phan-11", "thứ mười một", ""},
		{"Phần II. QUYỀN SỞ HỮU", handbook.SectionPart, "phan-2", "II", "QUYỀN SỞ HỮU"},
		{"Mục 3. ĐĂNG KÝ GIÁM HỘ", handbook.SectionDivision, "muc-3", "3", "ĐĂNG KÝ GIÁM HỘ"},
		// Plain headings: the words are not followed by a number.
		{"Chương trình mục tiêu quốc gia", handbook.SectionHeading, "chuong-trinh-muc-tieu-quoc-gia", "", ""},
		{"Điều 16 quy định gì?", handbook.SectionHeading, "dieu-16-quy-dinh-gi", "", ""},
		{"Mục lục", handbook.SectionHeading, "muc-luc", "", ""},
		{"Chương IIII", handbook.SectionHeading, "chuong-iiii", "", ""},
		{"Các bước thực hiện", handbook.SectionHeading, "cac-buoc-thuc-hien", "", ""},
		{"???", handbook.SectionHeading, "tieu-de", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.heading, func(t *testing.T) {
			doc := mustParse(t, "regulations/x.md", page("title: X\nkind: regulation", "## "+tc.heading+"\n\nNội dung.\n"))
			s := doc.Sections[0]
			got := []string{string(s.Kind), s.Anchor, s.Number, s.Title}
			want := []string{string(tc.kind), tc.anchor, tc.number, tc.title}
			if !slices.Equal(got, want) {
				t.Errorf("heading %q: kind, anchor, number, title = %q, want %q", tc.heading, got, want)
			}
		})
	}
}

func TestParseAnchorsUnique(t *testing.T) {
	body := "Mở đầu.\n\n## Giới thiệu\n\nA.\n\n## Ví dụ\n\nB.\n\n## Ví dụ\n\nC.\n\n## Điều 5. Một\n\n1. X.\n1. Y.\n\n## Điều 5. Hai\n\nZ.\n"
	doc, problems, err := markdown.Parse("guides/x.md", page("title: X\nkind: guide", body))
	if err != nil {
		t.Fatal(err)
	}
	var anchors []string
	for _, s := range doc.Sections {
		anchors = append(anchors, s.Anchor)
	}
	want := []string{"gioi-thieu", "gioi-thieu-2", "vi-du", "vi-du-2", "dieu-5", "dieu-5-khoan-1", "dieu-5-khoan-1-2", "dieu-5-2"}
	if !slices.Equal(anchors, want) {
		t.Errorf("anchors = %q, want %q", anchors, want)
	}
	// Renamed legal anchors are reported: citations may point at the wrong one.
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, p.String())
	}
	wantMsgs := []string{
		`guides/x.md:22: warning: anchor "dieu-5-khoan-1" is already used in this document; this one is "dieu-5-khoan-1-2"`,
		`guides/x.md:24: warning: anchor "dieu-5" is already used in this document; this one is "dieu-5-2"`,
	}
	if diff := cmp.Diff(wantMsgs, msgs); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestParseLinks(t *testing.T) {
	body := "## Các bước thực hiện\n\n" +
		"Nộp hồ sơ theo [Điều 16](regulations/luat-ho-tich-2014#dieu-16).\n" +
		"Xem [khoản 2](regulations/luat-ho-tich-2014.md#dieu-16-khoan-2), [thủ tục khai tử](./dang-ky-khai-tu.md),\n" +
		"[mục trên](#cac-buoc-thuc-hien), [trang](/docs/faq/ho-tich/khai-sinh-qua-han) và [Cổng DVC](https://dichvucong.gov.vn).\n\n" +
		"Sai: [Điều 1](luat-ho-tich-2014#dieu-1).\n"
	doc, problems, err := markdown.Parse("procedures/ho-tich/dang-ky-khai-sinh.md", page("title: Đăng ký khai sinh\nkind: procedure", body))
	if err != nil {
		t.Fatal(err)
	}
	want := []handbook.Link{
		{Doc: "regulations/luat-ho-tich-2014", Anchor: "dieu-16", Line: 7},
		{Doc: "regulations/luat-ho-tich-2014", Anchor: "dieu-16-khoan-2", Line: 8},
		{Doc: "procedures/ho-tich/dang-ky-khai-tu", Line: 8},
		{Doc: "procedures/ho-tich/dang-ky-khai-sinh", Anchor: "cac-buoc-thuc-hien", Line: 9},
		{Doc: "faq/ho-tich/khai-sinh-qua-han", Line: 9},
	}
	if diff := cmp.Diff(want, doc.Links); diff != "" {
		t.Errorf("Links (-want +got):\n%s", diff)
	}
	for _, href := range []string{
		`href="/docs/regulations/luat-ho-tich-2014#dieu-16"`,
		`href="/docs/regulations/luat-ho-tich-2014#dieu-16-khoan-2"`,
		`href="/docs/procedures/ho-tich/dang-ky-khai-tu"`,
		`href="#cac-buoc-thuc-hien"`,
		`href="https://dichvucong.gov.vn"`,
	} {
		if !strings.Contains(doc.HTML, href) {
			t.Errorf("HTML has no %s:\n%s", href, doc.HTML)
		}
	}
	wantProblems := []string{`procedures/ho-tich/dang-ky-khai-sinh.md:11: warning: link "luat-ho-tich-2014#dieu-1" is neither a URL nor a content id such as regulations/luat-ho-tich-2014#dieu-16`}
	if diff := cmp.Diff(wantProblems, problemStrings(problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func problemStrings(ps []handbook.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// Text pasted from Word is NFD, files from Windows have CRLF and a BOM: the
// document is the same as the clean file's, line numbers included.
func TestParseNormalisesInput(t *testing.T) {
	fsys := loadTxtar(t, "regulation.txtar")
	const path = "regulations/luat-ho-tich-2014.md"
	clean := fsys[path].Data
	want := mustParse(t, path, clean)
	variants := map[string][]byte{
		"NFD":          norm.NFD.Bytes(clean),
		"CRLF":         bytes.ReplaceAll(clean, []byte("\n"), []byte("\r\n")),
		"BOM":          append([]byte("\uFEFF"), clean...),
		"BOM+CRLF+NFD": append([]byte("\uFEFF"), bytes.ReplaceAll(norm.NFD.Bytes(clean), []byte("\n"), []byte("\r\n"))...),
	}
	for name, data := range variants {
		t.Run(name, func(t *testing.T) {
			got := mustParse(t, path, data)
			if !norm.NFC.IsNormalString(got.Title) || got.Title != want.Title {
				t.Errorf("Title = %q, want %q (NFC)", got.Title, want.Title)
			}
			if diff := cmp.Diff(want.Sections, got.Sections); diff != "" {
				t.Errorf("Sections differ from the clean file's (-want +got):\n%s", diff)
			}
			if got.HTML != want.HTML || got.Body != want.Body {
				t.Errorf("HTML or Body differ from the clean file's")
			}
			if got.Hash == want.Hash {
				t.Errorf("Hash is the same as the clean file's; it must hash the raw bytes")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	huge := append(page("title: X\nkind: guide", ""), bytes.Repeat([]byte("Văn bản rất dài. "), 10<<20/20)...)
	tests := []struct {
		name string
		data []byte
		want error
		line int
	}{
		{"empty file", nil, markdown.ErrNoFrontMatter, 1},
		{"no front matter", []byte("# Đăng ký khai sinh\n\nNội dung.\n"), markdown.ErrNoFrontMatter, 1},
		{"text before front matter", []byte("\n\nGhi chú\n---\ntitle: X\n---\n"), markdown.ErrNoFrontMatter, 3},
		{"unterminated", []byte("---\ntitle: Đăng ký khai sinh\nkind: procedure\n\n## Các bước\n"), markdown.ErrUnterminatedFrontMatter, 1},
		{"invalid UTF-8", []byte("---\ntitle: Đăng ký\nkind: guide\n---\nkhai sinh \xff\xfe\n"), markdown.ErrInvalidUTF8, 5},
		{"10 MB", huge, markdown.ErrTooLarge, 0},
		{"YAML syntax", page("title: Công văn\nkind: template\nsummary: số ký hiệu \"Số: …/UBND\"", ""), markdown.ErrFrontMatter, 4},
		{"tab indentation", page("title: X\nkind: guide\ntags:\n\t- a", ""), markdown.ErrFrontMatter, 5},
		{"not a mapping", page("- title\n- kind", ""), markdown.ErrFrontMatter, 2},
		{"missing kind", page("title: Đăng ký khai sinh", ""), markdown.ErrFrontMatter, 1},
		{"bad kind", page("title: Đăng ký khai sinh\nkind: thủ tục", ""), markdown.ErrFrontMatter, 3},
		{"missing title", page("kind: faq\nowner: Sở Tư pháp", ""), markdown.ErrFrontMatter, 1},
		{"empty title", page("kind: faq\ntitle: \"  \"", ""), markdown.ErrFrontMatter, 3},
		{"alias", page("title: &t Đăng ký khai sinh\nkind: procedure\naliases: [*t]", ""), markdown.ErrFrontMatter, 4},
		{"deep lists", page("title: X\nkind: guide", "Nội dung.\n\n"+strings.Repeat("- ", 5000)+"x\n"), markdown.ErrTooDeep, 7},
		{"deep quotes", page("title: X\nkind: guide", strings.Repeat(">", 100)+" x\n"), markdown.ErrTooDeep, 5},
		{"deep indentation", page("title: X\nkind: guide", strings.Repeat(" ", 300)+"- x\n"), markdown.ErrTooDeep, 5},
		{"deep nesting", page("title: X\nkind: guide\ntags: "+strings.Repeat("[", 100)+strings.Repeat("]", 100), ""), markdown.ErrFrontMatter, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, _, err := markdown.Parse("faq/x.md", tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse error = %v, want %v", err, tc.want)
			}
			if doc != nil {
				t.Errorf("Parse returned a document with error %v", err)
			}
			var e *markdown.Error
			if !errors.As(err, &e) || e.Line != tc.line || e.Path != "faq/x.md" {
				t.Errorf("Parse error = %#v, want *markdown.Error at faq/x.md line %d", err, tc.line)
			}
		})
	}
}

// A "billion laughs" front matter must fail fast, without expanding.
func TestParseYAMLBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("title: X\nkind: guide\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 'b'; i <= 'j'; i++ {
		prev := string(i - 1)
		b.WriteString(string(i) + ": &" + string(i) + " [" + strings.Repeat("*"+prev+",", 8) + "*" + prev + "]\n")
	}
	b.WriteString("tags: *j\n")
	start := time.Now()
	_, _, err := markdown.Parse("technology/bomb.md", page(b.String(), "Nội dung.\n"))
	if !errors.Is(err, markdown.ErrFrontMatter) || !strings.Contains(err.Error(), "aliases") {
		t.Errorf("Parse(billion laughs) error = %v, want an alias error", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Parse(billion laughs) took %v", d)
	}
	// Many nodes without aliases are refused too.
	_, _, err = markdown.Parse("technology/big.md", page("title: X\nkind: guide\ntags: ["+strings.Repeat("a,", 30000)+"a]", ""))
	if !errors.Is(err, markdown.ErrFrontMatter) || !strings.Contains(err.Error(), "nodes") {
		t.Errorf("Parse(30000 tags) error = %v, want a node limit error", err)
	}
}

func TestParseFrontMatterProblems(t *testing.T) {
	tests := []struct {
		name  string
		front string
		want  []string
	}{
		{"bad date", "title: Luật Hộ tịch\nkind: regulation\nissued: 20/11/2014\neffective: 2016-1-1",
			[]string{
				`x.md:4: error: issued: invalid date "20/11/2014", want YYYY-MM-DD`,
				`x.md:5: error: effective: invalid date "2016-1-1", want YYYY-MM-DD`,
			}},
		{"date with time", "title: X\nkind: faq\nreviewed: 2025-07-01T08:00:00Z", []string{
			`x.md:4: error: reviewed: invalid date "2025-07-01T08:00:00Z", want YYYY-MM-DD`,
		}},
		{"list for a string", "title: X\nkind: procedure\nagency:\n  - UBND cấp xã\n  - Công an cấp xã", []string{
			`x.md:4: error: agency: want a string, got a list`,
		}},
		{"string for a list", "title: X\nkind: guide\ntags: hộ tịch", []string{
			`x.md:4: error: tags: want a list of strings, got "hộ tịch"`,
		}},
		{"nested type error", "title: X\nkind: procedure\ndocuments:\n  - name: Tờ khai\n    copies: [1, 2]", []string{
			`x.md:6: error: documents[0].copies: want a string, got a list`,
		}},
		{"unknown keys", "title: X\nkind: faq\nlast_verified: 2025-07-01\nlegal_basis:\n  - doc: luat-ho-tich-2014\n    articel: dieu-16", []string{
			`x.md:4: warning: unknown key "last_verified"`,
			`x.md:7: warning: legal_basis[0]: unknown key "articel"`,
		}},
		{"procedure key on a guide", "title: X\nkind: guide\ncode: \"1.001193\"", []string{
			`x.md:4: warning: key "code" applies to kind procedure only, not guide; ignored`,
		}},
		{"enums", "title: X\nkind: procedure\naudience: everyone\nstatus: done\nonline: có\nchannels: [trực tiếp, email]", []string{
			`x.md:4: error: audience: "everyone" is not public or internal`,
			`x.md:5: error: status: "done" is not published, draft or archived`,
			`x.md:6: warning: online: "có" is not one of ["toàn trình" "một phần" "không"]`,
			`x.md:7: warning: channels[1]: "email" is not one of ["trực tiếp" "bưu chính" "trực tuyến"]`,
		}},
		{"duplicate key", "title: X\nkind: faq\nowner: Sở Tư pháp\nowner: Sở Nội vụ", []string{
			`x.md:5: error: duplicate key "owner"`,
		}},
		{"not a URL", "title: X\nkind: faq\nsources:\n  - Công văn 481/BTP-HTQTCT", []string{
			`x.md:5: warning: sources[0]: "Công văn 481/BTP-HTQTCT" is not an http(s) URL`,
		}},
		{"legal_basis without doc", "title: X\nkind: faq\nlegal_basis:\n  - article: dieu-16", []string{
			`x.md:5: error: legal_basis[0]: missing doc`,
		}},
		{"copies as a number", "title: X\nkind: procedure\ndocuments:\n  - name: Tờ khai\n    copies: 1", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, problems, err := markdown.Parse("x.md", page(tc.front, ""))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, problemStrings(problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFrontMatter(t *testing.T) {
	fsys := loadTxtar(t, "frontmatter.txtar")
	t.Run("procedure", func(t *testing.T) {
		const path = "procedures/ho-tich/dang-ky-khai-sinh.md"
		doc := mustParse(t, path, fsys[path].Data)
		wantProc := &handbook.Procedure{
			Code: "1.001193", Field: "Hộ tịch", Level: "xã", Agency: "Ủy ban nhân dân cấp xã",
			Channels:  []string{"trực tiếp", "bưu chính", "trực tuyến"},
			Online:    "một phần",
			TimeLimit: "Ngay trong ngày làm việc",
			Documents: []handbook.DossierItem{
				{Name: "Tờ khai đăng ký khai sinh", Copies: "1", Note: "theo mẫu"},
				{Name: "Giấy chứng sinh"},
			},
			Steps: []string{"Nộp hồ sơ.", "Nhận kết quả."},
		}
		if diff := cmp.Diff(wantProc, doc.Procedure); diff != "" {
			t.Errorf("Procedure (-want +got):\n%s", diff)
		}
		wantBasis := []handbook.Reference{
			{Doc: "regulations/luat-ho-tich-2014", Article: "dieu-16", Note: "Hồ sơ và trình tự"},
			{Doc: "regulations/nd-120-2025", Article: "dieu-4"},
			{Doc: "regulations/luat-ho-tich-2014", Article: "dieu-15-khoan-1"},
		}
		if diff := cmp.Diff(wantBasis, doc.LegalBasis); diff != "" {
			t.Errorf("LegalBasis (-want +got):\n%s", diff)
		}
		if doc.Audience != handbook.AudiencePublic || doc.Status != handbook.StatusPublished {
			t.Errorf("Audience, Status = %q, %q; want the defaults public, published", doc.Audience, doc.Status)
		}
		if doc.Regulation != nil || doc.Template != nil {
			t.Errorf("a procedure has Regulation or Template set")
		}
		for key, line := range map[string]int{"title": 2, "code": 4, "documents[1]": 15, "legal_basis": 19, "legal_basis[2]": 24, "reviewed": 25} {
			if doc.KeyLines[key] != line {
				t.Errorf("KeyLines[%q] = %d, want %d", key, doc.KeyLines[key], line)
			}
		}
		if want := handbook.MustDate("2026-11-25"); doc.Reviewed != want {
			t.Errorf("Reviewed = %v, want %v", doc.Reviewed, want)
		}
	})
	t.Run("regulation", func(t *testing.T) {
		const path = "regulations/nd-123-2015.md"
		doc := mustParse(t, path, fsys[path].Data)
		want := &handbook.Regulation{
			Number: "123/2015/NĐ-CP", DocType: "Nghị định", ShortName: "Nghị định số 123/2015/NĐ-CP", Issuer: "Chính phủ",
			Issued: handbook.MustDate("2015-11-15"), Effective: handbook.MustDate("2016-01-01"),
			Expired: handbook.MustDate("2026-07-01"), ReplacedBy: "regulations/nd-999-2026",
			AmendedBy: []string{"87/2020/NĐ-CP", "07/2025/NĐ-CP"}, Summarised: true,
		}
		if diff := cmp.Diff(want, doc.Regulation); diff != "" {
			t.Errorf("Regulation (-want +got):\n%s", diff)
		}
		if doc.Effective != want.Effective || doc.Audience != handbook.AudienceInternal || doc.Status != handbook.StatusDraft {
			t.Errorf("Effective, Audience, Status = %v, %q, %q", doc.Effective, doc.Audience, doc.Status)
		}
	})
	t.Run("template", func(t *testing.T) {
		const path = "templates/cong-van.md"
		doc := mustParse(t, path, fsys[path].Data)
		want := &handbook.Template{
			DocType: "Công văn", Abbr: "",
			Fields: []handbook.TemplateField{
				{Name: "trich_yeu", Label: "Trích yếu nội dung", Required: true, Example: "đề nghị hỗ trợ thiết bị"},
				{Name: "noi_dung", Label: "Nội dung công văn", Required: true, Multi: true},
			},
			Structure: []string{"quoc_hieu_tieu_ngu", "so_ky_hieu", "noi_dung"},
		}
		if diff := cmp.Diff(want, doc.Template); diff != "" {
			t.Errorf("Template (-want +got):\n%s", diff)
		}
	})
}

func TestParseThesaurus(t *testing.T) {
	fsys := loadTxtar(t, "thesaurus.txtar")
	th := &handbook.Thesaurus{}
	problems, err := markdown.ParseThesaurus("thesaurus.yaml", fsys["thesaurus.yaml"].Data, th)
	if err != nil {
		t.Fatal(err)
	}
	wantProblems := []string{
		`thesaurus.yaml:5: warning: synonyms[2]: a group needs at least two terms`,
		`thesaurus.yaml:6: error: synonyms[3]: want a list of strings, got "CMND"`,
		`thesaurus.yaml:10: error: expansions.hộ khẩu: want a phrase or a list of phrases, got a mapping`,
		`thesaurus.yaml:11: warning: unknown key "abbreviations" (want synonyms or expansions)`,
	}
	if diff := cmp.Diff(wantProblems, problemStrings(problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"cccd", []string{"căn cước công dân", "thẻ căn cước"}},
		{"so do", []string{"giấy chứng nhận quyền sử dụng đất"}},
		{"nhập khẩu cho con", []string{"đăng ký thường trú"}},
	}
	for _, tc := range tests {
		var exact, folded []string
		for _, tok := range handbook.Tokenize(tc.query) {
			exact = append(exact, strings.ToLower(tok.Text))
			folded = append(folded, handbook.Fold(tok.Text))
		}
		if got := th.Expand(exact, folded); !slices.Equal(got, tc.want) {
			t.Errorf("Expand(%q) = %q, want %q", tc.query, got, tc.want)
		}
	}

	t.Run("huge group", func(t *testing.T) {
		th := &handbook.Thesaurus{}
		data := "synonyms:\n  - [" + strings.Repeat("CCCD, ", 100) + "căn cước]\n"
		problems, err := markdown.ParseThesaurus("t.yaml", []byte(data), th)
		want := []string{"t.yaml:2: warning: synonyms[0]: 101 terms, more than 64; split the group"}
		if diff := cmp.Diff(want, problemStrings(problems)); err != nil || diff != "" || th.Len() != 0 {
			t.Errorf("ParseThesaurus(101 terms) = %v, %v, Len %d; want one warning (-want +got):\n%s", problems, err, th.Len(), diff)
		}
	})
	t.Run("errors add nothing", func(t *testing.T) {
		th := &handbook.Thesaurus{}
		for _, data := range []string{"synonyms: [[a, b]\n", "synonyms: &x [[a, b]]\nexpansions: {c: *x}\n", "- a\n"} {
			if _, err := markdown.ParseThesaurus("t.yaml", []byte(data), th); !errors.Is(err, markdown.ErrThesaurus) {
				t.Errorf("ParseThesaurus(%q) error = %v, want ErrThesaurus", data, err)
			}
		}
		if th.Len() != 0 {
			t.Errorf("Len = %d after errors, want 0", th.Len())
		}
	})
}

// The real content, when present, has unique, non-empty anchors. (Files
// that do not parse are lint's business: handbook lint reports them.)
func TestParseContent(t *testing.T) {
	fsys := os.DirFS("../../content")
	files := contentFiles(t, fsys)
	if len(files) == 0 {
		t.Skip("no content/ tree beside the module")
	}
	for _, f := range files {
		doc, _, err := markdown.Parse(f.path, f.data)
		if err != nil {
			continue // reported by handbook lint, with the line
		}
		checkAnchors(t, doc)
	}
}

// A long article is chunked by clause; the clauses after one with points
// must not be lost (the points' parent is their clause, not the article).
func TestParsedArticleChunks(t *testing.T) {
	long := strings.Repeat("Công chức tư pháp - hộ tịch kiểm tra giấy tờ và ghi vào Sổ hộ tịch. ", 15)
	body := "## Điều 16. Thủ tục đăng ký khai sinh\n\n" +
		"1. " + long + "\n   a) cập nhật vào Cơ sở dữ liệu hộ tịch điện tử;\n   b) lấy Số định danh cá nhân.\n" +
		"2. " + long + "\n3. Chính phủ quy định chi tiết.\n"
	doc := mustParse(t, "regulations/luat-ho-tich-2014.md", page("title: Luật Hộ tịch 2014\nkind: regulation", body))
	var anchors []string
	for _, c := range handbook.Chunks(doc) {
		anchors = append(anchors, c.Anchor)
	}
	want := []string{"dieu-16-khoan-1", "dieu-16-khoan-2", "dieu-16-khoan-3"}
	if !slices.Equal(anchors, want) {
		t.Errorf("Chunks anchors = %q, want %q", anchors, want)
	}
}
