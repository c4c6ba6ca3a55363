package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
)

// The drafting pages (issue 7 in the browser). They work without
// JavaScript: choose a template (GET form), fill it in, POST; the draft is
// kept in the drafting API's store (drafts.go) and the browser is sent on
// to /drafts/{id} (post/redirect/get, so a reload does not draft twice),
// which shows the validator's findings, the placeholders still to fill, a
// preview, the text, the .docx download, and the form again to correct and
// redraft. Templates are internal content: every page here is the 404 of
// any internal page for the public (internalOnly, drafts.go).

func (s *Server) routesDraftPages() {
	e := s.echo
	e.GET("/drafts", s.pageDrafts, s.internalOnly)
	e.POST("/drafts", s.pageDraftCreate, s.internalOnly)
	e.GET("/drafts/:id", s.pageDraft, s.internalOnly)
	e.GET("/drafts/:id/preview", s.pageDraftPreview, s.internalOnly)
}

// draftingAvailable reports whether drafting is configured.
func (s *Server) draftingAvailable() bool { return s.opt.Drafter != nil }

type draftsPage struct {
	base
	// CSRF is the form token of a signed-in browser (auth.go).
	CSRF      string
	Available bool
	// LLM is set when body paragraphs can be written from instructions.
	LLM       bool
	Error     string
	Templates []option
	// Template is the chosen template; Fields and Form are its form.
	Template    *handbook.Document
	Fields      []draftField
	Form        draftForm
	Authorities []option
	// Regulations are the căn cứ that may be chosen: those in force on
	// the document date (BasesAt), when the template has căn cứ.
	Regulations []option
	BasesAt     string
	// Draft is set on /drafts/{id}.
	Draft *draftView
}

type option struct {
	Value, Label string
	Selected     bool
}

// draftField is one template field on the form.
type draftField struct {
	ID, Name, Label, Example, Value string
	Required, Multi                 bool
}

// draftForm holds the request fields common to every template, as the
// form shows them (handbook.DraftRequest says what each means).
type draftForm struct {
	Superior, Issuer, IssuerCode, UnitCode, Place, Date, Number string
	Collective, Head, Title, Name, Recipients, Instructions     string
}

type draftView struct {
	ID, DocType, Text, DocxURL, PreviewURL, Filename string
	Findings                                         []findingView
	Errors, Warnings                                 int
	Placeholders                                     []string
}

type findingView struct {
	Error                    bool
	Component, Message, Rule string
}

// signingAuthorities are the choices of Signer.Authority (Phụ lục I, Phần I,
// mục II.7.b Nghị định 30/2020/NĐ-CP).
var signingAuthorities = []option{
	{Value: "", Label: "Người đứng đầu ký (không ghi quyền hạn)"},
	{Value: handbook.AuthorityOnBehalf, Label: "TM. – thay mặt tập thể"},
	{Value: handbook.AuthorityDeputy, Label: "KT. – ký thay người đứng đầu"},
	{Value: handbook.AuthorityActing, Label: "Q. – quyền người đứng đầu"},
	{Value: handbook.AuthorityByOrder, Label: "TL. – thừa lệnh"},
	{Value: handbook.AuthorityDelegation, Label: "TUQ. – thừa ủy quyền"},
}

func (s *Server) newDraftsPage(c echo.Context, key string) draftsPage {
	p := draftsPage{base: base{Title: "Soạn thảo văn bản", Nav: "drafts"}, CSRF: s.csrfToken(c), Available: s.draftingAvailable()}
	if !p.Available {
		return p
	}
	dr := s.opt.Drafter
	p.LLM = dr.LLM != nil
	chosen, _ := handbook.FindTemplate(dr.Library(), key)
	for _, d := range dr.Templates() {
		label := d.Title
		if a := d.Template.Abbr; a != "" {
			label += " (" + a + ")"
		}
		p.Templates = append(p.Templates, option{Value: strings.TrimPrefix(d.ID, "templates/"), Label: label,
			Selected: chosen != nil && chosen.ID == d.ID})
	}
	return p
}

// pageDrafts renders /drafts (the template chooser) and
// /drafts?template=slug (its form).
func (s *Server) pageDrafts(c echo.Context) error {
	key := strings.TrimSpace(c.QueryParam("template"))
	p := s.newDraftsPage(c, key)
	if !p.Available || key == "" {
		return s.page(c, http.StatusOK, "drafts", p)
	}
	if err := s.setDraftForm(&p, key, handbook.DraftRequest{}); err != nil {
		p.Error = handbook.ErrorMessage(err)
		return s.page(c, statusOf(err), "drafts", p)
	}
	return s.page(c, http.StatusOK, "drafts", p)
}

// setDraftForm lays out the form of template key with the values of req.
func (s *Server) setDraftForm(p *draftsPage, key string, req handbook.DraftRequest) error {
	dr := s.opt.Drafter
	lib := dr.Library()
	tpl, err := handbook.FindTemplate(lib, key)
	if err != nil {
		return err
	}
	p.Template = tpl
	p.Title = tpl.Template.DocType + " – Soạn thảo văn bản"
	for _, f := range tpl.Template.Fields {
		p.Fields = append(p.Fields, draftField{ID: "f-" + f.Name, Name: "f." + f.Name, Label: f.Label, Example: f.Example,
			Value: req.Fields[f.Name], Required: f.Required, Multi: f.Multi})
	}
	p.Form = draftForm{Superior: req.Superior, Issuer: req.Issuer, IssuerCode: req.IssuerCode, UnitCode: req.UnitCode,
		Place: req.Place, Date: req.Date, Number: req.Number, Collective: req.Signer.Collective, Head: req.Signer.Head,
		Title: req.Signer.Title, Name: req.Signer.Name, Recipients: strings.Join(req.Recipients, "\n"), Instructions: req.Instructions}
	for _, a := range signingAuthorities {
		a.Selected = a.Value == req.Signer.Authority
		p.Authorities = append(p.Authorities, a)
	}
	if !slices.Contains(tpl.Template.Structure, string(handbook.ComponentBases)) {
		return nil
	}
	// Only regulations in force on the document's date can be căn cứ
	// (DESIGN.md, Drafting); the drafter checks again.
	at := handbook.Today(s.opt.Now())
	if d, err := handbook.ParseDate(req.Date); err == nil {
		at = d
	}
	p.BasesAt = at.Vietnamese()
	chosen := map[string]bool{}
	for _, r := range req.LegalBases {
		chosen[r.Doc] = true
	}
	for _, d := range lib.All() {
		if d.Kind == handbook.KindRegulation && d.Status != handbook.StatusArchived && d.ValidityAt(at) == handbook.InForce {
			p.Regulations = append(p.Regulations, option{Value: d.ID, Label: d.Title, Selected: chosen[d.ID]})
		}
	}
	return nil
}

// draftRequestOf reads the drafting form. Template fields are named
// "f.<name>" so that they cannot collide with the common ones.
func draftRequestOf(v url.Values) handbook.DraftRequest {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	req := handbook.DraftRequest{
		Template: get("template"), Fields: map[string]string{},
		Superior: get("superior"), Issuer: get("issuer"), IssuerCode: get("issuer_code"), UnitCode: get("unit_code"),
		Place: get("place"), Date: get("date"), Number: get("number"), Instructions: get("instructions"),
		Signer: handbook.Signer{Authority: get("signer_authority"), Collective: get("signer_collective"),
			Head: get("signer_head"), Title: get("signer_title"), Name: get("signer_name")},
	}
	for k, vals := range v {
		if name, ok := strings.CutPrefix(k, "f."); ok && name != "" && len(vals) > 0 {
			if val := strings.TrimSpace(strings.ReplaceAll(vals[0], "\r\n", "\n")); val != "" {
				req.Fields[name] = val
			}
		}
	}
	for _, l := range strings.Split(v.Get("recipients"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			req.Recipients = append(req.Recipients, l)
		}
	}
	for _, doc := range v["legal_bases"] {
		if doc = strings.TrimSpace(doc); doc != "" {
			req.LegalBases = append(req.LegalBases, handbook.Reference{Doc: doc})
		}
	}
	return req
}

// pageDraftCreate handles the form: a draft goes to its page; a request the
// drafter refuses comes back as the form with the message.
func (s *Server) pageDraftCreate(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return handbook.Errorf(handbook.Invalid, "Biểu mẫu gửi lên không đọc được.", "read draft form: %w", err)
	}
	req := draftRequestOf(form)
	p := s.newDraftsPage(c, req.Template)
	if !p.Available {
		return s.page(c, http.StatusServiceUnavailable, "drafts", p)
	}
	if req.Template == "" {
		p.Error = "Vui lòng chọn loại văn bản cần soạn."
		return s.page(c, http.StatusBadRequest, "drafts", p)
	}
	d, err := s.draft(c, s.opt.Drafter, req)
	if err != nil {
		if handbook.ErrorCode(err) == handbook.Internal || c.Request().Context().Err() != nil {
			return err
		}
		p.Error = handbook.ErrorMessage(err)
		// The form comes back with what was typed, so that nothing is
		// lost, but a value over the limit only up to the limit: the page
		// must stay light on a commune line.
		if clipDraftRequest(&req, handbook.MaxFieldRunes) {
			p.Error += fmt.Sprintf(" Biểu mẫu dưới đây chỉ giữ lại %s ký tự đầu của trường quá dài; hãy rút gọn rồi gửi lại.", groupThousands(handbook.MaxFieldRunes))
		}
		if ferr := s.setDraftForm(&p, req.Template, req); ferr != nil && p.Error == "" {
			p.Error = handbook.ErrorMessage(ferr)
		}
		return s.page(c, statusOf(err), "drafts", p)
	}
	return c.Redirect(http.StatusSeeOther, "/drafts/"+d.ID)
}

// pageDraft renders /drafts/{id}: the draft, its findings and its form.
func (s *Server) pageDraft(c echo.Context) error {
	if !s.draftingAvailable() {
		return handbook.Errorf(handbook.NotFound, "Không tìm thấy nội dung yêu cầu.", "drafting not configured")
	}
	sd, err := s.drafts.get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	d := sd.draft
	p := s.newDraftsPage(c, sd.req.Template)
	if err := s.setDraftForm(&p, sd.req.Template, sd.req); err != nil {
		p.Error = handbook.ErrorMessage(err) // the template is gone; the draft still shows
	}
	p.Title = d.DocType + " – Soạn thảo văn bản"
	v := &draftView{ID: d.ID, DocType: d.DocType, Text: d.Text(), Placeholders: d.Placeholders, Filename: d.Filename(),
		DocxURL: draftURL(d.ID) + ".docx", PreviewURL: "/drafts/" + d.ID + "/preview"}
	for _, f := range d.Findings {
		fv := findingView{Error: f.Severity == handbook.SeverityError, Message: f.Message, Rule: f.Rule}
		if f.Component != "" {
			fv.Component = f.Component.Label()
		}
		if fv.Error {
			v.Errors++
		} else {
			v.Warnings++
		}
		v.Findings = append(v.Findings, fv)
	}
	// Errors first, each group in the validator's order.
	slices.SortStableFunc(v.Findings, func(a, b findingView) int {
		switch {
		case a.Error == b.Error:
			return 0
		case a.Error:
			return -1
		}
		return 1
	})
	p.Draft = v
	return s.page(c, http.StatusOK, "drafts", p)
}

// pageDraftPreview serves the draft's own HTML (handbook.Draft.HTML, the
// same as the API's "html") as a document of its own, shown in a frame on
// /drafts/{id} and printable alone. That HTML carries its own styles (the
// NĐ 30 layout); this one response allows inline styles, under a policy
// that allows nothing else (no script, no request anywhere) and lets only
// this site frame it. Draft.HTML comes from html/template, so the draft's
// text is escaped.
func (s *Server) pageDraftPreview(c echo.Context) error {
	sd, err := s.drafts.get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	body, err := sd.draft.HTML()
	if err != nil {
		return err
	}
	b, err := s.views.renderStandalone("draft_preview", map[string]any{"Title": sd.draft.DocType, "Body": body})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Cache-Control", "no-store") // drafts hold personal data
	return c.HTMLBlob(http.StatusOK, b)
}

// clipDraftRequest cuts every value of req to at most n runes and reports
// whether it cut any.
func clipDraftRequest(req *handbook.DraftRequest, n int) bool {
	clipped := false
	clip := func(v *string) {
		if utf8.RuneCountInString(*v) > n {
			*v = string([]rune(*v)[:n])
			clipped = true
		}
	}
	for k, v := range req.Fields {
		clip(&v)
		req.Fields[k] = v
	}
	for i := range req.Recipients {
		clip(&req.Recipients[i])
	}
	for _, v := range []*string{&req.Superior, &req.Issuer, &req.IssuerCode, &req.UnitCode, &req.Place, &req.Date, &req.Number,
		&req.Instructions, &req.Signer.Authority, &req.Signer.Collective, &req.Signer.Head, &req.Signer.Title, &req.Signer.Name} {
		clip(v)
	}
	return clipped
}

// groupThousands writes n with dots between thousands, the Vietnamese way.
func groupThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return s
}
