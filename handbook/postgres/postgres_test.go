package postgres_test

import (
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"sotay/handbook"
	"sotay/handbook/handbooktest"
	"sotay/handbook/postgres"

	"github.com/jackc/pgx/v5"
)

var schemas atomic.Int64

// emptyDatabase returns a URL whose search_path is a new, empty schema on
// the server at base: each test gets its own tables without the cost of a
// new database.
func emptyDatabase(t *testing.T, base string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatalf("connect to test server: %v", err)
	}
	defer conn.Close(t.Context())
	name := fmt.Sprintf("handbook_test_%d_%d", schemas.Add(1), conn.PgConn().PID())
	if _, err := conn.Exec(t.Context(), "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(t.Context(), base)
		if err != nil {
			return
		}
		defer c.Close(t.Context())
		c.Exec(t.Context(), "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("test database URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t *testing.T, base string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), emptyDatabase(t, base))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPostgres runs every test that needs a server against one throwaway
// cluster: starting one takes seconds.
func TestPostgres(t *testing.T) {
	base := handbooktest.Postgres(t)
	t.Run("Contract", func(t *testing.T) {
		handbooktest.TestStore(t, func(t *testing.T) handbook.Store { return open(t, base) })
	})
	t.Run("ReopenKeepsDataAndMigrations", func(t *testing.T) { testReopen(t, base) })
	t.Run("UpgradeFromFirstSchema", func(t *testing.T) { testUpgrade(t, base) })
	t.Run("RefusesNewerSchema", func(t *testing.T) { testNewer(t, base) })
	t.Run("SharesMigrationsTable", func(t *testing.T) { testSharedMigrations(t, base) })
}

// testSharedMigrations: in the scaled setup indexer/pgvector keeps its
// migrations in the same schema_migrations table, as "pgvector/<file>",
// with its own column for the time. Whichever package creates the table
// first, both must go on working, and neither's entries may look like a
// newer handbook's.
func testSharedMigrations(t *testing.T, base string) {
	// pgvector first: its table has applied_at and a default.
	dsn := emptyDatabase(t, base)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
		`INSERT INTO schema_migrations (name) VALUES ('pgvector/0001_init.sql')`,
	} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("open after pgvector created schema_migrations: %v", err)
	}
	handbooktest.CreateUser(t, s, "lan", handbook.RoleOfficial, "")
	if got, _ := s.Migrations(t.Context()); !slices.Equal(got, []string{"0001_init.sql", "0002_tickets_created_by.sql", "0003_login_failures.sql"}) {
		t.Errorf("Migrations = %q, want this store's own", got)
	}
	s.Close()

	// The store first: pgvector then records its migration by name only.
	dsn = emptyDatabase(t, base)
	s, err = postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(t.Context(), `INSERT INTO schema_migrations (name) VALUES ('pgvector/0001_init.sql')`); err != nil {
		t.Errorf("pgvector recording its migration in the store's table: %v", err)
	}
	s.Close()
	if s, err = postgres.Open(t.Context(), dsn); err != nil {
		t.Fatalf("reopen beside pgvector's migrations: %v", err)
	}
	s.Close()
}

// testUpgrade opens a database written by the first release with the
// current binary: the later migrations are applied and the data stays.
func testUpgrade(t *testing.T, base string) {
	dsn := emptyDatabase(t, base)
	b, err := fs.ReadFile(postgres.EmbeddedMigrations, "migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	old, err := postgres.OpenWith(t.Context(), dsn, fstest.MapFS{"migrations/0001_init.sql": {Data: b}})
	if err != nil {
		t.Fatal(err)
	}
	u := handbooktest.CreateUser(t, old, "lan", handbook.RoleOfficial, "Sở Tư pháp")
	q := handbooktest.LogQuestion(t, old, handbook.Question{Query: "khai sinh"})
	if err := old.CreateTicket(t.Context(), &handbook.Ticket{QuestionID: q.ID, Question: q.Query, Status: handbook.TicketOpen, CreatedBy: u.ID}); err != nil {
		t.Fatal(err)
	}
	old.Close()
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	got, _ := s.Migrations(t.Context())
	if want := []string{"0001_init.sql", "0002_tickets_created_by.sql", "0003_login_failures.sql"}; !slices.Equal(got, want) {
		t.Errorf("Migrations after upgrade = %q, want %q", got, want)
	}
	ts, err := s.Tickets(t.Context(), handbook.TicketFilter{CreatedBy: u.ID})
	if err != nil || len(ts) != 1 {
		t.Errorf("tickets of the first release after upgrade = %v, %v", ts, err)
	}
}

// testNewer: a database upgraded by a newer handbook is not opened.
func testNewer(t *testing.T, base string) {
	dsn := emptyDatabase(t, base)
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(t.Context(), `INSERT INTO schema_migrations (name, applied) VALUES ('9999_future.sql', now())`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = postgres.Open(t.Context(), dsn)
	if handbook.ErrorCode(err) != handbook.Conflict || !strings.Contains(handbook.ErrorMessage(err), "phiên bản Sổ tay mới hơn") {
		t.Errorf("Open(newer schema) error = %v (code %q), want a conflict naming the newer version", err, handbook.ErrorCode(err))
	}
}

func testReopen(t *testing.T, base string) {
	dsn := emptyDatabase(t, base)
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	handbooktest.CreateUser(t, s, "lan", handbook.RoleOfficial, "Sở Tư pháp")
	s.Close()
	s, err = postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.UserByName(t.Context(), "lan"); err != nil {
		t.Errorf("UserByName after reopen: %v", err)
	}
	got, err := s.Migrations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"0001_init.sql", "0002_tickets_created_by.sql", "0003_login_failures.sql"}; !slices.Equal(got, want) {
		t.Errorf("Migrations = %q, want %q", got, want)
	}
}

func TestUnreachableIsUnavailable(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if got := handbook.ErrorCode(err); got != handbook.Unavailable {
		t.Errorf("Open(unreachable) error = %v (code %q), want unavailable", err, got)
	}
}
