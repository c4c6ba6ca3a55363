package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// startTestPG starts a throwaway PostgreSQL cluster on 127.0.0.1 (the same
// one `handbook bench` uses). It skips when PostgreSQL is not installed,
// unless HANDBOOK_TEST_REQUIRE names postgres.
func startTestPG(t *testing.T) *pgCluster {
	t.Helper()
	if _, err := pgBinDir(); err != nil {
		if strings.Contains(","+os.Getenv("HANDBOOK_TEST_REQUIRE")+",", ",postgres,") {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, err := startPG(ctx, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stop)
	return c
}

// outageSearch searches and returns the status and the question log id.
func outageSearch(t *testing.T, base, q string) (int, int64) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/search?q=" + url.QueryEscape(q))
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	id, _ := strconv.ParseInt(resp.Header.Get("X-Question-Id"), 10, 64)
	return resp.StatusCode, id
}

type feedbackAnswer struct {
	status     int
	retryAfter string
	code       string
	message    string
}

func postFeedback(t *testing.T, base string, question int64) feedbackAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"question_id": question, "useful": true})
	resp, err := http.Post(base+"/api/v1/feedback", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("feedback: %v", err)
	}
	defer resp.Body.Close()
	var e errorBodyJSON
	json.NewDecoder(resp.Body).Decode(&e)
	return feedbackAnswer{resp.StatusCode, resp.Header.Get("Retry-After"), e.Error.Code, e.Error.Message}
}

type errorBodyJSON struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// TestPostgresOutage: PostgreSQL (the state store) stopped while the
// server runs, then started again. Searches never fail (they need only the
// index); what needs the store answers a clear 503 with Retry-After while
// it is down and works again once it is back, without restarting handbook;
// questions asked before, during (spooled, issue 10) and after the outage
// are in the log, each once.
func TestPostgresOutage(t *testing.T) {
	bin := faultBinary(t)
	pg := startTestPG(t)
	corpus := faultCorpus(t, 200)
	cases, err := readCases(filepath.Join(corpus, corpusQueries))
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	srv, base := serve(t, bin, filepath.Join(corpus, corpusContent), data, "-database-url", pg.url)
	defer srv.cmd.Process.Kill()
	ask := func(phase string, qs []string) []int64 {
		t.Helper()
		var ids []int64
		for _, q := range qs {
			status, id := outageSearch(t, base, q)
			if status != http.StatusOK {
				t.Errorf("%s: search %q = %d, want 200", phase, q, status)
			}
			ids = append(ids, id)
		}
		return ids
	}
	questions := func(i int) []string {
		return []string{cases[3*i].Query, cases[3*i+1].Query, cases[3*i+2].Query}
	}

	before := ask("before the outage", questions(0))
	if before[0] == 0 {
		t.Fatal("searches are not logged (no X-Question-Id): is the store configured?")
	}
	if a := postFeedback(t, base, before[0]); a.status != http.StatusCreated {
		t.Fatalf("feedback before the outage = %+v, want 201", a)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := pg.halt(ctx); err != nil {
		t.Fatal(err)
	}
	ask("during the outage", questions(1))
	// The first request after the stop meets pooled connections that the
	// server terminated; later ones cannot connect. Both must be a 503.
	for i := range 3 {
		a := postFeedback(t, base, before[0])
		if a.status != http.StatusServiceUnavailable || a.code != "unavailable" || a.retryAfter == "" || a.message == "" {
			t.Errorf("feedback %d during the outage = %+v, want 503 unavailable with Retry-After and a message", i+1, a)
		}
	}

	if err := pg.start(ctx); err != nil {
		t.Fatal(err)
	}
	recovered := false
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if a := postFeedback(t, base, before[0]); a.status == http.StatusCreated {
			recovered = true
			break
		}
	}
	if !recovered {
		t.Fatal("the store did not come back after PostgreSQL restarted")
	}
	ask("after the outage", questions(2))

	// Questions asked during the outage were spooled in the data directory
	// and are written once the store is back (at once after a direct write
	// succeeds, else within the replay backoff of at most 30 s).
	conn, err := pgx.Connect(ctx, pg.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	asked := map[string]int{} // as stored: whitespace collapsed
	for i := range 3 {
		for _, q := range questions(i) {
			asked[strings.Join(strings.Fields(q), " ")]++
		}
	}
	var logged map[string]int
	spool := filepath.Join(data, "spool", "questions.jsonl")
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		logged = map[string]int{}
		rows, err := conn.Query(ctx, "SELECT query FROM questions")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var q string
			if err := rows.Scan(&q); err != nil {
				t.Fatal(err)
			}
			logged[q]++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		all := true
		for q := range asked {
			all = all && logged[q] > 0
		}
		st, err := os.Stat(spool)
		if all && err == nil && st.Size() == 0 || time.Now().After(deadline) {
			if err != nil || st.Size() != 0 {
				t.Errorf("question spool %s not emptied after the outage (stat: %v)", spool, err)
			}
			break
		}
	}
	for i, phase := range []string{"before", "during", "after"} {
		for _, q := range questions(i) {
			k := strings.Join(strings.Fields(q), " ")
			switch n := logged[k]; {
			case n == 0:
				t.Errorf("question asked %s the outage is missing from the log: %q", phase, q)
			case n != asked[k]:
				t.Errorf("question asked %s the outage is in the log %d times, asked %d times: %q", phase, n, asked[k], q)
			}
		}
	}
}
