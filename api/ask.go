package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
)

// The answers API (issue 6):
//
//	POST /api/v1/ask          {"question","mode","form","conversation_id","focus","history"} → answer JSON
//	GET  /api/v1/ask/stream?question=&mode=&form=&conversation_id=&focus=   → text/event-stream
//
// A follow-up ("thế lệ phí bao nhiêu?") stays on the procedure of the
// previous answer: by conversation_id (kept in this process's memory), or
// by focus, the previous answer's "focus" sent back by the client, which
// survives a restart or another replica behind the load balancer. The
// focus is re-checked against what the caller may see.
//
// The stream sends, in order:
//
//	event: meta      the answer without its text (mode_used, answerable,
//	                 procedure, nearest, referral, notice, conversation_id);
//	                 a later meta with "replace":true means: discard the text
//	                 shown so far, what follows replaces it (the LLM answer
//	                 failed verification or the LLM failed mid-answer)
//	event: citation  {"n","doc","anchor","label","quote","url"}, before the
//	                 first delta that uses marker [n]
//	event: delta     {"text"}: the next verified piece of the answer
//	event: done      the whole answer, exactly as POST /api/v1/ask returns it
//	event: error     {"code","message"} when the answer fails after the stream began
//
// and a ": ping" comment every 15 s so that proxies keep the connection.
// Bad input (empty or over-long question, unknown parameter) is a plain
// 400 JSON error before any event, like every other /api/v1 error.

// streamTimeout bounds one answer stream; the LLM call inside is bounded by
// -llm-timeout, this only stops a stream that would otherwise never end.
const streamTimeout = 3 * time.Minute

// heartbeatInterval is how often an idle stream sends a comment line.
const heartbeatInterval = 15 * time.Second

// maxHistory bounds the history a client may send with a question.
const maxHistory = 10

var conversationIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// maxFocusLength bounds a document id sent back as the focus.
const maxFocusLength = 300

type askJSON struct {
	Question       string        `json:"question"`
	Mode           string        `json:"mode"`
	Form           string        `json:"form"`
	ConversationID string        `json:"conversation_id"`
	Focus          string        `json:"focus"`
	History        []historyJSON `json:"history"`
}

// historyJSON is one earlier turn as the client remembers it: the question
// and the procedure the answer was about (its "focus").
type historyJSON struct {
	Question string `json:"question"`
	Doc      string `json:"doc"`
}

type citationJSON struct {
	N      int    `json:"n"`
	Doc    string `json:"doc"`
	Anchor string `json:"anchor"`
	Label  string `json:"label"`
	Quote  string `json:"quote"`
	URL    string `json:"url"`
}

type answerJSON struct {
	Answer         string              `json:"answer"`
	ModeUsed       string              `json:"mode_used"`
	Answerable     bool                `json:"answerable"`
	Form           handbook.AnswerForm `json:"form"`
	Citations      []citationJSON      `json:"citations"`
	Procedure      *handbook.Card      `json:"procedure"`
	Aspect         handbook.Aspect     `json:"aspect,omitempty"`
	Nearest        []hitJSON           `json:"nearest,omitempty"`
	Referral       *handbook.Referral  `json:"referral,omitempty"`
	Notice         string              `json:"notice,omitempty"`
	Fallback       string              `json:"fallback,omitempty"`
	PromptVersion  string              `json:"prompt_version,omitempty"`
	ConversationID string              `json:"conversation_id,omitempty"`
	Focus          string              `json:"focus,omitempty"`
	TookMS         float64             `json:"took_ms"`
}

type metaJSON struct {
	answerJSON
	Replace bool `json:"replace,omitempty"`
}

// doneJSON is the last event of a stream: the answer and the id of its
// question log entry (absent when the log did not take it yet), which
// feedback names.
type doneJSON struct {
	answerJSON
	QuestionID int64 `json:"question_id,omitempty"`
}

func toCitationJSON(n int, c handbook.Citation) citationJSON {
	return citationJSON{N: n, Doc: c.Doc, Anchor: c.Anchor, Label: c.Label, Quote: c.Quote, URL: c.URL}
}

func toAnswerJSON(a *handbook.Answer) answerJSON {
	out := answerJSON{
		Answer: a.Text, ModeUsed: a.ModeUsed, Answerable: a.Answerable, Form: a.Form, Citations: []citationJSON{},
		Procedure: a.Procedure, Aspect: a.Aspect, Referral: a.Referral, Notice: a.Notice, Fallback: a.Fallback,
		PromptVersion: a.PromptVersion, ConversationID: a.ConversationID, Focus: a.Focus,
		TookMS: float64(a.Took.Microseconds()) / 1000,
	}
	for i, c := range a.Citations {
		out.Citations = append(out.Citations, toCitationJSON(i+1, c))
	}
	for _, h := range a.Nearest {
		out.Nearest = append(out.Nearest, hitJSON{
			Doc: h.DocID, Anchor: h.Anchor, Title: h.Title, Heading: h.Heading, Kind: h.Kind, Field: h.Field,
			Snippet: h.Snippet, Score: round(h.Score), URL: docURL(h.DocID, h.Anchor), Validity: h.Validity,
		})
	}
	return out
}

// assistant returns the configured Assistant once the index is ready.
func (s *Server) assistant() (*handbook.Assistant, error) {
	if s.opt.Assistant == nil {
		return nil, handbook.Errorf(handbook.Unavailable, "Chức năng hỏi đáp chưa được bật trên máy chủ này.", "no assistant configured")
	}
	if !s.opt.Ready() {
		return nil, handbook.Errorf(handbook.Unavailable, "Chỉ mục đang được xây dựng, vui lòng thử lại sau.", "index not ready")
	}
	return s.opt.Assistant, nil
}

// askRequest turns the client's fields into a request with the caller's
// audience and today's date.
func (s *Server) askRequest(c echo.Context, in askJSON) (handbook.AskRequest, error) {
	req := handbook.AskRequest{
		Question: in.Question,
		Mode:     handbook.AskMode(strings.TrimSpace(in.Mode)),
		Form:     handbook.AnswerForm(strings.TrimSpace(in.Form)),
		Filter:   handbook.Filter{Audience: callerAudience(c), At: handbook.Today(s.opt.Now())},
	}
	if strings.TrimSpace(in.Question) == "" {
		return req, handbook.Errorf(handbook.Invalid, "Vui lòng nhập câu hỏi.", "empty question")
	}
	if id := in.ConversationID; id != "" {
		if !conversationIDRE.MatchString(id) {
			return req, handbook.Errorf(handbook.Invalid, "Mã hội thoại không hợp lệ (tối đa 64 chữ, số, - hoặc _).", "bad conversation id")
		}
		req.Conversation.ID = id
	}
	if len(in.History) > maxHistory {
		return req, handbook.Errorf(handbook.Invalid, fmt.Sprintf("Lịch sử hội thoại quá dài (tối đa %d lượt).", maxHistory), "history of %d turns", len(in.History))
	}
	for _, h := range in.History {
		if len([]rune(h.Question)) > handbook.MaxQuestionLength || len(h.Doc) > maxFocusLength {
			return req, handbook.Errorf(handbook.Invalid, "Một lượt trong lịch sử hội thoại quá dài.", "history turn too long")
		}
		if q := handbook.NormalizeLine(h.Question); q != "" {
			req.Conversation.History = append(req.Conversation.History, q)
		}
		if h.Doc != "" {
			req.Conversation.Focus = strings.Trim(h.Doc, "/")
		}
	}
	if f := strings.TrimSpace(in.Focus); f != "" {
		if len(f) > maxFocusLength {
			return req, handbook.Errorf(handbook.Invalid, "Mã thủ tục đang hỏi tiếp không hợp lệ.", "focus of %d bytes", len(f))
		}
		req.Conversation.Focus = strings.Trim(f, "/")
	}
	return req, nil
}

// apiAsk answers POST /api/v1/ask.
func (s *Server) apiAsk(c echo.Context) error {
	if err := rejectUnknown(c.QueryParams()); err != nil {
		return err
	}
	in, err := decodeAsk(c.Request())
	if err != nil {
		return err
	}
	req, err := s.askRequest(c, in)
	if err != nil {
		return err
	}
	a, err := s.assistant()
	if err != nil {
		return err
	}
	ans, err := a.Ask(c.Request().Context(), req)
	if err != nil {
		return err
	}
	s.logAnswer(c, req.Question, ans)
	return c.JSON(http.StatusOK, toAnswerJSON(ans))
}

// decodeAsk reads the JSON body with messages a person can act on.
func decodeAsk(r *http.Request) (askJSON, error) {
	var in askJSON
	mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON {
		return in, handbook.Errorf(handbook.Invalid, `Vui lòng gửi câu hỏi dạng JSON (Content-Type: application/json), ví dụ {"question":"làm giấy khai sinh cần gì"}.`,
			"content type %q", r.Header.Get(echo.HeaderContentType))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil {
		return in, fmt.Errorf("read ask body: %w", err)
	}
	if len(body) > 64<<10 {
		return in, handbook.Errorf(handbook.Invalid, "Dữ liệu gửi lên quá lớn.", "ask body over 64 KiB")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return in, handbook.Errorf(handbook.Invalid, `Vui lòng gửi câu hỏi dạng JSON, ví dụ {"question":"làm giấy khai sinh cần gì"}.`, "empty body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return in, handbook.Errorf(handbook.Invalid, "Trường không được hỗ trợ: "+strings.Trim(name, `"`)+".", "unknown field %s", name)
		}
		return in, handbook.Errorf(handbook.Invalid, "Dữ liệu JSON không hợp lệ.", "decode ask body: %w", err)
	}
	if dec.More() {
		return in, handbook.Errorf(handbook.Invalid, "Dữ liệu JSON không hợp lệ.", "trailing data after ask body")
	}
	return in, nil
}

// apiAskStream answers GET /api/v1/ask/stream as server-sent events.
func (s *Server) apiAskStream(c echo.Context) error {
	v := c.QueryParams()
	if err := rejectUnknown(v, "question", "mode", "form", "conversation_id", "focus"); err != nil {
		return err
	}
	req, err := s.askRequest(c, askJSON{Question: v.Get("question"), Mode: v.Get("mode"), Form: v.Get("form"),
		ConversationID: v.Get("conversation_id"), Focus: v.Get("focus")})
	if err != nil {
		return err
	}
	a, err := s.assistant()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), streamTimeout)
	defer cancel()
	st := &sseStream{c: c}
	defer st.stop()
	err = a.AskStream(ctx, req, func(e handbook.Event) error {
		if e.Type == handbook.EventDone {
			// Logged before the event goes out, so that it can carry the
			// log id the page sends feedback with.
			s.logAnswer(c, req.Question, e.Answer)
			return st.send(e.Type, doneJSON{answerJSON: toAnswerJSON(e.Answer), QuestionID: loggedQuestion(c)})
		}
		return st.event(e)
	})
	switch {
	case err == nil:
		return nil
	case !st.started:
		return err // nothing sent yet: an ordinary JSON error
	case c.Request().Context().Err() != nil:
		return nil // the client went away
	}
	s.log.Warn("answer stream failed", "err", err, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	st.send("error", map[string]string{"code": string(handbook.ErrorCode(err)), "message": handbook.ErrorMessage(err)})
	return nil
}

// sseStream writes events; the headers go out with the first event, so that
// errors found before it are ordinary JSON errors.
type sseStream struct {
	c       echo.Context
	mu      sync.Mutex // the heartbeat writes concurrently with events
	started bool
	done    chan struct{}
}

func (st *sseStream) start() {
	h := st.c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	st.c.Response().WriteHeader(http.StatusOK)
	st.started = true
	st.done = make(chan struct{})
	go st.heartbeat(st.done)
}

func (st *sseStream) heartbeat(done <-chan struct{}) {
	t := time.NewTicker(heartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-st.c.Request().Context().Done():
			return
		case <-t.C:
			st.mu.Lock()
			_, err := io.WriteString(st.c.Response(), ": ping\n\n")
			if err == nil {
				st.c.Response().Flush()
			}
			st.mu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

func (st *sseStream) stop() {
	if st.done != nil {
		st.mu.Lock()
		close(st.done)
		st.done = nil
		st.mu.Unlock()
	}
}

func (st *sseStream) event(e handbook.Event) error {
	switch e.Type {
	case handbook.EventMeta:
		return st.send(e.Type, metaJSON{answerJSON: toAnswerJSON(e.Answer), Replace: e.Replace})
	case handbook.EventDelta:
		return st.send(e.Type, map[string]string{"text": e.Text})
	case handbook.EventCitation:
		return st.send(e.Type, toCitationJSON(e.N, *e.Citation))
	case handbook.EventDone:
		return st.send(e.Type, toAnswerJSON(e.Answer))
	case handbook.EventError:
		return st.send(e.Type, map[string]string{"code": string(handbook.ErrorCode(e.Err)), "message": handbook.ErrorMessage(e.Err)})
	}
	return nil
}

func (st *sseStream) send(event string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", event, err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.started {
		st.start()
	}
	if _, err := fmt.Fprintf(st.c.Response(), "event: %s\ndata: %s\n\n", event, b); err != nil {
		return fmt.Errorf("write %s event: %w", event, err)
	}
	st.c.Response().Flush()
	return nil
}

// logAnswer logs one answer. The question may hold personal data: its text
// is logged at Debug only (masked like the question log), its length and a
// short hash otherwise.
func (s *Server) logAnswer(c echo.Context, question string, a *handbook.Answer) {
	if a == nil {
		return
	}
	s.logAsk(c, question, a) // question log (api/questionlog.go)
	q := handbook.NormalizeLine(question)
	sum := sha256.Sum256([]byte(q))
	attrs := []any{"mode_used", a.ModeUsed, "answerable", a.Answerable, "citations", len(a.Citations),
		"prompt_version", a.PromptVersion, "question_len", len([]rune(q)), "question_hash", hex.EncodeToString(sum[:])[:12],
		"took", a.Took, "request_id", c.Response().Header().Get(echo.HeaderXRequestID)}
	s.log.Debug("question", "text", handbook.MaskPII(q), "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	if a.Fallback != "" && a.Fallback != handbook.FallbackNotConfigured {
		s.log.Warn("answer fell back to quoting the sources", append(attrs, "fallback", a.Fallback, "detail", a.FallbackDetail)...)
		return
	}
	s.log.Info("answer", append(attrs, "fallback", a.Fallback)...)
}
