package sqlite

import (
	"context"
	"io/fs"
)

// OpenWith opens the database with the migrations in fsys instead of the
// embedded ones, so that tests can start from an older schema.
func OpenWith(ctx context.Context, path string, fsys fs.FS) (*Store, error) {
	return open(ctx, path, fsys)
}

// Migrations is the embedded migration set.
var EmbeddedMigrations = migrations

// Exec runs a statement, for tests that set up what no method writes.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.db.ExecContext(ctx, query, args...)
	return err
}

// Pragma reads one PRAGMA value.
func (s *Store) Pragma(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}
