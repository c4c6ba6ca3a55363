package handbook

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// Analytics summarises the question log over [From, To): what people ask,
// how often the handbook has nothing (no result) or nothing reliable
// (unanswerable), how fast it answers, and where tickets wait.
type Analytics struct {
	From Date `json:"-"` // days in Vietnam time
	To   Date `json:"-"` // exclusive

	Questions        int           `json:"questions"`
	ZeroResults      int           `json:"zero_results"`
	Unanswerable     int           `json:"unanswerable"`
	ZeroRate         float64       `json:"zero_rate"` // ZeroResults / Questions
	UnanswerableRate float64       `json:"unanswerable_rate"`
	MedianLatency    time.Duration `json:"-"`
	P95Latency       time.Duration `json:"-"`
	Useful           int           `json:"useful"`
	NotUseful        int           `json:"not_useful"`

	Days        []DayStat   `json:"-"`           // every day of the range, oldest first
	TopQueries  []QueryStat `json:"top_queries"` // most frequent queries
	Unanswered  []QueryStat `json:"unanswered"`  // most frequent queries without a reliable answer
	Fields      []GroupStat `json:"fields"`      // by procedure field; "" is "no field"
	Departments []GroupStat `json:"departments"` // by owning department, with ticket counts
	Tickets     TicketStat  `json:"tickets"`
	// Complaints are the latest "not useful" verdicts, newest first, with
	// the question they judge: what editors turn into tickets when the
	// public, who cannot open tickets, found no answer.
	Complaints []Complaint `json:"complaints"`
}

// Complaint is one "not useful" verdict on a logged question.
type Complaint struct {
	QuestionID int64     `json:"question_id"`
	Query      string    `json:"query"`
	Comment    string    `json:"comment,omitempty"`
	Role       Role      `json:"role"`
	Time       time.Time `json:"time"`
	// TicketID is the ticket already opened for the question, if any.
	TicketID int64 `json:"ticket_id,omitempty"`
}

// DayStat is one day of the question log.
type DayStat struct {
	Day           Date
	Questions     int
	ZeroResults   int
	Unanswerable  int
	MedianLatency time.Duration
}

// QueryStat is one query (grouped by its folded form, shown as first typed).
type QueryStat struct {
	Query        string `json:"query"`
	Count        int    `json:"count"`
	Unanswerable int    `json:"unanswerable"`
	// QuestionID is the latest log entry of the query: a ticket is opened
	// from it. TicketID is a ticket already opened for the same query.
	QuestionID int64 `json:"question_id"`
	TicketID   int64 `json:"ticket_id,omitempty"`
}

// GroupStat counts questions and tickets of one field or department.
type GroupStat struct {
	Name         string `json:"name"`
	Questions    int    `json:"questions"`
	ZeroResults  int    `json:"zero_results"`
	Unanswerable int    `json:"unanswerable"`
	OpenTickets  int    `json:"open_tickets"`
	Overdue      int    `json:"overdue"`
}

// TicketStat counts tickets by status.
type TicketStat struct {
	Open     int `json:"open"`
	Answered int `json:"answered"`
	Promoted int `json:"promoted"`
	Closed   int `json:"closed"`
	Overdue  int `json:"overdue"`
}

// MaxAnalyticsDays bounds the range of one report.
const MaxAnalyticsDays = 366

// topN is how many queries the report lists.
const topN = 20

// Analytics builds the report for the days [from, to) in Vietnam time.
func (h *Hotline) Analytics(ctx context.Context, from, to Date) (*Analytics, error) {
	if !from.IsSet() || !to.IsSet() || !from.Before(to.Time) {
		return nil, Errorf(Invalid, "Khoảng thời gian không hợp lệ: ngày bắt đầu phải trước ngày kết thúc.", "bad range %s..%s", from, to)
	}
	if to.Sub(from.Time) > MaxAnalyticsDays*24*time.Hour {
		return nil, Errorf(Invalid, "Chỉ xem được tối đa 366 ngày một lần.", "range of %s", to.Sub(from.Time))
	}
	b := NewAnalyticsBuilder(from, to)
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, Vietnam)
	end := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, Vietnam)
	if err := h.Store.Questions(ctx, start, end, func(q *Question) error { b.AddQuestion(q); return nil }); err != nil {
		return nil, fmt.Errorf("read question log: %w", err)
	}
	fb, err := h.Store.Feedback(ctx, start, end)
	if err != nil {
		return nil, fmt.Errorf("read feedback: %w", err)
	}
	for _, f := range fb {
		b.AddFeedback(f)
	}
	// Tickets are counted as they stand now, whatever the range.
	ts, err := h.Store.Tickets(ctx, TicketFilter{Limit: 100000})
	if err != nil {
		return nil, fmt.Errorf("read tickets: %w", err)
	}
	today := h.today()
	for _, t := range ts {
		b.AddTicket(t, today)
	}
	a := b.Finish()
	// The latest complaints, with their questions (which may be older
	// than the range).
	for i := len(fb) - 1; i >= 0 && len(a.Complaints) < topN; i-- {
		f := fb[i]
		if f.Useful {
			continue
		}
		q, err := h.Store.Question(ctx, f.QuestionID)
		if err != nil {
			if ErrorCode(err) == NotFound {
				continue
			}
			return nil, fmt.Errorf("read question %d: %w", f.QuestionID, err)
		}
		a.Complaints = append(a.Complaints, Complaint{QuestionID: q.ID, Query: q.Query, Comment: f.Comment, Role: f.Role,
			Time: f.Time, TicketID: b.ticketOf(q)})
	}
	return a, nil
}

// AnalyticsBuilder accumulates log entries into an Analytics; it keeps one
// duration per question (for medians) and one counter per distinct query.
type AnalyticsBuilder struct {
	a       Analytics
	days    map[Date]*DayStat
	dayLat  map[Date][]time.Duration
	lat     []time.Duration
	queries map[string]*QueryStat
	fields  map[string]*GroupStat
	depts   map[string]*GroupStat
	// tickets maps a question id, and a folded question text, to the
	// ticket opened for it.
	ticketByQuestion map[int64]int64
	ticketByQuery    map[string]int64
}

// NewAnalyticsBuilder starts a report for [from, to).
func NewAnalyticsBuilder(from, to Date) *AnalyticsBuilder {
	return &AnalyticsBuilder{
		a:    Analytics{From: from, To: to},
		days: map[Date]*DayStat{}, dayLat: map[Date][]time.Duration{},
		queries: map[string]*QueryStat{}, fields: map[string]*GroupStat{}, depts: map[string]*GroupStat{},
		ticketByQuestion: map[int64]int64{}, ticketByQuery: map[string]int64{},
	}
}

// ticketOf returns the ticket opened for q (or for the same question
// text), 0 when none; tickets must have been added.
func (b *AnalyticsBuilder) ticketOf(q *Question) int64 {
	if id := b.ticketByQuestion[q.ID]; id != 0 {
		return id
	}
	return b.ticketByQuery[Fold(q.Query)]
}

// AddQuestion counts one log entry. Entries written when a question was
// typed straight into a ticket are not searches and are not counted.
func (b *AnalyticsBuilder) AddQuestion(q *Question) {
	if q.Source == SourceTicket {
		return
	}
	day := Today(q.Time)
	zero, unans := q.Hits == 0, !q.Answerable
	b.a.Questions++
	ds := b.days[day]
	if ds == nil {
		ds = &DayStat{Day: day}
		b.days[day] = ds
	}
	ds.Questions++
	b.lat = append(b.lat, q.Latency)
	b.dayLat[day] = append(b.dayLat[day], q.Latency)
	key := Fold(q.Query)
	qs := b.queries[key]
	if qs == nil {
		qs = &QueryStat{Query: q.Query}
		b.queries[key] = qs
	}
	qs.Count++
	qs.QuestionID = q.ID // entries come oldest first: the last is the latest
	f := group(b.fields, q.Field)
	d := group(b.depts, q.Department)
	f.Questions++
	d.Questions++
	if zero {
		b.a.ZeroResults++
		ds.ZeroResults++
		f.ZeroResults++
		d.ZeroResults++
	}
	if unans {
		b.a.Unanswerable++
		ds.Unanswerable++
		qs.Unanswerable++
		f.Unanswerable++
		d.Unanswerable++
	}
}

// AddFeedback counts one verdict.
func (b *AnalyticsBuilder) AddFeedback(f *Feedback) {
	if f.Useful {
		b.a.Useful++
	} else {
		b.a.NotUseful++
	}
}

// AddTicket counts one ticket as it stands on today.
func (b *AnalyticsBuilder) AddTicket(t *Ticket, today Date) {
	if t.QuestionID != 0 {
		b.ticketByQuestion[t.QuestionID] = t.ID
	}
	if k := Fold(t.Question); k != "" && b.ticketByQuery[k] == 0 {
		b.ticketByQuery[k] = t.ID
	}
	switch t.Status {
	case TicketOpen:
		b.a.Tickets.Open++
	case TicketAnswered:
		b.a.Tickets.Answered++
	case TicketPromoted:
		b.a.Tickets.Promoted++
	case TicketClosed:
		b.a.Tickets.Closed++
	}
	if t.Status != TicketOpen {
		return
	}
	d := group(b.depts, t.Department)
	d.OpenTickets++
	if t.Overdue(today) {
		d.Overdue++
		b.a.Tickets.Overdue++
	}
}

func group(m map[string]*GroupStat, name string) *GroupStat {
	g := m[name]
	if g == nil {
		g = &GroupStat{Name: name}
		m[name] = g
	}
	return g
}

// Finish returns the report.
func (b *AnalyticsBuilder) Finish() *Analytics {
	a := b.a
	if a.Questions > 0 {
		a.ZeroRate = float64(a.ZeroResults) / float64(a.Questions)
		a.UnanswerableRate = float64(a.Unanswerable) / float64(a.Questions)
	}
	a.MedianLatency, a.P95Latency = percentile(b.lat, 50), percentile(b.lat, 95)
	for d := a.From; d.Before(a.To.Time); d = (Date{d.AddDate(0, 0, 1)}) {
		ds := DayStat{Day: d}
		if s := b.days[d]; s != nil {
			ds = *s
			ds.MedianLatency = percentile(b.dayLat[d], 50)
		}
		a.Days = append(a.Days, ds)
	}
	var all, unans []QueryStat
	for key, q := range b.queries {
		q.TicketID = b.ticketByQuery[key]
		all = append(all, *q)
		if q.Unanswerable > 0 {
			unans = append(unans, *q)
		}
	}
	byCount := func(key func(QueryStat) int) func(x, y QueryStat) int {
		return func(x, y QueryStat) int {
			if c := cmp.Compare(key(y), key(x)); c != 0 {
				return c
			}
			return cmp.Compare(x.Query, y.Query)
		}
	}
	slices.SortFunc(all, byCount(func(q QueryStat) int { return q.Count }))
	slices.SortFunc(unans, byCount(func(q QueryStat) int { return q.Unanswerable }))
	a.TopQueries, a.Unanswered = all[:min(len(all), topN)], unans[:min(len(unans), topN)]
	a.Fields, a.Departments = groups(b.fields), groups(b.depts)
	return &a
}

// groups sorts by questions, then open tickets, then name; the unnamed
// group goes last.
func groups(m map[string]*GroupStat) []GroupStat {
	out := make([]GroupStat, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(x, y GroupStat) int {
		if (x.Name == "") != (y.Name == "") {
			return boolRank(x.Name == "") - boolRank(y.Name == "")
		}
		if c := cmp.Compare(y.Questions, x.Questions); c != 0 {
			return c
		}
		if c := cmp.Compare(y.OpenTickets, x.OpenTickets); c != 0 {
			return c
		}
		return cmp.Compare(x.Name, y.Name)
	})
	return out
}

// percentile returns the p-th percentile (nearest rank) of ds; it sorts ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := (p*len(ds) + 99) / 100 // ceil(p/100 * n), 1-based
	return ds[max(i, 1)-1]
}
