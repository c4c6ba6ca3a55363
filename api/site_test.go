package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"sotay/api"
	"sotay/content"
	"sotay/handbook"
	"sotay/handbook/docx"
	"sotay/handbook/sqlite"
	"sotay/indexer"
	"sotay/indexer/bleve"

	"golang.org/x/net/html"
)

// siteServer serves the real knowledge base (content/) with a bleve index
// and a SQLite store, as `handbook serve` does, and returns the handler
// and the bearer token of an editor (who sees every staff page).
func siteServer(t *testing.T) (http.Handler, *handbook.Library, string) {
	t.Helper()
	lib, err := indexer.LoadAt(content.FS, handbook.DateOf(uiNow))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := bleve.Open(filepath.Join(t.TempDir(), "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Index(t.Context(), lib.Chunks()); err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "handbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	editor := &handbook.User{Username: "bientap", Name: "Biên tập viên", Role: handbook.RoleEditor, Department: "Sở Tư pháp"}
	if err := store.CreateUser(t.Context(), editor); err != nil {
		t.Fatal(err)
	}
	secret, hash := handbook.NewSecret()
	if err := store.CreateToken(t.Context(), &handbook.APIToken{UserID: editor.ID, Name: "crawl", Hash: hash}); err != nil {
		t.Fatal(err)
	}
	r := &handbook.Retriever{Keyword: idx}
	r.SetAnalyzer(&handbook.Analyzer{Thesaurus: lib.Thesaurus, Vocab: lib.Vocabulary()})
	libf := func() *handbook.Library { return lib }
	srv, err := api.New(api.Options{
		Retriever: r, Library: libf, Store: store, BaseURL: "https://sotay.example.gov.vn",
		Tokens:    []string{uiToken}, // an official without an account (HANDBOOK_API_TOKENS)
		Now:       func() time.Time { return uiNow },
		Assistant: &handbook.Assistant{Retriever: r, Library: libf, Now: func() time.Time { return uiNow }},
		Drafter:   &handbook.Drafter{Library: libf, Now: func() time.Time { return uiNow }},
		Docx:      api.DocxCodec{Render: docx.Render, Check: docx.Check},
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Handler(), lib, secret
}

// response is one fetched URL.
type response struct {
	target string
	status int
	ctype  string
	body   []byte
}

func (r *response) isHTML() bool { return strings.HasPrefix(r.ctype, "text/html") }

// link is a same-origin <a href> found on a page.
type link struct{ from, target, fragment string }

// crawler fetches pages of one caller (token "" is the public) through the
// handler, following every same-origin link.
type crawler struct {
	h     http.Handler
	token string
	seen  map[string]*response
	links []link
	// subresources of each page: scripts, styles, icons, images, frames.
	subs map[string][]string
}

func newCrawler(h http.Handler, token string) *crawler {
	return &crawler{h: h, token: token, seen: map[string]*response{}, subs: map[string][]string{}}
}

func (c *crawler) get(target string) *response {
	if r, ok := c.seen[target]; ok {
		return r
	}
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	r := &response{target: target, status: rec.Code, ctype: rec.Header().Get("Content-Type"), body: rec.Body.Bytes()}
	c.seen[target] = r
	return r
}

// local returns the path and query of a same-origin reference and its
// fragment; ok is false for external URLs, mailto:, tel: and javascript:.
func local(ref string) (target, fragment string, ok bool) {
	if ref == "" || external(ref) || strings.Contains(strings.SplitN(ref, "/", 2)[0], ":") {
		return "", "", false
	}
	u, err := url.Parse(ref)
	if err != nil || !strings.HasPrefix(u.Path, "/") {
		return "", u.Fragment, err == nil && u.Path == "" && u.RawQuery == ""
	}
	target = u.EscapedPath()
	if u.RawQuery != "" {
		target += "?" + u.RawQuery
	}
	return target, u.Fragment, true
}

// crawl visits every page reachable from seeds, up to limit pages.
func (c *crawler) crawl(t *testing.T, seeds []string, limit int) {
	t.Helper()
	queue := append([]string(nil), seeds...)
	queued := map[string]bool{}
	for _, s := range seeds {
		queued[s] = true
	}
	pages := 0
	for len(queue) > 0 {
		target := queue[0]
		queue = queue[1:]
		r := c.get(target)
		if !r.isHTML() || r.status != http.StatusOK {
			continue
		}
		if pages++; pages > limit {
			t.Fatalf("more than %d pages: the crawl does not end", limit)
		}
		doc, err := html.Parse(bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("parse %s: %v", target, err)
		}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				attr := map[string]string{}
				for _, a := range n.Attr {
					attr[a.Key] = a.Val
				}
				var sub string
				switch n.Data {
				case "a":
					next, frag, ok := local(attr["href"])
					if ok && next != "" {
						c.links = append(c.links, link{from: target, target: next, fragment: frag})
						if !queued[next] {
							queued[next] = true
							queue = append(queue, next)
						}
					}
				case "script", "img", "iframe":
					sub = attr["src"]
				case "link":
					sub = attr["href"]
				}
				if next, _, ok := local(sub); ok && next != "" {
					c.subs[target] = append(c.subs[target], next)
					if n.Data == "iframe" && !queued[next] {
						queued[next] = true
						queue = append(queue, next)
					}
				}
			}
			for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
				walk(ch)
			}
		}
		walk(doc)
	}
}

// weight is what a browser downloads for a page: the HTML and every
// script, style, icon, image and frame it loads (frames with their own),
// each counted once, uncompressed.
func (c *crawler) weight(target string) int {
	seen := map[string]bool{}
	var add func(string) int
	add = func(p string) int {
		if seen[p] {
			return 0
		}
		seen[p] = true
		n := len(c.get(p).body)
		for _, s := range c.subs[p] {
			n += add(s)
		}
		return n
	}
	return add(target)
}

// externalInAsset finds URLs that a stylesheet, script or SVG would load
// from another origin: CSS url() and @import, and any absolute http(s) or
// protocol-relative URL in a script. SVG namespace names are identifiers,
// not loads.
var (
	cssRef      = regexp.MustCompile(`(?i)(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)`)
	scriptURL   = regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9][a-z0-9.-]*\.[a-z]{2,}`)
	svgNS       = regexp.MustCompile(`xmlns(?::\w+)?="http://www\.w3\.org/[^"]*"`)
	jsComment   = regexp.MustCompile(`(?m)^\s*//.*$`)
	svgHrefAttr = regexp.MustCompile(`(?i)(?:xlink:)?href="([^"]*)"`)
)

func externalInAsset(r *response) []string {
	var out []string
	switch {
	case strings.HasPrefix(r.ctype, "text/css"):
		for _, m := range cssRef.FindAllStringSubmatch(string(r.body), -1) {
			if external(m[1]) {
				out = append(out, m[1])
			}
		}
	case strings.HasPrefix(r.ctype, "text/javascript"):
		out = append(out, scriptURL.FindAllString(jsComment.ReplaceAllString(string(r.body), ""), -1)...)
	case strings.HasPrefix(r.ctype, "image/svg+xml"):
		body := svgNS.ReplaceAllString(string(r.body), "")
		for _, m := range svgHrefAttr.FindAllStringSubmatch(body, -1) {
			if external(m[1]) {
				out = append(out, m[1])
			}
		}
		out = append(out, scriptURL.FindAllString(body, -1)...)
	}
	return out
}

// pageType names the kind of page a path is, for the weight report.
func pageType(lib *handbook.Library, target string) string {
	u, _ := url.Parse(target)
	p := u.Path
	switch {
	case strings.HasPrefix(p, "/docs/"):
		id, _ := url.PathUnescape(strings.TrimPrefix(p, "/docs/"))
		kind := "document"
		if d, ok := lib.Doc(id); ok {
			kind = string(d.Kind)
		}
		if u.Query().Get("print") != "" {
			kind += " (print)"
		}
		return kind
	case p == "/docs":
		return "list"
	case strings.HasPrefix(p, "/drafts/") && strings.HasSuffix(p, "/preview"):
		return "draft preview"
	case strings.HasPrefix(p, "/drafts/"):
		return "draft"
	case strings.HasPrefix(p, "/tickets/"):
		return "ticket"
	case p == "/":
		return "home"
	}
	return strings.TrimPrefix(p, "/")
}

// TestSite crawls the real knowledge base as the public, as an official
// and as an editor, following every link on every page, and checks what
// the one-stop desk depends on: every link works, a link to an article
// lands on an element with that id, every page passes checkHTML and loads
// nothing from another origin (pages, styles, scripts and SVG images are
// scanned), every page with everything it loads stays under 150 KB, and
// the public never reaches an internal document. The pages then go
// through the Nu Html Checker (TestSite/html_validator).
func TestSite(t *testing.T) {
	if testing.Short() {
		t.Skip("crawls the whole knowledge base")
	}
	h, lib, editorToken := siteServer(t)
	validate := map[string][]byte{} // every HTML page, for the validator
	seeds := []string{"/", "/docs", "/search", "/search?q=lam+giay+khai+sinh", "/search?q=xyzzyqwv",
		"/ask", "/ask?q=lam+giay+khai+sinh+can+gi", "/ask?q=ai+dang+ky+ket+hon&form=full", "/qr/sheet", "/offline", "/login"}
	for _, caller := range []struct{ name, token string }{{"public", ""}, {"official", uiToken}, {"editor", editorToken}} {
		t.Run(caller.name, func(t *testing.T) {
			c := newCrawler(h, caller.token)
			s := seeds
			if caller.token == "" {
				// Everything the sitemap lists must be reachable.
				for _, m := range regexp.MustCompile(`<loc>https://sotay\.example\.gov\.vn([^<]*)</loc>`).FindAllStringSubmatch(string(c.get("/sitemap.xml").body), -1) {
					s = append(s, m[1])
				}
			} else {
				s = append(s, "/drafts", "/tickets", "/analytics")
			}
			c.crawl(t, s, 2000)
			checkCrawl(t, c, lib, caller.token == "")
			for target, r := range c.seen {
				if r.isHTML() {
					validate[caller.name+" "+target] = r.body
				}
			}
		})
	}
	// The fixture's pages add what a crawl does not reach: error pages, a
	// refused search, a drafted document with its findings and preview.
	fx := uiServer(t, uiLibrary(t), "https://sotay.example.gov.vn").Handler()
	for _, p := range uiPages {
		validate["fixture "+p.path] = uiGet(t, fx, p.path, "").Body.Bytes()
	}
	v := url.Values{"template": {"templates/thong-bao"}, "f.trich_yeu": {"lịch tiếp công dân"}, "issuer": {"Ủy ban nhân dân xã Suối Mây"}}
	req := httptest.NewRequest(http.MethodPost, "/drafts", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+uiToken)
	rec := httptest.NewRecorder()
	fx.ServeHTTP(rec, req)
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || loc == "" {
		t.Errorf("POST /drafts = %d", rec.Code)
	} else {
		validate["fixture draft"] = uiGet(t, fx, loc, uiToken).Body.Bytes()
		validate["fixture draft preview"] = uiGet(t, fx, loc+"/preview", uiToken).Body.Bytes()
	}
	t.Run("html_validator", func(t *testing.T) { validateHTML(t, validate) })
}

func checkCrawl(t *testing.T, c *crawler, lib *handbook.Library, public bool) {
	t.Helper()
	targets := make([]string, 0, len(c.seen))
	for target := range c.seen {
		targets = append(targets, target)
	}
	sort.Strings(targets)
	heaviest := map[string][2]any{}
	pages := 0
	for _, target := range targets {
		r := c.seen[target]
		if r.status != http.StatusOK {
			from := ""
			for _, l := range c.links {
				if l.target == target {
					from = l.from
					break
				}
			}
			t.Errorf("GET %s = %d (linked from %s)", target, r.status, from)
			continue
		}
		if bad := externalInAsset(r); len(bad) > 0 {
			t.Errorf("%s (%s) loads from another origin: %q", target, r.ctype, bad)
		}
		if !r.isHTML() {
			continue
		}
		pages++
		t.Run(target, func(t *testing.T) {
			if strings.HasSuffix(strings.SplitN(target, "?", 2)[0], "/preview") {
				return // a draft preview is a bare document for a frame (TestDraftPages)
			}
			checkHTML(t, r.body)
		})
		w := c.weight(target)
		if w > maxPageBytes {
			t.Errorf("%s weighs %d bytes with what it loads, budget %d", target, w, maxPageBytes)
		}
		kind := pageType(lib, target)
		if prev, ok := heaviest[kind]; !ok || w > prev[1].(int) {
			heaviest[kind] = [2]any{target, w}
		}
		if public && strings.HasPrefix(target, "/docs/") {
			id, _ := url.PathUnescape(strings.SplitN(strings.TrimPrefix(target, "/docs/"), "?", 2)[0])
			if d, ok := lib.Doc(id); ok && d.Audience == handbook.AudienceInternal {
				t.Errorf("the public reached the internal document %s", id)
			}
		}
	}
	// A link with a fragment lands on an element with that id.
	ids := map[string]map[string]bool{}
	for _, l := range c.links {
		if l.fragment == "" || c.seen[l.target] == nil || !c.seen[l.target].isHTML() {
			continue
		}
		if ids[l.target] == nil {
			ids[l.target] = idsOf(c.seen[l.target].body)
		}
		if !ids[l.target][l.fragment] {
			t.Errorf("%s links to %s#%s: no element with that id", l.from, l.target, l.fragment)
		}
	}
	kinds := make([]string, 0, len(heaviest))
	for k := range heaviest {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var report strings.Builder
	for _, k := range kinds {
		fmt.Fprintf(&report, "\n  %-22s %6.1f KB  %s", k, float64(heaviest[k][1].(int))/1024, heaviest[k][0])
	}
	t.Logf("%d pages, %d responses; heaviest page of each type, with what it loads:%s", pages, len(c.seen), report.String())
	if pages < 100 {
		t.Errorf("crawl reached only %d pages", pages)
	}
}

func idsOf(body []byte) map[string]bool {
	out := map[string]bool{}
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			for {
				k, v, more := z.TagAttr()
				if string(k) == "id" {
					out[string(v)] = true
				}
				if !more {
					break
				}
			}
		}
	}
}

// vnuJar is the Nu Html Checker (the W3C validator) from the npm package
// vnu-jar, which .ci/run installs; it runs offline on a Java runtime.
const vnuJar = "../node_modules/vnu-jar/build/dist/vnu.jar"

// vnuAllowed are the checker's warnings we accept, each with its reason;
// page limits one to the pages whose name contains it.
var vnuAllowed = []struct{ page, message, why string }{
	{"", `Potentially bad value “9999-12-31” for attribute “max”`,
		"the date filters cap the year at four digits on purpose (browsers accept six)"},
	{"draft preview", "Article lacks heading",
		"the preview reproduces a văn bản in the NĐ 30/2020 layout (handbook/draft.go), whose name line is styled text, not a heading"},
}

// validateHTML runs the Nu Html Checker on pages (name → HTML) and fails
// on every error and every warning not in vnuAllowed.
func validateHTML(t *testing.T, pages map[string][]byte) {
	t.Helper()
	java, err := exec.LookPath("java")
	if _, serr := os.Stat(vnuJar); err != nil || serr != nil {
		msg := "Nu Html Checker not found: install a Java runtime (apt-get install default-jre-headless) and `npm install --no-save vnu-jar@26.9.27` at the repository root"
		if os.Getenv("CI") == "true" || strings.Contains(os.Getenv("HANDBOOK_TEST_REQUIRE"), "vnu") {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	names := map[string]string{}
	var files []string
	keys := make([]string, 0, len(pages))
	for k := range pages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		f := filepath.Join(dir, fmt.Sprintf("p%04d.html", i))
		if err := os.WriteFile(f, pages[k], 0o644); err != nil {
			t.Fatal(err)
		}
		names["file:"+f] = k
		files = append(files, f)
	}
	cmd := exec.CommandContext(t.Context(), java, append([]string{"-Xss4m", "-jar", vnuJar, "--format", "json", "--exit-zero-always"}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("vnu.jar: %v\n%s", err, stderr.String())
	}
	var out struct {
		Messages []struct {
			Type, SubType, URL, Message, Extract string
			LastLine                             int
		}
	}
	if err := json.Unmarshal(stderr.Bytes(), &out); err != nil {
		t.Fatalf("vnu.jar output: %v\n%.2000s", err, stderr.String())
	}
	reported := 0
	for _, m := range out.Messages {
		if m.Type == "info" && m.SubType != "warning" {
			continue
		}
		if m.Type == "info" && slices.ContainsFunc(vnuAllowed, func(a struct{ page, message, why string }) bool {
			return strings.Contains(names[m.URL], a.page) && strings.Contains(m.Message, a.message)
		}) {
			continue
		}
		if reported++; reported > 50 {
			continue
		}
		kind := m.Type
		if m.SubType != "" {
			kind += " " + m.SubType
		}
		t.Errorf("%s line %d: %s: %s\n\t%s", names[m.URL], m.LastLine, kind, m.Message, strings.TrimSpace(m.Extract))
	}
	if reported > 50 {
		t.Errorf("… and %d more messages", reported-50)
	}
	t.Logf("Nu Html Checker: %d pages, %d messages reported", len(pages), reported)
}

// TestLongListsArePaged: list pages stay within the page budget however
// large the knowledge base grows; the rest is one click (or page) away.
func TestLongListsArePaged(t *testing.T) {
	fsys := fstest.MapFS{}
	summary := strings.Repeat("Tóm tắt đủ dài để trang danh sách nặng lên nhanh khi có nhiều văn bản. ", 3)
	for i := range 400 {
		fsys[fmt.Sprintf("faq/chung/cau-hoi-%03d.md", i)] = &fstest.MapFile{Data: fmt.Appendf(nil,
			"---\ntitle: \"Câu hỏi số %03d về hộ tịch\"\nkind: faq\nsummary: %q\nsources: [\"https://moj.gov.vn\"]\n---\n\nTrả lời.\n", i, summary)}
		fsys[fmt.Sprintf("procedures/linh-vuc-%d/thu-tuc-%03d.md", i%4, i)] = &fstest.MapFile{Data: fmt.Appendf(nil,
			"---\ntitle: \"Thủ tục số %03d\"\nkind: procedure\nfield: \"Lĩnh vực %d\"\nsummary: %q\nsources: [\"https://moj.gov.vn\"]\n---\n\n## Các bước thực hiện\n\n1. Nộp hồ sơ.\n", i, i%4, summary)}
	}
	lib, err := indexer.LoadAt(fsys, handbook.DateOf(uiNow))
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Docs) != 800 {
		t.Fatalf("loaded %d documents, want 800", len(lib.Docs))
	}
	srv, err := api.New(api.Options{Library: func() *handbook.Library { return lib }, Now: func() time.Time { return uiNow }})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	// The list sizes of api/ui.go.
	const overviewPerGroup, kindPerField, listPerPage = 8, 12, 50
	for _, tc := range []struct {
		path   string
		status int
		items  int
		want   []string
	}{
		{"/docs", 200, 4*overviewPerGroup + overviewPerGroup, []string{`href="/docs?kind=faq">Xem tất cả 400 Câu hỏi thường gặp</a>`,
			`href="/docs?kind=procedure&amp;field=L%c4%a9nh%20v%e1%bb%b1c%200">Xem thêm 92 thủ tục Lĩnh vực 0</a>`}},
		{"/docs?kind=procedure", 200, 4 * kindPerField, nil},
		{"/docs?kind=procedure&field=L%C4%A9nh+v%E1%BB%B1c+1", 200, 100, nil},
		{"/docs?kind=faq", 200, listPerPage, []string{`<span>Trang 1/8</span>`, `href="/docs?kind=faq&amp;page=2" rel="next"`}},
		{"/docs?kind=faq&page=8", 200, 400 - 7*listPerPage, []string{`href="/docs?kind=faq&amp;page=7" rel="prev"`, `Trang 8/8`}},
		{"/docs?kind=faq&page=9", 404, 0, []string{"Không có trang này của danh sách."}},
		{"/docs?kind=faq&page=x", 404, 0, nil},
	} {
		rec := uiGet(t, h, tc.path, "")
		if rec.Code != tc.status {
			t.Errorf("GET %s = %d, want %d", tc.path, rec.Code, tc.status)
			continue
		}
		body := rec.Body.String()
		if n := strings.Count(body, "<li><a href=\"/docs/"); n != tc.items {
			t.Errorf("GET %s lists %d documents, want %d", tc.path, n, tc.items)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %s", tc.path, w)
			}
		}
		if tc.status == 200 {
			t.Run(tc.path, func(t *testing.T) { checkHTML(t, rec.Body.Bytes()) })
		}
	}
}
