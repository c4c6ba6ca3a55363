package api

// Drafting over HTTP (issue #7): POST /api/v1/drafts builds a document in
// the Nghị định 30/2020/NĐ-CP format from a template and the drafter's facts,
// GET /api/v1/drafts/{id}[.docx] returns it again or as Word, POST
// /api/v1/drafts/check validates an uploaded .docx or JSON draft, and GET
// /api/v1/templates lists the templates. The page /drafts (ui_drafts.go)
// uses the same store.
//
// Drafting is for commune staff and the templates are internal content, so
// every route here answers a public caller with the same 404 as any other
// internal content.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
)

// DocxCodec writes drafts as .docx and checks uploaded .docx files.
// cmd/handbook passes handbook/docx (Render and Check), so that api keeps to
// its two imports (STYLE.md §2); a nil field turns off the download or the
// upload check with a 503 that says so.
type DocxCodec struct {
	Render func(*handbook.Draft) ([]byte, error)
	Check  func(*handbook.Drafter, []byte) ([]handbook.Finding, error)
}

// docxType is the media type of a .docx (ECMA-376).
const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// Limits of the draft store. A draft is at most handbook.MaxDraftRunes of
// text, so 500 drafts could in theory reach a few hundred MB; the byte
// budget keeps the store to 64 MB on a commune PC whatever is sent.
const (
	draftStoreMax   = 500
	draftStoreTTL   = 24 * time.Hour
	draftStoreBytes = 64 << 20
	// maxDraftBody bounds a drafting request or an uploaded file; the
	// server-wide BodyLimit (2 MB) stops larger bodies before they arrive.
	maxDraftBody = 2 << 20
)

// routesDrafts registers the drafting API.
func (s *Server) routesDrafts(v1 *echo.Group) {
	if s.opt.Drafts != nil {
		s.drafts = &sharedDrafts{store: s.opt.Drafts, now: s.opt.Now, ttl: draftStoreTTL}
	} else {
		s.drafts = newDraftStore(s.opt.Now, draftStoreMax, draftStoreTTL, draftStoreBytes)
	}
	v1.GET("/templates", s.apiTemplates, s.internalOnly)
	v1.POST("/drafts", s.apiDraftCreate, s.internalOnly)
	v1.POST("/drafts/check", s.apiDraftCheck, s.internalOnly)
	v1.GET("/drafts/:id", s.apiDraftGet, s.internalOnly)
}

// internalOnly answers callers who may not see internal content exactly as
// an unknown route does.
func (s *Server) internalOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := requireInternal(c); err != nil {
			return err
		}
		return next(c)
	}
}

// requireInternal answers a caller who may not see internal content with the
// not-found every other internal page gives.
func requireInternal(c echo.Context) error {
	if callerAudience(c) != handbook.AudienceInternal {
		return handbook.Errorf(handbook.NotFound, "Không tìm thấy nội dung yêu cầu.", "drafting: %s for a public caller", c.Request().URL.Path)
	}
	return nil
}

// drafter returns the configured Drafter, or an Unavailable error.
func (s *Server) drafter() (*handbook.Drafter, error) {
	if s.opt.Drafter == nil {
		return nil, handbook.Errorf(handbook.Unavailable, "Chức năng soạn thảo chưa được bật trên máy chủ này.", "no drafter configured")
	}
	return s.opt.Drafter, nil
}

// draftJSON is the answer of POST /api/v1/drafts and GET /api/v1/drafts/{id}.
type draftJSON struct {
	ID           string             `json:"id"`
	Draft        *handbook.Draft    `json:"draft"`
	Text         string             `json:"text"`
	HTML         string             `json:"html"`
	Findings     []handbook.Finding `json:"findings"`
	HasErrors    bool               `json:"has_errors"`
	Placeholders []string           `json:"placeholders"`
	DocxURL      string             `json:"docx_url"`
}

func draftURL(id string) string { return "/api/v1/drafts/" + id }

func toDraftJSON(d *handbook.Draft) (draftJSON, error) {
	html, err := d.HTML()
	if err != nil {
		return draftJSON{}, err
	}
	structured := *d
	structured.Findings = nil // given once, at the top level
	out := draftJSON{
		ID: d.ID, Draft: &structured, Text: d.Text(), HTML: string(html),
		Findings: d.Findings, HasErrors: handbook.HasErrors(d.Findings), Placeholders: d.Placeholders,
		DocxURL: draftURL(d.ID) + ".docx",
	}
	if out.Findings == nil {
		out.Findings = []handbook.Finding{}
	}
	if out.Placeholders == nil {
		out.Placeholders = []string{}
	}
	return out, nil
}

// apiDraftCreate answers POST /api/v1/drafts: a DraftRequest in, 201 with
// the draft, its text, HTML preview, findings and the .docx link out.
func (s *Server) apiDraftCreate(c echo.Context) error {
	dr, err := s.drafter()
	if err != nil {
		return err
	}
	req, err := decodeDraftRequest(c.Request())
	if err != nil {
		return err
	}
	d, err := s.draft(c, dr, req)
	if err != nil {
		return err
	}
	out, err := toDraftJSON(d)
	if err != nil {
		return err
	}
	noStore(c)
	c.Response().Header().Set(echo.HeaderLocation, draftURL(d.ID))
	return c.JSON(http.StatusCreated, out)
}

// draft builds a draft and keeps it in the store under a new id.
func (s *Server) draft(c echo.Context, dr *handbook.Drafter, req handbook.DraftRequest) (*handbook.Draft, error) {
	d, err := dr.Draft(c.Request().Context(), req)
	if err != nil {
		return nil, err
	}
	if err := s.drafts.put(c.Request().Context(), d, req); err != nil {
		return nil, err
	}
	// The text may hold citizens' personal data: log only its shape.
	s.log.Info("draft created", "template", d.Template, "findings", len(d.Findings),
		"placeholders", len(d.Placeholders), "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	return d, nil
}

// apiDraftGet answers GET /api/v1/drafts/{id} (JSON) and
// GET /api/v1/drafts/{id}.docx (the Word file).
func (s *Server) apiDraftGet(c echo.Context) error {
	id, docx := strings.CutSuffix(c.Param("id"), ".docx")
	sd, err := s.drafts.get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	noStore(c)
	if !docx {
		out, err := toDraftJSON(sd.draft)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
	if s.opt.Docx.Render == nil {
		return handbook.Errorf(handbook.Unavailable, "Máy chủ này chưa bật chức năng xuất tệp Word (.docx).", "no docx renderer configured")
	}
	b, err := s.opt.Docx.Render(sd.draft)
	if err != nil {
		return fmt.Errorf("render draft %s: %w", id, err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition,
		mime.FormatMediaType("attachment", map[string]string{"filename": sd.draft.Filename()}))
	return c.Blob(http.StatusOK, docxType, b)
}

// checkJSON is the answer of POST /api/v1/drafts/check.
type checkJSON struct {
	Findings  []handbook.Finding `json:"findings"`
	HasErrors bool               `json:"has_errors"`
}

// apiDraftCheck answers POST /api/v1/drafts/check. It takes a .docx or a
// JSON draft (the "draft" of POST /api/v1/drafts, or that whole answer),
// either as the request body or as the multipart field "file", and plain
// text (text/plain) such as a document pasted from Word.
func (s *Server) apiDraftCheck(c echo.Context) error {
	dr, err := s.drafter()
	if err != nil {
		return err
	}
	r := c.Request()
	mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	var kind string
	var body []byte
	switch mt {
	case echo.MIMEMultipartForm:
		fh, err := c.FormFile("file")
		if err != nil {
			if he, ok := errors.AsType[*echo.HTTPError](err); ok {
				return he
			}
			return handbook.Errorf(handbook.Invalid, "Vui lòng chọn tệp cần kiểm tra (.docx hoặc .json) trong trường «file».", "check upload: %w", err)
		}
		f, err := fh.Open()
		if err != nil {
			return fmt.Errorf("open uploaded file: %w", err)
		}
		defer f.Close()
		if body, err = readLimited(f); err != nil {
			return err
		}
		if kind, err = sniffUpload(body); err != nil {
			return err
		}
	case docxType, echo.MIMEApplicationJSON, echo.MIMETextPlain:
		if body, err = readLimited(r.Body); err != nil {
			return err
		}
		kind = map[string]string{docxType: "docx", echo.MIMEApplicationJSON: "json", echo.MIMETextPlain: "text"}[mt]
	default:
		return handbook.Errorf(handbook.Invalid,
			"Vui lòng gửi tệp .docx (multipart/form-data, trường «file», hoặc Content-Type: "+docxType+") hoặc văn bản dạng JSON (Content-Type: application/json).",
			"check: content type %q", r.Header.Get(echo.HeaderContentType))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return handbook.Errorf(handbook.Invalid, "Tệp gửi lên không có nội dung.", "check: empty body")
	}
	var fs []handbook.Finding
	switch kind {
	case "docx":
		if s.opt.Docx.Check == nil {
			return handbook.Errorf(handbook.Unavailable, "Máy chủ này chưa bật chức năng kiểm tra tệp Word (.docx).", "no docx checker configured")
		}
		fs, err = s.opt.Docx.Check(dr, body)
	case "json":
		var d *handbook.Draft
		if d, err = DecodeDraft(body); err == nil {
			fs = dr.Check(d, handbook.Date{})
		}
	default:
		var d *handbook.Draft
		if err = checkPlainText(string(body)); err == nil {
			if d, err = handbook.ParseDraftText(string(body)); err == nil {
				fs = dr.Check(d, handbook.Date{})
			}
		}
	}
	if err != nil {
		return err
	}
	if fs == nil {
		fs = []handbook.Finding{}
	}
	noStore(c)
	return c.JSON(http.StatusOK, checkJSON{Findings: fs, HasErrors: handbook.HasErrors(fs)})
}

// sniffUpload tells a .docx (a zip), a JSON draft and plain text apart by
// their first bytes, whatever the file is called.
func sniffUpload(b []byte) (string, error) {
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "docx", nil
	case bytes.HasPrefix(b, []byte("\xD0\xCF\x11\xE0")): // OLE2: Word 97–2003
		return "", handbook.Errorf(handbook.Invalid, "Tệp .doc (Word 97–2003) chưa được hỗ trợ; hãy mở bằng Word hoặc LibreOffice và lưu lại thành .docx.", "check: OLE2 upload")
	case bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n\uFEFF"), []byte("{")):
		return "json", nil
	case utf8.Valid(b) && !bytes.HasPrefix(b, []byte("%PDF")):
		return "text", nil
	}
	return "", handbook.Errorf(handbook.Invalid, "Tệp phải là văn bản Word (.docx), văn bản soạn thảo dạng JSON hoặc văn bản thuần (UTF-8).", "check: unknown upload type")
}

// readLimited reads at most maxDraftBody bytes.
func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxDraftBody+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if len(b) > maxDraftBody {
		return nil, handbook.Errorf(handbook.Invalid, "Dữ liệu gửi lên quá lớn (tối đa 2 MB).", "draft body over %d bytes", maxDraftBody)
	}
	return b, nil
}

// bodyError keeps the body-limit error (413, mapped to 400 "Dữ liệu gửi lên
// quá lớn") and wraps anything else.
func bodyError(err error) error {
	if he, ok := errors.AsType[*echo.HTTPError](err); ok {
		return he
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return echo.ErrStatusRequestEntityTooLarge
	}
	return fmt.Errorf("read draft body: %w", err)
}

// decodeDraftRequest reads a DraftRequest with messages a person can act on.
func decodeDraftRequest(r *http.Request) (handbook.DraftRequest, error) {
	var req handbook.DraftRequest
	const example = `{"template":"cong-van","issuer":"Ủy ban nhân dân xã …","fields":{"trich_yeu":"…"}}`
	mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON {
		return req, handbook.Errorf(handbook.Invalid, "Vui lòng gửi yêu cầu soạn thảo dạng JSON (Content-Type: application/json), ví dụ "+example+".",
			"draft: content type %q", r.Header.Get(echo.HeaderContentType))
	}
	body, err := readLimited(r.Body)
	if err != nil {
		return req, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, handbook.Errorf(handbook.Invalid, "Vui lòng gửi yêu cầu soạn thảo dạng JSON, ví dụ "+example+".", "draft: empty body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, jsonError(err, "draft request")
	}
	if dec.More() {
		return req, handbook.Errorf(handbook.Invalid, "Dữ liệu JSON không hợp lệ: chỉ gửi một đối tượng JSON.", "draft: trailing data after the request")
	}
	return req, nil
}

// jsonError turns a decoding error into a Vietnamese message that names the
// offending field or position.
func jsonError(err error, what string) error {
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return handbook.Errorf(handbook.Invalid, "Trường không được hỗ trợ: "+clip(name, 60)+".", "decode %s: unknown field %q", what, name)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Field == "" {
		return handbook.Errorf(handbook.Invalid, "Dữ liệu JSON không hợp lệ: cần gửi một đối tượng JSON {…}.", "decode %s: %w", what, err)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return handbook.Errorf(handbook.Invalid, "Trường «"+clip(te.Field, 60)+"» sai kiểu dữ liệu (cần "+jsonTypeName(te.Type.Kind().String())+").",
			"decode %s: %w", what, err)
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return handbook.Errorf(handbook.Invalid, fmt.Sprintf("Dữ liệu JSON không hợp lệ (lỗi ở ký tự thứ %d).", se.Offset), "decode %s: %w", what, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return handbook.Errorf(handbook.Invalid, "Dữ liệu JSON không hợp lệ (bị cắt cụt).", "decode %s: %w", what, err)
	}
	return handbook.Errorf(handbook.Invalid, "Dữ liệu JSON không hợp lệ.", "decode %s: %w", what, err)
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "chuỗi ký tự"
	case "slice", "array":
		return "danh sách"
	case "map", "struct":
		return "đối tượng"
	case "bool":
		return "true hoặc false"
	}
	return "số"
}

// DecodeDraft reads a draft as JSON: a handbook.Draft, or the whole answer
// of POST /api/v1/drafts (whose "draft" holds it), with its findings
// dropped so that they are computed again. Text with control characters or
// JSON that holds no document component is an Invalid error. cmd/handbook
// uses it for `handbook draft --check file.json`.
func DecodeDraft(b []byte) (*handbook.Draft, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, jsonError(err, "draft")
	}
	if inner, ok := top["draft"]; ok && bytes.HasPrefix(bytes.TrimSpace(inner), []byte("{")) {
		b = inner
	} else if _, ok := top["template"]; ok && len(top["body"]) == 0 && len(top["signatures"]) == 0 {
		return nil, handbook.Errorf(handbook.Invalid,
			"Đây là yêu cầu soạn thảo, không phải văn bản đã soạn: gửi nó tới POST /api/v1/drafts để soạn và nhận kết quả kiểm tra.",
			"check: a draft request, not a draft")
	}
	var d handbook.Draft
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, jsonError(err, "draft")
	}
	d.Findings = nil
	if err := checkDraftText(&d); err != nil {
		return nil, err
	}
	if len(d.Issuer) == 0 && d.Number == "" && d.Title == "" && d.Subject == "" && len(d.Body) == 0 && len(d.Signatures) == 0 {
		return nil, handbook.Errorf(handbook.Invalid, "Dữ liệu JSON không chứa văn bản soạn thảo (không có tên cơ quan, số, nội dung hay chữ ký).",
			"check: JSON without document components")
	}
	return &d, nil
}

// checkDraftText rejects a JSON draft whose text holds control characters
// (bidi overrides included) or is longer than a drafting request may be.
func checkDraftText(d *handbook.Draft) error {
	var all []string
	all = append(all, d.Template, d.DocType, d.Abbr, d.National, d.Motto, d.Number, d.PlaceDate, d.Title,
		d.Subject, d.Authority, d.Proposal)
	all = append(all, d.Superior...)
	all = append(all, d.Issuer...)
	all = append(all, d.To...)
	all = append(all, d.Recipients...)
	for _, b := range d.Bases {
		all = append(all, b.Doc, b.Article, b.Text)
	}
	for _, p := range d.Body {
		all = append(all, string(p.Kind), p.Lead, p.Text)
	}
	for _, s := range d.Signatures {
		all = append(all, s.Name)
		all = append(all, s.Lines...)
	}
	for k, v := range d.Fields {
		all = append(all, k, v)
	}
	return checkPlainText(strings.Join(all, "\n"))
}

// checkPlainText rejects text that cannot be part of a document, as
// handbook.Drafter does for requests: control characters other than tab
// and line breaks, bidi overrides and isolates, and more than
// handbook.MaxDraftRunes.
func checkPlainText(s string) error {
	if n := utf8.RuneCountInString(s); n > handbook.MaxDraftRunes {
		return handbook.Errorf(handbook.Invalid, fmt.Sprintf("Văn bản quá dài (%d ký tự, tối đa %d).", n, handbook.MaxDraftRunes),
			"check: %d runes", n)
	}
	for _, r := range s {
		if r == '\n' || r == '\r' || r == '\t' {
			continue
		}
		if unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
			return handbook.Errorf(handbook.Invalid, "Văn bản chứa ký tự điều khiển không hợp lệ.", "check: control character %U", r)
		}
	}
	return nil
}

// templateJSON is one template in GET /api/v1/templates.
type templateJSON struct {
	ID        string                   `json:"id"`
	Slug      string                   `json:"slug"`
	Title     string                   `json:"title"`
	DocType   string                   `json:"doc_type"`
	Abbr      string                   `json:"abbr"`
	Summary   string                   `json:"summary,omitempty"`
	Fields    []handbook.TemplateField `json:"fields"`
	Structure []string                 `json:"structure,omitempty"`
	URL       string                   `json:"url"`
}

// apiTemplates answers GET /api/v1/templates.
func (s *Server) apiTemplates(c echo.Context) error {
	if err := rejectUnknown(c.QueryParams()); err != nil {
		return err
	}
	dr, err := s.drafter()
	if err != nil {
		return err
	}
	out := []templateJSON{}
	for _, d := range dr.Templates() {
		t := d.Template
		fields := t.Fields
		if fields == nil {
			fields = []handbook.TemplateField{}
		}
		out = append(out, templateJSON{ID: d.ID, Slug: strings.TrimPrefix(d.ID, "templates/"), Title: d.Title,
			DocType: t.DocType, Abbr: t.Abbr, Summary: d.Summary, Fields: fields, Structure: t.Structure, URL: docURL(d.ID, "")})
	}
	return c.JSON(http.StatusOK, map[string]any{"templates": out})
}

// noStore keeps drafts, which may hold personal data, out of every cache.
func noStore(c echo.Context) {
	c.Response().Header().Set("Cache-Control", "no-store")
}

// draftKeeper keeps drafts between the request that makes one and those
// that read or download it: sharedDrafts in the Store when there is one,
// draftStore in memory otherwise.
type draftKeeper interface {
	// put stores d under a new id, which it sets as d.ID.
	put(ctx context.Context, d *handbook.Draft, req handbook.DraftRequest) error
	// get returns the draft stored under id; unknown, malformed and expired
	// ids are all the same NotFound.
	get(ctx context.Context, id string) (*storedDraft, error)
}

// errDraftNotFound is what get answers for any id it cannot serve.
func errDraftNotFound(format string, args ...any) error {
	return handbook.Errorf(handbook.NotFound,
		"Không tìm thấy bản soạn thảo. Bản soạn thảo chỉ được giữ tạm 24 giờ trên máy chủ; vui lòng soạn lại.", format, args...)
}

// sharedDrafts keeps drafts in a handbook.DraftStore (SQLite, or
// PostgreSQL shared by every replica), as JSON, for ttl.
type sharedDrafts struct {
	store handbook.DraftStore
	now   func() time.Time
	ttl   time.Duration
}

func (sh *sharedDrafts) put(ctx context.Context, d *handbook.Draft, req handbook.DraftRequest) error {
	d.ID = rand.Text()
	draft, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode draft: %w", err)
	}
	request, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode draft request: %w", err)
	}
	now := sh.now()
	return sh.store.PutDraft(ctx, &handbook.StoredDraft{ID: d.ID, Draft: draft, Request: request, Created: now, Expires: now.Add(sh.ttl)})
}

func (sh *sharedDrafts) get(ctx context.Context, id string) (*storedDraft, error) {
	if !draftIDRE.MatchString(id) {
		return nil, errDraftNotFound("malformed draft id")
	}
	st, err := sh.store.StoredDraft(ctx, id)
	if handbook.ErrorCode(err) == handbook.NotFound {
		return nil, errDraftNotFound("draft not found or expired: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("read draft: %w", err)
	}
	sd := &storedDraft{draft: &handbook.Draft{}, expires: st.Expires}
	if err := json.Unmarshal(st.Draft, sd.draft); err != nil {
		return nil, fmt.Errorf("decode stored draft: %w", err)
	}
	if err := json.Unmarshal(st.Request, &sd.req); err != nil {
		return nil, fmt.Errorf("decode stored draft request: %w", err)
	}
	return sd, nil
}

// draftStore keeps drafts in memory for draftStoreTTL, at most max of them
// and about maxBytes in all, dropping the oldest first. Drafts hold
// citizens' personal data (names, CCCD numbers), so they are ephemeral by
// design: a restart forgets them, and the only way to one is its random
// 128-bit id, which is never listed.
//
// It serves when the server has no Store (Options.Drafts nil): it lives in
// one process, so replicas behind a load balancer need sharedDrafts.
type draftStore struct {
	now      func() time.Time
	max      int
	ttl      time.Duration
	maxBytes int

	mu    sync.Mutex
	byID  map[string]*storedDraft
	queue []string // ids, oldest first; ids already dropped are skipped
	bytes int
}

type storedDraft struct {
	draft   *handbook.Draft
	req     handbook.DraftRequest // to fill the form again on /drafts/{id}
	expires time.Time
	size    int
}

func newDraftStore(now func() time.Time, max int, ttl time.Duration, maxBytes int) *draftStore {
	return &draftStore{now: now, max: max, ttl: ttl, maxBytes: maxBytes, byID: map[string]*storedDraft{}}
}

// draftIDRE matches the ids put hands out (crypto/rand.Text: 26 base32
// characters, 130 bits).
var draftIDRE = regexp.MustCompile(`^[A-Z2-7]{26}$`)

func (st *draftStore) put(_ context.Context, d *handbook.Draft, req handbook.DraftRequest) error {
	d.ID = rand.Text()
	size := 1024
	for _, v := range []any{d, req} {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("measure draft: %w", err)
		}
		size += len(b)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.expire()
	for len(st.queue) > 0 && (len(st.byID) >= st.max || st.bytes+size > st.maxBytes) {
		st.dropOldest()
	}
	st.byID[d.ID] = &storedDraft{draft: d, req: req, expires: st.now().Add(st.ttl), size: size}
	st.queue = append(st.queue, d.ID)
	st.bytes += size
	return nil
}

func (st *draftStore) get(_ context.Context, id string) (*storedDraft, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.expire()
	sd, ok := st.byID[id]
	if !draftIDRE.MatchString(id) || !ok {
		return nil, errDraftNotFound("draft not found or expired")
	}
	return sd, nil
}

// expire drops drafts past their time. Every draft lives equally long, so
// the oldest in the queue expires first.
func (st *draftStore) expire() {
	now := st.now()
	for len(st.queue) > 0 {
		sd, ok := st.byID[st.queue[0]]
		if ok && now.Before(sd.expires) {
			return
		}
		st.dropOldest()
	}
}

func (st *draftStore) dropOldest() {
	if len(st.queue) == 0 {
		return
	}
	id := st.queue[0]
	st.queue = st.queue[1:]
	if sd, ok := st.byID[id]; ok {
		st.bytes -= sd.size
		delete(st.byID, id)
	}
}
