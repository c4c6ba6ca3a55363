package pgvector_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"sotay/handbook"
	"sotay/indexer"
	"sotay/indexer/indexertest"
	"sotay/indexer/memvec"
	"sotay/indexer/pgvector"
)

var _ indexer.EmbedCache = (*pgvector.Cache)(nil)

// open returns a store on a fresh schema, closed at cleanup.
func open(t *testing.T, dsn, model string, dim int) *pgvector.Store {
	t.Helper()
	s, err := pgvector.Open(t.Context(), dsn, model, dim)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// withParam adds a query parameter to a DSN.
func withParam(t *testing.T, dsn, key, value string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestContract runs the VectorStore suite in both query modes PGlite
// supports: the simple protocol (the default) and exec.
func TestContract(t *testing.T) {
	for _, mode := range []string{"simple_protocol", "exec"} {
		t.Run(mode, func(t *testing.T) {
			indexertest.TestVectorStore(t, func(t *testing.T) handbook.VectorStore {
				dsn := indexertest.PGVector(t)
				if mode != "simple_protocol" {
					dsn = withParam(t, dsn, "default_query_exec_mode", mode)
				}
				return open(t, dsn, "test-model", 3)
			})
		})
	}
}

func TestStampConflictAndReset(t *testing.T) {
	dsn := indexertest.PGVector(t)
	ctx := t.Context()
	s := open(t, dsn, "bge-m3", 3)
	c := indexertest.Corpus()[0]
	if err := s.Upsert(ctx, []handbook.Vector{{Chunk: c, Values: []float32{1, 2, 3}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	again := open(t, dsn, "bge-m3", 3) // same stamp: fine, and migrations are not re-applied
	if n, err := again.Len(ctx); err != nil || n != 1 {
		t.Errorf("reopened Len = %d, %v; want 1", n, err)
	}
	again.Close()

	for _, tc := range []struct {
		model string
		dim   int
	}{{"other-model", 3}, {"bge-m3", 4}} {
		if _, err := pgvector.Open(ctx, dsn, tc.model, tc.dim); handbook.ErrorCode(err) != handbook.Conflict {
			t.Errorf("Open(%q, %d) error = %v, want conflict", tc.model, tc.dim, err)
		}
	}

	r, err := pgvector.Reset(ctx, dsn, "other-model", 4)
	if err != nil {
		t.Fatalf("Reset: %v", err)
	}
	defer r.Close()
	if n, err := r.Len(ctx); err != nil || n != 0 {
		t.Errorf("after Reset Len = %d, %v; want 0", n, err)
	}
	if err := r.Upsert(ctx, []handbook.Vector{{Chunk: c, Values: []float32{1, 2, 3, 4}}}); err != nil {
		t.Errorf("Upsert after Reset to dimension 4: %v", err)
	}
	if _, err := pgvector.Open(ctx, dsn, "bge-m3", 3); handbook.ErrorCode(err) != handbook.Conflict {
		t.Errorf("Open with the old stamp after Reset error = %v, want conflict", err)
	}

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := strings.Trim(strings.Split(conn.Config().RuntimeParams["search_path"], ",")[0], `"`)
	var names []string
	rows, _ := conn.Query(ctx, "SELECT name FROM "+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+" ORDER BY name",
		pgx.QueryExecModeSimpleProtocol)
	names, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(names, []string{"pgvector/0001_init.sql"}) {
		t.Errorf("schema_migrations = %q, %v", names, err)
	}
}

func TestOpenRejectsBadArguments(t *testing.T) {
	for _, tc := range []struct {
		name, model string
		dim         int
	}{{"no model", "", 3}, {"zero dimension", "m", 0}, {"too large", "m", 16001}} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pgvector.Open(t.Context(), "postgres://127.0.0.1:1/x", tc.model, tc.dim); handbook.ErrorCode(err) != handbook.Invalid {
				t.Errorf("Open(%q, %d) error = %v, want invalid", tc.model, tc.dim, err)
			}
		})
	}
}

func TestCacheRoundTrip(t *testing.T) {
	s := open(t, indexertest.PGVector(t), "bge-m3", 4)
	c := s.Cache()
	ctx := t.Context()
	in := map[string][]float32{
		"h1": {0.1, -0.2, 3.5e-7, 1},
		"h2": {1, 2, 3, 4},
		"h3": {float32(math.Pi), -float32(math.E), 0, 1e30},
	}
	if err := c.Put(ctx, "bge-m3", in); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(ctx, "other", map[string][]float32{"h1": {9, 9}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, "bge-m3", []string{"h1", "h3", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !slices.Equal(got["h1"], in["h1"]) || !slices.Equal(got["h3"], in["h3"]) {
		t.Errorf("Get = %v, want h1 and h3 exactly as put", got)
	}
	if got, _ := c.Get(ctx, "other", []string{"h1", "h2"}); len(got) != 1 || !slices.Equal(got["h1"], []float32{9, 9}) {
		t.Errorf("Get(other model) = %v", got)
	}
	if err := c.Put(ctx, "bge-m3", map[string][]float32{"h2": {4, 3, 2, 1}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(ctx, "bge-m3", []string{"h2"}); !slices.Equal(got["h2"], []float32{4, 3, 2, 1}) {
		t.Errorf("after overwrite Get = %v", got)
	}
	if got, err := c.Get(ctx, "bge-m3", nil); err != nil || len(got) != 0 {
		t.Errorf("Get(no hashes) = %v, %v", got, err)
	}

	// More entries than one statement holds.
	big := map[string][]float32{}
	var hashes []string
	for i := range 1234 {
		h := fmt.Sprintf("big-%04d", i)
		big[h] = []float32{float32(i), 1, 2, 3}
		hashes = append(hashes, h)
	}
	if err := c.Put(ctx, "bge-m3", big); err != nil {
		t.Fatal(err)
	}
	got, err = c.Get(ctx, "bge-m3", hashes)
	if err != nil || len(got) != len(big) || got["big-1000"][0] != 1000 {
		t.Errorf("Get(1234 hashes) = %d entries, %v", len(got), err)
	}
}

// TestReplicasShareTheCache runs the indexer's VectorSync on two "replicas"
// (separate manifests, one database): the second embeds nothing.
func TestReplicasShareTheCache(t *testing.T) {
	dsn := indexertest.PGVector(t)
	emb := &countingEmbedder{}
	docs := []*handbook.Document{}
	for i, text := range []string{"Đăng ký khai sinh cho trẻ em", "Đăng ký kết hôn", "Cấp lại giấy chứng nhận"} {
		docs = append(docs, &handbook.Document{
			ID: fmt.Sprintf("technology/doc-%d", i), Kind: handbook.KindGuide, Title: text, Hash: fmt.Sprint(i),
			Audience: handbook.AudiencePublic, Status: handbook.StatusPublished,
			Sections: []handbook.Section{{Kind: handbook.SectionHeading, Anchor: "muc-1", Heading: "Mục 1", Text: text}},
		})
	}
	lib := handbook.NewLibrary(docs, nil, nil)
	var embedded []int
	for replica := range 2 {
		s := open(t, dsn, emb.Model(), 3)
		vs := &indexer.VectorSync{Store: s, Embedder: emb, Cache: s.Cache(),
			Manifest: filepath.Join(t.TempDir(), "manifest.json")}
		n, err := vs.Sync(t.Context(), lib, nil)
		if err != nil {
			t.Fatalf("replica %d: Sync: %v", replica, err)
		}
		embedded = append(embedded, n)
	}
	if embedded[0] == 0 || embedded[1] != 0 {
		t.Errorf("chunks embedded by replica 1 and 2 = %v, want [>0 0]", embedded)
	}
}

type countingEmbedder struct{}

func (e *countingEmbedder) Model() string { return "fake" }
func (e *countingEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, s := range texts {
		out[i] = []float32{float32(len(s)), 1, float32(strings.Count(s, " "))}
	}
	return out, nil
}

// randomCorpus returns n chunks whose filter attributes cover the edge cases
// of Filter.Allows: folded and NFD fields, empty audience and status,
// open, closed and inverted validity intervals.
func randomCorpus(r *rand.Rand, n, dim int) []handbook.Vector {
	fields := []string{"Hộ tịch", "HỘ TỊCH", "Ho tich", "ho\u0323 ti\u0323ch", "Đất đai", "dat dai", ""}
	audiences := []handbook.Audience{handbook.AudiencePublic, handbook.AudienceInternal, ""}
	statuses := []handbook.Status{handbook.StatusPublished, handbook.StatusDraft, handbook.StatusArchived, ""}
	out := make([]handbook.Vector, n)
	for i := range out {
		c := indexertest.Chunk(fmt.Sprintf("procedures/doc-%d", i/3), fmt.Sprintf("muc-%d", i),
			handbook.Kinds[r.IntN(len(handbook.Kinds))], "Tiêu đề", "Mục", "Nội dung")
		c.Field = fields[r.IntN(len(fields))]
		c.Audience = audiences[r.IntN(len(audiences))]
		c.Status = statuses[r.IntN(len(statuses))]
		c.ValidFrom, c.ValidTo = randomDate(r), randomDate(r)
		v := make([]float32, dim)
		for j := range v {
			v[j] = r.Float32()*2 - 1
		}
		out[i] = handbook.Vector{Chunk: c, Values: v}
	}
	return out
}

// randomDate is unset half the time, else one of a few days, so that
// validity bounds often fall exactly on the filter's date.
func randomDate(r *rand.Rand) handbook.Date {
	days := []string{"2016-01-01", "2018-06-21", "2025-06-30", "2025-07-01", "2026-11-25", "2030-01-01"}
	if r.IntN(2) == 0 {
		return handbook.Date{}
	}
	return handbook.MustDate(days[r.IntN(len(days))])
}

func randomFilter(r *rand.Rand) handbook.Filter {
	var f handbook.Filter
	for _, k := range handbook.Kinds {
		if r.IntN(4) == 0 {
			f.Kinds = append(f.Kinds, k)
		}
	}
	f.Field = []string{"", "", "hộ tịch", "HO TICH", "Đất Đai", "không có"}[r.IntN(6)]
	f.Audience = []handbook.Audience{handbook.AudiencePublic, handbook.AudienceInternal, ""}[r.IntN(3)]
	if r.IntN(3) > 0 {
		f.At = randomDate(r)
		if !f.At.IsSet() {
			f.At = handbook.MustDate("2025-07-01")
		}
	}
	f.AllDates = r.IntN(5) == 0
	for range r.IntN(2) * 40 { // half the filters name 40 documents
		f.Docs = append(f.Docs, fmt.Sprintf("procedures/doc-%d", r.IntN(2000)))
	}
	return f
}

// TestFilterParity checks that the SQL filters select exactly what
// Filter.Allows selects, by comparing with memvec on random data: exact
// search before the HNSW index exists; after, only allowed chunks, as many
// as memvec finds (iterative index scans) and nearly the same ones. 5,000
// rows is about where the planner starts to prefer the index.
func TestFilterParity(t *testing.T) {
	const n, dim, k = 5000, 8, 12
	r := rand.New(rand.NewPCG(5, 25))
	data := randomCorpus(r, n, dim)
	mem := memvec.New()
	dsn := indexertest.PGVector(t)
	pg := open(t, dsn, "test-model", dim)
	ctx := t.Context()
	for _, s := range []handbook.VectorStore{mem, pg} {
		if err := s.Upsert(ctx, data); err != nil {
			t.Fatal(err)
		}
	}
	byID := map[string]*handbook.Chunk{}
	for i := range data {
		byID[data[i].Chunk.ID] = &data[i].Chunk
	}
	queries := make([]handbook.Filter, 150)
	vecs := make([][]float32, len(queries))
	for i := range queries {
		queries[i] = randomFilter(r)
		vecs[i] = data[r.IntN(n)].Values
		if i%2 == 1 { // also queries that match no stored vector
			vecs[i] = randomCorpus(r, 1, dim)[0].Values
		}
	}
	run := func(t *testing.T, exact bool) {
		var found, total int
		for i, f := range queries {
			want, err := mem.Nearest(ctx, vecs[i], f, k)
			if err != nil {
				t.Fatal(err)
			}
			got, err := pg.Nearest(ctx, vecs[i], f, k)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range got {
				if !f.Allows(byID[h.ChunkID]) {
					t.Errorf("filter %+v let %s through", f, h.ChunkID)
				}
			}
			if len(got) != len(want) {
				t.Errorf("filter %+v: %d hits, memvec %d", f, len(got), len(want))
				continue
			}
			for j := range want {
				if exact && (got[j].ChunkID != want[j].ChunkID || math.Abs(got[j].Score-want[j].Score) > 1e-5) {
					t.Errorf("filter %+v hit %d = %s %.6f, memvec %s %.6f", f, j, got[j].ChunkID, got[j].Score, want[j].ChunkID, want[j].Score)
					break
				}
			}
			wantIDs := map[string]bool{}
			for _, h := range want {
				wantIDs[h.ChunkID] = true
			}
			for _, h := range got {
				if wantIDs[h.ChunkID] {
					found++
				}
			}
			total += len(want)
		}
		if recall := float64(found) / float64(max(total, 1)); recall < 0.95 {
			t.Errorf("recall@%d against exact search = %.3f, want ≥ 0.95", k, recall)
		} else {
			t.Logf("recall@%d against exact search = %.3f over %d queries", k, recall, len(queries))
		}
	}
	t.Run("Exact", func(t *testing.T) { run(t, true) })
	if err := pg.BuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if plan := explainNearest(t, dsn, vecs[0]); !strings.Contains(plan, "vector_chunks_embedding_hnsw") {
		t.Fatalf("Nearest's query does not use the HNSW index:\n%s", plan)
	}
	t.Run("HNSW", func(t *testing.T) { run(t, false) })
}

// explainNearest returns the plan of a query shaped like Nearest's: ORDER BY
// the distance alias, the always-on filters in WHERE.
func explainNearest(t *testing.T, dsn string, q []float32) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	schema := strings.Trim(strings.Split(conn.Config().RuntimeParams["search_path"], ",")[0], `"`)
	vec := make([]string, len(q))
	for i, x := range q {
		vec[i] = fmt.Sprint(x)
	}
	rows, _ := conn.Query(t.Context(), "EXPLAIN SELECT chunk_id, embedding <=> '["+strings.Join(vec, ",")+"]'::vector AS distance FROM "+
		pgx.Identifier{schema, "vector_chunks"}.Sanitize()+
		" WHERE status <> 'archived' AND audience <> 'internal' ORDER BY distance LIMIT 10", pgx.QueryExecModeSimpleProtocol)
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

func TestHitCarriesChunkFields(t *testing.T) {
	s := open(t, indexertest.PGVector(t), "test-model", 3)
	c := indexertest.Corpus()[3] // Điều 16, valid from 2016
	c.ValidTo = handbook.MustDate("2030-01-01")
	c.Field = "Hộ tịch"
	if err := s.Upsert(t.Context(), []handbook.Vector{{Chunk: c, Values: []float32{3, 4, 0}}}); err != nil {
		t.Fatal(err)
	}
	hits, err := s.Nearest(t.Context(), []float32{3, 4, 0}, handbook.Filter{}, 5)
	if err != nil || len(hits) != 1 {
		t.Fatalf("Nearest = %v, %v", hits, err)
	}
	want := handbook.Hit{ChunkID: c.ID, DocID: c.DocID, Anchor: c.Anchor, Kind: c.Kind, Title: c.Title, Heading: c.Heading,
		Field: c.Field, Text: c.Text, Score: hits[0].Score, Audience: c.Audience, ValidFrom: c.ValidFrom, ValidTo: c.ValidTo}
	if diff := cmp.Diff(want, hits[0]); diff != "" {
		t.Errorf("Nearest hit mismatch (-want +got):\n%s", diff)
	}
	if math.Abs(hits[0].Score-1) > 1e-6 {
		t.Errorf("score of the same direction = %v, want 1", hits[0].Score)
	}
}

func TestBulkLoadDefersIndex(t *testing.T) {
	const dim = 16
	dsn := indexertest.PGVector(t)
	s := open(t, dsn, "test-model", dim)
	ctx := t.Context()
	if err := s.BuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Indexed(ctx); err != nil || !ok {
		t.Fatalf("Indexed after BuildIndex = %v, %v", ok, err)
	}
	data := randomCorpus(rand.New(rand.NewPCG(1, 2)), 1500, dim)
	if err := s.Upsert(ctx, data); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Indexed(ctx); ok {
		t.Errorf("a bulk load into an empty table kept the HNSW index")
	}
	if n, err := s.Len(ctx); err != nil || n != len(data) {
		t.Errorf("Len = %d, %v; want %d", n, err, len(data))
	}
	for range 2 { // idempotent
		if err := s.BuildIndex(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Upsert(ctx, data[:10]); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Indexed(ctx); !ok {
		t.Errorf("a small upsert dropped the HNSW index")
	}
	// Duplicates in one batch: the last one wins.
	c := data[0].Chunk
	if err := s.Upsert(ctx, []handbook.Vector{{Chunk: c, Values: data[1].Values}, {Chunk: c, Values: data[2].Values}}); err != nil {
		t.Fatal(err)
	}
	hits, err := s.Nearest(ctx, data[2].Values, handbook.Filter{AllDates: true, Audience: handbook.AudienceInternal}, 1)
	if err != nil || len(hits) != 1 || (hits[0].ChunkID != c.ID && hits[0].ChunkID != data[2].Chunk.ID) {
		t.Errorf("after duplicate upsert Nearest = %v, %v", hits, err)
	}
}

// proxy forwards TCP connections to target until cut is called.
type proxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(p.cut)
	return p
}

// cut stops listening and drops every forwarded connection: the database
// is gone.
func (p *proxy) cut() {
	p.l.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func TestDatabaseDownIsUnavailable(t *testing.T) {
	t.Run("NoServer", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = pgvector.Open(t.Context(), "postgres://postgres@"+addr+"/postgres?sslmode=disable", "m", 3)
		if handbook.ErrorCode(err) != handbook.Unavailable {
			t.Errorf("Open(closed port) error = %v, want unavailable", err)
		}
	})
	t.Run("ServerGoesAway", func(t *testing.T) {
		dsn := indexertest.PGVector(t)
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		p := newProxy(t, u.Host)
		u.Host = p.l.Addr().String()
		s := open(t, u.String(), "m", 3)
		ctx := t.Context()
		corpus := indexertest.Corpus()
		if err := s.Upsert(ctx, []handbook.Vector{{Chunk: corpus[0], Values: []float32{1, 0, 0}}}); err != nil {
			t.Fatal(err)
		}
		p.cut()
		checks := map[string]func() error{
			"Nearest": func() error {
				_, err := s.Nearest(ctx, []float32{1, 0, 0}, handbook.Filter{}, 3)
				return err
			},
			"Upsert": func() error {
				return s.Upsert(ctx, []handbook.Vector{{Chunk: corpus[1], Values: []float32{0, 1, 0}}})
			},
			"DeleteDocument": func() error { return s.DeleteDocument(ctx, corpus[0].DocID) },
			"BuildIndex":     func() error { return s.BuildIndex(ctx) },
			"Ping":           func() error { return s.Ping(ctx) },
			"Cache.Get": func() error {
				_, err := s.Cache().Get(ctx, "m", []string{"h"})
				return err
			},
			"Cache.Put": func() error { return s.Cache().Put(ctx, "m", map[string][]float32{"h": {1}}) },
		}
		for name, f := range checks {
			if err := f(); handbook.ErrorCode(err) != handbook.Unavailable {
				t.Errorf("%s with the database gone: error = %v, want unavailable", name, err)
			}
		}
	})
}

// TestOpenWithoutExtension opens the store on plain PostgreSQL (the
// indexertest.Postgres helper) where pgvector is not installed: Open fails
// with an error that names the extension, and it is not "unavailable".
func TestOpenWithoutExtension(t *testing.T) {
	dsn := indexertest.Postgres(t)
	s, err := pgvector.Open(t.Context(), dsn, "m", 3)
	if err == nil {
		s.Close()
		t.Skip("this PostgreSQL server has the vector extension")
	}
	if !strings.Contains(err.Error(), "vector") || handbook.ErrorCode(err) == handbook.Unavailable {
		t.Errorf("Open without the extension error = %v (code %s), want one naming the vector extension", err, handbook.ErrorCode(err))
	}
	t.Logf("Open without the extension: %v", err)
}
