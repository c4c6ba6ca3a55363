package main

// The baseline of `handbook bench`: the same chunks and the same questions on
// PostgreSQL full-text search, the alternative a province would otherwise
// deploy. It is made as fair as we know how:
//
//   - the same text: the chunk's heading (weight A: "Chương II › Điều 16.
//     Thủ tục đăng ký khai sinh"), the document's title and aliases (B)
//     and the body (D), as our index has them in boosted fields. (Title at
//     A, which mirrors our boosts more literally, let every article of a
//     regulation whose title shares a word with the question outrank the
//     right article: Recall@1 0.08 instead of 0.51 on the 10k corpus.);
//   - folding as ours does: a text search configuration "vi" copied from
//     `simple` with `unaccent` in front, so "khai sinh" and "khai sinh"
//     typed without diacritics match, and the cluster runs in C.UTF-8 so
//     that the parser sees Vietnamese letters as letters;
//   - a GIN index on a stored tsvector column, statistics gathered
//     (VACUUM ANALYZE), a warm-up pass, shared_buffers large enough for
//     the table and index, JIT off (it only slows short queries);
//   - three query forms: "and", websearch_to_tsquery on the question as
//     typed (what most applications do; requiring every word collapses
//     recall, retrieval-notes.md); "or", every distinct folded syllable of
//     the question OR-ed and ranked by ts_rank; and "or-tuned", the same
//     with the rank weights that did best on the 10k corpus among eight
//     rankings tried (ts_rank with four weight sets, normalisations 1 and
//     8, ts_rank_cd, and leaving out syllables found in more than 5% of
//     the chunks — that one did worst: ts_rank has no idf, but the question
//     words still carry signal). The report compares with whichever
//     variant has the best MRR@10;
//   - timed at the driver over TCP on 127.0.0.1 with prepared statements,
//     without the HTTP, JSON and snippet work that our figures include.
//
// This file imports pgx directly: cmd/handbook is where concrete types
// meet, and the baseline is benchmark tooling, not a backend.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"sotay/handbook"
)

// pgCluster is a throwaway PostgreSQL cluster in a temporary directory.
type pgCluster struct {
	dir, bin, url, version string
	data, opts             string // data directory and server options, for restarts
	asUser                 string // run the server binaries as this user (root may not run them)
	log                    io.Writer
}

// pgBinDir finds initdb and pg_ctl: PATH first, then Debian's
// /usr/lib/postgresql/<version>/bin (newest version).
func pgBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errors.New("PostgreSQL not found: install it (Debian: apt-get install -y postgresql postgresql-contrib) or pass -pg URL")
}

func (c *pgCluster) run(ctx context.Context, name string, args ...string) error {
	bin := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.asUser, "--", bin}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, bin, args...)
	}
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, out)
	}
	return nil
}

// startPG creates and starts a cluster listening on 127.0.0.1 only.
func startPG(ctx context.Context, log io.Writer) (*pgCluster, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "handbook-bench-pg-")
	if err != nil {
		return nil, err
	}
	c := &pgCluster{dir: dir, bin: bin, log: log}
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: hand the directory to postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs a postgres user to run the cluster: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.asUser = "postgres"
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.data = filepath.Join(dir, "data")
	if err := c.run(ctx, "initdb", "-D", c.data, "-U", "bench", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.opts = fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c shared_buffers=512MB -c work_mem=32MB -c jit=off -c fsync=off -c synchronous_commit=off -c max_connections=40", port, dir)
	if err := c.start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.url = fmt.Sprintf("postgres://bench@127.0.0.1:%d/postgres?sslmode=disable", port)
	return c, nil
}

// start starts (or restarts) the server of the cluster.
func (c *pgCluster) start(ctx context.Context) error {
	return c.run(ctx, "pg_ctl", "-D", c.data, "-o", c.opts, "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "60", "start")
}

// halt stops the server (fast shutdown: sessions are terminated), keeping
// the cluster for a later start.
func (c *pgCluster) halt(ctx context.Context) error {
	return c.run(ctx, "pg_ctl", "-D", c.data, "-m", "fast", "-w", "-t", "60", "stop")
}

// stop stops the cluster and removes its directory.
func (c *pgCluster) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.halt(ctx); err != nil {
		fmt.Fprintf(c.log, "bench: stop PostgreSQL: %v\n", err)
	}
	os.RemoveAll(c.dir)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// pgSchema holds everything the baseline creates, so that a database passed
// with -pg URL is left as it was (the schema is dropped at the end).
const pgSchema = "handbook_bench"

// pgResult holds the baseline's figures.
type pgResult struct {
	Version  string        `json:"version"`
	Load     time.Duration `json:"load_ns"`  // COPY of the chunks
	Index    time.Duration `json:"index_ns"` // GIN index build and VACUUM ANALYZE
	Size     int64         `json:"size_bytes"`
	Variants []pgVariant   `json:"variants"`
}

// pgVariant is one way of asking PostgreSQL.
type pgVariant struct {
	Name    string                `json:"name"`
	SQL     string                `json:"sql"`
	Quality quality               `json:"quality"`
	C1      latencies             `json:"c1"`
	C8      latencies             `json:"c8"`
	arg     func(q string) string // the query parameter for a question
}

// orTerms is the "or" query: every distinct folded syllable of q, OR-ed.
// Folded syllables are letters and digits only, so they need no quoting.
func orTerms(q string) string {
	var terms []string
	for _, t := range handbook.FoldedSyllables(q) {
		if t != "" && strings.IndexFunc(t, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) < 0 &&
			!slices.Contains(terms, t) {
			terms = append(terms, t)
		}
	}
	return strings.Join(terms, " | ")
}

func pgVariants() []pgVariant {
	cfg := pgSchema + ".vi"
	query := func(tsquery, rank string) string {
		return fmt.Sprintf(`SELECT doc, anchor FROM %s.chunks, %s('%s', $1) q WHERE tsv @@ q ORDER BY %s DESC, id LIMIT 10`,
			pgSchema, tsquery, cfg, rank)
	}
	return []pgVariant{
		// Weights {D, C, B, A}: body and title count twice their default.
		{Name: "or-tuned", arg: orTerms, SQL: query("to_tsquery", "ts_rank('{0.2,0.2,0.2,1.0}', tsv, q)")},
		{Name: "or", arg: orTerms, SQL: query("to_tsquery", "ts_rank(tsv, q)")},
		{Name: "and", arg: func(q string) string { return q }, SQL: query("websearch_to_tsquery", "ts_rank(tsv, q)")},
	}
}

// loadPG creates the schema, the text search configuration and the table,
// copies the chunks in and builds the GIN index.
func loadPG(ctx context.Context, conn *pgx.Conn, chunks []handbook.Chunk, res *pgResult) error {
	cfg := pgSchema + ".vi"
	setup := []string{
		"DROP SCHEMA IF EXISTS " + pgSchema + " CASCADE",
		"CREATE SCHEMA " + pgSchema,
		"CREATE EXTENSION IF NOT EXISTS unaccent",
		"CREATE TEXT SEARCH CONFIGURATION " + cfg + " (COPY = simple)",
		"ALTER TEXT SEARCH CONFIGURATION " + cfg + " ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple",
		fmt.Sprintf(`CREATE TABLE %s.chunks (
	id text PRIMARY KEY,
	doc text NOT NULL,
	anchor text NOT NULL,
	title text NOT NULL,
	heading text NOT NULL,
	body text NOT NULL,
	tsv tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('%[2]s', heading), 'A') ||
		setweight(to_tsvector('%[2]s', title), 'B') ||
		setweight(to_tsvector('%[2]s', body), 'D')) STORED)`, pgSchema, cfg),
	}
	for _, q := range setup {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("postgres setup %q: %w", firstLine(q), err)
		}
	}
	var probe string
	if err := conn.QueryRow(ctx, "SELECT to_tsvector('"+cfg+"', 'Đăng ký khai sinh')::text").Scan(&probe); err != nil {
		return fmt.Errorf("postgres probe: %w", err)
	}
	if probe != "'dang':1 'khai':3 'ky':2 'sinh':4" {
		return fmt.Errorf("postgres folds %q as %s: the cluster needs a UTF-8 locale and unaccent", "Đăng ký khai sinh", probe)
	}
	start := time.Now()
	rows := make([][]any, len(chunks))
	for i, c := range chunks {
		title := c.Title
		if len(c.Aliases) > 0 {
			title += "\n" + strings.Join(c.Aliases, "\n")
		}
		rows[i] = []any{c.ID, c.DocID, c.Anchor, title, c.Heading, c.Text}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{pgSchema, "chunks"}, []string{"id", "doc", "anchor", "title", "heading", "body"},
		pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy chunks into postgres: %w", err)
	}
	res.Load = time.Since(start)
	start = time.Now()
	for _, q := range []string{
		"CREATE INDEX chunks_tsv ON " + pgSchema + ".chunks USING gin (tsv)",
		"VACUUM ANALYZE " + pgSchema + ".chunks",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("postgres %q: %w", q, err)
		}
	}
	res.Index = time.Since(start)
	if err := conn.QueryRow(ctx, "SELECT pg_total_relation_size('"+pgSchema+".chunks')").Scan(&res.Size); err != nil {
		return err
	}
	return conn.QueryRow(ctx, "SHOW server_version").Scan(&res.Version)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// pgSearch runs one variant for one question.
func pgSearch(ctx context.Context, conn *pgx.Conn, v *pgVariant, q string) ([]handbook.Hit, error) {
	arg := v.arg(q)
	if strings.TrimSpace(arg) == "" {
		return nil, nil
	}
	rows, err := conn.Query(ctx, v.SQL, arg)
	if err != nil {
		return nil, err
	}
	var hits []handbook.Hit
	for rows.Next() {
		var h handbook.Hit
		if err := rows.Scan(&h.DocID, &h.Anchor); err != nil {
			rows.Close()
			return nil, err
		}
		hits = append(hits, h)
	}
	rows.Close()
	return hits, rows.Err()
}

// benchPG loads the chunks into the PostgreSQL at url and runs every
// question through each variant: once in order for quality and latency at
// concurrency 1, then requests more at concurrency 8 (none when 0).
func benchPG(ctx context.Context, url string, chunks []handbook.Chunk, cases []handbook.EvalCase, requests int, keep bool, log io.Writer) (*pgResult, error) {
	if url == "" || url == "auto" || url == "off" {
		return nil, errors.New("no PostgreSQL to compare with")
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	defer func() {
		if !keep {
			conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgSchema+" CASCADE")
		}
		conn.Close(context.Background())
	}()
	res := &pgResult{}
	fmt.Fprintf(log, "bench: postgres: loading %d chunks\n", len(chunks))
	if err := loadPG(ctx, conn, chunks, res); err != nil {
		return nil, err
	}
	conns := []*pgx.Conn{conn}
	for len(conns) < 8 {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("connect to postgres: %w", err)
		}
		defer c.Close(context.Background())
		conns = append(conns, c)
	}
	for _, v := range pgVariants() {
		fmt.Fprintf(log, "bench: postgres %s: %d questions\n", v.Name, len(cases))
		// Warm-up: every question once on every connection's statement
		// cache would take long; one pass on a few primes the buffers.
		for i, c := range cases {
			if _, err := pgSearch(ctx, conns[i%len(conns)], &v, c.Query); err != nil {
				return nil, fmt.Errorf("postgres %s %q: %w", v.Name, c.Query, err)
			}
		}
		var lat []time.Duration
		start := time.Now()
		rep, err := handbook.Evaluate(ctx, cases, func(ctx context.Context, q string) ([]handbook.Hit, error) {
			t := time.Now()
			hits, err := pgSearch(ctx, conn, &v, q)
			lat = append(lat, time.Since(t))
			return hits, err
		})
		if err != nil {
			return nil, fmt.Errorf("postgres %s: %w", v.Name, err)
		}
		v.Quality = qualityOf(rep)
		v.C1 = summarise(lat, 0, time.Since(start))
		if requests > 0 {
			v.C8 = runConcurrent(ctx, len(conns), requests, func(worker, i int) error {
				_, err := pgSearch(ctx, conns[worker], &v, cases[i%len(cases)].Query)
				return err
			})
		}
		res.Variants = append(res.Variants, v)
	}
	return res, nil
}

// runConcurrent runs n calls of do on c workers and summarises their
// latencies; worker says which of the c workers runs call i.
func runConcurrent(ctx context.Context, c, n int, do func(worker, i int) error) latencies {
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var next atomic.Int64 // the next call; taken without a feeding goroutine to wake
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				t := time.Now()
				if err := do(w, i); err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	return summarise(lat, errs, time.Since(start))
}
