package main

// Faults that only a real process shows: `kill -9` in the middle of a
// rebuild, and SIGTERM while requests are in flight. These tests build the
// binary (go build) into a temporary directory, run it on a generated
// corpus and talk to it over 127.0.0.1 only.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sotay/internal/synth"
)

// faultBinary builds the handbook binary into a temporary directory.
func faultBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary: skipped with -short")
	}
	if runtime.GOOS == "windows" {
		t.Skip("uses POSIX signals")
	}
	bin := filepath.Join(t.TempDir(), "handbook")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// faultCorpus generates a corpus of n chunks and returns its directory.
func faultCorpus(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "corpus")
	if _, err := generateCorpus(dir, synth.Options{Chunks: n, Queries: 20, Seed: uint64(n)}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lockedBuffer collects a child's output for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type faultProc struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// startProc runs the binary with a clean environment (no HANDBOOK_*
// settings from the developer's shell); the process is killed at cleanup
// if it is still running.
func startProc(t *testing.T, bin string, args ...string) *faultProc {
	t.Helper()
	p := &faultProc{cmd: exec.Command(bin, args...), out: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *faultProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit and returns its error.
func (p *faultProc) wait(t *testing.T, limit time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(limit):
		t.Fatalf("%s did not exit within %s; output:\n%s", strings.Join(p.cmd.Args, " "), limit, p.out)
		return nil
	}
}

// serve starts `handbook serve` on a free port of 127.0.0.1 and waits
// until /readyz answers 200.
func serve(t *testing.T, bin, content, data string, extra ...string) (*faultProc, string) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	args := append([]string{"serve", "-addr", base[len("http://"):], "-content", content, "-data", data}, extra...)
	p := startProc(t, bin, args...)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, base
			}
		}
		if p.exited() || time.Now().After(deadline) {
			t.Fatalf("handbook serve not ready (exited: %v); output:\n%s", p.exited(), p.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// searchHits asks the search API and returns the number of hits.
func searchHits(t *testing.T, base, q string) int {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/search?q=" + url.QueryEscape(q))
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		Hits []json.RawMessage `json:"hits"`
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("search %q: status %d: %s", q, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return len(body.Hits)
}

func firstQuestion(t *testing.T, corpus string) string {
	t.Helper()
	cases, err := readCases(filepath.Join(corpus, corpusQueries))
	if err != nil || len(cases) == 0 {
		t.Fatalf("questions of %s: %v", corpus, err)
	}
	return cases[0].Query
}

func readCurrent(t *testing.T, data string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "index", "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// otherIndexDirs lists index directories and markers besides keep.
func otherIndexDirs(t *testing.T, data, keep string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(data, "index"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "bleve-") && e.Name() != keep {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestKillDuringRebuild: `handbook index -rebuild` killed with SIGKILL
// half-way leaves the serving index untouched; the next start serves the
// old index and removes the half-built one.
func TestKillDuringRebuild(t *testing.T) {
	bin := faultBinary(t)
	small, big := faultCorpus(t, 200), faultCorpus(t, 8000)
	contentSmall, contentBig := filepath.Join(small, corpusContent), filepath.Join(big, corpusContent)
	data := t.TempDir()
	q := firstQuestion(t, small)

	if err := startProc(t, bin, "index", "-content", contentSmall, "-data", data).wait(t, 3*time.Minute); err != nil {
		t.Fatalf("first index: %v", err)
	}
	before := readCurrent(t, data)
	srv, base := serve(t, bin, contentSmall, data)
	if searchHits(t, base, q) == 0 {
		t.Fatalf("no hits for %q before the rebuild", q)
	}

	rebuild := startProc(t, bin, "index", "-rebuild", "-content", contentBig, "-data", data)
	var partial string
	deadline := time.Now().Add(3 * time.Minute)
	for partial == "" {
		for _, name := range otherIndexDirs(t, data, before) {
			if !strings.HasSuffix(name, ".building") {
				partial = name
			}
		}
		if rebuild.exited() {
			t.Fatalf("the rebuild ended before it could be killed (make the corpus bigger); output:\n%s", rebuild.out)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new index directory appeared; output:\n%s", rebuild.out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let it write some segments
	if rebuild.exited() {
		t.Fatalf("the rebuild ended before it could be killed (make the corpus bigger); output:\n%s", rebuild.out)
	}
	if err := rebuild.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	rebuild.wait(t, time.Minute)

	if got := readCurrent(t, data); got != before {
		t.Fatalf("CURRENT = %s after the killed rebuild, want %s", got, before)
	}
	if got := otherIndexDirs(t, data, before); len(got) == 0 {
		t.Fatalf("the killed rebuild left nothing behind; the test did not kill it mid-way")
	}
	if searchHits(t, base, q) == 0 {
		t.Errorf("the running server stopped answering after the killed rebuild")
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	if err := srv.wait(t, time.Minute); err != nil {
		t.Errorf("serve exit after SIGTERM: %v; output:\n%s", err, srv.out)
	}

	// The next start: serves the old index and removes the dead build.
	srv, base = serve(t, bin, contentSmall, data)
	if searchHits(t, base, q) == 0 {
		t.Errorf("after a restart the old index does not answer %q", q)
	}
	if got := otherIndexDirs(t, data, before); len(got) > 0 {
		t.Errorf("after a restart the index directory still holds %q besides %s", got, before)
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	srv.wait(t, time.Minute)
}

// TestSIGTERMDrainsInFlight: on SIGTERM the server stops accepting
// connections, but an answer in flight (the LLM takes its time) completes
// normally, and the process exits 0. (A request whose headers have not all
// arrived when SIGTERM comes is dropped by net/http without an answer; the
// client may retry it, since nothing was done.)
func TestSIGTERMDrainsInFlight(t *testing.T) {
	bin := faultBinary(t)
	corpus := faultCorpus(t, 200)
	q := firstQuestion(t, corpus)

	inLLM := make(chan struct{}, 4)
	llm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.NotFound(w, r)
			return
		}
		inLLM <- struct{}{}
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"c1","object":"chat.completion","created":0,"model":"slow","choices":[{"index":0,"message":{"role":"assistant","content":"Theo quy định [1]."},"finish_reason":"stop"}]}`)
	}))
	defer llm.Close()
	srv, base := serve(t, bin, filepath.Join(corpus, corpusContent), t.TempDir(), "-llm-url", llm.URL, "-llm-timeout", "30s")
	addr := base[len("http://"):]

	type result struct {
		status int
		body   string
		err    error
	}
	asked := make(chan result, 1)
	go func() {
		body, _ := json.Marshal(map[string]string{"question": q, "mode": "llm"})
		resp, err := http.Post(base+"/api/v1/ask", "application/json", bytes.NewReader(body))
		if err != nil {
			asked <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		asked <- result{resp.StatusCode, string(b), err}
	}()
	select {
	case <-inLLM:
	case r := <-asked:
		t.Fatalf("the answer came back before reaching the LLM: %d %s %v", r.status, r.body, r.err)
	case <-time.After(time.Minute):
		t.Fatal("the question never reached the LLM")
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	// While the answer is still in flight, new connections are refused.
	var r result
	refused := false
poll:
	for {
		select {
		case r = <-asked:
			break poll
		case <-time.After(20 * time.Millisecond):
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
		} else if !refused {
			refused = true
		}
	}
	if r.err != nil || r.status != http.StatusOK || !strings.Contains(r.body, `"answer"`) {
		t.Errorf("answer in flight at SIGTERM = %d %s %v, want 200 with an answer; output:\n%s", r.status, r.body, r.err, srv.out)
	}
	if !refused {
		t.Error("the server kept accepting connections after SIGTERM while draining")
	}
	if err := srv.wait(t, time.Minute); err != nil {
		t.Errorf("serve exit after SIGTERM = %v, want 0; output:\n%s", err, srv.out)
	}
}
