package handbook

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Vietnam is the time zone that decides what "today" and "per day" mean in
// tickets and analytics: Indochina Time, UTC+7, without daylight saving.
var Vietnam = time.FixedZone("ICT", 7*60*60)

// Limits on text people type into the hotline loop.
const (
	MaxCommentLength = 2000
	MaxAnswerLength  = 20000
)

// Hotline is the hotline loop of DESIGN.md: it logs questions, takes
// feedback, opens tickets routed to the department that owns the subject,
// records the department's answer and turns answered tickets into FAQ pages.
// It holds the rules; Store holds the data.
type Hotline struct {
	Store Store
	// Library returns the current knowledge base (for routing, citations
	// and FAQ paths).
	Library func() *Library
	Now     func() time.Time
	// Departments maps a procedure field (lĩnh vực) to the department that
	// answers for it, for fields whose documents name no owner.
	Departments map[string]string
	// AnswerDays is how many working days a department has to answer a
	// ticket (default 5).
	AnswerDays int
}

func (h *Hotline) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Hotline) today() Date { return Today(h.now()) }

func (h *Hotline) library() *Library {
	if h.Library != nil {
		if l := h.Library(); l != nil {
			return l
		}
	}
	return NewLibrary(nil, nil, nil)
}

// maxResults is how many results a log entry keeps.
const maxResults = 5

// Log stores a question log entry: the query is normalised and masked,
// results are cut to the top five, and Field and Department are taken from
// the best result that has them.
func (h *Hotline) Log(ctx context.Context, q *Question) error {
	q.Query = MaskPII(NormalizeLine(q.Query))
	if utf8.RuneCountInString(q.Query) > MaxQuestionLength {
		q.Query = string([]rune(q.Query)[:MaxQuestionLength])
	}
	if len(q.Results) > maxResults {
		q.Results = q.Results[:maxResults]
	}
	if q.Time.IsZero() {
		q.Time = h.now()
	}
	if q.Role == "" {
		q.Role = RolePublic
	}
	if q.Department == "" && q.Field == "" {
		q.Department, q.Field = h.Route(q.Results)
	}
	return h.Store.LogQuestion(ctx, q)
}

// Route returns the department that answers for a question whose best
// results are results ("doc#anchor", best first), and the procedure field:
// the owner of the first result that names one (procedures first, since a
// procedure's owner is the department that handles it), else the department
// configured for the field, else the most common owner of the procedures in
// that field. "" means nobody yet: editors route it by hand.
func (h *Hotline) Route(results []string) (department, field string) {
	lib := h.library()
	var docs []*Document
	for _, r := range results {
		id, _, _ := strings.Cut(r, "#")
		if d, ok := lib.Doc(id); ok && !slices.Contains(docs, d) {
			docs = append(docs, d)
		}
	}
	slices.SortStableFunc(docs, func(a, b *Document) int {
		return boolRank(a.Kind != KindProcedure) - boolRank(b.Kind != KindProcedure)
	})
	for _, d := range docs {
		if field == "" {
			field = d.Field()
		}
		if d.Owner != "" {
			return d.Owner, firstNonEmpty(d.Field(), field)
		}
	}
	if field == "" {
		return "", ""
	}
	for f, dept := range h.Departments {
		if Fold(f) == Fold(field) && dept != "" {
			return dept, field
		}
	}
	return lib.FieldOwner(field), field
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// AddFeedback stores feedback on a logged question. "Not useful" from a
// signed-in official opens a ticket for the question (or returns the one
// already open); from the public it is counted in analytics only, so that
// anonymous visitors cannot flood the departments.
func (h *Hotline) AddFeedback(ctx context.Context, f *Feedback, by *User) (*Ticket, error) {
	f.Comment = MaskPII(strings.TrimSpace(Normalize(f.Comment)))
	if utf8.RuneCountInString(f.Comment) > MaxCommentLength {
		return nil, Errorf(Invalid, "Góp ý quá dài (tối đa 2000 ký tự).", "comment of %d runes", utf8.RuneCountInString(f.Comment))
	}
	if f.QuestionID <= 0 {
		return nil, Errorf(Invalid, "Thiếu mã câu hỏi cần góp ý.", "feedback without question id")
	}
	q, err := h.Store.Question(ctx, f.QuestionID)
	if err != nil {
		return nil, notFoundAs(err, "Không tìm thấy câu hỏi cần góp ý.")
	}
	f.Role = RoleOf(by)
	if by != nil {
		f.UserID = by.ID
	}
	if f.Time.IsZero() {
		f.Time = h.now()
	}
	if err := h.Store.AddFeedback(ctx, f); err != nil {
		return nil, fmt.Errorf("add feedback: %w", err)
	}
	if f.Useful || !RoleOf(by).AtLeast(RoleOfficial) {
		return nil, nil
	}
	return h.openTicket(ctx, q, f.Comment, by)
}

// OpenTicket turns a logged question into a ticket for the department that
// owns its subject. Only officials and above may open tickets. A question
// has at most one ticket: asking again returns the existing one.
func (h *Hotline) OpenTicket(ctx context.Context, questionID int64, note string, by *User) (*Ticket, error) {
	if !RoleOf(by).AtLeast(RoleOfficial) {
		return nil, forbidden("open ticket")
	}
	note = MaskPII(strings.TrimSpace(Normalize(note)))
	if utf8.RuneCountInString(note) > MaxCommentLength {
		return nil, Errorf(Invalid, "Ghi chú quá dài (tối đa 2000 ký tự).", "note too long")
	}
	q, err := h.Store.Question(ctx, questionID)
	if err != nil {
		return nil, notFoundAs(err, "Không tìm thấy câu hỏi trong nhật ký.")
	}
	return h.openTicket(ctx, q, note, by)
}

func (h *Hotline) openTicket(ctx context.Context, q *Question, note string, by *User) (*Ticket, error) {
	existing, err := h.Store.Tickets(ctx, TicketFilter{QuestionID: q.ID, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("find ticket of question %d: %w", q.ID, err)
	}
	if len(existing) > 0 {
		return h.Store.Ticket(ctx, existing[0].ID)
	}
	dept, field := q.Department, q.Field
	if dept == "" {
		dept, field = h.Route(q.Results)
	}
	now := h.now()
	t := &Ticket{
		QuestionID: q.ID, Question: q.Query, Note: note, Status: TicketOpen,
		Department: dept, Field: field, Due: h.due(now), CreatedBy: by.ID,
	}
	t.History = append(t.History, TicketEvent{Time: now, Actor: by.Username, Action: "opened", Note: note})
	if dept != "" {
		t.History = append(t.History, TicketEvent{Time: now, Actor: by.Username, Action: "routed", Note: dept})
	}
	if err := h.Store.CreateTicket(ctx, t); err != nil {
		return nil, fmt.Errorf("create ticket: %w", err)
	}
	return t, nil
}

// due is AnswerDays working days (Monday to Friday) after now.
func (h *Hotline) due(now time.Time) Date {
	n := h.AnswerDays
	if n <= 0 {
		n = 5
	}
	d := Today(now).Time
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return Date{d}
}

// CanAnswer reports whether u may answer t: editors and admins any ticket,
// officials those routed to their department.
func CanAnswer(u *User, t *Ticket) bool {
	switch r := RoleOf(u); {
	case r.AtLeast(RoleEditor):
		return true
	case r == RoleOfficial:
		return u.Department != "" && t.Department != "" && Fold(u.Department) == Fold(t.Department)
	}
	return false
}

// CanSee reports whether u may read t: whoever may answer it, and the
// official who opened it.
func CanSee(u *User, t *Ticket) bool {
	return CanAnswer(u, t) || (u != nil && RoleOf(u).AtLeast(RoleOfficial) && t.CreatedBy == u.ID)
}

// Ticket returns a ticket u may see; others are not found, as for internal
// documents.
func (h *Hotline) Ticket(ctx context.Context, id int64, u *User) (*Ticket, error) {
	t, err := h.Store.Ticket(ctx, id)
	if err != nil {
		return nil, notFoundAs(err, "Không tìm thấy phiếu hỏi.")
	}
	if !CanSee(u, t) {
		return nil, Errorf(NotFound, "Không tìm thấy phiếu hỏi.", "ticket %d not visible to %s", id, RoleOf(u))
	}
	return t, nil
}

// Tickets lists the tickets u works on: all of them for editors and
// admins (narrowed by f); for officials, those of their department and
// those they opened themselves (an operator follows the answer to the
// question they sent), in the store's order: open first, then by due date.
func (h *Hotline) Tickets(ctx context.Context, f TicketFilter, u *User) ([]*Ticket, error) {
	switch r := RoleOf(u); {
	case r.AtLeast(RoleEditor):
		return h.Store.Tickets(ctx, f)
	case r != RoleOfficial:
		return nil, forbidden("list tickets")
	}
	mine := f
	mine.Department, mine.CreatedBy = "", u.ID
	out, err := h.Store.Tickets(ctx, mine)
	if err != nil || u.Department == "" {
		return out, err
	}
	dept := f
	dept.Department, dept.CreatedBy = u.Department, 0
	theirs, err := h.Store.Tickets(ctx, dept)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for _, t := range out {
		seen[t.ID] = true
	}
	for _, t := range theirs {
		if !seen[t.ID] {
			out = append(out, t)
		}
	}
	slices.SortStableFunc(out, ticketOrder)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// ticketOrder is the order of Store.Tickets: open, then answered, then the
// rest; within each, by due date (undated last), then by id.
func ticketOrder(a, b *Ticket) int {
	rank := func(t *Ticket) int {
		switch t.Status {
		case TicketOpen:
			return 0
		case TicketAnswered:
			return 1
		}
		return 2
	}
	if c := rank(a) - rank(b); c != 0 {
		return c
	}
	if a.Due.IsSet() != b.Due.IsSet() {
		return boolRank(!a.Due.IsSet()) - boolRank(!b.Due.IsSet())
	}
	if c := a.Due.Compare(b.Due.Time); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// TicketUpdate is a change to a ticket from the ticket page or the API.
// Empty fields are left alone.
type TicketUpdate struct {
	// Version is the version the user saw; a stale one is a conflict.
	Version    int
	Answer     string
	Citations  []Reference
	Department string
	Assignee   *User
	Due        Date
	Close      bool
	Note       string
}

// UpdateTicket applies a change by u: an answer (from the department or an
// editor), routing to another department and due dates (editors), taking
// the ticket (officials of the department), closing it (editors). Citations
// must point at regulations and articles in the library.
func (h *Hotline) UpdateTicket(ctx context.Context, id int64, up TicketUpdate, u *User) (*Ticket, error) {
	t, err := h.Ticket(ctx, id, u)
	if err != nil {
		return nil, err
	}
	if up.Version != 0 && up.Version != t.Version {
		return nil, Errorf(Conflict, "Phiếu đã được người khác cập nhật, vui lòng tải lại trang.", "ticket %d version %d, want %d", id, t.Version, up.Version)
	}
	editor := RoleOf(u).AtLeast(RoleEditor)
	if !CanAnswer(u, t) {
		return nil, forbidden("update ticket")
	}
	now := h.now()
	var events []TicketEvent
	event := func(action, note string) {
		events = append(events, TicketEvent{Time: now, Actor: u.Username, Action: action, Note: note})
	}
	if d := NormalizeLine(up.Department); d != "" && d != t.Department {
		if !editor {
			return nil, Errorf(Forbidden, "Chỉ biên tập viên được chuyển phiếu sang đơn vị khác.", "reroute by %s", u.Role)
		}
		t.Department = d
		t.AssigneeID, t.Assignee = 0, ""
		event("routed", d)
	}
	if up.Assignee != nil && up.Assignee.ID != t.AssigneeID {
		if !editor && up.Assignee.ID != u.ID {
			return nil, Errorf(Forbidden, "Công chức chỉ có thể tự nhận phiếu.", "assign other by official")
		}
		if !CanAnswer(up.Assignee, t) {
			return nil, Errorf(Invalid, "Người được giao không thuộc đơn vị phụ trách phiếu.", "assignee %s cannot answer", up.Assignee.Username)
		}
		t.AssigneeID, t.Assignee = up.Assignee.ID, up.Assignee.DisplayName()
		event("assigned", t.Assignee)
	}
	if up.Due.IsSet() && up.Due != t.Due {
		if !editor {
			return nil, Errorf(Forbidden, "Chỉ biên tập viên được đổi hạn trả lời.", "due by %s", u.Role)
		}
		t.Due = up.Due
		event("due", up.Due.String())
	}
	if ans := strings.TrimSpace(Normalize(up.Answer)); ans != "" {
		if t.Status == TicketPromoted || t.Status == TicketClosed {
			return nil, Errorf(Invalid, "Phiếu đã đóng hoặc đã đưa vào hỏi đáp, không thể sửa câu trả lời.", "answer on %s ticket", t.Status)
		}
		if utf8.RuneCountInString(ans) > MaxAnswerLength {
			return nil, Errorf(Invalid, "Câu trả lời quá dài.", "answer too long")
		}
		cites, err := h.checkCitations(up.Citations)
		if err != nil {
			return nil, err
		}
		t.Answer, t.Citations = MaskPII(ans), cites
		t.AnsweredBy = u.DisplayName()
		if u.Department != "" {
			t.AnsweredBy += " (" + u.Department + ")"
		}
		t.Status = TicketAnswered
		event("answered", "")
	}
	if up.Close {
		if !editor {
			return nil, Errorf(Forbidden, "Chỉ biên tập viên được đóng phiếu.", "close by %s", u.Role)
		}
		if t.Status != TicketClosed {
			t.Status = TicketClosed
			event("closed", MaskPII(NormalizeLine(up.Note)))
		}
	} else if n := MaskPII(NormalizeLine(up.Note)); n != "" {
		event("commented", n)
	}
	if len(events) == 0 {
		return t, nil
	}
	for _, e := range events {
		if err := h.Store.UpdateTicket(ctx, t, e); err != nil {
			if errors.Is(err, ErrConflict) {
				return nil, Errorf(Conflict, "Phiếu đã được người khác cập nhật, vui lòng tải lại trang.", "update ticket %d: %w", id, err)
			}
			return nil, fmt.Errorf("update ticket %d: %w", id, err)
		}
	}
	return h.Store.Ticket(ctx, id)
}

// checkCitations keeps citations that point at a document (and anchor) in
// the library, normalised; anything else is an Invalid error naming it.
func (h *Hotline) checkCitations(refs []Reference) ([]Reference, error) {
	lib := h.library()
	var out []Reference
	for _, r := range refs {
		r.Doc = strings.Trim(strings.TrimSpace(r.Doc), "/")
		r.Doc = strings.TrimPrefix(r.Doc, "docs/")
		if doc, anchor, ok := strings.Cut(r.Doc, "#"); ok && r.Article == "" {
			r.Doc, r.Article = doc, anchor
		}
		r.Article = strings.ToLower(strings.TrimSpace(r.Article))
		r.Note = NormalizeLine(r.Note)
		if r.Doc == "" {
			continue
		}
		if !strings.Contains(r.Doc, "/") {
			r.Doc = "regulations/" + r.Doc
		}
		d, ok := lib.Doc(r.Doc)
		if !ok {
			return nil, Errorf(Invalid, "Căn cứ không có trong Sổ tay: "+r.Doc+".", "citation %q not found", r.Doc)
		}
		if r.Article != "" {
			if _, ok := d.Section(r.Article); !ok {
				return nil, Errorf(Invalid, "Không tìm thấy "+r.Article+" trong "+d.CitationName()+".", "anchor %q not in %s", r.Article, r.Doc)
			}
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func forbidden(what string) error {
	return Errorf(Forbidden, "Bạn không có quyền thực hiện thao tác này.", "%s: forbidden", what)
}

// notFoundAs gives a not-found error from a store a sharper message.
func notFoundAs(err error, msg string) error {
	if ErrorCode(err) == NotFound {
		return &Error{Code: NotFound, Message: msg, Err: err}
	}
	return err
}
