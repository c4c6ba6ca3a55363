package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sotay/api"
	"sotay/handbook"
)

var questionIDField = regexp.MustCompile(`name="question_id" value="(\d*)"`)

// formQuestionID returns the question id the page's feedback form names.
func formQuestionID(t *testing.T, page string) int64 {
	t.Helper()
	i := strings.Index(page, `id="feedback"`)
	if i < 0 {
		t.Fatalf("page has no feedback form")
	}
	m := questionIDField.FindStringSubmatch(page[i:])
	if m == nil || m[1] == "" {
		t.Fatalf("feedback form names no question")
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// TestFeedbackFromPages: the search and answer pages carry a "was this
// useful?" form that names the logged question; the public's verdict is
// stored with its comment masked; an official's "not useful" opens a
// ticket the thanks page links to.
func TestFeedbackFromPages(t *testing.T) {
	env := newHL(t, hlOptions{})
	pub := env.browser()
	_, page := pub.get("/search?q=" + url.QueryEscape("đăng ký khai sinh"))
	id := formQuestionID(t, page)
	if strings.Contains(page, `id="escalate"`) {
		t.Errorf("the public is offered to send the question to a department")
	}
	q, err := env.store.Question(t.Context(), id)
	if err != nil || q.Query != "đăng ký khai sinh" || q.Source != handbook.SourceSearch {
		t.Fatalf("form names question %d = %+v, %v", id, q, err)
	}
	res, body := pub.post("/feedback", url.Values{"question_id": {strconv.FormatInt(id, 10)}, "useful": {"0"},
		"comment": {"thiếu lệ phí, gọi 0912345678"}, "from": {"search"}}, false)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/feedback" {
		t.Fatalf("public feedback form: %d %s\n%s", res.StatusCode, res.Header.Get("Location"), body)
	}
	if res, body := pub.get("/feedback"); res.StatusCode != http.StatusOK || !strings.Contains(body, "Cảm ơn bạn đã góp ý") || strings.Contains(body, "phiếu hỏi số") {
		t.Errorf("thanks page: %d\n%s", res.StatusCode, body)
	}
	fb, _ := env.store.Feedback(t.Context(), env.clock.Now().Add(-time.Hour), env.clock.Now().Add(time.Hour))
	if len(fb) != 1 || fb[0].QuestionID != id || fb[0].Useful || fb[0].Comment != "thiếu lệ phí, gọi [SĐT]" || fb[0].Role != handbook.RolePublic {
		t.Errorf("stored feedback = %+v", fb)
	}
	if res, body := pub.post("/feedback", url.Values{"question_id": {strconv.FormatInt(id, 10)}}, false); res.StatusCode != http.StatusBadRequest ||
		!strings.Contains(body, "Vui lòng chọn") {
		t.Errorf("feedback without a verdict: %d", res.StatusCode)
	}
	if res, body := pub.post("/feedback", url.Values{"question_id": {"987654"}, "useful": {"1"}}, false); res.StatusCode != http.StatusNotFound ||
		!strings.Contains(body, "Không tìm thấy câu hỏi cần góp ý") {
		t.Errorf("feedback on an unknown question: %d", res.StatusCode)
	}

	// An operator asks; the answer page names the question, offers to
	// send it on, and "not useful" opens a ticket for the department.
	op := env.browser()
	op.login("operator", env.password)
	_, page = op.get("/ask?q=" + url.QueryEscape("đăng ký khai sinh cần giấy tờ gì"))
	aid := formQuestionID(t, page)
	if q, err := env.store.Question(t.Context(), aid); err != nil || q.Source != handbook.SourceAsk || q.Role != handbook.RoleOfficial {
		t.Fatalf("ask form names question %d = %+v, %v", aid, q, err)
	}
	if !strings.Contains(page, `name="_csrf"`) {
		t.Errorf("a signed-in user's feedback form has no CSRF token")
	}
	res, _ = op.post("/feedback", url.Values{"question_id": {strconv.FormatInt(aid, 10)}, "useful": {"0"}, "comment": {"thiếu lệ phí"}, "from": {"ask"}}, true)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/feedback?") || !strings.Contains(loc, "ticket=") {
		t.Fatalf("official's not-useful verdict: %d %q, want a redirect naming the ticket", res.StatusCode, loc)
	}
	if _, body := op.get(loc); !strings.Contains(body, `id="feedback-ticket"`) || !strings.Contains(body, "Sở Tư pháp") || !strings.Contains(body, `href="/ask"`) {
		t.Errorf("thanks page does not link the ticket for Sở Tư pháp:\n%s", body)
	}
	// The public cannot read that ticket through the thanks page.
	if _, body := pub.get(loc); strings.Contains(body, "phiếu hỏi số") {
		t.Errorf("the public sees an official's ticket on the thanks page")
	}
	// Without the CSRF token a signed-in browser's form is refused.
	if res, _ := op.post("/feedback", url.Values{"question_id": {strconv.FormatInt(aid, 10)}, "useful": {"1"}}, false); res.StatusCode != http.StatusForbidden {
		t.Errorf("signed-in feedback without CSRF token: %d, want 403", res.StatusCode)
	}
}

// TestEscalateUnansweredQuestion: an operator's question the handbook
// cannot answer is offered to the department, and sending it opens a
// ticket from the logged question without logging it again.
func TestEscalateUnansweredQuestion(t *testing.T) {
	env := newHL(t, hlOptions{})
	op := env.browser()
	op.login("operator", env.password)
	const question = "xin giấy phép bay flycam chụp ảnh cưới"
	_, page := op.get("/ask?q=" + url.QueryEscape(question))
	if !strings.Contains(page, `id="escalate"`) || strings.Contains(page, `id="escalate" action="/tickets" method="post" hidden`) {
		t.Fatalf("no visible offer to send an unanswered question on:\n%s", page)
	}
	id := formQuestionID(t, page)
	before := countQuestions(t, env)
	res, _ := op.post("/tickets", url.Values{"question_id": {strconv.FormatInt(id, 10)}, "q": {question}, "note": {"người dân cần gấp"}}, true)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/tickets/") {
		t.Fatalf("send on: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if n := countQuestions(t, env); n != before {
		t.Errorf("sending the question on logged it again: %d entries, was %d", n, before)
	}
	tk, _ := env.store.Tickets(t.Context(), handbook.TicketFilter{QuestionID: id})
	if len(tk) != 1 || tk[0].Question != question || tk[0].Note != "người dân cần gấp" {
		t.Errorf("tickets of question %d = %+v", id, tk)
	}
	// The operator, who has no department, finds the ticket in the list.
	if _, body := op.get("/tickets"); !strings.Contains(body, question) {
		t.Errorf("the operator's ticket list lacks the question they sent")
	}
	// An answered question is not offered on (the form is there, hidden,
	// for results the page fetches itself).
	_, page = op.get("/ask?q=" + url.QueryEscape("đăng ký khai sinh cần giấy tờ gì"))
	if !strings.Contains(page, `id="escalate" action="/tickets" method="post" hidden`) {
		t.Errorf("an answered question is offered to the department")
	}
	// Search: nothing found is offered on too.
	_, page = op.get("/search?q=" + url.QueryEscape("giấy phép flycam"))
	if !strings.Contains(page, `id="escalate"`) || strings.Contains(page, `id="escalate" action="/tickets" method="post" hidden`) {
		t.Errorf("search without results does not offer to send the question on")
	}
}

func countQuestions(t *testing.T, env *hlEnv) int {
	t.Helper()
	api.FlushQuestionLog(env.srv)
	n := 0
	env.store.Questions(t.Context(), env.clock.Now().Add(-time.Hour), env.clock.Now().Add(time.Hour), func(*handbook.Question) error { n++; return nil })
	return n
}

// TestFeedbackOnLiveSearch: results fetched while typing have no log id
// yet; feedback naming the query finds the entry of that browser, whether
// it still waits for the next keystroke or was written already.
func TestFeedbackOnLiveSearch(t *testing.T) {
	env := newHL(t, hlOptions{})
	live := map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "User-Agent": "typing"}
	for _, q := range []string{"khai", "khai sinh", "khai sinh cho con"} {
		if rec := env.do("GET", "/api/v1/search?q="+url.QueryEscape(q), "", live); rec.Header().Get("X-Question-Id") != "" {
			t.Fatalf("a live search got an id at once")
		}
	}
	send := func(query string, header map[string]string) (int, map[string]any) {
		rec := env.do("POST", "/api/v1/feedback", `{"query":"`+query+`","useful":false,"comment":"thiếu"}`, header)
		var out map[string]any
		json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	code, out := send("khai sinh cho con", live) // still waiting in the slot
	if code != http.StatusCreated {
		t.Fatalf("feedback on a waiting live search: %d %v", code, out)
	}
	id := int64(out["question_id"].(float64))
	q, err := env.store.Question(t.Context(), id)
	if err != nil || q.Query != "khai sinh cho con" {
		t.Errorf("feedback went to question %+v, %v", q, err)
	}
	// Written already: the same query finds the same entry.
	if code, out := send("Khai sinh cho con", live); code != http.StatusCreated || int64(out["question_id"].(float64)) != id {
		t.Errorf("second feedback on the written live search: %d %v, want question %d", code, out, id)
	}
	// Another browser cannot judge this browser's search; an unknown
	// query is not found.
	other := map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "User-Agent": "another"}
	if code, _ := send("khai sinh cho con", other); code != http.StatusNotFound {
		t.Errorf("feedback from another browser: %d, want 404", code)
	}
	if code, _ := send("chưa từng tìm", live); code != http.StatusNotFound {
		t.Errorf("feedback on a query never searched: %d, want 404", code)
	}
	if n := countQuestions(t, env); n != 1 {
		t.Errorf("%d log entries, want the one live search", n)
	}
}

// TestAnalyticsTurnsUnansweredIntoTickets: the analytics page lists what
// found no answer and the public's "not useful" verdicts, each with a
// button that opens a ticket, then a link to it.
func TestAnalyticsTurnsUnansweredIntoTickets(t *testing.T) {
	env := newHL(t, hlOptions{})
	rec := env.do("GET", "/api/v1/search?q="+url.QueryEscape("đổi bằng lái xe máy"), "", nil)
	unanswered, _ := strconv.ParseInt(rec.Header().Get("X-Question-Id"), 10, 64)
	rec = env.do("GET", "/api/v1/search?q="+url.QueryEscape("đăng ký khai sinh"), "", nil)
	judged, _ := strconv.ParseInt(rec.Header().Get("X-Question-Id"), 10, 64)
	if unanswered == 0 || judged == 0 {
		t.Fatal("searches not logged")
	}
	if rec := env.do("POST", "/api/v1/feedback", `{"question_id":`+strconv.FormatInt(judged, 10)+`,"useful":false,"comment":"không nói lệ phí"}`, nil); rec.Code != http.StatusCreated {
		t.Fatalf("public feedback: %d %s", rec.Code, rec.Body)
	}
	ed := env.browser()
	ed.login("editor", env.password)
	_, page := ed.get("/analytics")
	for _, want := range []string{`id="analytics-unanswered"`, "đổi bằng lái xe máy", `id="analytics-complaints"`, "không nói lệ phí",
		`name="question_id" value="` + strconv.FormatInt(unanswered, 10) + `"`, `name="question_id" value="` + strconv.FormatInt(judged, 10) + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("analytics page lacks %q", want)
		}
	}
	res, _ := ed.post("/tickets", url.Values{"question_id": {strconv.FormatInt(judged, 10)}}, true)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ticket from a complaint: %d", res.StatusCode)
	}
	ticket := strings.TrimPrefix(res.Header.Get("Location"), "/tickets/")
	if _, page = ed.get("/analytics"); !strings.Contains(page, `href="/tickets/`+ticket+`"`) {
		t.Errorf("analytics page does not link the ticket opened from the complaint")
	}
	_, csv := ed.get("/analytics.csv")
	if !strings.Contains(csv, "khong_huu_ich,") || !strings.Contains(csv, "không nói lệ phí,public,"+ticket) {
		t.Errorf("analytics.csv lacks the complaint with its ticket:\n%s", csv)
	}
}

// TestEditorAssignsInUI: an editor gives a ticket to an official of the
// owning department from the ticket page; others are refused.
func TestEditorAssignsInUI(t *testing.T) {
	env := newHL(t, hlOptions{})
	rec := env.do("POST", "/api/v1/tickets", `{"question":"khai sinh cho con nuôi"}`, env.bearer("operator"))
	var tk struct {
		ID      int64 `json:"id"`
		Version int   `json:"version"`
	}
	json.Unmarshal(rec.Body.Bytes(), &tk)
	ed := env.browser()
	ed.login("editor", env.password)
	path := "/tickets/" + strconv.FormatInt(tk.ID, 10)
	_, page := ed.get(path)
	if !strings.Contains(page, `<option value="tuphap">`) {
		t.Errorf("the assign field does not offer the department's official")
	}
	form := url.Values{"action": {"route"}, "version": {strconv.Itoa(tk.Version)}, "department": {"Sở Tư pháp"}, "assignee": {"operator"}}
	if res, body := ed.post(path, form, true); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "không thuộc đơn vị") {
		t.Errorf("assigning an official of no department: %d", res.StatusCode)
	}
	form.Set("assignee", "tuphap")
	if res, _ := ed.post(path, form, true); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign: %d", res.StatusCode)
	}
	got, _ := env.store.Ticket(t.Context(), tk.ID)
	if got.Assignee != "Chuyên viên Nam" || got.History[len(got.History)-1].Action != "assigned" {
		t.Errorf("after assigning: %+v", got)
	}
}

// TestExpiredFAQIsFlagged: an FAQ page past its review date says so on the
// page and is listed for review on the analytics page.
func TestExpiredFAQIsFlagged(t *testing.T) {
	env := newHL(t, hlOptions{extraFiles: map[string]string{"faq/ho-tich/le-phi-khai-sinh.md": `---
title: Khai sinh có mất lệ phí không?
kind: faq
owner: Sở Tư pháp
reviewer: Phòng Hành chính tư pháp
reviewed: 2025-06-01
expires: 2026-06-01
sources: ["https://vbpl.vn/luat-ho-tich-2014"]
---

Đăng ký khai sinh đúng hạn được miễn lệ phí.
`}})
	_, page := env.browser().get("/docs/faq/ho-tich/le-phi-khai-sinh")
	if !strings.Contains(page, "Câu trả lời đã quá hạn rà soát từ ngày 01/06/2026") {
		t.Errorf("expired FAQ page does not say so:\n%s", page)
	}
	ed := env.browser()
	ed.login("editor", env.password)
	_, page = ed.get("/analytics")
	i := strings.Index(page, `id="ui-can-ra-soat"`)
	if i < 0 || !strings.Contains(page[i:], "/docs/faq/ho-tich/le-phi-khai-sinh") {
		t.Errorf("analytics does not list the expired FAQ for review")
	}
}

// TestAnalyticsCSV: the CSV holds per-day counts, rates and medians, the
// totals, top queries, fields and departments.
func TestAnalyticsCSV(t *testing.T) {
	env := newHL(t, hlOptions{})
	day := env.clock.Now() // 25/11/2026 09:00 in Vietnam
	for i, q := range []handbook.Question{
		{Query: "đăng ký khai sinh", Hits: 5, Answerable: true, Latency: 10 * time.Millisecond, Field: "Hộ tịch", Department: "Sở Tư pháp"},
		{Query: "dang ky khai sinh", Hits: 5, Answerable: true, Latency: 30 * time.Millisecond, Field: "Hộ tịch", Department: "Sở Tư pháp"},
		{Query: "=HYPERLINK(\"x\")", Hits: 0, Latency: 20 * time.Millisecond},
		{Query: "tách hộ", Hits: 2, Latency: 40 * time.Millisecond, Field: "Cư trú", Department: "Công an tỉnh"},
	} {
		q.Time, q.Source, q.Role = day.Add(time.Duration(i)*time.Minute), handbook.SourceSearch, handbook.RolePublic
		if err := env.store.LogQuestion(t.Context(), &q); err != nil {
			t.Fatal(err)
		}
	}
	rec := env.do("GET", "/analytics.csv?from=2026-11-24&to=2026-11-25", "", env.bearer("editor"))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Disposition") == "" {
		t.Fatalf("analytics.csv: %d %v", rec.Code, rec.Header())
	}
	csv := rec.Body.String()
	for _, want := range []string{
		"\uFEFFbang,ngay,cau_hoi,khong_ket_qua,khong_tra_loi_duoc,trung_vi_ms,ty_le_khong_ket_qua,ty_le_khong_tra_loi_duoc\n",
		"ngay,2026-11-24,0,0,0,0,0,0\n",
		"ngay,2026-11-25,4,1,2,20,0.2500,0.5000\n",
		"tong,2026-11-24/2026-11-25,4,1,2,20,0.2500,0.5000\n",
		"truy_van,đăng ký khai sinh,2,0\n",
		"truy_van,\"'=HYPERLINK(\"\"x\"\")\",1,1\n", // a formula stays text
		"linh_vuc,Hộ tịch,2,0,0,0,0\n",
		"don_vi,Công an tỉnh,1,0,1,0,0\n",
	} {
		if !strings.Contains(csv, want) {
			t.Errorf("analytics.csv lacks %q:\n%s", want, csv)
		}
	}
	if rec := env.do("GET", "/analytics.csv", "", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("public analytics.csv: %d, want a redirect to sign in", rec.Code)
	}
}
