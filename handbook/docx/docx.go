// Package docx writes a handbook.Draft as a .docx (WordprocessingML) in the
// layout of Nghị định 30/2020/NĐ-CP, Phụ lục I, and reads the text of a
// .docx back for validation.
//
// It uses only the standard library: encoding/xml (so text is always
// escaped) and archive/zip. The Go DOCX libraries we looked at are either
// AGPL (fumiama/go-docx, unidoc), commercial (unioffice) or pre-1.0 with no
// control over table borders and cell widths; the NĐ 30 layout needs only a
// handful of WordprocessingML elements. It imports handbook and nothing else
// from this module.
package docx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"sotay/handbook"
)

// Page setup per Phụ lục I, Phần I, mục I Nghị định 30/2020/NĐ-CP: A4
// portrait (210 × 297 mm), margins top and bottom 20–25 mm, left 30–35 mm,
// right 15–20 mm. One millimetre is 1440/25.4 ≈ 56.69 twips; values are
// rounded up so they stay inside the ranges.
const (
	PageWidth    = 11906 // 210 mm
	PageHeight   = 16838 // 297 mm
	MarginTop    = 1134  // 20 mm
	MarginBottom = 1134  // 20 mm
	MarginLeft   = 1701  // 30 mm
	MarginRight  = 851   // 15 mm
	headerDist   = 567   // page number 10 mm from the top edge, inside the top margin
	textWidth    = PageWidth - MarginLeft - MarginRight

	// FontName is the font of every run (Phụ lục I, Phần I, mục I.4).
	FontName = "Times New Roman"
)

// Column widths of the two-column header: issuing body | Quốc hiệu và Tiêu
// ngữ. The right column holds "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in 12 pt
// bold on one line.
const (
	leftCol  = 3600
	rightCol = textWidth - leftCol
	recipCol = 4200 // nơi nhận | signature
	signCol  = textWidth - recipCol
)

// Font sizes in half-points, from the ranges of Phụ lục I, Phần I, mục II
// (the examples column of its sample table).
const (
	szNational  = 24 // Quốc hiệu 12–13
	szMotto     = 26 // Tiêu ngữ 13–14
	szIssuer    = 24 // tên cơ quan 12–13
	szNumber    = 26 // số, ký hiệu 13
	szPlaceDate = 26 // địa danh, ngày 13–14
	szTitle     = 28 // tên loại, trích yếu 13–14
	szSubjectCV = 24 // V/v của công văn 12–13
	szBody      = 28 // nội dung 13–14
	szSigner    = 28 // quyền hạn, chức vụ, họ tên 13–14
	szRecipHead = 24 // "Nơi nhận:" 12
	szRecipient = 22 // danh sách nơi nhận 11
	szPageNum   = 28 // số trang 13–14
)

// Render writes d as a .docx. The output is byte-stable: zip entries carry a
// fixed modification time and are written in a fixed order.
func Render(d *handbook.Draft) ([]byte, error) {
	if d == nil {
		return nil, fmt.Errorf("docx: nil draft")
	}
	doc, err := marshal(documentXML(d))
	if err != nil {
		return nil, fmt.Errorf("docx: render document.xml: %w", err)
	}
	hdr, err := marshal(pageNumberHeader())
	if err != nil {
		return nil, fmt.Errorf("docx: render header: %w", err)
	}
	first, err := marshal(el("w:hdr", nsAttrs()...).add(el("w:p")))
	if err != nil {
		return nil, fmt.Errorf("docx: render first-page header: %w", err)
	}
	core, err := marshal(coreXML(d))
	if err != nil {
		return nil, fmt.Errorf("docx: render core.xml: %w", err)
	}
	parts := []struct {
		name string
		data []byte
	}{
		{"[Content_Types].xml", []byte(xml.Header + contentTypes)},
		{"_rels/.rels", []byte(xml.Header + rootRels)},
		{"docProps/core.xml", core},
		{"docProps/app.xml", []byte(xml.Header + appXML)},
		{"word/document.xml", doc},
		{"word/styles.xml", []byte(xml.Header + stylesXML)},
		{"word/settings.xml", []byte(xml.Header + settingsXML)},
		{"word/header1.xml", hdr},
		{"word/header2.xml", first},
		{"word/_rels/document.xml.rels", []byte(xml.Header + documentRels)},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: fixedTime})
		if err != nil {
			return nil, fmt.Errorf("docx: zip %s: %w", p.name, err)
		}
		if _, err := w.Write(p.data); err != nil {
			return nil, fmt.Errorf("docx: zip %s: %w", p.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("docx: close zip: %w", err)
	}
	return buf.Bytes(), nil
}

// fixedTime is the modification time of every zip entry (the DOS epoch), so
// the same draft always gives the same bytes.
var fixedTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// node is a WordprocessingML element. Prefixed names ("w:p") are written as
// they are; the namespaces are declared on the root element.
type node struct {
	name  string
	attrs []xml.Attr
	kids  []*node
	text  string
	raw   bool // text is xml:space="preserve" character data
}

func el(name string, attrs ...string) *node {
	n := &node{name: name}
	for i := 0; i+1 < len(attrs); i += 2 {
		n.attrs = append(n.attrs, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
	}
	return n
}

func (n *node) add(kids ...*node) *node {
	for _, k := range kids {
		if k != nil {
			n.kids = append(n.kids, k)
		}
	}
	return n
}

// MarshalXML writes the element, its text and its children.
func (n *node) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{Name: xml.Name{Local: n.name}, Attr: n.attrs}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if n.text != "" {
		if err := e.EncodeToken(xml.CharData(n.text)); err != nil {
			return err
		}
	}
	for _, k := range n.kids {
		if err := e.Encode(k); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func marshal(root *node) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

const (
	nsW = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	nsR = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
)

func nsAttrs() []string { return []string{"xmlns:w", nsW, "xmlns:r", nsR} }

// pStyle is how a paragraph is laid out; lengths in twips.
type pStyle struct {
	align         string // left, center, both
	firstLine     int
	left, right   int
	before, after int
	line          int // 240 = single
	exact         bool
	keepNext      bool
	borderTop     bool
}

// rStyle is how a run looks.
type rStyle struct {
	size         int // half-points
	bold, italic bool
}

func pPr(ps pStyle) *node {
	p := el("w:pPr")
	if ps.keepNext {
		p.add(el("w:keepNext"))
	}
	if ps.borderTop {
		p.add(el("w:pBdr").add(el("w:top", "w:val", "single", "w:sz", "6", "w:space", "1", "w:color", "000000")))
	}
	line := ps.line
	if line == 0 {
		line = 240
	}
	rule := "auto"
	if ps.exact {
		rule = "exact"
	}
	p.add(el("w:spacing", "w:before", itoa(ps.before), "w:after", itoa(ps.after), "w:line", itoa(line), "w:lineRule", rule))
	if ps.left != 0 || ps.right != 0 || ps.firstLine != 0 {
		ind := el("w:ind", "w:left", itoa(ps.left), "w:right", itoa(ps.right))
		if ps.firstLine != 0 {
			ind.attrs = append(ind.attrs, xml.Attr{Name: xml.Name{Local: "w:firstLine"}, Value: itoa(ps.firstLine)})
		}
		p.add(ind)
	}
	if ps.align != "" {
		p.add(el("w:jc", "w:val", ps.align))
	}
	return p
}

func rPr(rs rStyle, highlight bool) *node {
	r := el("w:rPr")
	r.add(el("w:rFonts", "w:ascii", FontName, "w:hAnsi", FontName, "w:eastAsia", FontName, "w:cs", FontName))
	if rs.bold {
		r.add(el("w:b"), el("w:bCs"))
	}
	if rs.italic {
		r.add(el("w:i"), el("w:iCs"))
	}
	r.add(el("w:color", "w:val", "000000"))
	sz := rs.size
	if sz == 0 {
		sz = szBody
	}
	r.add(el("w:sz", "w:val", itoa(sz)), el("w:szCs", "w:val", itoa(sz)))
	if highlight {
		r.add(el("w:highlight", "w:val", "yellow"))
	}
	r.add(el("w:lang", "w:val", "vi-VN"))
	return r
}

// runs writes text as runs, the placeholders [CẦN BỔ SUNG: …] highlighted
// in yellow so the drafter sees what is missing.
func runs(text string, rs rStyle) []*node {
	var out []*node
	for _, s := range handbook.Segments(text) {
		t := el("w:t", "xml:space", "preserve")
		t.text = s.Text
		out = append(out, el("w:r").add(rPr(rs, s.Missing), t))
	}
	return out
}

func para(ps pStyle, rs rStyle, text string) *node {
	p := el("w:p").add(pPr(ps))
	for _, r := range runs(text, rs) {
		p.add(r)
	}
	return p
}

// rule is an empty paragraph whose top border draws the short solid line
// under the issuing body, the Tiêu ngữ and the trích yếu (Phụ lục I, Phần
// I, mục II.1.b, II.2.b, II.5.b), length w, centred in a column of width col.
func rule(col, w int) *node {
	w = max(min(w, col), 300)
	side := (col - w) / 2
	// The border is drawn at the top of a 2 pt paragraph placed 2 pt below
	// the text, so it clears the descenders and diacritics of the line above.
	return el("w:p").add(pPr(pStyle{borderTop: true, left: side, right: side, before: 40, line: 40, exact: true}))
}

// textWidthTwips estimates the width of s in Times New Roman at size
// half-points: average advance widths per character class, measured against
// the Liberation Serif metrics (metric-compatible with Times New Roman).
func textWidthTwips(s string, size int, bold bool) int {
	em := 0.0
	for _, r := range s {
		base := handbook.FoldRune(r)
		switch {
		case r == ' ':
			em += 0.25
		case unicode.IsUpper(base):
			if bold {
				em += 0.72
			} else {
				em += 0.68
			}
		case unicode.IsLower(base):
			if bold {
				em += 0.5
			} else {
				em += 0.45
			}
		case unicode.IsDigit(r):
			em += 0.5
		default:
			em += 0.33
		}
	}
	return int(em * float64(size) / 2 * 20)
}

func longest(lines []string, size int, bold bool) int {
	w := 0
	for _, l := range lines {
		w = max(w, textWidthTwips(l, size, bold))
	}
	return w
}

func itoa(i int) string { return strconv.Itoa(i) }

// table builds a borderless table with fixed column widths.
func table(widths []int, rows ...[]*node) *node {
	grid := el("w:tblGrid")
	total := 0
	for _, w := range widths {
		grid.add(el("w:gridCol", "w:w", itoa(w)))
		total += w
	}
	borders := el("w:tblBorders")
	for _, side := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
		borders.add(el("w:"+side, "w:val", "nil"))
	}
	tbl := el("w:tbl").add(
		el("w:tblPr").add(
			el("w:tblW", "w:w", itoa(total), "w:type", "dxa"),
			el("w:jc", "w:val", "center"),
			borders,
			el("w:tblLayout", "w:type", "fixed"),
			el("w:tblCellMar").add(el("w:left", "w:w", "28", "w:type", "dxa"), el("w:right", "w:w", "28", "w:type", "dxa")),
			el("w:tblLook", "w:val", "0000", "w:firstRow", "0", "w:lastRow", "0", "w:firstColumn", "0", "w:lastColumn", "0", "w:noHBand", "1", "w:noVBand", "1"),
		),
		grid,
	)
	for _, cells := range rows {
		tr := el("w:tr").add(el("w:trPr").add(el("w:cantSplit")))
		for i, c := range cells {
			c.kids = append([]*node{el("w:tcPr").add(el("w:tcW", "w:w", itoa(widths[i]), "w:type", "dxa"))}, c.kids...)
			if len(c.kids) == 1 { // every cell needs a paragraph
				c.add(el("w:p"))
			}
			tr.add(c)
		}
		tbl.add(tr)
	}
	return tbl
}

func cell(ps ...*node) *node { return el("w:tc").add(ps...) }

func center(size int, bold, italic bool, text string) *node {
	return para(pStyle{align: "center"}, rStyle{size: size, bold: bold, italic: italic}, text)
}

// documentXML lays out the components in the positions of Phụ lục I, Phần
// I, mục IV.
func documentXML(d *handbook.Draft) *node {
	body := el("w:body")

	// Header: issuing body | Quốc hiệu và Tiêu ngữ; số | địa danh, ngày.
	left := cell()
	for _, l := range d.Superior {
		left.add(center(szIssuer, false, false, l))
	}
	for _, l := range d.Issuer {
		left.add(center(szIssuer, true, false, l))
	}
	left.add(rule(leftCol, longest(d.Issuer, szIssuer, true)*2/5))
	right := cell(
		center(szNational, true, false, d.National),
		center(szMotto, true, false, d.Motto),
		rule(rightCol, textWidthTwips(d.Motto, szMotto, true)),
	)
	rows := [][]*node{
		{left, right},
		{cell(para(pStyle{align: "center", before: 120}, rStyle{size: szNumber}, d.Number)),
			cell(para(pStyle{align: "center", before: 120}, rStyle{size: szPlaceDate, italic: true}, d.PlaceDate))},
	}
	if d.Title == "" && d.Subject != "" { // công văn: V/v under the số, 6 pt below it
		rows = append(rows, []*node{cell(para(pStyle{align: "center", before: 120}, rStyle{size: szSubjectCV}, d.Subject)), cell()})
	}
	body.add(table([]int{leftCol, rightCol}, rows...))

	// Tên loại and trích yếu.
	if d.Title != "" {
		body.add(para(pStyle{align: "center", before: 360, keepNext: true}, rStyle{size: szTitle, bold: true}, d.Title))
		if d.Subject != "" {
			body.add(para(pStyle{align: "center", keepNext: true}, rStyle{size: szTitle, bold: true}, d.Subject))
			body.add(rule(textWidth, min(textWidthTwips(d.Subject, szTitle, true), textWidth)/3))
		} else {
			body.add(rule(textWidth, textWidthTwips(d.Title, szTitle, true)/2))
		}
	}
	if d.Authority != "" {
		body.add(para(pStyle{align: "center", before: 240, after: 120}, rStyle{size: szTitle, bold: true}, d.Authority))
	}

	// Kính gửi (Phụ lục I, Phần I, mục II.9.d, ô 9a).
	switch len(d.To) {
	case 0:
	case 1:
		body.add(para(pStyle{align: "center", before: 240, after: 240}, rStyle{size: szBody}, "Kính gửi: "+d.To[0]))
	default:
		indent := textWidth / 5
		body.add(para(pStyle{left: indent, before: 240}, rStyle{size: szBody}, "Kính gửi:"))
		under := indent + textWidthTwips("Kính gửi", szBody, false)
		for i, t := range d.To {
			after := 0
			if i == len(d.To)-1 {
				after = 240
			}
			body.add(para(pStyle{left: under, after: after}, rStyle{size: szBody}, "- "+t))
		}
	}

	// Căn cứ: italic, one per line (Phụ lục I, Phần I, mục II.6.a).
	basis := pStyle{align: "both", firstLine: 567, after: 120, line: 276}
	first := true
	for _, b := range d.Bases {
		ps := basis
		if first {
			ps.before, first = 240, false
		}
		body.add(para(ps, rStyle{size: szBody, italic: true}, b.Text))
	}
	if d.Proposal != "" {
		ps := basis
		if first {
			ps.before = 240
		}
		body.add(para(ps, rStyle{size: szBody, italic: true}, d.Proposal))
	}

	// Nội dung: justified, first-line indent 1 cm, at least 6 pt between
	// paragraphs (Phụ lục I, Phần I, mục II.6.e).
	text := pStyle{align: "both", firstLine: 567, after: 120, line: 276}
	for i, p := range d.Body {
		ps := text
		if i == 0 && len(d.Bases) == 0 && d.Proposal == "" && len(d.To) == 0 {
			ps.before = 240
		}
		switch p.Kind {
		case handbook.ParagraphCentered:
			ps.align, ps.firstLine, ps.before = "center", 0, 120
			body.add(para(ps, rStyle{size: szBody, bold: true}, p.Text))
		case handbook.ParagraphHeading:
			ps.keepNext = true
			body.add(para(ps, rStyle{size: szBody, bold: true}, p.Text))
		default:
			pp := el("w:p").add(pPr(ps))
			if p.Lead != "" {
				for _, r := range runs(p.Lead+" ", rStyle{size: szBody, bold: true}) {
					pp.add(r)
				}
			}
			for _, r := range runs(p.Text, rStyle{size: szBody}) {
				pp.add(r)
			}
			body.add(pp)
		}
	}

	// Signature and nơi nhận (Phụ lục I, Phần I, mục II.7 and II.9).
	body.add(el("w:p").add(pPr(pStyle{line: 120, exact: true})))
	if d.RecipientsBesideSignature() {
		var sig *node
		if len(d.Signatures) == 1 {
			sig = signatureCell(d.Signatures[0])
		} else {
			sig = cell()
		}
		body.add(table([]int{recipCol, signCol}, []*node{recipientsCell(d.Recipients), sig}))
	} else {
		widths := make([]int, len(d.Signatures))
		cells := make([]*node, len(d.Signatures))
		for i, s := range d.Signatures {
			widths[i] = textWidth / len(d.Signatures)
			cells[i] = signatureCell(s)
		}
		body.add(table(widths, cells))
		body.add(el("w:p").add(pPr(pStyle{line: 240})))
		for _, p := range recipientParas(d.Recipients) {
			body.add(p)
		}
	}

	body.add(sectPr())
	return el("w:document", nsAttrs()...).add(body)
}

func signatureCell(s handbook.Signature) *node {
	c := cell()
	for _, l := range s.Lines {
		c.add(para(pStyle{align: "center", keepNext: true}, rStyle{size: szSigner, bold: true}, l))
	}
	// Room for the handwritten or digital signature and the seal.
	c.add(para(pStyle{align: "center", before: 1700}, rStyle{size: szSigner, bold: true}, s.Name))
	return c
}

func recipientParas(items []string) []*node {
	if len(items) == 0 {
		return nil
	}
	out := []*node{para(pStyle{}, rStyle{size: szRecipHead, bold: true, italic: true}, "Nơi nhận:")}
	for _, r := range items {
		out = append(out, para(pStyle{}, rStyle{size: szRecipient}, "- "+r))
	}
	return out
}

func recipientsCell(items []string) *node {
	return cell(recipientParas(items)...)
}

func sectPr() *node {
	return el("w:sectPr").add(
		el("w:headerReference", "w:type", "default", "r:id", "rIdHeader1"),
		el("w:headerReference", "w:type", "first", "r:id", "rIdHeader2"),
		el("w:pgSz", "w:w", itoa(PageWidth), "w:h", itoa(PageHeight), "w:orient", "portrait"),
		el("w:pgMar", "w:top", itoa(MarginTop), "w:right", itoa(MarginRight), "w:bottom", itoa(MarginBottom),
			"w:left", itoa(MarginLeft), "w:header", itoa(headerDist), "w:footer", itoa(headerDist), "w:gutter", "0"),
		el("w:cols", "w:space", "720"),
		// Page numbers are not shown on page 1 (Phụ lục I, Phần I, mục I.7).
		el("w:titlePg"),
	)
}

// pageNumberHeader is the default header: the page number centred in the
// top margin, 14 pt regular (Phụ lục I, Phần I, mục I.7).
func pageNumberHeader() *node {
	rs := rStyle{size: szPageNum}
	fld := func(typ string) *node { return el("w:r").add(rPr(rs, false), el("w:fldChar", "w:fldCharType", typ)) }
	instr := el("w:instrText", "xml:space", "preserve")
	instr.text = " PAGE "
	num := el("w:t")
	num.text = "2"
	p := el("w:p").add(pPr(pStyle{align: "center"}),
		fld("begin"),
		el("w:r").add(rPr(rs, false), instr),
		fld("separate"),
		el("w:r").add(rPr(rs, false), num),
		fld("end"),
	)
	return el("w:hdr", nsAttrs()...).add(p)
}

func coreXML(d *handbook.Draft) *node {
	title := d.DocType
	if d.Subject != "" {
		title += " " + d.Subject
	}
	t := el("dc:title")
	t.text = strings.TrimSpace(title)
	lang := el("dc:language")
	lang.text = "vi-VN"
	return el("cp:coreProperties",
		"xmlns:cp", "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
		"xmlns:dc", "http://purl.org/dc/elements/1.1/",
		"xmlns:dcterms", "http://purl.org/dc/terms/",
		"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance",
	).add(t, lang)
}

const contentTypes = `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
	`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
	`<Default Extension="xml" ContentType="application/xml"/>` +
	`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
	`<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>` +
	`<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>` +
	`<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>` +
	`<Override PartName="/word/header2.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>` +
	`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
	`<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>` +
	`</Types>`

const rootRels = `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
	`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>` +
	`</Relationships>`

const documentRels = `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
	`<Relationship Id="rIdSettings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>` +
	`<Relationship Id="rIdHeader1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>` +
	`<Relationship Id="rIdHeader2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header2.xml"/>` +
	`</Relationships>`

const appXML = `<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">` +
	`<Application>Sổ tay Nghiệp vụ &amp; Công nghệ</Application></Properties>`

const settingsXML = `<w:settings xmlns:w="` + nsW + `">` +
	`<w:defaultTabStop w:val="720"/>` +
	`<w:characterSpacingControl w:val="doNotCompress"/>` +
	`<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>` +
	`</w:settings>`

// stylesXML sets Times New Roman 14 pt, black, Vietnamese as the document
// default, so text typed into the file later keeps the NĐ 30 font.
const stylesXML = `<w:styles xmlns:w="` + nsW + `">` +
	`<w:docDefaults><w:rPrDefault><w:rPr>` +
	`<w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="Times New Roman" w:cs="Times New Roman"/>` +
	`<w:color w:val="000000"/><w:sz w:val="28"/><w:szCs w:val="28"/><w:lang w:val="vi-VN" w:eastAsia="en-US" w:bidi="ar-SA"/>` +
	`</w:rPr></w:rPrDefault>` +
	`<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>` +
	`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/>` +
	`<w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="Times New Roman" w:cs="Times New Roman"/><w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr></w:style>` +
	`<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/>` +
	`<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="28" w:type="dxa"/>` +
	`<w:bottom w:w="0" w:type="dxa"/><w:right w:w="28" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>` +
	`</w:styles>`
