package postgres_test

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

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
	t.Run("DraftStoreContract", func(t *testing.T) {
		handbooktest.TestDraftStore(t, func(t *testing.T, now func() time.Time) handbook.DraftStore {
			s := open(t, base)
			s.Now = now
			return s
		})
	})
	t.Run("ReopenKeepsDataAndMigrations", func(t *testing.T) { testReopen(t, base) })
	t.Run("UpgradeFromFirstSchema", func(t *testing.T) { testUpgrade(t, base) })
	t.Run("RefusesNewerSchema", func(t *testing.T) { testNewer(t, base) })
	t.Run("SharesMigrationsTable", func(t *testing.T) { testSharedMigrations(t, base) })
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
	if want := migrationFiles(t); !slices.Equal(got, want) {
		t.Errorf("Migrations = %q, want %q", got, want)
	}
}

func TestUnreachableIsUnavailable(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if got := handbook.ErrorCode(err); got != handbook.Unavailable {
		t.Errorf("Open(unreachable) error = %v (code %q), want unavailable", err, got)
	}
}

// migrationFiles lists migrations/*.sql, the files Open must have applied.
func migrationFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	for i, f := range files {
		files[i] = filepath.Base(f)
	}
	return files
}
