package indexer

import (
	"cmp"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"sotay/handbook"
)

// racyWindow: a file modified less than this before it was read may change
// again without its size or time changing (coarse file system clocks), so
// the next load compares its content hash instead of trusting its time.
const racyWindow = 2 * time.Second

// Loader loads a content tree again and again (at start, then on every
// change that -watch sees) and parses only the files that changed since its
// last load: the others keep their parsed document. The library is
// assembled, linted and given its term statistics as a full load would
// (see LoadAt), so the result is the same.
//
// A file counts as unchanged when its size and modification time are those
// of the last load and it was not modified just before that load was read;
// otherwise its content hash decides, so touching a file costs a read, not
// a parse. File systems without times (embedded content) are always compared
// by hash.
//
// With Cache set, the Loader keeps a snapshot of the parsed files there
// (Save), and its first load starts from it: a restart on unchanged content
// parses nothing. A snapshot that is missing, unreadable, corrupt or written
// by another build is ignored with a log line.
//
// A Loader is safe for concurrent use.
type Loader struct {
	FS fs.FS
	// Cache is the snapshot file; "" keeps the parsed files in memory only.
	Cache string
	// Version identifies the code that parses, so that a snapshot written
	// by another build is not used; "" means BuildVersion().
	Version string
	Log     *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	mu     sync.Mutex
	opened bool                 // the snapshot was read (or tried)
	files  map[string]*snapFile // by path, as of the last load; entries are never modified
	lib    *handbook.Library    // the last load's library
	base   *snapshot            // the snapshot, until the first load has used it
	dirty  bool                 // the state differs from the snapshot on disk
	saving sync.Mutex           // one Save at a time
	stats  LoadStats            // of the last load
	// release gives back the resident pages of the mapped snapshot (see
	// mapFile); nil when nothing is mapped.
	release func(b []byte)
}

// ReleasePages lets the system reclaim the pages of the mapped content
// snapshot that the process holds. Loading the snapshot reads all of it
// (checksums, lint, term statistics); a server then reads a small part
// again, which comes back from the page cache or the file as it is used.
// Call it once the work of a start is done. Safe to call at any time.
func (l *Loader) ReleasePages() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.release != nil {
		l.release(nil)
	}
}

// LoadStats says what a load did.
type LoadStats struct {
	Files        int  // content files found
	Parsed       int  // files parsed
	Hashed       int  // files read to compare their content hash
	Removed      int  // files gone since the last load
	FromSnapshot bool // the load started from the snapshot on disk
}

// Load reads the content tree as of today; see LoadAt.
func (l *Loader) Load(today handbook.Date) (*handbook.Library, LoadStats, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := l.now()
	listed, problems, err := listContent(l.FS)
	if err != nil {
		return nil, LoadStats{}, err
	}
	st := LoadStats{Files: len(listed)}
	if !l.opened {
		l.opened = true
		if l.Cache != "" {
			l.base = l.readSnapshot()
		}
		if l.base != nil {
			st.FromSnapshot = true
			l.files = make(map[string]*snapFile, len(l.base.Files))
			for _, f := range l.base.Files {
				l.files[f.Path] = f
			}
		} else {
			l.dirty = true
		}
	}

	// Which files need a look: those not known, or whose size or time
	// changed, or that were modified just before they were last read.
	entries := make([]*snapFile, len(listed))
	var todo []int
	for i, f := range listed {
		e := l.files[f.path]
		if e != nil && f.modTime != 0 && e.Size == f.size && e.ModTime == f.modTime && f.modTime < e.Checked-int64(racyWindow) {
			entries[i] = e
			continue
		}
		todo = append(todo, i)
	}
	checked := start.UnixNano()
	parsed := make([]bool, len(todo))
	forEach(len(todo), func(k int) {
		f := listed[todo[k]]
		entries[todo[k]], parsed[k] = readEntry(l.FS, f, l.files[f.path], checked)
	})
	for _, p := range parsed {
		if p {
			st.Parsed++
		} else {
			st.Hashed++
		}
	}
	files := make(map[string]*snapFile, len(entries))
	var docs []*handbook.Document
	for _, e := range entries {
		files[e.Path] = e
		if e.Doc != nil {
			docs = append(docs, e.Doc)
		}
		problems = append(problems, e.Problems...)
	}
	for p := range l.files {
		if files[p] == nil {
			st.Removed++
		}
	}

	th, thProblems, err := loadThesaurus(l.FS)
	if err != nil {
		return nil, LoadStats{}, err
	}
	problems = append(problems, thProblems...)
	lib := handbook.NewLibrary(docs, th, problems)
	lib.Problems = append(lib.Problems, handbook.Lint(lib, today)...)
	handbook.SortProblems(lib.Problems)

	// Term statistics from the previous library's (or the snapshot's),
	// corrected for the documents that changed.
	switch {
	case l.lib != nil:
		df, n := l.lib.TermStats()
		lib.DeriveTermStats(l.lib.All(), df, n)
	case l.base != nil:
		var prev []*handbook.Document
		for _, f := range l.base.Files {
			if f.InLib && f.Doc != nil {
				prev = append(prev, f.Doc)
			}
		}
		lib.DeriveTermStats(prev, l.base.DF, l.base.N)
	}
	l.base = nil
	if st.Parsed+st.Hashed+st.Removed > 0 || len(files) != len(l.files) {
		l.dirty = true
	}
	l.files, l.lib, l.stats = files, lib, st
	return lib, st, nil
}

// Save writes the snapshot of the last load to Cache, when there is one
// and it changed since it was read or last written.
func (l *Loader) Save() error {
	l.saving.Lock()
	defer l.saving.Unlock()
	l.mu.Lock()
	if l.Cache == "" || l.lib == nil || !l.dirty {
		l.mu.Unlock()
		return nil
	}
	lib, files := l.lib, make([]*snapFile, 0, len(l.files))
	for _, f := range l.files {
		files = append(files, f)
	}
	l.dirty = false
	l.mu.Unlock()

	err := l.write(lib, files)
	if err != nil {
		l.mu.Lock()
		l.dirty = true
		l.mu.Unlock()
	}
	return err
}

func (l *Loader) write(lib *handbook.Library, files []*snapFile) error {
	slices.SortFunc(files, func(a, b *snapFile) int { return cmp.Compare(a.Path, b.Path) })
	df, n := lib.TermStats()
	s := &snapshot{Version: l.version(), DF: df, N: n, Files: make([]*snapFile, len(files))}
	for i, f := range files {
		c := *f
		c.InLib = f.Doc != nil && lib.Docs[f.Doc.ID] == f.Doc
		s.Files[i] = &c
	}
	data, err := encodeSnapshot(s)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(l.Cache), 0o755); err != nil {
		return fmt.Errorf("write content snapshot: %w", err)
	}
	if err := WriteFileAtomic(l.Cache, data); err != nil {
		return fmt.Errorf("write content snapshot: %w", err)
	}
	return nil
}

// readSnapshot returns the snapshot in Cache, or nil (logged) when there
// is none that this build can use.
func (l *Loader) readSnapshot() *snapshot {
	log := l.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	data, release, err := mapFile(l.Cache)
	if errors.Is(err, fs.ErrNotExist) {
		log.Info("no content snapshot yet; parsing all content", "path", l.Cache)
		return nil
	}
	if err != nil {
		log.Warn("content snapshot not readable; parsing all content", "path", l.Cache, "err", err)
		return nil
	}
	v := l.version()
	if v == "" {
		log.Warn("build version unknown; content snapshot not used", "path", l.Cache)
		return nil
	}
	s, err := decodeSnapshot(data, v, release)
	if err != nil {
		if release != nil {
			release(nil)
		}
		log.Warn("content snapshot ignored; parsing all content", "path", l.Cache, "err", err)
		return nil
	}
	l.release = release
	return s
}

func (l *Loader) version() string {
	if l.Version != "" {
		return l.Version
	}
	return BuildVersion()
}

func (l *Loader) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// BuildVersion identifies the running executable by its Go build ID (a
// hash of everything it was built from), falling back to its size and
// modification time; "" when neither can be read.
var BuildVersion = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if f, err := elf.Open(exe); err == nil {
		defer f.Close()
		if s := f.Section(".note.go.buildid"); s != nil {
			if b, err := s.Data(); err == nil && len(b) > 0 {
				sum := sha256.Sum256(b)
				return "buildid:" + hex.EncodeToString(sum[:12])
			}
		}
	}
	st, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("exe:%d:%d", st.Size(), st.ModTime().UnixNano())
})

// readEntry reads a file that may have changed: when its bytes hash to
// those of prev it keeps prev's parse, otherwise it parses them (and says so).
func readEntry(fsys fs.FS, f listedFile, prev *snapFile, checked int64) (e *snapFile, parsed bool) {
	e = &snapFile{Path: f.path, Size: f.size, ModTime: f.modTime, Checked: checked}
	data, err := fs.ReadFile(fsys, f.path)
	if err != nil {
		// Size -1 matches no file: the next load reads it again.
		e.Size = -1
		e.Problems = []handbook.Problem{{Path: f.path, Line: 1, Severity: handbook.SeverityError,
			Message: fmt.Sprintf("read: %s; file skipped", err)}}
		return e, true
	}
	e.Hash = sha256.Sum256(data)
	if prev != nil && prev.Size >= 0 && prev.Hash == e.Hash {
		e.Doc, e.Problems = prev.Doc, prev.Problems
		return e, false
	}
	e.Doc, e.Problems = parseData(f.path, data)
	return e, true
}

// listedFile is a content file found by listContent.
type listedFile struct {
	path    string
	size    int64
	modTime int64 // UnixNano, 0 when unknown
}

// forEach runs f(0..n-1) on every CPU.
func forEach(n int, f func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(n, 1)) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
