package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"testing/synctest"
	"time"

	"sotay/api"
	"sotay/handbook"
	"sotay/handbook/openai"
	"sotay/handbook/openai/openaitest"
	"sotay/handbook/sqlite"
	"sotay/indexer"
	"sotay/indexer/bleve"

	"golang.org/x/tools/txtar"
)

// askMarker is in the internal document of askFixture only.
const askMarker = "quokkanoibo"

const askToken = "ask-secret-token"

var askNow = time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)

const askFixture = `
-- procedures/ho-tich/dang-ky-khai-sinh.md --
---
title: "Đăng ký khai sinh"
kind: procedure
code: "1.001193"
field: "Hộ tịch"
agency: "Ủy ban nhân dân cấp xã"
where: "Trung tâm Phục vụ hành chính công cấp xã nơi cư trú của cha hoặc mẹ"
channels: ["trực tiếp", "trực tuyến"]
online: "toàn trình"
time_limit: "Ngay trong ngày làm việc"
fee: "Miễn lệ phí nếu đăng ký đúng hạn"
documents:
  - name: "Tờ khai đăng ký khai sinh theo mẫu"
    copies: "01 bản chính"
  - name: "Giấy chứng sinh"
    copies: "01 bản chính"
dvc_url: "https://dichvucong.gov.vn"
hotline: "Tổng đài hỗ trợ của Sở Tư pháp"
aliases: ["làm giấy khai sinh", "khai sinh cho con"]
owner: "Sở Tư pháp"
sources: ["https://moj.gov.vn/khai-sinh"]
legal_basis:
  - doc: "luat-ho-tich-2014"
    article: "dieu-16-khoan-1"
---

## Các bước thực hiện

1. Người đi đăng ký nộp tờ khai và giấy chứng sinh tại xã.
-- regulations/luat-ho-tich-2014.md --
---
title: "Luật Hộ tịch"
kind: regulation
number: "60/2014/QH13"
doc_type: "Luật"
short_name: "Luật Hộ tịch 2014"
issuer: "Quốc hội"
issued: 2014-11-20
effective: 2016-01-01
owner: "Sở Tư pháp"
sources: ["https://vbpl.vn/luat-ho-tich"]
---

# Chương II. ĐĂNG KÝ HỘ TỊCH TẠI ỦY BAN NHÂN DÂN CẤP XÃ

## Điều 16. Thủ tục đăng ký khai sinh

1. Người đi đăng ký khai sinh nộp tờ khai theo mẫu quy định và giấy chứng sinh cho cơ quan đăng ký hộ tịch.
2. Ngay sau khi nhận đủ giấy tờ, công chức tư pháp - hộ tịch ghi nội dung khai sinh vào Sổ hộ tịch.

## Điều 17. Thẩm quyền đăng ký kết hôn

1. Ủy ban nhân dân cấp xã nơi cư trú của một trong hai bên nam, nữ thực hiện đăng ký kết hôn.
-- technology/mot-cua-dien-tu.md --
---
title: "Sử dụng phần mềm một cửa điện tử"
kind: guide
owner: "Sở Khoa học và Công nghệ"
sources: ["https://example.org/mot-cua"]
---

## Đăng nhập phần mềm một cửa điện tử

Công chức đăng nhập phần mềm một cửa điện tử bằng tài khoản được cấp. Khi quên mật khẩu quản trị, liên hệ quản trị viên của xã.
-- technology/mot-cua-quan-tri.md --
---
title: "Quản trị phần mềm một cửa điện tử"
kind: guide
audience: internal
owner: "Sở Khoa học và Công nghệ"
sources: ["https://example.org/quan-tri"]
---

## Đặt lại mật khẩu quản trị phần mềm một cửa điện tử

Tài khoản quản trị phần mềm một cửa điện tử dùng mã quokkanoibo để đặt lại mật khẩu quản trị.
`

func askLibrary(t testing.TB) *handbook.Library {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, f := range txtar.Parse([]byte(askFixture)).Files {
		fsys[f.Name] = &fstest.MapFile{Data: f.Data}
	}
	lib, err := indexer.LoadAt(fsys, handbook.DateOf(askNow))
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Docs) != 4 {
		t.Fatalf("fixture loaded %d documents, want 4: %v", len(lib.Docs), lib.Problems)
	}
	return lib
}

type askEnv struct {
	h   http.Handler
	lib *handbook.Library
	llm *openaitest.Server // nil without an LLM
	log *syncWriter
}

// newAskServer serves askFixture with an Assistant; withLLM adds a chat
// model on the fake server with a short timeout.
func newAskServer(t *testing.T, withLLM bool) *askEnv {
	t.Helper()
	env := &askEnv{lib: askLibrary(t), log: &syncWriter{}}
	idx, err := bleve.Open(filepath.Join(t.TempDir(), "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Index(t.Context(), env.lib.Chunks()); err != nil {
		t.Fatal(err)
	}
	r := &handbook.Retriever{Keyword: idx}
	r.SetAnalyzer(handbook.NewAnalyzer(env.lib))
	a := &handbook.Assistant{Retriever: r, Library: func() *handbook.Library { return env.lib }, Prompt: askPrompt,
		PromptVersion: "answer-test", Memory: handbook.NewConversations(time.Hour, 100), Now: func() time.Time { return askNow }}
	if withLLM {
		env.llm = openaitest.NewServer(t)
		a.LLM = openai.NewChat(env.llm.URL, "", "fake", 300*time.Millisecond)
	}
	env.h = askHandler(t, a, env.log)
	return env
}

func askHandler(t *testing.T, a *handbook.Assistant, log *syncWriter) http.Handler {
	t.Helper()
	srv, err := api.New(api.Options{
		Retriever: a.Retriever, Library: a.Library, Assistant: a, Tokens: []string{askToken},
		Now: func() time.Time { return askNow }, Logger: slog.New(slog.NewTextHandler(log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Handler()
}

// syncWriter collects log output written by server goroutines.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// askPrompt numbers the excerpts like prompts.Answer.
func askPrompt(in handbook.AnswerInput) ([]handbook.Message, error) {
	var b strings.Builder
	b.WriteString("=== CÂU HỎI ===\n" + in.Question + "\n=== HẾT CÂU HỎI ===\n\n")
	for _, e := range in.Excerpts {
		b.WriteString("[" + itoa(e.N) + "] " + e.Label + "\n" + e.Text + "\n\n")
	}
	return []handbook.Message{{Role: "system", Content: "Chỉ dùng đoạn trích."}, {Role: "user", Content: b.String()}}, nil
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

type askResponse struct {
	Answer     string     `json:"answer"`
	ModeUsed   string     `json:"mode_used"`
	Answerable bool       `json:"answerable"`
	Citations  []citation `json:"citations"`
	Procedure  *struct {
		Doc, Fee string
	} `json:"procedure"`
	Nearest        []struct{ Doc string } `json:"nearest"`
	Referral       *struct{ Owner, Message string }
	Notice         string `json:"notice"`
	Fallback       string `json:"fallback"`
	PromptVersion  string `json:"prompt_version"`
	ConversationID string `json:"conversation_id"`
	Focus          string `json:"focus"`
	Replace        bool   `json:"replace"`
	Error          *struct {
		Code, Message string
	} `json:"error"`
}

func postAsk(t *testing.T, h http.Handler, body, contentType, token string) (*httptest.ResponseRecorder, askResponse) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/ask", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var res askResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatalf("POST /api/v1/ask %s: %d, body %q is not JSON: %v", body, rec.Code, rec.Body, err)
	}
	return rec, res
}

func askBody(fields map[string]any) string {
	b, _ := json.Marshal(fields)
	return string(b)
}

// checkResolves fails unless every citation names an existing document
// and anchor of lib and links to it.
func checkResolves(t *testing.T, lib *handbook.Library, res askResponse) {
	t.Helper()
	for i, c := range res.Citations {
		d, ok := lib.Doc(c.Doc)
		if !ok {
			t.Errorf("citation %d: unknown document %q", i+1, c.Doc)
			continue
		}
		if _, ok := d.Section(c.Anchor); c.Anchor != "" && !ok {
			t.Errorf("citation %d: unknown anchor %s#%s", i+1, c.Doc, c.Anchor)
		}
		want := "/docs/" + c.Doc
		if c.Anchor != "" {
			want += "#" + c.Anchor
		}
		if c.URL != want || c.N != i+1 || c.Label == "" {
			t.Errorf("citation %d = %+v, want url %s", i+1, c, want)
		}
	}
}

func TestAskAPI(t *testing.T) {
	env := newAskServer(t, false)
	rec, res := postAsk(t, env.h, askBody(map[string]any{"question": "lam giay khai sinh cho con can gi"}), "application/json; charset=utf-8", "")
	if rec.Code != http.StatusOK || res.ModeUsed != "procedure" || !res.Answerable || res.Procedure == nil {
		t.Fatalf("POST /api/v1/ask: %d %+v", rec.Code, res)
	}
	if !strings.Contains(res.Answer, "Tờ khai đăng ký khai sinh theo mẫu (01 bản chính)") || res.ConversationID == "" ||
		res.Focus != "procedures/ho-tich/dang-ky-khai-sinh" {
		t.Errorf("answer %q conversation %q focus %q", res.Answer, res.ConversationID, res.Focus)
	}
	checkResolves(t, env.lib, res)

	// The follow-up stays on the procedure, by conversation id…
	_, fu := postAsk(t, env.h, askBody(map[string]any{"question": "thế lệ phí bao nhiêu?", "conversation_id": res.ConversationID}), "application/json", "")
	if fu.Procedure == nil || fu.Procedure.Doc != "procedures/ho-tich/dang-ky-khai-sinh" || !strings.HasPrefix(fu.Answer, "Lệ phí: Miễn lệ phí") {
		t.Errorf("follow-up by conversation id = %+v", fu)
	}
	// …or by the history the client sends.
	_, fu = postAsk(t, env.h, askBody(map[string]any{"question": "nộp ở đâu", "form": "full",
		"history": []map[string]string{{"question": "làm khai sinh", "doc": "procedures/ho-tich/dang-ky-khai-sinh"}}}), "application/json", "")
	if fu.Procedure == nil || !strings.HasPrefix(fu.Answer, "Nơi nộp hồ sơ:") && !strings.Contains(fu.Answer, "Nơi nộp hồ sơ:") {
		t.Errorf("follow-up by history = %+v", fu)
	}

	// A regulation question is answered by quoting it.
	_, ex := postAsk(t, env.h, askBody(map[string]any{"question": "thẩm quyền đăng ký kết hôn", "mode": "extractive"}), "application/json", "")
	if ex.ModeUsed != "extractive" || len(ex.Citations) == 0 || ex.Citations[0].Label != "khoản 1 Điều 17 Luật Hộ tịch 2014" {
		t.Errorf("extractive answer = %+v", ex)
	}
	checkResolves(t, env.lib, ex)

	// Out of scope: an honest "not answerable" with an offer to refer.
	rec, no := postAsk(t, env.h, askBody(map[string]any{"question": "kết quả xổ số miền bắc hôm nay"}), "application/json", "")
	if rec.Code != http.StatusOK || no.Answerable || no.Referral == nil || len(no.Citations) != 0 || !strings.Contains(no.Answer, "chưa có thông tin") {
		t.Errorf("out of scope = %d %+v", rec.Code, no)
	}
	if !strings.Contains(rec.Body.String(), `"citations":[]`) {
		t.Errorf("citations must be an empty array, not absent: %s", rec.Body)
	}
}

func TestAskAPIBadInput(t *testing.T) {
	env := newAskServer(t, false)
	long := strings.Repeat("a", 2001)
	tests := []struct {
		name, body, contentType, msg string
	}{
		{"wrong content type", `{"question":"khai sinh"}`, "text/plain", "Vui lòng gửi câu hỏi dạng JSON (Content-Type: application/json)"},
		{"form post", "question=khai+sinh", "application/x-www-form-urlencoded", "Content-Type: application/json"},
		{"no content type", `{"question":"khai sinh"}`, "", "Content-Type: application/json"},
		{"bad JSON", `{"question":`, "application/json", "Dữ liệu JSON không hợp lệ."},
		{"not an object", `["khai sinh"]`, "application/json", "Dữ liệu JSON không hợp lệ."},
		{"trailing data", `{"question":"khai sinh"} {}`, "application/json", "Dữ liệu JSON không hợp lệ."},
		{"unknown field", `{"question":"khai sinh","q":"x"}`, "application/json", "Trường không được hỗ trợ: q."},
		{"empty body", ``, "application/json", "Vui lòng gửi câu hỏi dạng JSON"},
		{"empty question", `{"question":"   "}`, "application/json", "Vui lòng nhập câu hỏi."},
		{"too long", `{"question":"` + long + `"}`, "application/json", "Câu hỏi quá dài (tối đa 2000 ký tự)."},
		{"bad mode", `{"question":"khai sinh","mode":"gpt"}`, "application/json", "Chế độ trả lời không hợp lệ"},
		{"bad form", `{"question":"khai sinh","form":"long"}`, "application/json", "Dạng câu trả lời không hợp lệ"},
		{"bad conversation", `{"question":"khai sinh","conversation_id":"../../etc"}`, "application/json", "Mã hội thoại không hợp lệ"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, res := postAsk(t, env.h, tc.body, tc.contentType, "")
			if rec.Code != http.StatusBadRequest || res.Error == nil || res.Error.Code != "invalid" || !strings.Contains(res.Error.Message, tc.msg) {
				t.Errorf("POST %s (%s) = %d %s, want 400 invalid %q", tc.body, tc.contentType, rec.Code, rec.Body, tc.msg)
			}
		})
	}
	for _, target := range []string{"/api/v1/ask/stream", "/api/v1/ask/stream?question=", "/api/v1/ask/stream?question=a&x=1",
		"/api/v1/ask/stream?question=" + long, "/api/v1/ask/stream?question=a&mode=x"} {
		rec := get(t, env.h, target, "")
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"code":"invalid"`) {
			t.Errorf("GET %.60s = %d %s, want a 400 JSON error", target, rec.Code, rec.Body)
		}
	}
	if rec := get(t, env.h, "/api/v1/ask", ""); rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusBadRequest {
		t.Errorf("GET /api/v1/ask = %d", rec.Code)
	}
}

func TestAskAPIUnavailable(t *testing.T) {
	srv, err := api.New(api.Options{Library: func() *handbook.Library { return askLibrary(t) }})
	if err != nil {
		t.Fatal(err)
	}
	rec, res := postAsk(t, srv.Handler(), `{"question":"khai sinh"}`, "application/json", "")
	if rec.Code != http.StatusServiceUnavailable || res.Error == nil || res.Error.Message == "" || rec.Header().Get("Retry-After") == "" {
		t.Errorf("POST without an assistant = %d %s", rec.Code, rec.Body)
	}
}

type sseEvent struct {
	name string
	data askResponse // meta and done
	text string      // delta
	cit  citation    // citation
}

type citation struct {
	N                              int
	Doc, Anchor, Label, Quote, URL string
}

// readSSE parses a text/event-stream body.
func readSSE(t *testing.T, body string) (events []sseEvent, pings int) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(body))
	var cur sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == ": ping":
			pings++
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			raw := strings.TrimPrefix(line, "data: ")
			if err := json.Unmarshal([]byte(raw), &cur.data); err != nil {
				t.Fatalf("event %s data %q: %v", cur.name, raw, err)
			}
			var d struct{ Text string }
			json.Unmarshal([]byte(raw), &d)
			cur.text = d.Text
			json.Unmarshal([]byte(raw), &cur.cit)
		case line == "":
			if cur.name != "" {
				events = append(events, cur)
			}
			cur = sseEvent{}
		}
	}
	return events, pings
}

func streamAsk(t *testing.T, h http.Handler, q, token string) ([]sseEvent, *httptest.ResponseRecorder) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/ask/stream?question="+url.QueryEscape(q), nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET stream %q = %d %s", q, rec.Code, rec.Body)
	}
	events, _ := readSSE(t, rec.Body.String())
	if len(events) < 2 || events[0].name != "meta" || events[len(events)-1].name != "done" {
		t.Fatalf("stream events %v, want meta … done", events)
	}
	return events, rec
}

// TestAskAPIFakeLLM: each scripted failure of the chat server, through
// POST and through the stream, is a 200 with verified citations.
func TestAskAPIFakeLLM(t *testing.T) {
	cases := []struct {
		name     string
		reply    openaitest.Reply
		fallback string
	}{
		{"good", openaitest.CitedAnswer(), ""},
		{"foreign citation", openaitest.ForeignCitation(), "foreign_citation"},
		{"invented quote", openaitest.InventedQuote(), "invented_quote"},
		{"malformed JSON", openaitest.Malformed(), "llm_error"},
		{"30s stall", openaitest.Stall(30 * time.Second), "llm_timeout"},
		{"429", openaitest.Status(http.StatusTooManyRequests), "llm_unavailable"},
		{"500", openaitest.Status(http.StatusInternalServerError), "llm_unavailable"},
		{"reset", openaitest.Reset(), "llm_unavailable"},
	}
	const q = "thẩm quyền đăng ký kết hôn"
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newAskServer(t, true)
			env.llm.Script(tc.reply, tc.reply)
			rec, res := postAsk(t, env.h, askBody(map[string]any{"question": q}), "application/json", "")
			if rec.Code != http.StatusOK || res.Fallback != tc.fallback || len(res.Citations) == 0 {
				t.Fatalf("POST = %d fallback %q citations %d, want 200 %q: %s", rec.Code, res.Fallback, len(res.Citations), tc.fallback, rec.Body)
			}
			checkResolves(t, env.lib, res)

			events, _ := streamAsk(t, env.h, q, "")
			done := events[len(events)-1].data
			if done.Fallback != tc.fallback {
				t.Errorf("stream fallback %q, want %q", done.Fallback, tc.fallback)
			}
			var text strings.Builder
			var cits []citation
			for _, e := range events {
				switch e.name {
				case "meta":
					if e.data.Replace {
						text.Reset()
						cits = nil
					}
				case "delta":
					text.WriteString(e.text)
				case "citation":
					cits = append(cits, e.cit)
				case "error":
					t.Errorf("error event %+v", e.data)
				}
			}
			// The citation events are the final citations, verified.
			checkResolves(t, env.lib, askResponse{Citations: cits})
			if len(cits) != len(done.Citations) {
				t.Errorf("%d citation events, %d citations in done", len(cits), len(done.Citations))
			}
			if strings.TrimSpace(text.String()) != done.Answer {
				t.Errorf("streamed %q, done %q", text.String(), done.Answer)
			}
			checkResolves(t, env.lib, done)
			if tc.fallback != "" && !strings.Contains(env.log.String(), "level=WARN msg=\"answer fell back to quoting the sources\" ") {
				t.Errorf("fallback not logged at Warn:\n%s", env.log)
			}
			if strings.Contains(env.log.String(), "kết hôn") {
				t.Errorf("question text logged above Debug:\n%s", env.log)
			}
		})
	}
}

func TestAskAPIAudience(t *testing.T) {
	const q = "đặt lại mật khẩu quản trị phần mềm một cửa điện tử"
	for _, tc := range []struct {
		token string
		leak  bool
	}{{"", false}, {askToken, true}} {
		env := newAskServer(t, true)
		rec, res := postAsk(t, env.h, askBody(map[string]any{"question": q, "form": "full"}), "application/json", tc.token)
		checkResolves(t, env.lib, res)
		if rec.Code != http.StatusOK {
			t.Fatalf("POST = %d %s", rec.Code, rec.Body)
		}
		reqs := env.llm.ChatRequests()
		if len(reqs) != 1 {
			t.Fatalf("token %q: %d chat requests, want 1", tc.token, len(reqs))
		}
		if got := strings.Contains(reqs[0].Prompt(), askMarker); got != tc.leak {
			t.Errorf("token %q: prompt contains internal marker = %v, want %v", tc.token, got, tc.leak)
		}
		if !tc.leak && (strings.Contains(rec.Body.String(), askMarker) || strings.Contains(rec.Body.String(), "mot-cua-quan-tri")) {
			t.Errorf("public answer leaks internal content: %s", rec.Body)
		}
		streamAsk(t, env.h, q, tc.token)
		if reqs := env.llm.ChatRequests(); len(reqs) != 2 || strings.Contains(reqs[1].Prompt(), askMarker) != tc.leak {
			t.Errorf("token %q: stream prompt contains internal marker != %v", tc.token, tc.leak)
		}
	}
}

// slowLLM streams a cited answer after a long think, honouring ctx.
type slowLLM struct{ think time.Duration }

func (l slowLLM) Complete(ctx context.Context, msgs []handbook.Message) (string, error) {
	return l.Stream(ctx, msgs, func(string) error { return nil })
}

func (l slowLLM) Stream(ctx context.Context, msgs []handbook.Message, onDelta func(string) error) (string, error) {
	select {
	case <-time.After(l.think):
	case <-ctx.Done():
		return "", ctx.Err()
	}
	const text = "Ủy ban nhân dân cấp xã nơi cư trú của một trong hai bên thực hiện đăng ký kết hôn [1]."
	return text, onDelta(text)
}

// fakeIndex returns every chunk that shares a folded syllable with the
// query: enough for a test that must run inside a synctest bubble.
type fakeIndex struct{ chunks []handbook.Chunk }

func (f fakeIndex) Index(context.Context, []handbook.Chunk) error { return nil }
func (f fakeIndex) DeleteDocument(context.Context, string) error  { return nil }
func (f fakeIndex) Search(ctx context.Context, q handbook.Query, flt handbook.Filter, k int) ([]handbook.Hit, error) {
	var hits []handbook.Hit
	for _, c := range f.chunks {
		if !flt.Allows(&c) {
			continue
		}
		words := map[string]bool{}
		for _, w := range handbook.FoldedSyllables(c.Title + " " + c.Heading + " " + c.Text) {
			words[w] = true
		}
		n := 0
		for _, t := range q.Terms {
			if words[t] {
				n++
			}
		}
		if n > 0 {
			hits = append(hits, handbook.Hit{ChunkID: c.ID, DocID: c.DocID, Anchor: c.Anchor, Kind: c.Kind, Title: c.Title,
				Heading: c.Heading, Text: c.Text, Audience: c.Audience, Score: float64(n)})
		}
	}
	return hits, nil
}

// TestAskStreamHeartbeat runs in a synctest bubble: the model thinks for
// 40 s, during which the stream sends heartbeats every 15 s.
func TestAskStreamHeartbeat(t *testing.T) {
	lib := askLibrary(t)
	synctest.Test(t, func(t *testing.T) {
		r := &handbook.Retriever{Keyword: fakeIndex{lib.Chunks()}}
		a := &handbook.Assistant{Retriever: r, Library: func() *handbook.Library { return lib }, Prompt: askPrompt,
			LLM: slowLLM{think: 40 * time.Second}, Now: func() time.Time { return askNow }}
		h := askHandler(t, a, &syncWriter{})
		events, rec := streamAsk(t, h, "thẩm quyền đăng ký kết hôn", "")
		_, pings := readSSE(t, rec.Body.String())
		if pings != 2 {
			t.Errorf("pings = %d during a 40s answer, want 2", pings)
		}
		if done := events[len(events)-1].data; done.ModeUsed != "llm" || done.Fallback != "" {
			t.Errorf("done = %+v", done)
		}
	})
}

// TestAskStreamClientDisconnect: when the client goes away mid-answer the
// model call is cancelled and nothing is logged as an error.
func TestAskStreamClientDisconnect(t *testing.T) {
	lib := askLibrary(t)
	stopped := make(chan error, 1)
	llm := &watchLLM{slowLLM: slowLLM{think: time.Minute}, stopped: stopped}
	asst := &handbook.Assistant{Retriever: &handbook.Retriever{Keyword: fakeIndex{lib.Chunks()}}, Library: func() *handbook.Library { return lib },
		Prompt: askPrompt, LLM: llm, Now: func() time.Time { return askNow }}
	log := &syncWriter{}
	srv := httptest.NewServer(askHandler(t, asst, log))
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/ask/stream?question="+url.QueryEscape("thẩm quyền đăng ký kết hôn"), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	if line != "event: meta\n" {
		t.Fatalf("first line %q, want the meta event", line)
	}
	cancel()
	resp.Body.Close()
	select {
	case err := <-stopped:
		if err == nil {
			t.Errorf("model call ended without error after the client left")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("model call still running 5s after the client left")
	}
	time.Sleep(50 * time.Millisecond)
	if strings.Contains(log.String(), "level=ERROR") || strings.Contains(log.String(), "stream failed") {
		t.Errorf("client disconnect logged as a failure:\n%s", log.String())
	}
}

type watchLLM struct {
	slowLLM
	stopped chan error
}

func (w *watchLLM) Stream(ctx context.Context, msgs []handbook.Message, onDelta func(string) error) (string, error) {
	s, err := w.slowLLM.Stream(ctx, msgs, onDelta)
	w.stopped <- err
	return s, err
}

// TestAskFollowUpByFocus: a follow-up stays on the procedure when the
// client sends back the previous answer's focus, without the conversation
// id (a restart, or another replica behind the load balancer), through
// the stream, the JSON API and the page without JavaScript. A focus the
// caller may not see is ignored.
func TestAskFollowUpByFocus(t *testing.T) {
	const khaiSinh = "procedures/ho-tich/dang-ky-khai-sinh"
	env := newAskServer(t, false)
	rec := get(t, env.h, "/api/v1/ask/stream?"+url.Values{"question": {"thế lệ phí bao nhiêu?"}, "focus": {khaiSinh}}.Encode(), "")
	events, _ := readSSE(t, rec.Body.String())
	if len(events) == 0 || events[len(events)-1].name != "done" {
		t.Fatalf("stream with focus = %d %s", rec.Code, rec.Body)
	}
	if done := events[len(events)-1].data; !strings.HasPrefix(done.Answer, "Lệ phí: Miễn lệ phí") || done.Focus != khaiSinh {
		t.Errorf("stream follow-up by focus = %q (focus %q)", done.Answer, done.Focus)
	}
	_, res := postAsk(t, env.h, askBody(map[string]any{"question": "mất bao lâu", "focus": khaiSinh}), "application/json", "")
	if !strings.HasPrefix(res.Answer, "Thời hạn giải quyết: Ngay trong ngày làm việc") {
		t.Errorf("POST follow-up by focus = %q", res.Answer)
	}
	// An internal page named as the focus by a public caller.
	_, res = postAsk(t, env.h, askBody(map[string]any{"question": "cần giấy tờ gì", "focus": "technology/mot-cua-quan-tri"}), "application/json", "")
	if strings.Contains(res.Answer, askMarker) || res.Focus == "technology/mot-cua-quan-tri" {
		t.Errorf("internal focus leaked: %+v", res)
	}
	rec, res = postAsk(t, env.h, askBody(map[string]any{"question": "lệ phí", "focus": strings.Repeat("a", 301)}), "application/json", "")
	if rec.Code != http.StatusBadRequest || res.Error == nil || !strings.Contains(res.Error.Message, "không hợp lệ") {
		t.Errorf("over-long focus = %d %s, want 400", rec.Code, rec.Body)
	}

	// The page without JavaScript carries the conversation in the form.
	post := func(form url.Values) string {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/ask", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		env.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("POST /ask %v = %d\n%s", form, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	hidden := func(page, name string) string {
		m := regexp.MustCompile(`<input type="hidden" name="` + name + `" value="([^"]*)">`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("page lacks the hidden %s field", name)
		}
		return html.UnescapeString(m[1])
	}
	first := post(url.Values{"q": {"làm giấy khai sinh cho con cần gì"}})
	if hidden(first, "focus") != khaiSinh || hidden(first, "conversation_id") == "" ||
		!strings.Contains(first, "được trả lời theo thủ tục <strong>Đăng ký khai sinh</strong>") {
		t.Fatalf("first answer page does not carry the conversation:\n%s", first)
	}
	// Focus only, as after a restart; then the conversation id only.
	for _, form := range []url.Values{
		{"q": {"thế lệ phí bao nhiêu?"}, "focus": {hidden(first, "focus")}},
		{"q": {"thế lệ phí bao nhiêu?"}, "conversation_id": {hidden(first, "conversation_id")}},
	} {
		if page := post(form); !strings.Contains(page, `<div class="answer-text"><p>Lệ phí: Miễn lệ phí nếu đăng ký đúng hạn.`) {
			t.Errorf("follow-up page %v does not answer the fee of khai sinh", form)
		}
	}
	// A new call starts without them.
	if page := post(url.Values{"q": {"thế lệ phí bao nhiêu?"}}); strings.Contains(page, `<div class="answer-text"><p>Lệ phí: Miễn lệ phí nếu đăng ký đúng hạn.`) {
		t.Errorf("a question without the conversation was answered as a follow-up")
	}
}

// TestAskStallUnderDefaultTimeouts runs in a synctest bubble with the
// timeouts cmd/handbook wires by default (-llm-timeout 60s, asking
// requests bounded at 60s + 10s, -request-timeout 15s): a model that
// stalls 30 s and one that stalls past the LLM timeout both end in a 200
// with verified citations, through POST and through the stream, never in
// a 5xx from a request deadline that fires first.
func TestAskStallUnderDefaultTimeouts(t *testing.T) {
	lib := askLibrary(t)
	fake := openaitest.NewServer(t) // outside the bubble: its listener would block it
	for _, tc := range []struct {
		name     string
		stall    time.Duration
		fallback string
	}{
		// After 30 s the stalled model says "Quá muộn.", a remark
		// without a marker that is not a courtesy.
		{"30s stall", 30 * time.Second, handbook.FallbackUncitedClaim},
		{"stall past the LLM timeout", 5 * time.Minute, handbook.FallbackTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const llmTimeout = 60 * time.Second
				chat := openai.NewChat(fake.URL, "", "fake", llmTimeout, openai.WithHTTPClient(&http.Client{Transport: fake.Transport()}))
				a := &handbook.Assistant{Retriever: &handbook.Retriever{Keyword: fakeIndex{lib.Chunks()}},
					Library: func() *handbook.Library { return lib }, Prompt: askPrompt, LLM: chat, Now: func() time.Time { return askNow }}
				srv, err := api.New(api.Options{Retriever: a.Retriever, Library: a.Library, Assistant: a,
					RequestTimeout: 15 * time.Second, ModelTimeout: llmTimeout + 10*time.Second,
					Now: func() time.Time { return askNow }, Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					t.Fatal(err)
				}
				fake.Script(openaitest.Stall(tc.stall), openaitest.Stall(tc.stall))
				const q = "thẩm quyền đăng ký kết hôn"
				start := time.Now()
				rec, res := postAsk(t, srv.Handler(), askBody(map[string]any{"question": q}), "application/json", "")
				if rec.Code != http.StatusOK || res.Fallback != tc.fallback || len(res.Citations) == 0 {
					t.Errorf("POST = %d fallback %q, %d citations, want 200 %q with citations: %s", rec.Code, res.Fallback, len(res.Citations), tc.fallback, rec.Body)
				}
				checkResolves(t, lib, res)
				if took := time.Since(start); took > llmTimeout+time.Second {
					t.Errorf("POST answered after %s, want the LLM timeout (%s) to end the wait", took, llmTimeout)
				}
				events, _ := streamAsk(t, srv.Handler(), q, "")
				done := events[len(events)-1].data
				if done.Fallback != tc.fallback || len(done.Citations) == 0 {
					t.Errorf("stream fallback %q with %d citations, want %q with citations", done.Fallback, len(done.Citations), tc.fallback)
				}
				checkResolves(t, lib, done)
			})
		})
	}
}

// TestAskPageOffersTicket: an unanswered question on the ask page links
// to the ticket form with the question filled in, when the server keeps
// tickets; an answered one does not.
func TestAskPageOffersTicket(t *testing.T) {
	env := newAskServer(t, false)
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "handbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	a := &handbook.Assistant{Retriever: env.askRetriever(t), Library: func() *handbook.Library { return env.lib }, Now: func() time.Time { return askNow }}
	srv, err := api.New(api.Options{Retriever: a.Retriever, Library: a.Library, Assistant: a, Store: store,
		Now: func() time.Time { return askNow }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	page := func(h http.Handler, q string) string {
		t.Helper()
		rec := get(t, h, "/ask?"+url.Values{"q": {q}}.Encode(), "")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /ask?q=%s = %d", q, rec.Code)
		}
		return rec.Body.String()
	}
	const offer = "Chuyển câu hỏi cho đơn vị phụ trách</a>"
	unanswered := "kết quả xổ số miền bắc hôm nay"
	body := page(srv.Handler(), unanswered)
	m := regexp.MustCompile(`<a href="(/tickets\?[^"]*)">` + offer).FindStringSubmatch(body)
	want := "/tickets?" + url.Values{"q": {unanswered}}.Encode()
	if m == nil || html.UnescapeString(m[1]) != want {
		t.Errorf("unanswered question page offers %q, want a link to %s", m, want)
	}
	if !strings.Contains(body, " data-tickets") {
		t.Errorf("ask form does not tell the script that tickets are kept")
	}
	if body := page(srv.Handler(), "thẩm quyền đăng ký kết hôn"); strings.Contains(body, offer) {
		t.Errorf("answered question offers a ticket")
	}
	if body := page(env.h, unanswered); strings.Contains(body, offer) || strings.Contains(body, " data-tickets") {
		t.Errorf("server without a store offers a ticket")
	}
}

func (env *askEnv) askRetriever(t *testing.T) *handbook.Retriever {
	t.Helper()
	idx, err := bleve.Open(filepath.Join(t.TempDir(), "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Index(t.Context(), env.lib.Chunks()); err != nil {
		t.Fatal(err)
	}
	r := &handbook.Retriever{Keyword: idx}
	r.SetAnalyzer(handbook.NewAnalyzer(env.lib))
	return r
}
