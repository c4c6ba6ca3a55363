package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"sotay/handbook/openai/openaitest"
	"sotay/indexer/indexertest"
)

// TestEmbeddingsEndToEnd indexes with a fake OpenAI-compatible embedding
// server, re-indexes without any embedding call, and compares the three
// retrieval modes with `handbook eval -mode`.
func TestEmbeddingsEndToEnd(t *testing.T) {
	fake := openaitest.NewServer(t)
	content, data := writeFixture(t), t.TempDir()
	env := map[string]string{"HANDBOOK_EMBED_URL": fake.URL, "HANDBOOK_EMBED_MODEL": "fake-embed"}
	if _, _, err := run(t, env, "index", "-content", content, "-data", data); err != nil {
		t.Fatal(err)
	}
	first := len(fake.EmbeddingRequests())
	if first == 0 {
		t.Fatal("indexing made no embedding request")
	}
	if _, _, err := run(t, env, "index", "-content", content, "-data", data); err != nil {
		t.Fatal(err)
	}
	// Re-indexing unchanged content embeds nothing; the one query embedding
	// of later searches is the only traffic.
	if n := len(fake.EmbeddingRequests()); n != first {
		t.Errorf("re-index of unchanged content made %d embedding requests", n-first)
	}
	gold := t.TempDir() + "/gold.jsonl"
	writeFile(t, gold, `{"id":"1","query":"dang ky khai sinh","relevant":[{"doc":"procedures/ho-tich/dang-ky-khai-sinh"}]}
{"id":"2","query":"thời hạn đăng ký khai sinh","relevant":[{"doc":"regulations/luat-ho-tich-2014","anchor":"dieu-15"}]}
`)
	out, _, err := run(t, env, "eval", "-mode", "lexical,vector,hybrid", "-content", content, "-data", data, gold)
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	for _, m := range []string{"mode lexical", "mode vector", "mode hybrid"} {
		if !strings.Contains(out, m) {
			t.Errorf("eval output lacks %q:\n%s", m, out)
		}
	}
	// The fusion settings reach eval: with the vector ranking weighted 0,
	// hybrid ranks exactly as lexical.
	out, _, err = run(t, env, "eval", "-json", "-mode", "lexical,hybrid", "-fusion-vector-weight", "0", "-content", content, "-data", data, gold)
	if err != nil {
		t.Fatalf("eval -json: %v\n%s", err, out)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	type report struct {
		Mode  string  `json:"mode"`
		Cases int     `json:"cases"`
		R1    float64 `json:"recall_at_1"`
		MRR   float64 `json:"mrr_at_10"`
	}
	var reports []report
	for dec.More() {
		var one report
		if err := dec.Decode(&one); err != nil {
			t.Fatalf("eval -json output: %v\n%s", err, out)
		}
		reports = append(reports, one)
	}
	if len(reports) != 2 || reports[0].Mode != "lexical" || reports[1].Mode != "hybrid" || reports[0].Cases != 2 ||
		reports[0].R1 != reports[1].R1 || reports[0].MRR != reports[1].MRR {
		t.Errorf("eval -json reports = %+v, want lexical and hybrid with the same figures", reports)
	}
	if _, _, err := run(t, env, "eval", "-mode", "semantic", "-content", content, "-data", data, gold); err == nil ||
		!strings.Contains(err.Error(), "semantic") {
		t.Errorf("eval -mode semantic: error = %v, want one naming the bad mode", err)
	}
	// The embedder fails: search still answers from full text and says so.
	fake.FailEmbeddings(500, 500, 500, 500, 500, 500, 500, 500)
	out, _, err = run(t, env, "search", "-json", "-content", content, "-data", data, "dang", "ky", "khai", "sinh")
	if err != nil {
		t.Fatalf("search with the embedder down: %v", err)
	}
	if !strings.Contains(out, `"Mode": "lexical"`) || !strings.Contains(out, "Tìm kiếm ngữ nghĩa tạm thời không khả dụng") ||
		!strings.Contains(out, "procedures/ho-tich/dang-ky-khai-sinh") {
		t.Errorf("degraded search output:\n%s", out)
	}
	out, stderr, err := run(t, env, "search", "-content", content, "-data", data, "dang", "ky", "khai", "sinh")
	if err != nil || !strings.Contains(out, "Lưu ý: Tìm kiếm ngữ nghĩa tạm thời không khả dụng") ||
		!strings.Contains(stderr, "semantic search unavailable") || !strings.Contains(stderr, "500") {
		t.Errorf("search with the embedder down: %v\n%s\n%s", err, out, stderr)
	}
	// eval refuses to report keyword-only figures as hybrid.
	fake.FailEmbeddings(500, 500, 500, 500, 500, 500, 500, 500)
	if out, _, err := run(t, env, "eval", "-mode", "hybrid", "-content", content, "-data", data, gold); err == nil ||
		!strings.Contains(err.Error(), "semantic search failed") {
		t.Errorf("eval -mode hybrid with the embedder down: error = %v, output %s", err, out)
	}
}

// TestPGVectorEndToEnd indexes into PostgreSQL + pgvector (the PGlite
// server in CI) and searches in hybrid mode through it.
func TestPGVectorEndToEnd(t *testing.T) {
	dsn := indexertest.PGVector(t)
	fake := openaitest.NewServer(t)
	content, data := writeFixture(t), t.TempDir()
	env := map[string]string{"HANDBOOK_EMBED_URL": fake.URL, "HANDBOOK_EMBED_MODEL": "fake-embed", "HANDBOOK_EMBED_DIM": "64",
		"HANDBOOK_VECTOR_STORE": "pgvector", "HANDBOOK_DATABASE_URL": dsn}
	if out, _, err := run(t, env, "index", "-content", content, "-data", data); err != nil {
		t.Fatalf("index into pgvector: %v %s", err, out)
	}
	out, _, err := run(t, env, "search", "-json", "-content", content, "-data", data, "thủ", "tục", "khai", "sinh")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"Mode": "hybrid"`) || !strings.Contains(out, "dang-ky-khai-sinh") {
		t.Errorf("hybrid search through pgvector:\n%s", out)
	}
	// A rebuild empties and refills the tables from the shared cache.
	before := len(fake.EmbeddingRequests())
	if _, _, err := run(t, env, "index", "-rebuild", "-content", content, "-data", data); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.EmbeddingRequests()); n != before {
		t.Errorf("rebuild re-embedded %d batches; the cache should have served them", n-before)
	}
}

// TestIndexResumesWithoutReembedding interrupts `handbook index` in the
// middle of its embedding run (the model refuses a request), then runs it
// again: every chunk is embedded exactly once over the two runs, and the
// progress lines carry counts, a rate and an estimate.
func TestIndexResumesWithoutReembedding(t *testing.T) {
	fake := openaitest.NewServer(t)
	content, data := writeFixture(t), t.TempDir()
	env := map[string]string{"HANDBOOK_EMBED_URL": fake.URL, "HANDBOOK_EMBED_MODEL": "fake-embed", "HANDBOOK_EMBED_BATCH": "1"}
	// Two requests succeed, the third is refused (400: not retried).
	fake.FailEmbeddings(0, 0, http.StatusBadRequest)
	_, stderr, err := run(t, env, "index", "-content", content, "-data", data)
	if err == nil {
		t.Fatal("index with the model refusing a request succeeded")
	}
	embedded := func() []string {
		var texts []string
		for i, r := range fake.EmbeddingRequests() {
			if i == 2 {
				continue // the refused one
			}
			texts = append(texts, r.Input...)
		}
		return texts
	}
	if got := embedded(); len(got) != 2 {
		t.Fatalf("first run embedded %d texts, want 2 before the refusal", len(got))
	}
	if !strings.Contains(stderr, "indexing progress") || !strings.Contains(stderr, "stage=embed") {
		t.Errorf("no embedding progress in the log of a non-terminal run:\n%s", stderr)
	}
	out, stderr, err := run(t, env, "index", "-content", content, "-data", data)
	if err != nil {
		t.Fatalf("resumed index: %v\n%s", err, stderr)
	}
	texts := embedded()
	seen := map[string]int{}
	for _, s := range texts {
		seen[s]++
	}
	for s, n := range seen {
		if n > 1 {
			t.Errorf("embedded %d times: %q", n, s)
		}
	}
	// Every chunk of the content (the broken file aside) has its vector:
	// a third run embeds nothing.
	before := len(fake.EmbeddingRequests())
	if _, _, err := run(t, env, "index", "-content", content, "-data", data); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.EmbeddingRequests()) - before; n != 0 {
		t.Errorf("third run made %d embedding requests, want 0", n)
	}
	// The estimate: the last progress line of the embed stage has a rate
	// and an ETA.
	m := regexp.MustCompile(`indexing progress" stage=embed done=(\d+) total=(\d+) elapsed=\S+ chunks_per_second=\S+ eta=\S+`).FindAllStringSubmatch(stderr, -1)
	if len(m) == 0 || m[len(m)-1][1] != m[len(m)-1][2] {
		t.Errorf("resumed run's log lacks a final embed progress line with rate and eta:\n%s", stderr)
	}
	if !strings.Contains(out, "Đã lập chỉ mục") {
		t.Errorf("index output = %q", out)
	}
	// Over both runs, each chunk of the content was embedded once.
	cfg, _, err := LoadConfig("t", []string{"-content", content, "-data", t.TempDir()}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	app, err := openApp(cfg, newLogger(Config{LogLevel: "error", LogFormat: "text"}, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	chunks := app.Library().Chunks()
	for _, c := range chunks {
		if seen[c.EmbeddingText()] != 1 {
			t.Errorf("chunk %s embedded %d times over both runs, want once", c.ID, seen[c.EmbeddingText()])
		}
	}
	if len(texts) != len(chunks) {
		t.Errorf("%d texts embedded for %d chunks", len(texts), len(chunks))
	}
}

// fakeClock advances only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestProgressBarEstimatesEachStage(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)}
	var b strings.Builder
	p := progressBar(&b, clock.now)
	p("index", 0, 1000)
	clock.advance(2 * time.Minute) // a slow keyword stage must not skew the next estimate
	p("index", 1000, 1000)
	p("embed", 0, 400)
	if !strings.Contains(b.String(), "nhúng vector") || !strings.Contains(b.String(), "0/400  đang ước tính") {
		t.Errorf("start of the embed stage:\n%q", b.String())
	}
	clock.advance(10 * time.Second)
	b.Reset()
	p("embed", 100, 400) // 10 chunks/s, 300 to go
	if got := b.String(); !strings.Contains(got, "100/400  10 đoạn/giây, còn khoảng 30s") || !strings.Contains(got, "[#######.") {
		t.Errorf("progress line = %q, want 100/400 at 10 chunks/s with 30s left", got)
	}
	clock.advance(30 * time.Second)
	b.Reset()
	p("embed", 400, 400)
	if got := b.String(); !strings.Contains(got, "400/400") || !strings.HasSuffix(got, "\n") {
		t.Errorf("last progress line = %q, want it complete and ended", got)
	}
}

func TestProgressLogThrottles(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)}
	var b strings.Builder
	p := progressLog(slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{ReplaceAttr: dropTime})), clock.now, 10*time.Second, 0)
	p("embed", 0, 1000)
	for done := 64; done < 1000; done += 64 {
		clock.advance(2 * time.Second) // 32 chunks/s
		p("embed", done, 1000)
	}
	clock.advance(time.Second)
	p("embed", 1000, 1000)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	// Start, one line per 10 s of the 30 s run, and the end.
	if len(lines) < 4 || len(lines) > 6 {
		t.Errorf("%d log lines for a 31 s stage with a 10 s interval:\n%s", len(lines), b.String())
	}
	if !strings.Contains(lines[0], "done=0 total=1000") || strings.Contains(lines[0], "eta=") {
		t.Errorf("first line = %q", lines[0])
	}
	if !strings.Contains(lines[1], "chunks_per_second=32 eta=") {
		t.Errorf("second line = %q, want the rate and an estimate", lines[1])
	}
	if !strings.Contains(lines[len(lines)-1], "done=1000 total=1000") {
		t.Errorf("last line = %q", lines[len(lines)-1])
	}
	// Small stages (an edited page under -watch) are not reported.
	b.Reset()
	quiet := progressLog(slog.New(slog.NewTextHandler(&b, nil)), clock.now, time.Second, 1000)
	quiet("index", 0, 3)
	quiet("index", 3, 3)
	if b.Len() != 0 {
		t.Errorf("a 3-chunk stage was reported: %s", b.String())
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
