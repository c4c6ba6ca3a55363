package api

import (
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// routesUI registers the web UI: server-rendered pages that work without
// JavaScript, the static files, the service worker and the crawler files.
func (s *Server) routesUI() {
	e := s.echo
	e.GET("/", s.pageHome)
	e.GET("/search", s.pageSearch)
	e.GET("/docs", s.pageDocs)
	e.GET("/docs/*", s.pageDoc)
	e.GET("/ask", s.pageAsk)
	e.POST("/ask", s.pageAsk)
	s.routesDraftPages()
	e.GET("/qr/sheet", s.pageQRSheet)
	e.GET("/offline", s.pageOffline)
	e.GET("/static/*", s.serveStatic)
	e.GET("/sw.js", s.serviceWorker)
	e.GET("/sitemap.xml", s.sitemap)
	e.GET("/robots.txt", s.robots)
	e.GET("/favicon.ico", func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, "/static/icon.svg")
	})
	e.GET("/api/v1/procedures/*", s.apiProcedureQR)
}

// base is what the layout needs on every page.
type base struct {
	Title       string
	Description string
	// Nav is the key of the active navigation item.
	Nav string
	// Print selects the print layout (?print=1).
	Print bool
	// Q fills the search box in the header.
	Q string
	// Staff is set by page for callers who may see internal content
	// (officials): the layout then shows their tools (drafting).
	Staff bool
}

// navItems are the header links, in order.
var navItems = []struct{ Key, Href, Label string }{
	{"search", "/search", "Tra cứu"},
	{"procedure", "/docs?kind=procedure", "Thủ tục"},
	{"regulation", "/docs?kind=regulation", "Văn bản"},
	{"guide", "/docs?kind=guide", "Công nghệ"},
	{"faq", "/docs?kind=faq", "Hỏi đáp"},
	{"ask", "/ask", "Hỏi nhanh"},
	{"drafts", "/drafts", "Soạn thảo"},
	{"qr", "/qr/sheet", "Mã QR"},
	{"tickets", "/tickets", "Phiếu hỏi"},
	{"login", "/login", "Đăng nhập"},
}

// staffOnly are the links shown only to officials, publicOnly only to
// anonymous callers.
var (
	staffOnly  = map[string]bool{"drafts": true, "tickets": true}
	publicOnly = map[string]bool{"login": true}
)

// NavItems lists the header links the caller can use: drafting is for
// officials only (its pages are 404 for the public).
func (b base) NavItems() []struct{ Key, Href, Label string } {
	out := make([]struct{ Key, Href, Label string }, 0, len(navItems))
	for _, it := range navItems {
		if b.Staff && !publicOnly[it.Key] || !b.Staff && !staffOnly[it.Key] {
			out = append(out, it)
		}
	}
	return out
}

// withStaff returns a copy of a page's data with base.Staff set. Every page
// type embeds base; setting the flag here, once, spares each handler (and
// each engineer adding a page) from having to remember it.
func withStaff(data any, staff bool) any {
	v := reflect.ValueOf(data)
	if !staff || v.Kind() != reflect.Struct {
		return data
	}
	cp := reflect.New(v.Type()).Elem()
	cp.Set(v)
	f := cp.FieldByName("Staff")
	if !f.IsValid() || !f.CanSet() || f.Kind() != reflect.Bool {
		return data
	}
	f.SetBool(true)
	return cp.Interface()
}

// page renders a page template with status.
func (s *Server) page(c echo.Context, status int, name string, data any) error {
	data = withStaff(data, callerAudience(c) == handbook.AudienceInternal)
	b, err := s.views.render(name, data)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	// Pages may show internal content to token holders: no shared caches.
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Authorization")
	return c.HTMLBlob(status, b)
}

type errorPage struct {
	base
	Status  int
	Message string
}

// renderError writes the HTML error page; handleError is its only caller.
func (s *Server) renderError(c echo.Context, status int, msg string) {
	data := errorPage{base: base{Title: "Lỗi " + http.StatusText(status)}, Status: status, Message: msg}
	switch status {
	case http.StatusNotFound:
		data.Title = "Không tìm thấy trang"
	case http.StatusServiceUnavailable:
		data.Title = "Hệ thống đang bận"
	case http.StatusBadRequest:
		data.Title = "Yêu cầu không hợp lệ"
	}
	b, err := s.views.render("error", data)
	if err != nil {
		s.log.Error("render error page", "err", err)
		b = []byte("<!doctype html><html lang=\"vi\"><title>Lỗi</title><p>Đã có lỗi xảy ra.</p></html>")
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if err := c.HTMLBlob(status, b); err != nil {
		s.log.Warn("write error page", "err", err)
	}
}

var kindLabels = map[handbook.Kind][2]string{
	handbook.KindProcedure:  {"Thủ tục hành chính", "Thủ tục hành chính"},
	handbook.KindRegulation: {"Văn bản pháp luật", "Văn bản pháp luật"},
	handbook.KindGuide:      {"Hướng dẫn công nghệ", "Hướng dẫn công nghệ"},
	handbook.KindFAQ:        {"Hỏi đáp", "Câu hỏi thường gặp"},
	handbook.KindTemplate:   {"Mẫu văn bản", "Mẫu văn bản"},
}

func kindLabel(k handbook.Kind) string {
	if l, ok := kindLabels[k]; ok {
		return l[0]
	}
	return string(k)
}

func kindPlural(k handbook.Kind) string {
	if l, ok := kindLabels[k]; ok {
		return l[1]
	}
	return string(k)
}

func validityLabel(v handbook.Validity) string {
	switch v {
	case handbook.InForce:
		return "Còn hiệu lực"
	case handbook.NotYet:
		return "Chưa có hiệu lực"
	case handbook.Expired:
		return "Hết hiệu lực"
	}
	return ""
}

// listed reports whether d belongs in lists, the home page, QR sheets and the
// sitemap for a caller with audience a: visible to them and not archived.
func listed(d *handbook.Document, a handbook.Audience) bool {
	return handbook.Visible(d, a) && d.Status != handbook.StatusArchived
}

// docItem is a document in a list.
type docItem struct {
	ID, URL, Title, Summary, Code, Field string
	Kind                                 handbook.Kind
	Draft                                bool
}

func itemOf(d *handbook.Document) docItem {
	it := docItem{ID: d.ID, URL: docURL(d.ID, ""), Title: d.Title, Summary: clip(d.Summary, 220),
		Kind: d.Kind, Field: d.Field(), Draft: d.Status == handbook.StatusDraft}
	if d.Procedure != nil {
		it.Code = d.Procedure.Code
	}
	return it
}

// clip shortens s to at most n runes, at a word boundary, with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	if i := strings.LastIndexByte(string(r), ' '); i > len(string(r))/2 {
		return strings.TrimRight(string(r)[:i], " ,;:.") + "…"
	}
	return string(r) + "…"
}

// fieldGroup is the procedures of one field (lĩnh vực).
type fieldGroup struct {
	Field string
	Items []docItem
	More  int // procedures not shown
}

// procedureFields groups the listed procedures by field, fields in
// Vietnamese order, titles in Vietnamese order within each field.
func (s *Server) procedureFields(a handbook.Audience, match func(*handbook.Document) bool) []fieldGroup {
	byField := map[string][]docItem{}
	for _, d := range s.library().All() { // All is in Vietnamese title order
		if d.Kind != handbook.KindProcedure || !listed(d, a) || (match != nil && !match(d)) {
			continue
		}
		f := d.Field()
		if f == "" {
			f = "Khác"
		}
		byField[f] = append(byField[f], itemOf(d))
	}
	out := make([]fieldGroup, 0, len(byField))
	for f, items := range byField {
		out = append(out, fieldGroup{Field: f, Items: items})
	}
	col := collate.New(language.Vietnamese)
	slices.SortFunc(out, func(x, y fieldGroup) int { return col.CompareString(x.Field, y.Field) })
	return out
}

// fieldNames lists the fields of the listed procedures.
func (s *Server) fieldNames(a handbook.Audience) []string {
	var out []string
	for _, g := range s.procedureFields(a, nil) {
		out = append(out, g.Field)
	}
	return out
}

type homePage struct {
	base
	Fields []fieldGroup
	Counts []kindCount
}

type kindCount struct {
	Kind  handbook.Kind
	Label string
	N     int
}

// homePerField is how many procedures the home page shows per field; the
// rest are one click away.
const homePerField = 5

// popularity ranks procedures until the question log can: how many other
// pages the caller may see link to it (FAQ answers, other procedures) plus
// how many names people use for it (aliases). Both grow with how often a
// procedure is asked about, and both are visible in the content.
func popularity(lib *handbook.Library, a handbook.Audience) map[string]int {
	score := map[string]int{}
	for _, d := range lib.All() {
		if d.Kind == handbook.KindProcedure {
			score[d.ID] += len(d.Aliases)
		}
		if !handbook.Visible(d, a) {
			continue
		}
		seen := map[string]bool{d.ID: true}
		for _, l := range d.Links {
			if !seen[l.Doc] {
				seen[l.Doc] = true
				score[l.Doc]++
			}
		}
	}
	return score
}

func (s *Server) pageHome(c echo.Context) error {
	a := callerAudience(c)
	fields := s.procedureFields(a, nil)
	// Fields with more procedures first, a stand-in for demand.
	slices.SortStableFunc(fields, func(x, y fieldGroup) int { return len(y.Items) - len(x.Items) })
	pop := popularity(s.library(), a)
	for i := range fields {
		slices.SortStableFunc(fields[i].Items, func(x, y docItem) int { return pop[y.ID] - pop[x.ID] })
		if n := len(fields[i].Items); n > homePerField {
			fields[i].Items, fields[i].More = fields[i].Items[:homePerField], n-homePerField
		}
	}
	counts := map[handbook.Kind]int{}
	for _, d := range s.library().All() {
		if listed(d, a) {
			counts[d.Kind]++
		}
	}
	data := homePage{
		base:   base{Title: "Trang chủ", Description: "Tra cứu thủ tục hành chính, văn bản pháp luật và hướng dẫn công nghệ cho cấp xã.", Nav: "home"},
		Fields: fields,
	}
	for _, k := range handbook.Kinds {
		if counts[k] > 0 {
			data.Counts = append(data.Counts, kindCount{Kind: k, Label: kindPlural(k), N: counts[k]})
		}
	}
	return s.page(c, http.StatusOK, "home", data)
}

type docsPage struct {
	base
	Kind    handbook.Kind
	Field   string
	Fields  []fieldGroup // procedures, grouped
	Groups  []kindGroup  // other kinds
	Total   int
	Filters []string
	Pager   *pager
}

type kindGroup struct {
	Kind  handbook.Kind
	Label string
	Items []docItem
	More  int // documents not shown, one click away
}

// List sizes: a list page must stay within the page budget (150 KB with
// what it loads) however large the knowledge base grows. The overview
// (/docs) shows the first few of each group, a kind's page shows the
// first per field or one page of documents, a field's page shows all of
// its procedures (a field holds at most a few dozen).
const (
	overviewPerGroup = 8
	kindPerField     = 12
	listPerPage      = 50
)

// pager is the page navigation of a long list.
type pager struct {
	Page, Pages int
	Prev, Next  string
}

// pageDocs lists documents: ?kind= one kind, ?field= one procedure field.
func (s *Server) pageDocs(c echo.Context) error {
	a := callerAudience(c)
	kind := handbook.Kind(c.QueryParam("kind"))
	if kind != "" && !validKind(kind) {
		return handbook.Errorf(handbook.Invalid, "Loại nội dung không hợp lệ.", "bad kind %q", kind)
	}
	field := strings.TrimSpace(c.QueryParam("field"))
	data := docsPage{base: base{Title: "Tất cả nội dung", Nav: string(kind)}, Kind: kind, Field: field}
	if kind != "" {
		data.Title = kindPlural(kind)
	}
	if kind == "" || kind == handbook.KindProcedure {
		data.Fields = s.procedureFields(a, func(d *handbook.Document) bool {
			return field == "" || handbook.Fold(d.Field()) == handbook.Fold(field)
		})
		per := kindPerField
		if kind == "" {
			per = overviewPerGroup
		}
		for i, g := range data.Fields {
			data.Total += len(g.Items)
			if n := len(g.Items); field == "" && n > per {
				data.Fields[i].Items, data.Fields[i].More = g.Items[:per], n-per
			}
		}
		if field != "" {
			data.Title = "Thủ tục lĩnh vực " + field
			data.Nav = "procedure"
		}
	}
	if field == "" {
		for _, k := range handbook.Kinds {
			if k == handbook.KindProcedure || (kind != "" && k != kind) {
				continue
			}
			g := kindGroup{Kind: k, Label: kindPlural(k)}
			for _, d := range s.library().All() {
				if d.Kind == k && listed(d, a) {
					g.Items = append(g.Items, itemOf(d))
				}
			}
			n := len(g.Items)
			if n == 0 {
				continue
			}
			data.Total += n
			switch {
			case kind == "" && n > overviewPerGroup:
				g.Items, g.More = g.Items[:overviewPerGroup], n-overviewPerGroup
			case kind != "" && n > listPerPage:
				pg, err := pageOf(c.QueryParam("page"), n)
				if err != nil {
					return err
				}
				g.Items = g.Items[(pg.Page-1)*listPerPage : min(pg.Page*listPerPage, n)]
				data.Pager = pg
				if pg.Page > 1 {
					data.Title += " – trang " + strconv.Itoa(pg.Page)
				}
			}
			data.Groups = append(data.Groups, g)
		}
	}
	return s.page(c, http.StatusOK, "docs", data)
}

// pageOf reads ?page= of a list of n documents.
func pageOf(v string, n int) (*pager, error) {
	pages := (n + listPerPage - 1) / listPerPage
	pg := &pager{Page: 1, Pages: pages}
	if v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > pages {
			return nil, handbook.Errorf(handbook.NotFound, "Không có trang này của danh sách.", "list page %q of %d", v, pages)
		}
		pg.Page = p
	}
	if pg.Page > 1 {
		pg.Prev = strconv.Itoa(pg.Page - 1)
	}
	if pg.Page < pages {
		pg.Next = strconv.Itoa(pg.Page + 1)
	}
	return pg, nil
}

func (s *Server) serveStatic(c echo.Context) error {
	f, ok := s.views.static[strings.TrimPrefix(c.Param("*"), "/")]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	if c.QueryParam("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	h.Set("ETag", `"`+f.hash+`"`)
	if c.Request().Header.Get("If-None-Match") == `"`+f.hash+`"` {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, f.mime, f.body)
}
