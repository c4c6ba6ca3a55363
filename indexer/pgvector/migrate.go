package pgvector

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the embedded migrations that schema_migrations does not
// record yet, in file-name order, one transaction each (wtf sqlite.go). The
// names are recorded as "pgvector/<file>" because other packages may share
// the database and its schema_migrations table.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, file := range names {
		body, err := fs.ReadFile(migrationFiles, file)
		if err != nil {
			return fmt.Errorf("read migration %s: %w", file, err)
		}
		name := "pgvector/" + path.Base(file)
		err = s.inTx(ctx, lockMigrate, func(tx pgx.Tx) error {
			if s.schema != "" {
				// The migration files use unqualified names: point them at
				// the DSN's schema for this transaction only, keeping the
				// rest of the search_path (where the extension lives).
				if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.schema}.Sanitize()); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, "SELECT set_config('search_path', $1 || ', ' || current_setting('search_path'), true)",
					pgx.Identifier{s.schema}.Sanitize()); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+s.migrations+
				" (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"); err != nil {
				return err
			}
			var done bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+s.migrations+" WHERE name = $1)", name).Scan(&done); err != nil {
				return err
			}
			if done {
				return nil
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO "+s.migrations+" (name) VALUES ($1)", name)
			return err
		})
		if err != nil {
			return wrap("apply migration "+name, err)
		}
	}
	return nil
}
