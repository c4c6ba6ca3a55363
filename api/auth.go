package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
)

// Access control (issue 9). Who the caller is is decided once per request
// by the audience middleware (server.go), through identify:
//
//   - a bearer token: one of Options.Tokens (configured integrations, seen
//     as officials) or an API token from the store (its user's role);
//   - else the session cookie of a signed-in browser;
//   - else nobody: the public.
//
// A wrong token or an unknown session is the public, never an error, so
// that a stale cookie cannot break the public pages.
//
// Password hashing lives here because api is the one package that checks
// passwords, and STYLE.md §2 wants each third-party module (here
// golang.org/x/crypto) imported by one package; `handbook user` in
// cmd/handbook calls HashPassword. The stores keep the hash as an opaque
// string and never see a password.

const (
	sessionCookie = "sotay_session"
	csrfCookie    = "sotay_csrf"
	csrfField     = "_csrf"
	csrfHeader    = "X-CSRF-Token"
	// sessionTTL is one long working day: a shared PC at the one-stop desk
	// should not stay signed in overnight.
	sessionTTL = 12 * time.Hour
)

// Password limits. bcrypt reads at most 72 bytes; a longer password would be
// silently cut, so it is refused instead.
const (
	MinPasswordLength = 8
	maxPasswordBytes  = 72
)

// bcryptCost is bcrypt's default (2^10 rounds, tens of milliseconds on the
// commune PC): slow enough to make a stolen database costly to crack, fast
// enough that logins stay instant. The login limiter slows online guessing.
const bcryptCost = bcrypt.DefaultCost

// HashPassword returns the bcrypt hash stored for a password. It returns an
// Invalid error with a Vietnamese message for a password that is too short
// or too long.
func HashPassword(password string) (string, error) {
	if len([]rune(password)) < MinPasswordLength {
		return "", handbook.Errorf(handbook.Invalid, "Mật khẩu phải có ít nhất 8 ký tự.", "password too short")
	}
	if len(password) > maxPasswordBytes {
		return "", handbook.Errorf(handbook.Invalid, "Mật khẩu quá dài (tối đa 72 byte).", "password of %d bytes", len(password))
	}
	b, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// dummyHash is compared against when the username is unknown, so that a
// login takes as long whether or not the account exists.
var dummyHash = sync.OnceValue(func() []byte {
	b, _ := bcrypt.GenerateFromPassword([]byte("không có tài khoản này"), bcryptCost)
	return b
})

// checkPassword reports whether password matches u's hash; nil u still
// spends the time of one comparison.
func checkPassword(u *handbook.User, password string) bool {
	if u == nil || u.PasswordHash == "" || len(password) > maxPasswordBytes {
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil
}

// tokenUser is the caller behind one of the configured HANDBOOK_API_TOKENS:
// an integration that may read internal content, like an official.
var tokenUser = &handbook.User{Username: "api-token", Name: "Tích hợp (HANDBOOK_API_TOKENS)", Role: handbook.RoleOfficial}

// identify returns the caller (nil for the public) and whether they used a
// bearer token.
func (s *Server) identify(c echo.Context) (u *handbook.User, bearer bool) {
	r := c.Request()
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		tok = strings.TrimSpace(tok)
		if s.validToken(tok) {
			return tokenUser, true
		}
		if s.opt.Store != nil && tok != "" {
			u, err := s.opt.Store.TokenUser(r.Context(), handbook.HashSecret(tok))
			if err == nil {
				return u, true
			}
			if handbook.ErrorCode(err) != handbook.NotFound {
				s.log.Warn("look up api token", "err", err)
			}
		}
		return nil, true
	}
	if s.opt.Store == nil {
		return nil, false
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, false
	}
	u, _, err = s.opt.Store.SessionUser(r.Context(), handbook.HashSecret(ck.Value))
	if err != nil {
		if handbook.ErrorCode(err) != handbook.NotFound {
			s.log.Warn("look up session", "err", err)
		}
		return nil, false
	}
	return u, false
}

// callerUser returns the signed-in user, or nil for the public.
func callerUser(c echo.Context) *handbook.User {
	u, _ := c.Get("user").(*handbook.User)
	return u
}

// requireRole returns an error unless the caller has at least role min:
// Unauthorized for the public (the page handler turns it into a redirect
// to /login), Forbidden for a signed-in user without the role.
func requireRole(c echo.Context, min handbook.Role) (*handbook.User, error) {
	u := callerUser(c)
	if u == nil {
		return nil, handbook.Errorf(handbook.Unauthorized, "Vui lòng đăng nhập để tiếp tục.", "sign-in required")
	}
	if !handbook.RoleOf(u).AtLeast(min) {
		return nil, handbook.Errorf(handbook.Forbidden, "Tài khoản của bạn không có quyền xem trang này.", "%s needs %s", u.Role, min)
	}
	return u, nil
}

// secureCookies reports whether cookies get the Secure flag: when the site
// is served over https (BaseURL).
func (s *Server) secureCookies() bool { return strings.HasPrefix(s.opt.BaseURL, "https://") }

func (s *Server) setCookie(c echo.Context, name, value string, maxAge time.Duration) {
	ck := &http.Cookie{
		Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode,
	}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge / time.Second)
	} else if maxAge < 0 || value == "" {
		ck.MaxAge = -1
	}
	c.SetCookie(ck)
}

// csrfToken returns the caller's CSRF token for a form, setting the cookie
// that carries it when the browser has none yet (double-submit: a form
// from another site can neither read the cookie nor guess the token).
func (s *Server) csrfToken(c echo.Context) string {
	if v, ok := c.Get(csrfCookie).(string); ok {
		return v
	}
	if ck, err := c.Request().Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	return s.rotateCSRF(c)
}

// rotateCSRF gives the browser a new CSRF token (at sign-in and sign-out,
// so that a token planted before cannot be used after).
func (s *Server) rotateCSRF(c echo.Context) string {
	tok, _ := handbook.NewSecret()
	s.setCookie(c, csrfCookie, tok, 0) // a browser-session cookie
	c.Set(csrfCookie, tok)
	return tok
}

// checkCSRF rejects a state-changing request that may come from another
// site: it must carry the CSRF token (form field _csrf or header
// X-CSRF-Token) matching the cookie, or be marked same-origin by the
// browser (Sec-Fetch-Site, Origin). Requests with a bearer token are
// exempt, and so are requests without a session cookie (they act with no
// one's authority), except the login form itself (login CSRF would sign
// the victim into the attacker's account).
func (s *Server) checkCSRF(c echo.Context, bearer bool) error {
	r := c.Request()
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return nil
	}
	if bearer {
		return nil
	}
	if _, err := r.Cookie(sessionCookie); err != nil && r.URL.Path != "/login" {
		return nil
	}
	sent := r.Header.Get(csrfHeader)
	if sent == "" {
		sent = c.FormValue(csrfField)
	}
	if ck, err := r.Cookie(csrfCookie); err == nil && ck.Value != "" && sent != "" &&
		subtle.ConstantTimeCompare([]byte(ck.Value), []byte(sent)) == 1 {
		return nil
	}
	if s.sameOrigin(r) {
		return nil
	}
	return handbook.Errorf(handbook.Forbidden,
		"Biểu mẫu đã hết hạn hoặc không gửi từ trang của Sổ tay (thiếu mã chống giả mạo). Vui lòng tải lại trang và thử lại.",
		"csrf check failed on %s %s", r.Method, r.URL.Path)
}

// sameOrigin reports whether the browser says the request comes from this
// site: Sec-Fetch-Site: same-origin, or an Origin header naming this host.
func (s *Server) sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return false
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	if u.Host == r.Host {
		return true
	}
	if b, err := url.Parse(s.opt.BaseURL); err == nil && b.Host != "" && strings.EqualFold(b.Host, u.Host) && b.Scheme == u.Scheme {
		return true
	}
	return false
}

// signIn starts a new session for u: a fresh random session id (any session
// the browser had, for example one planted by an attacker, is dropped:
// no session fixation) and a fresh CSRF token.
func (s *Server) signIn(c echo.Context, u *handbook.User) error {
	ctx := c.Request().Context()
	if ck, err := c.Request().Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := s.opt.Store.DeleteSession(ctx, handbook.HashSecret(ck.Value)); err != nil {
			return err
		}
	}
	secret, hash := handbook.NewSecret()
	now := s.opt.Now()
	if err := s.opt.Store.CreateSession(ctx, &handbook.Session{Hash: hash, UserID: u.ID, Created: now, Expires: now.Add(sessionTTL)}); err != nil {
		return err
	}
	s.setCookie(c, sessionCookie, secret, sessionTTL)
	s.rotateCSRF(c)
	c.Set("user", u)
	return nil
}

func (s *Server) signOut(c echo.Context) error {
	if ck, err := c.Request().Cookie(sessionCookie); err == nil && ck.Value != "" && s.opt.Store != nil {
		if err := s.opt.Store.DeleteSession(c.Request().Context(), handbook.HashSecret(ck.Value)); err != nil {
			return err
		}
	}
	s.setCookie(c, sessionCookie, "", -1)
	s.rotateCSRF(c)
	return nil
}

// localPath returns next if it is a path on this site ("/tickets/3"), else
// "" (an open redirect would let a phishing link pass through the login).
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return ""
	}
	return next
}

// clientIP is the caller's address, which the login limiter and the
// live-search slot key on: the peer of the connection, unless that peer is
// one of Options.TrustedProxies (the nginx of the scaled setup). Then it is
// the last address in X-Forwarded-For that is not a trusted proxy: the one
// the proxy itself saw. Anyone can write X-Forwarded-For, so it is read
// only behind a trusted proxy and only from the right, where the proxies
// append; without trusted proxies every user behind nginx would share one
// address, and ten wrong passwords from anyone would lock an account for
// all.
func (s *Server) clientIP(r *http.Request) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		peer = host
	}
	if len(s.opt.TrustedProxies) == 0 || !s.trustedProxy(peer) {
		return peer
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		ip, err := netip.ParseAddr(hop)
		if err != nil {
			return peer // garbage where a proxy should have written: trust none of it
		}
		if !s.trustedProxy(hop) {
			return ip.Unmap().String()
		}
	}
	return peer
}

// trustedProxy reports whether addr is in Options.TrustedProxies.
func (s *Server) trustedProxy(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range s.opt.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// loginLimiter slows password guessing. Each failure for one username from
// one address makes the next attempt wait longer (none for the first three,
// then 0.5 s doubling up to 10 s); after ten failures that pair is refused
// for loginWindow. Failures for one username from any address also add a
// delay from the tenth on, without refusing, so that spreading guesses over
// many addresses is slow too but no one can lock a colleague out. A
// successful login clears the pair. A count lives while failures follow
// each other within loginWindow.
//
// The counts are kept in the Store, so that replicas behind one proxy add
// up the guesses they each see (a limiter per process would give a guesser
// ten tries per replica); keys are hashes, so the store holds no addresses.
type loginLimiter struct {
	now   func() time.Time
	store handbook.Store
}

const (
	loginWindow     = 15 * time.Minute
	loginFreeTries  = 3
	loginLockAfter  = 10
	loginMaxDelay   = 10 * time.Second
	loginFirstDelay = 500 * time.Millisecond
)

func newLoginLimiter(now func() time.Time, store handbook.Store) *loginLimiter {
	return &loginLimiter{now: now, store: store}
}

func pairKey(ip, username string) string {
	return handbook.HashSecret("login\x00" + ip + "\x00" + handbook.NormalizeUsername(username))
}

func userKey(username string) string {
	return handbook.HashSecret("login\x00\x00" + handbook.NormalizeUsername(username))
}

// failures returns the live count under key (0 once loginWindow has passed
// since its last failure) and the time of that failure.
func (l *loginLimiter) failures(ctx context.Context, key string) (int, time.Time, error) {
	n, last, err := l.store.LoginFailures(ctx, key)
	if err != nil || n == 0 || l.now().Sub(last) >= loginWindow {
		return 0, time.Time{}, err
	}
	return n, last, nil
}

// delay returns how long the next attempt must wait and, when the pair is
// locked out, how long until it may try again.
func (l *loginLimiter) delay(ctx context.Context, ip, username string) (wait, locked time.Duration, err error) {
	pair, last, err := l.failures(ctx, pairKey(ip, username))
	if err != nil {
		return 0, 0, err
	}
	if pair >= loginLockAfter {
		return 0, loginWindow - l.now().Sub(last), nil
	}
	wait = backoff(pair - loginFreeTries + 1)
	user, _, err := l.failures(ctx, userKey(username))
	if err != nil {
		return 0, 0, err
	}
	if user >= loginLockAfter {
		wait = max(wait, backoff(user-loginLockAfter+1))
	}
	return wait, 0, nil
}

// backoff is 0 for n <= 0, then loginFirstDelay (n = 1) doubling up to
// loginMaxDelay.
func backoff(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := loginFirstDelay
	for i := 1; i < n && d < loginMaxDelay; i++ {
		d *= 2
	}
	return min(d, loginMaxDelay)
}

func (l *loginLimiter) fail(ctx context.Context, ip, username string) error {
	now := l.now()
	for _, k := range []string{pairKey(ip, username), userKey(username)} {
		if _, err := l.store.AddLoginFailure(ctx, k, now, loginWindow); err != nil {
			return err
		}
	}
	return nil
}

func (l *loginLimiter) succeed(ctx context.Context, ip, username string) error {
	return l.store.ClearLoginFailures(ctx, pairKey(ip, username))
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errBadLogin is the one message for an unknown user and a wrong password,
// so that the form does not tell which accounts exist.
var errBadLogin = errors.New("bad username or password")

// privateResponses marks every response but static files as varying with
// the cookie, and keeps those for a signed-in caller out of every cache
// (they may hold internal content): a shared proxy must never hand an
// official's page to the public.
func (s *Server) privateResponses(c echo.Context, signedIn bool) {
	p := c.Request().URL.Path
	if strings.HasPrefix(p, "/static/") {
		return
	}
	res := c.Response()
	res.Before(func() {
		h := res.Header()
		h.Add("Vary", "Cookie")
		if signedIn {
			h.Set("Cache-Control", "private, no-store")
		}
	})
}
