// Package handbooktest holds what every implementation of the handbook
// interfaces must share and fakes for tests: TestStore is the contract of
// handbook.Store (the model is fstest.TestFS), Postgres starts a throwaway
// PostgreSQL for store tests. It imports handbook and the standard library
// (testing) only.
package handbooktest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"sotay/handbook"
)

// TestStore checks the Store contract. open must return an empty store and
// register its own cleanup with t.Cleanup. Times are compared to the
// millisecond, the precision every backend keeps.
func TestStore(t *testing.T, open func(t *testing.T) handbook.Store) {
	t.Run("Users", func(t *testing.T) { testUsers(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t)) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open(t)) })
	t.Run("QuestionLog", func(t *testing.T) { testQuestions(t, open(t)) })
	t.Run("Feedback", func(t *testing.T) { testFeedback(t, open(t)) })
	t.Run("Tickets", func(t *testing.T) { testTickets(t, open(t)) })
	t.Run("TicketVersionConflict", func(t *testing.T) { testTicketConflict(t, open(t)) })
	t.Run("Promotions", func(t *testing.T) { testPromotions(t, open(t)) })
	t.Run("ConcurrentWrites", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("LoginFailures", func(t *testing.T) { testLoginFailures(t, open(t)) })
	t.Run("HonoursCancelledContext", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.UserByName(ctx, "ai"); !errors.Is(err, context.Canceled) {
			t.Errorf("UserByName(cancelled ctx) error = %v, want context.Canceled", err)
		}
		if err := s.LogQuestion(ctx, &handbook.Question{Source: handbook.SourceSearch, Query: "x", Role: handbook.RolePublic}); !errors.Is(err, context.Canceled) {
			t.Errorf("LogQuestion(cancelled ctx) error = %v, want context.Canceled", err)
		}
	})
}

// day is a fixed instant with millisecond precision.
var day = time.Date(2026, 11, 25, 2, 30, 0, 0, time.UTC)

func wantCode(t *testing.T, what string, err error, code handbook.Code) {
	t.Helper()
	if got := handbook.ErrorCode(err); got != code {
		t.Errorf("%s error = %v (code %q), want code %q", what, err, got, code)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// CreateUser stores a user for tests and fails the test on error.
func CreateUser(t *testing.T, s handbook.Store, username string, role handbook.Role, dept string) *handbook.User {
	t.Helper()
	u := &handbook.User{Username: username, Name: "Nguyễn Văn " + username, Role: role, Department: dept, PasswordHash: "$2a$hash-of-" + username}
	must(t, "CreateUser "+username, s.CreateUser(t.Context(), u))
	return u
}

func sameUser(a, b *handbook.User) bool {
	return a.ID == b.ID && a.Username == b.Username && a.Name == b.Name && a.Role == b.Role &&
		a.Department == b.Department && a.PasswordHash == b.PasswordHash && a.Disabled == b.Disabled
}

func testUsers(t *testing.T, s handbook.Store) {
	ctx := t.Context()
	u := &handbook.User{Username: "Lan.Tran", Name: "Trần Thị Lan", Role: handbook.RoleOfficial, Department: "Sở Tư pháp", PasswordHash: "$2a$10$abc"}
	must(t, "CreateUser", s.CreateUser(ctx, u))
	if u.ID == 0 || u.Created.IsZero() {
		t.Fatalf("CreateUser did not set ID/Created: %+v", u)
	}
	want := *u
	want.Username = "lan.tran"
	got, err := s.UserByName(ctx, "LAN.TRAN")
	must(t, "UserByName", err)
	if !sameUser(got, &want) {
		t.Errorf("UserByName = %+v, want %+v", got, want)
	}
	if !got.Created.Equal(u.Created.Truncate(time.Millisecond)) {
		t.Errorf("Created = %v, want %v", got.Created, u.Created)
	}
	byID, err := s.User(ctx, u.ID)
	must(t, "User", err)
	if !sameUser(byID, &want) {
		t.Errorf("User(%d) = %+v, want %+v", u.ID, byID, want)
	}
	dup := &handbook.User{Username: "lan.tran", Role: handbook.RoleEditor}
	wantCode(t, "CreateUser(duplicate)", s.CreateUser(ctx, dup), handbook.Conflict)
	_, err = s.UserByName(ctx, "nobody")
	wantCode(t, "UserByName(unknown)", err, handbook.NotFound)
	_, err = s.User(ctx, 987654)
	wantCode(t, "User(unknown)", err, handbook.NotFound)

	got.Role, got.Name, got.Department, got.PasswordHash, got.Disabled = handbook.RoleEditor, "Trần Lan", "Sở Nội vụ", "$2a$10$new", true
	must(t, "UpdateUser", s.UpdateUser(ctx, got))
	again, err := s.User(ctx, u.ID)
	must(t, "User after update", err)
	if !sameUser(again, got) {
		t.Errorf("after UpdateUser = %+v, want %+v", again, got)
	}
	wantCode(t, "UpdateUser(unknown)", s.UpdateUser(ctx, &handbook.User{ID: 987654, Username: "x", Role: handbook.RoleAdmin}), handbook.NotFound)

	CreateUser(t, s, "an", handbook.RoleAdmin, "")
	all, err := s.Users(ctx)
	must(t, "Users", err)
	var names []string
	for _, u := range all {
		names = append(names, u.Username)
	}
	if want := []string{"an", "lan.tran"}; !slices.Equal(names, want) {
		t.Errorf("Users = %q, want %q", names, want)
	}
}

func testSessions(t *testing.T, s handbook.Store) {
	ctx := t.Context()
	u := CreateUser(t, s, "binh", handbook.RoleOfficial, "Công an tỉnh")
	other := CreateUser(t, s, "cuc", handbook.RoleEditor, "")
	_, hash := handbook.NewSecret()
	now := time.Now()
	sess := &handbook.Session{Hash: hash, UserID: u.ID, Expires: now.Add(time.Hour)}
	must(t, "CreateSession", s.CreateSession(ctx, sess))
	got, gs, err := s.SessionUser(ctx, hash)
	must(t, "SessionUser", err)
	if got.ID != u.ID || got.Username != "binh" || got.Role != handbook.RoleOfficial || gs.UserID != u.ID {
		t.Errorf("SessionUser = %+v %+v, want user %d", got, gs, u.ID)
	}
	if !gs.Expires.Equal(sess.Expires.Truncate(time.Millisecond)) {
		t.Errorf("session expires %v, want %v", gs.Expires, sess.Expires)
	}
	_, _, err = s.SessionUser(ctx, handbook.HashSecret("not a session"))
	wantCode(t, "SessionUser(unknown)", err, handbook.NotFound)

	_, expired := handbook.NewSecret()
	must(t, "CreateSession(expired)", s.CreateSession(ctx, &handbook.Session{Hash: expired, UserID: u.ID, Expires: now.Add(-time.Minute)}))
	_, _, err = s.SessionUser(ctx, expired)
	wantCode(t, "SessionUser(expired)", err, handbook.NotFound)

	_, h2 := handbook.NewSecret()
	_, h3 := handbook.NewSecret()
	must(t, "CreateSession 2", s.CreateSession(ctx, &handbook.Session{Hash: h2, UserID: u.ID, Expires: now.Add(time.Hour)}))
	must(t, "CreateSession 3", s.CreateSession(ctx, &handbook.Session{Hash: h3, UserID: other.ID, Expires: now.Add(time.Hour)}))
	must(t, "DeleteSession", s.DeleteSession(ctx, hash))
	_, _, err = s.SessionUser(ctx, hash)
	wantCode(t, "SessionUser(deleted)", err, handbook.NotFound)
	must(t, "DeleteSession(unknown)", s.DeleteSession(ctx, hash))
	must(t, "DeleteUserSessions", s.DeleteUserSessions(ctx, u.ID))
	_, _, err = s.SessionUser(ctx, h2)
	wantCode(t, "SessionUser(after DeleteUserSessions)", err, handbook.NotFound)
	if _, _, err := s.SessionUser(ctx, h3); err != nil {
		t.Errorf("other user's session was removed: %v", err)
	}

	other.Disabled = true
	must(t, "UpdateUser(disable)", s.UpdateUser(ctx, other))
	_, _, err = s.SessionUser(ctx, h3)
	wantCode(t, "SessionUser(disabled user)", err, handbook.NotFound)
}

func testTokens(t *testing.T, s handbook.Store) {
	ctx := t.Context()
	u := CreateUser(t, s, "dung", handbook.RoleOfficial, "Sở Y tế")
	secret, hash := handbook.NewSecret()
	tok := &handbook.APIToken{UserID: u.ID, Name: "tổng đài 1022", Hash: hash}
	must(t, "CreateToken", s.CreateToken(ctx, tok))
	if tok.ID == 0 || tok.Created.IsZero() {
		t.Fatalf("CreateToken did not set ID/Created: %+v", tok)
	}
	got, err := s.TokenUser(ctx, handbook.HashSecret(secret))
	must(t, "TokenUser", err)
	if got.ID != u.ID {
		t.Errorf("TokenUser = user %d, want %d", got.ID, u.ID)
	}
	_, err = s.TokenUser(ctx, handbook.HashSecret("guess"))
	wantCode(t, "TokenUser(unknown)", err, handbook.NotFound)
	wantCode(t, "CreateToken(unknown user)", s.CreateToken(ctx, &handbook.APIToken{UserID: 987654, Name: "x", Hash: handbook.HashSecret("y")}), handbook.NotFound)
	wantCode(t, "CreateToken(same hash)", s.CreateToken(ctx, &handbook.APIToken{UserID: u.ID, Name: "again", Hash: hash}), handbook.Conflict)

	_, h2 := handbook.NewSecret()
	must(t, "CreateToken 2", s.CreateToken(ctx, &handbook.APIToken{UserID: u.ID, Name: "cổng DVC", Hash: h2}))
	list, err := s.Tokens(ctx, u.ID)
	must(t, "Tokens", err)
	if len(list) != 2 || list[0].Name != "tổng đài 1022" || list[1].Name != "cổng DVC" || list[0].Hash != hash {
		t.Errorf("Tokens = %+v, want the two tokens oldest first", list)
	}
	wantCode(t, "DeleteToken(other user's)", s.DeleteToken(ctx, u.ID+1000, tok.ID), handbook.NotFound)
	must(t, "DeleteToken", s.DeleteToken(ctx, u.ID, tok.ID))
	_, err = s.TokenUser(ctx, hash)
	wantCode(t, "TokenUser(deleted)", err, handbook.NotFound)
	wantCode(t, "DeleteToken(again)", s.DeleteToken(ctx, u.ID, tok.ID), handbook.NotFound)

	u.Disabled = true
	must(t, "UpdateUser(disable)", s.UpdateUser(ctx, u))
	_, err = s.TokenUser(ctx, h2)
	wantCode(t, "TokenUser(disabled user)", err, handbook.NotFound)
}

// LogQuestion stores a question for tests and fails the test on error.
func LogQuestion(t *testing.T, s handbook.Store, q handbook.Question) *handbook.Question {
	t.Helper()
	if q.Source == "" {
		q.Source = handbook.SourceSearch
	}
	if q.Role == "" {
		q.Role = handbook.RolePublic
	}
	must(t, "LogQuestion", s.LogQuestion(t.Context(), &q))
	return &q
}

func testQuestions(t *testing.T, s handbook.Store) {
	ctx := t.Context()
	q1 := LogQuestion(t, s, handbook.Question{Time: day, Source: handbook.SourceAsk, Query: "làm giấy khai sinh cần gì",
		Results: []string{"procedures/ho-tich/dang-ky-khai-sinh#the", "regulations/luat-ho-tich-2014#dieu-16"}, Hits: 7, Answerable: true,
		Latency: 42*time.Millisecond + 300*time.Microsecond, Role: handbook.RoleOfficial, UserID: 12, Field: "Hộ tịch", Department: "Sở Tư pháp"})
	q2 := LogQuestion(t, s, handbook.Question{Time: day.Add(time.Hour), Query: "xin giấy phép bay flycam", Role: handbook.RolePublic})
	LogQuestion(t, s, handbook.Question{Time: day.Add(-time.Hour), Query: "hôm qua"})
	LogQuestion(t, s, handbook.Question{Time: day.Add(24 * time.Hour), Query: "ngày mai"})
	if q1.ID == 0 || q2.ID == 0 || q1.ID == q2.ID {
		t.Fatalf("LogQuestion ids %d, %d", q1.ID, q2.ID)
	}
	got, err := s.Question(ctx, q1.ID)
	must(t, "Question", err)
	if !got.Time.Equal(day) {
		t.Errorf("Question time = %v, want %v", got.Time, day)
	}
	got.Time = q1.Time
	if !reflect.DeepEqual(got, q1) {
		t.Errorf("Question(%d) = %+v, want %+v", q1.ID, got, q1)
	}
	_, err = s.Question(ctx, 987654)
	wantCode(t, "Question(unknown)", err, handbook.NotFound)

	var queries []string
	err = s.Questions(ctx, day, day.Add(24*time.Hour), func(q *handbook.Question) error {
		queries = append(queries, q.Query)
		if q.Query == "xin giấy phép bay flycam" && (len(q.Results) != 0 || q.Hits != 0 || q.Answerable) {
			t.Errorf("empty question read back as %+v", q)
		}
		return nil
	})
	must(t, "Questions", err)
	if want := []string{"làm giấy khai sinh cần gì", "xin giấy phép bay flycam"}; !slices.Equal(queries, want) {
		t.Errorf("Questions[day, day+24h) = %q, want %q", queries, want)
	}
	stop := errors.New("stop")
	n := 0
	err = s.Questions(ctx, day.Add(-48*time.Hour), day.Add(48*time.Hour), func(*handbook.Question) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Questions with failing fn = %v after %d calls, want stop after 1", err, n)
	}
}

func testFeedback(t *testing.T, s handbook.Store) {
	ctx := t.Context()
	q := LogQuestion(t, s, handbook.Question{Time: day, Query: "lệ phí chứng thực"})
	f := &handbook.Feedback{QuestionID: q.ID, Useful: false, Comment: "thiếu mức phí", Role: handbook.RoleOfficial, UserID: 3, Time: day.Add(time.Minute)}
	must(t, "AddFeedback", s.AddFeedback(ctx, f))
	must(t, "AddFeedback 2", s.AddFeedback(ctx, &handbook.Feedback{QuestionID: q.ID, Useful: true, Role: handbook.RolePublic, Time: day.Add(2 * time.Minute)}))
	must(t, "AddFeedback outside", s.AddFeedback(ctx, &handbook.Feedback{QuestionID: q.ID, Useful: true, Role: handbook.RolePublic, Time: day.Add(48 * time.Hour)}))
	if f.ID == 0 {
		t.Errorf("AddFeedback did not set ID")
	}
	wantCode(t, "AddFeedback(unknown question)", s.AddFeedback(ctx, &handbook.Feedback{QuestionID: 987654, Role: handbook.RolePublic}), handbook.NotFound)
	list, err := s.Feedback(ctx, day, day.Add(24*time.Hour))
	must(t, "Feedback", err)
	if len(list) != 2 {
		t.Fatalf("Feedback = %d entries, want 2", len(list))
	}
	got := list[0]
	if got.ID != f.ID || got.QuestionID != q.ID || got.Useful || got.Comment != "thiếu mức phí" || got.Role != handbook.RoleOfficial ||
		got.UserID != 3 || !got.Time.Equal(f.Time) || !list[1].Useful {
		t.Errorf("Feedback = %+v, %+v; want %+v first", got, list[1], f)
	}
}

func newTicket(q *handbook.Question, dept string, due handbook.Date) *handbook.Ticket {
	return &handbook.Ticket{
		QuestionID: q.ID, Question: q.Query, Status: handbook.TicketOpen, Department: dept, Field: "Hộ tịch", Due: due, CreatedBy: 5,
		History: []handbook.TicketEvent{{Time: day, Actor: "lan", Action: "opened", Note: "người dân hỏi qua tổng đài"}, {Time: day, Actor: "lan", Action: "routed", Note: dept}},
	}
}

func testTickets(t *testing.T, s handbook.Store) {
	ctx := t.Context()
	q1 := LogQuestion(t, s, handbook.Question{Time: day, Query: "đăng ký khai sinh cho con ngoài giá thú"})
	q2 := LogQuestion(t, s, handbook.Question{Time: day, Query: "đổi bằng lái xe"})
	q3 := LogQuestion(t, s, handbook.Question{Time: day, Query: "đăng ký tạm trú"})
	t1 := newTicket(q1, "Sở Tư pháp", handbook.MustDate("2026-12-02"))
	must(t, "CreateTicket", s.CreateTicket(ctx, t1))
	if t1.ID == 0 || t1.Version != 1 || t1.Created.IsZero() || t1.Updated.IsZero() {
		t.Fatalf("CreateTicket did not set ID/Version/Created: %+v", t1)
	}
	t2 := newTicket(q2, "Công an tỉnh", handbook.MustDate("2026-11-30"))
	must(t, "CreateTicket 2", s.CreateTicket(ctx, t2))
	t3 := newTicket(q3, "Công an tỉnh", handbook.Date{})
	t3.History = nil
	t3.CreatedBy = 6
	must(t, "CreateTicket 3", s.CreateTicket(ctx, t3))

	got, err := s.Ticket(ctx, t1.ID)
	must(t, "Ticket", err)
	if got.Question != q1.Query || got.Status != handbook.TicketOpen || got.Department != "Sở Tư pháp" || got.Field != "Hộ tịch" ||
		got.Due != t1.Due || got.QuestionID != q1.ID || got.CreatedBy != 5 || got.Version != 1 || got.Citations != nil {
		t.Errorf("Ticket(%d) = %+v, want %+v", t1.ID, got, t1)
	}
	if len(got.History) != 2 || got.History[0].Action != "opened" || got.History[0].Note != "người dân hỏi qua tổng đài" ||
		!got.History[0].Time.Equal(day) || got.History[1].Action != "routed" {
		t.Errorf("Ticket history = %+v", got.History)
	}
	_, err = s.Ticket(ctx, 987654)
	wantCode(t, "Ticket(unknown)", err, handbook.NotFound)

	ids := func(f handbook.TicketFilter) []int64 {
		t.Helper()
		ts, err := s.Tickets(ctx, f)
		must(t, fmt.Sprintf("Tickets(%+v)", f), err)
		var out []int64
		for _, x := range ts {
			if len(x.History) != 0 {
				t.Errorf("Tickets returned history for ticket %d", x.ID)
			}
			out = append(out, x.ID)
		}
		return out
	}
	// Open tickets first, by due date, undated last.
	if got, want := ids(handbook.TicketFilter{}), []int64{t2.ID, t1.ID, t3.ID}; !slices.Equal(got, want) {
		t.Errorf("Tickets() = %v, want %v", got, want)
	}
	if got, want := ids(handbook.TicketFilter{Department: "Công an tỉnh"}), []int64{t2.ID, t3.ID}; !slices.Equal(got, want) {
		t.Errorf("Tickets(department) = %v, want %v", got, want)
	}
	if got, want := ids(handbook.TicketFilter{QuestionID: q1.ID}), []int64{t1.ID}; !slices.Equal(got, want) {
		t.Errorf("Tickets(question) = %v, want %v", got, want)
	}
	if got, want := ids(handbook.TicketFilter{CreatedBy: 5}), []int64{t2.ID, t1.ID}; !slices.Equal(got, want) {
		t.Errorf("Tickets(created by 5) = %v, want %v", got, want)
	}
	if got, want := ids(handbook.TicketFilter{CreatedBy: 6, Department: "Công an tỉnh"}), []int64{t3.ID}; !slices.Equal(got, want) {
		t.Errorf("Tickets(created by 6, department) = %v, want %v", got, want)
	}
	if got, want := ids(handbook.TicketFilter{Limit: 1}), []int64{t2.ID}; !slices.Equal(got, want) {
		t.Errorf("Tickets(limit 1) = %v, want %v", got, want)
	}

	// Answer ticket 2: it moves behind the open ones.
	got2, err := s.Ticket(ctx, t2.ID)
	must(t, "Ticket 2", err)
	got2.Status, got2.Answer, got2.AnsweredBy = handbook.TicketAnswered, "Đổi tại Phòng CSGT hoặc trực tuyến.", "Công an tỉnh"
	got2.Citations = []handbook.Reference{{Doc: "regulations/nd-168-2025", Article: "dieu-5", Note: "đổi giấy phép"}}
	got2.AssigneeID, got2.Assignee = 9, "Lê Văn Minh"
	got2.Due = handbook.MustDate("2026-12-10")
	must(t, "UpdateTicket", s.UpdateTicket(ctx, got2, handbook.TicketEvent{Time: day.Add(time.Hour), Actor: "minh", Action: "answered"}))
	if got2.Version != 2 {
		t.Errorf("UpdateTicket left version %d, want 2", got2.Version)
	}
	again, err := s.Ticket(ctx, t2.ID)
	must(t, "Ticket after update", err)
	if again.Status != handbook.TicketAnswered || again.Answer != got2.Answer || again.AnsweredBy != "Công an tỉnh" || again.Version != 2 ||
		!reflect.DeepEqual(again.Citations, got2.Citations) || again.AssigneeID != 9 || again.Assignee != "Lê Văn Minh" || again.Due != got2.Due {
		t.Errorf("after UpdateTicket = %+v, want %+v", again, got2)
	}
	if n := len(again.History); n != 3 || again.History[2].Action != "answered" || again.History[2].Actor != "minh" {
		t.Errorf("history after update = %+v, want answered appended", again.History)
	}
	if got, want := ids(handbook.TicketFilter{}), []int64{t1.ID, t3.ID, t2.ID}; !slices.Equal(got, want) {
		t.Errorf("Tickets() after answer = %v, want %v", got, want)
	}
	if got, want := ids(handbook.TicketFilter{Status: []handbook.TicketStatus{handbook.TicketAnswered, handbook.TicketPromoted}}), []int64{t2.ID}; !slices.Equal(got, want) {
		t.Errorf("Tickets(answered) = %v, want %v", got, want)
	}
	if got, want := ids(handbook.TicketFilter{AssigneeID: 9}), []int64{t2.ID}; !slices.Equal(got, want) {
		t.Errorf("Tickets(assignee) = %v, want %v", got, want)
	}
	missing := &handbook.Ticket{ID: 987654, Version: 1, Status: handbook.TicketOpen}
	wantCode(t, "UpdateTicket(unknown)", s.UpdateTicket(ctx, missing, handbook.TicketEvent{Action: "x"}), handbook.NotFound)
}

func testTicketConflict(t *testing.T, s handbook.Store) {
	ctx := t.Context()
	q := LogQuestion(t, s, handbook.Question{Time: day, Query: "trợ cấp xã hội"})
	tk := newTicket(q, "Sở Y tế", handbook.MustDate("2026-12-02"))
	must(t, "CreateTicket", s.CreateTicket(ctx, tk))
	a, err := s.Ticket(ctx, tk.ID)
	must(t, "Ticket a", err)
	b, err := s.Ticket(ctx, tk.ID)
	must(t, "Ticket b", err)
	a.Note = "first"
	must(t, "UpdateTicket a", s.UpdateTicket(ctx, a, handbook.TicketEvent{Actor: "a", Action: "commented"}))
	b.Note = "second"
	wantCode(t, "UpdateTicket(stale)", s.UpdateTicket(ctx, b, handbook.TicketEvent{Actor: "b", Action: "commented"}), handbook.Conflict)
	got, err := s.Ticket(ctx, tk.ID)
	must(t, "Ticket", err)
	if got.Note != "first" || len(got.History) != 3 {
		t.Errorf("after a conflict: note %q, %d events; want the first write only", got.Note, len(got.History))
	}
}

func testPromotions(t *testing.T, s handbook.Store) {
	ctx := t.Context()
	p := &handbook.Promotion{TicketID: 4, DocID: "faq/ho-tich/khai-sinh-qua-han", EditorID: 2, Reviewer: "Phòng HCTP",
		Reviewed: handbook.MustDate("2026-11-25"), Expires: handbook.MustDate("2027-11-25")}
	must(t, "AddPromotion", s.AddPromotion(ctx, p))
	if p.ID == 0 || p.Created.IsZero() {
		t.Errorf("AddPromotion did not set ID/Created")
	}
	must(t, "AddPromotion 2", s.AddPromotion(ctx, &handbook.Promotion{TicketID: 5, DocID: "faq/chung/x"}))
	list, err := s.Promotions(ctx)
	must(t, "Promotions", err)
	if len(list) != 2 {
		t.Fatalf("Promotions = %d, want 2", len(list))
	}
	got := list[0]
	if got.ID != p.ID || got.TicketID != 4 || got.DocID != p.DocID || got.EditorID != 2 || got.Reviewer != p.Reviewer ||
		got.Reviewed != p.Reviewed || got.Expires != p.Expires {
		t.Errorf("Promotions[0] = %+v, want %+v", got, p)
	}
	if list[1].Reviewed.IsSet() || list[1].Expires.IsSet() {
		t.Errorf("unset dates read back as %+v", list[1])
	}
}

// testConcurrent logs from many goroutines at once, as a busy search page
// does: no write may fail with "database is locked" or similar.
func testConcurrent(t *testing.T, s handbook.Store) {
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			q := &handbook.Question{Time: day, Source: handbook.SourceSearch, Query: fmt.Sprintf("câu hỏi %d", i), Role: handbook.RolePublic}
			if err := s.LogQuestion(t.Context(), q); err != nil {
				errs <- err
				return
			}
			if err := s.AddFeedback(t.Context(), &handbook.Feedback{QuestionID: q.ID, Useful: i%2 == 0, Role: handbook.RolePublic, Time: day}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	count := 0
	must(t, "Questions", s.Questions(t.Context(), day, day.Add(time.Second), func(*handbook.Question) error { count++; return nil }))
	if count != n {
		t.Errorf("Questions after %d concurrent writes = %d", n, count)
	}
}

func testLoginFailures(t *testing.T, s handbook.Store) {
	ctx := t.Context()
	const window = 15 * time.Minute
	add := func(key string, at time.Time) int {
		t.Helper()
		n, err := s.AddLoginFailure(ctx, key, at, window)
		must(t, "AddLoginFailure", err)
		return n
	}
	if n, last, err := s.LoginFailures(ctx, "a"); err != nil || n != 0 || !last.IsZero() {
		t.Errorf("LoginFailures(unknown) = %d, %v, %v; want 0, zero time, nil", n, last, err)
	}
	var counts []int
	for i := range 4 {
		counts = append(counts, add("a", day.Add(time.Duration(i)*10*time.Minute))) // each within the window of the last
	}
	if want := []int{1, 2, 3, 4}; !slices.Equal(counts, want) {
		t.Errorf("counts = %v, want %v", counts, want)
	}
	n, last, err := s.LoginFailures(ctx, "a")
	if err != nil || n != 4 || !last.Equal(day.Add(30*time.Minute)) {
		t.Errorf("LoginFailures(a) = %d, %v, %v; want 4 at %v", n, last, err, day.Add(30*time.Minute))
	}
	add("b", day.Add(30*time.Minute))
	// A failure a window after the last one starts again, and drops the
	// counts whose last failure is that old.
	if n := add("a", day.Add(45*time.Minute)); n != 1 {
		t.Errorf("count after a quiet window = %d, want 1", n)
	}
	if n, _, _ := s.LoginFailures(ctx, "b"); n != 0 {
		t.Errorf("LoginFailures(b) after its window = %d, want 0 (dropped)", n)
	}
	add("c", day.Add(46*time.Minute))
	must(t, "ClearLoginFailures", s.ClearLoginFailures(ctx, "a"))
	must(t, "ClearLoginFailures(unknown)", s.ClearLoginFailures(ctx, "zzz"))
	if n, _, _ := s.LoginFailures(ctx, "a"); n != 0 {
		t.Errorf("LoginFailures(a) after clearing = %d, want 0", n)
	}
	if n, _, _ := s.LoginFailures(ctx, "c"); n != 1 {
		t.Errorf("clearing a dropped c: LoginFailures(c) = %d, want 1", n)
	}
}
