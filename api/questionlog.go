package api

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
)

// The question log (issue 9): every search and every answer is written to
// the store through handbook.Hotline.Log, which masks personal data first.
// The log never fails a request: when the store does not take an entry it
// goes to the spool (api/questionspool.go) and is written when the store is
// back, without an X-Question-Id since it has no id yet.
//
// The search page searches as the user types (app.js). Logging each
// keystroke would fill the log with "d", "da", "dang"…, so those requests
// (same-origin fetches) wait in a per-browser slot for liveSearchDelay: a
// newer query that extends or shortens the waiting one replaces it, any
// other query writes it out. Other searches are written at once and their
// log id is returned in the X-Question-Id header (and to the page that
// renders them), for feedback. Feedback on a live search names its query
// instead: commit writes the waiting entry at once, or finds the one
// written last for that browser.

// liveSearchDelay is how long a typed query waits for the next keystroke.
const liveSearchDelay = 4 * time.Second

// questionIDHeader carries the id of the log entry of a search or answer.
const questionIDHeader = "X-Question-Id"

type questionLog struct {
	s     *Server
	delay time.Duration
	spool *questionSpool
	// retry is signalled when a direct write succeeds while entries are
	// spooled: the store is back, so the replay need not wait its backoff.
	retry    chan struct{}
	replayMu sync.Mutex // one replay at a time: the loop, or shutdown

	mu      sync.Mutex
	pending map[string]*pendingQuestion
	// recent is the live search written last for each browser, so that
	// feedback sent after it left the slot still finds it.
	recent map[string]recentQuestion
}

type recentQuestion struct {
	folded string
	id     int64
	at     time.Time
}

// Bounds of the recent map: feedback comes within minutes of a search.
const (
	recentQuestionTTL = 30 * time.Minute
	recentQuestionMax = 10000
)

type pendingQuestion struct {
	key    string
	q      handbook.Question
	folded string
	timer  *time.Timer
	ctx    context.Context
}

func newQuestionLog(s *Server) *questionLog {
	return &questionLog{s: s, delay: liveSearchDelay, pending: map[string]*pendingQuestion{}, recent: map[string]recentQuestion{},
		spool: newQuestionSpool(s.opt.SpoolDir, s.log), retry: make(chan struct{}, 1)}
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

// questionIDKey is where record leaves the log id of the request's search
// or answer (0 when none was written yet) for the page that shows it.
const questionIDKey = "question_id"

// loggedQuestion returns the log id of the search or answer this request
// wrote, or 0.
func loggedQuestion(c echo.Context) int64 {
	id, _ := c.Get(questionIDKey).(int64)
	return id
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
		s.qlog.hold(s.clientKey(c), q, ctx)
		return
	}
	if id, _ := s.qlog.write(ctx, q); id != 0 {
		c.Set(questionIDKey, id)
		if !c.Response().Committed {
			c.Response().Header().Set(questionIDHeader, strconv.FormatInt(id, 10))
		}
	}
}

// clientKey identifies a browser for the live-search slot: its session, or
// its address and user agent.
func (s *Server) clientKey(c echo.Context) string {
	if ck, err := c.Request().Cookie(sessionCookie); err == nil && ck.Value != "" {
		return "s" + handbook.HashSecret(ck.Value)
	}
	return "a" + handbook.HashSecret(s.clientIP(c.Request())+"\x00"+c.Request().UserAgent())
}

// write stores q and returns its id; when the store fails, q is spooled
// (spooled true, id 0).
func (l *questionLog) write(ctx context.Context, q handbook.Question) (id int64, spooled bool) {
	ctx, cancel := context.WithTimeout(ctx, questionWriteTimeout)
	defer cancel()
	err := l.s.hotline.Log(ctx, &q)
	switch {
	case err == nil:
		if l.spool.len() > 0 {
			select {
			case l.retry <- struct{}{}:
			default:
			}
		}
		return q.ID, false
	case handbook.ErrorCode(err) == handbook.Invalid:
		l.s.log.Warn("drop invalid question log entry", "err", err)
		return 0, false
	}
	// Hotline.Log masked and completed q before the store failed.
	l.spoolEntry(q, err)
	return 0, true
}

func (l *questionLog) spoolEntry(q handbook.Question, err error) {
	n, where := l.spool.add(q)
	if where != "dropped" {
		l.s.log.Warn("store did not take question log entry, spooled", "err", err, "spool", where, "spooled", n)
	}
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
	p := &pendingQuestion{key: key, q: q, folded: folded, ctx: ctx}
	p.timer = time.AfterFunc(l.delay, func() { l.flushKey(key, p) })
	l.pending[key] = p
	l.mu.Unlock()
	if done != nil {
		l.writeLive(done)
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
	l.writeLive(p)
}

// writeLive writes a live-search entry that left its slot and remembers
// its id for the browser, for feedback that names the query.
func (l *questionLog) writeLive(p *pendingQuestion) (id int64, spooled bool) {
	id, spooled = l.write(p.ctx, p.q)
	if id == 0 {
		return id, spooled
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.recent) >= recentQuestionMax {
		for k, r := range l.recent {
			if now.Sub(r.at) > recentQuestionTTL || len(l.recent) >= recentQuestionMax {
				delete(l.recent, k)
			}
		}
	}
	l.recent[p.key] = recentQuestion{folded: p.folded, id: id, at: now}
	return id, spooled
}

// commit returns the log id of the live search query of browser key: the
// waiting entry, written now, or the one written last if it is the same
// query. 0 means there is none (or the store has not taken it yet).
func (l *questionLog) commit(key, query string) int64 {
	folded := strings.Join(handbook.FoldedSyllables(query), " ") // as hold folds it
	if folded == "" {
		return 0
	}
	l.mu.Lock()
	if p := l.pending[key]; p != nil && p.folded == folded {
		p.timer.Stop()
		delete(l.pending, key)
		l.mu.Unlock()
		id, _ := l.writeLive(p)
		return id
	}
	r, ok := l.recent[key]
	l.mu.Unlock()
	if ok && r.folded == folded && time.Since(r.at) <= recentQuestionTTL {
		return r.id
	}
	return 0
}

var errStoreFailedInFlush = errors.New("store failed earlier in this flush")

// flush writes every waiting entry now (at shutdown and in tests). Once
// the store fails, the rest go straight to the spool: at shutdown, a store
// that hangs would otherwise cost the write timeout for every entry.
func (l *questionLog) flush() {
	l.mu.Lock()
	var ps []*pendingQuestion
	for k, p := range l.pending {
		p.timer.Stop()
		ps = append(ps, p)
		delete(l.pending, k)
	}
	l.mu.Unlock()
	if l.s.hotline == nil {
		return
	}
	down := false
	for _, p := range ps {
		if down {
			// The spool masks the query; the replay's Hotline.Log
			// completes the entry as a direct write would have.
			l.spoolEntry(p.q, errStoreFailedInFlush)
			continue
		}
		_, down = l.writeLive(p)
	}
}

// start starts the spool replay (api/questionspool.go) and returns the
// function that stops it at shutdown, after the last request: it writes the
// waiting live-search entries, replays the spool once more and closes it.
// What the store does not take stays in the spool file for the next start.
func (l *questionLog) start(ctx context.Context) (stop func()) {
	if l.s.hotline == nil {
		return func() { l.flush() }
	}
	left := l.spool.open()
	if left > 0 {
		l.s.log.Info("question spool found, replaying", "entries", left)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.run(ctx, left)
	}()
	return func() {
		cancel()
		<-done
		l.flush()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), spoolShutdownTimeout)
		defer cancel()
		if l.spool.len() > 0 {
			l.replay(ctx)
		}
		l.spool.close()
	}
}
