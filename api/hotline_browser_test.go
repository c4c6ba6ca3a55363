package api_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"sotay/handbook"

	"github.com/chromedp/chromedp"
)

// TestBrowserHotlineLoop closes the hotline loop in a real browser: an
// operator's question that the handbook cannot answer becomes a ticket,
// the owning department answers it, an editor promotes the answer to an FAQ
// page, and a public search then finds that page.
func TestBrowserHotlineLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	env := newHL(t, hlOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	srvCtx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- env.srv.Serve(srvCtx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})

	const question = "Bố mẹ đang làm việc ở nước ngoài thì ông bà có được đi làm khai sinh cho cháu không?"
	const title = "Bố mẹ ở nước ngoài, ông bà có được đăng ký khai sinh cho cháu không?"
	text := func(what, sel string) string {
		t.Helper()
		return hlRun(t, ctx, what, chromedp.Text(chromedp.CSS(sel)))
	}
	login := func(user string) {
		t.Helper()
		hlDo(t, ctx, "log in as "+user,
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(chromedp.CSS("#login-user")),
			chromedp.SendKeys(chromedp.CSS("#login-user"), user),
			chromedp.SendKeys(chromedp.CSS("#login-password"), env.password),
			chromedp.Submit(chromedp.CSS("#login-password")),
			chromedp.WaitVisible(chromedp.CSS("form.account-bar")),
		)
	}
	logout := func() {
		t.Helper()
		hlDo(t, ctx, "log out", chromedp.Click(chromedp.CSS("form.account-bar button")), chromedp.WaitNotPresent(chromedp.CSS("form.account-bar")))
		hlDo(t, ctx, "tickets need a session again", chromedp.Navigate(base+"/tickets"), chromedp.WaitVisible(chromedp.CSS("#login-user")))
	}

	// 1. The operator asks (the answer streams in); the handbook has no
	// reliable answer, so the page offers to send the question to the
	// department, and the operator does.
	login("operator")
	hlDo(t, ctx, "ask",
		chromedp.Navigate(base+"/ask"),
		chromedp.WaitVisible(chromedp.CSS("#ask-q")),
		chromedp.SendKeys(chromedp.CSS("#ask-q"), question),
		chromedp.Submit(chromedp.CSS("#ask-q")),
		chromedp.WaitVisible(chromedp.CSS("#escalate")),
	)
	answer := text("answer", "#ask-result")
	if !strings.Contains(answer, "chưa có nội dung trả lời đúng câu hỏi này") {
		t.Fatalf("the handbook answered the question, so there is nothing to send on:\n%s", answer)
	}
	screenshot(t, "hotline-escalate.png", hlRun(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
	hlDo(t, ctx, "send to the department",
		chromedp.SendKeys(chromedp.CSS("#escalate-note"), "Người gọi: 0912 345 678"),
		chromedp.Submit(chromedp.CSS("#escalate-note")),
		chromedp.WaitVisible(chromedp.CSS("#ticket-department")),
	)
	ticketURL := hlRun(t, ctx, "ticket URL", chromedp.Location())
	// The ticket is the logged question itself, not a second entry.
	if ts, err := env.store.Tickets(t.Context(), handbook.TicketFilter{}); err != nil || len(ts) != 1 {
		t.Fatalf("tickets = %v, %v", ts, err)
	} else if q, err := env.store.Question(t.Context(), ts[0].QuestionID); err != nil || q.Source != handbook.SourceAsk || q.Query != question {
		t.Errorf("the ticket's question = %+v, %v; want the streamed answer's log entry", q, err)
	}
	if dept := text("department", "#ticket-department"); !strings.Contains(dept, "Sở Tư pháp") {
		t.Errorf("ticket routed to %q, want Sở Tư pháp", dept)
	}
	if page := text("ticket page", "#main"); strings.Contains(page, "0912") {
		t.Errorf("the ticket shows the caller's phone number")
	}
	logout()

	// 2. The department answers, citing the law.
	login("tuphap")
	hlDo(t, ctx, "open the department's ticket",
		chromedp.Navigate(base+"/tickets"),
		chromedp.WaitVisible(chromedp.CSS("#tickets")),
		chromedp.Click(chromedp.CSS("#tickets tbody tr a")),
		chromedp.WaitVisible(chromedp.CSS("#ticket-answer-form")),
		chromedp.SendKeys(chromedp.CSS("#ticket-answer-text"),
			"Được. Ông bà hoặc người thân đang nuôi dưỡng cháu có thể đi đăng ký khai sinh thay cha mẹ; mang tờ khai và giấy chứng sinh đến UBND xã."),
		chromedp.SendKeys(chromedp.CSS("#ticket-citations"), "luat-ho-tich-2014#dieu-16"),
		chromedp.Submit(chromedp.CSS("#ticket-answer-text")),
		chromedp.WaitVisible(chromedp.CSS("#ticket-answer")),
	)
	if st := text("status", "#ticket-status"); !strings.Contains(st, "Đã trả lời") {
		t.Errorf("status after answering = %q", st)
	}
	logout()

	// 3. An editor promotes the answer to an FAQ page.
	login("editor")
	hlDo(t, ctx, "promote",
		chromedp.Navigate(ticketURL),
		chromedp.WaitVisible(chromedp.CSS("#ticket-promote-form")),
		chromedp.SetValue(chromedp.CSS("#promote-title"), title),
		chromedp.Submit(chromedp.CSS("#promote-title")),
		chromedp.WaitVisible(chromedp.CSS("#ticket-faq")),
	)
	faqURL := hlRun(t, ctx, "FAQ link", chromedp.AttributeValue(chromedp.CSS("#ticket-faq"), "href")).Value
	if !strings.HasPrefix(faqURL, "/docs/faq/ho-tich/") {
		t.Errorf("FAQ link = %q", faqURL)
	}
	screenshot(t, "hotline-ticket.png", hlRun(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
	logout()

	// 4. The public finds the new page.
	hlDo(t, ctx, "public search",
		chromedp.Navigate(base+"/search?q="+url.QueryEscape("ong ba dang ky khai sinh cho chau")),
		chromedp.WaitVisible(chromedp.CSS("#results")),
	)
	found := hlRun(t, ctx, "new FAQ in results", chromedp.Poll[bool](
		`[...document.querySelectorAll('#results a')].some(a => a.getAttribute('href').startsWith('`+faqURL+`'))`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if !found {
		t.Errorf("public search does not list %s", faqURL)
	}
	// 5. The reader says it helped, in place.
	hlDo(t, ctx, "useful",
		chromedp.Click(chromedp.CSS(`#feedback button[value="1"]`)),
		chromedp.WaitVisible(chromedp.CSS("#feedback .feedback-done")),
	)
	if got := text("thanks", "#feedback .feedback-done"); !strings.Contains(got, "Cảm ơn bạn đã góp ý") {
		t.Errorf("feedback answer = %q", got)
	}
	hlDo(t, ctx, "open the FAQ", chromedp.Navigate(base+faqURL), chromedp.WaitVisible(chromedp.CSS("#main h1")))
	if h := text("FAQ title", "#main h1"); h != title {
		t.Errorf("FAQ page title = %q, want %q", h, title)
	}

	// 6. A search typed live does not help; the reader says so with a
	// comment, and the verdict lands on that search in the log.
	const typed = "giay phep bay flycam"
	hlDo(t, ctx, "live search",
		chromedp.Navigate(base+"/search"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), typed),
	)
	if !hlRun(t, ctx, "results of the typed query", chromedp.Poll[bool](
		`document.querySelector('#feedback input[name=q]').value === '`+typed+`' && !document.querySelector('#feedback').hidden`,
		chromedp.WithPollingTimeout(10*time.Second))) {
		t.Fatalf("the feedback form does not follow the typed search")
	}
	hlDo(t, ctx, "not useful",
		chromedp.SendKeys(chromedp.CSS("#feedback-comment"), "cần thủ tục xin phép bay, gọi 0912345678"),
		chromedp.Click(chromedp.CSS(`#feedback button[value="0"]`)),
		chromedp.WaitVisible(chromedp.CSS("#feedback .feedback-done")),
	)
	if got := text("thanks", "#feedback .feedback-done"); !strings.Contains(got, "Cảm ơn bạn đã góp ý") {
		t.Errorf("feedback on a live search = %q", got)
	}
	if n := hlRun(t, ctx, "no escalation for the public", chromedp.Evaluate[int](`document.querySelectorAll('#escalate').length`)); n != 0 {
		t.Errorf("the public is offered to send the question to a department")
	}
	fb, err := env.store.Feedback(t.Context(), time.Time{}, time.Now().Add(24*time.Hour*365*10))
	if err != nil {
		t.Fatal(err)
	}
	var judged *handbook.Question
	for _, f := range fb {
		if !f.Useful && f.Comment == "cần thủ tục xin phép bay, gọi [SĐT]" {
			judged, _ = env.store.Question(t.Context(), f.QuestionID)
		}
	}
	if judged == nil || judged.Query != typed || judged.Role != handbook.RolePublic {
		t.Errorf("the live search's verdict is on %+v; feedback %+v", judged, fb)
	}
}

func hlRun[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func hlDo(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
