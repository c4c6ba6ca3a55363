package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sotay/handbook"
)

// lockedStore opens a store and a second connection to its database, with
// which hold takes the write lock: the store's writes wait (busy_timeout)
// and its question log entries queue up behind them.
func lockedStore(t *testing.T) (s *Store, raw *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "handbook.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	raw, err = sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return s, raw
}

func hold(t *testing.T, raw *sql.DB) (release func()) {
	t.Helper()
	tx, err := raw.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO schema_migrations (name, applied) VALUES ('lock', 0)`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { tx.Rollback() }) }
	t.Cleanup(release)
	return release
}

// waitQueued waits until n entries wait in the queue.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.logq.mu.Lock()
		k := len(s.logq.pending)
		s.logq.mu.Unlock()
		if k >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d entries queued, want %d", k, n)
		}
	}
}

// stored returns the logged queries by id.
func stored(t *testing.T, s *Store) map[int64]string {
	t.Helper()
	got := map[int64]string{}
	if err := s.Questions(t.Context(), time.Unix(0, 0), time.Now().Add(time.Hour), func(q *handbook.Question) error {
		got[q.ID] = q.Query
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func question(query string) *handbook.Question {
	return &handbook.Question{Source: handbook.SourceSearch, Query: query, Role: handbook.RolePublic, Results: []string{"a#b"}}
}

// TestLogQuestionGroupCommit: entries that arrive while a write waits are
// stored together, each with the id of its own row.
func TestLogQuestionGroupCommit(t *testing.T) {
	s, raw := lockedStore(t)
	release := hold(t, raw)
	const n = 50
	qs := make([]*handbook.Question, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		qs[i] = question(fmt.Sprintf("câu hỏi %d", i))
		wg.Go(func() { errs[i] = s.LogQuestion(t.Context(), qs[i]) })
	}
	waitQueued(t, s, n-10) // the first is taken at once and waits for the lock
	release()
	wg.Wait()
	got := stored(t, s)
	for i, q := range qs {
		if errs[i] != nil || q.ID == 0 || got[q.ID] != q.Query {
			t.Errorf("%q: id %d (stored as %q), err %v", q.Query, q.ID, got[q.ID], errs[i])
		}
	}
	if len(got) != n {
		t.Errorf("%d rows stored, want %d", len(got), n)
	}
	if c := s.logq.commits.Load(); c > 12 {
		t.Errorf("%d commits for %d entries that queued together", c, n)
	}
	t.Logf("%d entries, %d commits", n, s.logq.commits.Load())
}

// TestLogQuestionWithdrawn: a caller whose context ends while its entry
// waits gets the context's error, and the entry is never stored.
func TestLogQuestionWithdrawn(t *testing.T) {
	s, raw := lockedStore(t)
	release := hold(t, raw)
	first := question("đầu tiên")
	firstErr := make(chan error, 1)
	go func() { firstErr <- s.LogQuestion(t.Context(), first) }()
	// The flusher takes the first entry and waits for the lock with it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.logq.mu.Lock()
		running, k := s.logq.running, len(s.logq.pending)
		s.logq.mu.Unlock()
		if running && k == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first entry was not taken")
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	late := question("bỏ đi")
	lateErr := make(chan error, 1)
	go func() { lateErr <- s.LogQuestion(ctx, late) }()
	waitQueued(t, s, 1)
	cancel()
	if err := <-lateErr; !errors.Is(err, context.Canceled) {
		t.Errorf("withdrawn entry: err %v, want context.Canceled", err)
	}
	release()
	if err := <-firstErr; err != nil || first.ID == 0 {
		t.Fatalf("first entry: id %d, err %v", first.ID, err)
	}
	got := stored(t, s)
	if len(got) != 1 || got[first.ID] != first.Query || late.ID != 0 {
		t.Errorf("stored %v (late id %d), want only %q", got, late.ID, first.Query)
	}
}

// TestLogQuestionBatchFallback: an entry the database refuses fails alone;
// the others of its batch are stored.
func TestLogQuestionBatchFallback(t *testing.T) {
	s, raw := lockedStore(t)
	if _, err := raw.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON questions WHEN NEW.query = 'hỏng'
		BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	release := hold(t, raw)
	qs := []*handbook.Question{question("một"), question("hai"), question("hỏng"), question("ba")}
	errs := make([]error, len(qs))
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = s.LogQuestion(t.Context(), qs[0]) })
	for deadline := time.Now().Add(10 * time.Second); s.logq.commits.Load() == 0; time.Sleep(time.Millisecond) {
		s.logq.mu.Lock()
		taken := s.logq.running && len(s.logq.pending) == 0
		s.logq.mu.Unlock()
		if taken {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first entry was not taken")
		}
	}
	for i := 1; i < len(qs); i++ {
		wg.Go(func() { errs[i] = s.LogQuestion(t.Context(), qs[i]) })
	}
	waitQueued(t, s, len(qs)-1)
	release()
	wg.Wait()
	got := stored(t, s)
	for i, q := range qs {
		refused := q.Query == "hỏng"
		if refused != (errs[i] != nil) || refused != (q.ID == 0) || (!refused && got[q.ID] != q.Query) {
			t.Errorf("%q: id %d (stored as %q), err %v", q.Query, q.ID, got[q.ID], errs[i])
		}
	}
	if len(got) != 3 {
		t.Errorf("stored %v, want the three others", got)
	}
}
