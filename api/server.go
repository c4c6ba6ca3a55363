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
	"net/netip"
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
	Tokens []string
	// TrustedProxies are the reverse proxies in front of the server whose
	// X-Forwarded-For names the real caller (api/auth.go, clientIP).
	TrustedProxies []netip.Prefix
	BaseURL        string
	RequestTimeout time.Duration
	// ModelTimeout bounds requests that wait for a language model (asking
	// and drafting); it is longer than RequestTimeout so that a slow local
	// model is not cut off before its own timeout makes us fall back.
	ModelTimeout time.Duration
	Logger       *slog.Logger
	Now          func() time.Time
	// Assistant answers questions (api/ask.go); nil disables /api/v1/ask.
	Assistant *handbook.Assistant
	// Store keeps accounts, sessions, API tokens, the question log and
	// tickets (api/auth.go, api/hotline.go); nil leaves only the public
	// site and the configured Tokens.
	Store handbook.Store
	// Promote writes a promoted FAQ page (path relative to the content
	// root, "faq/ho-tich/….md") and makes it searchable; nil (content
	// embedded in the binary) makes promotion fail with a clear message.
	Promote func(ctx context.Context, path string, data []byte) error
	// Departments maps a procedure field to the department that answers
	// tickets about it, for fields whose documents name no owner.
	Departments map[string]string
	// Sleep waits before a login attempt (the brute-force delay); tests
	// replace it. nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Drafter builds and checks administrative documents (api/drafts.go,
	// /drafts); nil turns drafting off. Docx writes and reads the .docx
	// files (handbook/docx, passed in by cmd/handbook).
	Drafter *handbook.Drafter
	Docx    DocxCodec
	// Drafts keeps drafts for a day where every replica sees them
	// (handbook/sqlite, handbook/postgres); nil keeps them in this
	// process's memory, lost on restart and invisible to other replicas.
	Drafts handbook.DraftStore
	// SpoolDir keeps question log entries that the Store did not take
	// (database down) until they are written (api/questionspool.go);
	// entries left by a previous run are written when Serve starts. Empty
	// keeps at most 10,000 entries in memory, lost on exit.
	SpoolDir string
}

// Server serves the API and the web UI.
type Server struct {
	opt   Options
	log   *slog.Logger
	echo  *echo.Echo
	views *views // parsed templates and static files (assets.go)

	hotline *handbook.Hotline // nil without a Store (api/hotline.go)
	qlog    *questionLog
	limiter *loginLimiter
	drafts  draftKeeper // api/drafts.go
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
	if opt.ModelTimeout < opt.RequestTimeout {
		opt.ModelTimeout = opt.RequestTimeout
	}
	if opt.Ready == nil {
		opt.Ready = func() bool { return true }
	}
	opt.BaseURL = strings.TrimRight(opt.BaseURL, "/")
	s := &Server{opt: opt, log: opt.Logger}
	views, err := loadViews(assets)
	if err != nil {
		return nil, err
	}
	s.views = views
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
// While it runs, spooled question log entries are written to the store as
// soon as it takes them; on return the waiting ones are tried once more and
// the rest stay in the spool for the next start.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stopLog := s.qlog.start(ctx)
	defer stopLog() // after Shutdown: the last requests may log
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnContext:       oneshotContext,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(oneshotListener{ln}) }()
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
	v1.POST("/ask", s.apiAsk)
	v1.GET("/ask/stream", s.apiAskStream)
	s.routesUI()
	s.routesHotline()
	s.routesDrafts(v1)
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
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.secureCookies() {
			// Served over https (BaseURL): browsers must not fall back to
			// http, where the session cookie could be read on the wire.
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// timeout bounds each request (streams set their own deadlines).
func (s *Server) timeout(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasSuffix(c.Request().URL.Path, "/stream") {
			return next(c)
		}
		limit := s.opt.RequestTimeout
		if p := c.Request().URL.Path; c.Request().Method == http.MethodPost &&
			(p == "/api/v1/ask" || p == "/ask" || p == "/api/v1/drafts" || p == "/drafts") {
			limit = s.opt.ModelTimeout
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), limit)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

type ctxKey int

const audienceKey ctxKey = iota

// audience decides once per request who the caller is and what they may
// see (api/auth.go, identify): a configured bearer token or an API token
// from the store, else a session cookie, else the public. Officials and
// above see internal content, everyone else public only. Every handler
// reads it through callerAudience and callerUser; nothing else decides.
// It also rejects state-changing requests without a valid CSRF token, and
// keeps pages for signed-in users out of shared caches.
func (s *Server) audience(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, bearer := s.identify(c)
		a := handbook.RoleOf(u).Audience()
		c.Set("audience", a)
		c.Set("user", u)
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), audienceKey, a)))
		s.privateResponses(c, u != nil)
		if err := s.checkCSRF(c, bearer); err != nil {
			return err
		}
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
