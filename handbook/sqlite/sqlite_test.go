package sqlite_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sotay/handbook"
	"sotay/handbook/handbooktest"
	"sotay/handbook/sqlite"
)

func open(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "handbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	handbooktest.TestStore(t, func(t *testing.T) handbook.Store { return open(t) })
}

func TestDraftStoreContract(t *testing.T) {
	handbooktest.TestDraftStore(t, func(t *testing.T, now func() time.Time) handbook.DraftStore {
		s := open(t)
		s.Now = now
		return s
	})
}

// TestReopenKeepsDataAndMigrations checks that a second Open applies no
// migration twice and sees what the first one wrote.
func TestReopenKeepsDataAndMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "handbook.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	handbooktest.CreateUser(t, s, "lan", handbook.RoleOfficial, "Sở Tư pháp")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(t.Context(), path)
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
