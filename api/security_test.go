package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"sotay/api"
)

// TestSecurityHeadersOnEveryKindOfResponse: the headers of securityHeaders
// (leak_test.go) are on static files, conditional 304s, redirects, CSV and
// image downloads, streams, and on errors the framework itself answers
// (405, 413, 404); HSTS only when the site is served over https.
func TestSecurityHeadersOnEveryKindOfResponse(t *testing.T) {
	env := newHL(t, hlOptions{})
	rec := env.do("GET", "/static/app.css", "", nil)
	etag := rec.Header().Get("ETag")
	big := strings.Repeat("x", 3<<20)
	for _, tc := range []struct {
		name, method, target, body string
		header                     map[string]string
		status                     int
	}{
		{"static file", "GET", "/static/app.css", "", nil, http.StatusOK},
		{"not modified", "GET", "/static/app.css", "", map[string]string{"If-None-Match": etag}, http.StatusNotModified},
		{"missing static file", "GET", "/static/nope.js", "", nil, http.StatusNotFound},
		{"redirect", "GET", "/favicon.ico", "", nil, http.StatusMovedPermanently},
		{"login redirect", "GET", "/tickets", "", nil, http.StatusSeeOther},
		{"unknown page", "GET", "/khong-co-trang-nay", "", nil, http.StatusNotFound},
		{"unknown API route", "GET", "/api/v1/khong-co", "", nil, http.StatusNotFound},
		// The one error mapping (errors.go) answers these two with 400 and a
		// Vietnamese message.
		{"method not allowed", "DELETE", "/search", "", nil, http.StatusBadRequest},
		{"body too large", "POST", "/api/v1/feedback", `{"comment":"` + big + `"}`, nil, http.StatusBadRequest},
		{"bad request", "GET", "/api/v1/search?q=", "", nil, http.StatusBadRequest},
		{"unauthorized", "GET", "/api/v1/tickets", "", nil, http.StatusUnauthorized},
		{"csrf refused", "POST", "/login", "username=a&password=b", nil, http.StatusForbidden},
		{"csv", "GET", "/analytics.csv", "", env.bearer("editor"), http.StatusOK},
		{"qr image", "GET", "/api/v1/procedures/procedures/ho-tich/dang-ky-khai-sinh/qr.png", "", nil, http.StatusOK},
		{"stream", "GET", "/api/v1/ask/stream?question=" + url.QueryEscape("đăng ký khai sinh"), "", nil, http.StatusOK},
		{"health", "GET", "/healthz", "", nil, http.StatusOK},
	} {
		rec := env.do(tc.method, tc.target, tc.body, tc.header)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, rec.Code, tc.status)
		}
		for h, want := range securityHeaders {
			if got := rec.Header().Get(h); !strings.Contains(got, want) {
				t.Errorf("%s (%d): %s = %q, want %q", tc.name, rec.Code, h, got, want)
			}
		}
		if hsts := rec.Header().Get("Strict-Transport-Security"); hsts != "" {
			t.Errorf("%s: HSTS %q on a site served over http", tc.name, hsts)
		}
	}
	tls := newHL(t, hlOptions{baseURL: "https://sotay.example.gov.vn"})
	for _, target := range []string{"/", "/khong-co", "/static/app.css"} {
		if got := tls.do("GET", target, "", nil).Header().Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
			t.Errorf("%s over https: Strict-Transport-Security = %q", target, got)
		}
	}
}

// TestLoginLimiterBehindProxy: behind a trusted proxy the limiter keys on
// the address the proxy saw, so that one person's wrong guesses do not lock
// an account for everyone behind it; X-Forwarded-For from anyone else is
// ignored, so that a guesser cannot pick a fresh address per try.
func TestLoginLimiterBehindProxy(t *testing.T) {
	guess := func(env *hlEnv, xff, password string) int {
		t.Helper()
		h := map[string]string{"Sec-Fetch-Site": "same-origin"}
		if xff != "" {
			h["X-Forwarded-For"] = xff
		}
		return env.do("POST", "/login", "username=tuphap&password="+url.QueryEscape(password), h).Code
	}
	// httptest requests come from 192.0.2.10 (hlEnv.do): trust it.
	env := newHL(t, hlOptions{trustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}})
	for range 10 {
		if code := guess(env, "203.0.113.7", "doan-sai-mat-khau"); code != http.StatusUnauthorized {
			t.Fatalf("wrong guess: %d", code)
		}
	}
	if code := guess(env, "203.0.113.7", env.password); code != http.StatusTooManyRequests {
		t.Errorf("the guesser after ten failures: %d, want 429", code)
	}
	// The colleague behind the same proxy still signs in (a spoofed
	// address on the left of the header changes nothing).
	if code := guess(env, "203.0.113.7, 198.51.100.20", env.password); code != http.StatusSeeOther {
		t.Errorf("a colleague behind the same proxy: %d, want 303", code)
	}
	if code := guess(env, "198.51.100.99, 203.0.113.7", env.password); code != http.StatusTooManyRequests {
		t.Errorf("the guesser writing another address on the left: %d, want 429", code)
	}

	// Without trusted proxies X-Forwarded-For is nobody's word.
	direct := newHL(t, hlOptions{})
	for i := range 10 {
		guess(direct, "203.0.113."+string(rune('0'+i)), "doan-sai-mat-khau")
	}
	if code := guess(direct, "198.51.100.20", env.password); code != http.StatusTooManyRequests {
		t.Errorf("guesses with a new X-Forwarded-For each time, no trusted proxy: %d, want 429", code)
	}
	if d := direct.sleepLog(); !slices.Contains(d, 10*time.Second) {
		t.Errorf("delays without trusted proxies = %v, want them to grow to 10s", d)
	}
}

// TestLoginLimiterSharedByReplicas: two servers on one store (replicas
// behind the proxy) count the same guesses: spread over both, the
// eleventh is refused by either.
func TestLoginLimiterSharedByReplicas(t *testing.T) {
	env := newHL(t, hlOptions{})
	other, err := api.New(api.Options{Store: env.store, Now: env.clock.Now,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	replicas := []http.Handler{env.h, other.Handler()}
	try := func(i int, password string) int {
		req := httptest.NewRequest("POST", "/login", strings.NewReader("username=tuphap&password="+url.QueryEscape(password)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.RemoteAddr = "198.51.100.4:1234"
		rec := httptest.NewRecorder()
		replicas[i%2].ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 10 {
		if code := try(i, "doan-sai-mat-khau"); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	for i := range 2 {
		if code := try(i, env.password); code != http.StatusTooManyRequests {
			t.Errorf("replica %d after ten guesses spread over both: %d, want 429", i, code)
		}
	}
	env.clock.Add(16 * time.Minute)
	if code := try(1, env.password); code != http.StatusSeeOther {
		t.Errorf("after the lock-out: %d, want 303", code)
	}
}
