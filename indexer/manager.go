// Package indexer turns content into indexes: it loads the Markdown tree
// (fs.FS → handbook.Library), chunks it and keeps the keyword index (and,
// when configured, the vector store) in step with it, incrementally by
// content hash. Full rebuilds go to a new directory that replaces the old one
// atomically, so a crash mid-build leaves the previous index serving.
//
// It imports handbook and handbook/markdown; concrete indexes are passed in
// by cmd/handbook.
package indexer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"sotay/handbook"
)

// Keyword is a keyword index that can carry a manifest next to its data.
type Keyword interface {
	handbook.KeywordIndex
	SetInternal(key string, val []byte) error
	GetInternal(key string) ([]byte, error)
	Close() error
}

// OpenFunc opens (creating when absent) a keyword index in dir.
type OpenFunc func(dir string) (Keyword, error)

// Stats describes one synchronisation.
type Stats struct {
	Rebuilt   bool
	Documents int
	Added     int // documents indexed (new or changed)
	Removed   int
	Unchanged int
	Chunks    int // chunks written
	Embedded  int // chunks sent to the embedder
	Took      time.Duration
}

// Progress reports indexing progress: done of total chunks in a stage
// ("index", "compact", "embed"). Each stage reports 0 first, then after each
// batch.
type Progress func(stage string, done, total int)

// Manager owns the on-disk keyword index under Dir and serves searches from
// the current one. It implements handbook.KeywordIndex.
type Manager struct {
	Dir      string
	Open     OpenFunc
	Log      *slog.Logger
	Progress Progress
	// Vectors, when set, are kept in step with the keyword index.
	Vectors *VectorSync

	mu       sync.RWMutex // guards cur; held for reading during searches
	cur      Keyword
	curName  string
	building string     // directory this Manager is building, guarded by mu
	syncMu   sync.Mutex // one sync at a time
}

var _ handbook.KeywordIndex = (*Manager)(nil)

const (
	pointerFile = "CURRENT"
	manifestKey = "manifest"
	completeKey = "complete"
	indexPrefix = "bleve-"
	// buildingSuffix names the marker written beside a directory while it
	// is built: it holds the builder's process id, so that a directory
	// left by a killed build can be told from one another process is
	// still writing.
	buildingSuffix = ".building"
)

func (m *Manager) log() *slog.Logger {
	if m.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return m.Log
}

// manifest maps document id → content hash of what the index holds.
type manifest map[string]string

// OpenCurrent opens the index named by the CURRENT pointer, if any. It
// reports false when there is none or it cannot be used (the caller then
// rebuilds).
func (m *Manager) OpenCurrent() (bool, error) {
	name, err := os.ReadFile(filepath.Join(m.Dir, pointerFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read index pointer: %w", err)
	}
	dir := filepath.Join(m.Dir, strings.TrimSpace(string(name)))
	kw, err := m.Open(dir)
	if err != nil {
		m.log().Warn("current index unusable, rebuilding", "dir", dir, "err", err)
		return false, nil
	}
	if c, _ := kw.GetInternal(completeKey); string(c) != "1" {
		kw.Close()
		m.log().Warn("current index incomplete, rebuilding", "dir", dir)
		return false, nil
	}
	// A build killed mid-way (kill -9, power cut) leaves its directory
	// behind; without this it would stay until the next full rebuild. It
	// goes before the index serves: removed after, the server was ready
	// while a dead build of hundreds of megabytes was still being deleted
	// (TestKillDuringRebuild saw it still there once).
	m.removeStale(filepath.Base(dir))
	m.swap(kw, filepath.Base(dir))
	return true, nil
}

func (m *Manager) swap(kw Keyword, name string) {
	m.mu.Lock()
	old := m.cur
	m.cur, m.curName = kw, name
	m.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// Sync brings the index in line with lib: incremental by content hash when a
// usable index is open, otherwise (or when rebuild is set) a full build into
// a new directory that then replaces the current one.
func (m *Manager) Sync(ctx context.Context, lib *handbook.Library, rebuild bool) (Stats, error) {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	start := time.Now()
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("create index dir: %w", err)
	}
	m.mu.RLock()
	cur := m.cur
	m.mu.RUnlock()
	var st Stats
	var err error
	if cur == nil || rebuild {
		st, err = m.rebuild(ctx, lib)
	} else {
		st, err = m.update(ctx, cur, lib)
	}
	if err != nil {
		return st, err
	}
	if m.Vectors != nil {
		n, err := m.Vectors.Sync(ctx, lib, m.Progress)
		st.Embedded = n
		if err != nil {
			return st, fmt.Errorf("sync vectors: %w", err)
		}
	}
	st.Documents = len(lib.Docs)
	st.Took = time.Since(start)
	return st, nil
}

func (m *Manager) rebuild(ctx context.Context, lib *handbook.Library) (Stats, error) {
	name := indexPrefix + time.Now().UTC().Format("20060102T150405.000000000")
	dir := filepath.Join(m.Dir, name)
	marker := dir + buildingSuffix
	if err := os.WriteFile(marker, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return Stats{}, buildError(dir, err)
	}
	m.mu.Lock()
	m.building = name
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.building = ""
		m.mu.Unlock()
		os.Remove(marker)
	}()
	kw, err := m.Open(dir)
	if err != nil {
		os.RemoveAll(dir)
		return Stats{}, buildError(dir, err)
	}
	fail := func(err error) (Stats, error) {
		kw.Close()
		os.RemoveAll(dir)
		return Stats{}, buildError(dir, err)
	}
	chunks := lib.Chunks()
	if err := m.indexChunks(ctx, kw, chunks); err != nil {
		return fail(err)
	}
	man := manifest{}
	for id, d := range lib.Docs {
		man[id] = d.Hash
	}
	if err := writeManifest(kw, man); err != nil {
		return fail(err)
	}
	// A bulk build leaves a dozen segments and every query term walks
	// each of them: merged into one, a 10k-chunk index answers faster.
	if c, ok := kw.(interface{ Compact(context.Context) error }); ok {
		if m.Progress != nil {
			m.Progress("compact", 0, 1)
		}
		if err := c.Compact(ctx); err != nil {
			return fail(err)
		}
		if m.Progress != nil {
			m.Progress("compact", 1, 1)
		}
	}
	if err := kw.SetInternal(completeKey, []byte("1")); err != nil {
		return fail(fmt.Errorf("mark index complete: %w", err))
	}
	if err := WriteFileAtomic(filepath.Join(m.Dir, pointerFile), []byte(name+"\n")); err != nil {
		return fail(fmt.Errorf("switch index pointer: %w", err))
	}
	m.swap(kw, name)
	m.removeStale(name)
	return Stats{Rebuilt: true, Added: len(lib.Docs), Chunks: len(chunks)}, nil
}

func (m *Manager) indexChunks(ctx context.Context, kw Keyword, chunks []handbook.Chunk) error {
	const step = 1000
	if m.Progress != nil && len(chunks) > 0 {
		m.Progress("index", 0, len(chunks))
	}
	for i := 0; i < len(chunks); i += step {
		if err := kw.Index(ctx, chunks[i:min(i+step, len(chunks))]); err != nil {
			return err
		}
		if m.Progress != nil {
			m.Progress("index", min(i+step, len(chunks)), len(chunks))
		}
	}
	return nil
}

func (m *Manager) update(ctx context.Context, kw Keyword, lib *handbook.Library) (Stats, error) {
	man, err := readManifest(kw)
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	var changed []*handbook.Document
	for id, d := range lib.Docs {
		if man[id] == d.Hash {
			st.Unchanged++
			continue
		}
		changed = append(changed, d)
	}
	var removed []string
	for id := range man {
		if _, ok := lib.Docs[id]; !ok {
			removed = append(removed, id)
		}
	}
	sort.Strings(removed)
	for _, id := range removed {
		if err := kw.DeleteDocument(ctx, id); err != nil {
			return st, err
		}
		delete(man, id)
		st.Removed++
	}
	var chunks []handbook.Chunk
	for _, d := range changed {
		if err := kw.DeleteDocument(ctx, d.ID); err != nil {
			return st, err
		}
		chunks = append(chunks, handbook.Chunks(d)...)
	}
	if err := m.indexChunks(ctx, kw, chunks); err != nil {
		return st, err
	}
	for _, d := range changed {
		man[d.ID] = d.Hash
	}
	st.Added, st.Chunks = len(changed), len(chunks)
	if len(changed) > 0 || len(removed) > 0 {
		if err := writeManifest(kw, man); err != nil {
			return st, err
		}
	}
	return st, nil
}

func readManifest(kw Keyword) (manifest, error) {
	b, err := kw.GetInternal(manifestKey)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	man := manifest{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &man); err != nil {
			return nil, fmt.Errorf("decode manifest: %w", err)
		}
	}
	return man, nil
}

func writeManifest(kw Keyword, man manifest) error {
	b, err := json.Marshal(man)
	if err != nil {
		return err
	}
	if err := kw.SetInternal(manifestKey, b); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

// buildError says which build failed and, when the disk is full, says so
// first: that is the one an operator can act on. bleve formats the errors
// of its persister with %v, so ENOSPC is also recognised by its text, and
// wrapped again for callers.
func buildError(dir string, err error) error {
	if errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), syscall.ENOSPC.Error()) {
		return fmt.Errorf("build index in %s: the data directory's disk is full (%w); the previous index is still in use: %w", dir, syscall.ENOSPC, err)
	}
	return fmt.Errorf("build index in %s: %w", dir, err)
}

// removeStale deletes index directories other than keep (left by a crash
// mid-build or replaced by a rebuild), except those another live process
// is building.
func (m *Manager) removeStale(keep string) {
	entries, err := os.ReadDir(m.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, indexPrefix) || name == keep {
			continue
		}
		if base, ok := strings.CutSuffix(name, buildingSuffix); ok {
			// A marker whose directory is gone, or whose builder is dead.
			if _, err := os.Stat(filepath.Join(m.Dir, base)); errors.Is(err, os.ErrNotExist) || !m.beingBuilt(base) {
				os.Remove(filepath.Join(m.Dir, name))
			}
			continue
		}
		if !e.IsDir() || m.beingBuilt(name) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(m.Dir, name)); err != nil {
			m.log().Warn("remove stale index", "dir", name, "err", err)
			continue
		}
		m.log().Info("removed stale index", "dir", name)
	}
}

// beingBuilt reports whether a live process is building the index
// directory name: its marker names a running process (this one only while
// this Manager builds it).
func (m *Manager) beingBuilt(name string) bool {
	b, err := os.ReadFile(filepath.Join(m.Dir, name+buildingSuffix))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		// The process id of a killed build can come back, e.g. as PID 1
		// of a restarted container: only our own current build counts.
		m.mu.RLock()
		defer m.mu.RUnlock()
		return m.building == name
	}
	return processAlive(pid)
}

// processAlive reports whether a process with this id exists. On Windows
// FindProcess opens the process, so success means it exists; elsewhere it
// always succeeds and signal 0 asks the kernel.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if runtime.GOOS == "windows" {
		p.Release()
		return true
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// WriteFileAtomic writes data to a temporary file in the same directory,
// syncs it and renames it over path: readers see the old or the new file,
// never a torn one.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Ready reports whether an index is open.
func (m *Manager) Ready() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.cur != nil
}

// Close closes the current index.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil {
		return nil
	}
	err := m.cur.Close()
	m.cur = nil
	return err
}

var errNoIndex = fmt.Errorf("no index open: %w", handbook.ErrUnavailable)

// Index implements handbook.KeywordIndex on the current index.
func (m *Manager) Index(ctx context.Context, chunks []handbook.Chunk) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.cur == nil {
		return errNoIndex
	}
	return m.cur.Index(ctx, chunks)
}

// DeleteDocument implements handbook.KeywordIndex on the current index.
func (m *Manager) DeleteDocument(ctx context.Context, id string) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.cur == nil {
		return errNoIndex
	}
	return m.cur.DeleteDocument(ctx, id)
}

// Search implements handbook.KeywordIndex on the current index.
// SearchScratch is handbook.ScratchSearcher's, when the current index has
// it, and Search otherwise (release then does nothing).
func (m *Manager) SearchScratch(ctx context.Context, q handbook.Query, f handbook.Filter, k int) ([]handbook.Hit, func(), error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.cur == nil {
		return nil, nil, errNoIndex
	}
	if s, ok := m.cur.(handbook.ScratchSearcher); ok {
		return s.SearchScratch(ctx, q, f, k)
	}
	hits, err := m.cur.Search(ctx, q, f, k)
	return hits, func() {}, err
}

func (m *Manager) Search(ctx context.Context, q handbook.Query, f handbook.Filter, k int) ([]handbook.Hit, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.cur == nil {
		return nil, errNoIndex
	}
	return m.cur.Search(ctx, q, f, k)
}
