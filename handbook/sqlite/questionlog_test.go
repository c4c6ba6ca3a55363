package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
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

// rawCount counts the log's rows as another connection sees them.
func rawCount(t *testing.T, raw *sql.DB) int {
	t.Helper()
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM questions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// setDelay sets how long the queue waits before it writes.
func setDelay(s *Store, d time.Duration) {
	s.logq.mu.Lock()
	s.logq.delay = d
	s.logq.mu.Unlock()
}

// TestLogQuestionWriteBehind: entries logged together get ids at once and
// are written in one transaction, each as the row of its id; other
// connections see them once it commits, after the delay or because a
// reader of the log needs them; Close writes what is left.
func TestLogQuestionWriteBehind(t *testing.T) {
	s, raw := lockedStore(t)
	setDelay(s, time.Hour)
	const n = 50
	qs := make([]*handbook.Question, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		qs[i] = question(fmt.Sprintf("câu hỏi %d", i))
		wg.Go(func() { errs[i] = s.LogQuestion(t.Context(), qs[i]) })
	}
	wg.Wait()
	if got := rawCount(t, raw); got != 0 {
		t.Errorf("%d rows written before the delay", got)
	}
	got := stored(t, s) // Questions writes the queue first
	for i, q := range qs {
		if errs[i] != nil || q.ID == 0 || got[q.ID] != q.Query {
			t.Errorf("%q: id %d (stored as %q), err %v", q.Query, q.ID, got[q.ID], errs[i])
		}
	}
	if len(got) != n || rawCount(t, raw) != n {
		t.Errorf("%d rows stored (%d visible), want %d", len(got), rawCount(t, raw), n)
	}
	if c := s.logq.commits.Load(); c != 1 {
		t.Errorf("%d commits for %d entries logged together, want 1", c, n)
	}

	// After the delay.
	setDelay(s, 20*time.Millisecond)
	if err := s.LogQuestion(t.Context(), question("sau")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); rawCount(t, raw) != n+1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the entry was not written after the delay")
		}
	}

	// Before a feedback on it, and at Close.
	setDelay(s, time.Hour)
	q := question("góp ý")
	if err := s.LogQuestion(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFeedback(t.Context(), &handbook.Feedback{QuestionID: q.ID, Useful: true, Role: handbook.RolePublic}); err != nil {
		t.Errorf("feedback on a question logged just before: %v", err)
	}
	if err := s.LogQuestion(t.Context(), question("cuối")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := rawCount(t, raw); got != n+3 {
		t.Errorf("%d rows after Close, want %d", got, n+3)
	}
	if err := s.LogQuestion(t.Context(), question("đã đóng")); err == nil {
		t.Error("LogQuestion after Close: no error")
	}
}

// TestLogQuestionDoesNotWait: while another connection holds the write
// lock, logging still answers at once (with the block of ids reserved
// before); the entries are written when the lock is free. Had a caller
// waited for the write, it would have failed after the busy timeout.
func TestLogQuestionDoesNotWait(t *testing.T) {
	s, raw := lockedStore(t)
	setDelay(s, time.Millisecond)
	first := question("đầu tiên")
	if err := s.LogQuestion(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	stored(t, s) // written: no write of the store's in flight when hold takes the lock
	release := hold(t, raw)
	qs := []*handbook.Question{question("một"), question("hai"), question("ba")}
	for _, q := range qs {
		if err := s.LogQuestion(t.Context(), q); err != nil || q.ID == 0 {
			t.Fatalf("%q while the database is locked: id %d, err %v", q.Query, q.ID, err)
		}
	}
	release()
	got := stored(t, s)
	for _, q := range append(qs, first) {
		if got[q.ID] != q.Query {
			t.Errorf("%q: id %d stored as %q", q.Query, q.ID, got[q.ID])
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	late := question("bỏ đi")
	if err := s.LogQuestion(ctx, late); !errors.Is(err, context.Canceled) || late.ID != 0 {
		t.Errorf("cancelled caller: id %d, err %v", late.ID, err)
	}
	if got := stored(t, s); len(got) != 4 {
		t.Errorf("stored %v, want the four entries", got)
	}
}

// TestLogQuestionIDsAcrossStores: two stores on one file (two processes)
// reserve their own blocks of ids, so their entries never share one.
func TestLogQuestionIDsAcrossStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "handbook.db")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	want := map[int64]string{}
	for i := range 3 * idBlock {
		q := question(fmt.Sprintf("câu %d", i))
		if err := stores[i%2].LogQuestion(t.Context(), q); err != nil {
			t.Fatal(err)
		}
		if prev, dup := want[q.ID]; dup {
			t.Fatalf("id %d given to %q and %q", q.ID, prev, q.Query)
		}
		want[q.ID] = q.Query
	}
	stores[0].syncLog()
	if got := stored(t, stores[1]); !maps.Equal(got, want) {
		t.Errorf("stored %d entries, want %d as given", len(got), len(want))
	}
}

// TestLogQuestionRefused: an entry the database refuses when its batch is
// written goes to the lost-entry handler, without its id; the others of
// the batch are written alone, with the ids their callers got.
func TestLogQuestionRefused(t *testing.T) {
	s, raw := lockedStore(t)
	setDelay(s, time.Hour)
	if _, err := raw.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON questions WHEN NEW.query = 'hỏng'
		BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	var lost []handbook.Question
	s.SetLostQuestion(func(q handbook.Question, err error) {
		if err == nil {
			t.Error("lost entry without an error")
		}
		lost = append(lost, q)
	})
	qs := []*handbook.Question{question("một"), question("hỏng"), question("hai")}
	for _, q := range qs {
		if err := s.LogQuestion(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	got := stored(t, s)
	if len(got) != 2 || got[qs[0].ID] != "một" || got[qs[2].ID] != "hai" {
		t.Errorf("stored %v, want một as %d and hai as %d", got, qs[0].ID, qs[2].ID)
	}
	if len(lost) != 1 || lost[0].Query != "hỏng" || lost[0].ID != 0 {
		t.Errorf("lost %+v, want the entry hỏng without its id", lost)
	}
}

// TestLogQuestionIDsAfterUpgrade: a database that logged questions before
// question_ids existed hands out ids after its largest one once upgraded.
func TestLogQuestionIDsAfterUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "handbook.db")
	b, err := fs.ReadFile(migrations, "migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	old, err := open(t.Context(), path, fstest.MapFS{"migrations/0001_init.sql": {Data: b}})
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for i := range 3 {
		q := question(fmt.Sprintf("cũ %d", i))
		if err := old.LogQuestion(t.Context(), q); err != nil {
			t.Fatal(err)
		}
		last = q.ID
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q := question("mới")
	if err := s.LogQuestion(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	got := stored(t, s)
	if q.ID <= last || len(got) != 4 || got[q.ID] != "mới" {
		t.Errorf("after the upgrade: id %d (the old ones end at %d), stored %v", q.ID, last, got)
	}
}
