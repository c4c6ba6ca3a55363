package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// The hotline loop (issue 9): sign-in, tickets, FAQ promotion, analytics
// and feedback. Pages:
//
//	GET  /login, POST /login, POST /logout
//	GET  /tickets[?status=&q=]      the caller's tickets; a form to send a question
//	POST /tickets                   open a ticket (question_id, or q: the question text)
//	GET  /tickets/{id}, POST /tickets/{id}          read, answer, take, route, close
//	POST /tickets/{id}/promote      editor: write the FAQ page
//	GET  /analytics[?from=&to=], GET /analytics.csv
//	POST /feedback, GET /feedback   the "was this useful?" form under searches and answers, and its thanks
//
// JSON under /api/v1 (bearer token or session; errors as everywhere):
//
//	GET  /api/v1/me
//	POST /api/v1/feedback           {"question_id"|"query","useful","comment"}
//	GET  /api/v1/tickets[?status=], POST /api/v1/tickets {"question_id"|"question","note"}
//	GET  /api/v1/tickets/{id}, POST|PATCH /api/v1/tickets/{id} {"version","answer","citations","department","assignee","due","close","note"}
//	POST /api/v1/tickets/{id}/promote {"title","answer","slug","reviewer","expires","audience","sources"}
//	GET  /api/v1/analytics[?from=&to=]

// routesHotline registers the routes above and builds what they share.
func (s *Server) routesHotline() {
	s.limiter = newLoginLimiter(s.opt.Now, s.opt.Store)
	if s.opt.Sleep == nil {
		s.opt.Sleep = sleep
	}
	if s.opt.Store != nil {
		s.hotline = &handbook.Hotline{Store: s.opt.Store, Library: s.library, Now: s.opt.Now, Departments: s.opt.Departments}
	}
	s.qlog = newQuestionLog(s)
	if ls, ok := s.opt.Store.(interface {
		SetLostQuestion(func(handbook.Question, error))
	}); ok {
		// A store that writes its log behind (SQLite) hands back the
		// entries it could not write after answering: they are spooled
		// like those it refused at once.
		ls.SetLostQuestion(s.qlog.spoolEntry)
	}
	e := s.echo
	e.GET("/login", s.pageLogin)
	e.POST("/login", s.pageLogin)
	e.POST("/logout", s.postLogout)
	e.GET("/tickets", s.pageTickets)
	e.POST("/tickets", s.postTickets)
	e.GET("/tickets/:id", s.pageTicket)
	e.POST("/tickets/:id", s.postTicket)
	e.POST("/tickets/:id/promote", s.postPromote)
	e.GET("/analytics", s.pageAnalytics)
	e.GET("/analytics.csv", s.analyticsCSV)
	e.GET("/feedback", s.pageFeedback)
	e.POST("/feedback", s.postFeedback)
	v1 := e.Group("/api/v1")
	v1.GET("/me", s.apiMe)
	v1.POST("/feedback", s.apiFeedback)
	v1.GET("/tickets", s.apiTickets)
	v1.POST("/tickets", s.apiOpenTicket)
	v1.GET("/tickets/:id", s.apiTicket)
	v1.POST("/tickets/:id", s.apiUpdateTicket)
	v1.PATCH("/tickets/:id", s.apiUpdateTicket)
	v1.POST("/tickets/:id/promote", s.apiPromote)
	v1.GET("/analytics", s.apiAnalytics)
}

// needHotline fails when the server runs without a store.
func (s *Server) needHotline() error {
	if s.hotline == nil {
		return handbook.Errorf(handbook.Unavailable, "Máy chủ chưa cấu hình cơ sở dữ liệu cho tài khoản và phiếu hỏi.", "no store configured")
	}
	return nil
}

// signInFirst turns Unauthorized on a page into a redirect to the login
// form that comes back here.
func signInFirst(c echo.Context, err error) error {
	if handbook.ErrorCode(err) == handbook.Unauthorized && c.Request().Method == http.MethodGet {
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
	}
	return err
}

// account is what every hotline page shows about the caller.
type account struct {
	CSRF string
	User *handbook.User
	// RoleLabel is the caller's role in Vietnamese.
	RoleLabel string
	Editor    bool
}

func (s *Server) account(c echo.Context) account {
	u := callerUser(c)
	return account{CSRF: s.csrfToken(c), User: u, RoleLabel: handbook.RoleOf(u).Label(), Editor: handbook.RoleOf(u).AtLeast(handbook.RoleEditor)}
}

// Sign-in.

type loginPage struct {
	base
	account
	Username, Next, Error string
}

func (s *Server) pageLogin(c echo.Context) error {
	data := loginPage{base: base{Title: "Đăng nhập", Nav: "login"}, Next: localPath(c.FormValue("next"))}
	if err := s.needHotline(); err != nil {
		return err
	}
	if c.Request().Method != http.MethodPost {
		data.account = s.account(c)
		return s.page(c, http.StatusOK, "login", data)
	}
	data.Username = strings.TrimSpace(c.FormValue("username"))
	password := c.FormValue("password")
	ip := s.clientIP(c.Request())
	ctx := c.Request().Context()
	wait, locked, err := s.limiter.delay(ctx, ip, data.Username)
	if err != nil {
		return err
	}
	if locked > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(locked.Seconds())+1))
		data.account = s.account(c)
		data.Error = fmt.Sprintf("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %d phút.", int(locked.Minutes())+1)
		return s.page(c, http.StatusTooManyRequests, "login", data)
	}
	// Wait before checking, so that a guesser pays the delay on every try.
	if err := s.opt.Sleep(ctx, wait); err != nil {
		return err
	}
	u, err := s.opt.Store.UserByName(ctx, data.Username)
	if err != nil && handbook.ErrorCode(err) != handbook.NotFound {
		return err
	}
	if u != nil && u.Disabled {
		u = nil
	}
	if !checkPassword(u, password) {
		if err := s.limiter.fail(ctx, ip, data.Username); err != nil {
			return err
		}
		s.log.Info("login failed", "err", errBadLogin, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		data.account = s.account(c)
		data.Error = "Tên đăng nhập hoặc mật khẩu không đúng."
		return s.page(c, http.StatusUnauthorized, "login", data)
	}
	if err := s.limiter.succeed(ctx, ip, data.Username); err != nil {
		s.log.Warn("clear login failures", "err", err)
	}
	if err := s.signIn(c, u); err != nil {
		return err
	}
	s.log.Info("login", "user_id", u.ID, "role", u.Role)
	next := data.Next
	if next == "" {
		next = "/"
		if handbook.RoleOf(u).AtLeast(handbook.RoleOfficial) {
			next = "/tickets"
		}
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) postLogout(c echo.Context) error {
	if err := s.signOut(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// Tickets.

type ticketRow struct {
	ID                     int64
	URL, Question, Status  string
	StatusKey              handbook.TicketStatus
	Department, Field, Due string
	Assignee               string
	Overdue                bool
}

type ticketsPage struct {
	base
	account
	Tickets []ticketRow
	Status  string
	// Question prefills the form that sends a new question.
	Question string
	Note     string
	Error    string
}

func (s *Server) ticketRows(ts []*handbook.Ticket) []ticketRow {
	today := handbook.Today(s.opt.Now())
	rows := make([]ticketRow, 0, len(ts))
	for _, t := range ts {
		rows = append(rows, ticketRow{
			ID: t.ID, URL: "/tickets/" + strconv.FormatInt(t.ID, 10), Question: clip(t.Question, 160),
			Status: t.Status.Label(), StatusKey: t.Status, Department: orDash(t.Department), Field: t.Field,
			Due: t.Due.Vietnamese(), Assignee: t.Assignee, Overdue: t.Overdue(today),
		})
	}
	return rows
}

func orDash(s string) string {
	if s == "" {
		return "Chưa xác định"
	}
	return s
}

func parseStatuses(v string) ([]handbook.TicketStatus, error) {
	var out []handbook.TicketStatus
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		st := handbook.TicketStatus(p)
		if !slices.Contains(handbook.TicketStatuses, st) {
			return nil, handbook.Errorf(handbook.Invalid, "Trạng thái phải là open, answered, promoted hoặc closed.", "bad status %q", p)
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *Server) pageTickets(c echo.Context) error {
	if err := s.needHotline(); err != nil {
		return err
	}
	u, err := requireRole(c, handbook.RoleOfficial)
	if err != nil {
		return signInFirst(c, err)
	}
	data := ticketsPage{base: base{Title: "Phiếu hỏi", Nav: "tickets"}, account: s.account(c),
		Status: c.QueryParam("status"), Question: strings.TrimSpace(c.QueryParam("q"))}
	sts, err := parseStatuses(data.Status)
	if err != nil {
		return err
	}
	ts, err := s.hotline.Tickets(c.Request().Context(), handbook.TicketFilter{Status: sts}, u)
	if err != nil {
		return err
	}
	data.Tickets = s.ticketRows(ts)
	return s.page(c, http.StatusOK, "tickets", data)
}

// openTicket opens a ticket for a logged question, or for a question typed
// into the form: that one is searched first (as the caller), so that it is
// routed by its results, and logged as source "ticket".
func (s *Server) openTicket(c echo.Context, questionID int64, question, note string) (*handbook.Ticket, error) {
	if err := s.needHotline(); err != nil {
		return nil, err
	}
	u, err := requireRole(c, handbook.RoleOfficial)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	if questionID == 0 {
		question = handbook.NormalizeLine(question)
		if question == "" {
			return nil, handbook.Errorf(handbook.Invalid, "Vui lòng nhập câu hỏi cần chuyển.", "empty question")
		}
		if len([]rune(question)) > handbook.MaxQuestionLength {
			return nil, handbook.Errorf(handbook.Invalid, "Câu hỏi quá dài (tối đa 2000 ký tự).", "question too long")
		}
		q := handbook.Question{Source: handbook.SourceTicket, Query: question, Role: u.Role, UserID: u.ID}
		if s.opt.Retriever != nil && s.opt.Ready() {
			req := handbook.SearchRequest{Query: question, Limit: 5,
				Filter: handbook.Filter{Audience: callerAudience(c), At: handbook.Today(s.opt.Now())}}
			if res, err := s.opt.Retriever.Search(ctx, req); err == nil {
				q.Hits, q.Answerable, q.Latency = len(res.Hits), res.Answerable, res.Took
				for _, h := range res.Hits {
					q.Results = append(q.Results, h.DocID+"#"+h.Anchor)
				}
			}
		}
		if err := s.hotline.Log(ctx, &q); err != nil {
			return nil, err
		}
		questionID = q.ID
	}
	return s.hotline.OpenTicket(ctx, questionID, note, u)
}

func (s *Server) postTickets(c echo.Context) error {
	qid, _ := strconv.ParseInt(c.FormValue("question_id"), 10, 64)
	if qid == 0 && s.hotline != nil && c.FormValue("q") != "" {
		// Sent from results the page fetched as the user typed: the
		// search is in the log (or about to be), not to be logged twice.
		qid = s.qlog.commit(s.clientKey(c), c.FormValue("q"))
	}
	t, err := s.openTicket(c, qid, c.FormValue("q"), c.FormValue("note"))
	if err != nil {
		if code := handbook.ErrorCode(err); code == handbook.Invalid || code == handbook.NotFound {
			data := ticketsPage{base: base{Title: "Phiếu hỏi", Nav: "tickets"}, account: s.account(c),
				Question: c.FormValue("q"), Note: c.FormValue("note"), Error: handbook.ErrorMessage(err)}
			if ts, lerr := s.hotline.Tickets(c.Request().Context(), handbook.TicketFilter{}, callerUser(c)); lerr == nil {
				data.Tickets = s.ticketRows(ts)
			}
			return s.page(c, statusOf(err), "tickets", data)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/tickets/"+strconv.FormatInt(t.ID, 10))
}

type eventView struct {
	Time, Actor, Action, Note string
}

type citeView struct {
	Label, URL string
}

type ticketPage struct {
	base
	account
	T          *handbook.Ticket
	Status     string
	Due        string
	Created    string
	Overdue    bool
	CanAnswer  bool
	CanPromote bool
	Events     []eventView
	Citations  []citeView
	// CitationText is the answer form's citation field: one "doc#anchor"
	// per line.
	CitationText string
	Departments  []string
	Assignees    []*handbook.User // editors: who may be given the ticket
	FAQURL       string
	Error        string
	Notice       string
	// Promote form defaults.
	PromoteTitle, PromoteExpires, PromoteReviewer string
	Promotable                                    bool
}

var eventLabels = map[string]string{
	"opened": "Mở phiếu", "routed": "Chuyển đến", "assigned": "Giao cho", "answered": "Trả lời",
	"due": "Đổi hạn trả lời", "closed": "Đóng phiếu", "commented": "Ghi chú", "promoted": "Đưa vào hỏi đáp",
}

func ticketID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, handbook.Errorf(handbook.NotFound, "Không tìm thấy phiếu hỏi.", "bad ticket id %q", c.Param("id"))
	}
	return id, nil
}

func (s *Server) pageTicket(c echo.Context) error {
	if err := s.needHotline(); err != nil {
		return err
	}
	u, err := requireRole(c, handbook.RoleOfficial)
	if err != nil {
		return signInFirst(c, err)
	}
	id, err := ticketID(c)
	if err != nil {
		return err
	}
	t, err := s.hotline.Ticket(c.Request().Context(), id, u)
	if err != nil {
		return err
	}
	data := s.ticketView(c, t)
	switch c.QueryParam("done") {
	case "promoted":
		data.Notice = "Đã đưa câu trả lời vào mục hỏi đáp. Trang mới sẽ tìm thấy được sau vài giây."
	case "saved":
		data.Notice = "Đã lưu."
	}
	return s.page(c, http.StatusOK, "ticket", data)
}

func (s *Server) ticketView(c echo.Context, t *handbook.Ticket) ticketPage {
	u := callerUser(c)
	today := handbook.Today(s.opt.Now())
	data := ticketPage{
		base: base{Title: fmt.Sprintf("Phiếu hỏi số %d", t.ID), Nav: "tickets"}, account: s.account(c), T: t,
		Status: t.Status.Label(), Due: t.Due.Vietnamese(), Created: t.Created.In(handbook.Vietnam).Format("15:04 02/01/2006"),
		Overdue: t.Overdue(today), CanAnswer: handbook.CanAnswer(u, t) && (t.Status == handbook.TicketOpen || t.Status == handbook.TicketAnswered),
		CanPromote:     handbook.RoleOf(u).AtLeast(handbook.RoleEditor),
		Promotable:     t.Status == handbook.TicketAnswered,
		PromoteTitle:   t.Question,
		PromoteExpires: handbook.Date{Time: today.AddDate(1, 0, 0)}.String(),
	}
	if u != nil {
		data.PromoteReviewer = u.DisplayName()
		if u.Department != "" {
			data.PromoteReviewer += ", " + u.Department
		}
	}
	if t.FAQ != "" {
		data.FAQURL = docURL(t.FAQ, "")
	}
	for _, e := range t.History {
		label := eventLabels[e.Action]
		if label == "" {
			label = e.Action
		}
		data.Events = append(data.Events, eventView{Time: e.Time.In(handbook.Vietnam).Format("15:04 02/01/2006"), Actor: e.Actor, Action: label, Note: e.Note})
	}
	lib := s.library()
	var lines []string
	for _, r := range t.Citations {
		label := r.Doc
		if d, ok := lib.Doc(r.Doc); ok {
			label = handbook.CitationLabel(d, r.Article)
		}
		data.Citations = append(data.Citations, citeView{Label: label, URL: docURL(r.Doc, r.Article)})
		line := r.Doc
		if r.Article != "" {
			line += "#" + r.Article
		}
		lines = append(lines, line)
	}
	data.CitationText = strings.Join(lines, "\n")
	data.Departments = s.departments()
	if data.CanPromote {
		data.Assignees = s.assignees(c, t)
	}
	return data
}

// departments lists the owners named in the content, in Vietnamese order.
func (s *Server) departments() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range s.library().All() {
		if d.Owner != "" && !seen[d.Owner] {
			seen[d.Owner] = true
			out = append(out, d.Owner)
		}
	}
	col := collate.New(language.Vietnamese)
	slices.SortFunc(out, col.CompareString)
	return out
}

// parseCitations reads "doc#anchor [note]" lines.
func parseCitations(text string) []handbook.Reference {
	var out []handbook.Reference
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		doc, anchor, _ := strings.Cut(strings.TrimPrefix(f[0], "/docs/"), "#")
		out = append(out, handbook.Reference{Doc: doc, Article: anchor, Note: strings.Join(f[1:], " ")})
	}
	return out
}

func (s *Server) postTicket(c echo.Context) error {
	if err := s.needHotline(); err != nil {
		return err
	}
	u, err := requireRole(c, handbook.RoleOfficial)
	if err != nil {
		return err
	}
	id, err := ticketID(c)
	if err != nil {
		return err
	}
	up := handbook.TicketUpdate{Note: c.FormValue("note")}
	up.Version, _ = strconv.Atoi(c.FormValue("version"))
	switch c.FormValue("action") {
	case "answer":
		up.Answer, up.Citations = c.FormValue("answer"), parseCitations(c.FormValue("citations"))
		if strings.TrimSpace(up.Answer) == "" {
			err = handbook.Errorf(handbook.Invalid, "Vui lòng nhập câu trả lời.", "empty answer")
		}
	case "take":
		up.Assignee = u
	case "route":
		up.Department = c.FormValue("department")
		if d := c.FormValue("due"); d != "" {
			if up.Due, err = handbook.ParseDate(d); err != nil {
				err = handbook.Errorf(handbook.Invalid, "Hạn trả lời phải có dạng YYYY-MM-DD.", "bad due %q", d)
			}
		}
		if name := strings.TrimSpace(c.FormValue("assignee")); name != "" && err == nil {
			up.Assignee, err = s.assignee(c, name)
		}
	case "close":
		up.Close = true
	case "note":
		if strings.TrimSpace(up.Note) == "" {
			err = handbook.Errorf(handbook.Invalid, "Vui lòng nhập ghi chú.", "empty note")
		}
	default:
		err = handbook.Errorf(handbook.Invalid, "Thao tác không hợp lệ.", "bad action %q", c.FormValue("action"))
	}
	if err == nil {
		_, err = s.hotline.UpdateTicket(c.Request().Context(), id, up, u)
	}
	if err != nil {
		return s.ticketFormError(c, id, err, func(d *ticketPage) {
			if c.FormValue("action") == "answer" {
				d.T.Answer, d.CitationText = c.FormValue("answer"), c.FormValue("citations")
			}
		})
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/tickets/%d?done=saved", id))
}

// ticketFormError shows the ticket page again with the error above the
// forms and what the user typed; errors that are not the user's go to the
// error page.
func (s *Server) ticketFormError(c echo.Context, id int64, err error, keep func(*ticketPage)) error {
	code := handbook.ErrorCode(err)
	if code != handbook.Invalid && code != handbook.Conflict && code != handbook.Forbidden {
		return err
	}
	t, terr := s.hotline.Ticket(c.Request().Context(), id, callerUser(c))
	if terr != nil {
		return err
	}
	data := s.ticketView(c, t)
	data.Error = handbook.ErrorMessage(err)
	if keep != nil {
		keep(&data)
	}
	return s.page(c, statusOf(err), "ticket", data)
}

// assignee looks up the account a ticket is given to.
func (s *Server) assignee(c echo.Context, username string) (*handbook.User, error) {
	a, err := s.opt.Store.UserByName(c.Request().Context(), username)
	if err != nil {
		if handbook.ErrorCode(err) == handbook.NotFound {
			return nil, handbook.Errorf(handbook.Invalid, "Không có tài khoản "+clip(username, 64)+".", "unknown assignee %q", username)
		}
		return nil, err
	}
	if a.Disabled {
		return nil, handbook.Errorf(handbook.Invalid, "Tài khoản "+a.Username+" đã bị khóa.", "disabled assignee %q", username)
	}
	return a, nil
}

// assignees lists the active accounts that may answer t, for the editor's
// "assign to" field.
func (s *Server) assignees(c echo.Context, t *handbook.Ticket) []*handbook.User {
	us, err := s.opt.Store.Users(c.Request().Context())
	if err != nil {
		s.log.Warn("list users for assignment", "err", err)
		return nil
	}
	var out []*handbook.User
	for _, u := range us {
		if !u.Disabled && u.Role == handbook.RoleOfficial && handbook.CanAnswer(u, t) {
			out = append(out, u)
		}
	}
	return out
}

// promoteRequest reads the promotion form or JSON body.
type promoteJSON struct {
	Title    string   `json:"title"`
	Answer   string   `json:"answer"`
	Slug     string   `json:"slug"`
	Reviewer string   `json:"reviewer"`
	Expires  string   `json:"expires"`
	Audience string   `json:"audience"`
	Sources  []string `json:"sources"`
}

func (p promoteJSON) request() (handbook.PromoteRequest, error) {
	req := handbook.PromoteRequest{Title: p.Title, Answer: p.Answer, Slug: p.Slug, Reviewer: p.Reviewer,
		Audience: handbook.Audience(p.Audience), Sources: p.Sources}
	if p.Expires != "" {
		d, err := handbook.ParseDate(p.Expires)
		if err != nil {
			return req, handbook.Errorf(handbook.Invalid, "Ngày hết hạn phải có dạng YYYY-MM-DD.", "bad expires %q", p.Expires)
		}
		req.Expires = d
	}
	return req, nil
}

// promote writes the FAQ page of ticket id through Options.Promote and
// marks the ticket promoted. It returns the new page's id.
func (s *Server) promote(c echo.Context, id int64, p promoteJSON) (string, error) {
	if err := s.needHotline(); err != nil {
		return "", err
	}
	u, err := requireRole(c, handbook.RoleEditor)
	if err != nil {
		return "", err
	}
	if s.opt.Promote == nil {
		return "", handbook.Errorf(handbook.Conflict,
			"Máy chủ đang dùng nội dung đóng gói sẵn trong chương trình nên không thể ghi trang hỏi đáp mới. Hãy chạy máy chủ với --content <thư mục nội dung> (HANDBOOK_CONTENT) để bật chức năng này.",
			"promote with embedded content")
	}
	req, err := p.request()
	if err != nil {
		return "", err
	}
	ctx := c.Request().Context()
	t, file, err := s.hotline.PrepareFAQ(ctx, id, req, u)
	if err != nil {
		return "", err
	}
	if err := s.opt.Promote(ctx, file.Path, file.Data); err != nil {
		return "", err
	}
	if err := s.hotline.Promoted(ctx, t, file, u); err != nil {
		return "", err
	}
	s.log.Info("faq promoted", "ticket", id, "doc", file.DocID, "user_id", u.ID)
	return file.DocID, nil
}

func (s *Server) postPromote(c echo.Context) error {
	id, err := ticketID(c)
	if err != nil {
		return err
	}
	p := promoteJSON{Title: c.FormValue("title"), Answer: c.FormValue("answer"), Slug: c.FormValue("slug"),
		Reviewer: c.FormValue("reviewer"), Expires: c.FormValue("expires"), Audience: c.FormValue("audience"),
		Sources: strings.Fields(c.FormValue("sources"))}
	if _, err := s.promote(c, id, p); err != nil {
		return s.ticketFormError(c, id, err, func(d *ticketPage) {
			d.PromoteTitle, d.PromoteExpires, d.PromoteReviewer = p.Title, p.Expires, p.Reviewer
		})
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/tickets/%d?done=promoted", id))
}

// Analytics.

type analyticsPage struct {
	base
	account
	A         *handbook.Analytics
	From, To  string // YYYY-MM-DD, To inclusive as the form shows it
	ZeroRate  string
	Unanswer  string
	Median    string
	P95       string
	Days      []dayView
	Review    []docItem
	CSVURL    string
	MaxPerDay int
	// Unanswered and Complaints are what the handbook could not answer,
	// each with a button that opens a ticket (or the ticket opened).
	Unanswered []unansweredView
	Complaints []complaintView
}

type ticketCell struct {
	CSRF                 string
	QuestionID, TicketID int64
}

type unansweredView struct {
	Query string
	Count int
	Cell  ticketCell
}

type complaintView struct {
	Time, Query, Comment, Role string
	Cell                       ticketCell
}

type dayView struct {
	Day                                  string
	Questions, ZeroResults, Unanswerable int
	Median                               string
}

// analyticsRange reads ?from=&to= (inclusive days, default the last 30).
func (s *Server) analyticsRange(c echo.Context) (from, to handbook.Date, err error) {
	today := handbook.Today(s.opt.Now())
	to = today
	from = handbook.Date{Time: today.AddDate(0, 0, -29)}
	if v := c.QueryParam("from"); v != "" {
		if from, err = handbook.ParseDate(v); err != nil {
			return from, to, handbook.Errorf(handbook.Invalid, "Ngày bắt đầu phải có dạng YYYY-MM-DD.", "bad from %q", v)
		}
	}
	if v := c.QueryParam("to"); v != "" {
		if to, err = handbook.ParseDate(v); err != nil {
			return from, to, handbook.Errorf(handbook.Invalid, "Ngày kết thúc phải có dạng YYYY-MM-DD.", "bad to %q", v)
		}
	}
	return from, to, nil
}

func (s *Server) analytics(c echo.Context) (*handbook.Analytics, error) {
	if err := s.needHotline(); err != nil {
		return nil, err
	}
	if _, err := requireRole(c, handbook.RoleOfficial); err != nil {
		return nil, err
	}
	from, to, err := s.analyticsRange(c)
	if err != nil {
		return nil, err
	}
	return s.hotline.Analytics(c.Request().Context(), from, handbook.Date{Time: to.AddDate(0, 0, 1)})
}

func percent(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 0, 64) + " ms"
}

func (s *Server) pageAnalytics(c echo.Context) error {
	a, err := s.analytics(c)
	if err != nil {
		return signInFirst(c, err)
	}
	to := handbook.Date{Time: a.To.AddDate(0, 0, -1)}
	data := analyticsPage{base: base{Title: "Thống kê câu hỏi", Nav: "analytics"}, account: s.account(c), A: a,
		From: a.From.String(), To: to.String(), ZeroRate: percent(a.ZeroRate), Unanswer: percent(a.UnanswerableRate),
		Median: ms(a.MedianLatency), P95: ms(a.P95Latency),
		CSVURL: "/analytics.csv?from=" + a.From.String() + "&to=" + to.String()}
	for i := len(a.Days) - 1; i >= 0; i-- { // newest first
		d := a.Days[i]
		data.Days = append(data.Days, dayView{Day: d.Day.Vietnamese(), Questions: d.Questions, ZeroResults: d.ZeroResults,
			Unanswerable: d.Unanswerable, Median: ms(d.MedianLatency)})
	}
	for _, q := range a.Unanswered {
		data.Unanswered = append(data.Unanswered, unansweredView{Query: q.Query, Count: q.Unanswerable,
			Cell: ticketCell{CSRF: data.CSRF, QuestionID: q.QuestionID, TicketID: q.TicketID}})
	}
	for _, f := range a.Complaints {
		data.Complaints = append(data.Complaints, complaintView{Time: f.Time.In(handbook.Vietnam).Format("15:04 02/01/2006"),
			Query: f.Query, Comment: f.Comment, Role: f.Role.Label(),
			Cell: ticketCell{CSRF: data.CSRF, QuestionID: f.QuestionID, TicketID: f.TicketID}})
	}
	for _, d := range handbook.FAQReview(s.library(), handbook.Today(s.opt.Now())) {
		if handbook.Visible(d, callerAudience(c)) {
			data.Review = append(data.Review, itemOf(d))
		}
	}
	return s.page(c, http.StatusOK, "analytics", data)
}

// analyticsCSV writes the report as CSV (UTF-8 with a BOM, which Excel
// needs to read Vietnamese): one section per table, each with a header.
func (s *Server) analyticsCSV(c echo.Context) error {
	a, err := s.analytics(c)
	if err != nil {
		return signInFirst(c, err)
	}
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	itoa := strconv.Itoa
	// rate is a share as a decimal fraction with a dot ("0.25"), which
	// spreadsheets in every locale read back as a number via VALUE().
	rate := func(n, of int) string {
		if of == 0 {
			return "0"
		}
		return strconv.FormatFloat(float64(n)/float64(of), 'f', 4, 64)
	}
	w.Write([]string{"bang", "ngay", "cau_hoi", "khong_ket_qua", "khong_tra_loi_duoc", "trung_vi_ms", "ty_le_khong_ket_qua", "ty_le_khong_tra_loi_duoc"})
	for _, d := range a.Days {
		w.Write([]string{"ngay", d.Day.String(), itoa(d.Questions), itoa(d.ZeroResults), itoa(d.Unanswerable), strconv.FormatInt(d.MedianLatency.Milliseconds(), 10),
			rate(d.ZeroResults, d.Questions), rate(d.Unanswerable, d.Questions)})
	}
	last := handbook.Date{Time: a.To.AddDate(0, 0, -1)} // the range as the form shows it, both days included
	w.Write([]string{"tong", a.From.String() + "/" + last.String(), itoa(a.Questions), itoa(a.ZeroResults), itoa(a.Unanswerable), strconv.FormatInt(a.MedianLatency.Milliseconds(), 10),
		rate(a.ZeroResults, a.Questions), rate(a.Unanswerable, a.Questions)})
	w.Write(nil)
	w.Write([]string{"bang", "cau_hoi", "so_lan", "khong_tra_loi_duoc"})
	for _, q := range a.TopQueries {
		w.Write([]string{"truy_van", csvSafe(q.Query), itoa(q.Count), itoa(q.Unanswerable)})
	}
	w.Write(nil)
	w.Write([]string{"bang", "ten", "cau_hoi", "khong_ket_qua", "khong_tra_loi_duoc", "phieu_dang_mo", "phieu_qua_han"})
	for _, g := range a.Fields {
		w.Write([]string{"linh_vuc", csvSafe(g.Name), itoa(g.Questions), itoa(g.ZeroResults), itoa(g.Unanswerable), itoa(g.OpenTickets), itoa(g.Overdue)})
	}
	for _, g := range a.Departments {
		w.Write([]string{"don_vi", csvSafe(g.Name), itoa(g.Questions), itoa(g.ZeroResults), itoa(g.Unanswerable), itoa(g.OpenTickets), itoa(g.Overdue)})
	}
	w.Write(nil)
	w.Write([]string{"bang", "thoi_gian", "cau_hoi", "gop_y", "vai_tro", "phieu"})
	for _, f := range a.Complaints {
		ticket := ""
		if f.TicketID != 0 {
			ticket = strconv.FormatInt(f.TicketID, 10)
		}
		w.Write([]string{"khong_huu_ich", f.Time.In(handbook.Vietnam).Format(time.DateTime), csvSafe(f.Query), csvSafe(f.Comment), string(f.Role), ticket})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="thong-ke-`+a.From.String()+`.csv"`)
	h.Set("Cache-Control", "private, no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// csvSafe defuses spreadsheet formulas in text typed by the public
// ("=HYPERLINK(…)" in a query must stay text when the CSV is opened).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// JSON API.

type meJSON struct {
	Authenticated bool              `json:"authenticated"`
	Username      string            `json:"username,omitempty"`
	Name          string            `json:"name,omitempty"`
	Role          handbook.Role     `json:"role"`
	Department    string            `json:"department,omitempty"`
	Audience      handbook.Audience `json:"audience"`
}

func (s *Server) apiMe(c echo.Context) error {
	u := callerUser(c)
	out := meJSON{Role: handbook.RoleOf(u), Audience: callerAudience(c)}
	if u != nil {
		out.Authenticated, out.Username, out.Name, out.Department = true, u.Username, u.Name, u.Department
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.JSON(http.StatusOK, out)
}

// bindJSON decodes a JSON body strictly: unknown fields are an error that
// names them, like unknown query parameters.
func bindJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return handbook.Errorf(handbook.Invalid, "Dữ liệu JSON không hợp lệ: "+jsonProblem(err), "decode body: %w", err)
	}
	return nil
}

func jsonProblem(err error) string {
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "trường không được hỗ trợ " + f + "."
	}
	return "không đọc được nội dung gửi lên."
}

type feedbackJSON struct {
	QuestionID int64 `json:"question_id"`
	// Query names a search the page fetched as the user typed, which has
	// no id yet (api/questionlog.go, commit); question_id wins.
	Query   string `json:"query"`
	Useful  *bool  `json:"useful"`
	Comment string `json:"comment"`
}

func (s *Server) apiFeedback(c echo.Context) error {
	if err := s.needHotline(); err != nil {
		return err
	}
	var in feedbackJSON
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Useful == nil {
		return handbook.Errorf(handbook.Invalid, "Thiếu trường useful (true hoặc false).", "feedback without useful")
	}
	f, t, err := s.feedback(c, in.QuestionID, in.Query, *in.Useful, in.Comment)
	if err != nil {
		return err
	}
	out := map[string]any{"id": f.ID, "question_id": f.QuestionID}
	if t != nil {
		out["ticket"] = ticketJSONOf(t)
	}
	return c.JSON(http.StatusCreated, out)
}

// feedback stores a verdict on the logged question id, or on the live
// search query of this browser when id is 0. A "not useful" from an
// official opens a ticket (handbook.Hotline.AddFeedback).
func (s *Server) feedback(c echo.Context, id int64, query string, useful bool, comment string) (*handbook.Feedback, *handbook.Ticket, error) {
	if id == 0 && strings.TrimSpace(query) != "" {
		if id = s.qlog.commit(s.clientKey(c), query); id == 0 {
			return nil, nil, handbook.Errorf(handbook.NotFound, "Không tìm thấy lượt tra cứu cần góp ý; vui lòng tìm lại rồi góp ý.", "no live search %q for this browser", clip(query, 40))
		}
	}
	f := &handbook.Feedback{QuestionID: id, Useful: useful, Comment: comment, Time: s.opt.Now()}
	t, err := s.hotline.AddFeedback(c.Request().Context(), f, callerUser(c))
	if err != nil {
		return nil, nil, err
	}
	return f, t, nil
}

// feedbackForm is the "was this useful?" form under a search or an answer
// (templates/partials/hotline.html).
type feedbackForm struct {
	// CSRF is set for signed-in callers only: the public's forms act with
	// no one's authority and are not checked (api/auth.go, checkCSRF).
	CSRF       string
	QuestionID int64
	Query      string
	From       string // "search" or "ask": where the thank-you page leads back
	Hidden     bool   // nothing to judge yet (app.js shows it after a search)
	Official   bool   // "not useful" opens a ticket
}

// escalateForm sends an unanswered question to the owning department; it
// is shown to officials only (the public cannot open tickets).
type escalateForm struct {
	CSRF       string
	QuestionID int64
	Query      string
	Show       bool // the handbook found nothing reliable
}

// hotlineForms returns the forms to show under the results of query (""
// before any search), logged by this request as loggedQuestion(c).
// unanswered says the handbook found nothing reliable. Without a store
// both are nil.
func (s *Server) hotlineForms(c echo.Context, from, query string, unanswered bool) (*feedbackForm, *escalateForm) {
	if s.hotline == nil {
		return nil, nil
	}
	u := callerUser(c)
	official := handbook.RoleOf(u).AtLeast(handbook.RoleOfficial)
	fb := &feedbackForm{QuestionID: loggedQuestion(c), Query: query, From: from, Hidden: query == "", Official: official}
	if u != nil {
		fb.CSRF = s.csrfToken(c)
	}
	if !official {
		return fb, nil
	}
	return fb, &escalateForm{CSRF: fb.CSRF, QuestionID: fb.QuestionID, Query: query, Show: query != "" && unanswered}
}

type feedbackPage struct {
	base
	Error           string
	Ticket          *handbook.Ticket
	Back, BackLabel string
}

func newFeedbackPage(from string) feedbackPage {
	data := feedbackPage{base: base{Title: "Cảm ơn bạn đã góp ý"}, Back: "/search", BackLabel: "Tiếp tục tra cứu"}
	if from == "ask" {
		data.Back, data.BackLabel = "/ask", "Hỏi câu khác"
	}
	return data
}

// pageFeedback thanks the reader after postFeedback; ?ticket= names the
// ticket an official's verdict opened (shown only to who may see it).
func (s *Server) pageFeedback(c echo.Context) error {
	if err := s.needHotline(); err != nil {
		return err
	}
	data := newFeedbackPage(c.QueryParam("from"))
	if id, err := strconv.ParseInt(c.QueryParam("ticket"), 10, 64); err == nil && id > 0 {
		if t, err := s.hotline.Ticket(c.Request().Context(), id, callerUser(c)); err == nil {
			data.Ticket = t
		}
	}
	return s.page(c, http.StatusOK, "feedback", data)
}

// postFeedback takes the "was this useful?" form without JavaScript and
// sends the reader to the thanks (app.js posts the same to
// /api/v1/feedback in place).
func (s *Server) postFeedback(c echo.Context) error {
	if err := s.needHotline(); err != nil {
		return err
	}
	data := newFeedbackPage(c.FormValue("from"))
	var useful bool
	var err error
	switch c.FormValue("useful") {
	case "1", "true":
		useful = true
	case "0", "false":
	default:
		err = handbook.Errorf(handbook.Invalid, "Vui lòng chọn «Có, hữu ích» hoặc «Chưa hữu ích».", "feedback form without useful")
	}
	if err == nil {
		qid, _ := strconv.ParseInt(c.FormValue("question_id"), 10, 64)
		_, data.Ticket, err = s.feedback(c, qid, c.FormValue("q"), useful, c.FormValue("comment"))
	}
	if err != nil {
		if code := handbook.ErrorCode(err); code != handbook.Invalid && code != handbook.NotFound {
			return err
		}
		data.Title, data.Error = "Chưa ghi nhận góp ý", handbook.ErrorMessage(err)
		return s.page(c, statusOf(err), "feedback", data)
	}
	v := url.Values{}
	if c.FormValue("from") == "ask" {
		v.Set("from", "ask")
	}
	if data.Ticket != nil {
		v.Set("ticket", strconv.FormatInt(data.Ticket.ID, 10))
	}
	target := "/feedback"
	if len(v) > 0 {
		target += "?" + v.Encode()
	}
	return c.Redirect(http.StatusSeeOther, target)
}

type ticketJSON struct {
	*handbook.Ticket
	Due string `json:"due"`
	URL string `json:"url"`
}

func ticketJSONOf(t *handbook.Ticket) ticketJSON {
	return ticketJSON{Ticket: t, Due: t.Due.String(), URL: "/tickets/" + strconv.FormatInt(t.ID, 10)}
}

func (s *Server) apiTickets(c echo.Context) error {
	if err := s.needHotline(); err != nil {
		return err
	}
	if err := rejectUnknown(c.QueryParams(), "status", "limit"); err != nil {
		return err
	}
	u, err := requireRole(c, handbook.RoleOfficial)
	if err != nil {
		return err
	}
	sts, err := parseStatuses(c.QueryParam("status"))
	if err != nil {
		return err
	}
	f := handbook.TicketFilter{Status: sts}
	if l := c.QueryParam("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 || f.Limit > 1000 {
			return handbook.Errorf(handbook.Invalid, "Tham số limit phải là số từ 1 đến 1000.", "bad limit %q", l)
		}
	}
	ts, err := s.hotline.Tickets(c.Request().Context(), f, u)
	if err != nil {
		return err
	}
	out := make([]ticketJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, ticketJSONOf(t))
	}
	return c.JSON(http.StatusOK, map[string]any{"tickets": out})
}

func (s *Server) apiOpenTicket(c echo.Context) error {
	var in struct {
		QuestionID int64  `json:"question_id"`
		Question   string `json:"question"`
		Note       string `json:"note"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	t, err := s.openTicket(c, in.QuestionID, in.Question, in.Note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, ticketJSONOf(t))
}

func (s *Server) apiTicket(c echo.Context) error {
	if err := s.needHotline(); err != nil {
		return err
	}
	u, err := requireRole(c, handbook.RoleOfficial)
	if err != nil {
		return err
	}
	id, err := ticketID(c)
	if err != nil {
		return err
	}
	t, err := s.hotline.Ticket(c.Request().Context(), id, u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ticketJSONOf(t))
}

func (s *Server) apiUpdateTicket(c echo.Context) error {
	if err := s.needHotline(); err != nil {
		return err
	}
	u, err := requireRole(c, handbook.RoleOfficial)
	if err != nil {
		return err
	}
	id, err := ticketID(c)
	if err != nil {
		return err
	}
	var in struct {
		Version    int                  `json:"version"`
		Answer     string               `json:"answer"`
		Citations  []handbook.Reference `json:"citations"`
		Department string               `json:"department"`
		Assignee   string               `json:"assignee"`
		Due        string               `json:"due"`
		Close      bool                 `json:"close"`
		Note       string               `json:"note"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	up := handbook.TicketUpdate{Version: in.Version, Answer: in.Answer, Citations: in.Citations, Department: in.Department, Close: in.Close, Note: in.Note}
	if in.Due != "" {
		if up.Due, err = handbook.ParseDate(in.Due); err != nil {
			return handbook.Errorf(handbook.Invalid, "Hạn trả lời phải có dạng YYYY-MM-DD.", "bad due %q", in.Due)
		}
	}
	if in.Assignee != "" {
		if up.Assignee, err = s.assignee(c, in.Assignee); err != nil {
			return err
		}
	}
	t, err := s.hotline.UpdateTicket(c.Request().Context(), id, up, u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ticketJSONOf(t))
}

func (s *Server) apiPromote(c echo.Context) error {
	id, err := ticketID(c)
	if err != nil {
		return err
	}
	var in promoteJSON
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	doc, err := s.promote(c, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]string{"faq": doc, "url": docURL(doc, "")})
}

func (s *Server) apiAnalytics(c echo.Context) error {
	if err := rejectUnknown(c.QueryParams(), "from", "to"); err != nil {
		return err
	}
	a, err := s.analytics(c)
	if err != nil {
		return err
	}
	out := analyticsJSON{Analytics: a, From: a.From.String(), To: handbook.Date{Time: a.To.AddDate(0, 0, -1)}.String(),
		MedianMS: a.MedianLatency.Milliseconds(), P95MS: a.P95Latency.Milliseconds(), Days: []dayJSON{}}
	for _, d := range a.Days {
		out.Days = append(out.Days, dayJSON{Day: d.Day.String(), Questions: d.Questions, ZeroResults: d.ZeroResults,
			Unanswerable: d.Unanswerable, MedianMS: d.MedianLatency.Milliseconds()})
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.JSON(http.StatusOK, out)
}

// analyticsJSON is the report with dates as YYYY-MM-DD (to inclusive) and
// latencies in milliseconds.
type analyticsJSON struct {
	*handbook.Analytics
	From     string    `json:"from"`
	To       string    `json:"to"`
	MedianMS int64     `json:"median_ms"`
	P95MS    int64     `json:"p95_ms"`
	Days     []dayJSON `json:"days"`
}

type dayJSON struct {
	Day          string `json:"day"`
	Questions    int    `json:"questions"`
	ZeroResults  int    `json:"zero_results"`
	Unanswerable int    `json:"unanswerable"`
	MedianMS     int64  `json:"median_ms"`
}
