package main

import (
	"encoding/json"
	"strings"
	"testing"

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
