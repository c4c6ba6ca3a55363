package main

// `handbook bench` measures what a province cares about on modest hardware,
// on a synthetic corpus modelled on the real content (bench gen), and runs
// the same questions on PostgreSQL full-text search in the same run:
//
//  1. indexing throughput, keyword only and with an in-process fake embedder
//     that waits like a model server;
//  2. warm start: `handbook serve` as a child process, from exec to /readyz
//     answering 200 on an index that is already built;
//  3. search latency over HTTP on 127.0.0.1 at concurrency 1 and 8 against
//     that server, its Recall@1 and MRR@10 on the questions, and its peak
//     resident memory (VmHWM);
//  4. the time to re-index one edited document;
//  5. PostgreSQL FTS on the same chunks and questions (bench_pg.go).
//
// Speed targets are checked here and in `go test -bench`, never in unit tests.

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"testing/fstest"
	"time"

	"sotay/content"
	"sotay/handbook"
	"sotay/indexer"
	"sotay/indexer/bleve"
	"sotay/indexer/memvec"
	"sotay/internal/gctune"
	"sotay/internal/synth"
)

func cmdBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "gen":
			return cmdBenchGen(ctx, args[1:], getenv, stdout, stderr)
		case "load":
			return cmdBenchLoad(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Cách dùng:
  handbook bench [-corpus DIR | -chunks N] [tùy chọn]   đo hiệu năng, so sánh với PostgreSQL FTS
  handbook bench gen -chunks N -out DIR                 tạo kho văn bản tổng hợp và bộ câu hỏi
  handbook bench load [-rate 200 -duration 60s]          tải hỗn hợp vào máy chủ trên 127.0.0.1

`)
		fs.PrintDefaults()
	}
	var o benchOptions
	fs.StringVar(&o.corpus, "corpus", "", "corpus directory from `handbook bench gen` (default: generate one in the work directory)")
	fs.IntVar(&o.chunks, "chunks", 100000, "chunks to generate when -corpus is not given")
	fs.IntVar(&o.queries, "queries", 500, "questions to generate when -corpus is not given")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the generated corpus")
	fs.StringVar(&o.work, "work", "", "work directory for indexes (default: a temporary directory, removed at the end)")
	fs.StringVar(&o.pg, "pg", "auto", "PostgreSQL baseline: auto (throwaway cluster), off, or a postgres:// URL on 127.0.0.1")
	fs.IntVar(&o.requests, "requests", 2000, "requests per concurrency-8 run")
	fs.IntVar(&o.starts, "starts", 3, "warm starts to time (the median is reported)")
	fs.DurationVar(&o.embedCall, "embed-call", 25*time.Millisecond, "fake embedder: wait per call")
	fs.DurationVar(&o.embedText, "embed-text", 250*time.Microsecond, "fake embedder: wait per text")
	fs.IntVar(&o.embedDim, "embed-dim", 384, "fake embedder: vector dimension")
	fs.BoolVar(&o.skipEmbed, "skip-embed", false, "skip the indexing run with the fake embedder")
	fs.StringVar(&o.report, "report", "", "append the results as Markdown to this file (e.g. docs/BENCHMARKS.md)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of in-process searches to this file")
	fs.StringVar(&o.jsonOut, "json", "", "write the raw results as JSON to this file")
	phases := fs.String("phases", "index,embed,serve,inprocess,pg,gold", "phases to run; serve and inprocess reuse the index of an earlier run in -work when index is left out")
	fs.StringVar(&o.gold, "gold", "eval/*.jsonl", "gold set of the real content for the quality comparison (phase gold)")
	fs.BoolVar(&o.pgKeep, "pg-keep", false, "with -pg URL: keep the loaded schema "+pgSchema+" for inspection")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	o.phases = map[string]bool{}
	for _, p := range strings.Split(*phases, ",") {
		switch p = strings.TrimSpace(p); p {
		case "index", "embed", "serve", "inprocess", "pg", "gold":
			o.phases[p] = true
		default:
			return fmt.Errorf("bench: unknown phase %q in -phases", p)
		}
	}
	if o.skipEmbed {
		delete(o.phases, "embed")
	}
	if o.pg == "off" {
		delete(o.phases, "pg")
		delete(o.phases, "gold")
	}
	if o.pg != "auto" && o.pg != "off" {
		if err := loopbackURL(o.pg); err != nil {
			return fmt.Errorf("-pg: %w", err)
		}
	}
	o.log = stderr
	res, err := runBench(ctx, o)
	if err != nil {
		return err
	}
	md := res.markdown()
	fmt.Fprint(stdout, md)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if o.report != "" {
		f, err := os.OpenFile(o.report, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.WriteString("\n" + md); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return nil
}

type benchOptions struct {
	corpus, work, pg, report, cpuProfile, jsonOut string
	gold                                          string
	chunks, queries, requests, starts, embedDim   int
	seed                                          uint64
	embedCall, embedText                          time.Duration
	skipEmbed, pgKeep                             bool
	phases                                        map[string]bool
	log                                           io.Writer
}

// quality is retrieval quality on a question set.
type quality struct {
	Cases int     `json:"cases"`
	R1    float64 `json:"recall_at_1"`
	R10   float64 `json:"recall_at_10"`
	MRR10 float64 `json:"mrr_at_10"`
}

func qualityOf(r handbook.EvalReport) quality {
	return quality{Cases: r.Cases, R1: r.R1, R10: r.R10, MRR10: r.MRR10}
}

// benchResult is everything one run measured.
type benchResult struct {
	Date       time.Time `json:"date"`
	Machine    machine   `json:"machine"`
	LoadBefore string    `json:"load_before"`
	LoadAfter  string    `json:"load_after"`
	Args       string    `json:"args"`

	Corpus    string        `json:"corpus"`
	Generated bool          `json:"generated"`
	GenTook   time.Duration `json:"gen_ns"`
	Documents int           `json:"documents"`
	Chunks    int           `json:"chunks"`
	Questions int           `json:"questions"`

	ContentLoad  time.Duration   `json:"content_load_ns"` // parse + lint + library
	Index        time.Duration   `json:"index_ns"`        // keyword index build (Manager.Sync rebuild)
	IndexCPU     time.Duration   `json:"index_cpu_ns"`
	IndexSize    int64           `json:"index_bytes"`
	IndexEmbed   time.Duration   `json:"index_embed_ns"` // keyword index + fake embeddings into memvec
	EmbedCalls   int64           `json:"embed_calls"`
	EmbedWaited  time.Duration   `json:"embed_waited_ns"`
	WarmStarts   []time.Duration `json:"warm_starts_ns"`
	Update       time.Duration   `json:"update_ns"`        // Manager.Sync of one changed document
	UpdateReload time.Duration   `json:"update_reload_ns"` // content reload and analyzer (App.Reload) before it
	UpdateFound  bool            `json:"update_found"`
	// The steps of a warm start, timed in this process.
	WarmLoad     time.Duration `json:"warm_load_ns"`
	WarmAnalyzer time.Duration `json:"warm_analyzer_ns"`
	WarmOpen     time.Duration `json:"warm_open_ns"`

	Quality      quality       `json:"quality"`
	HTTP1        latencies     `json:"http_c1"`
	HTTP8        latencies     `json:"http_c8"`
	HTTPCPU      time.Duration `json:"http_cpu_per_search_ns"`    // server CPU per search at c=1
	HTTP8CPU     time.Duration `json:"http8_cpu_per_search_ns"`   // and at c=8, where searches share commits and caches
	Client8CPU   time.Duration `json:"client8_cpu_per_search_ns"` // the benchmark's own, on the same cores
	InProcess    latencies     `json:"in_process_c1"`
	InProcessCPU time.Duration `json:"in_process_cpu_per_search_ns"`
	PeakRSS      int64         `json:"peak_rss_bytes"`
	RSS          int64         `json:"rss_bytes"`
	// RSS split at the end: the heap (anonymous) and mapped files (bleve
	// maps its segments; those pages are shared with the page cache).
	RSSAnon int64 `json:"rss_anon_bytes"`
	RSSFile int64 `json:"rss_file_bytes"`

	PG    *pgResult `json:"postgres,omitempty"`
	PGErr string    `json:"postgres_error,omitempty"`

	// The real content and its gold set, on both systems.
	Gold    *goldResult `json:"gold,omitempty"`
	GoldErr string      `json:"gold_error,omitempty"`
}

type goldResult struct {
	Files   []string  `json:"files"`
	Chunks  int       `json:"chunks"`
	Quality quality   `json:"quality"`
	PG      *pgResult `json:"postgres"`
}

func runBench(ctx context.Context, o benchOptions) (*benchResult, error) {
	res := &benchResult{Date: time.Now(), Machine: thisMachine(), LoadBefore: loadAverage(), Args: strings.Join(os.Args[1:], " ")}
	say := func(format string, args ...any) { fmt.Fprintf(o.log, "bench: "+format+"\n", args...) }
	work := o.work
	if work == "" {
		dir, err := os.MkdirTemp("", "handbook-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		work = dir
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}

	// 1. The corpus.
	corpus := o.corpus
	if corpus == "" {
		corpus = filepath.Join(work, "corpus")
		say("generating %d chunks in %s", o.chunks, corpus)
		start := time.Now()
		if _, err := generateCorpus(corpus, synth.Options{Chunks: o.chunks, Queries: o.queries, Seed: o.seed}); err != nil {
			return nil, err
		}
		res.GenTook, res.Generated = time.Since(start), true
	}
	res.Corpus = corpus
	contentDir := filepath.Join(corpus, corpusContent)
	cases, err := readCases(filepath.Join(corpus, corpusQueries))
	if err != nil {
		return nil, err
	}
	res.Questions = len(cases)
	start := time.Now()
	loader := &indexer.Loader{FS: os.DirFS(contentDir)}
	lib, _, err := loader.Load(handbook.Today(time.Now()))
	if err != nil {
		return nil, err
	}
	res.ContentLoad = time.Since(start)
	res.Documents, res.Chunks = len(lib.Docs), len(lib.Chunks())
	say("content: %d documents, %d chunks, %d questions, loaded in %s", res.Documents, res.Chunks, len(cases), res.ContentLoad.Round(time.Millisecond))

	// 2. Indexing, keyword only: the data directory `serve` will use.
	data := filepath.Join(work, "data")
	if o.phases["index"] {
		say("indexing %d chunks (keyword)", res.Chunks)
		m := newBenchManager(filepath.Join(data, "index"))
		cpu := cpuTime()
		st, err := m.Sync(ctx, lib, true)
		if err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		res.Index, res.IndexCPU = st.Took, cpuTime()-cpu
		m.Close()
		// The content snapshot `handbook index` leaves beside the index.
		loader.Cache = filepath.Join(data, contentSnapshot)
		if err := loader.Save(); err != nil {
			return nil, err
		}
		res.IndexSize = dirSize(filepath.Join(data, "index"))
		say("indexed in %s (%.0f chunks/s; %s CPU), %s on disk", res.Index.Round(time.Millisecond), perSecond(res.Chunks, res.Index),
			res.IndexCPU.Round(time.Millisecond), mib(res.IndexSize))
	}

	// 3. Indexing with the fake embedder into memvec.
	if o.phases["embed"] {
		fe := &fakeEmbedder{dim: o.embedDim, perCall: o.embedCall, perText: o.embedText}
		vdir := filepath.Join(work, "data-vectors")
		store := memvec.New()
		mv := newBenchManager(filepath.Join(vdir, "index"))
		mv.Vectors = &indexer.VectorSync{Store: store, Embedder: fe, Manifest: filepath.Join(vdir, "vectors.json")}
		say("indexing %d chunks with a fake embedder (%s per call + %s per text)", res.Chunks, o.embedCall, o.embedText)
		st, err := mv.Sync(ctx, lib, true)
		if err != nil {
			return nil, fmt.Errorf("index with embeddings: %w", err)
		}
		mv.Close()
		os.RemoveAll(vdir)
		res.IndexEmbed, res.EmbedCalls, res.EmbedWaited = st.Took, fe.calls.Load(), time.Duration(fe.waited.Load())
		say("indexed with embeddings in %s (%.0f chunks/s; %d calls, %s waiting for the model)",
			res.IndexEmbed.Round(time.Millisecond), perSecond(res.Chunks, res.IndexEmbed), res.EmbedCalls, res.EmbedWaited.Round(time.Millisecond))
		runtime.GC()
	}

	// The later phases load what they need themselves: holding this
	// library (hundreds of MB at 100k chunks) would slow this process's
	// garbage collector and distort the in-process timings.
	lib, loader = nil, nil
	runtime.GC()
	debug.FreeOSMemory()

	// 4. Warm starts, latency, quality and memory of a real server.
	if o.phases["serve"] {
		if err := benchServer(ctx, o, res, contentDir, data, cases); err != nil {
			return nil, err
		}
	}

	// 5. In-process searches (optionally profiled) and a one-document update.
	if o.phases["inprocess"] {
		if err := benchInProcess(ctx, o, res, contentDir, data, cases); err != nil {
			return nil, err
		}
	}

	// 6. The baseline, on the synthetic corpus and on the real content.
	pgURL := o.pg
	if pgURL == "auto" && (o.phases["pg"] || o.phases["gold"]) {
		c, err := startPG(ctx, o.log)
		if err != nil {
			res.PGErr, res.GoldErr = err.Error(), err.Error()
			say("postgres baseline not run: %v", err)
			delete(o.phases, "pg")
			delete(o.phases, "gold")
		} else {
			defer c.stop()
			pgURL = c.url
		}
	}
	if o.phases["pg"] {
		lib, err := indexer.Load(os.DirFS(contentDir))
		if err != nil {
			return nil, err
		}
		chunks := inForce(lib.Chunks())
		lib = nil
		pg, err := benchPG(ctx, pgURL, chunks, cases, min(o.requests, max(len(cases), 500)), o.pgKeep, o.log)
		if err != nil {
			res.PGErr = err.Error()
			say("postgres baseline failed: %v", err)
		}
		res.PG = pg
	}
	if o.phases["gold"] {
		g, err := benchGold(ctx, o, pgURL, filepath.Join(work, "gold-data"))
		if err != nil {
			res.GoldErr = err.Error()
			say("gold set comparison failed: %v", err)
		}
		res.Gold = g
	}
	res.LoadAfter = loadAverage()
	return res, nil
}

// inForce keeps the chunks a search today may return (our index filters
// the others out at query time; PostgreSQL gets only these).
func inForce(chunks []handbook.Chunk) []handbook.Chunk {
	today := handbook.Today(time.Now())
	var out []handbook.Chunk
	for _, c := range chunks {
		if c.Status != handbook.StatusArchived && handbook.ValidityAt(c.ValidFrom, c.ValidTo, today) == handbook.InForce {
			out = append(out, c)
		}
	}
	return out
}

// benchGold compares quality on the real content and its gold set: ours as
// `handbook eval` runs it, PostgreSQL with the same variants.
func benchGold(ctx context.Context, o benchOptions, pgURL, data string) (*goldResult, error) {
	files, err := filepath.Glob(o.gold)
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no gold set at %s (run from the repository root or pass -gold)", o.gold)
	}
	var cases []handbook.EvalCase
	for _, f := range files {
		cs, err := readCases(f)
		if err != nil {
			return nil, err
		}
		cases = append(cases, cs...)
	}
	lib, err := indexer.Load(content.FS)
	if err != nil {
		return nil, err
	}
	m := newBenchManager(filepath.Join(data, "index"))
	defer m.Close()
	if _, err := m.Sync(ctx, lib, true); err != nil {
		return nil, err
	}
	r := &handbook.Retriever{Keyword: m}
	r.SetAnalyzer(handbook.NewAnalyzer(lib))
	f := handbook.Filter{At: handbook.Today(time.Now()), Audience: handbook.AudienceInternal}
	rep, err := handbook.Evaluate(ctx, cases, func(ctx context.Context, q string) ([]handbook.Hit, error) {
		res, err := r.Search(ctx, handbook.SearchRequest{Query: q, Limit: 10, Filter: f})
		if err != nil {
			return nil, err
		}
		return res.Hits, nil
	})
	if err != nil {
		return nil, err
	}
	chunks := inForce(lib.Chunks())
	g := &goldResult{Files: files, Chunks: len(chunks), Quality: qualityOf(rep)}
	fmt.Fprintf(o.log, "bench: gold set (%d questions): R@1 %.3f MRR@10 %.3f\n", len(cases), g.Quality.R1, g.Quality.MRR10)
	g.PG, err = benchPG(ctx, pgURL, chunks, cases, 0, false, o.log)
	return g, err
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// newBenchManager opens indexes as handbook serve does by default, with a
// postings cache of postingsMB (-1: the default size).
func newBenchManager(dir string) *indexer.Manager {
	return &indexer.Manager{Dir: dir, Open: func(dir string) (indexer.Keyword, error) {
		x, err := bleve.Open(dir)
		if err != nil {
			return nil, err
		}
		if benchPostingsMB >= 0 {
			x.SetPostingsCache(benchPostingsMB << 20)
		}
		return x, nil
	}}
}

// benchPostingsMB sizes the postings cache of in-process benchmarks; -1
// keeps the default.
var benchPostingsMB = -1

func readCases(path string) ([]handbook.EvalCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read questions: %w", err)
	}
	defer f.Close()
	return handbook.ReadEvalCases(f, path)
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// childEnv is this process's environment without HANDBOOK_* settings, so
// that a benchmark server runs with exactly the flags it is given.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HANDBOOK_") {
			env = append(env, kv)
		}
	}
	return env
}

// server is a `handbook serve` child process on 127.0.0.1.
type server struct {
	cmd  *exec.Cmd
	base string
	done chan error
}

// startServer runs `handbook serve` on an index that already exists and
// waits until /readyz answers 200; it returns how long that took.
func startServer(ctx context.Context, contentDir, data string, logw io.Writer, extra ...string) (*server, time.Duration, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, 0, err
	}
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := append([]string{"serve", "-addr", addr, "-content", contentDir, "-data", data, "-log-level", "warn"}, extra...)
	cmd := exec.Command(exe, args...)
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logw, logw
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	s := &server{cmd: cmd, base: "http://" + addr, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		resp, err := client.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, time.Since(start), nil
			}
		}
		select {
		case err := <-s.done:
			return nil, 0, fmt.Errorf("handbook serve exited before it was ready: %v", err)
		case <-ctx.Done():
			s.stop()
			return nil, 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, 0, errors.New("handbook serve not ready after 10 minutes")
		}
	}
}

// stop sends SIGTERM and waits for the server to drain and exit.
func (s *server) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		return err
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		return errors.New("handbook serve did not stop within 30 s of SIGTERM")
	}
}

type searchHitJSON struct {
	Doc    string `json:"doc"`
	Anchor string `json:"anchor"`
}

// httpSearch asks the server's search API and decodes its hits.
func httpSearch(ctx context.Context, client *http.Client, base, q string) ([]handbook.Hit, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/search?limit=10&q="+url.QueryEscape(q), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Hits []searchHitJSON `json:"hits"`
	}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("search %q: status %d", q, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("search %q: %w", q, err)
	}
	hits := make([]handbook.Hit, len(body.Hits))
	for i, h := range body.Hits {
		hits[i] = handbook.Hit{DocID: h.Doc, Anchor: h.Anchor}
	}
	return hits, nil
}

// rawClient asks the search API over one keep-alive connection of its own,
// writing the request and parsing the response itself (http.ReadResponse),
// without net/http's Transport, and without decoding the JSON. The
// concurrency-8 run times the server, and its client shares the server's
// two cores: through the Transport (a read and a write goroutine per
// connection, handing each request between them) the client used 0.31 to
// 0.35 ms of CPU per search without decoding, this one 0.18 to 0.20 ms,
// against the server's 2.2 ms (docs/BENCHMARKS.md). Load generators that
// measure servers (wrk, ab) keep to the same minimum.
type rawClient struct {
	host string
	conn net.Conn
	r    *bufio.Reader
	req  []byte
}

func newRawClient(base string) (*rawClient, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	return &rawClient{host: u.Host}, nil
}

func (c *rawClient) Close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// search sends one search and reads its whole answer, which must be a
// 200 with a JSON body; a kept-alive connection the server closed is
// dialled again once.
func (c *rawClient) search(ctx context.Context, q string) error {
	c.req = append(c.req[:0], "GET /api/v1/search?limit=10&q="...)
	c.req = append(c.req, url.QueryEscape(q)...)
	c.req = append(c.req, " HTTP/1.1\r\nHost: "...)
	c.req = append(c.req, c.host...)
	c.req = append(c.req, "\r\nUser-Agent: handbook-bench\r\n\r\n"...)
	for attempt := 0; ; attempt++ {
		reused := c.conn != nil
		if !reused {
			var d net.Dialer
			conn, err := d.DialContext(ctx, "tcp", c.host)
			if err != nil {
				return err
			}
			c.conn, c.r = conn, bufio.NewReaderSize(conn, 16<<10)
		}
		bad, err := c.roundTrip(q)
		if err == nil {
			return bad // the answer was read whole: the connection stays
		}
		c.Close()
		if !reused || attempt > 0 || ctx.Err() != nil {
			return err
		}
	}
}

// roundTrip sends the request and reads the answer: err is a failure of
// the connection, bad one of the answer.
func (c *rawClient) roundTrip(q string) (bad, err error) {
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.conn.Write(c.req); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.Close {
		c.Close()
	}
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("search %q: status %d", q, resp.StatusCode), nil
	case !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || n < int64(len(`{"hits":[]}`)):
		return fmt.Errorf("search %q: %d bytes of %q", q, n, resp.Header.Get("Content-Type")), nil
	}
	return nil, nil
}

func benchServer(ctx context.Context, o benchOptions, res *benchResult, contentDir, data string, cases []handbook.EvalCase) error {
	logf, err := os.Create(filepath.Join(filepath.Dir(data), "serve.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	var srv *server
	for i := range max(o.starts, 1) {
		s, took, err := startServer(ctx, contentDir, data, logf)
		if err != nil {
			return fmt.Errorf("warm start: %w", err)
		}
		res.WarmStarts = append(res.WarmStarts, took)
		fmt.Fprintf(o.log, "bench: warm start %d: ready in %s\n", i+1, took.Round(time.Millisecond))
		if i < max(o.starts, 1)-1 {
			if err := s.stop(); err != nil {
				return fmt.Errorf("stop server: %w", err)
			}
			continue
		}
		srv = s
	}
	defer srv.stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}, Timeout: 30 * time.Second}
	// Warm-up: every question once (page cache, bleve segment caches).
	for _, c := range cases {
		if _, err := httpSearch(ctx, client, srv.base, c.Query); err != nil {
			return err
		}
	}
	var lat []time.Duration
	start := time.Now()
	cpu := cpuTimeOf(srv.cmd.Process.Pid)
	rep, err := handbook.Evaluate(ctx, cases, func(ctx context.Context, q string) ([]handbook.Hit, error) {
		t := time.Now()
		hits, err := httpSearch(ctx, client, srv.base, q)
		lat = append(lat, time.Since(t))
		return hits, err
	})
	if err != nil {
		return err
	}
	res.Quality, res.HTTP1 = qualityOf(rep), summarise(lat, 0, time.Since(start))
	res.HTTPCPU = (cpuTimeOf(srv.cmd.Process.Pid) - cpu) / time.Duration(max(len(cases), 1))
	fmt.Fprintf(o.log, "bench: http c=1: p50 %s p99 %s; R@1 %.3f MRR@10 %.3f\n", ms(res.HTTP1.P50), ms(res.HTTP1.P99), res.Quality.R1, res.Quality.MRR10)
	clients := make([]*rawClient, 8)
	for i := range clients {
		if clients[i], err = newRawClient(srv.base); err != nil {
			return err
		}
		defer clients[i].Close()
	}
	cpu, self := cpuTimeOf(srv.cmd.Process.Pid), cpuTime()
	res.HTTP8 = runConcurrent(ctx, len(clients), o.requests, func(w, i int) error {
		return clients[w].search(ctx, cases[i%len(cases)].Query)
	})
	res.HTTP8CPU = (cpuTimeOf(srv.cmd.Process.Pid) - cpu) / time.Duration(max(o.requests, 1))
	res.Client8CPU = (cpuTime() - self) / time.Duration(max(o.requests, 1))
	fmt.Fprintf(o.log, "bench: http c=8: p50 %s p99 %s, %.0f req/s, %d errors; CPU per search: server %s (c=1: %s), client %s\n",
		ms(res.HTTP8.P50), ms(res.HTTP8.P99), res.HTTP8.QPS, res.HTTP8.Errors, ms(res.HTTP8CPU), ms(res.HTTPCPU), ms(res.Client8CPU))
	pid := fmt.Sprint(srv.cmd.Process.Pid)
	res.PeakRSS, res.RSS, err = memoryOf(pid)
	if err != nil {
		fmt.Fprintf(o.log, "bench: %v\n", err)
	}
	res.RSSAnon, _ = procBytes(pid, "RssAnon")
	res.RSSFile, _ = procBytes(pid, "RssFile")
	return nil
}

// overlayFS replaces one file of a content tree, as an editor saving it
// would: new content, size and modification time.
type overlayFS struct {
	fs.FS
	name string
	data []byte
	mod  time.Time
}

func (o overlayFS) file() fstest.MapFS {
	return fstest.MapFS{o.name: {Data: o.data, Mode: 0o644, ModTime: o.mod}}
}

func (o overlayFS) Open(name string) (fs.File, error) {
	if name == o.name {
		return o.file().Open(name)
	}
	return o.FS.Open(name)
}

// ReadDir lists the edited file with its new size and time, as the
// directory walk of a load sees it.
func (o overlayFS) ReadDir(name string) ([]fs.DirEntry, error) {
	des, err := fs.ReadDir(o.FS, name)
	if err != nil || path.Dir(o.name) != name {
		return des, err
	}
	des = slices.Clone(des)
	for i, de := range des {
		if de.Name() == path.Base(o.name) {
			info, err := fs.Stat(o.file(), o.name)
			if err != nil {
				return nil, err
			}
			des[i] = fs.FileInfoToDirEntry(info)
		}
	}
	return des, nil
}

func benchInProcess(ctx context.Context, o benchOptions, res *benchResult, contentDir, data string, cases []handbook.EvalCase) error {
	// Searches below run in this process: with the server's collector
	// setting, as in `handbook serve`.
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	gctune.Apply()
	// A warm start, step by step, as openApp and App.Sync do it.
	base := os.DirFS(contentDir)
	t := time.Now()
	loader := &indexer.Loader{FS: base, Cache: filepath.Join(data, contentSnapshot)}
	lib, lst, err := loader.Load(handbook.Today(time.Now()))
	if err != nil {
		return err
	}
	res.WarmLoad = time.Since(t)
	if !lst.FromSnapshot || lst.Parsed > 0 {
		fmt.Fprintf(o.log, "bench: warm start did not use the content snapshot (%d files parsed)\n", lst.Parsed)
	}
	t = time.Now()
	an := handbook.NewAnalyzer(lib)
	res.WarmAnalyzer = time.Since(t)
	t = time.Now()
	m := newBenchManager(filepath.Join(data, "index"))
	defer m.Close()
	if ok, err := m.OpenCurrent(); err != nil || !ok {
		return fmt.Errorf("reopen the benchmark index: %v", cmp.Or(err, errors.New("no current index")))
	}
	if _, err := m.Sync(ctx, lib, false); err != nil {
		return err
	}
	res.WarmOpen = time.Since(t)
	// As handbook serve: the content stays loaded, and the collector's
	// limit is set above it.
	defer runtime.KeepAlive(lib)
	gctune.Fit()
	fmt.Fprintf(o.log, "bench: warm start steps: content %s, analyzer %s, index open and check %s\n",
		res.WarmLoad.Round(time.Millisecond), res.WarmAnalyzer.Round(time.Millisecond), res.WarmOpen.Round(time.Millisecond))
	r := &handbook.Retriever{Keyword: m}
	r.SetAnalyzer(an)
	f := handbook.Filter{Audience: handbook.AudiencePublic, At: handbook.Today(time.Now())}
	search := func(q string) error {
		_, err := r.Search(ctx, handbook.SearchRequest{Query: q, Limit: 10, Filter: f})
		return err
	}
	for _, c := range cases {
		if err := search(c.Query); err != nil {
			return err
		}
	}
	if o.cpuProfile != "" {
		pf, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var lat []time.Duration
	start, cpu := time.Now(), cpuTime()
	for range max(1, o.requests/max(len(cases), 1)) {
		for _, c := range cases {
			t := time.Now()
			if err := search(c.Query); err != nil {
				return err
			}
			lat = append(lat, time.Since(t))
		}
	}
	res.InProcess = summarise(lat, 0, time.Since(start))
	res.InProcessCPU = (cpuTime() - cpu) / time.Duration(max(len(lat), 1))
	if o.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Fprintf(o.log, "bench: in-process c=1: p50 %s p99 %s\n", ms(res.InProcess.P50), ms(res.InProcess.P99))

	// One document edited: a clause added to its last article.
	name, doc := "", (*handbook.Document)(nil)
	for _, d := range lib.All() {
		if d.Kind == handbook.KindRegulation {
			name, doc = d.Path, d
			break
		}
	}
	if doc == nil {
		return errors.New("no regulation to edit in the corpus")
	}
	orig, err := fs.ReadFile(base, name)
	if err != nil {
		return err
	}
	const marker = "zuluxyvetcapnhat"
	edited := append(slices.Clip(orig), []byte("\n99. Khoản bổ sung để đo thời gian cập nhật "+marker+".\n")...)
	start = time.Now()
	// What App.Reload does when -watch sees the edit: load the content
	// again (parsing the changed file) and rebuild the query analyzer.
	loader.FS = overlayFS{FS: base, name: name, data: edited, mod: time.Now()}
	lib2, lst, err := loader.Load(handbook.Today(time.Now()))
	if err != nil {
		return err
	}
	if lst.Parsed != 1 {
		return fmt.Errorf("update one document: %d files parsed, want 1", lst.Parsed)
	}
	an2 := handbook.NewAnalyzer(lib2)
	res.UpdateReload = time.Since(start)
	st, err := m.Sync(ctx, lib2, false)
	if err != nil {
		return fmt.Errorf("update one document: %w", err)
	}
	res.Update = st.Took
	if st.Added != 1 || st.Unchanged != len(lib2.Docs)-1 {
		return fmt.Errorf("update one document: %d changed, %d unchanged; want 1 and %d", st.Added, st.Unchanged, len(lib2.Docs)-1)
	}
	r.SetAnalyzer(an2)
	out, err := r.Search(ctx, handbook.SearchRequest{Query: marker, Limit: 3, Filter: f})
	res.UpdateFound = err == nil && len(out.Hits) > 0 && out.Hits[0].DocID == doc.ID
	fmt.Fprintf(o.log, "bench: one-document update: %s (content reload %s), found after update: %v\n",
		res.Update.Round(time.Millisecond), res.UpdateReload.Round(time.Millisecond), res.UpdateFound)
	return nil
}

// loopbackURL checks that a URL names this machine: load and baselines
// send traffic to 127.0.0.1 only.
func loopbackURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	switch h := u.Hostname(); h {
	case "127.0.0.1", "localhost", "::1":
		return nil
	default:
		return fmt.Errorf("%s is not on 127.0.0.1: benchmarks send traffic to this machine only", h)
	}
}
