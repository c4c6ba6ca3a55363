package api

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
)

type searchPage struct {
	base
	Kind   string
	Field  string
	At     string
	Today  string
	Kinds  []handbook.Kind
	Fields []string
	// Searched is set when a query was run (even with no hits).
	Searched bool
	Hits     []hitView
	Notice   string
	// Error is the Vietnamese message when the search failed.
	Error string
	// Weak says the hits may not answer the query (Answerable false).
	Weak bool
	// Feedback and Escalate are the hotline forms under the results
	// (api/hotline.go); nil without a store, Escalate nil for the public.
	Feedback *feedbackForm
	Escalate *escalateForm
}

// hitView is a search hit as the page shows it.
type hitView struct {
	URL, Title, Heading string
	Kind                handbook.Kind
	Validity            handbook.Validity
	// Snippet is the only HTML taken from a hit: Snippet escapes the chunk
	// text and adds nothing but <mark> (handbook.Snippet).
	Snippet template.HTML
}

// pageSearch renders /search?q=&kind=&field=&at=. It works without
// JavaScript; with it, app.js fetches /api/v1/search as the user types and
// replaces the result list in place.
func (s *Server) pageSearch(c echo.Context) error {
	a := callerAudience(c)
	data := searchPage{
		base:   base{Title: "Tra cứu", Nav: "search"},
		Kinds:  handbook.Kinds,
		Fields: s.fieldNames(a),
		Today:  handbook.Today(s.opt.Now()).String(),
	}
	v := c.QueryParams()
	data.Q = strings.TrimSpace(v.Get("q"))
	data.Kind, data.Field, data.At = v.Get("kind"), v.Get("field"), v.Get("at")
	if _, err := time.Parse(time.DateOnly, data.At); err != nil {
		// A date input holds YYYY-MM-DD or nothing; the error message
		// below says what was wrong with what was typed.
		data.At = ""
	}
	if data.Q != "" {
		data.Title = data.Q + " – Tra cứu"
	}
	req, err := s.parseSearch(c, false)
	if err != nil {
		data.Error = handbook.ErrorMessage(err)
		return s.page(c, statusOf(err), "search", data)
	}
	if data.Q == "" {
		data.Feedback, data.Escalate = s.hotlineForms(c, "search", "", false)
		return s.page(c, http.StatusOK, "search", data)
	}
	req.Query = data.Q
	req.Limit = 20
	res, err := s.search(c, req)
	if err != nil {
		if handbook.ErrorCode(err) == handbook.Internal || c.Request().Context().Err() != nil {
			return err
		}
		data.Error = handbook.ErrorMessage(err)
		if handbook.ErrorCode(err) == handbook.Unavailable {
			c.Response().Header().Set("Retry-After", "5")
		}
		return s.page(c, statusOf(err), "search", data)
	}
	data.Searched = true
	data.Notice = res.Degraded
	data.Weak = len(res.Hits) > 0 && !res.Answerable
	data.Feedback, data.Escalate = s.hotlineForms(c, "search", data.Q, len(res.Hits) == 0 || !res.Answerable)
	for _, h := range res.Hits {
		data.Hits = append(data.Hits, hitView{
			URL: docURL(h.DocID, h.Anchor), Title: h.Title, Heading: h.Heading, Kind: h.Kind,
			Validity: h.Validity, Snippet: template.HTML(h.Snippet), // #nosec: escaped by handbook.Snippet
		})
	}
	return s.page(c, http.StatusOK, "search", data)
}

// statusOf is the HTTP status of err per the one table in errors.go.
func statusOf(err error) int {
	if st, ok := codes[handbook.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}
