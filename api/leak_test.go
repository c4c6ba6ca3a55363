package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// probe is one request of the leak probe.
type probe struct {
	method, target, body string
	header               map[string]string
}

func (p probe) String() string { return p.method + " " + p.target + " " + p.body }

// internalIDs are the internal documents of the hotline fixture.
var internalIDs = []string{"technology/noi-bo-mat-mang", "procedures/ho-tich/cap-ma-noi-bo"}

// leakProbes generates requests across every endpoint and parameter that
// could carry internal content to a public caller.
func leakProbes() []probe {
	var ps []probe
	queries := []string{
		hlMarker, strings.ToUpper(hlMarker), "mã " + hlMarker, "quy trinh noi bo khi mat mang", "Quy trình nội bộ khi mất mạng",
		"ma khan cap", "mã khẩn cấp mất kết nối", "cap ma ho so noi bo", "sổ theo dõi", "tong dai ky thuat noi bo",
		"noi-bo-mat-mang", "1.999999",
	}
	params := []string{"", "&kind=guide", "&kind=procedure", "&all=true", "&at=2020-01-01&all=true",
		"&field=" + url.QueryEscape("Hộ tịch"), "&limit=50", "&kind=guide,procedure&all=true&limit=50"}
	for _, q := range queries {
		qe := url.QueryEscape(q)
		for _, p := range params {
			ps = append(ps, probe{method: "GET", target: "/api/v1/search?q=" + qe + p})
			ps = append(ps, probe{method: "GET", target: "/search?q=" + qe + p})
		}
		ps = append(ps,
			probe{method: "GET", target: "/ask?q=" + qe},
			probe{method: "GET", target: "/ask?form=full&q=" + qe},
			probe{method: "POST", target: "/ask", body: "form=full&q=" + qe},
			probe{method: "POST", target: "/api/v1/ask", body: `{"question":"` + q + `","form":"full"}`},
			probe{method: "GET", target: "/api/v1/ask/stream?question=" + qe},
		)
	}
	// Follow-ups on a conversation an official started about the internal
	// procedure.
	for _, q := range []string{"lệ phí bao nhiêu", "cần giấy tờ gì", "nộp ở đâu"} {
		ps = append(ps,
			probe{method: "POST", target: "/api/v1/ask", body: `{"question":"` + q + `","conversation_id":"conv-leak-1"}`},
			probe{method: "GET", target: "/api/v1/ask/stream?conversation_id=conv-leak-1&question=" + url.QueryEscape(q)},
		)
	}
	var gets []string
	for _, id := range internalIDs {
		gets = append(gets,
			"/docs/"+id, "/docs/"+id+"/", "/docs/"+id+"?print=1", "/docs/"+id+"?at=2020-01-01", "/docs/"+id+".md",
			"/docs/"+strings.ToUpper(id), "/docs/"+url.PathEscape(id), "/docs/./"+id, "/docs//"+id, "//docs/"+id,
			"/docs/"+id+"%00", "/static/../docs/"+id, "/docs/x/../"+id,
			"/api/v1/docs/"+id, "/api/v1/docs/"+id+"?at=2020-01-01", "/api/v1/docs/"+url.PathEscape(id),
			"/api/v1/procedures/"+id+"/qr.png", "/api/v1/procedures/"+id+"/qr.svg", "/api/v1/procedures/"+id,
			"/nope/"+id, "/api/v1/nope/"+id, "/login?next=/docs/"+id,
		)
	}
	gets = append(gets,
		"/", "/docs", "/docs?kind=procedure", "/docs?kind=guide", "/docs?field="+url.QueryEscape("Hộ tịch"),
		"/docs?kind=procedure&field="+url.QueryEscape("Hộ tịch"), "/qr/sheet", "/qr/sheet?field="+url.QueryEscape("Hộ tịch"),
		"/qr/sheet?field="+url.QueryEscape("Hộ tịch")+"&print=1", "/sitemap.xml", "/robots.txt", "/offline", "/sw.js",
		"/healthz", "/readyz", "/drafts", "/search", "/ask", "/api/v1/search?q=", "/api/v1/nope?q="+hlMarker,
		"/tickets", "/tickets/1", "/tickets/2", "/analytics", "/analytics.csv", "/api/v1/tickets", "/api/v1/tickets/1",
		"/api/v1/analytics", "/api/v1/me", "/login", "/favicon.ico",
	)
	for _, g := range gets {
		for _, m := range []string{"GET", "HEAD", "OPTIONS"} {
			ps = append(ps, probe{method: m, target: g})
		}
	}
	ps = append(ps,
		probe{method: "POST", target: "/api/v1/feedback", body: `{"question_id":1,"useful":false,"comment":"?"}`},
		probe{method: "POST", target: "/api/v1/tickets", body: `{"question":"` + hlMarker + `"}`},
		probe{method: "POST", target: "/tickets/1/promote", body: "title=x"},
		probe{method: "PATCH", target: "/api/v1/tickets/1", body: `{"answer":"x"}`},
		probe{method: "DELETE", target: "/docs/" + internalIDs[0]},
		probe{method: "PUT", target: "/api/v1/docs/" + internalIDs[0]},
		// A stolen-looking but invalid session cookie and a wrong token are the public.
		probe{method: "GET", target: "/search?q=" + hlMarker, header: map[string]string{"Cookie": "sotay_session=guess"}},
		probe{method: "GET", target: "/api/v1/search?q=" + hlMarker, header: map[string]string{"Authorization": "Bearer guess"}},
		probe{method: "GET", target: "/docs/" + internalIDs[0], header: map[string]string{"Authorization": "Basic Z3Vlc3M6Z3Vlc3M="}},
	)
	return ps
}

// leakWords are the strings that reveal internal content; a probe that
// itself contains one (a query echoed back) is not checked for that one.
var leakWords = []string{hlSecret, hlMarker, "noi-bo-mat-mang", "cap-ma-noi-bo", "Quy trình nội bộ khi mất mạng",
	"Cấp mã hồ sơ nội bộ", "1.999999", "platypus"}

func TestLeakProbe(t *testing.T) {
	env := newHL(t, hlOptions{})
	// Officials work with the internal content: their searches, questions,
	// conversation and tickets mention it.
	official := env.bearer("tuphap")
	env.do("GET", "/api/v1/search?q="+hlMarker, "", official)
	env.do("POST", "/api/v1/ask", `{"question":"cấp mã hồ sơ nội bộ khi mất mạng","conversation_id":"conv-leak-1"}`, official)
	if rec := env.do("POST", "/api/v1/tickets", `{"question":"mã `+hlMarker+` `+hlSecret+` dùng thế nào"}`, env.bearer("operator")); rec.Code != http.StatusCreated {
		t.Fatalf("official's ticket: %d %s", rec.Code, rec.Body)
	}

	probes := leakProbes()
	if len(probes) < 200 {
		t.Fatalf("only %d probes, want at least 200", len(probes))
	}
	statuses := map[int]int{}
	for _, p := range probes {
		rec := env.do(p.method, p.target, p.body, p.header)
		statuses[rec.Code]++
		sent, _ := url.QueryUnescape(p.target + " " + p.body)
		sent = strings.ToLower(sent + " " + p.target + " " + p.body)
		var headers strings.Builder
		for k, vs := range rec.Header() {
			headers.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
		}
		for _, w := range leakWords {
			if strings.Contains(sent, strings.ToLower(w)) {
				continue
			}
			if strings.Contains(strings.ToLower(rec.Body.String()), strings.ToLower(w)) {
				t.Errorf("%s: %d, body leaks %q:\n%.600s", p, rec.Code, w, rec.Body)
			}
			if strings.Contains(strings.ToLower(headers.String()), strings.ToLower(w)) {
				t.Errorf("%s: header leaks %q:\n%s", p, w, headers.String())
			}
		}
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d", p, rec.Code)
		}
	}
	t.Logf("%d public probes, statuses %v", len(probes), statuses)

	// The same content reaches officials, by token and by session.
	checks := []struct{ target, want string }{
		{"/api/v1/search?q=" + hlMarker, "noi-bo-mat-mang"},
		{"/search?q=" + hlMarker, "Quy trình nội bộ khi mất mạng"},
		{"/docs/technology/noi-bo-mat-mang", hlSecret},
		{"/api/v1/docs/procedures/ho-tich/cap-ma-noi-bo", hlSecret},
		{"/docs?kind=procedure", "Cấp mã hồ sơ nội bộ"},
		{"/tickets/1", hlSecret},
	}
	for _, c := range checks {
		if rec := env.do("GET", c.target, "", official); !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("official (token) %s: %d, does not contain %q", c.target, rec.Code, c.want)
		}
	}
	b := env.browser()
	b.login("tuphap", env.password)
	for _, c := range checks {
		if _, body := b.get(c.target); !strings.Contains(body, c.want) {
			t.Errorf("official (session) %s does not contain %q", c.target, c.want)
		}
	}
	if res, _ := b.get("/api/v1/procedures/procedures/ho-tich/cap-ma-noi-bo/qr.svg"); res.StatusCode != http.StatusOK {
		t.Errorf("official QR of the internal procedure: %d", res.StatusCode)
	}
}
