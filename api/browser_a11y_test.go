package api_test

import (
	"context"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// onlyLocalRequests fails the test when the browser asks any origin other
// than the test server on loopback: every page, style, script, image and
// font must come from the one binary (a commune PC may have no internet).
func onlyLocalRequests(t *testing.T, ctx context.Context) {
	t.Helper()
	var mu sync.Mutex
	var foreign []string
	err := chromedp.Listen(ctx, func(ev any) {
		e, ok := ev.(*network.EventRequestWillBeSent)
		if !ok || e.Request == nil {
			return
		}
		u, err := url.Parse(e.Request.URL)
		if err != nil {
			return
		}
		switch u.Scheme {
		case "http", "https", "ws", "wss":
		default:
			return // data:, blob:, chrome-extension: and the like stay inside the browser
		}
		if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
			mu.Lock()
			foreign = append(foreign, e.Request.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("listen to network events: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enable network events: %v", err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if len(foreign) > 0 {
			t.Errorf("the browser requested %d URLs of other origins: %q", len(foreign), foreign)
		}
	})
}

// axeScript is axe-core (Deque's accessibility engine, from the npm
// package that .ci/run installs). Without it the accessibility checks are
// skipped with a message, unless CI=true or HANDBOOK_TEST_REQUIRE names
// axe, where that is a failure.
var axeScript = sync.OnceValues(func() ([]byte, error) {
	return os.ReadFile("../node_modules/axe-core/axe.min.js")
})

// axeViolation is one rule that failed on a page.
type axeViolation struct {
	ID, Impact, Help string
	Nodes            []string
}

// checkA11y runs axe-core on the page in the tab against WCAG 2.1 A and AA
// (labels, names, contrast, landmarks, ARIA, lists, headings…) and fails on
// every violation.
func checkA11y(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	src, err := axeScript()
	if err != nil {
		msg := "axe-core not found: run `npm install --no-save axe-core@4.14.1` at the repository root for the accessibility checks"
		if os.Getenv("CI") == "true" || strings.Contains(os.Getenv("HANDBOOK_TEST_REQUIRE"), "axe") {
			t.Fatal(msg)
		}
		t.Log(msg)
		return
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(src)+";\ntypeof axe === 'object'")); err != nil {
		t.Fatalf("%s: load axe-core: %v", page, err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Passes     []string
		Violations []axeViolation
	}](`axe.run(document, {
		runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
		resultTypes: ['violations'],
	}).then(r => ({
		passes: r.passes.map(p => p.id),
		violations: r.violations.map(v => ({
			id: v.id, impact: v.impact || '', help: v.help,
			nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 240)),
		})),
	}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: run axe-core: %v", page, err)
	}
	// The rules that must have run and passed on every page: a check that
	// silently ran nothing would pass too.
	for _, rule := range []string{"color-contrast", "html-has-lang", "document-title", "image-alt", "link-name"} {
		if !slices.Contains(res.Passes, rule) && !slices.ContainsFunc(res.Violations, func(v axeViolation) bool { return v.ID == rule }) {
			t.Errorf("%s: axe-core did not run the rule %s (passed: %v)", page, rule, res.Passes)
		}
	}
	for _, v := range res.Violations {
		t.Errorf("%s: %s (%s): %s\n\t%s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
}

// focusProblem describes what is wrong with the focused element, or is
// empty: it must be on screen and show a focus ring (an outline of at least
// 2px or a box shadow) in a colour other than its background.
const focusProblem = `(() => {
	const e = document.activeElement;
	if (!e || e === document.body) return 'focus left the page';
	const s = getComputedStyle(e), r = e.getBoundingClientRect();
	const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' "' + (e.textContent || e.value || '').trim().slice(0, 40) + '"';
	if (r.width < 1 || r.height < 1) return name + ': focused but not visible';
	if (r.bottom < 0 || r.right < 0 || r.top > innerHeight || r.left > innerWidth) return name + ': focused off screen';
	const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 && s.outlineColor !== s.backgroundColor;
	const shadow = s.boxShadow && s.boxShadow !== 'none';
	return outline || shadow ? '' : name + ': no visible focus indicator (outline ' + s.outlineStyle + ' ' + s.outlineWidth + ')';
})()`

// checkFocus walks the page with the Tab key: the first stop is the skip
// link, shown on screen, and every stop shows where the focus is.
func checkFocus(t *testing.T, ctx context.Context, page string, stops int) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement && document.activeElement.blur(), window.scrollTo(0, 0), true`)); err != nil {
		t.Fatalf("%s: reset focus: %v", page, err)
	}
	seen := map[string]bool{}
	for i := range stops {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatalf("%s: Tab: %v", page, err)
		}
		if i == 0 {
			skip, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const e = document.activeElement, r = e.getBoundingClientRect();
				return e.classList.contains('skip') && r.top >= 0 && r.bottom <= innerHeight; })()`))
			if err != nil || !skip {
				t.Errorf("%s: the first Tab does not show the skip link (%v)", page, err)
			}
		}
		p, err := chromedp.Run(ctx, chromedp.Evaluate[string](focusProblem))
		if err != nil {
			t.Fatalf("%s: read focus: %v", page, err)
		}
		if p != "" && !seen[p] {
			seen[p] = true
			t.Errorf("%s, Tab %d: %s", page, i+1, p)
		}
	}
}
