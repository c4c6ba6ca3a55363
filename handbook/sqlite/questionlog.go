package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"sotay/handbook"
)

// Every search writes a question log entry before it answers (its id goes
// back in X-Question-Id), so the insert is on the path of every request.
// Committed one by one, each entry was a WAL commit of its own: two page
// writes and the lock calls around them, a fifth of a loaded server's CPU
// at 100k chunks (docs/BENCHMARKS.md). LogQuestion therefore queues its
// entry and waits: one flusher at a time takes whatever is queued and
// writes it in one transaction, so entries that arrive while a commit runs
// share the next one. Alone, an entry is inserted as before, without a
// transaction around it.
//
// An entry is stored once or not at all, and its caller knows which: a
// caller whose context ends before the flusher took its entry withdraws it
// and returns the context's error; once taken, the caller waits for the
// commit. If a batch fails, each of its entries is tried alone, so one
// entry the database refuses does not fail the others.

// Bounds of one group commit.
const (
	maxLogBatch     = 256
	logBatchTimeout = 5 * time.Second
)

// States of a queued entry.
const (
	logWaiting   int32 = iota
	logTaken           // by the flusher: it will be answered
	logWithdrawn       // by its caller, whose context ended
)

type logReq struct {
	q       *handbook.Question
	results string
	state   atomic.Int32
	err     error         // set by the flusher before done closes
	done    chan struct{} // closed when the entry is stored or failed
}

type logQueue struct {
	mu      sync.Mutex
	pending []*logReq
	running bool           // a flusher is on its way
	wg      sync.WaitGroup // the flusher, for Close
	commits atomic.Int64   // writes of one entry or a batch, for tests
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
	r := &logReq{q: q, results: string(results), done: make(chan struct{})}
	lq := &s.logq
	lq.mu.Lock()
	lq.pending = append(lq.pending, r)
	if !lq.running {
		lq.running = true
		lq.wg.Add(1)
		go s.flushLog()
	}
	lq.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		if r.state.CompareAndSwap(logWaiting, logWithdrawn) {
			return ctx.Err()
		}
		<-r.done // taken: its batch answers within logBatchTimeout
		return r.err
	}
}

// flushLog writes the queued entries, a batch at a time, until none is
// left.
func (s *Store) flushLog() {
	lq := &s.logq
	defer lq.wg.Done()
	for {
		lq.mu.Lock()
		batch := lq.pending
		if len(batch) > maxLogBatch {
			batch, lq.pending = batch[:maxLogBatch], batch[maxLogBatch:]
		} else {
			lq.pending = nil
		}
		if len(batch) == 0 {
			lq.running = false
			lq.mu.Unlock()
			return
		}
		lq.mu.Unlock()
		taken := batch[:0]
		for _, r := range batch {
			if r.state.CompareAndSwap(logWaiting, logTaken) {
				taken = append(taken, r)
			}
		}
		if len(taken) > 0 {
			s.writeLog(taken)
		}
		for _, r := range taken {
			close(r.done)
		}
	}
}

// writeLog stores rs and sets their ids, or each one's error.
func (s *Store) writeLog(rs []*logReq) {
	ctx, cancel := context.WithTimeout(context.Background(), logBatchTimeout)
	defer cancel()
	ins, err := s.insertQuestion(ctx)
	if err != nil {
		for _, r := range rs {
			r.err = mapErr("log question", err)
		}
		return
	}
	if len(rs) > 1 && s.writeLogBatch(ctx, ins, rs) == nil {
		return
	}
	for _, r := range rs {
		s.logq.commits.Add(1)
		var id int64
		if r.err = mapErr("log question", insertArgs(ctx, ins, r).Scan(&id)); r.err == nil {
			r.q.ID = id
		}
	}
}

// writeLogBatch stores rs in one transaction; on an error none is stored.
func (s *Store) writeLogBatch(ctx context.Context, ins *sql.Stmt, rs []*logReq) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st := tx.StmtContext(ctx, ins)
	ids := make([]int64, len(rs))
	for i, r := range rs {
		if err := insertArgs(ctx, st, r).Scan(&ids[i]); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.logq.commits.Add(1)
	for i, r := range rs {
		r.q.ID = ids[i]
	}
	return nil
}

func insertArgs(ctx context.Context, ins *sql.Stmt, r *logReq) *sql.Row {
	q := r.q
	return ins.QueryRowContext(ctx, ms(q.Time), q.Source, q.Query, r.results, q.Hits, q.Answerable, q.Latency.Microseconds(),
		q.Role, q.UserID, q.Field, q.Department)
}
