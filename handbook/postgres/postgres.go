// Package postgres is the handbook.Store on PostgreSQL, for the scaled
// setup where several replicas share accounts, sessions, the question log
// and tickets (DESIGN.md, storage). It keeps the same tables as
// handbook/sqlite in the PostgreSQL dialect.
//
// Migrations are embedded SQL files applied in order at Open, one
// transaction each under an advisory lock (replicas may start together),
// and recorded in schema_migrations. It imports handbook and pgx only.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"sotay/handbook"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that serialises migrations
// between replicas ("handbook" in ASCII, as a number).
const migrationLock = 0x68616e64626f6f6b

// Store is a handbook.Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	// Now is the store's clock: it stamps records and decides which
	// sessions have expired. Tests set it.
	Now func() time.Time
}

var _ handbook.Store = (*Store)(nil)

// Open connects to the database at url (a PostgreSQL URL or DSN) and
// applies the pending migrations.
func Open(ctx context.Context, url string) (*Store, error) { return open(ctx, url, migrations) }

// open connects with the migrations in fsys (migrations/*.sql); tests pass
// older sets to check upgrades.
func open(ctx context.Context, url string, fsys fs.FS) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	s := &Store{pool: pool, Now: time.Now}
	if err := s.migrate(ctx, fsys); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate postgres: %w", mapErr("migrate", err))
	}
	return s, nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// now is the clock at the precision every backend keeps (milliseconds).
func (s *Store) now() time.Time { return ts(s.Now()) }

func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// migrate applies the migrations in fsys that schema_migrations does not
// list yet; a database that lists one fsys does not have was upgraded by a
// newer handbook and is refused.
func (s *Store) migrate(ctx context.Context, fsys fs.FS) error {
	// indexer/pgvector keeps its migrations in the same table, named
	// "pgvector/<file>" and timed in its own applied_at column: whichever
	// package creates the table, both record a migration by name alone and
	// let the time column default, and each lists only its own names.
	if _, err := s.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name text PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		var pe *pgconn.PgError
		// Two replicas creating the table at once: one loses, harmlessly.
		if !errors.As(err, &pe) || pe.Code != "23505" {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
	}
	// Tables made by earlier releases have no default on applied.
	if _, err := s.pool.Exec(ctx, `DO $$ BEGIN
		IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('schema_migrations')
		           AND attname = 'applied' AND NOT attisdropped AND NOT atthasdef) THEN
			ALTER TABLE schema_migrations ALTER COLUMN applied SET DEFAULT now();
		END IF;
	END $$`); err != nil {
		return fmt.Errorf("set default of schema_migrations.applied: %w", err)
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
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(`+strconv.FormatInt(migrationLock, 10)+`)`); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	base := path.Base(name)
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, base).Scan(&n); err != nil {
		return fmt.Errorf("check migration %s: %w", base, err)
	}
	if n > 0 {
		return nil
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, string(b)); err != nil { // no arguments: simple protocol, several statements
		return fmt.Errorf("apply migration %s: %w", base, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name) VALUES ($1)`, base); err != nil {
		return fmt.Errorf("record migration %s: %w", base, err)
	}
	return tx.Commit(ctx)
}

// Migrations lists the applied migrations of this store (not those other
// packages record in the same table, whose names hold a "/").
func (s *Store) Migrations(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT name FROM schema_migrations WHERE strpos(name, '/') = 0 ORDER BY name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// mapErr wraps err with what was attempted, keeping the handbook sentinels:
// no rows and a missing parent row are not found, a unique violation is a
// conflict, a failed connection is unavailable.
func mapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, handbook.ErrNotFound)
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch pe.Code {
		case "23505":
			return fmt.Errorf("%s: %w (%w)", what, handbook.ErrConflict, err)
		case "23503":
			return fmt.Errorf("%s: %w (%w)", what, handbook.ErrNotFound, err)
		}
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return fmt.Errorf("%s: %w (%w)", what, handbook.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// date converts a handbook.Date to a nullable SQL date.
func date(d handbook.Date) *time.Time {
	if !d.IsSet() {
		return nil
	}
	return &d.Time
}

func fromDate(t *time.Time) handbook.Date {
	if t == nil {
		return handbook.Date{}
	}
	return handbook.DateOf(*t)
}

// Users.

const userCols = `id, username, name, role, department, password_hash, disabled, created`

func scanUser(row pgx.Row) (*handbook.User, error) {
	var u handbook.User
	if err := row.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.Department, &u.PasswordHash, &u.Disabled, &u.Created); err != nil {
		return nil, err
	}
	u.Created = u.Created.UTC()
	return &u, nil
}

func (s *Store) CreateUser(ctx context.Context, u *handbook.User) error {
	if u.Created.IsZero() {
		u.Created = s.now()
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO users (username, name, role, department, password_hash, disabled, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		handbook.NormalizeUsername(u.Username), u.Name, u.Role, u.Department, u.PasswordHash, u.Disabled, ts(u.Created)).Scan(&u.ID)
	return mapErr("create user", err)
}

func (s *Store) User(ctx context.Context, id int64) (*handbook.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	return u, mapErr(fmt.Sprintf("user %d", id), err)
}

func (s *Store) UserByName(ctx context.Context, username string) (*handbook.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, handbook.NormalizeUsername(username)))
	return u, mapErr(fmt.Sprintf("user %q", username), err)
}

func (s *Store) UpdateUser(ctx context.Context, u *handbook.User) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET name = $1, role = $2, department = $3, password_hash = $4, disabled = $5 WHERE id = $6`,
		u.Name, u.Role, u.Department, u.PasswordHash, u.Disabled, u.ID)
	if err != nil {
		return mapErr("update user", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("update user %d: %w", u.ID, handbook.ErrNotFound)
	}
	return nil
}

func (s *Store) Users(ctx context.Context) ([]*handbook.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, mapErr("list users", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*handbook.User, error) { return scanUser(r) })
	return out, mapErr("list users", err)
}

// Sessions.

func (s *Store) CreateSession(ctx context.Context, sess *handbook.Session) error {
	now := s.now()
	if sess.Created.IsZero() {
		sess.Created = now
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return mapErr("create session", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires <= $1`, now); err != nil {
		return mapErr("prune sessions", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO sessions (hash, user_id, created, expires) VALUES ($1, $2, $3, $4)`,
		sess.Hash, sess.UserID, ts(sess.Created), ts(sess.Expires)); err != nil {
		return mapErr("create session", err)
	}
	return mapErr("create session", tx.Commit(ctx))
}

func (s *Store) SessionUser(ctx context.Context, hash string) (*handbook.User, *handbook.Session, error) {
	var u handbook.User
	sess := handbook.Session{Hash: hash}
	err := s.pool.QueryRow(ctx, `SELECT u.id, u.username, u.name, u.role, u.department, u.password_hash, u.disabled, u.created,
			s.created, s.expires
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.hash = $1 AND s.expires > $2 AND NOT u.disabled`, hash, s.now()).
		Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.Department, &u.PasswordHash, &u.Disabled, &u.Created, &sess.Created, &sess.Expires)
	if err != nil {
		return nil, nil, mapErr("session", err)
	}
	u.Created, sess.Created, sess.Expires, sess.UserID = u.Created.UTC(), sess.Created.UTC(), sess.Expires.UTC(), u.ID
	return &u, &sess, nil
}

func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, hash)
	return mapErr("delete session", err)
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	return mapErr("delete sessions", err)
}

// API tokens.

func (s *Store) CreateToken(ctx context.Context, t *handbook.APIToken) error {
	if t.Created.IsZero() {
		t.Created = s.now()
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, hash, created) VALUES ($1, $2, $3, $4) RETURNING id`,
		t.UserID, t.Name, t.Hash, ts(t.Created)).Scan(&t.ID)
	return mapErr("create token", err)
}

func (s *Store) TokenUser(ctx context.Context, hash string) (*handbook.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT u.id, u.username, u.name, u.role, u.department, u.password_hash, u.disabled, u.created
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1 AND NOT u.disabled`, hash))
	return u, mapErr("token", err)
}

func (s *Store) Tokens(ctx context.Context, userID int64) ([]*handbook.APIToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, user_id, name, hash, created FROM api_tokens WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, mapErr("list tokens", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*handbook.APIToken, error) {
		var t handbook.APIToken
		err := r.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &t.Created)
		t.Created = t.Created.UTC()
		return &t, err
	})
	return out, mapErr("list tokens", err)
}

func (s *Store) DeleteToken(ctx context.Context, userID, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM api_tokens WHERE user_id = $1 AND id = $2`, userID, id)
	if err != nil {
		return mapErr("delete token", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete token %d: %w", id, handbook.ErrNotFound)
	}
	return nil
}

// Login failures (api/auth.go, the login limiter).

func (s *Store) AddLoginFailure(ctx context.Context, key string, at time.Time, window time.Duration) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, mapErr("count login failure", err)
	}
	defer tx.Rollback(ctx)
	now := ts(at)
	if _, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE last <= $1`, now.Add(-window)); err != nil {
		return 0, mapErr("prune login failures", err)
	}
	var n int
	err = tx.QueryRow(ctx, `INSERT INTO login_failures (key, n, last) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET n = CASE WHEN excluded.last - login_failures.last >= $3 THEN 1 ELSE login_failures.n + 1 END,
		last = excluded.last RETURNING n`, key, now, window).Scan(&n)
	if err != nil {
		return 0, mapErr("count login failure", err)
	}
	return n, mapErr("count login failure", tx.Commit(ctx))
}

func (s *Store) LoginFailures(ctx context.Context, key string) (int, time.Time, error) {
	var n int
	var last time.Time
	err := s.pool.QueryRow(ctx, `SELECT n, last FROM login_failures WHERE key = $1`, key).Scan(&n, &last)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, mapErr("read login failures", err)
	}
	return n, last.UTC(), nil
}

func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key)
	return mapErr("clear login failures", err)
}

// Question log and feedback.

func (s *Store) LogQuestion(ctx context.Context, q *handbook.Question) error {
	if q.Time.IsZero() {
		q.Time = s.now()
	}
	results := q.Results
	if results == nil {
		results = []string{}
	}
	b, err := json.Marshal(results)
	if err != nil {
		return err
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO questions (time, source, query, results, hits, answerable, latency_us, role, user_id, field, department)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		ts(q.Time), q.Source, q.Query, string(b), q.Hits, q.Answerable, q.Latency.Microseconds(), q.Role, q.UserID, q.Field, q.Department).Scan(&q.ID)
	return mapErr("log question", err)
}

const questionCols = `id, time, source, query, results, hits, answerable, latency_us, role, user_id, field, department`

func scanQuestion(row pgx.Row) (*handbook.Question, error) {
	var q handbook.Question
	var lat int64
	var results string
	if err := row.Scan(&q.ID, &q.Time, &q.Source, &q.Query, &results, &q.Hits, &q.Answerable, &lat, &q.Role, &q.UserID, &q.Field, &q.Department); err != nil {
		return nil, err
	}
	q.Time, q.Latency = q.Time.UTC(), time.Duration(lat)*time.Microsecond
	if err := json.Unmarshal([]byte(results), &q.Results); err != nil {
		return nil, fmt.Errorf("question %d results: %w", q.ID, err)
	}
	return &q, nil
}

func (s *Store) Question(ctx context.Context, id int64) (*handbook.Question, error) {
	q, err := scanQuestion(s.pool.QueryRow(ctx, `SELECT `+questionCols+` FROM questions WHERE id = $1`, id))
	return q, mapErr(fmt.Sprintf("question %d", id), err)
}

func (s *Store) Questions(ctx context.Context, from, to time.Time, fn func(*handbook.Question) error) error {
	rows, err := s.pool.Query(ctx, `SELECT `+questionCols+` FROM questions WHERE time >= $1 AND time < $2 ORDER BY time, id`, ts(from), ts(to))
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
	if f.Time.IsZero() {
		f.Time = s.now()
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO feedback (question_id, useful, comment, role, user_id, time) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		f.QuestionID, f.Useful, f.Comment, f.Role, f.UserID, ts(f.Time)).Scan(&f.ID)
	return mapErr("add feedback", err)
}

func (s *Store) Feedback(ctx context.Context, from, to time.Time) ([]*handbook.Feedback, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, question_id, useful, comment, role, user_id, time FROM feedback
		WHERE time >= $1 AND time < $2 ORDER BY time, id`, ts(from), ts(to))
	if err != nil {
		return nil, mapErr("read feedback", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*handbook.Feedback, error) {
		var f handbook.Feedback
		err := r.Scan(&f.ID, &f.QuestionID, &f.Useful, &f.Comment, &f.Role, &f.UserID, &f.Time)
		f.Time = f.Time.UTC()
		return &f, err
	})
	return out, mapErr("read feedback", err)
}

// Tickets.

const ticketCols = `id, question_id, question, note, status, department, field, assignee_id, assignee, due,
	answer, citations, answered_by, faq, created_by, created, updated, version`

func scanTicket(row pgx.Row) (*handbook.Ticket, error) {
	var t handbook.Ticket
	var due *time.Time
	var cites string
	if err := row.Scan(&t.ID, &t.QuestionID, &t.Question, &t.Note, &t.Status, &t.Department, &t.Field, &t.AssigneeID, &t.Assignee, &due,
		&t.Answer, &cites, &t.AnsweredBy, &t.FAQ, &t.CreatedBy, &t.Created, &t.Updated, &t.Version); err != nil {
		return nil, err
	}
	t.Due, t.Created, t.Updated = fromDate(due), t.Created.UTC(), t.Updated.UTC()
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
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return mapErr("create ticket", err)
	}
	defer tx.Rollback(ctx)
	err = tx.QueryRow(ctx, `INSERT INTO tickets (question_id, question, note, status, department, field, assignee_id, assignee, due,
			answer, citations, answered_by, faq, created_by, created, updated, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
		t.QuestionID, t.Question, t.Note, t.Status, t.Department, t.Field, t.AssigneeID, t.Assignee, date(t.Due),
		t.Answer, cites, t.AnsweredBy, t.FAQ, t.CreatedBy, ts(t.Created), ts(t.Updated), t.Version).Scan(&t.ID)
	if err != nil {
		return mapErr("create ticket", err)
	}
	for i := range t.History {
		if err := addEvent(ctx, tx, t.ID, &t.History[i], now); err != nil {
			return err
		}
	}
	return mapErr("create ticket", tx.Commit(ctx))
}

func addEvent(ctx context.Context, tx pgx.Tx, id int64, e *handbook.TicketEvent, now time.Time) error {
	if e.Time.IsZero() {
		e.Time = now
	}
	_, err := tx.Exec(ctx, `INSERT INTO ticket_events (ticket_id, time, actor, action, note) VALUES ($1, $2, $3, $4, $5)`,
		id, ts(e.Time), e.Actor, e.Action, e.Note)
	return mapErr("add ticket event", err)
}

func (s *Store) Ticket(ctx context.Context, id int64) (*handbook.Ticket, error) {
	t, err := scanTicket(s.pool.QueryRow(ctx, `SELECT `+ticketCols+` FROM tickets WHERE id = $1`, id))
	if err != nil {
		return nil, mapErr(fmt.Sprintf("ticket %d", id), err)
	}
	rows, err := s.pool.Query(ctx, `SELECT time, actor, action, note FROM ticket_events WHERE ticket_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, mapErr("ticket history", err)
	}
	t.History, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (handbook.TicketEvent, error) {
		var e handbook.TicketEvent
		err := r.Scan(&e.Time, &e.Actor, &e.Action, &e.Note)
		e.Time = e.Time.UTC()
		return e, err
	})
	if len(t.History) == 0 {
		t.History = nil
	}
	return t, mapErr("ticket history", err)
}

func (s *Store) Tickets(ctx context.Context, f handbook.TicketFilter) ([]*handbook.Ticket, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.Status) > 0 {
		ss := make([]string, len(f.Status))
		for i, st := range f.Status {
			ss[i] = string(st)
		}
		where = append(where, "status = ANY("+arg(ss)+")")
	}
	if f.Department != "" {
		where = append(where, "department = "+arg(f.Department))
	}
	if f.AssigneeID != 0 {
		where = append(where, "assignee_id = "+arg(f.AssigneeID))
	}
	if f.QuestionID != 0 {
		where = append(where, "question_id = "+arg(f.QuestionID))
	}
	if f.CreatedBy != 0 {
		where = append(where, "created_by = "+arg(f.CreatedBy))
	}
	q := `SELECT ` + ticketCols + ` FROM tickets`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	q += ` ORDER BY CASE status WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END, due ASC NULLS LAST, id LIMIT ` + arg(limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, mapErr("list tickets", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*handbook.Ticket, error) { return scanTicket(r) })
	return out, mapErr("list tickets", err)
}

func (s *Store) UpdateTicket(ctx context.Context, t *handbook.Ticket, e handbook.TicketEvent) error {
	now := s.now()
	cites, err := citationsJSON(t.Citations)
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return mapErr("update ticket", err)
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE tickets SET note = $1, status = $2, department = $3, field = $4, assignee_id = $5, assignee = $6,
			due = $7, answer = $8, citations = $9, answered_by = $10, faq = $11, updated = $12, version = version + 1
		WHERE id = $13 AND version = $14`,
		t.Note, t.Status, t.Department, t.Field, t.AssigneeID, t.Assignee, date(t.Due), t.Answer, cites, t.AnsweredBy, t.FAQ,
		now, t.ID, t.Version)
	if err != nil {
		return mapErr("update ticket", err)
	}
	if tag.RowsAffected() == 0 {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tickets WHERE id = $1)`, t.ID).Scan(&exists); err != nil {
			return mapErr("update ticket", err)
		}
		if !exists {
			return fmt.Errorf("update ticket %d: %w", t.ID, handbook.ErrNotFound)
		}
		return fmt.Errorf("update ticket %d version %d: %w", t.ID, t.Version, handbook.ErrConflict)
	}
	if err := addEvent(ctx, tx, t.ID, &e, now); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return mapErr("update ticket", err)
	}
	t.Version++
	t.Updated = now
	t.History = append(t.History, e)
	return nil
}

// Promotions.

func (s *Store) AddPromotion(ctx context.Context, p *handbook.Promotion) error {
	if p.Created.IsZero() {
		p.Created = s.now()
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO promotions (ticket_id, doc_id, editor_id, reviewer, reviewed, expires, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		p.TicketID, p.DocID, p.EditorID, p.Reviewer, date(p.Reviewed), date(p.Expires), ts(p.Created)).Scan(&p.ID)
	return mapErr("add promotion", err)
}

func (s *Store) Promotions(ctx context.Context) ([]*handbook.Promotion, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, ticket_id, doc_id, editor_id, reviewer, reviewed, expires, created FROM promotions ORDER BY id`)
	if err != nil {
		return nil, mapErr("list promotions", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*handbook.Promotion, error) {
		var p handbook.Promotion
		var reviewed, expires *time.Time
		err := r.Scan(&p.ID, &p.TicketID, &p.DocID, &p.EditorID, &p.Reviewer, &reviewed, &expires, &p.Created)
		p.Reviewed, p.Expires, p.Created = fromDate(reviewed), fromDate(expires), p.Created.UTC()
		return &p, err
	})
	return out, mapErr("list promotions", err)
}

// Drafts.

var _ handbook.DraftStore = (*Store)(nil)

func (s *Store) PutDraft(ctx context.Context, d *handbook.StoredDraft) error {
	now := s.now()
	if d.Created.IsZero() {
		d.Created = now
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return mapErr("put draft", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `DELETE FROM drafts WHERE expires <= $1`, now); err != nil {
		return mapErr("prune drafts", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO drafts (id, draft, request, created, expires) VALUES ($1, $2, $3, $4, $5)`,
		d.ID, string(d.Draft), string(d.Request), ts(d.Created), ts(d.Expires)); err != nil {
		return mapErr("put draft", err)
	}
	return mapErr("put draft", tx.Commit(ctx))
}

func (s *Store) StoredDraft(ctx context.Context, id string) (*handbook.StoredDraft, error) {
	d := handbook.StoredDraft{ID: id}
	var draft, req string
	err := s.pool.QueryRow(ctx, `SELECT draft, request, created, expires FROM drafts WHERE id = $1 AND expires > $2`,
		id, s.now()).Scan(&draft, &req, &d.Created, &d.Expires)
	if err != nil {
		return nil, mapErr("draft", err)
	}
	d.Draft, d.Request = []byte(draft), []byte(req)
	d.Created, d.Expires = ts(d.Created), ts(d.Expires)
	return &d, nil
}
