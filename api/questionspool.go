package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"sotay/handbook"
)

// The question spool (issue 10): a question log entry that the store does
// not take (PostgreSQL or SQLite down, a timeout, a refused connection) is
// not lost. It is appended to <SpoolDir>/questions.jsonl, one JSON object
// a line, and fsynced before the request returns, so a crash loses nothing
// the spool accepted. A goroutine started by Serve writes the spooled
// entries to the store in order, retrying with backoff (1s doubling to 30s)
// and at once when a direct write shows the store is back; at start-up it
// replays what a previous run left, and at shutdown it tries once more.
//
// Written entries are not cut out of the file one by one: that would
// rewrite it for every entry. Instead questions.offset records the byte
// offset of the first entry not yet written, overwritten in place and
// fsynced after each written entry; when every entry is written the file is
// truncated. So a crash during a replay writes again at most the one entry
// whose store write had finished but whose offset had not been saved: at
// least once, with at most one duplicate. The truncation comes before the
// offset reset, so a crash between the two leaves an offset beyond the end
// of an empty file, which Open recognises; the other order would replay the
// whole file.
//
// Without a SpoolDir, or when the disk fails or the file reaches its cap,
// entries wait in memory (at most maxSpoolMemory; more are dropped and
// counted) and are lost on exit. Entries in memory are always newer than
// those in the file (the file takes entries only while memory is empty), so
// replaying the file first keeps the order.
//
// The entries hold what Hotline.Log stores, after it masked personal data
// (it masks before calling the store, so the entry of a failed write is
// already masked); the spool masks again in case that ever changes. The
// file is 0600 and holds no more than the store does.

const (
	spoolFileName   = "questions.jsonl"
	spoolOffsetName = "questions.offset"
	// maxSpoolBytes caps the spool file. An entry is a few hundred bytes,
	// so that is over 100,000 questions: days of an outage.
	maxSpoolBytes = 50 << 20
	// maxSpoolMemory bounds the entries kept in memory.
	maxSpoolMemory = 10000
	// questionWriteTimeout bounds one store write of a log entry.
	questionWriteTimeout = 5 * time.Second
	spoolMinBackoff      = time.Second
	spoolMaxBackoff      = 30 * time.Second
	// spoolShutdownTimeout bounds the last replay at shutdown.
	spoolShutdownTimeout = 10 * time.Second
)

// questionSpool is the queue of entries waiting for the store. Only the
// replayer (questionLog.replay, serialised by its mutex) calls next and
// advance; add may run at any time.
type questionSpool struct {
	dir      string // "" keeps entries in memory only
	log      *slog.Logger
	maxBytes int64
	maxMem   int
	added    chan struct{} // signalled when an entry is spooled

	mu       sync.Mutex
	opened   bool
	f        *os.File // the spool file, O_APPEND; nil without one
	off      *os.File // the offset file
	writable bool     // false once an append or an offset save failed
	size     int64    // bytes in f
	head     int64    // offset in f of the first entry not yet written
	fileN    int      // entries in f from head on
	inflight int64    // length of the file entry next returned, 0 for memory
	fileFull bool     // the file cap was reported
	mem      []handbook.Question
	dropped  int // entries dropped since the spool was last empty
}

func newQuestionSpool(dir string, log *slog.Logger) *questionSpool {
	return &questionSpool{dir: dir, log: log, maxBytes: maxSpoolBytes, maxMem: maxSpoolMemory, added: make(chan struct{}, 1)}
}

// open opens the spool file if it is not open and returns the number of
// entries waiting.
func (sp *questionSpool) open() int {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.openLocked()
	return sp.fileN + len(sp.mem)
}

func (sp *questionSpool) openLocked() {
	if sp.opened {
		return
	}
	sp.opened = true
	if sp.dir == "" {
		return
	}
	if err := sp.openFiles(); err != nil {
		sp.log.Error("open question spool, keeping entries in memory", "dir", sp.dir, "err", err)
		sp.closeFiles()
	}
}

// openFiles opens the spool and offset files and repairs what a crash
// left: a torn last line (its write never returned, so nobody was told it
// was kept) and an offset beyond the end (see the top of the file).
func (sp *questionSpool) openFiles() error {
	if err := os.MkdirAll(sp.dir, 0o700); err != nil {
		return fmt.Errorf("create spool directory: %w", err)
	}
	name := filepath.Join(sp.dir, spoolFileName)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open question spool: %w", err)
	}
	sp.f = f
	off, err := os.OpenFile(filepath.Join(sp.dir, spoolOffsetName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open question spool offset: %w", err)
	}
	sp.off = off
	if err := syncDir(sp.dir); err != nil {
		return err
	}
	b, err := io.ReadAll(io.NewSectionReader(off, 0, 64))
	if err != nil {
		return fmt.Errorf("read question spool offset: %w", err)
	}
	head := int64(0)
	if s := strings.TrimSpace(string(b)); s != "" {
		if head, err = strconv.ParseInt(s, 10, 64); err != nil || head < 0 {
			sp.log.Warn("unreadable question spool offset, replaying the whole spool", "file", off.Name())
			head = 0
		}
	}
	var pos int64
	total, fromHead := 0, 0
	br := bufio.NewReader(io.NewSectionReader(f, 0, 1<<62))
	for {
		line, err := br.ReadBytes('\n')
		if err == nil {
			end := pos + int64(len(line))
			if pos < head && head < end {
				// The offset points inside an entry: replay that entry
				// rather than risk losing it.
				sp.log.Warn("question spool offset inside an entry, replaying from the entry", "offset", head, "entry", pos)
				head = pos
			}
			total++
			if pos >= head {
				fromHead++
			}
			pos = end
			continue
		}
		if !errors.Is(err, io.EOF) {
			return fmt.Errorf("read question spool: %w", err)
		}
		if len(line) > 0 {
			if err := f.Truncate(pos); err != nil {
				return fmt.Errorf("cut torn entry from question spool: %w", err)
			}
			if err := f.Sync(); err != nil {
				return fmt.Errorf("sync question spool: %w", err)
			}
			sp.log.Warn("cut a torn entry from the question spool (a crash during its write)", "bytes", len(line))
		}
		break
	}
	if head > pos {
		if pos > 0 {
			sp.log.Warn("question spool offset beyond the end, replaying the whole spool", "offset", head, "size", pos)
		}
		head, fromHead = 0, total
	}
	sp.size, sp.head, sp.fileN, sp.writable = pos, head, fromHead, true
	return nil
}

func (sp *questionSpool) closeFiles() {
	if sp.f != nil {
		sp.f.Close()
	}
	if sp.off != nil {
		sp.off.Close()
	}
	sp.f, sp.off, sp.writable = nil, nil, false
	sp.size, sp.head, sp.fileN = 0, 0, 0
}

// add spools q and returns the number of entries waiting and where q went
// ("file", "memory" or "dropped").
func (sp *questionSpool) add(q handbook.Question) (int, string) {
	q.ID = 0
	q.Query = handbook.MaskPII(handbook.NormalizeLine(q.Query))
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.openLocked()
	where := sp.addLocked(q)
	if where != "dropped" {
		select {
		case sp.added <- struct{}{}:
		default:
		}
	}
	return sp.fileN + len(sp.mem), where
}

func (sp *questionSpool) addLocked(q handbook.Question) string {
	if sp.f != nil && sp.writable && len(sp.mem) == 0 {
		line, err := json.Marshal(q)
		if err != nil {
			sp.log.Error("encode question log entry", "err", err)
			return "dropped"
		}
		line = append(line, '\n')
		if sp.size+int64(len(line)) <= sp.maxBytes {
			err := sp.append(line)
			if err == nil {
				return "file"
			}
			sp.log.Error("write question spool, keeping entries in memory until restart", "file", sp.f.Name(), "err", err)
			sp.writable = false
		} else if !sp.fileFull {
			sp.fileFull = true
			sp.log.Error("question spool file full, keeping new entries in memory", "file", sp.f.Name(),
				"size_bytes", sp.size, "limit_bytes", sp.maxBytes, "entries", sp.fileN)
		}
	}
	if len(sp.mem) >= sp.maxMem {
		sp.dropped++
		if sp.dropped == 1 {
			sp.log.Warn("question spool full, dropping question log entries", "memory_limit", sp.maxMem,
				"file_limit_bytes", sp.maxBytes, "spooled", sp.fileN+len(sp.mem))
		}
		return "dropped"
	}
	sp.mem = append(sp.mem, q)
	return "memory"
}

// append writes one line and fsyncs it; on failure it cuts the file back.
func (sp *questionSpool) append(line []byte) error {
	if _, err := sp.f.Write(line); err != nil {
		sp.f.Truncate(sp.size) // best effort: a torn line is also cut at the next start
		return err
	}
	if err := sp.f.Sync(); err != nil {
		return err
	}
	sp.size += int64(len(line))
	sp.fileN++
	return nil
}

// len returns the number of entries waiting.
func (sp *questionSpool) len() int {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.fileN + len(sp.mem)
}

// next returns the oldest waiting entry. Unreadable lines in the file are
// skipped (and reported).
func (sp *questionSpool) next() (handbook.Question, bool) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for sp.f != nil && sp.head < sp.size {
		line, err := bufio.NewReader(io.NewSectionReader(sp.f, sp.head, sp.size-sp.head)).ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			sp.log.Error("read question spool", "err", err)
			return handbook.Question{}, false
		}
		sp.inflight = int64(len(line))
		var q handbook.Question
		if err := json.Unmarshal(line, &q); err != nil {
			sp.log.Warn("skip unreadable question spool entry", "offset", sp.head, "err", err)
			sp.advanceLocked()
			continue
		}
		return q, true
	}
	sp.inflight = 0
	if len(sp.mem) > 0 {
		return sp.mem[0], true
	}
	return handbook.Question{}, false
}

// advance removes the entry next returned.
func (sp *questionSpool) advance() {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.advanceLocked()
}

func (sp *questionSpool) advanceLocked() {
	if sp.inflight == 0 {
		if len(sp.mem) > 0 {
			sp.mem[0] = handbook.Question{}
			sp.mem = sp.mem[1:]
		}
	} else {
		sp.head += sp.inflight
		sp.fileN--
		sp.inflight = 0
		if err := sp.saveHead(); err != nil {
			sp.log.Error("save question spool offset, keeping new entries in memory until restart", "err", err)
			sp.writable = false
		}
	}
	if sp.fileN+len(sp.mem) == 0 && sp.dropped > 0 {
		sp.log.Warn("question log entries dropped while the spool was full", "dropped", sp.dropped)
		sp.dropped = 0
	}
}

// saveHead records the offset of the first entry not yet written, and
// truncates the file once every entry is written.
func (sp *questionSpool) saveHead() error {
	if sp.head >= sp.size && sp.writable {
		if err := sp.f.Truncate(0); err != nil {
			return fmt.Errorf("truncate question spool: %w", err)
		}
		if err := sp.f.Sync(); err != nil {
			return fmt.Errorf("sync question spool: %w", err)
		}
		sp.size, sp.head, sp.fileFull = 0, 0, false
	}
	// 20 digits, so that every save overwrites the whole previous value.
	if _, err := sp.off.WriteAt(fmt.Appendf(nil, "%020d\n", sp.head), 0); err != nil {
		return fmt.Errorf("write question spool offset: %w", err)
	}
	if err := sp.off.Sync(); err != nil {
		return fmt.Errorf("sync question spool offset: %w", err)
	}
	return nil
}

// close closes the files (a later add opens them again) and reports what
// is lost with the process: entries in memory and drops.
func (sp *questionSpool) close() {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.fileN > 0 {
		sp.log.Info("question log entries left in the spool for the next start", "entries", sp.fileN, "file", sp.f.Name())
	}
	if len(sp.mem) > 0 {
		sp.log.Warn("question log entries lost at shutdown (kept in memory only)", "entries", len(sp.mem), "spool_dir", sp.dir)
	}
	if sp.dropped > 0 {
		sp.log.Warn("question log entries dropped while the spool was full", "dropped", sp.dropped)
		sp.dropped = 0
	}
	sp.closeFiles()
	sp.opened = false
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open spool directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync spool directory: %w", err)
	}
	return nil
}

// run replays the spool until ctx is done: at once when a previous run
// left entries (left > 0), then, after an entry is spooled, with backoff
// from spoolMinBackoff doubling to spoolMaxBackoff while the store keeps
// failing, and at once when a direct write shows that the store is back.
func (l *questionLog) run(ctx context.Context, left int) {
	backoff, wait := spoolMinBackoff, spoolMinBackoff
	if left > 0 {
		wait = 0
	}
	for ctx.Err() == nil {
		if l.spool.len() == 0 {
			backoff, wait = spoolMinBackoff, spoolMinBackoff
			select {
			case <-ctx.Done():
				return
			case <-l.spool.added:
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-l.retry:
			t.Stop()
		}
		if err := l.replay(ctx); err != nil {
			backoff = min(2*backoff, spoolMaxBackoff)
			wait = backoff
		} else {
			wait = 0 // entries spooled during the replay
		}
	}
}

var errSpoolUnreadable = errors.New("question spool unreadable")

// replay writes spooled entries to the store in order until the spool is
// empty, a write fails or ctx is done.
func (l *questionLog) replay(ctx context.Context) error {
	l.replayMu.Lock()
	defer l.replayMu.Unlock()
	written, dropped := 0, 0
	defer func() {
		if written > 0 || dropped > 0 {
			l.s.log.Info("question spool replayed", "written", written, "dropped_invalid", dropped, "left", l.spool.len())
		}
	}()
	for ctx.Err() == nil {
		q, ok := l.spool.next()
		if !ok {
			if l.spool.len() > 0 {
				return errSpoolUnreadable // reported by next; retried with backoff
			}
			return nil
		}
		// Shutdown does not cut a write short: a cut write may have been
		// stored and would then be written again.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), questionWriteTimeout)
		err := l.s.hotline.Log(wctx, &q)
		cancel()
		switch {
		case err == nil:
			written++
		case handbook.ErrorCode(err) == handbook.Invalid:
			// It would never be taken; keeping it would block the rest.
			l.s.log.Warn("drop invalid spooled question log entry", "err", err)
			dropped++
		default:
			l.s.log.Warn("replay question spool", "err", err, "written", written, "left", l.spool.len())
			return err
		}
		l.spool.advance()
	}
	return ctx.Err()
}
