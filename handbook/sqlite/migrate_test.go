package sqlite_test

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"sotay/handbook"
	"sotay/handbook/handbooktest"
	"sotay/handbook/sqlite"
)

// TestWAL checks that the database runs in WAL mode, so that question log
// writes do not block readers.
func TestWAL(t *testing.T) {
	s := open(t)
	mode, err := s.Pragma(t.Context(), "journal_mode")
	if err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	if fk, _ := s.Pragma(t.Context(), "foreign_keys"); fk != "1" {
		t.Errorf("foreign_keys = %q, want 1", fk)
	}
}

// firstMigration is the embedded migration set cut to its first file: the
// schema of the first release.
func firstMigration(t *testing.T) fs.FS {
	t.Helper()
	b, err := fs.ReadFile(sqlite.EmbeddedMigrations, "migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	return fstest.MapFS{"migrations/0001_init.sql": {Data: b}}
}

// TestUpgradeFromFirstSchema opens a database written by the first release
// with the current binary: the later migrations are applied, in order, and
// the data stays.
func TestUpgradeFromFirstSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "handbook.db")
	old, err := sqlite.OpenWith(t.Context(), path, firstMigration(t))
	if err != nil {
		t.Fatal(err)
	}
	handbooktest.TestUpgrade(t, old, func() (handbooktest.MigratedStore, error) {
		return sqlite.Open(t.Context(), path)
	}, migrationFiles(t))
}

// TestRefusesNewerSchema: a database upgraded by a newer handbook is not
// opened by an older one.
func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "handbook.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(t.Context(), `INSERT INTO schema_migrations (name, applied) VALUES ('9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = sqlite.Open(t.Context(), path)
	if handbook.ErrorCode(err) != handbook.Conflict || !strings.Contains(handbook.ErrorMessage(err), "phiên bản Sổ tay mới hơn") {
		t.Errorf("Open(newer schema) error = %v (code %q), want a conflict naming the newer version", err, handbook.ErrorCode(err))
	}
}
