package handbook

import (
	"regexp"
	"strings"
)

// SectionKind is the structural kind of a section.
type SectionKind string

// Section kinds: the legal hierarchy (Phần > Chương > Mục > Điều > Khoản >
// Điểm), plain Markdown headings, and the procedure card built from front matter.
const (
	SectionPart     SectionKind = "part"
	SectionChapter  SectionKind = "chapter"
	SectionDivision SectionKind = "division"
	SectionArticle  SectionKind = "article"
	SectionClause   SectionKind = "clause"
	SectionPoint    SectionKind = "point"
	SectionHeading  SectionKind = "heading"
	SectionCard     SectionKind = "card"
	SectionIntro    SectionKind = "intro"
)

// Section is one addressable part of a document. Sections are stored flat in
// document order; Parent links a clause to its article, a point to its clause.
type Section struct {
	Kind    SectionKind `json:"kind"`
	Anchor  string      `json:"anchor"`
	Number  string      `json:"number,omitempty"` // "16", "2", "a", "II"
	Title   string      `json:"title,omitempty"`  // article title without "Điều 16."
	Heading string      `json:"heading"`          // the heading line as written: "Điều 16. Thủ tục đăng ký khai sinh"
	Parent  string      `json:"parent,omitempty"` // anchor of the enclosing article/clause
	Path    []string    `json:"path,omitempty"`   // headings of enclosing parts/chapters
	Text    string      `json:"text"`             // plain text, children included
	HTML    string      `json:"html,omitempty"`
	Line    int         `json:"line"` // 1-based line in the file
}

// Citation is a reference to a place in the knowledge base that an answer or
// a draft relies on.
type Citation struct {
	Doc    string `json:"doc"`
	Anchor string `json:"anchor,omitempty"`
	Label  string `json:"label"`
	Quote  string `json:"quote,omitempty"`
	URL    string `json:"url,omitempty"`
}

var anchorRE = regexp.MustCompile(`^dieu-([0-9]+[a-z]?)(?:-khoan-([0-9]+))?(?:-diem-([a-z]{1,2}))?$`)

// ArticleAnchor returns the anchor of the article (Điều) that contains
// anchor, or "" when anchor is not inside an article.
func ArticleAnchor(anchor string) string {
	m := anchorRE.FindStringSubmatch(anchor)
	if m == nil {
		return ""
	}
	return "dieu-" + m[1]
}

// PointLetter maps an anchor's point slug back to the Vietnamese letter
// ("dd" → "đ").
func PointLetter(slug string) string {
	if slug == "dd" {
		return "đ"
	}
	return slug
}

// PointSlug maps a Vietnamese point letter to its anchor slug ("đ" → "dd").
func PointSlug(letter string) string {
	if letter == "đ" || letter == "Đ" {
		return "dd"
	}
	return strings.ToLower(letter)
}

// AnchorLabel writes a legal anchor the Vietnamese way, smallest unit first:
// "dieu-5-khoan-2-diem-a" → "điểm a khoản 2 Điều 5". Other anchors give "".
func AnchorLabel(anchor string) string {
	m := anchorRE.FindStringSubmatch(anchor)
	if m == nil {
		return ""
	}
	var parts []string
	if m[3] != "" {
		parts = append(parts, "điểm "+PointLetter(m[3]))
	}
	if m[2] != "" {
		parts = append(parts, "khoản "+m[2])
	}
	parts = append(parts, "Điều "+m[1])
	return strings.Join(parts, " ")
}

// CitationLabel returns the label of a citation to anchor in d:
// "khoản 2 Điều 5 Nghị định số 120/2025/NĐ-CP" for legal anchors,
// "Đăng ký khai sinh – Các bước thực hiện" for other sections.
func CitationLabel(d *Document, anchor string) string {
	name := d.CitationName()
	if anchor == "" {
		return name
	}
	if l := AnchorLabel(anchor); l != "" {
		return l + " " + name
	}
	if s, ok := d.Section(anchor); ok && s.Heading != "" && s.Kind != SectionCard {
		return name + " – " + s.Heading
	}
	return name
}
