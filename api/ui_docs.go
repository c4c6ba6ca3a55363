package api

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
)

// docPage is what every document page shows.
type docPage struct {
	base
	Doc      *handbook.Document
	Validity handbook.Validity
	// Banner explains the validity when it matters (regulations always,
	// other documents only when not in force).
	Banner     string
	ReplacedBy *refView
	// Body is the document HTML rendered by handbook/markdown at load time
	// (goldmark without html.WithUnsafe: raw HTML in content is dropped).
	Body template.HTML
	// Shifted says Body's headings were moved one level down because the
	// Markdown used "#" (Chương, Phần) under the page's own <h1>.
	Shifted    bool
	TOC        []tocEntry
	LegalBasis []refView
	Sources    []sourceView
	Reviewed   string
	PrintURL   string
	PageURL    string // absolute public URL (what the QR code encodes)
}

// refView is a link to a place in another document.
type refView struct {
	Label, URL, Note string
}

type sourceView struct {
	URL, Host string
	Official  bool
}

type tocEntry struct {
	Anchor, Label string
	Level         int
}

// pageDoc renders /docs/{id...} by kind. ?print=1 gives the print layout.
func (s *Server) pageDoc(c echo.Context) error {
	id := strings.Trim(c.Param("*"), "/")
	if id == "" {
		return s.pageDocs(c)
	}
	if u, err := url.PathUnescape(id); err == nil {
		id = u
	}
	d, err := s.doc(c, id)
	if err != nil {
		return err
	}
	dp := s.docPageOf(c, d)
	switch d.Kind {
	case handbook.KindProcedure:
		return s.page(c, http.StatusOK, "procedure", s.procedurePageOf(c, dp))
	case handbook.KindRegulation:
		return s.page(c, http.StatusOK, "regulation", s.regulationPageOf(c, dp))
	}
	return s.page(c, http.StatusOK, "document", s.documentPageOf(c, dp))
}

func (s *Server) docPageOf(c echo.Context, d *handbook.Document) docPage {
	today := handbook.Today(s.opt.Now())
	dp := docPage{
		base:     base{Title: d.Title, Description: clip(d.Summary, 160), Nav: string(d.Kind), Print: c.QueryParam("print") != ""},
		Doc:      d,
		Validity: d.ValidityAt(today),
		Reviewed: d.Reviewed.Vietnamese(),
		PrintURL: docURL(d.ID, "") + "?print=1",
		PageURL:  s.publicURL(c, docURL(d.ID, "")),
	}
	body, shifted := shiftHeadings(d.HTML)
	dp.Body, dp.Shifted = template.HTML(body), shifted // #nosec: rendered by goldmark without unsafe HTML
	switch dp.Validity {
	case handbook.NotYet:
		dp.Banner = "Chưa có hiệu lực: áp dụng từ ngày " + d.ValidFrom().Vietnamese() + "."
	case handbook.Expired:
		dp.Banner = "Hết hiệu lực từ ngày " + d.ValidTo().Vietnamese() + "."
		if d.Kind == handbook.KindFAQ {
			// An FAQ's expires is its review date (docs/CONTENT.md).
			dp.Banner = "Câu trả lời đã quá hạn rà soát từ ngày " + d.ValidTo().Vietnamese() +
				": có thể không còn đúng. Đối chiếu căn cứ pháp lý trước khi dùng; đơn vị phụ trách cần rà soát lại trang này."
		}
	}
	for _, r := range d.LegalBasis {
		dp.LegalBasis = append(dp.LegalBasis, s.ref(c, r.Doc, r.Article, r.Note))
	}
	for _, src := range d.Sources {
		u, err := url.Parse(src)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		dp.Sources = append(dp.Sources, sourceView{URL: src, Host: u.Host, Official: officialHost(u.Host)})
	}
	return dp
}

// headingTag matches the start and end tags of headings in goldmark's
// output. Text there is escaped, so "<h" only ever starts a tag.
var headingTag = regexp.MustCompile(`<(/?)h([1-6])([ >])`)

// shiftHeadings moves every heading of a rendered body one level down when
// the body has an <h1>: the page title is the page's only <h1>, so that a
// screen reader's outline reads Luật › Chương › Điều, not three top-level
// headings. Anchors (the id attributes) do not change. An <h6> stays.
func shiftHeadings(body string) (string, bool) {
	if !strings.Contains(body, "<h1") {
		return body, false
	}
	return headingTag.ReplaceAllStringFunc(body, func(tag string) string {
		m := headingTag.FindStringSubmatch(tag)
		level := int(m[2][0]-'0') + 1
		if level > 6 {
			level = 6
		}
		return "<" + m[1] + "h" + strconv.Itoa(level) + m[3]
	}), true
}

// ref resolves a reference to a document (and anchor) the caller may see.
// Unknown or hidden targets keep their label but get no link.
func (s *Server) ref(c echo.Context, id, anchor, note string) refView {
	if !strings.Contains(id, "/") {
		id = "regulations/" + id // legal_basis may omit the folder (docs/CONTENT.md)
	}
	d, ok := s.library().Doc(id)
	if !ok || !handbook.Visible(d, callerAudience(c)) {
		label := id
		if l := handbook.AnchorLabel(anchor); l != "" {
			label = l + " " + id
		}
		return refView{Label: label, Note: note}
	}
	return refView{Label: handbook.CitationLabel(d, anchor), URL: docURL(d.ID, anchor), Note: note}
}

// officialHost reports whether a host belongs to a Vietnamese state body
// (.gov.vn): those are the only external sites the UI links as official.
func officialHost(host string) bool {
	host = strings.ToLower(host)
	return host == "gov.vn" || strings.HasSuffix(host, ".gov.vn") || host == "vbpl.vn" || strings.HasSuffix(host, ".vbpl.vn")
}

// publicURL is base-url + path; without a configured base URL it is built
// from the request, which is right for a single commune PC.
func (s *Server) publicURL(c echo.Context, p string) string {
	if s.opt.BaseURL != "" {
		return s.opt.BaseURL + p
	}
	return c.Scheme() + "://" + c.Request().Host + p
}

// tocOf lists the structural sections: parts, chapters, divisions and
// articles for regulations, headings for everything else.
func tocOf(d *handbook.Document) []tocEntry {
	var out []tocEntry
	for _, sec := range d.SectionList() {
		lvl := 0
		switch sec.Kind {
		case handbook.SectionPart, handbook.SectionChapter:
			lvl = 1
		case handbook.SectionDivision:
			lvl = 2
		case handbook.SectionArticle:
			lvl = 3
		case handbook.SectionHeading:
			if d.Kind != handbook.KindRegulation {
				lvl = 3
			}
		}
		if lvl == 0 || sec.Anchor == "" || sec.Heading == "" {
			continue
		}
		out = append(out, tocEntry{Anchor: sec.Anchor, Label: sec.Heading, Level: lvl})
	}
	return out
}

type procedurePage struct {
	docPage
	P         *handbook.Procedure
	Documents []dossierView
	// DVC is the online-service link when it is on an official site.
	DVC       string
	Online    bool
	ReadAloud []string
	// Steps are the front-matter steps, shown when the body has no
	// "Các bước thực hiện" section of its own.
	Steps  []string
	QRSVG  string
	QRPNG  string
	Fields []string
}

type dossierView struct {
	ID                 string
	Name, Copies, Note string
}

func (s *Server) procedurePageOf(c echo.Context, dp docPage) procedurePage {
	d, p := dp.Doc, dp.Doc.Procedure
	if p == nil {
		p = &handbook.Procedure{}
	}
	pp := procedurePage{docPage: dp, P: p, ReadAloud: readAloud(d),
		QRSVG: "/api/v1/procedures/" + d.ID + "/qr.svg", QRPNG: "/api/v1/procedures/" + d.ID + "/qr.png"}
	pp.Nav = "procedure"
	for i, it := range p.Documents {
		pp.Documents = append(pp.Documents, dossierView{ID: "ui-hs-" + strconv.Itoa(i+1), Name: it.Name, Copies: it.Copies, Note: it.Note})
	}
	pp.Online = onlineService(p)
	if u, err := url.Parse(p.DVCURL); err == nil && u.Scheme == "https" && officialHost(u.Host) && pp.Online {
		pp.DVC = p.DVCURL
	}
	if _, ok := d.Section("cac-buoc-thuc-hien"); !ok {
		pp.Steps = p.Steps
	}
	pp.TOC = tocOf(d)
	return pp
}

// readAloud builds the "đọc cho người gọi" short form from front matter: one
// sentence per fact a caller asks first (where, what to bring, how long, how
// much, online, whom to call), 3–6 sentences. Dossier items marked as only
// for some cases are counted, not read, so that a caller is not told to
// bring papers that do not apply to them.
func readAloud(d *handbook.Document) []string {
	p := d.Procedure
	if p == nil {
		return nil
	}
	var out []string
	switch {
	case p.Where != "":
		out = append(out, sentence(d.Title+": nộp hồ sơ tại "+lowerFirst(p.Where)))
	case p.Agency != "":
		out = append(out, sentence(d.Title+": do "+p.Agency+" giải quyết"))
	}
	var main []string
	special := 0
	for _, it := range p.Documents {
		note := handbook.Fold(it.Note)
		if strings.HasPrefix(note, "chi ") || strings.HasPrefix(note, "neu ") ||
			strings.HasPrefix(note, "truong hop") || strings.HasPrefix(note, "khi ") {
			special++
			continue
		}
		main = append(main, lowerFirst(strings.TrimRight(it.Name, " .;")))
	}
	if len(main) > 0 {
		s := "Hồ sơ gồm: " + strings.Join(main, "; ")
		if special > 0 {
			s += "; một số trường hợp cần thêm " + strconv.Itoa(special) + " loại giấy tờ khác"
		}
		out = append(out, sentence(s))
	}
	if p.TimeLimit != "" {
		out = append(out, sentence("Thời hạn giải quyết: "+lowerFirst(p.TimeLimit)))
	}
	if p.Fee != "" {
		out = append(out, sentence("Phí, lệ phí: "+lowerFirst(p.Fee)))
	}
	if onlineService(p) {
		s := "Có thể nộp trực tuyến trên Cổng Dịch vụ công quốc gia"
		if p.Online != "" {
			s = "Có thể nộp trực tuyến (" + p.Online + ") trên Cổng Dịch vụ công quốc gia"
		}
		out = append(out, sentence(s))
	}
	if p.Hotline != "" && len(out) < 6 {
		out = append(out, sentence("Cần hỗ trợ thêm, liên hệ "+lowerFirst(p.Hotline)))
	}
	if len(out) < 3 && d.Summary != "" {
		out = append([]string{sentence(d.Summary)}, out...)
	}
	if len(out) > 6 {
		out = out[:6]
	}
	return out
}

// onlineService reports whether the procedure can be filed online: its
// online level says so, or (when the level is not recorded) its channels
// list "trực tuyến".
func onlineService(p *handbook.Procedure) bool {
	switch handbook.Fold(p.Online) {
	case "toan trinh", "mot phan":
		return true
	case "khong":
		return false
	}
	for _, c := range p.Channels {
		if handbook.Fold(c) == "truc tuyen" {
			return true
		}
	}
	return false
}

// sentence ends s with exactly one full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, " .;,:")
	return s + "."
}

// lowerFirst lowercases the first letter unless the first word looks like a
// name or an abbreviation (a second capital, as in "UBND", "Ủy ban").
func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) < 2 {
		return s
	}
	word := strings.Fields(s)[0]
	if strings.ToUpper(word) == word { // abbreviation: UBND, CCCD
		return s
	}
	for _, proper := range []string{"Ủy ban", "Uỷ ban", "Trung tâm", "Công an", "Bộ ", "Sở ", "Chủ tịch", "Tổng đài", "Cổng ", "Hội đồng", "Phòng ", "Văn phòng", "Bảo hiểm", "Ngân hàng", "Nhà nước", "Tòa án", "Toà án", "Viện ", "Cơ quan", "Ban chỉ huy", "Quỹ "} {
		if strings.HasPrefix(s, proper) {
			return s
		}
	}
	return strings.ToLower(string(r[0])) + string(r[1:])
}

type regulationPage struct {
	docPage
	R       *handbook.Regulation
	Amended []refView
	// Related are the procedures that cite this regulation.
	Related    []docItem
	Summarised bool
}

func (s *Server) regulationPageOf(c echo.Context, dp docPage) regulationPage {
	d := dp.Doc
	r := d.Regulation
	if r == nil {
		r = &handbook.Regulation{}
	}
	rp := regulationPage{docPage: dp, R: r, Summarised: r.Summarised}
	rp.TOC = tocOf(d)
	from, to := d.ValidFrom(), d.ValidTo()
	switch rp.Validity {
	case handbook.InForce:
		rp.Banner = "Còn hiệu lực"
		if from.IsSet() {
			rp.Banner += " từ ngày " + from.Vietnamese()
		}
		if to.IsSet() {
			rp.Banner += "; hết hiệu lực từ ngày " + to.Vietnamese()
		}
		rp.Banner += "."
	case handbook.NotYet:
		rp.Banner = "Chưa có hiệu lực: có hiệu lực từ ngày " + from.Vietnamese() + "."
	case handbook.Expired:
		rp.Banner = "Hết hiệu lực từ ngày " + to.Vietnamese() + "."
	}
	if r.ReplacedBy != "" {
		ref := s.ref(c, r.ReplacedBy, "", "")
		rp.ReplacedBy = &ref
	}
	for _, a := range r.AmendedBy {
		if strings.Contains(a, "/") && !strings.Contains(a, " ") {
			if _, ok := s.library().Doc(a); ok {
				rp.Amended = append(rp.Amended, s.ref(c, a, "", ""))
				continue
			}
		}
		rp.Amended = append(rp.Amended, refView{Label: a})
	}
	a := callerAudience(c)
	for _, o := range s.library().All() {
		if o.Kind != handbook.KindProcedure || !listed(o, a) {
			continue
		}
		for _, lb := range o.LegalBasis {
			if lb.Doc == d.ID {
				rp.Related = append(rp.Related, itemOf(o))
				break
			}
		}
	}
	return rp
}

type documentPage struct {
	docPage
	KindName string
	Template *handbook.Template
	// DraftURL opens the drafting page with this template, when drafting
	// is available.
	DraftURL string
}

func (s *Server) documentPageOf(c echo.Context, dp docPage) documentPage {
	p := documentPage{docPage: dp, KindName: kindLabel(dp.Doc.Kind), Template: dp.Doc.Template}
	if len(tocOf(dp.Doc)) > 2 {
		p.TOC = tocOf(dp.Doc)
	}
	if dp.Doc.Kind == handbook.KindTemplate && s.draftingAvailable() && callerAudience(c) == handbook.AudienceInternal {
		p.DraftURL = "/drafts?template=" + url.QueryEscape(strings.TrimPrefix(dp.Doc.ID, "templates/"))
	}
	return p
}
