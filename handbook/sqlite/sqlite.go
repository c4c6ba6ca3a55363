// Package sqlite is the default handbook.Store: one SQLite file in the data
// directory, through the pure-Go modernc.org/sqlite driver (no cgo, so the
// binary still cross-compiles for the commune PC). The database runs in WAL
// mode so that searches logging questions do not block page views, with a
// busy timeout instead of "database is locked" errors, and write
// transactions that take the lock up front (_txlock=immediate).
//
// Migrations are embedded SQL files applied in order at Open, one
// transaction each, and recorded in schema_migrations. It imports handbook
// and modernc.org/sqlite only.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"sotay/handbook"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a handbook.Store on SQLite.
type Store struct {
	db *sql.DB
	// logStmt is LogQuestion's insert, prepared once: every search logs
	// a question, and parsing the statement each time was a third of the
	// insert's CPU (2.5% of a loaded server's).
	logStmt struct {
		sync.Mutex
		*sql.Stmt
	}
	logq logQueue // LogQuestion's write-behind transaction (questionlog.go)
	// Now is the store's clock: it stamps records and decides which
	// sessions have expired. Tests set it.
	Now func() time.Time
}

var _ handbook.Store = (*Store)(nil)

// Open opens (creating when absent) the database at path and applies the
// pending migrations.
func Open(ctx context.Context, path string) (*Store, error) { return open(ctx, path, migrations) }

// open opens the database with the migrations in fsys (migrations/*.sql);
// tests pass older sets to check upgrades.
func open(ctx context.Context, path string, fsys fs.FS) (*Store, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	s := &Store{db: db, Now: time.Now}
	s.logq.delay = logCommitDelay
	if err := s.migrate(ctx, fsys); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate sqlite %s: %w", path, err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'question_ids'`).Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	s.logq.shared = n == 1
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.closeLog() // the entries logged so far are committed
	s.logStmt.Lock()
	defer s.logStmt.Unlock()
	if s.logStmt.Stmt != nil {
		s.logStmt.Stmt.Close()
	}
	return s.db.Close()
}

func (s *Store) now() time.Time { return s.Now().UTC() }

// migrate applies the migrations in fsys that schema_migrations does not
// list yet, in name order, one transaction each. A database that lists a
// migration fsys does not have was upgraded by a newer handbook: it is
// refused rather than used with a schema this binary does not know.
func (s *Store) migrate(ctx context.Context, fsys fs.FS) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	applied, err := s.Migrations(ctx)
	if err != nil {
		return fmt.Errorf("list applied migrations: %w", err)
	}
	if err := handbook.CheckMigrations(applied, names); err != nil {
		return err
	}
	for _, name := range names {
		if err := s.migrateFile(ctx, fsys, name); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) migrateFile(ctx context.Context, fsys fs.FS, name string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	base := path.Base(name)
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, base).Scan(&n); err != nil {
		return fmt.Errorf("check migration %s: %w", base, err)
	}
	if n > 0 {
		return nil
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(b)); err != nil {
		return fmt.Errorf("apply migration %s: %w", base, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied) VALUES (?, ?)`, base, ms(s.now())); err != nil {
		return fmt.Errorf("record migration %s: %w", base, err)
	}
	return tx.Commit()
}

// Migrations lists the applied migrations, for tests and `handbook config`.
func (s *Store) Migrations(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func dateText(d handbook.Date) string { return d.String() }

func parseDate(s string) handbook.Date {
	d, _ := handbook.ParseDate(s) // written by dateText; "" is unset
	return d
}

// mapErr wraps err with what was attempted, keeping the handbook sentinels:
// no rows is not found, a unique violation a conflict, a missing parent row
// (foreign key) not found.
func mapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, handbook.ErrNotFound)
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%s: %w (%w)", what, handbook.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%s: %w (%w)", what, handbook.ErrNotFound, err)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Users.

const userCols = `id, username, name, role, department, password_hash, disabled, created`

func scanUser(sc interface{ Scan(...any) error }) (*handbook.User, error) {
	var u handbook.User
	var created int64
	if err := sc.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.Department, &u.PasswordHash, &u.Disabled, &created); err != nil {
		return nil, err
	}
	u.Created = fromMS(created)
	return &u, nil
}

func (s *Store) CreateUser(ctx context.Context, u *handbook.User) error {
	if u.Created.IsZero() {
		u.Created = s.now()
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO users (username, name, role, department, password_hash, disabled, created)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		handbook.NormalizeUsername(u.Username), u.Name, u.Role, u.Department, u.PasswordHash, u.Disabled, ms(u.Created)).Scan(&u.ID)
	return mapErr("create user", err)
}

func (s *Store) User(ctx context.Context, id int64) (*handbook.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, mapErr(fmt.Sprintf("user %d", id), err)
}

func (s *Store) UserByName(ctx context.Context, username string) (*handbook.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, handbook.NormalizeUsername(username)))
	return u, mapErr(fmt.Sprintf("user %q", username), err)
}

func (s *Store) UpdateUser(ctx context.Context, u *handbook.User) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET name = ?, role = ?, department = ?, password_hash = ?, disabled = ? WHERE id = ?`,
		u.Name, u.Role, u.Department, u.PasswordHash, u.Disabled, u.ID)
	if err != nil {
		return mapErr("update user", err)
	}
	return affected(res, fmt.Sprintf("update user %d", u.ID))
}

func affected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, handbook.ErrNotFound)
	}
	return nil
}

func (s *Store) Users(ctx context.Context) ([]*handbook.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, mapErr("list users", err)
	}
	defer rows.Close()
	var out []*handbook.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, mapErr("list users", err)
		}
		out = append(out, u)
	}
	return out, mapErr("list users", rows.Err())
}

// Sessions.

func (s *Store) CreateSession(ctx context.Context, sess *handbook.Session) error {
	now := s.now()
	if sess.Created.IsZero() {
		sess.Created = now
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr("create session", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires <= ?`, ms(now)); err != nil {
		return mapErr("prune sessions", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, created, expires) VALUES (?, ?, ?, ?)`,
		sess.Hash, sess.UserID, ms(sess.Created), ms(sess.Expires)); err != nil {
		return mapErr("create session", err)
	}
	return mapErr("create session", tx.Commit())
}

func (s *Store) SessionUser(ctx context.Context, hash string) (*handbook.User, *handbook.Session, error) {
	row := s.db.QueryRowContext(ctx, `SELECT u.id, u.username, u.name, u.role, u.department, u.password_hash, u.disabled, u.created,
			s.created, s.expires
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.hash = ? AND s.expires > ? AND u.disabled = 0`, hash, ms(s.now()))
	var u handbook.User
	var created, sCreated, sExpires int64
	err := row.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.Department, &u.PasswordHash, &u.Disabled, &created, &sCreated, &sExpires)
	if err != nil {
		return nil, nil, mapErr("session", err)
	}
	u.Created = fromMS(created)
	return &u, &handbook.Session{Hash: hash, UserID: u.ID, Created: fromMS(sCreated), Expires: fromMS(sExpires)}, nil
}

func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash)
	return mapErr("delete session", err)
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return mapErr("delete sessions", err)
}

// API tokens.

func (s *Store) CreateToken(ctx context.Context, t *handbook.APIToken) error {
	if t.Created.IsZero() {
		t.Created = s.now()
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, hash, created) VALUES (?, ?, ?, ?) RETURNING id`,
		t.UserID, t.Name, t.Hash, ms(t.Created)).Scan(&t.ID)
	return mapErr("create token", err)
}

func (s *Store) TokenUser(ctx context.Context, hash string) (*handbook.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT u.id, u.username, u.name, u.role, u.department, u.password_hash, u.disabled, u.created
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND u.disabled = 0`, hash))
	return u, mapErr("token", err)
}

func (s *Store) Tokens(ctx context.Context, userID int64) ([]*handbook.APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_id, name, hash, created FROM api_tokens WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, mapErr("list tokens", err)
	}
	defer rows.Close()
	var out []*handbook.APIToken
	for rows.Next() {
		var t handbook.APIToken
		var created int64
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &created); err != nil {
			return nil, mapErr("list tokens", err)
		}
		t.Created = fromMS(created)
		out = append(out, &t)
	}
	return out, mapErr("list tokens", rows.Err())
}

func (s *Store) DeleteToken(ctx context.Context, userID, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = ? AND id = ?`, userID, id)
	if err != nil {
		return mapErr("delete token", err)
	}
	return affected(res, fmt.Sprintf("delete token %d", id))
}

// Login failures (api/auth.go, the login limiter).

func (s *Store) AddLoginFailure(ctx context.Context, key string, at time.Time, window time.Duration) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, mapErr("count login failure", err)
	}
	defer tx.Rollback()
	now, win := ms(at.UTC()), window.Milliseconds()
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE last <= ?`, now-win); err != nil {
		return 0, mapErr("prune login failures", err)
	}
	var n int
	err = tx.QueryRowContext(ctx, `INSERT INTO login_failures (key, n, last) VALUES (?, 1, ?)
		ON CONFLICT (key) DO UPDATE SET n = CASE WHEN excluded.last - login_failures.last >= ? THEN 1 ELSE login_failures.n + 1 END,
		last = excluded.last RETURNING n`, key, now, win).Scan(&n)
	if err != nil {
		return 0, mapErr("count login failure", err)
	}
	return n, mapErr("count login failure", tx.Commit())
}

func (s *Store) LoginFailures(ctx context.Context, key string) (int, time.Time, error) {
	var n int
	var last int64
	err := s.db.QueryRowContext(ctx, `SELECT n, last FROM login_failures WHERE key = ?`, key).Scan(&n, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, mapErr("read login failures", err)
	}
	return n, fromMS(last), nil
}

func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, key)
	return mapErr("clear login failures", err)
}

// Question log and feedback.

// insertQuestion returns the prepared insert of LogQuestion, preparing it
// on first use (not at open: a database being migrated from an older
// schema has not got every column yet).
func (s *Store) insertQuestion(ctx context.Context) (*sql.Stmt, error) {
	s.logStmt.Lock()
	defer s.logStmt.Unlock()
	if s.logStmt.Stmt == nil {
		st, err := s.db.PrepareContext(ctx, `INSERT INTO questions (id, time, source, query, results, hits, answerable, latency_us, role, user_id, field, department)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return nil, err
		}
		s.logStmt.Stmt = st
	}
	return s.logStmt.Stmt, nil
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

const questionCols = `id, time, source, query, results, hits, answerable, latency_us, role, user_id, field, department`

func scanQuestion(sc interface{ Scan(...any) error }) (*handbook.Question, error) {
	var q handbook.Question
	var t, lat int64
	var results string
	if err := sc.Scan(&q.ID, &t, &q.Source, &q.Query, &results, &q.Hits, &q.Answerable, &lat, &q.Role, &q.UserID, &q.Field, &q.Department); err != nil {
		return nil, err
	}
	q.Time, q.Latency = fromMS(t), time.Duration(lat)*time.Microsecond
	if err := json.Unmarshal([]byte(results), &q.Results); err != nil {
		return nil, fmt.Errorf("question %d results: %w", q.ID, err)
	}
	return &q, nil
}

func (s *Store) Question(ctx context.Context, id int64) (*handbook.Question, error) {
	s.syncLog()
	q, err := scanQuestion(s.db.QueryRowContext(ctx, `SELECT `+questionCols+` FROM questions WHERE id = ?`, id))
	return q, mapErr(fmt.Sprintf("question %d", id), err)
}

func (s *Store) Questions(ctx context.Context, from, to time.Time, fn func(*handbook.Question) error) error {
	s.syncLog()
	rows, err := s.db.QueryContext(ctx, `SELECT `+questionCols+` FROM questions WHERE time >= ? AND time < ? ORDER BY time, id`, ms(from), ms(to))
	if err != nil {
		return mapErr("read questions", err)
	}
	defer rows.Close()
	for rows.Next() {
		q, err := scanQuestion(rows)
		if err != nil {
			return mapErr("read questions", err)
		}
		if err := fn(q); err != nil {
			return err
		}
	}
	return mapErr("read questions", rows.Err())
}

func (s *Store) AddFeedback(ctx context.Context, f *handbook.Feedback) error {
	s.syncLog() // the question it is about
	if f.Time.IsZero() {
		f.Time = s.now()
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO feedback (question_id, useful, comment, role, user_id, time) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		f.QuestionID, f.Useful, f.Comment, f.Role, f.UserID, ms(f.Time)).Scan(&f.ID)
	return mapErr("add feedback", err)
}

func (s *Store) Feedback(ctx context.Context, from, to time.Time) ([]*handbook.Feedback, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, question_id, useful, comment, role, user_id, time FROM feedback
		WHERE time >= ? AND time < ? ORDER BY time, id`, ms(from), ms(to))
	if err != nil {
		return nil, mapErr("read feedback", err)
	}
	defer rows.Close()
	var out []*handbook.Feedback
	for rows.Next() {
		var f handbook.Feedback
		var t int64
		if err := rows.Scan(&f.ID, &f.QuestionID, &f.Useful, &f.Comment, &f.Role, &f.UserID, &t); err != nil {
			return nil, mapErr("read feedback", err)
		}
		f.Time = fromMS(t)
		out = append(out, &f)
	}
	return out, mapErr("read feedback", rows.Err())
}

// Tickets.

const ticketCols = `id, question_id, question, note, status, department, field, assignee_id, assignee, due,
	answer, citations, answered_by, faq, created_by, created, updated, version`

func scanTicket(sc interface{ Scan(...any) error }) (*handbook.Ticket, error) {
	var t handbook.Ticket
	var due, cites string
	var created, updated int64
	if err := sc.Scan(&t.ID, &t.QuestionID, &t.Question, &t.Note, &t.Status, &t.Department, &t.Field, &t.AssigneeID, &t.Assignee, &due,
		&t.Answer, &cites, &t.AnsweredBy, &t.FAQ, &t.CreatedBy, &created, &updated, &t.Version); err != nil {
		return nil, err
	}
	t.Due, t.Created, t.Updated = parseDate(due), fromMS(created), fromMS(updated)
	if err := json.Unmarshal([]byte(cites), &t.Citations); err != nil {
		return nil, fmt.Errorf("ticket %d citations: %w", t.ID, err)
	}
	if len(t.Citations) == 0 {
		t.Citations = nil
	}
	return &t, nil
}

func citationsJSON(refs []handbook.Reference) (string, error) {
	if refs == nil {
		refs = []handbook.Reference{}
	}
	b, err := json.Marshal(refs)
	return string(b), err
}

func (s *Store) CreateTicket(ctx context.Context, t *handbook.Ticket) error {
	now := s.now()
	if t.Created.IsZero() {
		t.Created = now
	}
	t.Updated, t.Version = t.Created, 1
	cites, err := citationsJSON(t.Citations)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr("create ticket", err)
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `INSERT INTO tickets (question_id, question, note, status, department, field, assignee_id, assignee, due,
			answer, citations, answered_by, faq, created_by, created, updated, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.QuestionID, t.Question, t.Note, t.Status, t.Department, t.Field, t.AssigneeID, t.Assignee, dateText(t.Due),
		t.Answer, cites, t.AnsweredBy, t.FAQ, t.CreatedBy, ms(t.Created), ms(t.Updated), t.Version).Scan(&t.ID)
	if err != nil {
		return mapErr("create ticket", err)
	}
	for i := range t.History {
		if err := addEvent(ctx, tx, t.ID, &t.History[i], now); err != nil {
			return err
		}
	}
	return mapErr("create ticket", tx.Commit())
}

func addEvent(ctx context.Context, tx *sql.Tx, id int64, e *handbook.TicketEvent, now time.Time) error {
	if e.Time.IsZero() {
		e.Time = now
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO ticket_events (ticket_id, time, actor, action, note) VALUES (?, ?, ?, ?, ?)`,
		id, ms(e.Time), e.Actor, e.Action, e.Note)
	return mapErr("add ticket event", err)
}

func (s *Store) Ticket(ctx context.Context, id int64) (*handbook.Ticket, error) {
	t, err := scanTicket(s.db.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE id = ?`, id))
	if err != nil {
		return nil, mapErr(fmt.Sprintf("ticket %d", id), err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT time, actor, action, note FROM ticket_events WHERE ticket_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, mapErr("ticket history", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e handbook.TicketEvent
		var tm int64
		if err := rows.Scan(&tm, &e.Actor, &e.Action, &e.Note); err != nil {
			return nil, mapErr("ticket history", err)
		}
		e.Time = fromMS(tm)
		t.History = append(t.History, e)
	}
	return t, mapErr("ticket history", rows.Err())
}

func (s *Store) Tickets(ctx context.Context, f handbook.TicketFilter) ([]*handbook.Ticket, error) {
	var where []string
	var args []any
	if len(f.Status) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(f.Status)-1)+")")
		for _, st := range f.Status {
			args = append(args, st)
		}
	}
	if f.Department != "" {
		where = append(where, "department = ?")
		args = append(args, f.Department)
	}
	if f.AssigneeID != 0 {
		where = append(where, "assignee_id = ?")
		args = append(args, f.AssigneeID)
	}
	if f.QuestionID != 0 {
		where = append(where, "question_id = ?")
		args = append(args, f.QuestionID)
	}
	if f.CreatedBy != 0 {
		where = append(where, "created_by = ?")
		args = append(args, f.CreatedBy)
	}
	q := `SELECT ` + ticketCols + ` FROM tickets`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	q += ` ORDER BY CASE status WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END, due = '', due, id LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr("list tickets", err)
	}
	defer rows.Close()
	var out []*handbook.Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, mapErr("list tickets", err)
		}
		out = append(out, t)
	}
	return out, mapErr("list tickets", rows.Err())
}

func (s *Store) UpdateTicket(ctx context.Context, t *handbook.Ticket, e handbook.TicketEvent) error {
	now := s.now()
	cites, err := citationsJSON(t.Citations)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr("update ticket", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE tickets SET note = ?, status = ?, department = ?, field = ?, assignee_id = ?, assignee = ?,
			due = ?, answer = ?, citations = ?, answered_by = ?, faq = ?, updated = ?, version = version + 1
		WHERE id = ? AND version = ?`,
		t.Note, t.Status, t.Department, t.Field, t.AssigneeID, t.Assignee, dateText(t.Due), t.Answer, cites, t.AnsweredBy, t.FAQ,
		ms(now), t.ID, t.Version)
	if err != nil {
		return mapErr("update ticket", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return mapErr("update ticket", err)
	} else if n == 0 {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tickets WHERE id = ?`, t.ID).Scan(&exists); err != nil {
			return mapErr("update ticket", err)
		}
		if exists == 0 {
			return fmt.Errorf("update ticket %d: %w", t.ID, handbook.ErrNotFound)
		}
		return fmt.Errorf("update ticket %d version %d: %w", t.ID, t.Version, handbook.ErrConflict)
	}
	if err := addEvent(ctx, tx, t.ID, &e, now); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr("update ticket", err)
	}
	t.Version++
	t.Updated = fromMS(ms(now))
	t.History = append(t.History, e)
	return nil
}

// Promotions.

func (s *Store) AddPromotion(ctx context.Context, p *handbook.Promotion) error {
	if p.Created.IsZero() {
		p.Created = s.now()
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO promotions (ticket_id, doc_id, editor_id, reviewer, reviewed, expires, created)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.TicketID, p.DocID, p.EditorID, p.Reviewer, dateText(p.Reviewed), dateText(p.Expires), ms(p.Created)).Scan(&p.ID)
	return mapErr("add promotion", err)
}

func (s *Store) Promotions(ctx context.Context) ([]*handbook.Promotion, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, ticket_id, doc_id, editor_id, reviewer, reviewed, expires, created FROM promotions ORDER BY id`)
	if err != nil {
		return nil, mapErr("list promotions", err)
	}
	defer rows.Close()
	var out []*handbook.Promotion
	for rows.Next() {
		var p handbook.Promotion
		var reviewed, expires string
		var created int64
		if err := rows.Scan(&p.ID, &p.TicketID, &p.DocID, &p.EditorID, &p.Reviewer, &reviewed, &expires, &created); err != nil {
			return nil, mapErr("list promotions", err)
		}
		p.Reviewed, p.Expires, p.Created = parseDate(reviewed), parseDate(expires), fromMS(created)
		out = append(out, &p)
	}
	return out, mapErr("list promotions", rows.Err())
}

// Drafts.

var _ handbook.DraftStore = (*Store)(nil)

func (s *Store) PutDraft(ctx context.Context, d *handbook.StoredDraft) error {
	now := s.now()
	if d.Created.IsZero() {
		d.Created = now
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr("put draft", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM drafts WHERE expires <= ?`, ms(now)); err != nil {
		return mapErr("prune drafts", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO drafts (id, draft, request, created, expires) VALUES (?, ?, ?, ?, ?)`,
		d.ID, string(d.Draft), string(d.Request), ms(d.Created), ms(d.Expires)); err != nil {
		return mapErr("put draft", err)
	}
	return mapErr("put draft", tx.Commit())
}

func (s *Store) StoredDraft(ctx context.Context, id string) (*handbook.StoredDraft, error) {
	d := handbook.StoredDraft{ID: id}
	var draft, req string
	var created, expires int64
	err := s.db.QueryRowContext(ctx, `SELECT draft, request, created, expires FROM drafts WHERE id = ? AND expires > ?`,
		id, ms(s.now())).Scan(&draft, &req, &created, &expires)
	if err != nil {
		return nil, mapErr("draft", err)
	}
	d.Draft, d.Request, d.Created, d.Expires = []byte(draft), []byte(req), fromMS(created), fromMS(expires)
	return &d, nil
}
