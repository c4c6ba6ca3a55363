package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"sotay/handbook"
)

// Every search writes a question log entry before it answers (its id goes
// back in X-Question-Id), so logging is on the path of every request.
// Committed one by one, each entry was a WAL transaction of its own: the
// shared-memory locks (fcntl calls) to begin it, the frames written to end
// it, 150–300 µs of CPU in a loaded server at 100k chunks, a tenth of a
// search (docs/BENCHMARKS.md). Committing the entries that arrived during
// a commit together helped little: at the rate two cores serve, few
// arrive during one, and the searches waited for it.
//
// So entries are written behind. LogQuestion gives the entry an id from a
// block reserved in question_ids (one small write per idBlock entries),
// queues it and returns: the caller has its id without waiting for a
// write. The queue is written in one transaction logCommitDelay after its
// first entry, or at once when it holds maxLogBatch, when a reader of the
// log needs its entries (Question, Questions, AddFeedback: syncLog) and at
// Close. Blocks make the ids unique across processes sharing the file.
//
// A crash loses at most the entries of that last interval, as
// synchronous=NORMAL may already lose the last commits on a power cut. A
// batch that fails is written again entry by entry; an entry the database
// still refuses goes to LostQuestion (the server spools it,
// api/questionspool.go, and its id is not used again).

// Bounds of the write-behind queue. A transaction's BEGIN and COMMIT cost
// twice what its inserts did at 10 ms (a loaded server's batches held some
// ten entries): at 50 ms they are a fifth of that, for a crash that loses
// at most 50 ms of questions instead of 10.
const (
	logCommitDelay  = 50 * time.Millisecond
	maxLogBatch     = 256
	logWriteTimeout = 5 * time.Second
	idBlock         = 256
)

type logQueue struct {
	mu        sync.Mutex
	pending   []logEntry
	timer     *time.Timer // writes pending; nil when none is set
	next, end int64       // the ids reserved and not yet given: [next, end)
	closed    bool        // by Close: no new entry
	shared    bool        // ids are reserved in question_ids
	delay     time.Duration
	lost      func(handbook.Question, error)

	writing sync.Mutex   // one batch written at a time
	commits atomic.Int64 // batches and single writes, for tests
}

type logEntry struct {
	q       handbook.Question
	results string
}

// SetLostQuestion sets what receives an entry that was given an id but
// that the database refused when it was written: the server spools it.
// Without one such entries are dropped.
func (s *Store) SetLostQuestion(fn func(handbook.Question, error)) {
	s.logq.mu.Lock()
	s.logq.lost = fn
	s.logq.mu.Unlock()
}

func (s *Store) LogQuestion(ctx context.Context, q *handbook.Question) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if q.Time.IsZero() {
		q.Time = s.now()
	}
	results, err := json.Marshal(nonNil(q.Results))
	if err != nil {
		return err
	}
	lq := &s.logq
	lq.mu.Lock()
	defer lq.mu.Unlock()
	if lq.closed {
		return errors.New("log question: store closed")
	}
	if lq.next == lq.end {
		if err := s.reserveIDs(ctx); err != nil {
			return mapErr("log question", err)
		}
	}
	e := logEntry{q: *q, results: string(results)}
	e.q.ID = lq.next
	lq.next++
	lq.pending = append(lq.pending, e)
	switch {
	case len(lq.pending) >= maxLogBatch:
		if lq.timer != nil {
			lq.timer.Stop()
		}
		lq.timer = time.AfterFunc(0, s.flushLog)
	case lq.timer == nil:
		lq.timer = time.AfterFunc(lq.delay, s.flushLog)
	}
	q.ID = e.q.ID
	return nil
}

// reserveIDs takes the next block of ids; the caller holds lq.mu.
func (s *Store) reserveIDs(ctx context.Context) error {
	lq := &s.logq
	if !lq.shared {
		// A schema without question_ids (tests open one to stand for the
		// first release's database): the ids after the largest written,
		// and after those given already.
		var next int64
		if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM questions`).Scan(&next); err != nil {
			return err
		}
		lq.next = max(next, lq.end)
		lq.end = lq.next + idBlock
		return nil
	}
	var end int64
	if err := s.db.QueryRowContext(ctx, `UPDATE question_ids SET next = next + ? RETURNING next`, idBlock).Scan(&end); err != nil {
		return err
	}
	lq.next, lq.end = end-idBlock, end
	return nil
}

// flushLog writes the queued entries.
func (s *Store) flushLog() {
	lq := &s.logq
	lq.writing.Lock()
	defer lq.writing.Unlock()
	lq.mu.Lock()
	batch, lost := lq.pending, lq.lost
	lq.pending = nil
	if lq.timer != nil {
		lq.timer.Stop()
		lq.timer = nil
	}
	lq.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), logWriteTimeout)
	defer cancel()
	ins, err := s.insertQuestion(ctx)
	if err == nil && len(batch) > 1 && s.writeLogBatch(ctx, ins, batch) == nil {
		return
	}
	for i := range batch {
		werr := err // the insert's preparation
		if werr == nil {
			lq.commits.Add(1)
			werr = writeLogEntry(ctx, ins, &batch[i])
		}
		if werr != nil && lost != nil {
			q := batch[i].q
			q.ID = 0
			lost(q, mapErr("log question", werr))
		}
	}
}

// writeLogBatch writes entries in one transaction; on an error none is
// written.
func (s *Store) writeLogBatch(ctx context.Context, ins *sql.Stmt, entries []logEntry) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st := tx.StmtContext(ctx, ins)
	for i := range entries {
		if err := writeLogEntry(ctx, st, &entries[i]); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.logq.commits.Add(1)
	return nil
}

func writeLogEntry(ctx context.Context, ins *sql.Stmt, e *logEntry) error {
	q := &e.q
	_, err := ins.ExecContext(ctx, q.ID, ms(q.Time), q.Source, q.Query, e.results, q.Hits, q.Answerable, q.Latency.Microseconds(),
		q.Role, q.UserID, q.Field, q.Department)
	return err
}

// syncLog writes the queued entries, for a reader that must see them.
func (s *Store) syncLog() { s.flushLog() }

// closeLog writes the queued entries and refuses new ones.
func (s *Store) closeLog() {
	s.logq.mu.Lock()
	s.logq.closed = true
	s.logq.mu.Unlock()
	s.flushLog()
}
