package postgres

import (
	"context"
	"io/fs"
)

// OpenWith connects with the migrations in fsys instead of the embedded
// ones, so that tests can start from an older schema.
func OpenWith(ctx context.Context, url string, fsys fs.FS) (*Store, error) {
	return open(ctx, url, fsys)
}

// Migrations is the embedded migration set.
var EmbeddedMigrations = migrations

// Exec runs a statement, for tests that set up what no method writes.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.pool.Exec(ctx, query, args...)
	return err
}
