package handbook

// Drafting of administrative documents (văn bản hành chính) in the format of
// Nghị định 30/2020/NĐ-CP: Điều 8 lists the components, Phụ lục I says how
// each is written and Phụ lục III gives the abbreviations and sample layouts.
//
// The Drafter never invents facts. A number, date, name, signer or amount
// that the request does not give becomes a literal [CẦN BỔ SUNG: …]
// placeholder; legal bases (căn cứ) come only from regulations in the
// Library that are in force on the document date; an LLM, when configured,
// writes only body paragraphs, and its output is normalised and stripped of
// document numbers, dates and amounts that appear nowhere in the inputs or
// the knowledge base.

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on drafting input. A field of a commune document is at most a few
// pages; 20 000 runes is about eight pages of body text.
const (
	MaxFieldRunes   = 20000  // one field, one recipient, the instructions
	MaxDraftRunes   = 200000 // everything in one request
	maxDraftItems   = 200    // fields, recipients, legal bases
	maxLLMParagraph = 60
)

// The Quốc hiệu and Tiêu ngữ exactly as Phụ lục I, Phần I, mục II.1 writes them.
const (
	NationalName  = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
	NationalMotto = "Độc lập - Tự do - Hạnh phúc"
)

// PlaceholderPrefix starts every placeholder for a fact the drafter must
// supply; Placeholder builds one.
const PlaceholderPrefix = "[CẦN BỔ SUNG: "

// Placeholder returns the marker written where a fact is missing:
// "[CẦN BỔ SUNG: số]". Renderers highlight it.
func Placeholder(what string) string { return PlaceholderPrefix + what + "]" }

var placeholderRE = regexp.MustCompile(`\[CẦN BỔ SUNG: [^\]\n]*\]`)

// Placeholders returns the placeholders in s, in order.
func Placeholders(s string) []string { return placeholderRE.FindAllString(s, -1) }

// Segment is a run of text that is either plain or a placeholder; renderers
// use it to highlight what is missing.
type Segment struct {
	Text    string
	Missing bool
}

// Segments splits s into plain runs and placeholders.
func Segments(s string) []Segment {
	var out []Segment
	last := 0
	for _, m := range placeholderRE.FindAllStringIndex(s, -1) {
		if m[0] > last {
			out = append(out, Segment{Text: s[last:m[0]]})
		}
		out = append(out, Segment{Text: s[m[0]:m[1]], Missing: true})
		last = m[1]
	}
	if last < len(s) {
		out = append(out, Segment{Text: s[last:]})
	}
	return out
}

// Component is a format component (thành phần thể thức) of a document. The
// names are the ones template front matter uses in `structure`.
type Component string

// Components, in the order they appear on the page (Điều 8 and Phụ lục I,
// Phần I, mục IV Nghị định 30/2020/NĐ-CP).
const (
	ComponentSuperior   Component = "co_quan_chu_quan"   // tên cơ quan, tổ chức chủ quản trực tiếp (nếu có)
	ComponentIssuer     Component = "co_quan_ban_hanh"   // tên cơ quan, tổ chức ban hành
	ComponentNational   Component = "quoc_hieu_tieu_ngu" // Quốc hiệu và Tiêu ngữ
	ComponentNumber     Component = "so_ky_hieu"         // số, ký hiệu
	ComponentPlaceDate  Component = "dia_danh_ngay"      // địa danh và thời gian ban hành
	ComponentTitle      Component = "ten_loai_trich_yeu" // tên loại và trích yếu (V/v … for công văn)
	ComponentAuthority  Component = "tham_quyen"         // thẩm quyền ban hành (quyết định)
	ComponentAddressee  Component = "kinh_gui"           // Kính gửi
	ComponentBases      Component = "can_cu"             // căn cứ ban hành
	ComponentProposal   Component = "de_nghi"            // Theo đề nghị của …
	ComponentBody       Component = "noi_dung"           // nội dung
	ComponentSignature  Component = "chu_ky"             // quyền hạn, chức vụ, họ tên người ký
	ComponentRecipients Component = "noi_nhan"           // Nơi nhận
)

// Components lists every component in page order.
var Components = []Component{
	ComponentSuperior, ComponentIssuer, ComponentNational, ComponentNumber, ComponentPlaceDate,
	ComponentTitle, ComponentAuthority, ComponentAddressee, ComponentBases, ComponentProposal,
	ComponentBody, ComponentSignature, ComponentRecipients,
}

// componentRank orders components as they are read on the page: the
// two-column header is read row by row (issuing body beside Quốc hiệu, số
// beside địa danh), and nơi nhận sits beside the signature, so those pairs
// share a rank.
var componentRank = map[Component]int{
	ComponentSuperior: 1, ComponentIssuer: 1, ComponentNational: 1,
	ComponentNumber: 2, ComponentPlaceDate: 2,
	ComponentTitle:     3,
	ComponentAuthority: 4,
	ComponentAddressee: 5,
	ComponentBases:     6, ComponentProposal: 6,
	ComponentBody:      7,
	ComponentSignature: 8, ComponentRecipients: 8,
}

var componentLabels = map[Component]string{
	ComponentSuperior:   "Tên cơ quan, tổ chức chủ quản",
	ComponentIssuer:     "Tên cơ quan, tổ chức ban hành",
	ComponentNational:   "Quốc hiệu và Tiêu ngữ",
	ComponentNumber:     "Số, ký hiệu",
	ComponentPlaceDate:  "Địa danh và thời gian ban hành",
	ComponentTitle:      "Tên loại và trích yếu nội dung",
	ComponentAuthority:  "Thẩm quyền ban hành",
	ComponentAddressee:  "Kính gửi",
	ComponentBases:      "Căn cứ ban hành",
	ComponentProposal:   "Theo đề nghị của",
	ComponentBody:       "Nội dung",
	ComponentSignature:  "Chức vụ, họ tên người ký",
	ComponentRecipients: "Nơi nhận",
}

// Label returns the Vietnamese name of the component.
func (c Component) Label() string {
	if l, ok := componentLabels[c]; ok {
		return l
	}
	return string(c)
}

// Valid reports whether c is a known component.
func (c Component) Valid() bool { _, ok := componentRank[c]; return ok }

// Signing authorities (quyền hạn ký), Phụ lục I, Phần I, mục II.7.b.
const (
	AuthorityOnBehalf   = "TM."  // thay mặt tập thể, cơ quan
	AuthorityActing     = "Q."   // quyền cấp trưởng
	AuthorityDeputy     = "KT."  // ký thay người đứng đầu
	AuthorityByOrder    = "TL."  // thừa lệnh
	AuthorityDelegation = "TUQ." // thừa ủy quyền
)

// Authorities lists the valid signing prefixes.
var Authorities = []string{AuthorityOnBehalf, AuthorityActing, AuthorityDeputy, AuthorityByOrder, AuthorityDelegation}

// Signer says who signs and with which authority. The lines of the
// signature block follow from it:
//
//	TM. + Collective, Title            TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH
//	KT. + Head, Title (Collective?)    [TM. ỦY BAN NHÂN DÂN /] KT. CHỦ TỊCH / PHÓ CHỦ TỊCH
//	Q. + Head                          Q. CHỦ TỊCH
//	TL./TUQ. + Head, Title             TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG
//	none: Title                        CHỦ TỊCH
type Signer struct {
	Authority  string `json:"authority,omitempty"`  // "", TM., KT., Q., TL., TUQ.
	Collective string `json:"collective,omitempty"` // after TM.: the collective or body ("Ủy ban nhân dân")
	Head       string `json:"head,omitempty"`       // after KT., Q., TL., TUQ.: the head's title ("Chủ tịch")
	Title      string `json:"title,omitempty"`      // the signer's own title ("Phó Chủ tịch")
	Name       string `json:"name,omitempty"`       // họ và tên, without academic titles
}

// DraftRequest is what a drafter asks for. Only Template is required;
// everything missing becomes a placeholder.
type DraftRequest struct {
	// Template is a template id ("templates/cong-van"), its slug
	// ("cong-van"), its document type ("Công văn") or abbreviation ("QĐ").
	Template string `json:"template"`
	// Fields are the template's fields by name; a multi field holds one
	// item per line.
	Fields map[string]string `json:"fields,omitempty"`
	// Superior is the directly superior body (cơ quan chủ quản), if any.
	Superior string `json:"superior,omitempty"`
	// Issuer is the issuing body (cơ quan ban hành): "Ủy ban nhân dân xã
	// Suối Mây". A line break splits it on the page; "Ủy ban nhân dân …"
	// and "Hội đồng nhân dân …" are split after the generic name.
	Issuer string `json:"issuer,omitempty"`
	// IssuerCode is the issuing body's abbreviation in the ký hiệu ("UBND").
	IssuerCode string `json:"issuer_code,omitempty"`
	// UnitCode is the drafting unit's abbreviation ("VP"): the second part
	// of a công văn's ký hiệu and the "Lưu: VT, VP." line.
	UnitCode string `json:"unit_code,omitempty"`
	// Place is the địa danh ("Suối Mây").
	Place string `json:"place,omitempty"`
	// Date is the issuing date, YYYY-MM-DD or DD/MM/YYYY; empty leaves a
	// placeholder (văn thư dates paper documents after signing).
	Date string `json:"date,omitempty"`
	// Number is the document number (digits); empty leaves a placeholder.
	Number string `json:"number,omitempty"`
	Signer Signer `json:"signer"`
	// Recipients is the nơi nhận list; "Như trên;" and "Lưu: VT, …." are
	// added when missing.
	Recipients []string `json:"recipients,omitempty"`
	// LegalBases are the căn cứ: regulation ids (or numbers) with an
	// optional article anchor. Each must be in the Library and in force on
	// Date.
	LegalBases []Reference `json:"legal_bases,omitempty"`
	// Instructions tell the LLM, when one is configured, what the body
	// should say. Ignored without an LLM.
	Instructions string `json:"instructions,omitempty"`
}

// ParagraphKind says how a body paragraph is laid out.
type ParagraphKind string

// Paragraph kinds (Phụ lục I, Phần I, mục II.6).
const (
	ParagraphText     ParagraphKind = "text"     // justified, first-line indent
	ParagraphArticle  ParagraphKind = "article"  // "Điều 1." in bold, then the text
	ParagraphHeading  ParagraphKind = "heading"  // "I. SỰ CẦN THIẾT", bold
	ParagraphCentered ParagraphKind = "centered" // "QUYẾT ĐỊNH:", bold, centred
)

// Paragraph is one paragraph of the body.
type Paragraph struct {
	Kind ParagraphKind `json:"kind"`
	Lead string        `json:"lead,omitempty"` // bold lead-in: "Điều 1."
	Text string        `json:"text"`
}

// String returns the paragraph as one line of text.
func (p Paragraph) String() string {
	if p.Lead == "" {
		return p.Text
	}
	if p.Text == "" {
		return p.Lead
	}
	return p.Lead + " " + p.Text
}

// Basis is one căn cứ line and the regulation it names.
type Basis struct {
	Doc     string `json:"doc,omitempty"`
	Article string `json:"article,omitempty"`
	Text    string `json:"text"` // "Căn cứ Luật Hộ tịch ngày 20 tháng 11 năm 2014;"
}

// Signature is one signature block: the upper-case lines of authority and
// title, then the name. A biên bản has two (thư ký, chủ tọa).
type Signature struct {
	Lines []string `json:"lines"`
	Name  string   `json:"name"`
}

// Draft is an administrative document with its components in page order.
// Text values are final: upper-casing, punctuation and placeholders are
// already applied, so renderers only lay them out.
type Draft struct {
	ID       string    `json:"id,omitempty"`
	Template string    `json:"template,omitempty"` // template document id
	DocType  string    `json:"doc_type"`           // "Quyết định"
	Abbr     string    `json:"abbr,omitempty"`     // "QĐ"; empty for công văn
	Created  time.Time `json:"created,omitzero"`
	Date     Date      `json:"date,omitzero"` // issuing date, when known

	Superior   []string    `json:"superior,omitempty"` // upper-case lines
	Issuer     []string    `json:"issuer"`             // upper-case lines
	National   string      `json:"national"`
	Motto      string      `json:"motto"`
	Number     string      `json:"number"`               // "Số: 15/QĐ-UBND"
	PlaceDate  string      `json:"place_date,omitempty"` // "Suối Mây, ngày 05 tháng 3 năm 2026"
	Title      string      `json:"title,omitempty"`      // "QUYẾT ĐỊNH"; empty for công văn
	Subject    string      `json:"subject,omitempty"`    // trích yếu; "V/v …" for công văn
	Authority  string      `json:"authority,omitempty"`  // thẩm quyền ban hành line
	To         []string    `json:"to,omitempty"`         // Kính gửi, with punctuation
	Bases      []Basis     `json:"bases,omitempty"`
	Proposal   string      `json:"proposal,omitempty"` // "Theo đề nghị của …."
	Body       []Paragraph `json:"body"`
	Signatures []Signature `json:"signatures"`
	Recipients []string    `json:"recipients,omitempty"` // nơi nhận items, with punctuation

	// Placeholders lists every [CẦN BỔ SUNG: …] left in the draft.
	Placeholders []string `json:"placeholders,omitempty"`
	// Citations are the regulations the căn cứ lines rely on.
	Citations []Citation `json:"citations,omitempty"`
	// Fields are the template field values the draft was built from.
	Fields map[string]string `json:"fields,omitempty"`
	// Order is the order in which components appeared in a parsed document
	// (ParseDraftText); empty for generated drafts, whose order is fixed.
	Order []Component `json:"order,omitempty"`
	// Findings are the validator's findings at drafting time.
	Findings []Finding `json:"findings,omitempty"`
	// PromptVersion names the prompt templates when an LLM wrote part of
	// the body; empty when the draft comes from the fields alone.
	PromptVersion string `json:"prompt_version,omitempty"`
}

// Drafter builds drafts from templates in the Library and checks them.
type Drafter struct {
	// Library returns the current knowledge base (templates and
	// regulations). It is called once per request, so a reload is seen by
	// the next request.
	Library func() *Library
	// LLM, when set, writes body paragraphs from DraftRequest.Instructions.
	LLM LLM
	// Prompt builds the LLM messages (prompts.Draft); it is required with
	// an LLM.
	Prompt func(DraftPromptInput) ([]Message, error)
	// PromptVersion identifies the prompt templates (prompts.Version); it
	// is recorded on drafts whose body the LLM wrote.
	PromptVersion string
	// Now returns the current time; nil means time.Now. It dates the draft
	// and, when the request has no date, picks the day legal bases must be
	// in force.
	Now func() time.Time
}

func (dr *Drafter) now() time.Time {
	if dr.Now != nil {
		return dr.Now()
	}
	return time.Now()
}

func (dr *Drafter) library() *Library {
	if dr.Library == nil {
		return nil
	}
	return dr.Library()
}

// Templates returns the drafting templates in the library, in library order.
func (dr *Drafter) Templates() []*Document {
	return templates(dr.library())
}

func templates(lib *Library) []*Document {
	if lib == nil {
		return nil
	}
	var out []*Document
	for _, d := range lib.All() {
		if d.Kind == KindTemplate && d.Template != nil && d.Status != StatusArchived {
			out = append(out, d)
		}
	}
	return out
}

// FindTemplate returns the template named by key: its id, slug, document
// type or abbreviation. Unknown keys give an Invalid error.
func FindTemplate(lib *Library, key string) (*Document, error) {
	k := NormalizeLine(key)
	if k == "" {
		return nil, Errorf(Invalid, "Vui lòng chọn loại văn bản cần soạn.", "draft: empty template")
	}
	all := templates(lib)
	for _, d := range all {
		t := d.Template
		if d.ID == k || strings.TrimPrefix(d.ID, "templates/") == k ||
			(t.Abbr != "" && strings.EqualFold(t.Abbr, k)) ||
			Fold(t.DocType) == Fold(k) || Fold(d.Title) == Fold(k) {
			return d, nil
		}
	}
	names := make([]string, 0, len(all))
	for _, d := range all {
		names = append(names, d.Template.DocType)
	}
	msg := fmt.Sprintf("Không có mẫu văn bản «%s».", truncateRunes(k, 80))
	if len(names) > 0 {
		msg += " Các mẫu hiện có: " + strings.Join(names, ", ") + "."
	}
	return nil, Errorf(Invalid, msg, "draft: unknown template %q", truncateRunes(k, 80))
}

// TemplateProblems checks a template document's front matter against what
// the drafter understands (handbook lint). Messages are English.
func TemplateProblems(d *Document) []Problem {
	var out []Problem
	add := func(key, format string, args ...any) {
		out = append(out, Problem{Path: d.Path, Line: keyLine(d, key), Severity: SeverityError, Message: fmt.Sprintf(format, args...)})
	}
	t := d.Template
	if t == nil {
		add("doc_type", "template %s has no doc_type/fields", d.ID)
		return out
	}
	if t.DocType == "" {
		add("doc_type", "template %s: doc_type is empty", d.ID)
	}
	if abbr, ok := AdminDocType(t.DocType); ok && abbr != t.Abbr {
		add("abbr", "template %s: abbr %q, but Phụ lục III gives %q for %s", d.ID, t.Abbr, abbr, t.DocType)
	}
	seen := map[string]bool{}
	for _, f := range t.Fields {
		if f.Name == "" || f.Label == "" {
			add("fields", "template %s: field without name or label", d.ID)
		}
		if f.Example == "" { // the form shows it as the hint
			add("fields", "template %s: field %q has no example", d.ID, f.Name)
		}
		if seen[f.Name] {
			add("fields", "template %s: duplicate field %q", d.ID, f.Name)
		}
		seen[f.Name] = true
	}
	last := 0
	for _, s := range t.Structure {
		c := Component(s)
		if !c.Valid() {
			add("structure", "template %s: unknown structure component %q", d.ID, s)
			continue
		}
		if componentRank[c] < last {
			add("structure", "template %s: structure component %q is out of order", d.ID, s)
		}
		last = componentRank[c]
	}
	for _, c := range []Component{ComponentIssuer, ComponentNational, ComponentNumber, ComponentBody, ComponentSignature, ComponentRecipients} {
		if !slices.Contains(t.Structure, string(c)) {
			add("structure", "template %s: structure lacks %q", d.ID, c)
		}
	}
	for _, r := range recipeFields(t) {
		if !seen[r] {
			add("fields", "template %s: the %s recipe uses field %q, which the template does not declare", d.ID, t.DocType, r)
		}
	}
	return out
}

// lintTemplate runs TemplateProblems on template pages; an empty doc_type is
// already reported by lintRequired.
func lintTemplate(_ *Library, d *Document, _ Date) []Problem {
	if d.Kind != KindTemplate || d.Template == nil || d.Template.DocType == "" {
		return nil
	}
	return TemplateProblems(d)
}

// Draft builds a draft from req. Bad input (unknown template or field,
// control characters, oversized fields, a legal basis that is unknown or not
// in force) returns an Invalid error with a Vietnamese message.
func (dr *Drafter) Draft(ctx context.Context, req DraftRequest) (*Draft, error) {
	lib := dr.library()
	if lib == nil {
		return nil, fmt.Errorf("draft: no library configured")
	}
	if err := checkText("Loại văn bản", req.Template); err != nil {
		return nil, err
	}
	doc, err := FindTemplate(lib, req.Template)
	if err != nil {
		return nil, err
	}
	c := &composer{tpl: doc.Template, tplDoc: doc, lib: lib}
	if err := c.load(req); err != nil {
		return nil, err
	}
	now := dr.now()
	c.at = c.date
	if !c.at.IsSet() {
		c.at = Today(now)
	}
	if err := c.resolveBases(req.LegalBases); err != nil {
		return nil, err
	}
	switch {
	case dr.LLM != nil && c.instructions != "":
		if err := dr.writeBody(ctx, c); err != nil {
			return nil, err
		}
	case c.instructions != "":
		c.notes = append(c.notes, Finding{Rule: RuleLLM, Component: ComponentBody, Severity: SeverityWarning,
			Message: "Máy chủ chưa cấu hình mô hình ngôn ngữ nên «Yêu cầu soạn thảo» không được dùng; nội dung văn bản soạn từ các trường đã điền."})
	}
	d := c.compose()
	d.Created = now.UTC().Truncate(time.Second)
	d.Findings = append(dr.Check(d, c.at), c.notes...)
	return d, nil
}

// composer holds a validated, normalised request while a draft is built.
type composer struct {
	tpl    *Template
	tplDoc *Document
	lib    *Library

	fields       map[string]string
	superior     string
	issuer       string
	issuerCode   string
	unitCode     string
	place        string
	date         Date
	number       string
	signer       Signer
	recipients   []string
	instructions string

	at        Date
	bases     []Basis
	citations []Citation
	sources   []DraftSource
	notes     []Finding
	// promptVersion is set when the LLM wrote part of the body.
	promptVersion string
}

func (c *composer) fieldDef(name string) (TemplateField, bool) {
	for _, f := range c.tpl.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return TemplateField{}, false
}

func (c *composer) label(name string) string {
	if f, ok := c.fieldDef(name); ok && f.Label != "" {
		return f.Label
	}
	return name
}

func (c *composer) has(c2 Component) bool { return slices.Contains(c.tpl.Structure, string(c2)) }

// load validates and normalises the request.
func (c *composer) load(req DraftRequest) error {
	total := 0
	check := func(label, s string) error {
		if err := checkText(label, s); err != nil {
			return err
		}
		total += utf8.RuneCountInString(s)
		if total > MaxDraftRunes {
			return Errorf(Invalid, fmt.Sprintf("Nội dung yêu cầu quá dài (tối đa %s ký tự cho cả văn bản).", groupDigits(MaxDraftRunes)),
				"draft: request longer than %d runes", MaxDraftRunes)
		}
		return nil
	}
	if len(req.Fields) > maxDraftItems || len(req.Recipients) > maxDraftItems || len(req.LegalBases) > maxDraftItems {
		return Errorf(Invalid, "Yêu cầu có quá nhiều mục.", "draft: too many fields, recipients or legal bases")
	}
	c.fields = map[string]string{}
	names := make([]string, 0, len(req.Fields))
	for name := range req.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		v := req.Fields[name]
		if err := check("Tên trường", name); err != nil {
			return err
		}
		f, ok := c.fieldDef(name)
		if !ok {
			return Errorf(Invalid, fmt.Sprintf("Mẫu «%s» không có trường «%s».", c.tpl.DocType, truncateRunes(name, 60)),
				"draft: template %s has no field %q", c.tplDoc.ID, truncateRunes(name, 60))
		}
		if err := check(c.label(name), v); err != nil {
			return err
		}
		if f.Multi {
			var lines []string
			for _, l := range strings.Split(Normalize(v), "\n") {
				if l = cleanItem(l); l != "" {
					lines = append(lines, l)
				}
			}
			v = strings.Join(lines, "\n")
		} else {
			v = NormalizeLine(v)
		}
		if v != "" {
			c.fields[name] = v
		}
	}
	// Multi-line values keep their line breaks: they split the issuing body
	// on the page, or are the LLM's instructions.
	for _, s := range []struct {
		label     string
		val       string
		dst       *string
		multiline bool
	}{
		{"Cơ quan chủ quản", req.Superior, &c.superior, true},
		{"Cơ quan ban hành", req.Issuer, &c.issuer, true},
		{"Chữ viết tắt tên cơ quan", req.IssuerCode, &c.issuerCode, false},
		{"Chữ viết tắt đơn vị soạn thảo", req.UnitCode, &c.unitCode, false},
		{"Địa danh", req.Place, &c.place, false},
		{"Ngày ban hành", req.Date, nil, false},
		{"Số văn bản", req.Number, &c.number, false},
		{"Quyền hạn ký", req.Signer.Authority, &c.signer.Authority, false},
		{"Tập thể, cơ quan (TM.)", req.Signer.Collective, &c.signer.Collective, false},
		{"Chức vụ người đứng đầu", req.Signer.Head, &c.signer.Head, false},
		{"Chức vụ người ký", req.Signer.Title, &c.signer.Title, false},
		{"Họ tên người ký", req.Signer.Name, &c.signer.Name, false},
		{"Yêu cầu soạn thảo", req.Instructions, &c.instructions, true},
	} {
		if err := check(s.label, s.val); err != nil {
			return err
		}
		switch {
		case s.dst == nil:
		case s.multiline:
			*s.dst = strings.TrimSpace(Normalize(s.val))
		default:
			*s.dst = NormalizeLine(s.val)
		}
	}
	for _, r := range req.Recipients {
		if err := check("Nơi nhận", r); err != nil {
			return err
		}
		if r = cleanItem(r); r != "" {
			c.recipients = append(c.recipients, r)
		}
	}
	for _, ref := range req.LegalBases {
		if err := check("Văn bản căn cứ", ref.Doc); err != nil {
			return err
		}
		if err := check("Văn bản căn cứ", ref.Article); err != nil {
			return err
		}
	}
	for _, code := range []struct{ label, v string }{{"Chữ viết tắt tên cơ quan", c.issuerCode}, {"Chữ viết tắt đơn vị soạn thảo", c.unitCode}} {
		if code.v != "" && !codeRE.MatchString(code.v) {
			return Errorf(Invalid, fmt.Sprintf("%s chỉ gồm chữ cái in hoa và chữ số, không có dấu cách (ví dụ UBND, VP).", code.label),
				"draft: bad code %q", code.v)
		}
	}
	if c.number != "" {
		n := strings.TrimLeft(c.number, "0")
		if !numberRE.MatchString(c.number) || n == "" {
			return Errorf(Invalid, "Số văn bản chỉ gồm chữ số (ví dụ 05).", "draft: bad number %q", c.number)
		}
		if len(n) < 2 { // Phụ lục I, Phần I, mục II.3.c: numbers below 10 get a leading 0
			n = "0" + n
		}
		c.number = n
	}
	if s := strings.TrimSpace(req.Date); s != "" {
		d, err := parseDraftDate(s)
		if err != nil {
			return Errorf(Invalid, "Ngày ban hành không hợp lệ; nhập theo dạng năm-tháng-ngày (ví dụ 2026-03-05) hoặc ngày/tháng/năm (05/03/2026).",
				"draft: bad date %q: %w", s, err)
		}
		c.date = d
	}
	if a := c.signer.Authority; a != "" {
		canon, ok := canonicalAuthority(a)
		if !ok {
			return Errorf(Invalid, "Quyền hạn ký phải là một trong TM., KT., Q., TL., TUQ. hoặc để trống khi người đứng đầu ký.",
				"draft: bad signing authority %q", a)
		}
		c.signer.Authority = canon
	}
	for _, s := range []*string{&c.signer.Collective, &c.signer.Head, &c.signer.Title} {
		*s = strings.ToUpper(*s)
	}
	if len(req.LegalBases) > 0 && !c.has(ComponentBases) {
		return Errorf(Invalid, fmt.Sprintf("Mẫu «%s» không có phần căn cứ ban hành; hãy nêu văn bản liên quan trong nội dung.", c.tpl.DocType),
			"draft: template %s has no can_cu component", c.tplDoc.ID)
	}
	return nil
}

var (
	codeRE   = regexp.MustCompile(`^[A-ZĐ0-9][A-Za-zĐđ0-9]*(-[A-ZĐ0-9][A-Za-zĐđ0-9]*)*$`)
	numberRE = regexp.MustCompile(`^[0-9]{1,6}$`)
)

// checkText rejects input that cannot be part of a document: invalid UTF-8,
// control characters other than tab and line breaks (including bidi
// overrides, which can make a text read differently from what it says) and
// values above MaxFieldRunes.
func checkText(label, s string) error {
	if !utf8.ValidString(s) {
		return Errorf(Invalid, fmt.Sprintf("Trường «%s» chứa ký tự không hợp lệ (không phải UTF-8).", label),
			"draft: %s: invalid UTF-8", label)
	}
	if n := utf8.RuneCountInString(s); n > MaxFieldRunes {
		return Errorf(Invalid, fmt.Sprintf("Trường «%s» quá dài (%s ký tự, tối đa %s).", label, groupDigits(n), groupDigits(MaxFieldRunes)),
			"draft: %s: %d runes, limit %d", label, n, MaxFieldRunes)
	}
	for _, r := range s {
		if r == '\n' || r == '\r' || r == '\t' {
			continue
		}
		if unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
			return Errorf(Invalid, fmt.Sprintf("Trường «%s» chứa ký tự điều khiển không hợp lệ.", label),
				"draft: %s: control character %U", label, r)
		}
	}
	return nil
}

func canonicalAuthority(a string) (string, bool) {
	k := strings.ToUpper(strings.NewReplacer("/", "", ".", "", " ", "").Replace(a))
	for _, canon := range Authorities {
		if strings.TrimSuffix(canon, ".") == k {
			return canon, true
		}
	}
	return "", false
}

func parseDraftDate(s string) (Date, error) {
	if d, err := ParseDate(s); err == nil {
		return d, nil
	}
	t, err := time.Parse("2/1/2006", s)
	if err != nil {
		return Date{}, err
	}
	return Date{t}, nil
}

// cleanItem trims a list item of its bullet and end punctuation; the
// drafter adds the punctuation Phụ lục I requires.
func cleanItem(s string) string {
	s = NormalizeLine(s)
	s = strings.TrimLeft(s, "-–•+* ")
	return strings.TrimSpace(s)
}

func trimEnd(s string) string {
	return strings.TrimRight(strings.TrimSuffix(strings.TrimSpace(s), "./."), ";.,: ")
}

// FormatDocDate writes a date the way Phụ lục I, Phần I, mục II.4.b wants
// it: "ngày 05 tháng 3 năm 2026", with a leading zero for days below 10 and
// for months 1 and 2.
func FormatDocDate(d Date) string {
	y, m, day := d.Date()
	month := strconv.Itoa(int(m))
	if m <= 2 {
		month = fmt.Sprintf("%02d", int(m))
	}
	return fmt.Sprintf("ngày %02d tháng %s năm %d", day, month, y)
}

// resolveBases turns references into căn cứ lines, refusing regulations
// that are unknown or not in force on the document date.
func (c *composer) resolveBases(refs []Reference) error {
	seen := map[string]bool{}
	for _, ref := range refs {
		id, anchor := NormalizeLine(ref.Doc), NormalizeLine(ref.Article)
		if id == "" {
			continue
		}
		doc := lookupRegulation(c.lib, id)
		if doc == nil {
			return Errorf(Invalid, fmt.Sprintf("Không tìm thấy văn bản căn cứ «%s» trong cơ sở dữ liệu.", truncateRunes(id, 120)),
				"draft: legal basis %q not in library", truncateRunes(id, 120))
		}
		if anchor != "" {
			if _, ok := doc.Section(anchor); !ok {
				return Errorf(Invalid, fmt.Sprintf("Không tìm thấy %s trong «%s».", anchorOrRaw(anchor), displayName(doc)),
					"draft: %s has no anchor %q", doc.ID, anchor)
			}
		}
		if v := doc.ValidityAt(c.at); v != InForce {
			return Errorf(Invalid, notInForceMessage(c.lib, doc, v, c.at), "draft: legal basis %s is %s on %s", doc.ID, v, c.at)
		}
		key := doc.ID + "#" + anchor
		if seen[key] {
			continue
		}
		seen[key] = true
		c.bases = append(c.bases, Basis{Doc: doc.ID, Article: anchor, Text: "Căn cứ " + BasisText(c.lib, doc, anchor, c.at)})
		// BasisText names the amending texts the knowledge base holds; one
		// it lacks cannot be cited, but the drafter must know of it.
		for _, a := range amendedBy(doc) {
			if lookupRegulation(c.lib, a) == nil {
				c.notes = append(c.notes, Finding{Rule: RuleCitation, Component: ComponentBases, Severity: SeverityWarning,
					Message: fmt.Sprintf("«%s» đã được sửa đổi, bổ sung bởi văn bản số %s, văn bản này chưa có trong Sổ tay nên dòng căn cứ chưa ghi; hãy đối chiếu văn bản hợp nhất và bổ sung nếu cần.",
						displayName(doc), a)})
			}
		}
		url := "/docs/" + doc.ID
		if anchor != "" {
			url += "#" + anchor
		}
		c.citations = append(c.citations, Citation{Doc: doc.ID, Anchor: anchor, Label: CitationLabel(doc, anchor), URL: url})
		c.sources = append(c.sources, regulationSource(doc, anchor))
	}
	return nil
}

func amendedBy(doc *Document) []string {
	if doc.Regulation == nil {
		return nil
	}
	return doc.Regulation.AmendedBy
}

func anchorOrRaw(anchor string) string {
	if l := AnchorLabel(anchor); l != "" {
		return l
	}
	return "«" + anchor + "»"
}

// displayName names a regulation in messages: its short name, a law's
// title ("Luật Hộ tịch 2014"), or type and number.
func displayName(doc *Document) string {
	if r := doc.Regulation; r != nil && r.ShortName == "" && isLaw(doc) && doc.Title != "" {
		return doc.Title
	}
	return doc.CitationName()
}

func notInForceMessage(lib *Library, doc *Document, v Validity, at Date) string {
	name := displayName(doc)
	if v == NotYet {
		return fmt.Sprintf("Văn bản căn cứ «%s» chưa có hiệu lực vào ngày %s.", name, at.Vietnamese())
	}
	msg := fmt.Sprintf("Văn bản căn cứ «%s» đã hết hiệu lực vào ngày %s", name, at.Vietnamese())
	if r := doc.Regulation; r != nil && r.ReplacedBy != "" {
		if by := lookupRegulation(lib, r.ReplacedBy); by != nil {
			msg += fmt.Sprintf("; văn bản thay thế: «%s»", displayName(by))
		}
	}
	return msg + "."
}

// lookupRegulation finds a regulation by id, slug under regulations/ or
// number ("123/2015/NĐ-CP"). Archived and non-regulation documents are not
// returned.
func lookupRegulation(lib *Library, key string) *Document {
	if lib == nil {
		return nil
	}
	ok := func(d *Document) bool {
		return d != nil && d.Status != StatusArchived && (d.Kind == KindRegulation || d.Regulation != nil)
	}
	if d, found := lib.Doc(key); found && ok(d) {
		return d
	}
	if d, found := lib.Doc("regulations/" + key); found && ok(d) {
		return d
	}
	for _, d := range lib.All() {
		if ok(d) && d.Regulation != nil && d.Regulation.Number != "" && strings.EqualFold(d.Regulation.Number, key) {
			return d
		}
	}
	return nil
}

var (
	yearSuffixRE = regexp.MustCompile(`\s+(năm\s+)?\d{4}$`)
	lawDocTypes  = []string{"luat", "bo luat", "phap lenh"}
)

func isLaw(doc *Document) bool {
	if doc.Regulation == nil {
		return false
	}
	return slices.Contains(lawDocTypes, Fold(doc.Regulation.DocType))
}

// lawName is the name of a Luật or Pháp lệnh without number or year:
// "Luật Hộ tịch 2014" → "Luật Hộ tịch".
var trailingParenRE = regexp.MustCompile(`\s*\([^()]*\)\s*$`)

func lawName(doc *Document) string {
	r := doc.Regulation
	name := doc.Title
	if name == "" {
		name = r.ShortName
	}
	if r.Number != "" {
		name = strings.Replace(name, " số "+r.Number, "", 1)
		name = strings.Replace(name, " "+r.Number, "", 1)
	}
	// A title may end in a parenthesis such as "(Luật số 72/2025/QH15)";
	// once the number is gone what remains ("(Luật)") is noise.
	name = trailingParenRE.ReplaceAllString(NormalizeLine(name), "")
	name = strings.TrimSpace(yearSuffixRE.ReplaceAllString(name, ""))
	if r.DocType != "" && !strings.HasPrefix(Fold(name), Fold(r.DocType)) {
		name = r.DocType + " " + lowerInitial(name)
	}
	return name
}

// regulationSubject is the trích yếu of a non-law regulation taken from its
// title: the part after the number ("Nghị định 118/2025/NĐ-CP về thực hiện
// …" → "về thực hiện …"), or the title itself introduced by "về".
func regulationSubject(doc *Document) string {
	r := doc.Regulation
	title := NormalizeLine(doc.Title)
	if r.Number != "" {
		if i := strings.Index(title, r.Number); i >= 0 {
			rest := strings.TrimLeft(title[i+len(r.Number):], " :–-,")
			return rest
		}
	}
	if title == "" || (r.DocType != "" && strings.HasPrefix(Fold(title), Fold(r.DocType))) {
		return ""
	}
	first, _ := utf8.DecodeRuneInString(title)
	if unicode.IsLower(first) {
		return title
	}
	return "về " + lowerInitial(title)
}

func lowerInitial(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

func upperInitial(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// BasisText writes the first reference to a regulation the way Phụ lục I,
// Phần I, mục II.6.a–b wants it, without the leading "Căn cứ": a Luật or
// Pháp lệnh by name and date ("Luật Hộ tịch ngày 20 tháng 11 năm 2014"),
// other texts by type, number, date, issuer and subject ("Nghị định số
// 118/2025/NĐ-CP ngày 09 tháng 6 năm 2025 của Chính phủ về …"). An anchor
// is written first ("khoản 2 Điều 5 …"). Amendments in force on at are
// added. When the metadata is too thin it falls back to CitationLabel.
func BasisText(lib *Library, doc *Document, anchor string, at Date) string {
	r := doc.Regulation
	if r == nil {
		return CitationLabel(doc, anchor)
	}
	var b strings.Builder
	if l := AnchorLabel(anchor); l != "" {
		b.WriteString(l + " ")
	}
	switch {
	case isLaw(doc):
		b.WriteString(lawName(doc))
		if r.Issued.IsSet() {
			b.WriteString(" " + FormatDocDate(r.Issued))
		}
	case r.DocType != "" && r.Number != "":
		b.WriteString(r.DocType + " số " + r.Number)
		if r.Issued.IsSet() {
			b.WriteString(" " + FormatDocDate(r.Issued))
		}
		if r.Issuer != "" {
			b.WriteString(" của " + r.Issuer)
		}
		if s := regulationSubject(doc); s != "" {
			b.WriteString(" " + s)
		}
	default:
		b.Reset()
		b.WriteString(CitationLabel(doc, anchor))
	}
	var amend []string
	for _, a := range r.AmendedBy {
		ad := lookupRegulation(lib, a)
		if ad == nil || ad.ValidityAt(at) != InForce || ad.Regulation == nil {
			continue
		}
		amend = append(amend, BasisText(nil, ad, "", at))
	}
	if len(amend) > 0 {
		b.WriteString(", được sửa đổi, bổ sung bởi " + strings.Join(amend, " và "))
	}
	return b.String()
}

// regulationSource is the text of the cited part of a regulation, given to
// the LLM as its only source.
func regulationSource(doc *Document, anchor string) DraftSource {
	e := DraftSource{Label: CitationLabel(doc, anchor)}
	if anchor != "" {
		if s, ok := doc.Section(anchor); ok {
			e.Text = s.Heading + "\n" + s.Text
		}
	} else {
		var b strings.Builder
		if doc.Summary != "" {
			b.WriteString(doc.Summary + "\n")
		}
		for _, s := range doc.SectionList() {
			if s.Kind == SectionArticle {
				b.WriteString(s.Heading + "\n" + s.Text + "\n")
			}
			if b.Len() > 6000 {
				break
			}
		}
		e.Text = b.String()
	}
	e.Text = truncateRunes(strings.TrimSpace(e.Text), 3000)
	return e
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func groupDigits(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// value returns a single field, a placeholder when it is required and
// empty, or "".
func (c *composer) value(name string) string {
	if v := c.fields[name]; v != "" {
		return v
	}
	if f, ok := c.fieldDef(name); ok && f.Required {
		return Placeholder(lowerInitial(f.Label))
	}
	return ""
}

// items returns a multi field's lines, a placeholder when it is required
// and empty, or nil.
func (c *composer) items(name string) []string {
	if v := c.fields[name]; v != "" {
		return strings.Split(v, "\n")
	}
	if v := c.value(name); v != "" {
		return []string{v}
	}
	return nil
}

// issuerLines splits the issuing body's name into the lines of the header:
// explicit line breaks win; "ỦY BAN NHÂN DÂN XÃ …" and "HỘI ĐỒNG NHÂN DÂN
// …" break after the generic name (common practice; NĐ 30 gives no commune
// example).
func issuerLines(name string) []string {
	var out []string
	for _, l := range strings.Split(name, "\n") {
		if l = NormalizeLine(l); l == "" {
			continue
		}
		u := strings.ToUpper(l)
		split := false
		for _, generic := range []string{"ỦY BAN NHÂN DÂN ", "UỶ BAN NHÂN DÂN ", "HỘI ĐỒNG NHÂN DÂN "} {
			if strings.HasPrefix(u, generic) && len(u) > len(generic) && !strings.Contains(name, "\n") {
				out = append(out, strings.TrimSpace(generic), strings.TrimSpace(u[len(generic):]))
				split = true
				break
			}
		}
		if !split {
			out = append(out, u)
		}
	}
	return out
}

// issuerName is the issuing body as one line in normal case, for body text
// ("Ủy ban nhân dân xã Suối Mây trân trọng kính mời …").
func (c *composer) issuerName() string {
	if c.issuer == "" {
		return Placeholder("tên cơ quan ban hành")
	}
	return NormalizeLine(c.issuer)
}

func (c *composer) compose() *Draft {
	t := c.tpl
	d := &Draft{
		Template: c.tplDoc.ID,
		DocType:  t.DocType,
		Abbr:     t.Abbr,
		Date:     c.date,
		National: NationalName,
		Motto:    NationalMotto,
		Fields:   c.fields,

		PromptVersion: c.promptVersion,
	}
	if c.has(ComponentSuperior) {
		d.Superior = issuerLines(c.superior)
	}
	d.Issuer = issuerLines(c.issuer)
	if len(d.Issuer) == 0 {
		d.Issuer = []string{Placeholder("TÊN CƠ QUAN BAN HÀNH")}
	}
	d.Number = "Số: " + c.numberText()
	if c.has(ComponentPlaceDate) {
		place := c.place
		if place == "" {
			place = Placeholder("địa danh")
		}
		if c.date.IsSet() {
			d.PlaceDate = place + ", " + FormatDocDate(c.date)
		} else {
			d.PlaceDate = place + ", " + Placeholder("ngày … tháng … năm …")
		}
	}
	subject := c.value("trich_yeu")
	if isCongVan(t) {
		subject = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(subject, "V/v"), "v/v"))
		if subject != "" {
			d.Subject = "V/v " + subject
		}
	} else {
		d.Title = strings.ToUpper(t.DocType)
		d.Subject = subject
	}
	if c.has(ComponentAddressee) {
		d.To = punctuateList(c.items("kinh_gui"), len(c.items("kinh_gui")) > 1)
	}
	if c.has(ComponentBases) {
		d.Bases = slices.Clone(c.bases)
		if len(d.Bases) == 0 && t.Abbr == "QĐ" { // Mẫu 1.2: a quyết định always states its căn cứ
			d.Bases = []Basis{{Text: "Căn cứ " + Placeholder("văn bản quy định thẩm quyền ban hành")}}
		}
	}
	d.Citations = slices.Clone(c.citations)
	recipe := recipeFor(t)
	recipe.build(c, d)
	if n := len(d.Bases); n > 0 {
		for i := range d.Bases {
			end := ";"
			if i == n-1 && d.Proposal == "" {
				end = "."
			}
			d.Bases[i].Text = trimEnd(d.Bases[i].Text) + end
		}
	}
	if len(d.Body) > 0 {
		last := &d.Body[len(d.Body)-1]
		if !strings.HasSuffix(last.Text, "./.") {
			last.Text = trimEnd(last.Text) + "./."
		}
	}
	if len(d.Signatures) == 0 {
		d.Signatures = []Signature{c.signature()}
	}
	d.Recipients = c.recipientList(recipe.firstRecipient(c, d))
	d.Placeholders = collectPlaceholders(d)
	return d
}

func isCongVan(t *Template) bool { return Fold(t.DocType) == "cong van" }

func (c *composer) numberText() string {
	num := c.number
	if num == "" {
		num = Placeholder("số")
	}
	issuer := c.issuerCode
	if issuer == "" {
		issuer = Placeholder("VIẾT TẮT TÊN CƠ QUAN")
	}
	if isCongVan(c.tpl) {
		unit := c.unitCode
		if unit == "" {
			unit = Placeholder("VIẾT TẮT ĐƠN VỊ SOẠN THẢO")
		}
		return num + "/" + issuer + "-" + unit
	}
	abbr := c.tpl.Abbr
	if abbr == "" {
		return num + "/" + issuer
	}
	return num + "/" + abbr + "-" + issuer
}

// signature builds the signature block from the signer (Phụ lục I, Phần I,
// mục II.7).
func (c *composer) signature() Signature {
	s := c.signer
	need := func(v, what string) string {
		if v == "" {
			return Placeholder(what)
		}
		return v
	}
	title := need(s.Title, "CHỨC VỤ NGƯỜI KÝ")
	head := need(s.Head, "CHỨC VỤ NGƯỜI ĐỨNG ĐẦU")
	collective := s.Collective
	if collective == "" && len(issuerLines(c.issuer)) > 0 {
		collective = issuerLines(c.issuer)[0]
	}
	collective = need(collective, "TÊN TẬP THỂ HOẶC CƠ QUAN")
	var lines []string
	switch s.Authority {
	case AuthorityOnBehalf:
		lines = []string{"TM. " + collective, title}
	case AuthorityDeputy:
		if s.Collective != "" {
			lines = append(lines, "TM. "+s.Collective)
		}
		lines = append(lines, "KT. "+head, title)
	case AuthorityActing:
		if s.Head == "" {
			head = title
		}
		lines = []string{"Q. " + head}
	case AuthorityByOrder, AuthorityDelegation:
		lines = []string{s.Authority + " " + head, title}
	default:
		lines = []string{title}
	}
	return Signature{Lines: lines, Name: need(s.Name, "họ và tên người ký")}
}

// recipientList completes the nơi nhận list: first (e.g. "Như trên") when
// missing, the closing "Lưu: VT, <unit>." and the punctuation of Phụ lục I,
// Phần I, mục II.9.
func (c *composer) recipientList(first string) []string {
	items := slices.Clone(c.recipients)
	if first != "" && !slices.ContainsFunc(items, func(s string) bool { return strings.HasPrefix(Fold(s), "nhu ") }) {
		items = append([]string{first}, items...)
	}
	hasLuu := slices.ContainsFunc(items, func(s string) bool { return strings.HasPrefix(Fold(s), "luu") })
	if !hasLuu {
		luu := "Lưu: VT"
		if c.unitCode != "" {
			luu += ", " + c.unitCode
		}
		items = append(items, luu)
	} else { // the Lưu line goes last
		i := slices.IndexFunc(items, func(s string) bool { return strings.HasPrefix(Fold(s), "luu") })
		luu := items[i]
		items = append(slices.Delete(items, i, i+1), luu)
	}
	return punctuateList(items, true)
}

// punctuateList ends every item with ";" and the last with "." (Phụ lục I,
// Phần I, mục II.9.d); a single Kính gửi recipient stays bare.
func punctuateList(items []string, list bool) []string {
	out := make([]string, 0, len(items))
	for i, it := range items {
		it = trimEnd(it)
		if it == "" {
			continue
		}
		switch {
		case !list:
		case i == len(items)-1:
			it += "."
		default:
			it += ";"
		}
		out = append(out, it)
	}
	return out
}

func collectPlaceholders(d *Draft) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range d.lines() {
		for _, p := range Placeholders(l.text) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// recipe is how one document type turns fields into body paragraphs.
type recipe struct {
	fields []string // template fields it reads (beyond trich_yeu, kinh_gui)
	// target is the multi field an LLM may write when it is empty.
	target string
	build  func(c *composer, d *Draft)
	// first is the nơi nhận line that refers to the addressees, if any.
	first func(c *composer, d *Draft) string
}

func (r recipe) firstRecipient(c *composer, d *Draft) string {
	if r.first == nil {
		if len(d.To) > 0 {
			return "Như trên"
		}
		return ""
	}
	return r.first(c, d)
}

func recipeFor(t *Template) recipe {
	if r, ok := recipes[t.Abbr]; ok && t.Abbr != "" {
		return r
	}
	if isCongVan(t) {
		return recipes[""]
	}
	return genericRecipe
}

func recipeFields(t *Template) []string {
	r := recipeFor(t)
	out := slices.Clone(r.fields)
	if r.target != "" && !slices.Contains(out, r.target) {
		out = append(out, r.target)
	}
	return out
}

func bodyText(s string) Paragraph { return Paragraph{Kind: ParagraphText, Text: s} }

func bodyTexts(items []string) []Paragraph {
	out := make([]Paragraph, 0, len(items))
	for _, it := range items {
		out = append(out, bodyText(it))
	}
	return out
}

// sections adds Roman-numbered headings ("I. SỰ CẦN THIẾT") with their
// paragraphs, skipping optional sections left empty.
func bodySections(c *composer, d *Draft, parts ...[2]string) {
	n := 0
	for _, p := range parts {
		items := c.items(p[1])
		if len(items) == 0 {
			continue
		}
		n++
		d.Body = append(d.Body, Paragraph{Kind: ParagraphHeading, Text: romanNumeral(n) + ". " + strings.ToUpper(p[0])})
		d.Body = append(d.Body, bodyTexts(items)...)
	}
}

func romanNumeral(n int) string {
	return []string{"", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"}[min(n, 10)]
}

// lead writes "Label: value" lines of giấy mời, giấy giới thiệu, biên bản.
func leadLine(label, value string) Paragraph { return bodyText(label + ": " + value) }

var genericRecipe = recipe{
	fields: []string{"noi_dung"},
	target: "noi_dung",
	build: func(c *composer, d *Draft) {
		d.Body = bodyTexts(c.items("noi_dung"))
	},
}

// recipes by abbreviation; "" is the công văn. Layouts follow the samples
// of Phụ lục III Nghị định 30/2020/NĐ-CP (Mẫu 1.2, 1.4, 1.5, 1.7, 1.8, 1.9).
var recipes = map[string]recipe{
	"QĐ": {
		fields: []string{"tham_quyen", "de_nghi", "dieu", "hieu_luc", "thi_hanh"},
		target: "dieu",
		build: func(c *composer, d *Draft) {
			if c.has(ComponentAuthority) {
				d.Authority = strings.ToUpper(c.fields["tham_quyen"])
				if d.Authority == "" {
					d.Authority = c.defaultAuthority()
				}
			}
			if c.has(ComponentProposal) {
				if v := c.value("de_nghi"); v != "" {
					v = trimEnd(v)
					for _, p := range []string{"Theo đề nghị của ", "Xét đề nghị của ", "theo đề nghị của ", "xét đề nghị của "} {
						v = strings.TrimPrefix(v, p)
					}
					d.Proposal = "Theo đề nghị của " + v + "."
				}
			}
			d.Body = []Paragraph{{Kind: ParagraphCentered, Text: "QUYẾT ĐỊNH:"}}
			n := 0
			article := func(s string) {
				n++
				d.Body = append(d.Body, Paragraph{Kind: ParagraphArticle, Lead: fmt.Sprintf("Điều %d.", n), Text: s})
			}
			for _, it := range c.items("dieu") {
				it = strings.TrimSpace(articlePrefixRE.ReplaceAllString(it, ""))
				article(endSentence(it))
			}
			eff := c.value("hieu_luc")
			if !strings.HasPrefix(Fold(eff), "quyet dinh nay") {
				eff = "Quyết định này có hiệu lực thi hành " + trimEnd(eff)
			}
			article(endSentence(eff))
			impl := c.value("thi_hanh")
			// The placeholder's own label mentions "chịu trách nhiệm thi
			// hành"; only the drafter's words count.
			if !strings.Contains(Fold(placeholderRE.ReplaceAllString(impl, "")), "chiu trach nhiem thi hanh") {
				impl = trimEnd(impl) + " chịu trách nhiệm thi hành Quyết định này"
			}
			article(trimEnd(impl) + "./.")
		},
		first: func(c *composer, d *Draft) string {
			return fmt.Sprintf("Như Điều %d", countArticles(d))
		},
	},
	"": { // công văn, Mẫu 1.5
		fields: []string{"kinh_gui", "noi_dung"},
		target: "noi_dung",
		build: func(c *composer, d *Draft) {
			d.Body = bodyTexts(c.items("noi_dung"))
		},
	},
	"TTr": { // tờ trình, Mẫu 1.4
		fields: []string{"kinh_gui", "mo_dau", "su_can_thiet", "noi_dung", "kien_nghi"},
		target: "noi_dung",
		build: func(c *composer, d *Draft) {
			d.Body = bodyTexts(c.items("mo_dau"))
			bodySections(c, d, [2]string{"Sự cần thiết", "su_can_thiet"}, [2]string{"Nội dung đề nghị", "noi_dung"}, [2]string{"Kiến nghị", "kien_nghi"})
		},
	},
	"TB": { // thông báo, Mẫu 1.4
		fields: []string{"noi_dung"},
		target: "noi_dung",
		build:  genericRecipe.build,
	},
	"BC": { // báo cáo, Mẫu 1.4
		fields: []string{"mo_dau", "ket_qua", "han_che", "phuong_huong", "kien_nghi"},
		target: "ket_qua",
		build: func(c *composer, d *Draft) {
			d.Body = bodyTexts(c.items("mo_dau"))
			bodySections(c, d, [2]string{"Kết quả thực hiện", "ket_qua"}, [2]string{"Tồn tại, hạn chế và nguyên nhân", "han_che"},
				[2]string{"Phương hướng, nhiệm vụ thời gian tới", "phuong_huong"}, [2]string{"Kiến nghị, đề xuất", "kien_nghi"})
		},
	},
	"KH": { // kế hoạch, Mẫu 1.4
		fields: []string{"mo_dau", "muc_dich", "noi_dung", "kinh_phi", "to_chuc"},
		target: "noi_dung",
		build: func(c *composer, d *Draft) {
			d.Body = bodyTexts(c.items("mo_dau"))
			bodySections(c, d, [2]string{"Mục đích, yêu cầu", "muc_dich"}, [2]string{"Nội dung", "noi_dung"},
				[2]string{"Kinh phí", "kinh_phi"}, [2]string{"Tổ chức thực hiện", "to_chuc"})
		},
	},
	"GM": { // giấy mời, Mẫu 1.7
		fields: []string{"kinh_moi", "su_kien", "chu_tri", "thoi_gian", "dia_diem", "luu_y"},
		target: "luu_y",
		build: func(c *composer, d *Draft) {
			d.Body = []Paragraph{
				bodyText(c.issuerName() + " trân trọng kính mời: " + trimEnd(c.value("kinh_moi")) + "."),
				bodyText(endSentence("Tới dự " + lowerInitial(strings.TrimPrefix(c.value("su_kien"), "Tới dự ")))),
			}
			if v := c.value("chu_tri"); v != "" {
				d.Body = append(d.Body, leadLine("Chủ trì", trimEnd(v)+"."))
			}
			d.Body = append(d.Body, leadLine("Thời gian", trimEnd(c.value("thoi_gian"))+"."), leadLine("Địa điểm", trimEnd(c.value("dia_diem"))+"."))
			d.Body = append(d.Body, bodyTexts(c.items("luu_y"))...)
		},
	},
	"GGT": { // giấy giới thiệu, Mẫu 1.8
		fields: []string{"ho_ten", "chuc_vu", "noi_den", "ve_viec", "han"},
		build: func(c *composer, d *Draft) {
			d.Subject = ""
			d.Body = []Paragraph{
				bodyText(c.issuerName() + " trân trọng giới thiệu:"),
				leadLine("Ông (bà)", c.value("ho_ten")),
			}
			if v := c.value("chuc_vu"); v != "" {
				d.Body = append(d.Body, leadLine("Chức vụ", v))
			}
			d.Body = append(d.Body,
				leadLine("Được cử đến", c.value("noi_den")),
				leadLine("Về việc", endSentence(c.value("ve_viec"))),
				bodyText("Đề nghị Quý cơ quan tạo điều kiện để ông (bà) có tên ở trên hoàn thành nhiệm vụ."),
				bodyText("Giấy này có giá trị đến hết ngày "+strings.TrimPrefix(trimEnd(c.value("han")), "ngày ")+"./."),
			)
		},
		first: func(c *composer, d *Draft) string { return "Như trên" },
	},
	"BB": { // biên bản, Mẫu 1.9: no địa danh line; thư ký and chủ tọa sign
		fields: []string{"bat_dau", "dia_diem", "thanh_phan", "chu_toa", "chuc_vu_chu_toa", "thu_ky", "noi_dung", "ket_thuc"},
		target: "noi_dung",
		build: func(c *composer, d *Draft) {
			chair := c.value("chu_toa")
			if v := c.fields["chuc_vu_chu_toa"]; v != "" {
				chair += ", " + v
			}
			d.Body = []Paragraph{
				leadLine("Thời gian bắt đầu", c.value("bat_dau")),
				leadLine("Địa điểm", c.value("dia_diem")),
				leadLine("Thành phần tham dự", c.value("thanh_phan")),
				leadLine("Chủ trì (chủ tọa)", chair),
				leadLine("Thư ký (người ghi biên bản)", c.value("thu_ky")),
				bodyText("Nội dung (theo diễn biến cuộc họp):"),
			}
			d.Body = append(d.Body, bodyTexts(c.items("noi_dung"))...)
			d.Body = append(d.Body, bodyText("Cuộc họp kết thúc vào "+trimEnd(c.value("ket_thuc"))+"./."))
			d.Signatures = []Signature{
				{Lines: []string{"THƯ KÝ"}, Name: nameOr(c.fields["thu_ky"], "họ và tên thư ký")},
				{Lines: []string{"CHỦ TỌA"}, Name: nameOr(c.fields["chu_toa"], "họ và tên chủ tọa")},
			}
		},
	},
	"GXN": { // giấy xác nhận: not among the 29 types of Điều 7; laid out like Mẫu 1.8
		fields: []string{"ho_ten", "ngay_sinh", "so_dinh_danh", "noi_cu_tru", "noi_dung", "muc_dich"},
		build: func(c *composer, d *Draft) {
			d.Body = []Paragraph{
				bodyText(c.issuerName() + " xác nhận:"),
				leadLine("Ông (bà)", c.value("ho_ten")),
			}
			if v := c.value("ngay_sinh"); v != "" {
				d.Body = append(d.Body, leadLine("Ngày sinh", v))
			}
			if v := c.value("so_dinh_danh"); v != "" {
				d.Body = append(d.Body, leadLine("Số định danh cá nhân", v))
			}
			d.Body = append(d.Body, leadLine("Nơi cư trú", endSentence(c.value("noi_cu_tru"))))
			items := c.items("noi_dung")
			if len(items) > 0 {
				items[0] = "Nội dung xác nhận: " + items[0]
			}
			d.Body = append(d.Body, bodyTexts(items)...)
			d.Body = append(d.Body, bodyText("Giấy xác nhận này được cấp để "+lowerInitial(strings.TrimPrefix(trimEnd(c.value("muc_dich")), "Giấy xác nhận này được cấp để "))+"./."))
		},
	},
}

var articlePrefixRE = regexp.MustCompile(`^(?i:điều)\s+\d+[a-zđ]?\s*[.:]\s*`)

// endSentence ends s with a full stop unless it already ends with
// punctuation or is nothing but a placeholder.
func endSentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || placeholderRE.FindString(s) == s {
		return s
	}
	if r, _ := utf8.DecodeLastRuneInString(s); strings.ContainsRune(".!?:;", r) {
		return s
	}
	return s + "."
}

func nameOr(v, what string) string {
	if v == "" {
		return Placeholder(what)
	}
	return v
}

func countArticles(d *Draft) int {
	n := 0
	for _, p := range d.Body {
		if p.Kind == ParagraphArticle {
			n++
		}
	}
	return n
}

// defaultAuthority is the thẩm quyền line of a quyết định (Phụ lục III, Mẫu
// 1.2, note 6): the body when the collective decides (TM.), otherwise the
// head's title followed by the body.
func (c *composer) defaultAuthority() string {
	body := strings.ToUpper(NormalizeLine(c.issuer))
	if body == "" {
		return Placeholder("THẨM QUYỀN BAN HÀNH")
	}
	s := c.signer
	switch {
	case s.Authority == AuthorityOnBehalf || (s.Authority == AuthorityDeputy && s.Collective != ""):
		return body
	case s.Head != "":
		return s.Head + " " + body
	case s.Authority == "" && s.Title != "":
		return s.Title + " " + body
	}
	return body
}

// ----- LLM -----

// DraftSource is a piece of regulation text given to the LLM as a source.
type DraftSource struct {
	Label string `json:"label"`
	Text  string `json:"text"`
}

// PromptField is a filled-in field shown to the LLM.
type PromptField struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// DraftPromptInput is what a drafting prompt is built from.
type DraftPromptInput struct {
	DocType      string
	Subject      string
	Issuer       string
	Part         string // label of the part the model writes
	Instructions string
	// Articles is set when each line the model writes is an article of a
	// quyết định (the drafter numbers them).
	Articles bool
	Fields   []PromptField
	Sources  []DraftSource
}

// writeBody asks the LLM for the recipe's target field when the request
// left it empty, and keeps only what survives sanitising.
func (dr *Drafter) writeBody(ctx context.Context, c *composer) error {
	target := recipeFor(c.tpl).target
	if target == "" || c.fields[target] != "" {
		return nil
	}
	if _, ok := c.fieldDef(target); !ok {
		return nil
	}
	in := DraftPromptInput{
		DocType:      c.tpl.DocType,
		Subject:      c.fields["trich_yeu"],
		Issuer:       NormalizeLine(c.issuer),
		Part:         c.label(target),
		Instructions: c.instructions,
		Articles:     target == "dieu",
		Sources:      c.sources,
	}
	for _, f := range c.tpl.Fields {
		if v := c.fields[f.Name]; v != "" && f.Name != "trich_yeu" {
			in.Fields = append(in.Fields, PromptField{Label: f.Label, Value: v})
		}
	}
	if dr.Prompt == nil {
		return fmt.Errorf("draft: an LLM is configured without a prompt")
	}
	msgs, err := dr.Prompt(in)
	if err != nil {
		return fmt.Errorf("draft: build prompt: %w", err)
	}
	out, err := dr.LLM.Complete(ctx, msgs)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Degrade like answers do: drafting works from fields alone.
		c.notes = append(c.notes, Finding{Rule: RuleLLM, Component: ComponentBody, Severity: SeverityWarning,
			Message: "Không gọi được mô hình ngôn ngữ; phần «" + c.label(target) + "» cần tự soạn."})
		return nil
	}
	paras, replaced := sanitizeLLM(out, c.knownFacts(), target == "dieu")
	if len(paras) > 0 {
		c.fields[target] = strings.Join(paras, "\n")
		c.promptVersion = dr.PromptVersion
		c.notes = append(c.notes, Finding{Rule: RuleLLM, Component: ComponentBody, Severity: SeverityWarning,
			Message: "Phần «" + c.label(target) + "» do mô hình ngôn ngữ soạn theo yêu cầu; cần đọc lại trước khi trình ký."})
	}
	if replaced > 0 {
		c.notes = append(c.notes, Finding{Rule: RuleLLM, Component: ComponentBody, Severity: SeverityWarning,
			Message: fmt.Sprintf("Mô hình ngôn ngữ đã viết %d chi tiết (số hiệu văn bản, ngày tháng, số liệu, trích dẫn hoặc họ tên) không có trong yêu cầu và văn bản căn cứ; các chi tiết đó được thay bằng chỗ [CẦN BỔ SUNG: …].", replaced)})
	}
	return nil
}

// RuleLLM names findings about machine-written text.
const RuleLLM = "Soạn thảo tự động (DESIGN.md, Drafting)"

// ----- rendering -----

// line is one rendered line of a draft with the component it belongs to.
type draftLine struct {
	comp Component
	text string
}

// lines lists the draft's text in reading order, the order of the .docx
// (the two-column header row by row) and of Text. ParseDraftText reads the
// same order back.
func (d *Draft) lines() []draftLine {
	var out []draftLine
	add := func(c Component, s ...string) {
		for _, t := range s {
			out = append(out, draftLine{c, t})
		}
	}
	add(ComponentSuperior, d.Superior...)
	add(ComponentIssuer, d.Issuer...)
	add(ComponentNational, d.National, d.Motto)
	add(ComponentNumber, d.Number)
	if d.PlaceDate != "" {
		add(ComponentPlaceDate, d.PlaceDate)
	}
	if d.Title != "" {
		add(ComponentTitle, d.Title)
	}
	if d.Subject != "" {
		add(ComponentTitle, d.Subject)
	}
	if d.Authority != "" {
		add(ComponentAuthority, d.Authority)
	}
	switch len(d.To) {
	case 0:
	case 1:
		add(ComponentAddressee, "Kính gửi: "+d.To[0])
	default:
		add(ComponentAddressee, "Kính gửi:")
		for _, t := range d.To {
			add(ComponentAddressee, "- "+t)
		}
	}
	for _, b := range d.Bases {
		add(ComponentBases, b.Text)
	}
	if d.Proposal != "" {
		add(ComponentProposal, d.Proposal)
	}
	for _, p := range d.Body {
		add(ComponentBody, p.String())
	}
	sig := func() {
		for _, s := range d.Signatures {
			add(ComponentSignature, s.Lines...)
			add(ComponentSignature, s.Name)
		}
	}
	rec := func() {
		if len(d.Recipients) == 0 {
			return
		}
		add(ComponentRecipients, "Nơi nhận:")
		for _, r := range d.Recipients {
			add(ComponentRecipients, "- "+r)
		}
	}
	if d.RecipientsBesideSignature() {
		rec()
		sig()
	} else {
		sig()
		rec()
	}
	return out
}

// RecipientsBesideSignature reports whether nơi nhận stands on the left of a
// single signature block (Phụ lục I, Phần I, mục II.9.d), rather than below
// signatures that stand side by side (biên bản, Mẫu 1.9).
func (d *Draft) RecipientsBesideSignature() bool { return len(d.Signatures) <= 1 }

// Text renders the draft as plain text, one paragraph per line, blocks
// separated by blank lines, in the reading order of the .docx.
func (d *Draft) Text() string {
	var b strings.Builder
	var prev Component
	for i, l := range d.lines() {
		vv := l.comp == ComponentTitle && d.Title == "" // a công văn's V/v sits under its số
		if i > 0 && l.comp != prev && blockBreak(prev, l.comp) && !vv {
			b.WriteByte('\n')
		}
		b.WriteString(l.text)
		b.WriteByte('\n')
		prev = l.comp
	}
	return b.String()
}

// blockBreak says where Text puts a blank line: around the header, the
// title block, and between the body and the closing blocks.
func blockBreak(prev, next Component) bool {
	return componentRank[prev] != componentRank[next] && componentRank[next] > 2 ||
		prev == ComponentRecipients || (prev == ComponentSignature && next == ComponentRecipients)
}

// HTML renders a self-contained preview of the draft (an <article> with its
// own styles), with placeholders marked.
func (d *Draft) HTML() (template.HTML, error) {
	var buf bytes.Buffer
	if err := draftHTML.Execute(&buf, d); err != nil {
		return "", fmt.Errorf("render draft html: %w", err)
	}
	return template.HTML(buf.String()), nil //nolint:gosec // produced by html/template
}

var draftHTML = template.Must(template.New("draft").Funcs(template.FuncMap{
	"segs": Segments,
}).Parse(`{{define "t"}}{{range segs .}}{{if .Missing}}<mark class="can-bo-sung">{{.Text}}</mark>{{else}}{{.Text}}{{end}}{{end}}{{end -}}
<article class="nd30">
<style>
.nd30{font-family:"Times New Roman",Times,serif;color:#000;background:#fff;max-width:210mm;box-sizing:border-box;padding:20mm 15mm 20mm 30mm;font-size:14pt;line-height:1.3}
.nd30 table{width:100%;border-collapse:collapse}.nd30 td{vertical-align:top;padding:0}
.nd30 .hd td{text-align:center}.nd30 .hd .l{width:38%}.nd30 .b{font-weight:bold}.nd30 .i{font-style:italic}
.nd30 .s12{font-size:12pt}.nd30 .s13{font-size:13pt}.nd30 .s11{font-size:11pt}.nd30 p{margin:0}
.nd30 .rule{display:block;margin:2px auto 0;border-top:1px solid #000}
.nd30 .c{text-align:center}.nd30 .body p{text-align:justify;text-indent:1cm;margin-bottom:6pt}
.nd30 .body p.ce{text-align:center;text-indent:0;font-weight:bold}
.nd30 .bases p{font-style:italic;text-align:justify;text-indent:1cm;margin-bottom:6pt}
.nd30 .sig td{text-align:center}.nd30 .sig td.nn{text-align:left}.nd30 .sig .gap{height:5em}
.nd30 mark.can-bo-sung{background:#ff0}
</style>
<table class="hd"><tr><td class="l">
{{- range .Superior}}<p class="s12">{{template "t" .}}</p>{{end}}
{{- range .Issuer}}<p class="s12 b">{{template "t" .}}</p>{{end}}<span class="rule" style="width:30%"></span>
</td><td><p class="s12 b">{{.National}}</p><p class="s13 b">{{.Motto}}</p><span class="rule" style="width:60%"></span></td></tr>
<tr><td class="s13">{{template "t" .Number}}{{if not .Title}}{{if .Subject}}<p class="s12">{{template "t" .Subject}}</p>{{end}}{{end}}</td><td class="s13 i">{{template "t" .PlaceDate}}</td></tr></table>
{{- if .Title}}
<p class="c b" style="margin-top:12pt">{{.Title}}</p>{{if .Subject}}<p class="c b">{{template "t" .Subject}}</p>{{end}}<span class="rule" style="width:25%"></span>{{end}}
{{- if .Authority}}<p class="c b" style="margin-top:12pt">{{template "t" .Authority}}</p>{{end}}
{{- if .To}}<div class="c" style="margin:12pt 0">{{if eq (len .To) 1}}Kính gửi: {{template "t" (index .To 0)}}{{else}}Kính gửi:{{range .To}}<br>- {{template "t" .}}{{end}}{{end}}</div>{{end}}
{{- if or .Bases .Proposal}}<div class="bases" style="margin-top:12pt">{{range .Bases}}<p>{{template "t" .Text}}</p>{{end}}{{if .Proposal}}<p>{{template "t" .Proposal}}</p>{{end}}</div>{{end}}
<div class="body" style="margin-top:12pt">{{range .Body}}{{if eq .Kind "centered"}}<p class="ce">{{template "t" .Text}}</p>{{else if eq .Kind "heading"}}<p class="b">{{template "t" .Text}}</p>{{else}}<p>{{if .Lead}}<b>{{.Lead}}</b> {{end}}{{template "t" .Text}}</p>{{end}}{{end}}</div>
{{- if eq (len .Signatures) 1}}
<table class="sig" style="margin-top:12pt"><tr><td class="nn" style="width:50%">{{if .Recipients}}<p class="s12 b i">Nơi nhận:</p>{{range .Recipients}}<p class="s11">- {{template "t" .}}</p>{{end}}{{end}}</td>
<td>{{range (index .Signatures 0).Lines}}<p class="b">{{template "t" .}}</p>{{end}}<div class="gap"></div><p class="b">{{template "t" (index .Signatures 0).Name}}</p></td></tr></table>
{{- else}}
<table class="sig" style="margin-top:12pt"><tr>{{range .Signatures}}<td>{{range .Lines}}<p class="b">{{template "t" .}}</p>{{end}}<div class="gap"></div><p class="b">{{template "t" .Name}}</p></td>{{end}}</tr></table>
{{- if .Recipients}}<div style="margin-top:12pt"><p class="s12 b i">Nơi nhận:</p>{{range .Recipients}}<p class="s11">- {{template "t" .}}</p>{{end}}</div>{{end}}
{{- end}}
</article>`))

var filenameNumberRE = regexp.MustCompile(`^Số: (\d+)/`)

// Filename suggests a download name: "quyet-dinh-15-2026-03-05.docx".
func (d *Draft) Filename() string {
	parts := []string{Slug(d.DocType)}
	if m := filenameNumberRE.FindStringSubmatch(d.Number); m != nil {
		parts = append(parts, m[1])
	}
	if d.Date.IsSet() {
		parts = append(parts, d.Date.String())
	}
	name := strings.Join(parts, "-")
	if name == "" {
		name = "van-ban"
	}
	return name + ".docx"
}

// ----- storage -----

// StoredDraft is a draft kept so that its author can open it again and
// download it: the draft and the request it was made from, as JSON, until
// Expires. Drafts hold citizens' personal data, so they are kept for a day,
// not archived.
type StoredDraft struct {
	ID      string
	Draft   []byte // JSON of *Draft
	Request []byte // JSON of DraftRequest
	Created time.Time
	Expires time.Time
}

// DraftStore keeps drafts between requests where every replica of the server
// sees them (handbook/sqlite, handbook/postgres): a draft made on one replica
// must download from another. Times come from the store's clock.
type DraftStore interface {
	// PutDraft stores d under d.ID, first deleting the drafts that have
	// expired. An id already in use is a Conflict.
	PutDraft(ctx context.Context, d *StoredDraft) error
	// StoredDraft returns the draft stored under id. Unknown and expired
	// ids are NotFound.
	StoredDraft(ctx context.Context, id string) (*StoredDraft, error)
}
