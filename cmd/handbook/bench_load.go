package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"sotay/content"
	"sotay/handbook"
	"sotay/indexer"
)

// Bounds of `handbook bench load`: it is a measuring tool for this machine,
// not a traffic generator.
const (
	maxLoadRate     = 2000
	maxLoadDuration = 10 * time.Minute
)

// loadKind is one kind of request of the mixed workload.
type loadKind struct {
	name   string
	weight int
	do     func(ctx context.Context, client *http.Client, base string, r *rand.Rand) (int, error)
}

type loadStats struct {
	lat      []time.Duration
	statuses map[int]int
	failures int // transport errors and timeouts
	errs     int // failures and non-2xx answers
	sample   string
}

func cmdBenchLoad(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("bench load", flag.ContinueOnError)
	flags.SetOutput(stderr)
	target := flags.String("url", "", "server to load, on 127.0.0.1 only (default: start one in this process)")
	corpus := flags.String("corpus", "", "corpus directory from `handbook bench gen` (default: the content built into the binary)")
	data := flags.String("data", "", "data directory of the in-process server (default: a temporary one)")
	rate := flags.Int("rate", 200, "requests per second (at most 2000)")
	duration := flags.Duration("duration", 60*time.Second, "duration of the run (at most 10m)")
	mix := flags.String("mix", "search=70,docs=20,ask=10", "weights of the request kinds")
	maxInflight := flags.Int("max-inflight", 256, "requests in flight at most; beyond, a request is counted as dropped")
	timeout := flags.Duration("timeout", 15*time.Second, "timeout of one request")
	seed := flags.Uint64("seed", 1, "seed of the request sequence")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *rate < 1 || *rate > maxLoadRate {
		return fmt.Errorf("bench load: -rate must be between 1 and %d", maxLoadRate)
	}
	if *duration <= 0 || *duration > maxLoadDuration {
		return fmt.Errorf("bench load: -duration must be between 0 and %s", maxLoadDuration)
	}
	weights, err := parseMix(*mix)
	if err != nil {
		return err
	}
	say := func(format string, args ...any) { fmt.Fprintf(stderr, "bench load: "+format+"\n", args...) }

	// What to ask: the corpus questions (or the gold sets), and its documents.
	var fsys fs.FS = content.FS
	var questions []string
	contentDir := ""
	if *corpus != "" {
		contentDir = filepath.Join(*corpus, corpusContent)
		fsys = os.DirFS(contentDir)
		cases, err := readCases(filepath.Join(*corpus, corpusQueries))
		if err != nil {
			return err
		}
		for _, c := range cases {
			questions = append(questions, c.Query)
		}
	} else {
		files, _ := filepath.Glob("eval/*.jsonl")
		for _, f := range files {
			cases, err := readCases(f)
			if err != nil {
				return err
			}
			for _, c := range cases {
				questions = append(questions, c.Query)
			}
		}
	}
	lib, err := indexer.Load(fsys)
	if err != nil {
		return err
	}
	var docs []string
	for _, d := range lib.All() {
		if d.Audience != handbook.AudienceInternal {
			docs = append(docs, d.ID)
			if len(questions) < 50 {
				questions = append(questions, d.Title)
			}
		}
	}
	if len(docs) == 0 || len(questions) == 0 {
		return errors.New("bench load: no documents to ask about")
	}

	base := *target
	if base == "" {
		dir := *data
		if dir == "" {
			tmp, err := os.MkdirTemp("", "handbook-load-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			dir = tmp
		}
		port, err := freePort()
		if err != nil {
			return err
		}
		sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		serveArgs := []string{"serve", "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-data", dir, "-log-level", "error"}
		if contentDir != "" {
			serveArgs = append(serveArgs, "-content", contentDir)
		}
		done := make(chan error, 1)
		go func() { done <- Main(sctx, serveArgs, func(string) string { return "" }, io.Discard, stderr) }()
		defer func() {
			stop()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
			}
		}()
		base = fmt.Sprintf("http://127.0.0.1:%d", port)
		say("starting a server in this process on %s", base)
		if err := waitReady(ctx, base, done); err != nil {
			return err
		}
	} else if err := loopbackURL(base); err != nil {
		return fmt.Errorf("bench load: -url: %w", err)
	}
	base = strings.TrimRight(base, "/")
	client := &http.Client{Timeout: *timeout, Transport: &http.Transport{MaxIdleConnsPerHost: *maxInflight, DisableCompression: true}}

	kinds := []loadKind{
		{name: "search", do: func(ctx context.Context, c *http.Client, base string, r *rand.Rand) (int, error) {
			return get(ctx, c, base+"/api/v1/search?q="+url.QueryEscape(questions[r.IntN(len(questions))]))
		}},
		{name: "docs", do: func(ctx context.Context, c *http.Client, base string, r *rand.Rand) (int, error) {
			return get(ctx, c, base+"/api/v1/docs/"+docs[r.IntN(len(docs))])
		}},
		{name: "ask", do: func(ctx context.Context, c *http.Client, base string, r *rand.Rand) (int, error) {
			return askExtractive(ctx, c, base, questions[r.IntN(len(questions))])
		}},
	}
	// Ask only if the server has the route.
	if weights["ask"] > 0 {
		status, err := askExtractive(ctx, client, base, questions[0])
		switch {
		case err != nil:
			return fmt.Errorf("bench load: probe /api/v1/ask: %w", err)
		case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
			say("POST /api/v1/ask answers %d: the route is absent, ask left out of the mix", status)
			weights["ask"] = 0
		case status >= 300:
			return fmt.Errorf("bench load: probe /api/v1/ask: status %d", status)
		}
	}
	total := 0
	for i := range kinds {
		kinds[i].weight = weights[kinds[i].name]
		total += kinds[i].weight
	}
	if total == 0 {
		return errors.New("bench load: nothing to send (-mix)")
	}

	n := int(float64(*rate) * duration.Seconds())
	say("%d requests at %d/s for %s against %s (mix %s)", n, *rate, *duration, base, *mix)
	stats := map[string]*loadStats{}
	for _, k := range kinds {
		stats[k.name] = &loadStats{statuses: map[int]int{}}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, *maxInflight)
	r := rand.New(rand.NewPCG(*seed, 1))
	interval := time.Second / time.Duration(*rate)
	dropped := 0
	loadBefore := loadAverage()
	start := time.Now()
	for i := 0; i < n; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				n = i
			}
		}
		if ctx.Err() != nil {
			break
		}
		x := r.IntN(total)
		k := kinds[0]
		for _, c := range kinds {
			if x < c.weight {
				k = c
				break
			}
			x -= c.weight
		}
		rr := rand.New(rand.NewPCG(*seed, uint64(i)+2))
		select {
		case sem <- struct{}{}:
		default:
			dropped++
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			t := time.Now()
			status, err := k.do(ctx, client, base, rr)
			d := time.Since(t)
			mu.Lock()
			defer mu.Unlock()
			s := stats[k.name]
			if err != nil {
				s.failures++
				s.errs++
				if s.sample == "" {
					s.sample = err.Error()
				}
				return
			}
			s.statuses[status]++
			if status < 200 || status > 299 {
				s.errs++
			}
			s.lat = append(s.lat, d)
		})
	}
	wg.Wait()
	wall := time.Since(start)

	fmt.Fprintf(stdout, "Tải hỗn hợp %s, %d yêu cầu/giây trong %s (%s); load average %s trước, %s sau\n\n",
		base, *rate, duration.String(), thisMachine(), loadBefore, loadAverage())
	fmt.Fprintf(stdout, "| kind | sent | errors | status codes | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|---|---|\n")
	var all []time.Duration
	errs, sent := 0, 0
	for _, k := range kinds {
		s := stats[k.name]
		if k.weight == 0 {
			continue
		}
		l := summarise(s.lat, s.errs, wall)
		all = append(all, s.lat...)
		errs += s.errs
		sent += len(s.lat) + s.failures
		fmt.Fprintf(stdout, "| %s | %d | %d | %s | %s | %s | %s | %s |\n", k.name, len(s.lat)+s.failures, s.errs, statusList(s.statuses, s.failures),
			ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max))
		if s.sample != "" {
			fmt.Fprintf(stderr, "bench load: %s: first failure: %s\n", k.name, s.sample)
		}
	}
	l := summarise(all, errs, wall)
	fmt.Fprintf(stdout, "| all | %d | %d | | %s | %s | %s | %s |\n\n", sent, errs, ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max))
	fmt.Fprintf(stdout, "Đạt %.0f yêu cầu/giây; %d yêu cầu bị bỏ vì đã có %d yêu cầu đang chờ.\n", float64(len(all))/wall.Seconds(), dropped, *maxInflight)
	if errs > 0 || dropped > 0 {
		return exitError(1)
	}
	return nil
}

func statusList(m map[int]int, failures int) string {
	var keys []int
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d×%d", k, m[k]))
	}
	if failures > 0 {
		parts = append(parts, fmt.Sprintf("no answer×%d", failures))
	}
	return strings.Join(parts, " ")
}

// parseMix reads "search=70,docs=20,ask=10".
func parseMix(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 || !slices.Contains([]string{"search", "docs", "ask"}, k) {
			return nil, fmt.Errorf("bench load: -mix %q: want kind=weight pairs of search, docs and ask", s)
		}
		out[k] = n
	}
	return out, nil
}

func get(ctx context.Context, c *http.Client, u string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

func askExtractive(ctx context.Context, c *http.Client, base, q string) (int, error) {
	body, _ := json.Marshal(map[string]string{"question": q, "mode": "extractive"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/ask", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// waitReady polls /readyz until it answers 200 or the server stops.
func waitReady(ctx context.Context, base string, done <-chan error) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-done:
			return fmt.Errorf("server stopped before it was ready: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
