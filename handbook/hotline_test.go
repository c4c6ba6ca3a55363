package handbook_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sotay/handbook"
	"sotay/handbook/markdown"
	"sotay/handbook/sqlite"
)

// hotlineFiles is a small content tree: procedures with and without an
// owner, and a regulation with articles and sources.
var hotlineFiles = map[string]string{
	"procedures/ho-tich/dang-ky-khai-sinh.md": `---
title: Đăng ký khai sinh
kind: procedure
code: "1.001193"
field: Hộ tịch
agency: UBND cấp xã
time_limit: Ngay trong ngày
owner: Sở Tư pháp
sources: ["https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193"]
documents:
- name: Tờ khai đăng ký khai sinh
---

## Trình tự

Nộp tờ khai.
`,
	"procedures/cu-tru/dang-ky-tam-tru.md": `---
title: Đăng ký tạm trú
kind: procedure
code: "1.004194"
field: Cư trú
agency: Công an cấp xã
time_limit: 3 ngày làm việc
owner: Công an tỉnh
sources: ["https://dichvucong.gov.vn/"]
documents:
- name: Tờ khai thay đổi thông tin cư trú
---

Nộp hồ sơ tại Công an xã.
`,
	"procedures/cu-tru/tach-ho.md": `---
title: Tách hộ
kind: procedure
code: "1.004199"
field: Cư trú
agency: Công an cấp xã
time_limit: 5 ngày làm việc
sources: ["https://dichvucong.gov.vn/"]
documents:
- name: Tờ khai thay đổi thông tin cư trú
---

Nộp hồ sơ tại Công an xã.
`,
	"regulations/luat-ho-tich-2014.md": `---
title: Luật Hộ tịch
kind: regulation
number: 60/2014/QH13
issuer: Quốc hội
issued: 2014-11-20
effective: 2016-01-01
short_name: Luật Hộ tịch 2014
sources: ["https://vbpl.vn/luat-ho-tich-2014"]
---

## Điều 15. Thời hạn đăng ký khai sinh

Trong thời hạn 60 ngày kể từ ngày sinh con, cha, mẹ có trách nhiệm đăng ký khai sinh cho con.

## Điều 16. Thủ tục đăng ký khai sinh

1. Người đi đăng ký khai sinh nộp tờ khai theo mẫu quy định và giấy chứng sinh.
`,
}

func parseFiles(t *testing.T, files map[string]string) []*handbook.Document {
	t.Helper()
	var docs []*handbook.Document
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		d, probs, err := markdown.Parse(p, []byte(files[p]))
		if err != nil {
			t.Fatalf("parse %s: %v %v", p, err, probs)
		}
		docs = append(docs, d)
	}
	return docs
}

// clock is a settable clock for the hotline and the store.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

type hotlineFixture struct {
	h     *handbook.Hotline
	store *sqlite.Store
	clock *clock
	lib   *handbook.Library
	// Users: an operator (official without department), two department
	// officials, an editor.
	operator, tuphap, congan, editor *handbook.User
}

func newHotline(t *testing.T) *hotlineFixture {
	t.Helper()
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	// Wednesday 25 November 2026, 09:00 in Vietnam.
	c := &clock{t: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)}
	store.Now = c.Now
	f := &hotlineFixture{store: store, clock: c, lib: handbook.NewLibrary(parseFiles(t, hotlineFiles), nil, nil)}
	f.h = &handbook.Hotline{Store: store, Library: func() *handbook.Library { return f.lib }, Now: c.Now,
		Departments: map[string]string{"Đất đai": "Sở Nông nghiệp và Môi trường"}}
	mk := func(name string, role handbook.Role, dept string) *handbook.User {
		u := &handbook.User{Username: name, Name: "Cán bộ " + name, Role: role, Department: dept}
		if err := store.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.operator = mk("tongdai", handbook.RoleOfficial, "")
	f.tuphap = mk("tuphap", handbook.RoleOfficial, "Sở Tư pháp")
	f.congan = mk("congan", handbook.RoleOfficial, "Công an tỉnh")
	f.editor = mk("bientap", handbook.RoleEditor, "Văn phòng UBND tỉnh")
	return f
}

func TestRoute(t *testing.T) {
	f := newHotline(t)
	tests := []struct {
		name        string
		results     []string
		dept, field string
	}{
		{"owner of the procedure", []string{"procedures/ho-tich/dang-ky-khai-sinh#trinh-tu"}, "Sở Tư pháp", "Hộ tịch"},
		{"procedure before regulation", []string{"regulations/luat-ho-tich-2014#dieu-16", "procedures/cu-tru/dang-ky-tam-tru#card"}, "Công an tỉnh", "Cư trú"},
		{"field's usual owner when the procedure has none", []string{"procedures/cu-tru/tach-ho#card"}, "Công an tỉnh", "Cư trú"},
		{"unknown documents", []string{"procedures/khong/co"}, "", ""},
		{"nothing found", nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dept, field := f.h.Route(tc.results)
			if dept != tc.dept || field != tc.field {
				t.Errorf("Route(%q) = %q, %q; want %q, %q", tc.results, dept, field, tc.dept, tc.field)
			}
		})
	}
}

func TestLogMasksPersonalData(t *testing.T) {
	f := newHotline(t)
	q := &handbook.Question{Source: handbook.SourceAsk, Query: "  chị Lan  0912 345 678, CCCD 001099012345\n hỏi khai sinh ",
		Results: []string{"procedures/ho-tich/dang-ky-khai-sinh#card", "a", "b", "c", "d", "e", "f"}, Role: handbook.RoleOfficial}
	if err := f.h.Log(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.Question(t.Context(), q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "chị Lan [SĐT], CCCD [CCCD] hỏi khai sinh"; got.Query != want {
		t.Errorf("stored query = %q, want %q", got.Query, want)
	}
	if len(got.Results) != 5 || got.Department != "Sở Tư pháp" || got.Field != "Hộ tịch" || !got.Time.Equal(f.clock.t) {
		t.Errorf("stored question = %+v", got)
	}
}

func TestTicketLoop(t *testing.T) {
	f := newHotline(t)
	ctx := t.Context()
	q := &handbook.Question{Source: handbook.SourceAsk, Query: "khai sinh cho con khi bố mẹ đang ở nước ngoài, gọi lại 0987654321",
		Results: []string{"procedures/ho-tich/dang-ky-khai-sinh#trinh-tu"}, Role: handbook.RoleOfficial, UserID: f.operator.ID}
	if err := f.h.Log(ctx, q); err != nil {
		t.Fatal(err)
	}

	if _, err := f.h.OpenTicket(ctx, q.ID, "", nil); handbook.ErrorCode(err) != handbook.Forbidden {
		t.Errorf("OpenTicket(anonymous) error = %v, want forbidden", err)
	}
	tk, err := f.h.OpenTicket(ctx, q.ID, "Người gọi cần gấp, sđt 0987654321", f.operator)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Department != "Sở Tư pháp" || tk.Field != "Hộ tịch" || tk.Status != handbook.TicketOpen {
		t.Errorf("ticket = %+v, want open, routed to Sở Tư pháp", tk)
	}
	// Five working days after Wednesday 25/11: Wednesday 2/12.
	if want := handbook.MustDate("2026-12-02"); tk.Due != want {
		t.Errorf("due = %s, want %s", tk.Due, want)
	}
	if strings.Contains(tk.Question+tk.Note, "0987654321") {
		t.Errorf("ticket keeps a phone number: %q / %q", tk.Question, tk.Note)
	}
	again, err := f.h.OpenTicket(ctx, q.ID, "", f.operator)
	if err != nil || again.ID != tk.ID {
		t.Errorf("second OpenTicket = %v, %v; want the same ticket %d", again, err, tk.ID)
	}

	// Only the owning department and editors see and answer it.
	if _, err := f.h.Ticket(ctx, tk.ID, f.congan); handbook.ErrorCode(err) != handbook.NotFound {
		t.Errorf("Ticket(other department) error = %v, want not found", err)
	}
	mine, err := f.h.Tickets(ctx, handbook.TicketFilter{}, f.congan)
	if err != nil || len(mine) != 0 {
		t.Errorf("Tickets(other department) = %v, %v; want none", mine, err)
	}
	mine, err = f.h.Tickets(ctx, handbook.TicketFilter{}, f.tuphap)
	if err != nil || len(mine) != 1 {
		t.Errorf("Tickets(owning department) = %v, %v; want one", mine, err)
	}
	if _, err := f.h.Ticket(ctx, tk.ID, f.operator); err != nil {
		t.Errorf("the operator who opened the ticket cannot read it: %v", err)
	}
	// The operator follows the tickets they sent, though they belong to
	// no department; an official of another department sees theirs plus
	// the ones they sent.
	if mine, err := f.h.Tickets(ctx, handbook.TicketFilter{}, f.operator); err != nil || len(mine) != 1 || mine[0].ID != tk.ID {
		t.Errorf("Tickets(operator who opened it) = %v, %v; want ticket %d", mine, err, tk.ID)
	}
	qc := &handbook.Question{Query: "đăng ký tạm trú cho người thuê trọ", Results: []string{"procedures/cu-tru/dang-ky-tam-tru#card"}}
	f.h.Log(ctx, qc)
	tc, err := f.h.OpenTicket(ctx, qc.ID, "", f.tuphap)
	if err != nil || tc.Department != "Công an tỉnh" {
		t.Fatalf("ticket sent by Sở Tư pháp = %+v, %v; want one for Công an tỉnh", tc, err)
	}
	if mine, err := f.h.Tickets(ctx, handbook.TicketFilter{}, f.tuphap); err != nil || len(mine) != 2 || mine[0].ID != tk.ID || mine[1].ID != tc.ID {
		t.Errorf("Tickets(tuphap) = %v, %v; want its department's %d, then the one it sent %d", mine, err, tk.ID, tc.ID)
	}
	if mine, err := f.h.Tickets(ctx, handbook.TicketFilter{Limit: 1}, f.tuphap); err != nil || len(mine) != 1 {
		t.Errorf("Tickets(tuphap, limit 1) = %v, %v; want one", mine, err)
	}
	if mine, _ := f.h.Tickets(ctx, handbook.TicketFilter{}, f.congan); len(mine) != 1 || mine[0].ID != tc.ID {
		t.Errorf("Tickets(congan) = %v, want the ticket routed to it", mine)
	}
	if _, err := f.h.UpdateTicket(ctx, tk.ID, handbook.TicketUpdate{Answer: "x"}, f.operator); handbook.ErrorCode(err) != handbook.Forbidden {
		t.Errorf("UpdateTicket(operator) error = %v, want forbidden", err)
	}
	_, err = f.h.UpdateTicket(ctx, tk.ID, handbook.TicketUpdate{Answer: "Được.", Citations: []handbook.Reference{{Doc: "luat-ho-tich-2014", Article: "dieu-99"}}}, f.tuphap)
	if handbook.ErrorCode(err) != handbook.Invalid {
		t.Errorf("answer citing a missing article: error = %v, want invalid", err)
	}
	if _, err := f.h.UpdateTicket(ctx, tk.ID, handbook.TicketUpdate{Close: true}, f.tuphap); handbook.ErrorCode(err) != handbook.Forbidden {
		t.Errorf("close by official: error = %v, want forbidden", err)
	}
	answer := "Ông bà hoặc người thân đang nuôi dưỡng trẻ có thể đi đăng ký khai sinh thay; nộp tờ khai và giấy chứng sinh tại UBND xã nơi cư trú."
	tk, err = f.h.UpdateTicket(ctx, tk.ID, handbook.TicketUpdate{
		Version: tk.Version, Assignee: f.tuphap, Answer: answer,
		Citations: []handbook.Reference{{Doc: "regulations/luat-ho-tich-2014#dieu-16"}, {Doc: "luat-ho-tich-2014", Article: "dieu-15"}},
	}, f.tuphap)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != handbook.TicketAnswered || tk.Assignee != "Cán bộ tuphap" || tk.AnsweredBy != "Cán bộ tuphap (Sở Tư pháp)" {
		t.Errorf("answered ticket = %+v", tk)
	}
	wantCites := []handbook.Reference{{Doc: "regulations/luat-ho-tich-2014", Article: "dieu-16"}, {Doc: "regulations/luat-ho-tich-2014", Article: "dieu-15"}}
	if !slices.Equal(tk.Citations, wantCites) {
		t.Errorf("citations = %+v, want %+v", tk.Citations, wantCites)
	}
	var actions []string
	for _, e := range tk.History {
		actions = append(actions, e.Action)
	}
	if want := []string{"opened", "routed", "assigned", "answered"}; !slices.Equal(actions, want) {
		t.Errorf("history = %q, want %q", actions, want)
	}
	if _, err := f.h.UpdateTicket(ctx, tk.ID, handbook.TicketUpdate{Version: 1, Note: "cũ"}, f.tuphap); handbook.ErrorCode(err) != handbook.Conflict {
		t.Errorf("update with a stale version: error = %v, want conflict", err)
	}

	// Promotion: editors only, and the page passes lint.
	if _, _, err := f.h.PrepareFAQ(ctx, tk.ID, handbook.PromoteRequest{}, f.tuphap); handbook.ErrorCode(err) != handbook.Forbidden {
		t.Errorf("PrepareFAQ(official) error = %v, want forbidden", err)
	}
	title := "Bố mẹ ở nước ngoài thì ai đi đăng ký khai sinh cho con?"
	_, file, err := f.h.PrepareFAQ(ctx, tk.ID, handbook.PromoteRequest{Title: title, Reviewer: "Phòng Hành chính tư pháp, Sở Tư pháp"}, f.editor)
	if err != nil {
		t.Fatal(err)
	}
	if want := "faq/ho-tich/bo-me-o-nuoc-ngoai-thi-ai-di-dang-ky-khai-sinh-cho-con"; file.DocID != want || file.Path != want+".md" {
		t.Errorf("FAQ id %q path %q, want %q", file.DocID, file.Path, want)
	}
	text := string(file.Data)
	for _, want := range []string{`title: "` + title + `"`, "kind: \"faq\"", `owner: "Sở Tư pháp"`, `reviewer: "Phòng Hành chính tư pháp, Sở Tư pháp"`,
		`reviewed: "2026-11-25"`, `expires: "2027-11-25"`, `- "https://vbpl.vn/luat-ho-tich-2014"`, `- doc: "regulations/luat-ho-tich-2014"`,
		`  article: "dieu-16"`, answer, "(regulations/luat-ho-tich-2014#dieu-16)"} {
		if !strings.Contains(text, want) {
			t.Errorf("FAQ file lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "0987654321") {
		t.Errorf("FAQ file holds the caller's phone number:\n%s", text)
	}
	doc, probs, err := markdown.Parse(file.Path, file.Data)
	if err != nil || len(probs) > 0 {
		t.Fatalf("promoted FAQ does not parse: %v %v\n%s", err, probs, text)
	}
	if doc.Kind != handbook.KindFAQ || doc.Title != title || doc.Owner != "Sở Tư pháp" || len(doc.LegalBasis) != 2 || doc.Audience != handbook.AudiencePublic {
		t.Errorf("parsed FAQ = %+v", doc)
	}
	lib := handbook.NewLibrary(append(f.lib.All(), doc), nil, nil)
	for _, p := range handbook.Lint(lib, handbook.MustDate("2026-11-25")) {
		if p.Path == file.Path {
			t.Errorf("lint on the promoted FAQ: %s", p)
		}
	}
	if err := f.h.Promoted(ctx, tk, file, f.editor); err != nil {
		t.Fatal(err)
	}
	tk, err = f.h.Ticket(ctx, tk.ID, f.editor)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != handbook.TicketPromoted || tk.FAQ != file.DocID {
		t.Errorf("after promotion: %+v", tk)
	}
	ps, err := f.store.Promotions(ctx)
	if err != nil || len(ps) != 1 || ps[0].DocID != file.DocID || ps[0].Expires != handbook.MustDate("2027-11-25") {
		t.Errorf("promotions = %+v, %v", ps, err)
	}
	if _, _, err := f.h.PrepareFAQ(ctx, tk.ID, handbook.PromoteRequest{}, f.editor); handbook.ErrorCode(err) != handbook.Invalid {
		t.Errorf("promoting twice: error = %v, want invalid", err)
	}
	// The same page id again is a conflict once it is in the library.
	f.lib = lib
	q2 := &handbook.Question{Query: "khai sinh khác", Results: []string{"procedures/ho-tich/dang-ky-khai-sinh#card"}}
	f.h.Log(ctx, q2)
	t2, _ := f.h.OpenTicket(ctx, q2.ID, "", f.operator)
	if _, err := f.h.UpdateTicket(ctx, t2.ID, handbook.TicketUpdate{Answer: "Xem Điều 16.", Citations: []handbook.Reference{{Doc: "luat-ho-tich-2014#dieu-16"}}}, f.editor); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.h.PrepareFAQ(ctx, t2.ID, handbook.PromoteRequest{Title: title}, f.editor); handbook.ErrorCode(err) != handbook.Conflict {
		t.Errorf("promoting onto an existing page: error = %v, want conflict", err)
	}
}

func TestFeedbackOpensTicketsForOfficialsOnly(t *testing.T) {
	f := newHotline(t)
	ctx := t.Context()
	q := &handbook.Question{Query: "tách hộ cần gì", Results: []string{"procedures/cu-tru/tach-ho#card"}}
	if err := f.h.Log(ctx, q); err != nil {
		t.Fatal(err)
	}
	tk, err := f.h.AddFeedback(ctx, &handbook.Feedback{QuestionID: q.ID, Useful: false, Comment: "không đúng, email tôi a@b.vn"}, nil)
	if err != nil || tk != nil {
		t.Errorf("public not-useful feedback = %v, %v; want recorded without ticket", tk, err)
	}
	tk, err = f.h.AddFeedback(ctx, &handbook.Feedback{QuestionID: q.ID, Useful: false, Comment: "thiếu thành phần hồ sơ"}, f.operator)
	if err != nil || tk == nil || tk.Department != "Công an tỉnh" {
		t.Fatalf("official not-useful feedback = %+v, %v; want a ticket for Công an tỉnh", tk, err)
	}
	fb, err := f.store.Feedback(ctx, f.clock.t.Add(-time.Hour), f.clock.t.Add(time.Hour))
	if err != nil || len(fb) != 2 || fb[0].Comment != "không đúng, email tôi [email]" || fb[0].Role != handbook.RolePublic || fb[1].Role != handbook.RoleOfficial {
		t.Errorf("feedback = %+v, %v", fb, err)
	}
	if _, err := f.h.AddFeedback(ctx, &handbook.Feedback{QuestionID: 987654}, nil); handbook.ErrorCode(err) != handbook.NotFound {
		t.Errorf("feedback on unknown question: error = %v, want not found", err)
	}
}

func TestAnalytics(t *testing.T) {
	f := newHotline(t)
	ctx := t.Context()
	day := f.clock.t // 25/11 09:00 in Vietnam
	log := func(at time.Time, query string, hits int, answerable bool, latency time.Duration, results ...string) *handbook.Question {
		q := &handbook.Question{Time: at, Query: query, Hits: hits, Answerable: answerable, Latency: latency, Results: results}
		if err := f.h.Log(ctx, q); err != nil {
			t.Fatal(err)
		}
		return q
	}
	log(day, "đăng ký khai sinh", 5, true, 10*time.Millisecond, "procedures/ho-tich/dang-ky-khai-sinh#card")
	log(day.Add(time.Minute), "dang ky khai sinh", 5, true, 30*time.Millisecond, "procedures/ho-tich/dang-ky-khai-sinh#card")
	log(day.Add(2*time.Minute), "tách hộ", 2, false, 20*time.Millisecond, "procedures/cu-tru/tach-ho#card")
	log(day.Add(3*time.Minute), "xin phép bay flycam", 0, false, 40*time.Millisecond)
	// 16:59 UTC on the 26th is 23:59 in Vietnam: still the 26th; 17:01 is the 27th.
	lastTachHo := log(time.Date(2026, 11, 26, 16, 59, 0, 0, time.UTC), "tách hộ", 2, false, 50*time.Millisecond, "procedures/cu-tru/tach-ho#card")
	log(time.Date(2026, 11, 27, 17, 1, 0, 0, time.UTC), "ngoài khoảng", 1, true, time.Second)
	q := &handbook.Question{Query: "tạm trú", Results: []string{"procedures/cu-tru/dang-ky-tam-tru#card"}, Time: day}
	f.h.Log(ctx, q)
	if _, err := f.h.OpenTicket(ctx, q.ID, "", f.operator); err != nil {
		t.Fatal(err)
	}
	f.h.AddFeedback(ctx, &handbook.Feedback{QuestionID: q.ID, Useful: true, Time: day}, nil)
	flycam := &handbook.Question{Query: "xin phép bay flycam ở đâu", Time: day.Add(4 * time.Minute)}
	f.h.Log(ctx, flycam)
	if _, err := f.h.AddFeedback(ctx, &handbook.Feedback{QuestionID: flycam.ID, Useful: false, Comment: "không có gì", Time: day.Add(5 * time.Minute)}, nil); err != nil {
		t.Fatal(err)
	}
	f.clock.t = day.AddDate(0, 0, 10) // the ticket is overdue now

	a, err := f.h.Analytics(ctx, handbook.MustDate("2026-11-25"), handbook.MustDate("2026-11-27"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Questions != 7 || a.ZeroResults != 3 || a.Unanswerable != 5 || a.Useful != 1 || a.NotUseful != 1 {
		t.Errorf("totals = %d questions, %d zero, %d unanswerable, %d/%d feedback", a.Questions, a.ZeroResults, a.Unanswerable, a.Useful, a.NotUseful)
	}
	if a.MedianLatency != 20*time.Millisecond {
		t.Errorf("median latency = %s, want 20ms", a.MedianLatency)
	}
	if len(a.Days) != 2 || a.Days[0].Questions != 6 || a.Days[1].Questions != 1 || a.Days[1].Day != handbook.MustDate("2026-11-26") {
		t.Errorf("days = %+v", a.Days)
	}
	if len(a.TopQueries) < 2 || a.TopQueries[0].Count != 2 || a.TopQueries[1].Count != 2 {
		t.Errorf("top queries = %+v, want the two repeated queries first (folded together)", a.TopQueries)
	}
	if len(a.Unanswered) == 0 || a.Unanswered[0].Query != "tách hộ" || a.Unanswered[0].Unanswerable != 2 {
		t.Errorf("unanswered = %+v", a.Unanswered)
	}
	// Each query names its latest log entry (a ticket is opened from it)
	// and the ticket already opened for it.
	for _, u := range a.Unanswered {
		lq, err := f.store.Question(ctx, u.QuestionID)
		if err != nil || handbook.Fold(lq.Query) != handbook.Fold(u.Query) {
			t.Errorf("unanswered %q names question %d: %+v, %v", u.Query, u.QuestionID, lq, err)
		}
		if (u.Query == "tạm trú") != (u.TicketID != 0) {
			t.Errorf("unanswered %q: ticket %d; only tạm trú has one", u.Query, u.TicketID)
		}
		if u.Query == "tách hộ" && u.QuestionID != lastTachHo.ID {
			t.Errorf("tách hộ names entry %d, want the latest %d", u.QuestionID, lastTachHo.ID)
		}
	}
	if len(a.Complaints) != 1 || a.Complaints[0].QuestionID != flycam.ID || a.Complaints[0].Query != flycam.Query ||
		a.Complaints[0].Comment != "không có gì" || a.Complaints[0].Role != handbook.RolePublic || a.Complaints[0].TicketID != 0 {
		t.Errorf("complaints = %+v, want the public's not-useful verdict on the flycam question", a.Complaints)
	}
	var police handbook.GroupStat
	for _, g := range a.Departments {
		if g.Name == "Công an tỉnh" {
			police = g
		}
	}
	if police.Questions != 3 || police.OpenTickets != 1 || police.Overdue != 1 {
		t.Errorf("Công an tỉnh = %+v, want 3 questions, 1 open ticket overdue", police)
	}
	if a.Tickets.Open != 1 || a.Tickets.Overdue != 1 {
		t.Errorf("tickets = %+v", a.Tickets)
	}
	if _, err := f.h.Analytics(ctx, handbook.MustDate("2026-11-27"), handbook.MustDate("2026-11-25")); handbook.ErrorCode(err) != handbook.Invalid {
		t.Errorf("reversed range: error = %v, want invalid", err)
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		role     handbook.Role
		audience handbook.Audience
		editor   bool
	}{
		{handbook.RolePublic, handbook.AudiencePublic, false},
		{handbook.RoleOfficial, handbook.AudienceInternal, false},
		{handbook.RoleEditor, handbook.AudienceInternal, true},
		{handbook.RoleAdmin, handbook.AudienceInternal, true},
		{"", handbook.AudiencePublic, false},
	}
	for _, tc := range tests {
		if got := tc.role.Audience(); got != tc.audience {
			t.Errorf("Role(%q).Audience() = %q, want %q", tc.role, got, tc.audience)
		}
		if got := tc.role.AtLeast(handbook.RoleEditor); got != tc.editor {
			t.Errorf("Role(%q).AtLeast(editor) = %v, want %v", tc.role, got, tc.editor)
		}
	}
	disabled := &handbook.User{Role: handbook.RoleAdmin, Disabled: true}
	if got := handbook.RoleOf(disabled); got != handbook.RolePublic {
		t.Errorf("RoleOf(disabled admin) = %q, want public", got)
	}
}

// TestPromoteKeepsInternalCitationsInternal: an answer that cites internal
// content becomes an internal FAQ page by default, and cannot be made
// public (the page would show the internal document's name and sources).
func TestPromoteKeepsInternalCitationsInternal(t *testing.T) {
	f := newHotline(t)
	ctx := t.Context()
	files := map[string]string{"technology/mat-mang.md": `---
title: Quy trình nội bộ khi mất mạng
kind: guide
audience: internal
owner: Sở Tư pháp
sources: ["https://noibo.example.gov.vn/mat-mang"]
---

## Mã khẩn cấp

Ghi sổ theo dõi rồi nhập lại khi có mạng.
`}
	f.lib = handbook.NewLibrary(append(f.lib.All(), parseFiles(t, files)...), nil, nil)
	q := &handbook.Question{Query: "mất mạng thì tiếp nhận hồ sơ khai sinh thế nào", Results: []string{"procedures/ho-tich/dang-ky-khai-sinh#card"}}
	f.h.Log(ctx, q)
	tk, err := f.h.OpenTicket(ctx, q.ID, "", f.operator)
	if err != nil {
		t.Fatal(err)
	}
	tk, err = f.h.UpdateTicket(ctx, tk.ID, handbook.TicketUpdate{Answer: "Ghi sổ theo dõi, nhập lại khi có mạng.",
		Citations: []handbook.Reference{{Doc: "technology/mat-mang", Article: "ma-khan-cap"}, {Doc: "luat-ho-tich-2014", Article: "dieu-16"}}}, f.tuphap)
	if err != nil {
		t.Fatal(err)
	}
	_, file, err := f.h.PrepareFAQ(ctx, tk.ID, handbook.PromoteRequest{Title: "Mất mạng thì tiếp nhận hồ sơ khai sinh thế nào?"}, f.editor)
	if err != nil {
		t.Fatal(err)
	}
	doc, _, err := markdown.Parse(file.Path, file.Data)
	if err != nil || doc.Audience != handbook.AudienceInternal {
		t.Errorf("FAQ citing internal content: audience %q, %v; want internal\n%s", doc.Audience, err, file.Data)
	}
	_, _, err = f.h.PrepareFAQ(ctx, tk.ID, handbook.PromoteRequest{Title: "Mất mạng thì tiếp nhận hồ sơ khai sinh thế nào?", Audience: handbook.AudiencePublic}, f.editor)
	if handbook.ErrorCode(err) != handbook.Invalid || !strings.Contains(handbook.ErrorMessage(err), "technology/mat-mang") {
		t.Errorf("public FAQ citing internal content: error = %v, want invalid naming the document", err)
	}
}

func TestFieldOwner(t *testing.T) {
	proc := func(id, title, field, owner string) *handbook.Document {
		return &handbook.Document{ID: id, Title: title, Kind: handbook.KindProcedure, Owner: owner,
			Procedure: &handbook.Procedure{Field: field}}
	}
	lib := handbook.NewLibrary([]*handbook.Document{
		proc("p/a", "A", "Hộ tịch", "Sở Tư pháp"),
		proc("p/b", "B", "Hộ tịch", "Công an tỉnh"),
		proc("p/c", "C", "Hộ tịch", "Công an tỉnh"),
		proc("p/d", "D", "Đất đai", "Sở Nông nghiệp và Môi trường"),
		proc("p/e", "E", "Đất đai", "Sở Xây dựng"),
		proc("p/f", "F", "Cư trú", ""),
	}, nil, nil)
	for field, want := range map[string]string{
		"Hộ tịch": "Công an tỉnh",                 // two against one
		"ho tich": "Công an tỉnh",                 // compared folded
		"Đất đai": "Sở Nông nghiệp và Môi trường", // a tie goes to the first by title
		"Cư trú":  "",                             // nobody named
		"Khác":    "",
	} {
		if got := lib.FieldOwner(field); got != want {
			t.Errorf("FieldOwner(%q) = %q, want %q", field, got, want)
		}
	}
}
