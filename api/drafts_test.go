package api_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sotay/api"
	"sotay/content"
	"sotay/handbook"
	"sotay/handbook/docx"
	"sotay/handbook/sqlite"
	"sotay/indexer"
)

const draftToken = "draft-token"

// draftNow is the server's clock in the drafting tests: after the issuing
// dates the requests use, so legal bases are checked on their own date.
var draftNow = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)

var (
	contentLibOnce sync.Once
	contentLib     *handbook.Library
	contentLibErr  error
)

// contentLibrary is the real knowledge base (content/), loaded once: the
// drafting tests run against the templates and regulations that ship.
func contentLibrary(t *testing.T) *handbook.Library {
	t.Helper()
	contentLibOnce.Do(func() {
		contentLib, contentLibErr = indexer.LoadAt(content.FS, handbook.DateOf(draftNow))
	})
	if contentLibErr != nil {
		t.Fatal(contentLibErr)
	}
	return contentLib
}

// draftClock is a settable time source for the draft store's TTL.
type draftClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *draftClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *draftClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type draftEnv struct {
	h          http.Handler
	lib        *handbook.Library
	draftClock *draftClock
}

// newDraftServer serves the content library with drafting wired as
// cmd/handbook wires it (no LLM). edit may change the options.
func newDraftServer(t *testing.T, edit ...func(*api.Options)) *draftEnv {
	t.Helper()
	lib := contentLibrary(t)
	clk := &draftClock{t: draftNow}
	libf := func() *handbook.Library { return lib }
	opt := api.Options{
		Library: libf, Tokens: []string{draftToken}, Now: clk.Now,
		Drafter: &handbook.Drafter{Library: libf, Now: clk.Now},
		Docx:    api.DocxCodec{Render: docx.Render, Check: docx.Check},
	}
	for _, e := range edit {
		e(&opt)
	}
	srv, err := api.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return &draftEnv{h: srv.Handler(), lib: lib, draftClock: clk}
}

// draftDo sends one request; token "" is the public.
func draftDo(t *testing.T, h http.Handler, method, target, token, ctype string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type draftBody struct {
	ID           string             `json:"id"`
	Draft        *handbook.Draft    `json:"draft"`
	Text         string             `json:"text"`
	HTML         string             `json:"html"`
	Findings     []handbook.Finding `json:"findings"`
	HasErrors    bool               `json:"has_errors"`
	Placeholders []string           `json:"placeholders"`
	DocxURL      string             `json:"docx_url"`
}

type draftCheckBody struct {
	Findings  []handbook.Finding `json:"findings"`
	HasErrors bool               `json:"has_errors"`
}

type draftErrorBody struct {
	Error struct{ Code, Message, RequestID string } `json:"error"`
}

func decodeBody[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v\n%s", rec.Header().Get("Content-Type"), err, rec.Body)
	}
	return v
}

func mustDraftJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exampleRequest fills every field of a template with its example and gives
// the issuing body, number, date, signer and, where the template has căn cứ,
// a law in force on the date.
func exampleRequest(tpl *handbook.Document) handbook.DraftRequest {
	req := handbook.DraftRequest{
		Template: strings.TrimPrefix(tpl.ID, "templates/"), Fields: map[string]string{},
		Issuer: "Ủy ban nhân dân xã Suối Mây", IssuerCode: "UBND", UnitCode: "VP", Place: "Suối Mây",
		Date: "2026-03-05", Number: "15",
		Signer:     handbook.Signer{Authority: "TM.", Collective: "Ủy ban nhân dân", Title: "Chủ tịch", Name: "Nguyễn Văn An"},
		Recipients: []string{"Ủy ban nhân dân tỉnh Lâm Đồng"},
	}
	for _, f := range tpl.Template.Fields {
		if f.Example != "" {
			req.Fields[f.Name] = f.Example
		}
	}
	if slices.Contains(tpl.Template.Structure, string(handbook.ComponentBases)) {
		req.LegalBases = []handbook.Reference{{Doc: "regulations/luat-to-chuc-chinh-quyen-dia-phuong-2025"}}
	}
	return req
}

func docxPart(t *testing.T, b []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			data, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(data)
		}
	}
	t.Fatalf("no %s in the .docx", name)
	return ""
}

func draftUpload(t *testing.T, field, name string, data []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

var draftIDRE = regexp.MustCompile(`^[A-Z2-7]{26}$`)

const docxMIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

func TestTemplatesAPI(t *testing.T) {
	env := newDraftServer(t)
	rec := draftDo(t, env.h, http.MethodGet, "/api/v1/templates", draftToken, "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/templates = %d\n%s", rec.Code, rec.Body)
	}
	res := decodeBody[struct {
		Templates []struct {
			ID, Slug, Title string
			Fields          []handbook.TemplateField
		} `json:"templates"`
	}](t, rec)
	if len(res.Templates) < 10 {
		t.Fatalf("GET /api/v1/templates lists %d templates, want at least 10", len(res.Templates))
	}
	for _, tp := range res.Templates {
		if tp.ID == "" || tp.Title == "" || len(tp.Fields) == 0 {
			t.Errorf("template %+v lacks id, title or fields", tp)
		}
	}
	raw := rec.Body.String()
	for _, key := range []string{`"doc_type":"Quyết định"`, `"abbr":"QĐ"`, `"required":true`, `"example":`} {
		if !strings.Contains(raw, key) {
			t.Errorf("GET /api/v1/templates lacks %s", key)
		}
	}
}

// TestDraftEveryTemplate drafts each shipped template through the API,
// reads it back as JSON, downloads the .docx and checks that file again.
func TestDraftEveryTemplate(t *testing.T) {
	env := newDraftServer(t)
	d := &handbook.Drafter{Library: func() *handbook.Library { return env.lib }}
	tpls := d.Templates()
	if len(tpls) < 10 {
		t.Fatalf("content has %d templates, want at least 10", len(tpls))
	}
	for _, tpl := range tpls {
		t.Run(strings.TrimPrefix(tpl.ID, "templates/"), func(t *testing.T) {
			rec := draftDo(t, env.h, http.MethodPost, "/api/v1/drafts", draftToken, "application/json", mustDraftJSON(t, exampleRequest(tpl)))
			if rec.Code != http.StatusCreated {
				t.Fatalf("POST /api/v1/drafts = %d\n%s", rec.Code, rec.Body)
			}
			if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("Cache-Control = %q, want no-store (drafts hold personal data)", cc)
			}
			res := decodeBody[draftBody](t, rec)
			if !draftIDRE.MatchString(res.ID) {
				t.Errorf("id = %q, want 26 base32 characters", res.ID)
			}
			if rec.Header().Get("Location") != "/api/v1/drafts/"+res.ID {
				t.Errorf("Location = %q", rec.Header().Get("Location"))
			}
			if res.DocxURL != "/api/v1/drafts/"+res.ID+".docx" {
				t.Errorf("docx_url = %q", res.DocxURL)
			}
			if res.Draft == nil || res.Draft.DocType != tpl.Template.DocType || res.Draft.ID != res.ID {
				t.Fatalf("draft = %+v, want doc_type %q and id %q", res.Draft, tpl.Template.DocType, res.ID)
			}
			if !strings.Contains(res.Text, handbook.NationalName) || !strings.Contains(res.Text, "Số: 15/") {
				t.Errorf("text lacks the Quốc hiệu or số:\n%s", res.Text)
			}
			if !strings.Contains(res.HTML, `class="nd30"`) || !strings.Contains(res.HTML, "Nguyễn Văn An") {
				t.Errorf("html preview = %.300s", res.HTML)
			}
			if res.Findings == nil || res.Placeholders == nil {
				t.Errorf("findings = %v, placeholders = %v; want JSON arrays, never null", res.Findings, res.Placeholders)
			}
			for _, f := range res.Findings {
				if f.Rule == "" || f.Message == "" || f.Severity == "" {
					t.Errorf("finding without rule, message or severity: %+v", f)
				}
			}

			get := draftDo(t, env.h, http.MethodGet, "/api/v1/drafts/"+res.ID, draftToken, "", nil)
			if get.Code != http.StatusOK {
				t.Fatalf("GET /api/v1/drafts/{id} = %d\n%s", get.Code, get.Body)
			}
			if again := decodeBody[draftBody](t, get); again.Text != res.Text || again.ID != res.ID {
				t.Errorf("GET returns another draft: %q", again.ID)
			}

			file := draftDo(t, env.h, http.MethodGet, res.DocxURL, draftToken, "", nil)
			if file.Code != http.StatusOK {
				t.Fatalf("GET %s = %d\n%s", res.DocxURL, file.Code, file.Body)
			}
			if ct := file.Header().Get("Content-Type"); ct != docxMIME {
				t.Errorf("Content-Type = %q, want %q", ct, docxMIME)
			}
			disp, params, err := mime.ParseMediaType(file.Header().Get("Content-Disposition"))
			if err != nil || disp != "attachment" || params["filename"] != res.Draft.Filename() {
				t.Errorf("Content-Disposition = %q (%v), want attachment; filename=%q",
					file.Header().Get("Content-Disposition"), err, res.Draft.Filename())
			}
			doc := docxPart(t, file.Body.Bytes(), "word/document.xml")
			if !strings.Contains(doc, handbook.NationalName) || !strings.Contains(doc, handbook.NationalMotto) {
				t.Errorf("word/document.xml lacks the Quốc hiệu và Tiêu ngữ")
			}

			ctype, body := draftUpload(t, "file", res.Draft.Filename(), file.Body.Bytes())
			chk := draftDo(t, env.h, http.MethodPost, "/api/v1/drafts/check", draftToken, ctype, body)
			if chk.Code != http.StatusOK {
				t.Fatalf("POST /api/v1/drafts/check (.docx) = %d\n%s", chk.Code, chk.Body)
			}
			cr := decodeBody[draftCheckBody](t, chk)
			for _, f := range cr.Findings {
				if f.Rule == handbook.RuleLayout || f.Rule == handbook.RulePageSetup {
					t.Errorf("the rendered .docx fails its own layout check: %s", f)
				}
			}
			// The JSON answer itself can be checked.
			js := draftDo(t, env.h, http.MethodPost, "/api/v1/drafts/check", draftToken, "application/json", rec.Body.Bytes())
			if js.Code != http.StatusOK {
				t.Fatalf("POST /api/v1/drafts/check (JSON) = %d\n%s", js.Code, js.Body)
			}
		})
	}
}

// TestDraftPlaceholders: a request with only the template keeps every fact
// it does not give as a placeholder, in the JSON, the findings and the
// .docx, and invents none.
func TestDraftPlaceholders(t *testing.T) {
	env := newDraftServer(t)
	rec := draftDo(t, env.h, http.MethodPost, "/api/v1/drafts", draftToken, "application/json", []byte(`{"template":"QĐ"}`))
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST = %d\n%s", rec.Code, rec.Body)
	}
	res := decodeBody[draftBody](t, rec)
	for _, want := range []string{"[CẦN BỔ SUNG: số]", "[CẦN BỔ SUNG: họ và tên người ký]"} {
		if !slices.Contains(res.Placeholders, want) {
			t.Errorf("placeholders = %q, want %q among them", res.Placeholders, want)
		}
	}
	if !res.HasErrors {
		t.Errorf("has_errors = false for a quyết định without its required fields; findings %v", res.Findings)
	}
	var required bool
	for _, f := range res.Findings {
		required = required || (f.Rule == handbook.RuleTemplate && f.Severity == handbook.SeverityError)
	}
	if !required {
		t.Errorf("no finding names the required template fields: %v", res.Findings)
	}
	if regexp.MustCompile(`Số: \d`).MatchString(res.Text) || strings.Contains(res.Text, "ngày 10 tháng 3") {
		t.Errorf("a number or date was invented:\n%s", res.Text)
	}
	file := draftDo(t, env.h, http.MethodGet, res.DocxURL, draftToken, "", nil)
	doc := docxPart(t, file.Body.Bytes(), "word/document.xml")
	if !strings.Contains(doc, "[CẦN BỔ SUNG: số]") || !strings.Contains(doc, "w:highlight") {
		t.Errorf("the .docx does not carry the highlighted placeholders")
	}
}

func TestDraftBadInput(t *testing.T) {
	env := newDraftServer(t)
	big := strings.Repeat("a", 1<<20)
	tests := []struct {
		name, ctype, body string
		want              string // part of the Vietnamese message
	}{
		{"unknown template", "application/json", `{"template":"khong-co"}`, "Không có mẫu văn bản «khong-co»"},
		{"no template", "application/json", `{"fields":{}}`, "Vui lòng chọn loại văn bản"},
		{"1 MB field", "application/json", `{"template":"cong-van","fields":{"trich_yeu":"` + big + `"}}`, "quá dài"},
		{"control character", "application/json", `{"template":"cong-van","issuer":"Ủy ban\u0007"}`, "ký tự điều khiển"},
		{"bidi override", "application/json", `{"template":"cong-van","signer":{"name":"Nguyễn \u202eAn"}}`, "ký tự điều khiển"},
		{"unknown field of the template", "application/json", `{"template":"cong-van","fields":{"khong_co":"x"}}`, "không có trường «khong_co»"},
		{"wrong content type", "text/plain", `{"template":"cong-van"}`, "Content-Type: application/json"},
		{"form post", "application/x-www-form-urlencoded", `template=cong-van`, "Content-Type: application/json"},
		{"malformed JSON", "application/json", `{"template":"cong-van",`, "JSON không hợp lệ"},
		{"not an object", "application/json", `"cong-van"`, "một đối tượng JSON"},
		{"wrong type", "application/json", `{"template":"cong-van","recipients":"Sở Nội vụ"}`, "«recipients» sai kiểu dữ liệu (cần danh sách)"},
		{"unknown key", "application/json", `{"template":"cong-van","legal_basis":[]}`, "Trường không được hỗ trợ: legal_basis"},
		{"two objects", "application/json", `{"template":"cong-van"}{}`, "một đối tượng JSON"},
		{"empty body", "application/json", ``, "Vui lòng gửi yêu cầu soạn thảo"},
		{"bad date", "application/json", `{"template":"cong-van","date":"35/13/2026"}`, "Ngày ban hành không hợp lệ"},
		{"law not in force", "application/json", `{"template":"quyet-dinh","date":"2026-03-05","legal_bases":[{"doc":"regulations/nd-61-2018"}]}`, "hiệu lực"},
		{"oversize body", "application/json", `{"template":"cong-van","instructions":"` + strings.Repeat("x", 3<<20) + `"}`, "quá lớn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := draftDo(t, env.h, http.MethodPost, "/api/v1/drafts", draftToken, tc.ctype, []byte(tc.body))
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("POST /api/v1/drafts = %d, want 400\n%.500s", rec.Code, rec.Body)
			}
			e := decodeBody[draftErrorBody](t, rec)
			if e.Error.Code != "invalid" || !strings.Contains(e.Error.Message, tc.want) {
				t.Errorf("error = %+v, want code invalid and a message with %q", e.Error, tc.want)
			}
		})
	}
}

func TestDraftCheckBadInput(t *testing.T) {
	env := newDraftServer(t)
	ole, oleBody := draftUpload(t, "file", "cu.doc", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 old word"))
	pdf, pdfBody := draftUpload(t, "file", "x.pdf", []byte("%PDF-1.7\x00\x01\x02\xff"))
	other, otherBody := draftUpload(t, "tep", "x.docx", []byte("PK\x03\x04"))
	tests := []struct {
		name, ctype string
		body        []byte
		want        string
	}{
		{"wrong content type", "application/xml", []byte("<x/>"), "Vui lòng gửi tệp .docx"},
		{"broken docx", docxMIME, []byte("PK\x03\x04 not really"), "không phải văn bản Word"},
		{"old Word file", ole, oleBody, "Word 97"},
		{"pdf", pdf, pdfBody, "Tệp phải là văn bản Word"},
		{"no file field", other, otherBody, "trường «file»"},
		{"malformed JSON", "application/json", []byte(`{"issuer":`), "JSON không hợp lệ"},
		{"a request, not a draft", "application/json", []byte(`{"template":"cong-van","fields":{}}`), "POST /api/v1/drafts"},
		{"JSON without a document", "application/json", []byte(`{"doc_type":""}`), "không chứa văn bản"},
		{"control character", "application/json", []byte(`{"issuer":["UBND\u0000"],"body":[{"kind":"text","text":"x"}]}`), "ký tự điều khiển"},
		{"empty", "application/json", nil, "không có nội dung"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := draftDo(t, env.h, http.MethodPost, "/api/v1/drafts/check", draftToken, tc.ctype, tc.body)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("POST /api/v1/drafts/check = %d, want 400\n%.500s", rec.Code, rec.Body)
			}
			e := decodeBody[draftErrorBody](t, rec)
			if e.Error.Code != "invalid" || !strings.Contains(e.Error.Message, tc.want) || e.Error.Message == "" {
				t.Errorf("error = %+v, want code invalid and a message with %q", e.Error, tc.want)
			}
		})
	}
}

// TestDraftCheckFindsErrors: a draft with a wrong abbreviation and a law
// that is no longer in force is reported with the rules it breaks.
func TestDraftCheckFindsErrors(t *testing.T) {
	env := newDraftServer(t)
	text := strings.Join([]string{
		"ỦY BAN NHÂN DÂN", "XÃ SUỐI MÂY", handbook.NationalName, handbook.NationalMotto,
		"Số: 15/TB-UBND", "Suối Mây, ngày 5 tháng 3 năm 2026",
		"QUYẾT ĐỊNH", "Về việc thành lập Tổ hỗ trợ",
		"ỦY BAN NHÂN DÂN XÃ SUỐI MÂY",
		"Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23 tháng 4 năm 2018 của Chính phủ về thực hiện cơ chế một cửa, một cửa liên thông trong giải quyết thủ tục hành chính;",
		"QUYẾT ĐỊNH:", "Điều 1. Thành lập Tổ.", "Điều 2. Quyết định này có hiệu lực kể từ ngày ký./.",
		"Nơi nhận:", "- Như Điều 2;", "- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn An",
	}, "\n")
	rec := draftDo(t, env.h, http.MethodPost, "/api/v1/drafts/check", draftToken, "text/plain; charset=utf-8", []byte(text))
	if rec.Code != http.StatusOK {
		t.Fatalf("check = %d\n%s", rec.Code, rec.Body)
	}
	res := decodeBody[draftCheckBody](t, rec)
	if !res.HasErrors {
		t.Errorf("has_errors = false, findings %v", res.Findings)
	}
	var rules []string
	for _, f := range res.Findings {
		rules = append(rules, f.Rule)
	}
	for _, want := range []string{handbook.RulePlaceDate, handbook.RuleAbbreviation} {
		if !slices.Contains(rules, want) {
			t.Errorf("findings %v lack rule %q", res.Findings, want)
		}
	}
}

// TestDraftingIsInternal: every drafting route answers the public (no token,
// a wrong token) like missing content, even for an id that exists.
func TestDraftingIsInternal(t *testing.T) {
	env := newDraftServer(t)
	tpl, err := handbook.FindTemplate(env.lib, "cong-van")
	if err != nil {
		t.Fatal(err)
	}
	rec := draftDo(t, env.h, http.MethodPost, "/api/v1/drafts", draftToken, "application/json", mustDraftJSON(t, exampleRequest(tpl)))
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST = %d\n%s", rec.Code, rec.Body)
	}
	id := decodeBody[draftBody](t, rec).ID
	form := url.Values{"template": {"cong-van"}, "f.trich_yeu": {"Về việc x"}}.Encode()
	probes := []struct{ method, target, ctype, body string }{
		{"GET", "/api/v1/templates", "", ""},
		{"POST", "/api/v1/drafts", "application/json", `{"template":"cong-van"}`},
		{"POST", "/api/v1/drafts", "application/json", `{"template":"khong-co"}`},
		{"POST", "/api/v1/drafts", "text/plain", `x`},
		{"GET", "/api/v1/drafts/" + id, "", ""},
		{"GET", "/api/v1/drafts/" + id + ".docx", "", ""},
		{"POST", "/api/v1/drafts/check", "text/plain", "x"},
		{"GET", "/drafts", "", ""},
		{"GET", "/drafts?template=cong-van", "", ""},
		{"POST", "/drafts", "application/x-www-form-urlencoded", form},
		{"GET", "/drafts/" + id, "", ""},
	}
	for _, tok := range []string{"", "wrong-token"} {
		for _, p := range probes {
			rec := draftDo(t, env.h, p.method, p.target, tok, p.ctype, []byte(p.body))
			if rec.Code != http.StatusNotFound {
				t.Errorf("%s %s (token %q) = %d, want 404\n%.300s", p.method, p.target, tok, rec.Code, rec.Body)
			}
			if b := rec.Body.String(); strings.Contains(b, "Suối Mây") || strings.Contains(b, "Công văn") {
				t.Errorf("%s %s (token %q) leaks drafting content: %.300s", p.method, p.target, tok, b)
			}
		}
	}
}

func TestDraftStore(t *testing.T) {
	env := newDraftServer(t)
	create := func() string {
		rec := draftDo(t, env.h, http.MethodPost, "/api/v1/drafts", draftToken, "application/json", []byte(`{"template":"thong-bao"}`))
		if rec.Code != http.StatusCreated {
			t.Fatalf("POST = %d\n%s", rec.Code, rec.Body)
		}
		return decodeBody[draftBody](t, rec).ID
	}
	status := func(id string) int {
		return draftDo(t, env.h, http.MethodGet, "/api/v1/drafts/"+id, draftToken, "", nil).Code
	}

	t.Run("UnknownIDs", func(t *testing.T) {
		for _, id := range []string{"AAAAAAAAAAAAAAAAAAAAAAAAAA", "abc", "..%2F..%2Fetc", strings.Repeat("Z", 500), "AAAAAAAAAAAAAAAAAAAAAAAAAA.docx"} {
			rec := draftDo(t, env.h, http.MethodGet, "/api/v1/drafts/"+id, draftToken, "", nil)
			if rec.Code != http.StatusNotFound {
				t.Errorf("GET /api/v1/drafts/%s = %d, want 404", id, rec.Code)
			}
			if e := decodeBody[draftErrorBody](t, rec); !strings.Contains(e.Error.Message, "24 giờ") {
				t.Errorf("GET /api/v1/drafts/%s message = %q, want it to say drafts are kept 24 hours", id, e.Error.Message)
			}
		}
	})
	t.Run("IDsAreDistinct", func(t *testing.T) {
		seen := map[string]bool{}
		for range 20 {
			id := create()
			if seen[id] {
				t.Fatalf("id %s handed out twice", id)
			}
			seen[id] = true
		}
	})
	t.Run("ExpireAfter24Hours", func(t *testing.T) {
		id := create()
		env.draftClock.Add(23 * time.Hour)
		if got := status(id); got != http.StatusOK {
			t.Fatalf("after 23 h: %d, want 200", got)
		}
		env.draftClock.Add(2 * time.Hour)
		if got := status(id); got != http.StatusNotFound {
			t.Errorf("after 25 h: %d, want 404", got)
		}
	})
	t.Run("OldestDroppedPast500", func(t *testing.T) {
		if testing.Short() {
			t.Skip("501 drafts")
		}
		first := create()
		for range 500 {
			create()
		}
		if got := status(first); got != http.StatusNotFound {
			t.Errorf("the oldest of 501 drafts: %d, want 404", got)
		}
	})
}

func TestDraftingNotConfigured(t *testing.T) {
	env := newDraftServer(t, func(o *api.Options) { o.Drafter, o.Docx = nil, api.DocxCodec{} })
	for _, p := range []struct{ method, target, ctype, body string }{
		{"GET", "/api/v1/templates", "", ""},
		{"POST", "/api/v1/drafts", "application/json", `{"template":"cong-van"}`},
		{"POST", "/api/v1/drafts/check", "text/plain", "x"},
	} {
		rec := draftDo(t, env.h, p.method, p.target, draftToken, p.ctype, []byte(p.body))
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s %s without a Drafter = %d, want 503", p.method, p.target, rec.Code)
		}
		if e := decodeBody[draftErrorBody](t, rec); !strings.Contains(e.Error.Message, "soạn thảo chưa được bật") {
			t.Errorf("%s %s message = %q", p.method, p.target, e.Error.Message)
		}
	}
}

// TestDraftPage drafts through the web form as a browser without
// JavaScript does: choose a template, post the form, follow the redirect to
// the draft's page, which shows the findings, the .docx link and the
// preview.
func TestDraftPage(t *testing.T) {
	env := newDraftServer(t)
	rec := draftDo(t, env.h, http.MethodGet, "/drafts", draftToken, "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `value="quyet-dinh"`) {
		t.Fatalf("GET /drafts = %d, want the template chooser\n%.2000s", rec.Code, rec.Body)
	}
	rec = draftDo(t, env.h, http.MethodGet, "/drafts?template=quyet-dinh", draftToken, "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /drafts?template=quyet-dinh = %d\n%.2000s", rec.Code, rec.Body)
	}
	checkHTML(t, rec.Body.Bytes())
	for _, want := range []string{`name="f.trich_yeu"`, `name="f.dieu"`, `value="regulations/luat-to-chuc-chinh-quyen-dia-phuong-2025"`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("the quyết định form lacks %s", want)
		}
	}
	if strings.Contains(rec.Body.String(), `value="regulations/nd-61-2018"`) {
		t.Errorf("the form offers Nghị định 61/2018, which is no longer in force, as a căn cứ")
	}

	form := url.Values{
		"template": {"quyet-dinh"}, "issuer": {"Ủy ban nhân dân xã Suối Mây"}, "issuer_code": {"UBND"}, "unit_code": {"VP"},
		"place": {"Suối Mây"}, "date": {"2026-03-05"}, "number": {"15"},
		"signer_authority": {"TM."}, "signer_title": {"Chủ tịch"}, "signer_name": {"Nguyễn Văn An"},
		"f.trich_yeu": {"Về việc thành lập Tổ hỗ trợ dịch vụ công trực tuyến"},
		"f.dieu":      {"Thành lập Tổ hỗ trợ.\r\nTổ có nhiệm vụ hướng dẫn người dân."},
		"legal_bases": {"regulations/luat-to-chuc-chinh-quyen-dia-phuong-2025"},
		"recipients":  {"Ủy ban nhân dân tỉnh Lâm Đồng\r\nCông an xã"},
	}
	rec = draftDo(t, env.h, http.MethodPost, "/drafts", draftToken, "application/x-www-form-urlencoded", []byte(form.Encode()))
	page := rec
	if rec.Code == http.StatusSeeOther || rec.Code == http.StatusFound {
		loc := rec.Header().Get("Location")
		if !regexp.MustCompile(`^/drafts/[A-Z2-7]{26}$`).MatchString(loc) {
			t.Fatalf("POST /drafts redirects to %q, want /drafts/{id}", loc)
		}
		page = draftDo(t, env.h, http.MethodGet, loc, draftToken, "", nil)
	}
	if page.Code != http.StatusOK {
		t.Fatalf("draft page = %d\n%.3000s", page.Code, page.Body)
	}
	checkHTML(t, page.Body.Bytes())
	body := page.Body.String()
	docxLink := regexp.MustCompile(`href="(/api/v1/drafts/[A-Z2-7]{26}\.docx)"`).FindStringSubmatch(body)
	if docxLink == nil {
		t.Fatalf("the draft page has no .docx link\n%.3000s", body)
	}
	for _, want := range []string{"Số: 15/QĐ-UBND", "Thành lập Tổ hỗ trợ.", "[CẦN BỔ SUNG:", handbook.RuleTemplate} {
		if !strings.Contains(body, want) && !strings.Contains(body, strings.ReplaceAll(want, "/", "&#x2f;")) {
			t.Errorf("the draft page lacks %q", want)
		}
	}
	// The preview: inline, or a page of its own that the draft page frames.
	preview := body
	if m := regexp.MustCompile(`src="(/drafts/[A-Z2-7]{26}/preview)"`).FindStringSubmatch(body); m != nil {
		rec := draftDo(t, env.h, http.MethodGet, m[1], draftToken, "", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", m[1], rec.Code)
		}
		preview = rec.Body.String()
		if pub := draftDo(t, env.h, http.MethodGet, m[1], "", "", nil); pub.Code != http.StatusNotFound {
			t.Errorf("public GET %s = %d, want 404", m[1], pub.Code)
		}
	}
	if !strings.Contains(preview, `class="nd30"`) || !strings.Contains(preview, "Nguyễn Văn An") || !strings.Contains(preview, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") {
		t.Errorf("no preview of the draft\n%.3000s", preview)
	}
	file := draftDo(t, env.h, http.MethodGet, docxLink[1], draftToken, "", nil)
	if file.Code != http.StatusOK || file.Header().Get("Content-Type") != docxMIME {
		t.Errorf("GET %s = %d %q", docxLink[1], file.Code, file.Header().Get("Content-Type"))
	}

	// A request the drafter refuses comes back as the form with the reason.
	bad := url.Values{"template": {"quyet-dinh"}, "legal_bases": {"regulations/nd-61-2018"}, "date": {"2026-03-05"}}
	rec = draftDo(t, env.h, http.MethodPost, "/drafts", draftToken, "application/x-www-form-urlencoded", []byte(bad.Encode()))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "hiệu lực") || !strings.Contains(rec.Body.String(), `name="f.trich_yeu"`) {
		t.Errorf("POST /drafts with a căn cứ not in force = %d, want 400 with the message and the form\n%.2000s", rec.Code, rec.Body)
	}
}

// TestDraftSampleRequests drafts the sample requests that the handbook golden
// tests use (handbook/testdata/draft) against the content that ships, so that
// what README and docs/drafting show can be reproduced from a clean checkout
// with `handbook draft -fields …request.json`: every căn cứ they name exists
// in content/regulations and is in force on their date.
func TestDraftSampleRequests(t *testing.T) {
	env := newDraftServer(t)
	files, err := filepath.Glob("../handbook/testdata/draft/*.request.json")
	if err != nil || len(files) < 10 {
		t.Fatalf("%d sample requests in handbook/testdata/draft (%v), want one per template", len(files), err)
	}
	// These two leave a required field empty on purpose (see TestDraftGolden).
	incomplete := map[string]bool{"giay-moi": true, "ke-hoach": true}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".request.json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rec := draftDo(t, env.h, http.MethodPost, "/api/v1/drafts", draftToken, "application/json", body)
			if rec.Code != http.StatusCreated {
				t.Fatalf("POST /api/v1/drafts = %d\n%s", rec.Code, rec.Body)
			}
			res := decodeBody[draftBody](t, rec)
			for _, f := range res.Findings {
				if f.Severity == handbook.SeverityError && !(incomplete[name] && f.Rule == handbook.RuleTemplate) {
					t.Errorf("finding on the shipped content: %s", f)
				}
			}
		})
	}
}

// TestDraftPageBadInput: the web form answers bad input (issue 7, point 5)
// with the Vietnamese reason above the form, keeps what was typed, and the
// server goes on serving.
func TestDraftPageBadInput(t *testing.T) {
	env := newDraftServer(t)
	big := strings.Repeat("a", 1<<20)
	for _, tc := range []struct {
		name string
		form url.Values
		want string
		keep string // a value the form must show again
	}{
		{"unknown type", url.Values{"template": {"hop-dong-mua-ban"}}, "Không có mẫu văn bản «hop-dong-mua-ban»", ""},
		{"1 MB field", url.Values{"template": {"cong-van"}, "issuer": {"Ủy ban nhân dân xã Suối Mây"}, "f.noi_dung": {big}},
			"Trường «Nội dung công văn» quá dài", "Ủy ban nhân dân xã Suối Mây"},
		{"control character", url.Values{"template": {"cong-van"}, "f.trich_yeu": {"đề nghị hỗ trợ"}, "signer_name": {"Nguyễn\x07 An"}},
			"Trường «Họ tên người ký» chứa ký tự điều khiển", "đề nghị hỗ trợ"},
		{"bidi override", url.Values{"template": {"cong-van"}, "issuer": {"Ủy ban \u202enhân dân"}}, "ký tự điều khiển", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := draftDo(t, env.h, http.MethodPost, "/drafts", draftToken, "application/x-www-form-urlencoded", []byte(tc.form.Encode()))
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("POST /drafts = %d, want 400\n%.1500s", rec.Code, rec.Body)
			}
			body := rec.Body.String()
			if !strings.Contains(body, `class="banner error"`) || !strings.Contains(body, tc.want) {
				t.Errorf("the page does not show %q in an error banner\n%.3000s", tc.want, body)
			}
			if tc.keep != "" && !strings.Contains(body, `value="`+tc.keep+`"`) && !strings.Contains(body, ">"+tc.keep+"<") {
				t.Errorf("the form lost %q", tc.keep)
			}
			if tc.form.Get("f.noi_dung") == big {
				if strings.Contains(body, big) || !strings.Contains(body, strings.Repeat("a", handbook.MaxFieldRunes)) ||
					!strings.Contains(body, "chỉ giữ lại 20.000 ký tự đầu") {
					t.Errorf("the form should keep the first 20.000 characters of the 1 MB value and say so")
				}
			}
			checkHTML(t, rec.Body.Bytes())
		})
	}
	if rec := draftDo(t, env.h, http.MethodGet, "/drafts?template=cong-van", draftToken, "", nil); rec.Code != http.StatusOK {
		t.Errorf("after bad input GET /drafts?template=cong-van = %d", rec.Code)
	}
}

// TestDraftsSharedBetweenReplicas: with a DraftStore (as cmd/handbook passes
// the SQLite or PostgreSQL state store), a draft made on one replica opens
// and downloads on another, and expires after a day on both.
func TestDraftsSharedBetweenReplicas(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "handbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &draftClock{t: draftNow}
	st.Now = clk.Now
	replica := func() http.Handler {
		return newDraftServer(t, func(o *api.Options) { o.Drafts = st; o.Now = clk.Now }).h
	}
	a, b := replica(), replica()
	req, err := os.ReadFile("../handbook/testdata/draft/cong-van.request.json")
	if err != nil {
		t.Fatal(err)
	}
	rec := draftDo(t, a, http.MethodPost, "/api/v1/drafts", draftToken, "application/json", req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST on replica A = %d\n%s", rec.Code, rec.Body)
	}
	made := decodeBody[draftBody](t, rec)
	got := draftDo(t, b, http.MethodGet, "/api/v1/drafts/"+made.ID, draftToken, "", nil)
	if got.Code != http.StatusOK || decodeBody[draftBody](t, got).Text != made.Text {
		t.Fatalf("GET on replica B = %d\n%.500s", got.Code, got.Body)
	}
	file := draftDo(t, b, http.MethodGet, made.DocxURL, draftToken, "", nil)
	if file.Code != http.StatusOK || !strings.Contains(docxPart(t, file.Body.Bytes(), "word/document.xml"), "UBND-VP") {
		t.Errorf("GET %s on replica B = %d", made.DocxURL, file.Code)
	}
	page := draftDo(t, b, http.MethodGet, "/drafts/"+made.ID, draftToken, "", nil)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `value="đề nghị hỗ trợ thiết bị cho Trung tâm Phục vụ hành chính công xã"`) {
		t.Errorf("GET /drafts/{id} on replica B = %d, want the form filled from the stored request", page.Code)
	}
	if pub := draftDo(t, b, http.MethodGet, made.DocxURL, "", "", nil); pub.Code != http.StatusNotFound {
		t.Errorf("public GET %s = %d, want 404", made.DocxURL, pub.Code)
	}
	clk.Add(24*time.Hour + time.Second)
	for _, h := range []http.Handler{a, b} {
		rec := draftDo(t, h, http.MethodGet, made.DocxURL, draftToken, "", nil)
		if e := decodeBody[draftErrorBody](t, rec); rec.Code != http.StatusNotFound || !strings.Contains(e.Error.Message, "24 giờ") {
			t.Errorf("GET after a day = %d %+v, want 404 saying drafts are kept 24 hours", rec.Code, e.Error)
		}
	}
}
