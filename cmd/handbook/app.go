package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"sotay/content"
	"sotay/handbook"
	"sotay/indexer"
	"sotay/indexer/bleve"
	"sotay/internal/gctune"
)

// App is the wired core shared by serve, index, search and eval: the
// library, the index manager and the retriever.
type App struct {
	Config    Config
	Log       *slog.Logger
	Content   fs.FS
	Manager   *indexer.Manager
	Retriever *handbook.Retriever
	lib       atomic.Pointer[handbook.Library]
	vectors   *vectorSetup
	// loader parses only the content files that changed since the last
	// load, and keeps a snapshot of them in the data directory
	// (contentSnapshot) so that a restart parses nothing.
	loader *indexer.Loader
	saves  sync.WaitGroup
}

// contentSnapshot is the file, under the data directory, where the parsed
// content is kept between runs.
const contentSnapshot = "content-snapshot.bin"

// openApp loads the content and opens (without syncing) the index.
func openApp(cfg Config, log *slog.Logger) (*App, error) {
	a := &App{Config: cfg, Log: log}
	if cfg.Content == "" {
		a.Content = content.FS
	} else {
		if st, err := os.Stat(cfg.Content); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("HANDBOOK_CONTENT %q is not a directory", cfg.Content)
		}
		a.Content = os.DirFS(cfg.Content)
	}
	a.loader = &indexer.Loader{FS: a.Content, Log: log.With("component", "content")}
	if cfg.Content != "" {
		// Embedded content is small and has no file times: no snapshot.
		a.loader.Cache = filepath.Join(cfg.Data, contentSnapshot)
	}
	a.Manager = &indexer.Manager{
		Dir: filepath.Join(cfg.Data, "index"),
		Open: func(dir string) (indexer.Keyword, error) {
			x, err := bleve.Open(dir)
			if err != nil {
				return nil, err
			}
			x.SetPostingsCache(cfg.PostingsCacheMB << 20)
			return x, nil
		},
		Log: log.With("component", "indexer"),
	}
	a.Retriever = &handbook.Retriever{Keyword: a.Manager, Library: a.Library, EmbedTimeout: cfg.EmbedTimeout,
		Fusion: handbook.Fusion{K: cfg.FusionK, LexicalWeight: cfg.FusionLex, VectorWeight: cfg.FusionVec}}
	vs, err := openVectors(cfg, log)
	if err != nil {
		return nil, err
	}
	if vs != nil {
		a.vectors = vs
		a.Manager.Vectors = vs.Sync
		a.Retriever.Embedder, a.Retriever.Vectors = vs.Query, vs.Store
	}
	if _, err := a.Reload(); err != nil {
		return nil, err
	}
	return a, nil
}

// openSynced opens the app and brings its index up to date, for commands
// that query it (search, ask, eval).
func openSynced(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	app, err := openApp(cfg, log)
	if err != nil {
		return nil, err
	}
	if _, err := app.Sync(ctx, false); err != nil {
		app.Close()
		return nil, err
	}
	return app, nil
}

// Library returns the current library.
func (a *App) Library() *handbook.Library { return a.lib.Load() }

// Reload reads the content again and installs the new library and analyzer.
// Broken files are reported in the library's problems and skipped. Only
// the files that changed since the last load are parsed again; the content
// snapshot is then rewritten in the background.
func (a *App) Reload() (*handbook.Library, error) {
	lib, st, err := a.loader.Load(handbook.Today(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("load content: %w", err)
	}
	a.lib.Store(lib)
	a.Retriever.SetAnalyzer(handbook.NewAnalyzer(lib))
	a.saves.Go(func() {
		if err := a.loader.Save(); err != nil {
			a.Log.Warn("content snapshot not written", "err", err)
		}
	})
	a.Log.Debug("content read", "files", st.Files, "parsed", st.Parsed, "hashed", st.Hashed,
		"removed", st.Removed, "from_snapshot", st.FromSnapshot)
	errs := 0
	for _, p := range lib.Problems {
		if p.Severity == handbook.SeverityError {
			errs++
			a.Log.Warn("content problem", "problem", p.String())
		}
	}
	a.Log.Info("content loaded", "documents", len(lib.Docs), "errors", errs)
	a.loader.ReleasePages()
	if inUse, limit := gctune.Fit(); inUse > 0 {
		a.Log.Debug("garbage collector", "in_use", inUse, "memory_limit", limit)
	}
	return lib, nil
}

// Sync opens the current index if any and brings it in line with the library.
func (a *App) Sync(ctx context.Context, rebuild bool) (indexer.Stats, error) {
	if rebuild {
		if err := a.resetPG(ctx); err != nil {
			return indexer.Stats{}, err
		}
	}
	if !a.Manager.Ready() && !rebuild {
		if _, err := a.Manager.OpenCurrent(); err != nil {
			return indexer.Stats{}, err
		}
	}
	st, err := a.Manager.Sync(ctx, a.Library(), rebuild)
	if err != nil {
		return st, err
	}
	a.Log.Info("index synced", "rebuilt", st.Rebuilt, "documents", st.Documents, "changed", st.Added,
		"removed", st.Removed, "chunks", st.Chunks, "took", st.Took.Round(time.Millisecond))
	return st, nil
}

// Close waits for the content snapshot to be written and releases the
// index and the vector store.
func (a *App) Close() error {
	a.saves.Wait()
	err := a.Manager.Close()
	if a.vectors != nil && a.vectors.Close != nil {
		if cerr := a.vectors.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// progressClock times each stage of an indexing run from its first report
// and estimates what is left from that stage's own rate.
type progressClock struct {
	now   func() time.Time
	stage string
	start time.Time
}

// estimate returns the stage's elapsed time, its rate in chunks per second
// and the estimated time left (-1 while there is nothing to go on).
func (p *progressClock) estimate(stage string, done, total int) (elapsed time.Duration, rate float64, left time.Duration) {
	t := p.now()
	if stage != p.stage || done == 0 {
		p.stage, p.start = stage, t
	}
	elapsed = t.Sub(p.start)
	if done <= 0 || elapsed <= 0 {
		return elapsed, 0, -1
	}
	rate = float64(done) / elapsed.Seconds()
	return elapsed, rate, time.Duration(float64(total-done) / rate * float64(time.Second))
}

// stageNames are the stages in the operator's language.
var stageNames = map[string]string{"index": "lập chỉ mục", "compact": "gộp chỉ mục", "embed": "nhúng vector"}

func stageName(s string) string {
	if n, ok := stageNames[s]; ok {
		return n
	}
	return s
}

// progressBar draws indexing progress on a terminal: a bar, the count, the
// rate and the time left, rewritten in place.
func progressBar(w io.Writer, now func() time.Time) indexer.Progress {
	clock := &progressClock{now: now}
	return func(stage string, done, total int) {
		if total == 0 {
			return
		}
		_, rate, left := clock.estimate(stage, done, total)
		const width = 30
		n := done * width / total
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = '.'
			if i < n {
				bar[i] = '#'
			}
		}
		eta := "đang ước tính"
		if left >= 0 {
			eta = fmt.Sprintf("%.0f đoạn/giây, còn khoảng %s", rate, left.Round(time.Second))
		}
		fmt.Fprintf(w, "\r%-13s [%s] %d/%d  %s   ", stageName(stage), bar, done, total, eta)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}

// progressLog reports indexing progress as log lines, for runs whose output
// is not a terminal (docker compose logs, systemd, CI): at the start and end
// of each stage and at most once per interval in between. Stages of fewer
// than minTotal chunks (an edited page under -watch) are not reported.
func progressLog(log *slog.Logger, now func() time.Time, interval time.Duration, minTotal int) indexer.Progress {
	clock := &progressClock{now: now}
	var last time.Time
	return func(stage string, done, total int) {
		if total == 0 || total < minTotal {
			return
		}
		elapsed, rate, left := clock.estimate(stage, done, total)
		t := now()
		if done != 0 && done != total && t.Sub(last) < interval {
			return
		}
		last = t
		attrs := []any{"stage", stage, "done", done, "total", total, "elapsed", elapsed.Round(time.Second)}
		if left >= 0 {
			attrs = append(attrs, "chunks_per_second", math.Round(rate*10)/10, "eta", left.Round(time.Second))
		}
		log.Info("indexing progress", attrs...)
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
