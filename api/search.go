package api

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
)

type hitJSON struct {
	Doc      string            `json:"doc"`
	Anchor   string            `json:"anchor"`
	Title    string            `json:"title"`
	Heading  string            `json:"heading"`
	Kind     handbook.Kind     `json:"kind"`
	Field    string            `json:"field,omitempty"`
	Snippet  string            `json:"snippet"`
	Score    float64           `json:"score"`
	URL      string            `json:"url"`
	Validity handbook.Validity `json:"validity"`
}

type searchJSON struct {
	Query      string    `json:"query"`
	TookMS     float64   `json:"took_ms"`
	Answerable bool      `json:"answerable"`
	Mode       string    `json:"mode"`
	Notice     string    `json:"notice,omitempty"`
	At         string    `json:"at"`
	Hits       []hitJSON `json:"hits"`
}

var searchParams = []string{"q", "limit", "kind", "field", "at", "all"}

// parseSearch reads and validates search parameters; the same rules serve
// the API and the search page.
func (s *Server) parseSearch(c echo.Context, strict bool) (handbook.SearchRequest, error) {
	v := c.QueryParams()
	if strict {
		if err := rejectUnknown(v, searchParams...); err != nil {
			return handbook.SearchRequest{}, err
		}
	}
	req := handbook.SearchRequest{
		Query:  v.Get("q"),
		Filter: handbook.Filter{Audience: callerAudience(c), At: handbook.Today(s.opt.Now())},
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > handbook.MaxLimit {
			return req, handbook.Errorf(handbook.Invalid, "Tham số limit phải là số từ 1 đến 50.", "bad limit %q", l)
		}
		req.Limit = n
	}
	for _, k := range v["kind"] {
		for _, k := range strings.Split(k, ",") {
			if k = strings.TrimSpace(k); k == "" {
				continue
			}
			kind := handbook.Kind(k)
			if !validKind(kind) {
				return req, handbook.Errorf(handbook.Invalid, "Loại nội dung không hợp lệ: dùng procedure, regulation, guide, faq hoặc template.", "bad kind %q", k)
			}
			req.Filter.Kinds = append(req.Filter.Kinds, kind)
		}
	}
	if f := v.Get("field"); f != "" {
		if len(f) > 200 {
			return req, handbook.Errorf(handbook.Invalid, "Tham số field quá dài.", "field of %d bytes", len(f))
		}
		req.Filter.Field = f
	}
	if at := v.Get("at"); at != "" {
		d, err := handbook.ParseDate(at)
		if err != nil {
			return req, handbook.Errorf(handbook.Invalid, "Ngày tra cứu phải có dạng YYYY-MM-DD, ví dụ 2025-07-01.", "bad at %q", at)
		}
		req.Filter.At = d
	}
	if a := v.Get("all"); a != "" {
		b, err := strconv.ParseBool(a)
		if err != nil {
			return req, handbook.Errorf(handbook.Invalid, "Tham số all phải là true hoặc false.", "bad all %q", a)
		}
		req.Filter.AllDates = b
	}
	return req, nil
}

func validKind(k handbook.Kind) bool {
	for _, x := range handbook.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// rejectUnknown returns an Invalid error naming parameters not in allowed.
func rejectUnknown(v url.Values, allowed ...string) error {
	var bad []string
	for k := range v {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return handbook.Errorf(handbook.Invalid, "Tham số không được hỗ trợ: "+strings.Join(bad, ", ")+".", "unknown parameters %q", bad)
}

func (s *Server) search(c echo.Context, req handbook.SearchRequest) (*handbook.SearchResult, error) {
	if s.opt.Retriever == nil || !s.opt.Ready() {
		return nil, handbook.Errorf(handbook.Unavailable, "Chỉ mục đang được xây dựng, vui lòng thử lại sau.", "index not ready")
	}
	res, err := s.opt.Retriever.Search(c.Request().Context(), req)
	if res != nil && res.VectorErr != nil {
		// The reader sees res.Degraded; the operator needs the cause. The
		// retriever then skips the vector path for a while, so this is
		// logged once per outage, not once per search.
		s.log.Warn("semantic search unavailable, answering from keywords", "err", res.VectorErr)
	}
	s.logSearch(c, res) // question log (api/questionlog.go)
	return res, err
}

func (s *Server) apiSearch(c echo.Context) error {
	req, err := s.parseSearch(c, true)
	if err != nil {
		return err
	}
	res, err := s.search(c, req)
	if err != nil {
		return err
	}
	out := searchJSON{
		Query:      res.Query.Raw,
		TookMS:     float64(res.Took.Microseconds()) / 1000,
		Answerable: res.Answerable,
		Mode:       res.Mode,
		Notice:     res.Degraded,
		At:         req.Filter.At.String(),
		Hits:       make([]hitJSON, 0, len(res.Hits)),
	}
	for _, h := range res.Hits {
		out.Hits = append(out.Hits, hitJSON{
			Doc: h.DocID, Anchor: h.Anchor, Title: h.Title, Heading: h.Heading, Kind: h.Kind, Field: h.Field,
			Snippet: h.Snippet, Score: round(h.Score), URL: docURL(h.DocID, h.Anchor), Validity: h.Validity,
		})
	}
	b, ok := out.appendJSON(make([]byte, 0, 16<<10))
	if !ok {
		return c.JSON(http.StatusOK, out) // and its error
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(b)))
	return writeWhole(c.Response(), c.Request(), http.StatusOK, b)
}

func round(f float64) float64 { return float64(int64(f*10000+0.5)) / 10000 }

// docURL is the page of a document, with the anchor as fragment.
func docURL(id, anchor string) string {
	u := "/docs/" + id
	if anchor != "" {
		u += "#" + anchor
	}
	return u
}

type docJSON struct {
	*handbook.Document
	Validity handbook.Validity `json:"validity"`
	URL      string            `json:"url"`
}

func (s *Server) apiDoc(c echo.Context) error {
	if err := rejectUnknown(c.QueryParams(), "at"); err != nil {
		return err
	}
	id := strings.Trim(c.Param("*"), "/")
	d, err := s.doc(c, id)
	if err != nil {
		return err
	}
	day := handbook.Today(s.opt.Now())
	if at := c.QueryParam("at"); at != "" {
		if day, err = handbook.ParseDate(at); err != nil {
			return handbook.Errorf(handbook.Invalid, "Ngày tra cứu phải có dạng YYYY-MM-DD.", "bad at %q", at)
		}
	}
	full := *d // with its sections decoded (Document.SectionList)
	full.Sections = d.SectionList()
	return c.JSON(http.StatusOK, docJSON{Document: &full, Validity: d.ValidityAt(day), URL: docURL(d.ID, "")})
}

var _ = time.Now
