package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"sotay/api"
	"sotay/content"
	"sotay/handbook"
	"sotay/handbook/docx"
	"sotay/indexer"
	"sotay/indexer/bleve"
)

// The API decodes what anyone on the network sends. These fuzz targets
// throw arbitrary bodies at every JSON route under /api/v1 and arbitrary
// query strings at search, over the real content: no input may make the
// server fail (500) or answer an error that is not the JSON error body.

// fuzzServer serves the real content with extractive answers and drafting,
// and lists the POST routes under /api/v1 with their parameters filled in.
func fuzzServer(f *testing.F) (http.Handler, []string) {
	f.Helper()
	lib, err := indexer.Load(content.FS)
	if err != nil {
		f.Fatal(err)
	}
	idx, err := bleve.Open(filepath.Join(f.TempDir(), "idx"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { idx.Close() })
	if err := idx.Index(f.Context(), lib.Chunks()); err != nil {
		f.Fatal(err)
	}
	r := &handbook.Retriever{Keyword: idx}
	r.SetAnalyzer(handbook.NewAnalyzer(lib))
	libf := func() *handbook.Library { return lib }
	now := func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }
	srv, err := api.New(api.Options{
		Retriever: r, Library: libf, Now: now,
		Assistant: &handbook.Assistant{Retriever: r, Library: libf, Now: now},
		Drafter:   &handbook.Drafter{Library: libf, Now: now},
		Docx:      api.DocxCodec{Render: docx.Render, Check: docx.Check},
	})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	e, ok := h.(*echo.Echo)
	if !ok {
		f.Fatal("api.Server.Handler is not an *echo.Echo: cannot list its routes")
	}
	var routes []string
	seen := map[string]bool{}
	for _, rt := range e.Routes() {
		if rt.Method != http.MethodPost || !strings.HasPrefix(rt.Path, "/api/v1/") {
			continue
		}
		p := rt.Path
		for _, part := range strings.Split(p, "/") {
			if strings.HasPrefix(part, ":") {
				p = strings.Replace(p, part, "1", 1)
			}
		}
		p = strings.ReplaceAll(p, "*", "procedures/ho-tich/dang-ky-khai-sinh")
		if !seen[p] {
			seen[p] = true
			routes = append(routes, p)
		}
	}
	sort.Strings(routes)
	if len(routes) == 0 {
		f.Fatal("no POST routes under /api/v1")
	}
	return h, routes
}

// checkAPIResponse: no 500, and every error is the JSON error body.
func checkAPIResponse(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
		t.Errorf("%s = %d: %s", what, rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Errorf("%s = %d with a body that is not the JSON error: %q", what, rec.Code, rec.Body)
		}
		return
	}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && !json.Valid(rec.Body.Bytes()) {
		t.Errorf("%s = %d with invalid JSON: %q", what, rec.Code, rec.Body)
	}
}

// FuzzAPIJSON posts arbitrary bodies to every POST route under /api/v1
// (ask, drafts, feedback, tickets… whatever the server registers).
func FuzzAPIJSON(f *testing.F) {
	h, routes := fuzzServer(f)
	seeds := []string{
		`{"question":"làm giấy khai sinh cần gì","mode":"extractive"}`,
		`{"question":"lam giay khai sinh can gi","mode":"auto","form":"full","conversation_id":"abc","history":[{"question":"x","doc":"procedures/ho-tich/dang-ky-khai-sinh"}]}`,
		`{"question":""}`, `{"question":null}`, `{"question":1e999}`, `{"mode":"llm"}`, `{"unknown":1}`,
		`{"question_id":1,"useful":true,"comment":"tốt"}`, `{"template":"quyet-dinh","fields":{}}`,
		`null`, `[]`, `""`, `{`, `{"a":` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `}`,
		"\xef\xbb\xbf{\"question\":\"x\"}", "{\"question\":\"\xff\xfe\"}", `{"question":"` + strings.Repeat("a ", 400) + `"}`,
	}
	for _, p := range []string{"../../handbook/testdata/draft/quyet-dinh.request.json", "../../handbook/testdata/draft/cong-van.request.json"} {
		if b, err := os.ReadFile(p); err == nil {
			seeds = append(seeds, string(b))
		}
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		p := routes[int(route)%len(routes)]
		req := httptest.NewRequest(http.MethodPost, p, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkAPIResponse(t, "POST "+p, rec)
	})
}

// FuzzSearchQuery sends arbitrary query strings to the search API.
func FuzzSearchQuery(f *testing.F) {
	h, _ := fuzzServer(f)
	for _, s := range []string{
		"q=khai+sinh", "q=l%C3%A0m+gi%E1%BA%A5y+khai+sinh&limit=5&kind=procedure", "q=&limit=0", "q=x&limit=51",
		"q=x&at=2025-07-01&all=true&field=H%E1%BB%99+t%E1%BB%8Bch", "q=x&kind=nope", "q=%ff%fe", "q=x&q=y&bogus=1",
		"q=" + strings.Repeat("a", 600), "q=%E2%80%8B%C2%A0", "q=nd+01%2F2021+dieu+5", "q=x&at=2025-13-45",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/search", nil)
		req.URL.RawQuery = raw
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkAPIResponse(t, "GET /api/v1/search?"+raw, rec)
		if rec.Code == http.StatusOK {
			var res struct {
				Hits []struct {
					Doc string `json:"doc"`
				} `json:"hits"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
				t.Errorf("search?%s: %v", raw, err)
			}
		}
	})
}
