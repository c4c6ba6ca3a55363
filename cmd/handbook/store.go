package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"sotay/handbook"
	"sotay/handbook/markdown"
	"sotay/handbook/postgres"
	"sotay/handbook/sqlite"
)

// openStore opens the state store: PostgreSQL when HANDBOOK_DATABASE_URL
// is set (replicas share accounts, sessions and tickets), otherwise SQLite
// at <data>/handbook.db.
func openStore(ctx context.Context, cfg Config) (handbook.Store, string, error) {
	if cfg.DatabaseURL != "" {
		s, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, "", fmt.Errorf("open store: %w", err)
		}
		return s, "postgres", nil
	}
	if err := os.MkdirAll(cfg.Data, 0o755); err != nil {
		return nil, "", fmt.Errorf("create data directory: %w", err)
	}
	p := filepath.Join(cfg.Data, "handbook.db")
	s, err := sqlite.Open(ctx, p)
	if err != nil {
		return nil, "", fmt.Errorf("open store: %w", err)
	}
	return s, p, nil
}

// promoteHook returns api.Options.Promote for the content directory: it
// checks the page (it must parse, and lint must find no error in it against
// the current library), writes it atomically, reloads the library and
// re-indexes, so that the page is searchable when the request returns.
// With the content embedded in the binary there is nowhere to write: nil.
func (a *App) promoteHook() func(ctx context.Context, rel string, data []byte) error {
	if a.Config.Content == "" {
		return nil
	}
	root := a.Config.Content
	return func(ctx context.Context, rel string, data []byte) error {
		clean := path.Clean(rel)
		if clean != rel || !strings.HasPrefix(clean, "faq/") || !strings.HasSuffix(clean, ".md") || strings.Contains(clean, "..") {
			return fmt.Errorf("promote: refusing path %q", rel)
		}
		doc, probs, err := markdown.Parse(clean, data)
		if err != nil {
			return fmt.Errorf("promote: parse %s: %w", clean, err)
		}
		lib := handbook.NewLibrary(append(a.Library().All(), doc), nil, nil)
		for _, p := range append(probs, handbook.Lint(lib, handbook.Today(time.Now()))...) {
			if p.Path == clean && p.Severity == handbook.SeverityError {
				return handbook.Errorf(handbook.Invalid, "Trang hỏi đáp chưa đạt kiểm tra nội dung: "+p.Message, "promote: lint %s", p)
			}
		}
		dst := filepath.Join(root, filepath.FromSlash(clean))
		if _, err := os.Stat(dst); err == nil {
			return handbook.Errorf(handbook.Conflict, "Đã có tệp "+clean+" trong thư mục nội dung.", "promote: %s exists", dst)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("promote: %w", err)
		}
		tmp, err := os.CreateTemp(filepath.Dir(dst), ".promote-*.md")
		if err != nil {
			return fmt.Errorf("promote: %w", err)
		}
		defer os.Remove(tmp.Name())
		if _, err := tmp.Write(data); err != nil {
			tmp.Close()
			return fmt.Errorf("promote: write %s: %w", dst, err)
		}
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("promote: write %s: %w", dst, err)
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			return fmt.Errorf("promote: %w", err)
		}
		if err := os.Rename(tmp.Name(), dst); err != nil {
			return fmt.Errorf("promote: %w", err)
		}
		a.Log.Info("faq page written", "path", clean)
		if _, err := a.Reload(); err != nil {
			return err
		}
		// The request's deadline bounds this too; a slow re-index is
		// finished by the watcher or the next start.
		if _, err := a.Sync(ctx, false); err != nil {
			return fmt.Errorf("promote: re-index: %w", err)
		}
		return nil
	}
}
