package api_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sotay/content"
	"sotay/handbook"
	"sotay/indexer"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the browser test screenshots to docs/screenshots")

// chromiumPath finds Debian's chromium. A missing browser skips the test
// with one message, unless CI=true or HANDBOOK_TEST_REQUIRE names chromium,
// where it fails (STYLE.md §10).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "chromium not found: install it (apt-get install chromium) to run the browser tests"
	if os.Getenv("CI") == "true" || strings.Contains(os.Getenv("HANDBOOK_TEST_REQUIRE"), "chromium") {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browser starts a headless chromium with the flags this machine needs (no
// background networking: the sandbox has no internet) and returns a tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := chromiumPath(t)
	alloc, cancel := chromedp.NewExecAllocator(t.Context(),
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "vi-VN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	// A bound, not a measurement: the whole walk takes about a minute on
	// an idle 2-core machine and several when other tests share it.
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	onlyLocalRequests(t, ctx)
	return ctx
}

// publicBase is the -base-url of the browser tests' server.
const publicBase = "https://sotay.example.gov.vn"

// liveServer serves the real knowledge base on 127.0.0.1:0 with a bleve
// index built in t.TempDir(), as `handbook serve` does. stop shuts it down
// (the offline check needs the server gone).
func liveServer(t *testing.T) (base string, stop func()) {
	t.Helper()
	lib, err := indexer.LoadAt(content.FS, handbook.Today(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base = "http://" + ln.Addr().String()
	// The public URL differs from the address the browser uses, as behind
	// a province's reverse proxy: QR codes and printed URLs must carry the
	// configured one (and screenshots do not change with the port).
	srv := uiServer(t, lib, publicBase)
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	}
	t.Cleanup(stop)
	return base, stop
}

func screenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := t.TempDir()
	if *updateScreenshots {
		dir = filepath.Join("..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s is not a PNG", name)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func printMedia(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		media := ""
		if on {
			media = "print"
		}
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}

// TestBrowser walks the hotline operator's and the citizen's paths in a
// real browser: search without diacritics as you type, open the procedure
// with the keyboard, follow a legal basis to the exact article, the print
// view, the QR sheet, the phone layout and the offline copy.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	base, stop := liveServer(t)
	const khaiSinh = "/docs/procedures/ho-tich/dang-ky-khai-sinh"

	t.Run("home", func(t *testing.T) {
		do(t, ctx, "open home", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#home-q")))
		screenshot(t, "home.png", run(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
		checkA11y(t, ctx, "home")
		checkFocus(t, ctx, "home", 20)
	})

	t.Run("search as you type without diacritics", func(t *testing.T) {
		do(t, ctx, "type query",
			chromedp.Navigate(base+"/search"),
			chromedp.WaitVisible(chromedp.CSS("#q")),
			chromedp.SendKeys(chromedp.CSS("#q"), "lam giay khai sinh"),
		)
		// No submit: the results come from the debounced fetch.
		// Wait for the results of the whole query, not of a prefix typed
		// before a pause.
		first := run(t, ctx, "wait for live results", chromedp.Poll[string](
			`document.getElementById('search-status').textContent.indexOf('“lam giay khai sinh”') >= 0 &&
			 document.querySelector('#results li > a') ? document.querySelector('#results li > a').getAttribute('href') : ''`,
			chromedp.WithPollingTimeout(15*time.Second)))
		if first != khaiSinh {
			t.Fatalf("first live result = %q, want %q", first, khaiSinh)
		}
		marks := run(t, ctx, "count marks", chromedp.Evaluate[int](`document.querySelectorAll('#results mark').length`))
		if marks == 0 {
			t.Errorf("live results have no highlighted words")
		}
		loc := run(t, ctx, "location", chromedp.Location())
		if !strings.HasSuffix(loc, "/search?q=lam+giay+khai+sinh") {
			t.Errorf("location = %s, want the query in the URL", loc)
		}
		// A blinking caret would make the screenshot differ between runs.
		run(t, ctx, "hide caret", chromedp.Evaluate[bool](`document.getElementById('q').style.caretColor = 'transparent', true`))
		screenshot(t, "search.png", run(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
		checkA11y(t, ctx, "search results")

		// Keyboard: ↓ from the box moves to the first result, ↓ ↑ move
		// between results, ↑ from the first returns to the box, Enter
		// opens the focused result.
		focused := func(what string) string {
			return run(t, ctx, what, chromedp.Evaluate[string](`document.activeElement.id === 'q' ? '#q' : (document.activeElement.getAttribute('href') || document.activeElement.tagName)`))
		}
		second := run(t, ctx, "second result", chromedp.Evaluate[string](`document.querySelectorAll('#results li > a')[1].getAttribute('href')`))
		for i, step := range []struct{ key, want string }{
			{kb.ArrowDown, khaiSinh}, {kb.ArrowDown, second}, {kb.ArrowUp, khaiSinh}, {kb.ArrowUp, "#q"}, {kb.ArrowDown, khaiSinh},
		} {
			do(t, ctx, "arrow key", chromedp.KeyEvent(step.key))
			if got := focused("active element"); got != step.want {
				t.Fatalf("key %d: focus is on %q, want %q", i+1, got, step.want)
			}
		}
		do(t, ctx, "enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("#ui-the")))
		if loc := run(t, ctx, "location", chromedp.Location()); loc != base+khaiSinh {
			t.Errorf("Enter opened %s, want %s", loc, base+khaiSinh)
		}
	})

	t.Run("live filters and error states", func(t *testing.T) {
		do(t, ctx, "type query",
			chromedp.Navigate(base+"/search"),
			chromedp.WaitVisible(chromedp.CSS("#q")),
			chromedp.SendKeys(chromedp.CSS("#q"), "khai sinh"),
		)
		run(t, ctx, "results", chromedp.Poll[bool](`document.querySelectorAll('#results li').length > 0`, chromedp.WithPollingTimeout(15*time.Second)))
		// Changing a filter re-runs the search at once, without a submit.
		set := func(what, js string) {
			t.Helper()
			run(t, ctx, what, chromedp.Evaluate[bool](js+`; document.getElementById('search-form').dispatchEvent(new Event('change', {bubbles: true})); true`))
		}
		set("kind filter", `document.getElementById('kind').value = 'regulation'`)
		run(t, ctx, "only regulations", chromedp.Poll[bool](`location.search.indexOf('kind=regulation') >= 0 &&
			document.querySelectorAll('#results li').length > 0 &&
			[...document.querySelectorAll('#results li > a')].every(a => a.getAttribute('href').indexOf('/docs/regulations/') === 0)`,
			chromedp.WithPollingTimeout(15*time.Second)))
		set("field filter", `document.getElementById('kind').value = 'procedure'; document.getElementById('field').value = 'Hộ tịch'`)
		run(t, ctx, "only Hộ tịch procedures", chromedp.Poll[bool](`location.search.indexOf('kind=procedure') >= 0 &&
			document.querySelectorAll('#results li').length > 0 &&
			[...document.querySelectorAll('#results li > a')].every(a => a.getAttribute('href').indexOf('/docs/procedures/ho-tich/') === 0)`,
			chromedp.WithPollingTimeout(15*time.Second)))
		set("date filter", `document.getElementById('at').value = '2026-01-01'`)
		run(t, ctx, "date in the URL", chromedp.Poll[bool](`location.search.indexOf('at=2026-01-01') >= 0 && document.querySelectorAll('#results li').length > 0`,
			chromedp.WithPollingTimeout(15*time.Second)))

		// A refused query shows the API's Vietnamese message.
		run(t, ctx, "long query", chromedp.Evaluate[bool](`(() => { const q = document.getElementById('q');
			q.value = 'khai sinh '.repeat(60); q.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`))
		msg := run(t, ctx, "API error shown", chromedp.Poll[string](`(document.querySelector('#search-status .banner.error') || {}).textContent || ''`,
			chromedp.WithPollingTimeout(15*time.Second)))
		if !strings.Contains(msg, "quá dài") && !strings.Contains(msg, "500") {
			t.Errorf("over-long query shows %q, want the API's Vietnamese message", msg)
		}
		// No connection: a Vietnamese message, not a blank list.
		run(t, ctx, "network down", chromedp.Evaluate[bool](`window.fetch = () => Promise.reject(new TypeError('Failed to fetch')); true`))
		run(t, ctx, "retype", chromedp.Evaluate[bool](`(() => { const q = document.getElementById('q');
			q.value = 'khai tu'; q.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`))
		msg = run(t, ctx, "offline error shown", chromedp.Poll[string](`(() => { const m = (document.querySelector('#search-status .banner.error') || {}).textContent || '';
			return m.indexOf('quá dài') < 0 ? m : ''; })()`,
			chromedp.WithPollingTimeout(15*time.Second)))
		if msg != "Không tải được kết quả. Kiểm tra kết nối mạng rồi thử lại." {
			t.Errorf("search without a connection shows %q", msg)
		}
	})

	t.Run("procedure page and legal basis", func(t *testing.T) {
		do(t, ctx, "open procedure", chromedp.Navigate(base+khaiSinh), chromedp.WaitVisible(chromedp.CSS("figure.qr img")))
		loaded := run(t, ctx, "qr image", chromedp.Poll[bool](`(() => { const i = document.querySelector('figure.qr img'); return i.complete && i.naturalWidth > 0; })()`,
			chromedp.WithPollingTimeout(10*time.Second)))
		if !loaded {
			t.Errorf("QR image did not load")
		}
		screenshot(t, "procedure.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
		// The QR code as the browser draws it decodes to the page's URL.
		shot := run(t, ctx, "qr screenshot", chromedp.Screenshot(chromedp.CSS("figure.qr img")))
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeQR(t, img); got != publicBase+khaiSinh {
			t.Errorf("the QR code on the page decodes to %q, want %q", got, publicBase+khaiSinh)
		}
		checkA11y(t, ctx, "procedure")
		checkFocus(t, ctx, "procedure", 30)

		const link = `section[aria-labelledby="ui-can-cu"] a[href="/docs/regulations/luat-ho-tich-2014#dieu-16"]`
		do(t, ctx, "follow legal basis", chromedp.Click(chromedp.CSS(link)), chromedp.WaitVisible(chromedp.CSS("#dieu-16")))
		run(t, ctx, "target", chromedp.Poll[bool](`location.hash === '#dieu-16' && document.querySelector(':target') && document.querySelector(':target').id === 'dieu-16'`,
			chromedp.WithPollingTimeout(10*time.Second)))
		top := run(t, ctx, "article position", chromedp.Evaluate[float64](`document.getElementById('dieu-16').getBoundingClientRect().top`))
		if top < 0 || top > 200 {
			t.Errorf("Điều 16 is at %.0fpx from the top of the viewport, want it scrolled into view", top)
		}
		anchors := run(t, ctx, "copy-link buttons", chromedp.Evaluate[int](`document.querySelectorAll('[data-anchors] a.anchor').length`))
		if anchors == 0 {
			t.Errorf("no copy-link buttons beside the articles")
		}
		banner := run(t, ctx, "validity banner", chromedp.Text(chromedp.CSS(".banner.validity")))
		if !strings.Contains(banner, "Còn hiệu lực") {
			t.Errorf("validity banner = %q", banner)
		}
		screenshot(t, "regulation.png", run(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
		toc := run(t, ctx, "table of contents", chromedp.Evaluate[bool](`!!document.querySelector('nav.toc a[href="#dieu-16"]')`))
		if !toc {
			t.Errorf("the table of contents has no link to Điều 16")
		}
		// The link beside a clause copies the address of that clause.
		const clause = "/docs/regulations/luat-ho-tich-2014#dieu-16-khoan-1"
		run(t, ctx, "watch the clipboard", chromedp.Evaluate[bool](`window.copied = null;
			navigator.clipboard.writeText = t => { window.copied = t; return Promise.resolve(); }; true`))
		do(t, ctx, "copy the clause link", chromedp.Click(chromedp.CSS(`li#dieu-16-khoan-1 > a.anchor`)))
		copied := run(t, ctx, "copied", chromedp.Poll[string](`window.copied || ''`, chromedp.WithPollingTimeout(5*time.Second)))
		if copied != base+clause {
			t.Errorf("copied %q, want %q", copied, base+clause)
		}
		toast := run(t, ctx, "toast", chromedp.Poll[string](`(document.querySelector('.toast') || {}).textContent || ''`, chromedp.WithPollingTimeout(5*time.Second)))
		if toast != "Đã sao chép liên kết tới khoản 1 Điều 16." {
			t.Errorf("toast = %q", toast)
		}
		if loc := run(t, ctx, "location", chromedp.Location()); loc != base+clause {
			t.Errorf("after copying, location = %s", loc)
		}
		checkA11y(t, ctx, "regulation")
	})

	t.Run("print view", func(t *testing.T) {
		do(t, ctx, "open print view", chromedp.Navigate(base+khaiSinh+"?print=1"), chromedp.WaitVisible(chromedp.CSS("#ui-the")), printMedia(true))
		hidden := run(t, ctx, "nav hidden", chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('header.site')).display === 'none'`))
		if !hidden {
			t.Errorf("the site header is printed")
		}
		screenshot(t, "print.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
		pdf := run(t, ctx, "print to PDF", chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize()))
		if !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Errorf("print to PDF gave %d bytes that are not a PDF", len(pdf))
		}
		do(t, ctx, "screen media", printMedia(false))
	})

	t.Run("QR sheet", func(t *testing.T) {
		do(t, ctx, "open sheet", chromedp.Navigate(base+"/qr/sheet?field=H%E1%BB%99+t%E1%BB%8Bch"), chromedp.WaitVisible(chromedp.CSS(".qr-card")))
		n := run(t, ctx, "images loaded", chromedp.Poll[int](
			`(() => { const im = [...document.querySelectorAll('.qr-card img')]; return im.length && im.every(i => i.complete && i.naturalWidth > 0) ? im.length : 0; })()`,
			chromedp.WithPollingTimeout(15*time.Second)))
		if n < 5 {
			t.Errorf("QR sheet for Hộ tịch shows %d cards", n)
		}
		checkA11y(t, ctx, "QR sheet")
		do(t, ctx, "print media", printMedia(true))
		screenshot(t, "qr-sheet.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
		do(t, ctx, "screen media", printMedia(false))
	})

	t.Run("phone layout", func(t *testing.T) {
		do(t, ctx, "phone viewport",
			chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
			chromedp.Navigate(base+khaiSinh), chromedp.WaitVisible(chromedp.CSS("#ui-the")))
		screenshot(t, "procedure-mobile.png", run(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
		checkA11y(t, ctx, "procedure on a phone")
		for _, p := range []string{khaiSinh, "/search?q=dang+ky+thuong+tru", "/docs/regulations/luat-ho-tich-2014", "/", "/ask", "/docs?kind=procedure",
			"/qr/sheet?field=H%E1%BB%99+t%E1%BB%8Bch", "/docs/technology/vneid-cai-dat-va-kich-hoat"} {
			do(t, ctx, "open "+p, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("h1")))
			overflow := run(t, ctx, "overflow", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
			if overflow {
				w := run(t, ctx, "width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
				t.Errorf("%s is %dpx wide on a 390px phone", p, w)
			}
			small := run(t, ctx, "small text", chromedp.Evaluate[[]string](`[...document.querySelectorAll('main *')].filter(e =>
				e.childNodes.length && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) &&
				e.getClientRects().length && parseFloat(getComputedStyle(e).fontSize) < 12).slice(0, 5).map(e => e.tagName + ' ' + e.textContent.trim().slice(0, 30))`))
			if len(small) > 0 {
				t.Errorf("%s has text under 12px on a phone: %q", p, small)
			}
		}
		do(t, ctx, "reset viewport", chromedp.EmulateViewport(1280, 900))
	})

	t.Run("ask streams an answer with citations", func(t *testing.T) {
		do(t, ctx, "ask",
			chromedp.Navigate(base+"/ask"),
			chromedp.WaitVisible(chromedp.CSS("#ask-q")),
			chromedp.SendKeys(chromedp.CSS("#ask-q"), "ai co tham quyen dang ky ket hon"),
			chromedp.Click(chromedp.CSS(`#ask-form button[type="submit"]`)),
		)
		run(t, ctx, "answer done", chromedp.Poll[bool](
			`document.getElementById('ask-status').textContent.indexOf('Đã trả lời') >= 0`, chromedp.WithPollingTimeout(20*time.Second)))
		cites := run(t, ctx, "citations", chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('#ask-result .citations a')].map(a => a.getAttribute('href'))`))
		if len(cites) == 0 || !strings.HasPrefix(cites[0], "/docs/") {
			t.Errorf("streamed answer citations = %q", cites)
		}
		streamed := run(t, ctx, "used SSE", chromedp.Evaluate[bool](
			`performance.getEntriesByType('resource').some(e => e.name.indexOf('/api/v1/ask/stream?') >= 0)`))
		if !streamed {
			t.Errorf("the answer did not come from /api/v1/ask/stream")
		}
		if loc := run(t, ctx, "location", chromedp.Location()); !strings.Contains(loc, "/ask?q=") {
			t.Errorf("location = %s", loc)
		}
		screenshot(t, "ask.png", run(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
		checkA11y(t, ctx, "ask")
	})

	t.Run("ask follow-up stays on the procedure", func(t *testing.T) {
		ask := func(q string) string {
			run(t, ctx, "reset status", chromedp.Evaluate[bool](`(document.getElementById('ask-status').textContent = '', true)`))
			do(t, ctx, "ask "+q,
				chromedp.SetValue(chromedp.CSS("#ask-q"), q),
				chromedp.Click(chromedp.CSS(`#ask-form button[type="submit"]`)),
			)
			run(t, ctx, "answer done", chromedp.Poll[bool](
				`document.getElementById('ask-status').textContent.indexOf('Đã trả lời') >= 0`, chromedp.WithPollingTimeout(20*time.Second)))
			return run(t, ctx, "first line", chromedp.Evaluate[string](`document.querySelector('#ask-result .answer-text p').textContent`))
		}
		do(t, ctx, "open ask", chromedp.Navigate(base+"/ask"), chromedp.WaitVisible(chromedp.CSS("#ask-q")))
		if first := ask("lam giay khai sinh cho con can gi"); !strings.HasPrefix(first, "Thủ tục đăng ký khai sinh") {
			t.Fatalf("first answer starts %q", first)
		}
		hint := run(t, ctx, "focus hint", chromedp.Evaluate[string](
			`(() => { const h = document.getElementById('ask-focus'); return h.hidden ? '' : h.textContent; })()`))
		if !strings.Contains(hint, "Đăng ký khai sinh") {
			t.Errorf("focus hint = %q, want the procedure named", hint)
		}
		if next := ask("the le phi bao nhieu"); !strings.HasPrefix(next, "Lệ phí:") {
			t.Errorf("follow-up answer starts %q, want the fee of khai sinh", next)
		}
		screenshot(t, "ask-follow-up.png", run(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	})

	t.Run("drafting as an official", func(t *testing.T) {
		// An official's browser: every request carries the token.
		setToken := func(tok string) chromedp.Action[chromedp.Void] {
			return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				h := network.Headers{}
				if tok != "" {
					h["Authorization"] = "Bearer " + tok
				}
				_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: h})
				return err
			})
		}
		defer chromedp.Do(ctx, setToken(""))
		do(t, ctx, "fill the form",
			setToken(uiToken),
			chromedp.Navigate(base+"/drafts?template=thong-bao"),
			chromedp.WaitVisible(chromedp.CSS("#f-trich_yeu")),
			chromedp.SendKeys(chromedp.CSS("#f-trich_yeu"), "lịch tiếp công dân tháng 12"),
			chromedp.SendKeys(chromedp.CSS("#f-noi_dung"), "Ủy ban nhân dân xã tiếp công dân vào sáng thứ Năm hằng tuần tại Trung tâm Phục vụ hành chính công."),
			chromedp.SendKeys(chromedp.CSS("#d-issuer"), "Ủy ban nhân dân xã Suối Mây"),
			chromedp.SendKeys(chromedp.CSS("#d-issuer-code"), "UBND"),
			chromedp.SendKeys(chromedp.CSS("#d-title"), "Chủ tịch"),
			chromedp.Click(chromedp.CSS(`form.draft button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("iframe.draft-preview")),
		)
		if loc := run(t, ctx, "location", chromedp.Location()); !strings.Contains(loc, "/drafts/") {
			t.Errorf("after drafting the browser is at %s", loc)
		}
		docx := run(t, ctx, "docx link", chromedp.Evaluate[string](`document.querySelector('a[href$=".docx"]').getAttribute('href')`))
		if !strings.HasPrefix(docx, "/api/v1/drafts/") {
			t.Errorf("docx link = %q", docx)
		}
		st := run(t, ctx, "preview status", chromedp.Evaluate[int](
			`fetch(document.querySelector('iframe.draft-preview').src).then(r => r.status)`, chromedp.EvalAwaitPromise))
		if st != 200 {
			t.Errorf("preview frame source = %d", st)
		}
		// A full-page capture leaves the sandboxed frame (a separate
		// process) blank; the viewport capture paints it.
		run(t, ctx, "scroll to preview", chromedp.Evaluate[bool](`document.querySelector('iframe.draft-preview').scrollIntoView(), true`))
		time.Sleep(500 * time.Millisecond) // let the preview frame paint
		screenshot(t, "drafts.png", run(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
		checkA11y(t, ctx, "drafting")
	})

	t.Run("without JavaScript", func(t *testing.T) {
		scripts := func(on bool) chromedp.Action[chromedp.Void] {
			return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
				return err
			})
		}
		defer chromedp.Do(ctx, scripts(true))
		do(t, ctx, "search with the form",
			scripts(false),
			chromedp.Navigate(base+"/search"),
			chromedp.WaitVisible(chromedp.CSS("#q")),
			chromedp.SendKeys(chromedp.CSS("#q"), "dang ky ket hon\r"),
			chromedp.WaitVisible(chromedp.CSS("#results li > a")),
		)
		if loc := run(t, ctx, "location", chromedp.Location()); !strings.Contains(loc, "/search?q=dang+ky+ket+hon") {
			t.Errorf("the form went to %s", loc)
		}
		first := run(t, ctx, "first result", chromedp.AttributeValue(chromedp.CSS("#results li > a"), "href")).Value
		if first != "/docs/procedures/ho-tich/dang-ky-ket-hon" {
			t.Errorf("first result without JavaScript = %q", first)
		}
		do(t, ctx, "open it", chromedp.Click(chromedp.CSS("#results li > a")), chromedp.WaitVisible(chromedp.CSS("#ui-the")))
		// Buttons that need JavaScript are not shown; the print view is a link.
		if vis := run(t, ctx, "print button", chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('[data-print]')).display !== 'none'`)); vis {
			t.Errorf("a button that needs JavaScript is shown without it")
		}
		do(t, ctx, "print view link", chromedp.Click(chromedp.CSS(`a.button[href$="?print=1"]`)), chromedp.WaitVisible(chromedp.CSS("body.print-view #ui-the")))
		do(t, ctx, "ask with the form",
			chromedp.Navigate(base+"/ask"),
			chromedp.WaitVisible(chromedp.CSS("#ask-q")),
			chromedp.SendKeys(chromedp.CSS("#ask-q"), "ai co tham quyen dang ky ket hon"),
			chromedp.Click(chromedp.CSS(`#ask-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#ask-result .citations a")),
		)
		cite := run(t, ctx, "citation", chromedp.AttributeValue(chromedp.CSS("#ask-result .citations a"), "href")).Value
		if !strings.HasPrefix(cite, "/docs/") {
			t.Errorf("server-rendered answer cites %q", cite)
		}
	})

	t.Run("offline copy of a procedure opened once", func(t *testing.T) {
		// A citizen's phone: a fresh browser that opens the page once,
		// from the QR code, and never reloads it.
		ctx := browser(t)
		do(t, ctx, "open procedure", chromedp.Navigate(base+khaiSinh), chromedp.WaitVisible(chromedp.CSS("#ui-the")))
		run(t, ctx, "page and QR code kept", chromedp.Poll[bool](`(async () => {
			const c = await caches.open('sotay-pages');
			return !!(await c.match(location.href)) && !!(await c.match(document.querySelector('figure.qr img').src));
		})()`, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(200*time.Millisecond)))
		stop()
		do(t, ctx, "reopen offline", chromedp.Navigate(base+khaiSinh), chromedp.WaitVisible(chromedp.CSS("#ui-the")))
		title := run(t, ctx, "title", chromedp.Text(chromedp.CSS("h1")))
		if title != "Đăng ký khai sinh" {
			t.Errorf("offline page title = %q", title)
		}
		qr := run(t, ctx, "QR offline", chromedp.Poll[bool](`(() => { const i = document.querySelector('figure.qr img'); return i.complete && i.naturalWidth > 0; })()`,
			chromedp.WithPollingTimeout(5*time.Second)))
		if !qr {
			t.Errorf("the QR code is not shown offline")
		}
		do(t, ctx, "unopened page offline", chromedp.Navigate(base+"/docs/procedures/ho-tich/dang-ky-khai-tu"), chromedp.WaitVisible(chromedp.CSS("h1")))
		if h := run(t, ctx, "offline title", chromedp.Text(chromedp.CSS("h1"))); h != "Không có kết nối mạng" {
			t.Errorf("unopened page offline shows %q, want the offline page", h)
		}
		run(t, ctx, "cached list", chromedp.Poll[bool](`!!document.querySelector('[data-cached-pages] a[href="`+khaiSinh+`"]')`,
			chromedp.WithPollingTimeout(5*time.Second)))
		screenshot(t, "offline.png", run(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
		checkA11y(t, ctx, "offline")
	})
}
