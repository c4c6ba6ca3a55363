package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"sotay/api"
	"sotay/handbook"
	"sotay/internal/gctune"
)

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := LoadConfig("serve", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	gogc, memLimit := gctune.Apply()
	log.Debug("garbage collector", "gogc", gogc, "memory_limit", memLimit)
	// HANDBOOK_CPU_PROFILE=file profiles the whole run, for `go tool pprof`
	// (how docs/BENCHMARKS.md looked at the server under load).
	if path := getenv("HANDBOOK_CPU_PROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("HANDBOOK_CPU_PROFILE: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("HANDBOOK_CPU_PROFILE: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	app, err := openApp(cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	store, storeName, err := openStore(ctx, cfg) // store.go
	if err != nil {
		return err
	}
	defer store.Close()
	log.Info("state store", "store", storeName)
	srv, err := api.New(api.Options{
		Retriever:      app.Retriever,
		Library:        app.Library,
		Ready:          app.Manager.Ready,
		Tokens:         cfg.APITokens,
		TrustedProxies: cfg.TrustedProxies,
		BaseURL:        cfg.BaseURL,
		RequestTimeout: cfg.RequestLimit,
		ModelTimeout:   cfg.LLMTimeout + 10*time.Second,
		Logger:         log.With("component", "api"),
		Assistant:      newAssistant(cfg, app),
		Drafter:        newDrafter(cfg, app, cfg.LLMTimeout+10*time.Second), // draft.go
		Docx:           docxCodec,
		Drafts:         draftStoreOf(store), // draft.go
		Store:          store,
		Promote:        app.promoteHook(), // nil with embedded content
		SpoolDir:       filepath.Join(cfg.Data, "spool"),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "content", contentName(cfg), "data", cfg.Data)
	// A first start with embeddings can take a while: say how far it is.
	app.Manager.Progress = progressLog(log, time.Now, 30*time.Second, 1000)
	if cfg.VectorStore == "pgvector" {
		// Replicas share the vectors; only `handbook index` writes them,
		// or every starting replica would re-sync the same documents.
		app.Manager.Vectors = nil
	}
	// Build or update the index while already listening: /readyz answers 503
	// and searches get a clear "not ready" until the index is complete.
	go func() {
		_, err := app.Sync(ctx, false)
		if err != nil && ctx.Err() == nil {
			log.Error("index build failed", "err", err)
		}
		// Checking the index against the content read it all again.
		app.loader.ReleasePages()
		if err == nil {
			warmUp(ctx, app.Retriever, store, time.Now(), log.With("component", "warm")) // warm.go
		}
		if cfg.Watch {
			watch(ctx, app, cfg.Content)
		}
	}()
	err = srv.Serve(ctx, ln)
	// HANDBOOK_HEAP_PROFILE=file writes the live heap once serving ended,
	// content and index still open: what a loaded server keeps
	// (docs/BENCHMARKS.md).
	if path := getenv("HANDBOOK_HEAP_PROFILE"); path != "" {
		if perr := writeHeapProfile(path); perr != nil {
			log.Error("heap profile", "err", perr)
		}
	}
	return err
}

func contentName(cfg Config) string {
	if cfg.Content == "" {
		return "(embedded)"
	}
	return cfg.Content
}

// watch polls the content directory and re-indexes changed documents. It
// polls rather than using inotify so that it works the same on network
// shares and on every OS, at a cost of one stat per file every interval.
func watch(ctx context.Context, app *App, dir string) {
	const interval = 2 * time.Second
	last := snapshot(dir)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur := snapshot(dir)
		if cur == last {
			continue
		}
		last = cur
		if _, err := app.Reload(); err != nil {
			app.Log.Error("reload content", "err", err)
			continue
		}
		if _, err := app.Sync(ctx, false); err != nil {
			app.Log.Error("re-index", "err", err)
		}
	}
}

// snapshot summarises names, sizes and modification times under dir.
func snapshot(dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			fmt.Fprintf(&b, "%s %d %d\n", p, info.Size(), info.ModTime().UnixNano())
		}
		return nil
	})
	return b.String()
}

func cmdIndex(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("index", flag.ContinueOnError)
	rebuild := fs.Bool("rebuild", false, "build a new index from scratch and swap it in")
	cfg, fset, err := loadWithExtra("index", args, getenv, stderr, fs)
	if err != nil {
		return err
	}
	_ = fset
	log := newLogger(cfg, stderr)
	app, err := openApp(cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		app.Manager.Progress = progressBar(stderr, time.Now)
	} else {
		app.Manager.Progress = progressLog(log, time.Now, 10*time.Second, 0)
	}
	st, err := app.Sync(ctx, *rebuild)
	if err != nil {
		return err
	}
	if err := app.buildVectorIndex(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Đã lập chỉ mục %d văn bản (%d thay đổi, %d xóa, %d đoạn) trong %s.\n",
		st.Documents, st.Added, st.Removed, st.Chunks, st.Took.Round(time.Millisecond))
	return nil
}

// loadWithExtra parses the common options plus a subcommand's own flags.
// The subcommand flags are registered on extra and copied into the config
// flag set so that both parse from one argument list.
// filterFlags adds -at and -internal to fs; the function it returns builds
// the filter they ask for (public content in force today by default).
func filterFlags(fs *flag.FlagSet) func() (handbook.Filter, error) {
	at := fs.String("at", "", "in force on this date (YYYY-MM-DD), default today")
	internal := fs.Bool("internal", false, "include internal content")
	return func() (handbook.Filter, error) {
		f := handbook.Filter{Audience: handbook.AudiencePublic, At: handbook.Today(time.Now())}
		if *internal {
			f.Audience = handbook.AudienceInternal
		}
		if *at != "" {
			d, err := handbook.ParseDate(*at)
			if err != nil {
				return f, fmt.Errorf("-at: %w", err)
			}
			f.At = d
		}
		return f, nil
	}
}

func loadWithExtra(name string, args []string, getenv func(string) string, stderr io.Writer, extra *flag.FlagSet) (Config, *flag.FlagSet, error) {
	var own, common []string
	known := map[string]bool{}
	extra.VisitAll(func(f *flag.Flag) { known[f.Name] = true })
	for i := 0; i < len(args); i++ {
		a := args[i]
		n := strings.TrimLeft(strings.SplitN(a, "=", 2)[0], "-")
		if strings.HasPrefix(a, "-") && known[n] {
			own = append(own, a)
			if f := extra.Lookup(n); f != nil && !strings.Contains(a, "=") && !isBoolFlag(f) && i+1 < len(args) {
				own = append(own, args[i+1])
				i++
			}
			continue
		}
		common = append(common, a)
	}
	extra.SetOutput(stderr)
	if err := extra.Parse(own); err != nil {
		return Config{}, nil, err
	}
	return LoadConfig(name, common, getenv, stderr)
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func cmdSearch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 10, "number of results")
	kind := fs.String("kind", "", "procedure, regulation, guide, faq or template")
	field := fs.String("field", "", "procedure field (lĩnh vực)")
	filter := filterFlags(fs)
	cfg, fset, err := loadWithExtra("search", args, getenv, stderr, fs)
	if err != nil {
		return err
	}
	q := strings.Join(fset.Args(), " ")
	log := newLogger(Config{LogLevel: "warn", LogFormat: "text"}, stderr)
	app, err := openSynced(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	f, err := filter()
	if err != nil {
		return err
	}
	f.Field = *field
	if *kind != "" {
		f.Kinds = []handbook.Kind{handbook.Kind(*kind)}
	}
	res, err := app.Retriever.Search(ctx, handbook.SearchRequest{Query: q, Limit: *limit, Filter: f})
	if err != nil {
		return userError(err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(stdout, "%d kết quả cho %q (%s, %s)\n", len(res.Hits), res.Query.Raw, res.Mode, res.Took.Round(time.Microsecond))
	if res.Degraded != "" {
		fmt.Fprintf(stdout, "Lưu ý: %s\n", res.Degraded)
		log.Warn("semantic search unavailable", "err", res.VectorErr)
	}
	for i, h := range res.Hits {
		fmt.Fprintf(stdout, "%2d. %s  [%s]\n    %s#%s  %.3f\n    %s\n", i+1, h.Title, h.Kind, h.DocID, h.Anchor, h.Score, h.Heading)
	}
	return nil
}

func cmdLint(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := LoadConfig("lint", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(Config{LogLevel: "error", LogFormat: "text"}, stderr)
	app, err := openApp(cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	probs := append([]handbook.Problem(nil), app.Library().Problems...)
	sort.SliceStable(probs, func(i, j int) bool {
		if probs[i].Path != probs[j].Path {
			return probs[i].Path < probs[j].Path
		}
		return probs[i].Line < probs[j].Line
	})
	errs, warns := 0, 0
	for _, p := range probs {
		fmt.Fprintln(stdout, p.String())
		if p.Severity == handbook.SeverityError {
			errs++
		} else {
			warns++
		}
	}
	fmt.Fprintf(stderr, "%d văn bản, %d lỗi, %d cảnh báo\n", len(app.Library().Docs), errs, warns)
	if errs > 0 {
		return exitError(1)
	}
	return nil
}

func cmdEval(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	minR1 := fs.Float64("min-r1", 0, "exit 1 when Recall@1 is below this")
	minMRR := fs.Float64("min-mrr", 0, "exit 1 when MRR@10 is below this")
	showMisses := fs.Int("misses", 20, "misses to print")
	mode := fs.String("mode", "", "lexical, vector or hybrid (default: hybrid when embeddings are configured); comma-separated to compare side by side (-min-r1 and -min-mrr then apply to the last)")
	cfg, fset, err := loadWithExtra("eval", args, getenv, stderr, fs)
	if err != nil {
		return err
	}
	files := fset.Args()
	if len(files) == 0 {
		files, _ = filepath.Glob("eval/*.jsonl")
	}
	if len(files) == 0 {
		return errors.New("no gold set: pass JSONL files or run from the repository root (eval/*.jsonl)")
	}
	var cases []handbook.EvalCase
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return err
		}
		cs, err := handbook.ReadEvalCases(r, f)
		r.Close()
		if err != nil {
			return err
		}
		cases = append(cases, cs...)
	}
	log := newLogger(Config{LogLevel: "warn", LogFormat: "text"}, stderr)
	app, err := openSynced(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	f := handbook.Filter{At: handbook.Today(time.Now()), Audience: handbook.AudienceInternal}
	modes := splitList(*mode)
	if len(modes) == 0 {
		modes = []string{""}
	}
	for _, m := range modes {
		if m != handbook.ModeLexical && m != handbook.ModeVector && m != handbook.ModeHybrid && m != "" {
			return fmt.Errorf("-mode: %q is not lexical, vector or hybrid", m)
		}
	}
	var rep handbook.EvalReport
	for _, m := range modes {
		// A hybrid search whose vector half failed is a lexical one: its
		// figures under "hybrid" would mislead, so the run stops.
		var fellBack error
		rep, err = handbook.Evaluate(ctx, cases, func(ctx context.Context, q string) ([]handbook.Hit, error) {
			res, err := app.Retriever.Search(ctx, handbook.SearchRequest{Query: q, Limit: 10, Filter: f, Mode: m})
			if err != nil {
				return nil, err
			}
			if res.Degraded != "" && fellBack == nil {
				fellBack = fmt.Errorf("semantic search failed (%v); the figures would be keyword-only", res.VectorErr)
			}
			return res.Hits, nil
		})
		if err == nil {
			err = fellBack
		}
		label := m
		if label == "" {
			label = "default"
		}
		if err != nil {
			return fmt.Errorf("eval mode %s: %w", label, err)
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(struct {
				Mode string `json:"mode"`
				handbook.EvalReport
			}{label, rep}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "mode %-8s cases %d  R@1 %.3f  R@5 %.3f  R@10 %.3f  MRR@10 %.3f  nDCG@10 %.3f  p50 %s  p95 %s\n",
			label, rep.Cases, rep.R1, rep.R5, rep.R10, rep.MRR10, rep.NDCG10, rep.P50.Round(time.Microsecond), rep.P95.Round(time.Microsecond))
		if len(modes) > 1 {
			continue
		}
		for i, m := range rep.Misses {
			if i >= *showMisses {
				fmt.Fprintf(stdout, "… %d more misses\n", len(rep.Misses)-i)
				break
			}
			fmt.Fprintf(stdout, "miss %-10s rank %-2d %q\n    want %s\n    got  %s\n", m.ID, m.Rank, m.Query, strings.Join(m.Want, " "), strings.Join(m.Got, " "))
		}
	}
	if rep.R1 < *minR1 || rep.MRR10 < *minMRR {
		fmt.Fprintf(stderr, "below floor: R@1 %.3f (min %.3f), MRR@10 %.3f (min %.3f)\n", rep.R1, *minR1, rep.MRR10, *minMRR)
		return exitError(1)
	}
	return nil
}

// writeHeapProfile writes the heap profile after a collection to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
