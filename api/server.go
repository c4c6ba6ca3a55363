// Package api is the HTTP face of the handbook: the JSON API under /api/v1,
// the server-rendered Vietnamese web UI with embedded templates and static
// files, the one error→HTTP mapping and the access middleware. It imports
// handbook and echo; concrete stores and indexes arrive through Options.
package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Options are the dependencies of the server.
type Options struct {
	Retriever *handbook.Retriever
	// Library returns the current knowledge base (it is replaced on reload).
	Library func() *handbook.Library
	// Ready reports whether the index is built and serving.
	Ready func() bool
	// Tokens are bearer tokens whose holders may see internal content.
	Tokens         []string
	BaseURL        string
	RequestTimeout time.Duration
	Logger         *slog.Logger
	Now            func() time.Time
}

// Server serves the API and the web UI.
type Server struct {
	opt  Options
	log  *slog.Logger
	echo *echo.Echo
}

// New builds the server and its routes.
func New(opt Options) (*Server, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.RequestTimeout <= 0 {
		opt.RequestTimeout = 15 * time.Second
	}
	if opt.Ready == nil {
		opt.Ready = func() bool { return true }
	}
	opt.BaseURL = strings.TrimRight(opt.BaseURL, "/")
	s := &Server{opt: opt, log: opt.Logger}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.RequestID())
	e.Use(middleware.Recover())
	e.Use(s.securityHeaders)
	e.Use(middleware.BodyLimit("2M"))
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			// The query string may hold a citizen's personal data: log the path only.
			s.log.Info("request", "method", v.Method, "path", v.URIPath, "status", v.Status,
				"latency", v.Latency, "request_id", v.RequestID)
			return nil
		},
	}))
	e.Use(s.timeout)
	e.Use(s.audience)
	s.echo = e
	s.routes()
	return s, nil
}

// Handler returns the HTTP handler (for tests and custom servers).
func (s *Server) Handler() http.Handler { return s.echo }

// Serve listens on addr until ctx is done, then drains in-flight requests.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	v1 := e.Group("/api/v1")
	v1.GET("/search", s.apiSearch)
	v1.GET("/docs/*", s.apiDoc)
	s.routesUI()
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	if !s.opt.Ready() {
		return handbook.Errorf(handbook.Unavailable, "Chỉ mục đang được xây dựng, vui lòng thử lại sau.", "index not ready")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		return next(c)
	}
}

// timeout bounds each request (streams set their own deadlines).
func (s *Server) timeout(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasSuffix(c.Request().URL.Path, "/stream") {
			return next(c)
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.opt.RequestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

type ctxKey int

const audienceKey ctxKey = iota

// audience decides once per request what the caller may see: holders of a
// configured bearer token see internal content, everyone else public only.
// Every handler reads it through callerAudience; nothing else decides.
func (s *Server) audience(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a := handbook.AudiencePublic
		if tok, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer "); ok && s.validToken(tok) {
			a = handbook.AudienceInternal
		}
		c.Set("audience", a)
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), audienceKey, a)))
		return next(c)
	}
}

func (s *Server) validToken(tok string) bool {
	ok := false
	for _, t := range s.opt.Tokens {
		if t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			ok = true
		}
	}
	return ok
}

func callerAudience(c echo.Context) handbook.Audience {
	if a, ok := c.Get("audience").(handbook.Audience); ok {
		return a
	}
	return handbook.AudiencePublic
}

func (s *Server) library() *handbook.Library {
	if s.opt.Library == nil {
		return handbook.NewLibrary(nil, nil, nil)
	}
	return s.opt.Library()
}

// doc returns a document the caller may see; anything else is not found, so
// that internal documents are indistinguishable from missing ones.
func (s *Server) doc(c echo.Context, id string) (*handbook.Document, error) {
	d, ok := s.library().Doc(id)
	if !ok || !handbook.Visible(d, callerAudience(c)) {
		return nil, handbook.Errorf(handbook.NotFound, "Không tìm thấy nội dung yêu cầu.", "document %q not found or not visible", id)
	}
	return d, nil
}
