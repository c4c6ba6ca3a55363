package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"sotay/api"
	"sotay/handbook"
)

// flakyStore is a question log whose writes fail with ErrUnavailable (a
// database that is down) while fail says so. Other Store methods are not
// called by these tests.
type flakyStore struct {
	handbook.Store

	mu     sync.Mutex
	fail   func(call int) bool // call counts from 1
	calls  int
	failed []time.Time
	logged []handbook.Question
}

func (s *flakyStore) LogQuestion(ctx context.Context, q *handbook.Question) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil && s.fail(s.calls) {
		s.failed = append(s.failed, time.Now())
		return fmt.Errorf("log question: %w", handbook.ErrUnavailable)
	}
	q.ID = int64(len(s.logged) + 1)
	s.logged = append(s.logged, *q)
	return nil
}

func (s *flakyStore) setFail(fail func(int) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fail
}

func (s *flakyStore) queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var qs []string
	for _, q := range s.logged {
		qs = append(qs, q.Query)
	}
	return qs
}

func (s *flakyStore) failures() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.failed)
}

func failFirst(n int) func(int) bool { return func(call int) bool { return call <= n } }
func failAll(int) bool               { return true }

// idleListener lets Serve run inside a synctest bubble: it accepts no
// connection (tests call Handler directly) and Accept returns on Close.
type idleListener struct {
	once   sync.Once
	closed chan struct{}
}

func (l *idleListener) Accept() (net.Conn, error) { <-l.closed; return nil, net.ErrClosed }
func (l *idleListener) Close() error              { l.once.Do(func() { close(l.closed) }); return nil }
func (l *idleListener) Addr() net.Addr            { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// spoolEnv is a server over store, spooling to dir ("" for memory), that
// runs Serve until stop.
type spoolEnv struct {
	t    *testing.T
	srv  *api.Server
	log  *syncWriter
	stop func()
}

func newSpoolEnv(t *testing.T, store handbook.Store, dir string, limits ...int64) *spoolEnv {
	t.Helper()
	lib := fixtureLibrary()
	r := &handbook.Retriever{Keyword: fakeIndex{lib.Chunks()}}
	r.SetAnalyzer(&handbook.Analyzer{Thesaurus: lib.Thesaurus, Vocab: lib.Vocabulary()})
	log := &syncWriter{}
	srv, err := api.New(api.Options{Retriever: r, Library: func() *handbook.Library { return lib }, Store: store,
		SpoolDir: dir, Logger: slog.New(slog.NewJSONHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if len(limits) == 2 {
		api.SetQuestionSpoolLimits(srv, int(limits[0]), limits[1])
	}
	return &spoolEnv{t: t, srv: srv, log: log}
}

// serve runs Serve until e.stop is called. It must run in a synctest
// bubble: it returns once Serve waits for connections.
func (e *spoolEnv) serve() {
	ctx, cancel := context.WithCancel(e.t.Context())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, &idleListener{closed: make(chan struct{})}) }()
	synctest.Wait()
	e.stop = func() {
		cancel()
		if err := <-done; err != nil {
			e.t.Errorf("Serve = %v", err)
		}
	}
}

// search asks the search API; live sends it as the page's script does
// while the user types.
func (e *spoolEnv) search(q string, live bool) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/search?q="+url.QueryEscape(q), nil)
	if live {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Sec-Fetch-Mode", "cors")
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		e.t.Errorf("search %q = %d %s, want 200", q, rec.Code, rec.Body)
	}
	return rec
}

// logLines returns the messages logged with their attributes.
func (e *spoolEnv) logLines(msg string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(e.log.String()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func spoolFile(dir string) string { return filepath.Join(dir, "questions.jsonl") }

func readSpool(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(spoolFile(dir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

// TestQuestionSpoolRetries: while the store fails, searches still answer
// (without X-Question-Id) and their log entries wait in the spool file,
// masked; the spool is retried with backoff 1s, 2s, 4s… and every entry
// ends up stored once, in order.
func TestQuestionSpoolRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &flakyStore{fail: failFirst(5)} // 3 direct writes, then 2 replays
		dir := t.TempDir()
		e := newSpoolEnv(t, store, dir)
		e.serve()
		start := time.Now()
		queries := []string{"khai sinh cho bé, gọi 0912 345 678", "luật hộ tịch", "đăng ký khai sinh"}
		for _, q := range queries {
			if rec := e.search(q, false); rec.Header().Get("X-Question-Id") != "" {
				t.Errorf("search %q during the outage has X-Question-Id %q, want none", q, rec.Header().Get("X-Question-Id"))
			}
		}
		spooled := readSpool(t, dir)
		if n := strings.Count(spooled, "\n"); n != 3 || strings.Contains(spooled, "0912") || !strings.Contains(spooled, "[SĐT]") {
			t.Errorf("spool file holds %d entries, want 3 with the phone number masked:\n%s", n, spooled)
		}

		time.Sleep(time.Minute)
		synctest.Wait()
		want := []string{"khai sinh cho bé, gọi [SĐT]", "luật hộ tịch", "đăng ký khai sinh"}
		if got := store.queries(); !slices.Equal(got, want) {
			t.Errorf("stored = %q, want %q", got, want)
		}
		var after []time.Duration
		for _, f := range store.failures() {
			after = append(after, f.Sub(start))
		}
		if want := []time.Duration{0, 0, 0, time.Second, 3 * time.Second}; !slices.Equal(after, want) {
			t.Errorf("failed writes at %v, want %v (direct writes, then replays with backoff)", after, want)
		}
		if s := readSpool(t, dir); s != "" {
			t.Errorf("spool file after the replay = %q, want empty", s)
		}
		if n := len(e.logLines("store did not take question log entry, spooled")); n != 3 {
			t.Errorf("%d spool warnings, want 3", n)
		}

		// The store is back: searches are logged directly, with their id.
		if rec := e.search("lệ phí khai sinh", false); rec.Header().Get("X-Question-Id") != "4" {
			t.Errorf("X-Question-Id after the outage = %q, want 4", rec.Header().Get("X-Question-Id"))
		}
		e.stop()
	})
}

// lossyStore takes every entry at once, and can later report one it
// failed to write behind (as the SQLite store does).
type lossyStore struct {
	flakyStore
	lost func(handbook.Question, error)
}

func (s *lossyStore) SetLostQuestion(fn func(handbook.Question, error)) { s.lost = fn }

// TestQuestionSpoolTakesEntriesLostBehind: an entry the store answered
// for, then could not write, is spooled (masked, without its id) and
// written again by the replay.
func TestQuestionSpoolTakesEntriesLostBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &lossyStore{}
		dir := t.TempDir()
		e := newSpoolEnv(t, store, dir)
		if store.lost == nil {
			t.Fatal("the server did not hand the store a handler for lost entries")
		}
		e.serve()
		if rec := e.search("khai sinh, gọi 0912 345 678", false); rec.Header().Get("X-Question-Id") != "1" {
			t.Fatalf("X-Question-Id = %q, want 1", rec.Header().Get("X-Question-Id"))
		}
		q := store.flakyStore.logged[0]
		store.lost(q, fmt.Errorf("write question log: %w", handbook.ErrUnavailable))
		if spooled := readSpool(t, dir); strings.Count(spooled, "\n") != 1 || !strings.Contains(spooled, "[SĐT]") || strings.Contains(spooled, `"id":1`) {
			t.Errorf("spool after the loss = %q, want the entry, masked, without its id", spooled)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := store.queries(); len(got) != 2 || got[1] != got[0] {
			t.Errorf("stored = %q, want the entry written again by the replay", got)
		}
		e.stop()
	})
}

// TestQuestionSpoolRetriesAtOnceWhenStoreIsBack: a direct write that
// succeeds shows the store is back; the spool does not wait its backoff.
func TestQuestionSpoolRetriesAtOnceWhenStoreIsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &flakyStore{fail: failAll}
		e := newSpoolEnv(t, store, t.TempDir())
		e.serve()
		e.search("luật hộ tịch", false)
		time.Sleep(20 * time.Second) // replays at 1s, 3s, 7s, 15s fail; the next is at 31s
		store.setFail(nil)
		e.search("đăng ký khai sinh", false)
		synctest.Wait()
		if got, want := store.queries(), []string{"đăng ký khai sinh", "luật hộ tịch"}; !slices.Equal(got, want) {
			t.Errorf("stored at once = %q, want %q", got, want)
		}
		e.stop()
	})
}

// TestQuestionSpoolReplayedAfterRestart: what a run leaves in the spool
// (entries it could not write, the live search waiting at shutdown, a line
// torn by a crash) is written by the next run over the same directory,
// from where the previous replay stopped, each entry once.
func TestQuestionSpoolReplayedAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		down := &flakyStore{fail: failAll}
		first := newSpoolEnv(t, down, dir)
		first.serve()
		first.search("luật hộ tịch", false)
		first.search("đăng ký khai sinh", false)
		first.search("thủ tục khai sinh", true) // waits for the next keystroke
		first.stop()                            // shutdown writes it: the store fails, so it is spooled
		if n := strings.Count(readSpool(t, dir), "\n"); n != 3 {
			t.Fatalf("spool after shutdown holds %d entries, want 3", n)
		}
		if n := len(first.logLines("question log entries left in the spool for the next start")); n != 1 {
			t.Errorf("%d shutdown reports of the spool, want 1", n)
		}
		// A crash in the middle of an append leaves a torn line.
		f, err := os.OpenFile(spoolFile(dir), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(`{"source":"search","query":"nửa dòng`)
		f.Close()

		// The second run writes the first entry, then the store fails again.
		flaky := &flakyStore{fail: func(call int) bool { return call > 1 }}
		second := newSpoolEnv(t, flaky, dir)
		second.serve()
		synctest.Wait()
		second.stop()
		if got, want := flaky.queries(), []string{"luật hộ tịch"}; !slices.Equal(got, want) {
			t.Errorf("second run stored %q, want %q", got, want)
		}
		if n := len(second.logLines("cut a torn entry from the question spool (a crash during its write)")); n != 1 {
			t.Errorf("torn entry reported %d times, want once:\n%s", n, second.log)
		}

		up := &flakyStore{}
		third := newSpoolEnv(t, up, dir)
		third.serve()
		synctest.Wait()
		if got, want := up.queries(), []string{"đăng ký khai sinh", "thủ tục khai sinh"}; !slices.Equal(got, want) {
			t.Errorf("third run stored %q, want %q", got, want)
		}
		if s := readSpool(t, dir); s != "" {
			t.Errorf("spool file after the replay = %q, want empty", s)
		}
		third.stop()
	})
}

// TestQuestionSpoolBounds: the spool is bounded (in memory without a
// directory; the file, then memory, with one). What does not fit is dropped
// and counted in warnings; what fits is written in order.
func TestQuestionSpoolBounds(t *testing.T) {
	queries := []string{"khai sinh 1", "khai sinh 2", "khai sinh 3", "khai sinh 4", "khai sinh 5"}
	for _, tc := range []struct {
		name    string
		dir     bool
		entries int
		lines   int // entries the file holds
	}{
		{name: "memory", entries: 3},
		{name: "file then memory", dir: true, entries: 1, lines: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				store := &flakyStore{fail: failAll}
				dir := ""
				if tc.dir {
					dir = t.TempDir()
				}
				e := newSpoolEnv(t, store, dir, int64(tc.entries), 1<<20)
				e.serve()
				e.search(queries[0], false)
				if tc.dir {
					// Room for tc.lines entries of the first one's size.
					st, err := os.Stat(spoolFile(dir))
					if err != nil {
						t.Fatal(err)
					}
					api.SetQuestionSpoolLimits(e.srv, tc.entries, int64(tc.lines)*st.Size()+st.Size()/2)
				}
				for _, q := range queries[1:] {
					e.search(q, false)
				}
				if got := strings.Count(readSpool(t, dir), "\n"); tc.dir && got != tc.lines {
					t.Errorf("spool file holds %d entries, want %d", got, tc.lines)
				}
				if n := len(e.logLines("question spool full, dropping question log entries")); n != 1 {
					t.Errorf("%d warnings that the spool is full, want 1", n)
				}
				store.setFail(nil)
				time.Sleep(time.Minute)
				synctest.Wait()
				kept := tc.lines + tc.entries
				if got, want := store.queries(), queries[:kept]; !slices.Equal(got, want) {
					t.Errorf("stored = %q, want %q", got, want)
				}
				dropped := e.logLines("question log entries dropped while the spool was full")
				if len(dropped) != 1 || dropped[0]["dropped"] != float64(len(queries)-kept) {
					t.Errorf("drop reports = %v, want one with dropped=%d", dropped, len(queries)-kept)
				}
				e.stop()
			})
		})
	}
}
