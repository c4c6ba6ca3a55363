package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sotay/api"
	"sotay/handbook/openai/openaitest"
)

// The leak probe (issue 9): internal documents hold unique marker words;
// hundreds of requests across every registered route and the parameters
// they read, sent as a public caller after officials have worked with the
// internal content (searched it, asked about it, opened, answered and
// promoted tickets about it, drafted with it), must never return a marker
// in a body or a header, nor put internal text into the model's prompt.
// The same content must reach officials.

// probe is one request of the leak probe.
type probe struct {
	method, target, body string
	header               map[string]string
}

func (p probe) String() string { return p.method + " " + p.target + " " + p.body }

// internalIDs are the internal documents of the hotline fixture (the công
// văn template is internal content too).
var internalIDs = []string{"technology/noi-bo-mat-mang", "procedures/ho-tich/cap-ma-noi-bo", "templates/cong-van"}

// leakQueries are what a public caller might type to reach internal content.
var leakQueries = []string{
	hlMarker, strings.ToUpper(hlMarker), "mã " + hlMarker, "quy trinh noi bo khi mat mang", "Quy trình nội bộ khi mất mạng",
	"ma khan cap", "mã khẩn cấp mất kết nối", "cap ma ho so noi bo", "sổ theo dõi", "tong dai ky thuat noi bo",
	"noi-bo-mat-mang", "1.999999", "mẫu công văn", "soạn công văn đề nghị",
	// Questions that public content answers while internal content is
	// just as close: they reach the model, with public excerpts only.
	"đăng ký khai sinh khi mất mạng cần giấy tờ gì", "giấy chứng sinh và sổ theo dõi mã khẩn cấp",
	"thủ tục đăng ký khai sinh tại UBND cấp xã khi hệ thống mất kết nối", "tờ khai đăng ký khai sinh ghi mã hồ sơ nội bộ",
}

// leakProbes are requests written by hand for the routes whose parameters
// matter most: every search filter, every way of asking, every spelling of
// an internal document's address, and a follow-up on an official's
// conversation.
func leakProbes() []probe {
	var ps []probe
	params := []string{"", "&kind=guide", "&kind=procedure", "&kind=template", "&all=true", "&at=2020-01-01&all=true",
		"&field=" + url.QueryEscape("Hộ tịch"), "&limit=50", "&kind=guide,procedure&all=true&limit=50"}
	for _, q := range leakQueries {
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
			probe{method: "POST", target: "/api/v1/ask", body: `{"question":"` + q + `","mode":"llm"}`},
			probe{method: "POST", target: "/api/v1/ask", body: `{"question":"` + q + `","mode":"extractive"}`},
			probe{method: "GET", target: "/api/v1/ask/stream?question=" + qe},
			probe{method: "GET", target: "/api/v1/ask/stream?mode=llm&form=full&question=" + qe},
			// Feedback and tickets naming the query of a search.
			probe{method: "POST", target: "/api/v1/feedback", body: `{"query":"` + q + `","useful":false,"comment":"` + q + `"}`},
			probe{method: "POST", target: "/feedback", body: "useful=0&q=" + qe + "&comment=" + qe},
		)
	}
	// Follow-ups on a conversation an official started about the internal
	// procedure.
	for _, q := range []string{"lệ phí bao nhiêu", "cần giấy tờ gì", "nộp ở đâu"} {
		ps = append(ps,
			probe{method: "POST", target: "/api/v1/ask", body: `{"question":"` + q + `","conversation_id":"conv-leak-1"}`},
			probe{method: "POST", target: "/api/v1/ask", body: `{"question":"` + q + `","conversation_id":"conv-leak-1","mode":"llm"}`},
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
			"/nope/"+id, "/api/v1/nope/"+id, "/login?next=/docs/"+id, "/drafts?template="+id,
		)
	}
	gets = append(gets,
		"/", "/docs", "/docs?kind=procedure", "/docs?kind=guide", "/docs?kind=template", "/docs?kind=faq", "/docs?field="+url.QueryEscape("Hộ tịch"),
		"/docs?kind=procedure&field="+url.QueryEscape("Hộ tịch"), "/qr/sheet", "/qr/sheet?field="+url.QueryEscape("Hộ tịch"),
		"/qr/sheet?field="+url.QueryEscape("Hộ tịch")+"&print=1", "/sitemap.xml", "/robots.txt", "/offline", "/sw.js",
		"/healthz", "/readyz", "/drafts", "/search", "/ask", "/api/v1/search?q=", "/api/v1/nope?q="+hlMarker,
		"/tickets", "/tickets/1", "/tickets/2", "/analytics", "/analytics.csv", "/api/v1/tickets", "/api/v1/tickets/1",
		"/api/v1/analytics", "/api/v1/me", "/login", "/favicon.ico", "/feedback?ticket=1", "/feedback?ticket=2&from=ask",
		"/api/v1/templates", "/drafts/1", "/api/v1/drafts/1",
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
		probe{method: "POST", target: "/api/v1/drafts", body: `{"template":"cong-van","fields":{"trich_yeu":"x"}}`},
		probe{method: "POST", target: "/api/v1/drafts/check", body: `{"template":"cong-van"}`},
		// A stolen-looking but invalid session cookie and a wrong token are the public.
		probe{method: "GET", target: "/search?q=" + hlMarker, header: map[string]string{"Cookie": "sotay_session=guess"}},
		probe{method: "GET", target: "/api/v1/search?q=" + hlMarker, header: map[string]string{"Authorization": "Bearer guess"}},
		probe{method: "GET", target: "/docs/" + internalIDs[0], header: map[string]string{"Authorization": "Basic Z3Vlc3M6Z3Vlc3M="}},
		probe{method: "GET", target: "/tickets/1", header: map[string]string{"Authorization": "Bearer "}},
	)
	return ps
}

// probeParams are the query parameters and form fields any route of the
// server reads, each with a value that points at internal content.
var probeParams = map[string]string{
	"q": hlMarker, "question": hlMarker, "query": hlMarker, "id": "1", "doc": internalIDs[0], "next": "/docs/" + internalIDs[1],
	"field": "Hộ tịch", "kind": "guide", "all": "true", "at": "2020-01-01", "from": "2026-11-01", "to": "2026-11-30",
	"status": "open", "print": "1", "ticket": "1", "conversation_id": "conv-leak-1", "limit": "50", "mode": "llm", "form": "full",
	"template": "cong-van", "question_id": "1", "useful": "0", "comment": hlMarker, "note": hlMarker, "action": "answer",
	"answer": hlMarker, "title": hlMarker, "citations": internalIDs[0], "department": "Sở Tư pháp", "audience": "public",
	"v": "1", "format": "docx", "done": "promoted",
}

// probeBodies are JSON bodies in the shapes the JSON routes decode.
var probeBodies = []string{
	`{"question":"` + hlMarker + `","form":"full","mode":"llm"}`,
	`{"question":"lệ phí bao nhiêu","conversation_id":"conv-leak-1"}`,
	`{"question_id":1,"useful":false,"comment":"` + hlMarker + `"}`,
	`{"query":"` + hlMarker + `","useful":false}`,
	`{"question":"` + hlMarker + `","note":"` + hlMarker + `"}`,
	`{"version":1,"answer":"x","citations":[{"doc":"` + internalIDs[0] + `"}]}`,
	`{"title":"` + hlMarker + `","audience":"public"}`,
	`{"template":"cong-van","fields":{"trich_yeu":"` + hlMarker + `"}}`,
}

// routeProbes generates requests for every registered route: its path
// parameters filled with ticket and draft ids and internal document ids,
// then no parameter, each parameter alone, and all of them; POST, PUT and
// PATCH routes also get every JSON body shape and a form with every field.
// A route added later is probed without anyone remembering to.
func routeProbes(routes [][2]string, draftID string) []probe {
	var ps []probe
	for _, r := range routes {
		method, pattern := r[0], r[1]
		var paths []string
		switch {
		case strings.Contains(pattern, "*"):
			for _, id := range append(internalIDs, "faq/ho-tich/"+hlMarker) {
				for _, suffix := range []string{"", "/qr.png", "/qr.svg"} {
					paths = append(paths, strings.Replace(pattern, "*", id+suffix, 1))
				}
			}
		case strings.Contains(pattern, ":id"):
			for _, id := range []string{"1", "2", "3", draftID, draftID + ".docx", "999999"} {
				paths = append(paths, strings.Replace(pattern, ":id", id, 1))
			}
		default:
			paths = []string{pattern}
		}
		all := url.Values{}
		for k, v := range probeParams {
			all.Set(k, v)
		}
		for _, p := range paths {
			switch method {
			case http.MethodGet:
				ps = append(ps, probe{method: method, target: p}, probe{method: method, target: p + "?" + all.Encode()})
				for k, v := range probeParams {
					ps = append(ps, probe{method: method, target: p + "?" + url.Values{k: {v}}.Encode()})
				}
			default:
				ps = append(ps, probe{method: method, target: p, body: all.Encode()})
				for _, b := range probeBodies {
					ps = append(ps, probe{method: method, target: p, body: b})
				}
			}
		}
	}
	return ps
}

// leakWords are the strings that reveal internal content; a probe that
// itself contains one (a query echoed back) is not checked for that one.
var leakWords = []string{hlSecret, hlMarker, "noi-bo-mat-mang", "cap-ma-noi-bo", "Quy trình nội bộ khi mất mạng",
	"Cấp mã hồ sơ nội bộ", "1.999999", "platypus", "templates/cong-van", "Mẫu 1.5 Phụ lục III"}

// securityHeaders must be on every response, errors and redirects included.
var securityHeaders = map[string]string{
	"X-Content-Type-Options":  "nosniff",
	"X-Frame-Options":         "DENY",
	"Referrer-Policy":         "same-origin",
	"Content-Security-Policy": "default-src 'self'",
}

func TestLeakProbe(t *testing.T) {
	env := newHL(t, hlOptions{llm: true, drafting: true})
	// Officials work with the internal content: their searches, questions,
	// conversation, tickets, answers, FAQ pages and drafts mention it.
	official := env.bearer("tuphap")
	env.do("GET", "/api/v1/search?q="+hlMarker, "", official)
	env.do("POST", "/api/v1/ask", `{"question":"cấp mã hồ sơ nội bộ khi mất mạng `+hlSecret+`","conversation_id":"conv-leak-1"}`, official)
	rec := env.do("POST", "/api/v1/tickets", `{"question":"mã `+hlMarker+` `+hlSecret+` dùng thế nào"}`, env.bearer("operator"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("official's ticket: %d %s", rec.Code, rec.Body)
	}
	var tk struct {
		ID      int64 `json:"id"`
		Version int   `json:"version"`
	}
	json.Unmarshal(rec.Body.Bytes(), &tk)
	ticket := "/api/v1/tickets/" + strconv.FormatInt(tk.ID, 10)
	if rec := env.do("PATCH", ticket, `{"answer":"Ghi mã `+hlMarker+` vào sổ theo dõi `+hlSecret+`.","citations":[{"doc":"procedures/ho-tich/cap-ma-noi-bo"}]}`, env.bearer("editor")); rec.Code != http.StatusOK {
		t.Fatalf("answer: %d %s", rec.Code, rec.Body)
	}
	rec = env.do("POST", ticket+"/promote", `{"title":"Mã khẩn cấp `+hlSecret+` dùng khi nào?"}`, env.bearer("editor"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("promote: %d %s", rec.Code, rec.Body)
	}
	var pr struct{ FAQ string }
	json.Unmarshal(rec.Body.Bytes(), &pr)
	if !strings.HasPrefix(pr.FAQ, "faq/") {
		t.Fatalf("promoted page %q", pr.FAQ)
	}
	rec = env.do("POST", "/api/v1/drafts", `{"template":"cong-van","issuer":"Ủy ban nhân dân xã Suối Mây","fields":{"trich_yeu":"mã `+hlSecret+`","kinh_gui":"Sở Tư pháp","noi_dung":"Dùng mã `+hlMarker+`."}}`, official)
	if rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
		t.Fatalf("official's draft: %d %s", rec.Code, rec.Body)
	}
	var dr struct{ ID string }
	json.Unmarshal(rec.Body.Bytes(), &dr)
	if dr.ID == "" {
		t.Fatalf("draft without id: %s", rec.Body)
	}
	env.do("POST", "/api/v1/feedback", `{"question_id":1,"useful":false,"comment":"`+hlSecret+`"}`, official)

	routes := api.Routes(env.srv)
	probes := append(leakProbes(), routeProbes(routes, dr.ID)...)
	if len(probes) < 200 {
		t.Fatalf("only %d probes, want at least 200", len(probes))
	}
	// Every registered route is probed: a new route cannot be missed.
	reached := map[string]int{}
	for _, p := range probes {
		reached[p.method+" "+api.RouteOf(env.srv, p.method, p.target)]++
	}
	for _, r := range routes {
		if reached[r[0]+" "+r[1]] == 0 {
			t.Errorf("route %s %s is never probed", r[0], r[1])
		}
	}

	prompts := len(env.llm.ChatRequests())
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
		body := strings.ToLower(rec.Body.String())
		for _, w := range leakWords {
			lw := strings.ToLower(w)
			if strings.Contains(sent, lw) {
				continue
			}
			if strings.Contains(body, lw) {
				t.Errorf("%s: %d, body leaks %q:\n%.600s", p, rec.Code, w, rec.Body)
			}
			if strings.Contains(strings.ToLower(headers.String()), lw) {
				t.Errorf("%s: header leaks %q:\n%s", p, w, headers.String())
			}
		}
		for h, want := range securityHeaders {
			if got := rec.Header().Get(h); !strings.Contains(got, want) {
				t.Errorf("%s: %d, %s = %q, want %q", p, rec.Code, h, got, want)
			}
		}
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d\n%.300s", p, rec.Code, rec.Body)
		}
	}
	// What the public asked never put internal text before the model.
	public := env.llm.ChatRequests()[prompts:]
	if len(public) == 0 {
		t.Errorf("no public probe reached the model: the prompt check checked nothing")
	}
	for _, r := range public {
		if strings.Contains(strings.ToLower(r.Prompt()), hlSecret) {
			t.Errorf("a public question's prompt holds internal text:\n%.800s", r.Prompt())
		}
		for _, ex := range openaitest.Excerpts(r) {
			for _, w := range leakWords {
				if strings.Contains(strings.ToLower(ex), strings.ToLower(w)) {
					t.Errorf("a public question's prompt quotes internal content (%q):\n%.400s", w, ex)
				}
			}
		}
	}
	codes := make([]int, 0, len(statuses))
	for c := range statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var summary []string
	for _, c := range codes {
		summary = append(summary, strconv.Itoa(c)+"×"+strconv.Itoa(statuses[c]))
	}
	t.Logf("%d public probes over %d routes, %d prompts; statuses %s", len(probes), len(routes), len(public), strings.Join(summary, " "))

	// The same content reaches officials, by token and by session.
	checks := []struct{ target, want string }{
		{"/api/v1/search?q=" + hlMarker, "noi-bo-mat-mang"},
		{"/search?q=" + hlMarker, "Quy trình nội bộ khi mất mạng"},
		{"/docs/technology/noi-bo-mat-mang", hlSecret},
		{"/api/v1/docs/procedures/ho-tich/cap-ma-noi-bo", hlSecret},
		{"/docs?kind=procedure", "Cấp mã hồ sơ nội bộ"},
		{"/tickets/1", hlSecret},
		{"/docs/" + pr.FAQ, hlSecret},
		{"/api/v1/search?q=" + url.QueryEscape("mã khẩn cấp "+hlSecret+" dùng khi nào"), pr.FAQ},
		{"/api/v1/drafts/" + dr.ID, hlSecret},
		{"/api/v1/templates", "templates/cong-van"},
		{"/api/v1/procedures/procedures/ho-tich/cap-ma-noi-bo/qr.svg", "<svg"},
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
	// An official's question does put the internal excerpt before the
	// model: the prompt check above can fail.
	before := len(env.llm.ChatRequests())
	env.do("POST", "/api/v1/ask", `{"question":"quy trình nội bộ khi mất mạng mã khẩn cấp","mode":"llm"}`, official)
	found := false
	for _, r := range env.llm.ChatRequests()[before:] {
		found = found || strings.Contains(r.Prompt(), hlSecret)
	}
	if !found {
		t.Errorf("an official's prompt lacks the internal excerpt")
	}
}
