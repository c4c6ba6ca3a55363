package postgres_test

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"sotay/handbook"
	"sotay/handbook/handbooktest"
	"sotay/handbook/postgres"

	"github.com/jackc/pgx/v5"
)

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
	if got, _ := s.Migrations(t.Context()); !slices.Equal(got, migrationFiles(t)) {
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
	handbooktest.TestUpgrade(t, old, func() (handbooktest.MigratedStore, error) {
		return postgres.Open(t.Context(), dsn)
	}, migrationFiles(t))
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
