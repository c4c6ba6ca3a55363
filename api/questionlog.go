package api

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
)

// The question log (issue 9): every search and every answer is written to
// the store through handbook.Hotline.Log, which masks personal data first.
// The log never fails a request: when the store is down the entry is lost
// and a warning logged.
//
// The search page searches as the user types (app.js). Logging each
// keystroke would fill the log with "d", "da", "dang"…, so those requests
// (same-origin fetches) wait in a per-browser slot for liveSearchDelay: a
// newer query that extends or shortens the waiting one replaces it, any
// other query writes it out. Other searches are written at once and their
// log id is returned in the X-Question-Id header, for feedback.

// liveSearchDelay is how long a typed query waits for the next keystroke.
const liveSearchDelay = 4 * time.Second

// questionIDHeader carries the id of the log entry of a search or answer.
const questionIDHeader = "X-Question-Id"

type questionLog struct {
	s     *Server
	delay time.Duration

	mu      sync.Mutex
	pending map[string]*pendingQuestion
}

type pendingQuestion struct {
	q      handbook.Question
	folded string
	timer  *time.Timer
	ctx    context.Context
}

func newQuestionLog(s *Server) *questionLog {
	return &questionLog{s: s, delay: liveSearchDelay, pending: map[string]*pendingQuestion{}}
}

// logSearch records a search; res nil (a failed search) is not logged.
func (s *Server) logSearch(c echo.Context, res *handbook.SearchResult) {
	if res == nil || s.hotline == nil {
		return
	}
	q := handbook.Question{Source: handbook.SourceSearch, Query: res.Query.Raw, Hits: len(res.Hits),
		Answerable: res.Answerable, Latency: res.Took}
	for _, h := range res.Hits {
		q.Results = append(q.Results, h.DocID+"#"+h.Anchor)
	}
	s.record(c, q, liveSearch(c))
}

// logAsk records an answer.
func (s *Server) logAsk(c echo.Context, question string, a *handbook.Answer) {
	if a == nil || s.hotline == nil {
		return
	}
	q := handbook.Question{Source: handbook.SourceAsk, Query: question, Answerable: a.Answerable, Latency: a.Took}
	add := func(doc, anchor string) {
		r := doc + "#" + anchor
		for _, x := range q.Results {
			if x == r {
				return
			}
		}
		q.Results = append(q.Results, r)
	}
	if a.Procedure != nil {
		add(a.Procedure.Doc, "")
	}
	for _, ct := range a.Citations {
		add(ct.Doc, ct.Anchor)
	}
	for _, h := range a.Nearest {
		add(h.DocID, h.Anchor)
	}
	q.Hits = len(q.Results)
	s.record(c, q, false)
}

// liveSearch reports a search fetched by the page's script as the user
// types (a same-origin fetch, not a navigation or an integration).
func liveSearch(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("Sec-Fetch-Site") == "same-origin" && h.Get("Sec-Fetch-Mode") == "cors" &&
		strings.HasPrefix(c.Request().URL.Path, "/api/")
}

func (s *Server) record(c echo.Context, q handbook.Question, live bool) {
	u := callerUser(c)
	q.Role = handbook.RoleOf(u)
	if u != nil {
		q.UserID = u.ID
	}
	q.Time = s.opt.Now()
	// The entry outlives the request (a user who closes the tab still
	// asked), so it gets its own short deadline.
	ctx := context.WithoutCancel(c.Request().Context())
	if live {
		s.qlog.hold(clientKey(c), q, ctx)
		return
	}
	if id := s.qlog.write(ctx, q); id != 0 {
		c.Response().Header().Set(questionIDHeader, strconv.FormatInt(id, 10))
	}
}

// clientKey identifies a browser for the live-search slot: its session, or
// its address and user agent.
func clientKey(c echo.Context) string {
	if ck, err := c.Request().Cookie(sessionCookie); err == nil && ck.Value != "" {
		return "s" + handbook.HashSecret(ck.Value)
	}
	return "a" + handbook.HashSecret(clientIP(c.Request())+"\x00"+c.Request().UserAgent())
}

func (l *questionLog) write(ctx context.Context, q handbook.Question) int64 {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := l.s.hotline.Log(ctx, &q); err != nil {
		l.s.log.Warn("write question log", "err", err)
		return 0
	}
	return q.ID
}

// hold parks a live-search entry for key (see the comment at the top).
func (l *questionLog) hold(key string, q handbook.Question, ctx context.Context) {
	folded := strings.Join(handbook.FoldedSyllables(q.Query), " ")
	var done *pendingQuestion // a finished question to write out
	l.mu.Lock()
	if p := l.pending[key]; p != nil {
		p.timer.Stop()
		delete(l.pending, key)
		if !strings.HasPrefix(folded, p.folded) && !strings.HasPrefix(p.folded, folded) {
			done = p
		}
	}
	p := &pendingQuestion{q: q, folded: folded, ctx: ctx}
	p.timer = time.AfterFunc(l.delay, func() { l.flushKey(key, p) })
	l.pending[key] = p
	l.mu.Unlock()
	if done != nil {
		l.write(done.ctx, done.q)
	}
}

func (l *questionLog) flushKey(key string, p *pendingQuestion) {
	l.mu.Lock()
	if l.pending[key] != p {
		l.mu.Unlock()
		return
	}
	delete(l.pending, key)
	l.mu.Unlock()
	l.write(p.ctx, p.q)
}

// flush writes every waiting entry now (at shutdown and in tests).
func (l *questionLog) flush() {
	l.mu.Lock()
	var ps []*pendingQuestion
	for k, p := range l.pending {
		p.timer.Stop()
		ps = append(ps, p)
		delete(l.pending, k)
	}
	l.mu.Unlock()
	for _, p := range ps {
		l.write(p.ctx, p.q)
	}
}
