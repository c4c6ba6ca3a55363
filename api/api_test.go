package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sotay/api"
	"sotay/handbook"
	"sotay/indexer/bleve"
)

const marker = "zebraquartz"

// fixtureLibrary is a small knowledge base with one internal document that
// holds a unique marker word.
func fixtureLibrary() *handbook.Library {
	pub := func(d *handbook.Document) *handbook.Document {
		d.Audience, d.Status, d.Hash = handbook.AudiencePublic, handbook.StatusPublished, d.ID
		return d
	}
	khaiSinh := pub(&handbook.Document{ID: "procedures/ho-tich/dang-ky-khai-sinh", Kind: handbook.KindProcedure, Title: "Đăng ký khai sinh",
		Aliases: []string{"làm giấy khai sinh"}, Procedure: &handbook.Procedure{Code: "1.001193", Field: "Hộ tịch", TimeLimit: "Ngay trong ngày"},
		Sections: []handbook.Section{{Kind: handbook.SectionHeading, Anchor: "cac-buoc", Heading: "Các bước", Text: "Nộp tờ khai và giấy chứng sinh."}}})
	luat := pub(&handbook.Document{ID: "regulations/luat-ho-tich-2014", Kind: handbook.KindRegulation, Title: "Luật Hộ tịch",
		Regulation: &handbook.Regulation{Number: "60/2014/QH13", ShortName: "Luật Hộ tịch 2014", Effective: handbook.MustDate("2016-01-01")},
		Sections: []handbook.Section{{Kind: handbook.SectionArticle, Anchor: "dieu-16", Number: "16", Heading: "Điều 16. Thủ tục đăng ký khai sinh",
			Text: "Người đi đăng ký khai sinh nộp tờ khai theo mẫu quy định và giấy chứng sinh."}}})
	secret := &handbook.Document{ID: "technology/noi-bo", Kind: handbook.KindGuide, Title: "Quy trình nội bộ khi mất mạng",
		Audience: handbook.AudienceInternal, Status: handbook.StatusPublished, Hash: "x",
		Sections: []handbook.Section{{Kind: handbook.SectionHeading, Anchor: "ma", Heading: "Mã khẩn cấp", Text: "Mã " + marker + " dùng khi mất mạng."}}}
	return handbook.NewLibrary([]*handbook.Document{khaiSinh, luat, secret}, nil, nil)
}

func newServer(t *testing.T) http.Handler {
	t.Helper()
	return newServerAt(t, time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
}

func newServerAt(t *testing.T, now time.Time) http.Handler {
	t.Helper()
	return newAPIServer(t, fixtureLibrary(), now).Handler()
}

func newAPIServer(t *testing.T, lib *handbook.Library, now time.Time) *api.Server {
	t.Helper()
	idx, err := bleve.Open(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Index(t.Context(), lib.Chunks()); err != nil {
		t.Fatal(err)
	}
	r := &handbook.Retriever{Keyword: idx}
	r.SetAnalyzer(&handbook.Analyzer{Thesaurus: lib.Thesaurus, Vocab: lib.Vocabulary()})
	srv, err := api.New(api.Options{
		Retriever: r, Library: func() *handbook.Library { return lib }, Tokens: []string{"secret-token"},
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// TestSearchDateIsVietnams: the day a search looks at by default is the
// calendar day in Vietnam. At 17:30 UTC on 30 June it is already 1 July
// there, and a text taking effect on 1 July is in force.
func TestSearchDateIsVietnams(t *testing.T) {
	h := newServerAt(t, time.Date(2026, 6, 30, 17, 30, 0, 0, time.UTC))
	rec := get(t, h, "/api/v1/search?q=khai+sinh", "")
	var res struct {
		At string `json:"at"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || res.At != "2026-07-01" {
		t.Errorf("search at %q (%v), want 2026-07-01", res.At, err)
	}
}

func get(t *testing.T, h http.Handler, target, token string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type searchResponse struct {
	Query      string  `json:"query"`
	TookMS     float64 `json:"took_ms"`
	Answerable bool    `json:"answerable"`
	Hits       []struct {
		Doc, Anchor, Title, Heading, Kind, Snippet, URL, Validity string
		Score                                                     float64
	} `json:"hits"`
}

func TestSearchJSON(t *testing.T) {
	h := newServer(t)
	for _, q := range []string{"đăng ký khai sinh", "dang ky khai sinh", "khai sinhf"} {
		rec := get(t, h, "/api/v1/search?q="+url.QueryEscape(q), "")
		if rec.Code != http.StatusOK {
			t.Fatalf("search %q: %d %s", q, rec.Code, rec.Body)
		}
		if ct, cl := rec.Header().Get("Content-Type"), rec.Header().Get("Content-Length"); ct != "application/json" || cl != strconv.Itoa(rec.Body.Len()) {
			t.Errorf("search %q: Content-Type %q, Content-Length %q for %d bytes", q, ct, cl, rec.Body.Len())
		}
		var res searchResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) == 0 || res.Hits[0].Doc != "procedures/ho-tich/dang-ky-khai-sinh" {
			t.Fatalf("search %q: hits %+v", q, res.Hits)
		}
		first := res.Hits[0]
		if first.Title != "Đăng ký khai sinh" || first.URL != "/docs/procedures/ho-tich/dang-ky-khai-sinh" || first.Validity != "in_force" {
			t.Errorf("first hit %+v", first)
		}
		if !strings.Contains(res.Hits[0].Snippet, "<mark>") {
			t.Errorf("snippet without highlight: %q", first.Snippet)
		}
		if !res.Answerable {
			t.Errorf("search %q not answerable", q)
		}
	}
	// Regulation hits carry the article anchor.
	rec := get(t, h, "/api/v1/search?kind=regulation&q=thu+tuc+dang+ky+khai+sinh", "")
	var res searchResponse
	json.Unmarshal(rec.Body.Bytes(), &res)
	if len(res.Hits) != 1 || res.Hits[0].Anchor != "dieu-16" || res.Hits[0].URL != "/docs/regulations/luat-ho-tich-2014#dieu-16" {
		t.Errorf("regulation search = %+v", res.Hits)
	}
}

func TestSearchBadInput(t *testing.T) {
	h := newServer(t)
	tests := []struct{ name, query string }{
		{"empty", "q="},
		{"missing", ""},
		{"too long", "q=" + strings.Repeat("a", 10000)},
		{"limit zero", "q=khai&limit=0"},
		{"limit text", "q=khai&limit=abc"},
		{"limit huge", "q=khai&limit=100000"},
		{"unknown parameter", "q=khai&foo=bar"},
		{"bad date", "q=khai&at=25/11/2026"},
		{"bad kind", "q=khai&kind=secret"},
		{"only punctuation", "q=%3F%21"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, "/api/v1/search?"+tc.query, "")
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
			}
			var body struct {
				Error struct{ Code, Message, RequestID string } `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Code != "invalid" || !handbook.HasDiacritics(body.Error.Message) {
				t.Errorf("error body %+v", body.Error)
			}
		})
	}
}

func TestInternalContentNeverReachesPublic(t *testing.T) {
	h := newServer(t)
	for _, target := range []string{
		"/api/v1/search?q=" + marker,
		"/api/v1/search?q=ma+khan+cap+mat+mang",
		"/api/v1/search?q=" + marker + "&kind=guide&all=true",
		"/api/v1/docs/technology/noi-bo",
		"/api/v1/docs/technology/noi-bo/",
		"/api/v1/docs/technology%2Fnoi-bo",
	} {
		rec := get(t, h, target, "")
		body := rec.Body.String()
		var res searchResponse
		if json.Unmarshal(rec.Body.Bytes(), &res) == nil && res.Query != "" {
			body = strings.Replace(body, `"query":"`+res.Query+`"`, "", 1) // the echoed question is the caller's own
		}
		if strings.Contains(body, marker) || strings.Contains(body, "noi-bo") {
			t.Errorf("public %s leaked internal content: %s", target, rec.Body)
		}
		for k, v := range rec.Header() {
			if strings.Contains(strings.Join(v, " "), marker) {
				t.Errorf("header %s leaked marker", k)
			}
		}
	}
	if rec := get(t, h, "/api/v1/docs/technology/noi-bo", ""); rec.Code != http.StatusNotFound {
		t.Errorf("internal doc for public: %d, want 404", rec.Code)
	}
	// A wrong token is a public caller.
	if rec := get(t, h, "/api/v1/search?q="+marker, "wrong"); strings.Contains(rec.Body.String(), "technology/noi-bo") {
		t.Errorf("wrong token saw internal content")
	}
	// Token holders see it.
	if rec := get(t, h, "/api/v1/search?q="+marker, "secret-token"); !strings.Contains(rec.Body.String(), "technology/noi-bo") {
		t.Errorf("official search missed the internal document: %s", rec.Body)
	}
	if rec := get(t, h, "/api/v1/docs/technology/noi-bo", "secret-token"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), marker) {
		t.Errorf("official doc: %d", rec.Code)
	}
}

func TestDocsAndHealth(t *testing.T) {
	h := newServer(t)
	rec := get(t, h, "/api/v1/docs/regulations/luat-ho-tich-2014", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("doc: %d %s", rec.Code, rec.Body)
	}
	var d struct {
		ID       string                    `json:"id"`
		Validity string                    `json:"validity"`
		Sections []struct{ Anchor string } `json:"sections"`
	}
	json.Unmarshal(rec.Body.Bytes(), &d)
	if d.ID != "regulations/luat-ho-tich-2014" || d.Validity != "in_force" || len(d.Sections) != 1 || d.Sections[0].Anchor != "dieu-16" {
		t.Errorf("doc = %+v", d)
	}
	if rec := get(t, h, "/api/v1/docs/khong/ton-tai", ""); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "not_found") {
		t.Errorf("missing doc: %d %s", rec.Code, rec.Body)
	}
	if rec := get(t, h, "/api/v1/nope", ""); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"code":"not_found"`) {
		t.Errorf("unknown API route: %d %s", rec.Code, rec.Body)
	}
	if rec := get(t, h, "/healthz", ""); rec.Code != http.StatusOK {
		t.Errorf("healthz %d", rec.Code)
	}
	if rec := get(t, h, "/readyz", ""); rec.Code != http.StatusOK {
		t.Errorf("readyz %d", rec.Code)
	}
	rec = get(t, h, "/healthz", "")
	for _, hdr := range []string{"X-Content-Type-Options", "Content-Security-Policy", "X-Frame-Options"} {
		if rec.Header().Get(hdr) == "" {
			t.Errorf("missing security header %s", hdr)
		}
	}
}

func TestNotReady(t *testing.T) {
	srv, err := api.New(api.Options{Ready: func() bool { return false }, Retriever: &handbook.Retriever{}})
	if err != nil {
		t.Fatal(err)
	}
	rec := get(t, srv.Handler(), "/api/v1/search?q=khai+sinh", "")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("search before index ready: %d %v", rec.Code, rec.Header())
	}
	if rec := get(t, srv.Handler(), "/readyz", ""); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz before index ready: %d", rec.Code)
	}
}
