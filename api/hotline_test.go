package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sotay/api"
	"sotay/handbook"
	"sotay/handbook/docx"
	"sotay/handbook/markdown"
	"sotay/handbook/openai"
	"sotay/handbook/openai/openaitest"
	"sotay/handbook/sqlite"
	"sotay/indexer/bleve"
	"sotay/indexer/memvec"
)

// hlMarker is a word that appears only in the internal document of the
// hotline fixture.
const hlMarker = "quokkaxenon"

// hlFiles is the content of the hotline tests: a procedure with an owner, a
// regulation with sources, and an internal guide holding hlMarker.
var hlFiles = map[string]string{
	"procedures/ho-tich/dang-ky-khai-sinh.md": `---
title: Đăng ký khai sinh
kind: procedure
aliases: [làm giấy khai sinh]
code: "1.001193"
field: Hộ tịch
agency: UBND cấp xã
time_limit: Ngay trong ngày
owner: Sở Tư pháp
sources: ["https://dichvucong.gov.vn/"]
documents:
- name: Tờ khai đăng ký khai sinh
- name: Giấy chứng sinh
legal_basis:
- doc: luat-ho-tich-2014
  article: dieu-16
---

## Trình tự thực hiện

Người đi đăng ký nộp tờ khai và giấy chứng sinh tại UBND xã.
`,
	"regulations/luat-ho-tich-2014.md": `---
title: Luật Hộ tịch
kind: regulation
number: 60/2014/QH13
issuer: Quốc hội
issued: 2014-11-20
effective: 2016-01-01
short_name: Luật Hộ tịch 2014
owner: Sở Tư pháp
sources: ["https://vbpl.vn/luat-ho-tich-2014"]
---

## Điều 16. Thủ tục đăng ký khai sinh

1. Người đi đăng ký khai sinh nộp tờ khai theo mẫu quy định và giấy chứng sinh.
`,
	"technology/noi-bo-mat-mang.md": `---
title: Quy trình nội bộ khi mất mạng
kind: guide
audience: internal
owner: Văn phòng UBND tỉnh
sources: ["https://example.gov.vn/noi-bo"]
---

## Mã khẩn cấp

Dùng mã ` + hlMarker + ` khi hệ thống một cửa mất kết nối; gọi tổng đài kỹ thuật nội bộ ` + hlSecret + `.
`,
	"procedures/ho-tich/cap-ma-noi-bo.md": `---
title: Cấp mã hồ sơ nội bộ khi mất mạng
kind: procedure
audience: internal
code: "1.999999"
field: Hộ tịch
agency: UBND cấp xã
time_limit: Ngay
owner: Sở Tư pháp
sources: ["https://example.gov.vn/noi-bo"]
documents:
- name: Sổ theo dõi ` + hlSecret + `
---

## Cách làm

Ghi mã ` + hlMarker + ` vào sổ theo dõi.
`,
}

// hlSecret is a second word of the internal documents that no probe ever
// sends: finding it in a response is a leak even when the probe echoes
// hlMarker back as the caller's own query.
const hlSecret = "platypuszircon"

// hlClock is a settable clock shared by the server and the store.
type hlClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *hlClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *hlClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// hlEnv is a server with a SQLite store, accounts for every role and a
// Promote hook that adds the page to the library and the index, as
// `handbook serve` does with a content directory.
type hlEnv struct {
	t        *testing.T
	srv      *api.Server
	h        http.Handler
	store    *sqlite.Store
	clock    *hlClock
	lib      atomic.Pointer[handbook.Library]
	idx      *bleve.Index
	promoted map[string][]byte
	mu       sync.Mutex
	sleeps   []time.Duration
	// Passwords of the accounts: operator (official, no department),
	// tuphap (official of Sở Tư pháp), editor, admin.
	password string
	tokens   map[string]string  // username → API token
	llm      *openaitest.Server // with hlOptions.llm
}

type hlOptions struct {
	baseURL    string
	noPromote  bool
	extraFiles map[string]string
	// llm answers with a fake OpenAI-compatible model (prompts recorded in
	// hlEnv.llm) and searches with its embeddings too (memvec).
	llm bool
	// drafting turns on the drafting API with the content's công văn
	// template.
	drafting bool
	// trustedProxies configures Options.TrustedProxies.
	trustedProxies []netip.Prefix
}

func newHL(t *testing.T, o hlOptions) *hlEnv {
	t.Helper()
	env := &hlEnv{t: t, clock: &hlClock{t: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)}, promoted: map[string][]byte{},
		password: "mat-khau-thu-nghiem", tokens: map[string]string{}}
	files := map[string]string{}
	for k, v := range hlFiles {
		files[k] = v
	}
	for k, v := range o.extraFiles {
		files[k] = v
	}
	if o.drafting {
		b, err := os.ReadFile(filepath.Join("..", "content", "templates", "cong-van.md"))
		if err != nil {
			t.Fatal(err)
		}
		files["templates/cong-van.md"] = string(b)
	}
	var docs []*handbook.Document
	for p, text := range files {
		d, probs, err := markdown.Parse(p, []byte(text))
		if err != nil {
			t.Fatalf("parse %s: %v %v", p, err, probs)
		}
		docs = append(docs, d)
	}
	lib := handbook.NewLibrary(docs, nil, nil)
	env.lib.Store(lib)
	idx, err := bleve.Open(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Index(t.Context(), lib.Chunks()); err != nil {
		t.Fatal(err)
	}
	env.idx = idx
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "handbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.Now = env.clock.Now
	env.store = store
	r := &handbook.Retriever{Keyword: idx}
	r.SetAnalyzer(&handbook.Analyzer{Thesaurus: lib.Thesaurus, Vocab: lib.Vocabulary()})
	libf := func() *handbook.Library { return env.lib.Load() }
	assistant := &handbook.Assistant{Retriever: r, Library: libf, Now: env.clock.Now, Memory: handbook.NewConversations(time.Hour, 100)}
	if o.llm {
		env.llm = openaitest.NewServer(t)
		assistant.LLM = openai.NewChat(env.llm.URL, "", "fake", 5*time.Second)
		assistant.Prompt, assistant.PromptVersion = askPrompt, "answer-test"
		vecs := memvec.New()
		var vs []handbook.Vector
		for _, c := range lib.Chunks() {
			vs = append(vs, handbook.Vector{Chunk: c, Values: openaitest.Vector(c.EmbeddingText(), 64)})
		}
		if err := vecs.Upsert(t.Context(), vs); err != nil {
			t.Fatal(err)
		}
		r.Vectors, r.Embedder = vecs, openai.NewEmbedder(env.llm.URL, "", "fake", 64)
	}
	opt := api.Options{
		Assistant: assistant,
		Retriever: r, Library: libf, Tokens: []string{"configured-token"},
		Now: env.clock.Now, Store: store, BaseURL: o.baseURL, TrustedProxies: o.trustedProxies,
		Sleep: func(ctx context.Context, d time.Duration) error {
			env.mu.Lock()
			defer env.mu.Unlock()
			env.sleeps = append(env.sleeps, d)
			return nil
		},
	}
	if o.drafting {
		opt.Drafter = &handbook.Drafter{Library: libf, Now: env.clock.Now}
		opt.Docx = api.DocxCodec{Render: docx.Render, Check: docx.Check}
	}
	if !o.noPromote {
		opt.Promote = func(ctx context.Context, path string, data []byte) error {
			d, probs, err := markdown.Parse(path, data)
			if err != nil || len(probs) > 0 {
				t.Errorf("promoted page %s does not parse: %v %v", path, err, probs)
				return err
			}
			env.mu.Lock()
			env.promoted[path] = data
			env.mu.Unlock()
			next := handbook.NewLibrary(append(env.lib.Load().All(), d), nil, nil)
			for _, p := range handbook.Lint(next, handbook.DateOf(env.clock.Now())) {
				if p.Path == path && p.Severity == handbook.SeverityError {
					t.Errorf("lint on promoted page: %s", p)
				}
			}
			if err := idx.Index(ctx, handbook.Chunks(d)); err != nil {
				return err
			}
			r.SetAnalyzer(&handbook.Analyzer{Thesaurus: next.Thesaurus, Vocab: next.Vocabulary()})
			env.lib.Store(next)
			return nil
		}
	}
	srv, err := api.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	env.srv, env.h = srv, srv.Handler()
	hash, err := api.HashPassword(env.password)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []*handbook.User{
		{Username: "operator", Name: "Tổng đài viên Hoa", Role: handbook.RoleOfficial},
		{Username: "tuphap", Name: "Chuyên viên Nam", Role: handbook.RoleOfficial, Department: "Sở Tư pháp"},
		{Username: "editor", Name: "Biên tập viên Mai", Role: handbook.RoleEditor, Department: "Văn phòng UBND tỉnh"},
		{Username: "admin", Name: "Quản trị", Role: handbook.RoleAdmin},
	} {
		u.PasswordHash = hash
		if err := store.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		secret, th := handbook.NewSecret()
		if err := store.CreateToken(t.Context(), &handbook.APIToken{UserID: u.ID, Name: "test", Hash: th}); err != nil {
			t.Fatal(err)
		}
		env.tokens[u.Username] = secret
	}
	return env
}

func (e *hlEnv) sleepLog() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.sleeps)
}

// do sends a request to the handler. header may set Authorization,
// Cookie, Origin, Content-Type…
func (e *hlEnv) do(method, target, body string, header map[string]string) *httptest.ResponseRecorder {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.RemoteAddr = "192.0.2.10:5555"
	if body != "" {
		if strings.HasPrefix(body, "{") {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

func (e *hlEnv) bearer(user string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + e.tokens[user]}
}

// browserSession is a client with a cookie jar against a real listener.
type browserSession struct {
	t    *testing.T
	c    *http.Client
	base *url.URL
}

func (e *hlEnv) browser() *browserSession {
	e.t.Helper()
	ts := httptest.NewServer(e.h)
	e.t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(ts.URL)
	return &browserSession{t: e.t, base: u, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browserSession) cookie(name string) string {
	for _, c := range b.c.Jar.Cookies(b.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browserSession) get(path string) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.Get(b.base.String() + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// post sends a form; csrf adds the token from the cookie jar.
func (b *browserSession) post(path string, form url.Values, csrf bool) (*http.Response, string) {
	b.t.Helper()
	if csrf {
		form.Set("_csrf", b.cookie("sotay_csrf"))
	}
	res, err := b.c.PostForm(b.base.String()+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (b *browserSession) login(user, password string) *http.Response {
	b.t.Helper()
	b.get("/login")
	res, body := b.post("/login", url.Values{"username": {user}, "password": {password}}, true)
	if res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login %s: %d %s", user, res.StatusCode, body)
	}
	return res
}

func TestLoginRotatesSessionAndSetsSafeCookies(t *testing.T) {
	env := newHL(t, hlOptions{})
	b := env.browser()
	b.get("/login")
	csrfBefore := b.cookie("sotay_csrf")
	if csrfBefore == "" {
		t.Fatal("GET /login set no CSRF cookie")
	}
	// An attacker plants a session id in the victim's browser.
	planted := "planted-session-id-0123456789abcdef"
	b.c.Jar.SetCookies(b.base, []*http.Cookie{{Name: "sotay_session", Value: planted, Path: "/"}})
	res := b.login("operator", env.password)
	if loc := res.Header.Get("Location"); loc != "/tickets" {
		t.Errorf("login redirects to %q, want /tickets", loc)
	}
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "sotay_session" {
			session = c
		}
	}
	if session == nil || session.Value == "" || session.Value == planted {
		t.Fatalf("login did not issue a new session cookie: %+v", session)
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Secure {
		t.Errorf("session cookie flags = %+v, want HttpOnly, SameSite=Lax, Path=/, not Secure on http", session)
	}
	if b.cookie("sotay_csrf") == csrfBefore {
		t.Errorf("CSRF token not rotated at login")
	}
	// The planted id is worth nothing; the new one signs in.
	for _, tc := range []struct {
		cookie string
		want   bool
	}{{planted, false}, {session.Value, true}} {
		rec := env.do("GET", "/api/v1/me", "", map[string]string{"Cookie": "sotay_session=" + tc.cookie})
		var me struct {
			Authenticated bool   `json:"authenticated"`
			Role          string `json:"role"`
		}
		json.Unmarshal(rec.Body.Bytes(), &me)
		if me.Authenticated != tc.want {
			t.Errorf("/api/v1/me with session %q: authenticated = %v, want %v", tc.cookie[:8], me.Authenticated, tc.want)
		}
	}
	// Logging out ends the session on the server, not only in the browser.
	if res, _ := b.post("/logout", url.Values{}, true); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	rec := env.do("GET", "/api/v1/me", "", map[string]string{"Cookie": "sotay_session=" + session.Value})
	if strings.Contains(rec.Body.String(), `"authenticated":true`) {
		t.Errorf("session still valid after logout: %s", rec.Body)
	}

	// Over https the cookies are Secure.
	envTLS := newHL(t, hlOptions{baseURL: "https://sotay.example.gov.vn"})
	rec = envTLS.do("GET", "/login", "", nil)
	for _, c := range rec.Result().Cookies() {
		if !c.Secure || !c.HttpOnly {
			t.Errorf("cookie %s over https: Secure=%v HttpOnly=%v", c.Name, c.Secure, c.HttpOnly)
		}
	}
}

func TestCSRF(t *testing.T) {
	env := newHL(t, hlOptions{})
	b := env.browser()
	b.login("operator", env.password)
	form := url.Values{"q": {"xin cấp bản sao trích lục khai sinh"}}

	res, body := b.post("/tickets", form, false)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "chống giả mạo") {
		t.Errorf("form POST without CSRF token: %d, want 403 with a Vietnamese message:\n%s", res.StatusCode, body)
	}
	form.Set("_csrf", "wrong-token-wrong-token-wrong-token-1")
	if res, _ := b.post("/tickets", form, false); res.StatusCode != http.StatusForbidden {
		t.Errorf("form POST with a wrong CSRF token: %d, want 403", res.StatusCode)
	}
	if res, body := b.post("/tickets", url.Values{"q": {"xin cấp bản sao trích lục khai sinh"}}, true); res.StatusCode != http.StatusSeeOther {
		t.Errorf("form POST with the CSRF token: %d, want 303\n%s", res.StatusCode, body)
	}

	// JSON with the session cookie: the header token, or a same-origin browser.
	cookie := map[string]string{"Cookie": "sotay_session=" + b.cookie("sotay_session") + "; sotay_csrf=" + b.cookie("sotay_csrf")}
	rec := env.do("POST", "/api/v1/tickets", `{"question":"hỏi về lệ phí"}`, cookie)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), `"code":"forbidden"`) {
		t.Errorf("JSON POST with a session and no token: %d %s, want 403 forbidden", rec.Code, rec.Body)
	}
	for name, extra := range map[string]map[string]string{
		"header token":   {"X-CSRF-Token": b.cookie("sotay_csrf")},
		"Sec-Fetch-Site": {"Sec-Fetch-Site": "same-origin"},
		"Origin":         {"Origin": "http://example.com"}, // httptest.NewRequest's host
	} {
		h := map[string]string{}
		for k, v := range cookie {
			h[k] = v
		}
		for k, v := range extra {
			h[k] = v
		}
		if rec := env.do("POST", "/api/v1/tickets", `{"question":"hỏi về lệ phí `+name+`"}`, h); rec.Code != http.StatusCreated {
			t.Errorf("JSON POST with %s: %d %s, want 201", name, rec.Code, rec.Body)
		}
	}
	h := map[string]string{"Origin": "https://evil.example"}
	for k, v := range cookie {
		h[k] = v
	}
	if rec := env.do("POST", "/api/v1/tickets", `{"question":"x"}`, h); rec.Code != http.StatusForbidden {
		t.Errorf("JSON POST from another origin: %d, want 403", rec.Code)
	}
	// Bearer tokens are not ambient credentials: no CSRF token needed.
	if rec := env.do("POST", "/api/v1/tickets", `{"question":"hỏi qua tích hợp"}`, env.bearer("operator")); rec.Code != http.StatusCreated {
		t.Errorf("JSON POST with a bearer token: %d %s, want 201", rec.Code, rec.Body)
	}
	// Login CSRF: the login form needs its token too.
	rec = env.do("POST", "/login", "username=operator&password="+env.password, nil)
	if rec.Code != http.StatusForbidden {
		t.Errorf("login without CSRF token: %d, want 403", rec.Code)
	}
}

func TestLoginBruteForceIsSlowed(t *testing.T) {
	env := newHL(t, hlOptions{})
	b := env.browser()
	b.get("/login")
	attempt := func(password string) int {
		res, _ := b.post("/login", url.Values{"username": {"tuphap"}, "password": {password}}, true)
		return res.StatusCode
	}
	var codes []int
	for i := range 12 {
		codes = append(codes, attempt("doan-sai-"+strconv.Itoa(i)))
	}
	wantCodes := []int{401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 429, 429}
	if !slices.Equal(codes, wantCodes) {
		t.Errorf("statuses of 12 wrong guesses = %v, want %v", codes, wantCodes)
	}
	s := time.Second
	ms := time.Millisecond
	want := []time.Duration{0, 0, 0, 500 * ms, s, 2 * s, 4 * s, 8 * s, 10 * s, 10 * s}
	if got := env.sleepLog(); !slices.Equal(got, want) {
		t.Errorf("delays before each attempt = %v, want %v", got, want)
	}
	// Locked out: even the right password is refused until the window ends.
	if code := attempt(env.password); code != http.StatusTooManyRequests {
		t.Errorf("right password while locked out: %d, want 429", code)
	}
	env.clock.Add(16 * time.Minute)
	if code := attempt(env.password); code != http.StatusSeeOther {
		t.Errorf("right password after the lock-out: %d, want 303", code)
	}
	// An unknown user costs the same path (no account enumeration).
	res, body := b.post("/login", url.Values{"username": {"khong-ton-tai"}, "password": {"abcdefghij"}}, true)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Tên đăng nhập hoặc mật khẩu không đúng.") {
		t.Errorf("unknown user: %d", res.StatusCode)
	}
}

func TestAPITokensAndRoles(t *testing.T) {
	env := newHL(t, hlOptions{})
	search := "/api/v1/search?q=" + hlMarker
	for _, tc := range []struct {
		name   string
		header map[string]string
		sees   bool
	}{
		{"public", nil, false},
		{"wrong token", map[string]string{"Authorization": "Bearer nope"}, false},
		{"configured token", map[string]string{"Authorization": "Bearer configured-token"}, true},
		{"official's token", env.bearer("tuphap"), true},
		{"editor's token", env.bearer("editor"), true},
	} {
		rec := env.do("GET", search, "", tc.header)
		if got := strings.Contains(rec.Body.String(), "technology/noi-bo-mat-mang"); got != tc.sees {
			t.Errorf("%s: sees internal document = %v, want %v", tc.name, got, tc.sees)
		}
	}
	u, _ := env.store.UserByName(t.Context(), "tuphap")
	u.Disabled = true
	env.store.UpdateUser(t.Context(), u)
	if rec := env.do("GET", search, "", env.bearer("tuphap")); strings.Contains(rec.Body.String(), "noi-bo") {
		t.Errorf("a disabled user's token still sees internal content")
	}
	// Role checks: officials may not promote or read analytics CSV of… they may; the public may not.
	if rec := env.do("GET", "/api/v1/tickets", "", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("public ticket list: %d, want 401", rec.Code)
	}
	if rec := env.do("GET", "/tickets", "", nil); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login?next=") {
		t.Errorf("public /tickets: %d %s, want a redirect to /login", rec.Code, rec.Header().Get("Location"))
	}
	if rec := env.do("POST", "/api/v1/tickets/1/promote", `{}`, env.bearer("operator")); rec.Code != http.StatusForbidden {
		t.Errorf("official promoting: %d, want 403", rec.Code)
	}
}

func TestQuestionLogAndFeedback(t *testing.T) {
	env := newHL(t, hlOptions{})
	rec := env.do("GET", "/api/v1/search?q="+url.QueryEscape("đăng ký khai sinh, gọi lại 0912 345 678"), "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("search: %d %s", rec.Code, rec.Body)
	}
	id, err := strconv.ParseInt(rec.Header().Get("X-Question-Id"), 10, 64)
	if err != nil {
		t.Fatalf("no X-Question-Id on a logged search: %v", rec.Header())
	}
	q, err := env.store.Question(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if q.Query != "đăng ký khai sinh, gọi lại [SĐT]" || q.Source != "search" || q.Role != handbook.RolePublic || q.Hits == 0 ||
		q.Results[0] != "procedures/ho-tich/dang-ky-khai-sinh#trinh-tu-thuc-hien" && !strings.HasPrefix(q.Results[0], "procedures/ho-tich/dang-ky-khai-sinh#") ||
		q.Department != "Sở Tư pháp" {
		t.Errorf("logged question = %+v", q)
	}
	// The search page logs too, with the caller's role.
	rec = env.do("GET", "/search?q=khai+sinh", "", env.bearer("operator"))
	if rec.Header().Get("X-Question-Id") == "" {
		t.Errorf("search page not logged")
	}
	rec = env.do("POST", "/api/v1/feedback", `{"question_id":`+strconv.FormatInt(id, 10)+`,"useful":false,"comment":"thiếu lệ phí, email a@b.vn"}`, nil)
	if rec.Code != http.StatusCreated || strings.Contains(rec.Body.String(), "ticket") {
		t.Errorf("public feedback: %d %s, want 201 without a ticket", rec.Code, rec.Body)
	}
	rec = env.do("POST", "/api/v1/feedback", `{"question_id":`+strconv.FormatInt(id, 10)+`,"useful":false,"comment":"sai"}`, env.bearer("operator"))
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"department":"Sở Tư pháp"`) {
		t.Errorf("official's not-useful feedback: %d %s, want 201 with a ticket for Sở Tư pháp", rec.Code, rec.Body)
	}
	for _, body := range []string{`{"question_id":1}`, `{"question_id":1,"useful":true,"extra":1}`, `not json`} {
		if rec := env.do("POST", "/api/v1/feedback", body, nil); rec.Code != http.StatusBadRequest {
			t.Errorf("feedback %s: %d, want 400", body, rec.Code)
		}
	}

	// Search as you type: the keystrokes collapse into the last query.
	live := map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "User-Agent": "typing"}
	for _, q := range []string{"tam", "tam tru", "tạm trú cho"} {
		env.do("GET", "/api/v1/search?q="+url.QueryEscape(q), "", live)
	}
	env.do("GET", "/api/v1/search?q=chung+thuc", "", live) // another question: writes "tạm trú cho"
	api.FlushQuestionLog(env.srv)
	var got []string
	env.store.Questions(t.Context(), env.clock.Now().Add(-time.Hour), env.clock.Now().Add(time.Hour), func(q *handbook.Question) error {
		if q.Source == "search" && q.Role == handbook.RolePublic {
			got = append(got, q.Query)
		}
		return nil
	})
	if want := []string{"đăng ký khai sinh, gọi lại [SĐT]", "tạm trú cho", "chung thuc"}; !slices.Equal(got, want) {
		t.Errorf("public log = %q, want %q", got, want)
	}
}

// TestTicketLoopAPI follows a question through the API: an operator sends
// it, the department answers, an editor promotes it, and the public finds
// the new FAQ.
func TestTicketLoopAPI(t *testing.T) {
	env := newHL(t, hlOptions{})
	rec := env.do("POST", "/api/v1/tickets", `{"question":"Bố mẹ ở nước ngoài thì ai đăng ký khai sinh cho con?","note":"người gọi: 0987654321"}`, env.bearer("operator"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("open ticket: %d %s", rec.Code, rec.Body)
	}
	var tk struct {
		ID         int64  `json:"id"`
		Department string `json:"department"`
		Status     string `json:"status"`
		Due        string `json:"due"`
		Version    int    `json:"version"`
		Note       string `json:"note"`
		FAQ        string `json:"faq"`
	}
	json.Unmarshal(rec.Body.Bytes(), &tk)
	if tk.Department != "Sở Tư pháp" || tk.Status != "open" || tk.Due != "2026-12-02" || strings.Contains(tk.Note, "0987654321") {
		t.Errorf("new ticket = %+v", tk)
	}
	path := "/api/v1/tickets/" + strconv.FormatInt(tk.ID, 10)
	answer := `{"version":` + strconv.Itoa(tk.Version) + `,"answer":"Ông bà hoặc người đang nuôi dưỡng trẻ đi đăng ký khai sinh thay; nộp tờ khai và giấy chứng sinh.","citations":[{"doc":"luat-ho-tich-2014","article":"dieu-16"}]}`
	if rec := env.do("PATCH", path, answer, env.bearer("operator")); rec.Code != http.StatusForbidden {
		t.Errorf("operator answering: %d, want 403", rec.Code)
	}
	rec = env.do("PATCH", path, answer, env.bearer("tuphap"))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"answered"`) {
		t.Fatalf("department answer: %d %s", rec.Code, rec.Body)
	}
	if rec := env.do("PATCH", path, answer, env.bearer("tuphap")); rec.Code != http.StatusConflict {
		t.Errorf("stale version: %d, want 409", rec.Code)
	}
	rec = env.do("POST", path+"/promote", `{"title":"Bố mẹ ở nước ngoài thì ai đi đăng ký khai sinh cho con?","reviewer":"Phòng Hành chính tư pháp"}`, env.bearer("editor"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("promote: %d %s", rec.Code, rec.Body)
	}
	var pr struct{ FAQ, URL string }
	json.Unmarshal(rec.Body.Bytes(), &pr)
	if pr.FAQ != "faq/ho-tich/bo-me-o-nuoc-ngoai-thi-ai-di-dang-ky-khai-sinh-cho-con" || env.promoted[pr.FAQ+".md"] == nil {
		t.Errorf("promoted %+v, files %v", pr, env.promoted)
	}
	rec = env.do("GET", "/api/v1/search?q="+url.QueryEscape("bo me o nuoc ngoai dang ky khai sinh cho con"), "", nil)
	if !strings.Contains(rec.Body.String(), pr.FAQ) {
		t.Errorf("public search does not find the new FAQ: %s", rec.Body)
	}
	rec = env.do("GET", path, "", env.bearer("editor"))
	json.Unmarshal(rec.Body.Bytes(), &tk)
	if tk.Status != "promoted" || tk.FAQ != pr.FAQ {
		t.Errorf("ticket after promotion = %+v", tk)
	}

	// Without a content directory promotion explains itself.
	embedded := newHL(t, hlOptions{noPromote: true})
	rec = embedded.do("POST", "/api/v1/tickets", `{"question":"câu hỏi"}`, embedded.bearer("operator"))
	json.Unmarshal(rec.Body.Bytes(), &tk)
	p := "/api/v1/tickets/" + strconv.FormatInt(tk.ID, 10)
	embedded.do("PATCH", p, `{"answer":"Trả lời.","citations":[{"doc":"luat-ho-tich-2014#dieu-16"}]}`, embedded.bearer("editor"))
	rec = embedded.do("POST", p+"/promote", `{}`, embedded.bearer("editor"))
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "--content") {
		t.Errorf("promotion with embedded content: %d %s, want 409 naming --content", rec.Code, rec.Body)
	}
}

// TestHotlinePages renders every hotline page through a signed-in browser.
func TestHotlinePages(t *testing.T) {
	env := newHL(t, hlOptions{})
	b := env.browser()
	if res, body := b.get("/login"); res.StatusCode != http.StatusOK || !strings.Contains(body, `name="_csrf"`) {
		t.Fatalf("login page: %d", res.StatusCode)
	}
	b.login("operator", env.password)
	res, body := b.get("/tickets?q=" + url.QueryEscape("xin giấy phép bay flycam"))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "xin giấy phép bay flycam") || !strings.Contains(body, "Đăng xuất") {
		t.Fatalf("tickets page: %d\n%s", res.StatusCode, body)
	}
	if res.Header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("signed-in page Cache-Control = %q, want private, no-store", res.Header.Get("Cache-Control"))
	}
	res, _ = b.post("/tickets", url.Values{"q": {"xin giấy phép bay flycam"}}, true)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/tickets/") {
		t.Fatalf("open ticket: %d %s", res.StatusCode, loc)
	}
	if res, body := b.get(loc); res.StatusCode != http.StatusOK || !strings.Contains(body, "xin giấy phép bay flycam") {
		t.Errorf("ticket page: %d", res.StatusCode)
	}
	if res, body := b.post("/tickets", url.Values{"q": {""}}, true); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Vui lòng nhập câu hỏi") {
		t.Errorf("empty question: %d", res.StatusCode)
	}
	if res, body := b.get("/analytics"); res.StatusCode != http.StatusOK || !strings.Contains(body, "Thống kê câu hỏi") {
		t.Errorf("analytics page: %d", res.StatusCode)
	}
	res, body = b.get("/analytics.csv")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(body, "\uFEFFbang,ngay") || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("analytics.csv: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body[:min(len(body), 40)])
	}
	rec := env.do("GET", "/api/v1/analytics?from=2026-11-01&to=2026-11-30", "", env.bearer("editor"))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"from":"2026-11-01"`) || !strings.Contains(rec.Body.String(), `"days":[`) {
		t.Errorf("analytics JSON: %d %s", rec.Code, rec.Body)
	}
	if rec := env.do("GET", "/api/v1/analytics?from=2026-11-30&to=2026-11-01", "", env.bearer("editor")); rec.Code != http.StatusBadRequest {
		t.Errorf("reversed analytics range: %d, want 400", rec.Code)
	}
	if rec := env.do("GET", "/login?next=//evil.example", "", nil); strings.Contains(rec.Body.String(), "evil.example") {
		t.Errorf("login page keeps an off-site next")
	}
}
