package api

import (
	"net/http/httptest"

	"github.com/labstack/echo/v4"
)

// FlushQuestionLog writes the live-search entries that wait for the next
// keystroke, so that tests need not sleep.
func FlushQuestionLog(s *Server) { s.qlog.flush() }

// SetQuestionSpoolLimits changes the bounds of the question spool (10,000
// entries in memory, 50 MB of file) so that tests can fill it.
func SetQuestionSpoolLimits(s *Server, entries int, fileBytes int64) {
	sp := s.qlog.spool
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.maxMem, sp.maxBytes = entries, fileBytes
}

// Routes lists the registered routes as method and path pattern, for the
// tests that must reach every one of them.
func Routes(s *Server) [][2]string {
	var out [][2]string
	for _, r := range s.echo.Routes() {
		out = append(out, [2]string{r.Method, r.Path})
	}
	return out
}

// RouteOf returns the route pattern that a request for method and target
// reaches ("" for none).
func RouteOf(s *Server, method, target string) string {
	req := httptest.NewRequest(method, target, nil)
	c := s.echo.NewContext(req, httptest.NewRecorder())
	s.echo.Router().Find(method, echo.GetPath(req), c)
	return c.Path()
}
