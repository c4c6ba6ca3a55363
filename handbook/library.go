package handbook

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// Severity of a lint problem.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Problem is one finding about the content, printed as
// "path:line: error: message".
type Problem struct {
	Path     string   `json:"path"`
	Line     int      `json:"line"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", p.Path, max(p.Line, 1), p.Severity, p.Message)
}

// Library is the loaded knowledge base: every document that parsed, the
// thesaurus, and the problems found while loading. A Library is immutable
// once built; reloading builds a new one.
type Library struct {
	Docs      map[string]*Document
	Thesaurus *Thesaurus
	Problems  []Problem
	order     []string
	stats     atomic.Pointer[termStats] // set once, by TermStats or DeriveTermStats
	owners    atomic.Pointer[map[string]string]
}

// FieldOwner returns the most common owner of the documents in a field
// (compared folded), the first to reach that count in All's order on a tie;
// "" when no document of the field names one. The table is built on first
// use, once per library: the question log asks for every question whose
// results name no owner, and walking every document each time was a
// library-sized loop per search.
func (l *Library) FieldOwner(field string) string {
	m := l.owners.Load()
	if m == nil {
		best := map[string]string{}
		count := map[[2]string]int{}
		for _, d := range l.All() {
			f := d.Field()
			if d.Owner == "" || f == "" {
				continue
			}
			f = Fold(f)
			k := [2]string{f, d.Owner}
			count[k]++
			if b, ok := best[f]; !ok || count[k] > count[[2]string{f, b}] {
				best[strings.Clone(f)] = strings.Clone(d.Owner)
			}
		}
		l.owners.CompareAndSwap(nil, &best)
		m = l.owners.Load()
	}
	return (*m)[Fold(field)]
}

// termStats are the chunk frequencies of a library's folded syllables.
type termStats struct {
	df map[string]int
	n  int
}

// NewLibrary builds a library from parsed documents. Later duplicates of an
// id are dropped with an error problem.
func NewLibrary(docs []*Document, th *Thesaurus, problems []Problem) *Library {
	lib := &Library{Docs: make(map[string]*Document, len(docs)), Thesaurus: th, Problems: problems}
	if lib.Thesaurus == nil {
		lib.Thesaurus = &Thesaurus{}
	}
	for _, d := range docs {
		if prev, dup := lib.Docs[d.ID]; dup {
			lib.Problems = append(lib.Problems, Problem{Path: d.Path, Line: 1, Severity: SeverityError,
				Message: fmt.Sprintf("duplicate document id %q (also %s)", d.ID, prev.Path)})
			continue
		}
		// The key is a copy: a document loaded from the content snapshot
		// has its strings in a file mapping, and every lookup compares
		// keys, so keys left there kept pages of it resident (see
		// indexer/snapshot.go).
		id := strings.Clone(d.ID)
		lib.Docs[id] = d
		lib.order = append(lib.order, id)
	}
	// Sort keys are computed once per title: comparing titles with the
	// collator on every comparison took a tenth of a second at 7,000 documents.
	col := collate.New(language.Vietnamese)
	var buf collate.Buffer
	keys := make(map[string][]byte, len(lib.order))
	for _, id := range lib.order {
		keys[id] = slices.Clone(col.KeyFromString(&buf, lib.Docs[id].Title))
		buf.Reset()
	}
	slices.SortStableFunc(lib.order, func(a, b string) int {
		if c := strings.Compare(string(lib.Docs[a].Kind), string(lib.Docs[b].Kind)); c != 0 {
			return c
		}
		return bytes.Compare(keys[a], keys[b])
	})
	return lib
}

// Doc returns the document with the given id.
func (l *Library) Doc(id string) (*Document, bool) {
	d, ok := l.Docs[id]
	return d, ok
}

// All returns every document, by kind then Vietnamese title order.
func (l *Library) All() []*Document {
	out := make([]*Document, 0, len(l.order))
	for _, id := range l.order {
		out = append(out, l.Docs[id])
	}
	return out
}

// Visible reports whether a caller with the given audience may see d.
func Visible(d *Document, a Audience) bool {
	return d.Audience != AudienceInternal || a == AudienceInternal
}

// Chunks returns the chunks of every document in the library.
func (l *Library) Chunks() []Chunk {
	var out []Chunk
	for _, d := range l.All() {
		out = append(out, Chunks(d)...)
	}
	return out
}

// Vocabulary returns the folded syllables that occur in the library's
// chunks, titles and thesaurus; the analyzer repairs typos toward it.
func (l *Library) Vocabulary() map[string]struct{} {
	df, _ := l.TermStats()
	v := make(map[string]struct{}, len(df))
	for t := range df {
		v[t] = struct{}{}
	}
	if l.Thesaurus != nil {
		for _, e := range l.Thesaurus.entries {
			for _, t := range e.folded {
				v[t] = struct{}{}
			}
			for _, p := range e.expand {
				for _, t := range FoldedSyllables(p) {
					v[t] = struct{}{}
				}
			}
		}
	}
	return v
}

// TermStats returns, for every folded syllable, the number of chunks that
// contain it, and the number of chunks. The reranker weighs query syllables
// by the resulting idf, so that a run of common words ("theo quy định của")
// counts for less than a run of rare ones ("giấy chứng sinh").
//
// The statistics are computed once per library (or derived from an earlier
// library's, see DeriveTermStats); the map is shared and must not be modified.
func (l *Library) TermStats() (df map[string]int, n int) {
	if s := l.stats.Load(); s != nil {
		return s.df, s.n
	}
	df = map[string]int{}
	for _, d := range l.All() {
		n += addDocTermStats(df, d, 1)
	}
	l.stats.CompareAndSwap(nil, &termStats{df: df, n: n})
	s := l.stats.Load()
	return s.df, s.n
}

// DeriveTermStats gives l the statistics of TermStats without tokenizing
// every chunk: prev are the documents of an earlier library, whose
// statistics were df and n; only the documents that are not in both (by
// pointer: a reload that keeps a parsed document keeps the pointer) are
// tokenized, to take their chunks out or add them. df is not modified. The
// result is what TermStats would compute from scratch. It does nothing when
// l already has statistics.
func (l *Library) DeriveTermStats(prev []*Document, df map[string]int, n int) {
	if l.stats.Load() != nil {
		return
	}
	was := make(map[*Document]bool, len(prev))
	for _, d := range prev {
		was[d] = true
	}
	var added []*Document
	for _, id := range l.order {
		d := l.Docs[id]
		if was[d] {
			delete(was, d)
		} else {
			added = append(added, d)
		}
	}
	// What is left in was are the documents that are gone.
	if len(added) > 0 || len(was) > 0 {
		df = maps.Clone(df)
		for d := range was {
			n -= addDocTermStats(df, d, -1)
		}
		for _, d := range added {
			n += addDocTermStats(df, d, 1)
		}
	}
	l.stats.CompareAndSwap(nil, &termStats{df: df, n: n})
}

// addDocTermStats adds sign (1 or -1) to df for every folded syllable of
// each chunk of d that contains it, dropping syllables that reach 0, and
// returns the number of chunks.
func addDocTermStats(df map[string]int, d *Document, sign int) int {
	chunks := Chunks(d)
	seen := map[string]bool{}
	for _, c := range chunks {
		clear(seen)
		for _, t := range FoldedSyllables(c.Title + " " + strings.Join(c.Aliases, " ") + " " + c.Heading + " " + c.Text) {
			if !seen[t] {
				seen[t] = true
				if df[t] += sign; df[t] == 0 {
					delete(df, t)
				}
			}
		}
	}
	return len(chunks)
}
