package api

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
)

type askPage struct {
	base
	Question string
	Form     string
	// Available is set when the server has an Assistant; app.js then
	// streams answers from /api/v1/ask/stream instead of posting the form.
	Available bool
	Error     string
	Answer    *answerView
	// ConversationID and Focus go back with the next question, so that a
	// follow-up ("thế lệ phí bao nhiêu?") stays on the procedure of this
	// answer, titled FocusTitle.
	ConversationID, Focus, FocusTitle string
	// Tickets is set when the server keeps tickets: an unanswered question
	// can then be sent to the owning department (/tickets?q=).
	Tickets bool
	// Feedback and Escalate are the hotline forms under the answer
	// (api/hotline.go); nil without a store, Escalate nil for the public.
	Feedback *feedbackForm
	Escalate *escalateForm
}

// answerView is an answer as the page shows it. The text is kept as
// segments (plain text or a citation marker), so that markers become links
// without any HTML built by hand.
type answerView struct {
	Paragraphs [][]answerSegment
	Citations  []citationView
	Procedure  *handbook.Card
	Nearest    []hitView
	Referral   string
	// TicketURL opens the ticket form with the unanswered question.
	TicketURL  string
	Notice     string
	Answerable bool
	Mode       string
}

type answerSegment struct {
	Text string
	N    int // citation marker [N] when > 0
}

type citationView struct {
	N                 int
	Label, URL, Quote string
}

var markerRE = regexp.MustCompile(`\[(\d{1,2})\]`)

// pageAsk renders /ask. Without JavaScript the form posts here and the
// answer is rendered on the server; with it, app.js streams the answer from
// /api/v1/ask/stream (SSE) into the same page. GET /ask?q= answers too, so
// that a question can be linked.
func (s *Server) pageAsk(c echo.Context) error {
	data := askPage{
		base:      base{Title: "Hỏi nhanh", Nav: "ask"},
		Question:  strings.TrimSpace(c.FormValue("q")),
		Form:      c.FormValue("form"),
		Available: s.opt.Assistant != nil,
		Tickets:   s.opt.Store != nil,
	}
	if data.Form != string(handbook.FormFull) {
		data.Form = string(handbook.FormShort)
	}
	if data.Question == "" {
		if c.Request().Method == http.MethodPost {
			data.Error = "Vui lòng nhập câu hỏi."
			return s.page(c, http.StatusBadRequest, "ask", data)
		}
		if data.Available {
			data.Feedback, data.Escalate = s.hotlineForms(c, "ask", "", false) // for answers app.js streams
		}
		return s.page(c, http.StatusOK, "ask", data)
	}
	data.Title = clip(data.Question, 60) + " – Hỏi nhanh"
	req, err := s.askRequest(c, askJSON{Question: data.Question, Form: data.Form,
		ConversationID: c.FormValue("conversation_id"), Focus: c.FormValue("focus")})
	if err != nil {
		data.Error = handbook.ErrorMessage(err)
		return s.page(c, statusOf(err), "ask", data)
	}
	a, err := s.assistant()
	if err != nil {
		data.Error = handbook.ErrorMessage(err)
		return s.page(c, statusOf(err), "ask", data)
	}
	ans, err := a.Ask(c.Request().Context(), req)
	if err != nil {
		if handbook.ErrorCode(err) == handbook.Internal || c.Request().Context().Err() != nil {
			return err
		}
		data.Error = handbook.ErrorMessage(err)
		return s.page(c, statusOf(err), "ask", data)
	}
	s.logAnswer(c, req.Question, ans)
	data.Answer = answerViewOf(ans)
	data.Feedback, data.Escalate = s.hotlineForms(c, "ask", req.Question, !ans.Answerable)
	// Officials get the form to send the question on (Escalate); anyone
	// else a link to the ticket form.
	if !ans.Answerable && data.Tickets && data.Escalate == nil {
		data.Answer.TicketURL = "/tickets?" + url.Values{"q": {req.Question}}.Encode()
	}
	data.ConversationID, data.Focus = ans.ConversationID, ans.Focus
	if p := ans.Procedure; p != nil && p.Doc == ans.Focus {
		data.FocusTitle = p.Title
	}
	return s.page(c, http.StatusOK, "ask", data)
}

func answerViewOf(a *handbook.Answer) *answerView {
	v := &answerView{Procedure: a.Procedure, Notice: a.Notice, Answerable: a.Answerable, Mode: a.ModeUsed}
	for _, para := range strings.Split(strings.ReplaceAll(a.Text, "\r", ""), "\n") {
		if para = strings.TrimSpace(para); para != "" {
			v.Paragraphs = append(v.Paragraphs, segments(para, len(a.Citations)))
		}
	}
	for i, c := range a.Citations {
		u := c.URL
		if !strings.HasPrefix(u, "/docs/") {
			u = docURL(c.Doc, c.Anchor)
		}
		v.Citations = append(v.Citations, citationView{N: i + 1, Label: c.Label, URL: u, Quote: c.Quote})
	}
	for _, h := range a.Nearest {
		v.Nearest = append(v.Nearest, hitView{URL: docURL(h.DocID, h.Anchor), Title: h.Title, Heading: h.Heading, Kind: h.Kind, Validity: h.Validity})
	}
	if a.Referral != nil {
		v.Referral = a.Referral.Message
	}
	return v
}

// segments splits a paragraph at citation markers [n] that name one of the
// answer's citations; other brackets stay text.
func segments(p string, citations int) []answerSegment {
	var out []answerSegment
	last := 0
	for _, m := range markerRE.FindAllStringSubmatchIndex(p, -1) {
		n, _ := strconv.Atoi(p[m[2]:m[3]])
		if n < 1 || n > citations {
			continue
		}
		if m[0] > last {
			out = append(out, answerSegment{Text: p[last:m[0]]})
		}
		out = append(out, answerSegment{N: n})
		last = m[1]
	}
	if last < len(p) {
		out = append(out, answerSegment{Text: p[last:]})
	}
	return out
}
