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
	"sort"
	"strings"
	"sync"
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

// Progress reports indexing progress: done of total chunks.
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

	mu      sync.RWMutex // guards cur; held for reading during searches
	cur     Keyword
	curName string
	syncMu  sync.Mutex // one sync at a time
}

var _ handbook.KeywordIndex = (*Manager)(nil)

const (
	pointerFile = "CURRENT"
	manifestKey = "manifest"
	completeKey = "complete"
	indexPrefix = "bleve-"
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
	kw, err := m.Open(dir)
	if err != nil {
		return Stats{}, err
	}
	fail := func(err error) (Stats, error) {
		kw.Close()
		os.RemoveAll(dir)
		return Stats{}, err
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
	if err := kw.SetInternal(completeKey, []byte("1")); err != nil {
		return fail(fmt.Errorf("mark index complete: %w", err))
	}
	if err := writeFileAtomic(filepath.Join(m.Dir, pointerFile), []byte(name+"\n")); err != nil {
		return fail(fmt.Errorf("switch index pointer: %w", err))
	}
	m.swap(kw, name)
	m.removeStale(name)
	return Stats{Rebuilt: true, Added: len(lib.Docs), Chunks: len(chunks)}, nil
}

func (m *Manager) indexChunks(ctx context.Context, kw Keyword, chunks []handbook.Chunk) error {
	const step = 1000
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

// removeStale deletes index directories other than keep (left by a crash
// mid-build or replaced by a rebuild).
func (m *Manager) removeStale(keep string) {
	entries, err := os.ReadDir(m.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), indexPrefix) && e.Name() != keep {
			if err := os.RemoveAll(filepath.Join(m.Dir, e.Name())); err != nil {
				m.log().Warn("remove stale index", "dir", e.Name(), "err", err)
			}
		}
	}
}

// writeFileAtomic writes data to a temporary file in the same directory,
// syncs it and renames it over path.
func writeFileAtomic(path string, data []byte) error {
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
func (m *Manager) Search(ctx context.Context, q handbook.Query, f handbook.Filter, k int) ([]handbook.Hit, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.cur == nil {
		return nil, errNoIndex
	}
	return m.cur.Search(ctx, q, f, k)
}
