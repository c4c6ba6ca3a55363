package synth_test

import (
	"bytes"
	"maps"
	"slices"
	"testing"
	"testing/fstest"

	"sotay/content"
	"sotay/handbook"
	"sotay/indexer"
	"sotay/internal/synth"
)

func model(t *testing.T) *synth.Model {
	t.Helper()
	lib, err := indexer.Load(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	return synth.NewModel(lib)
}

func generate(t *testing.T, m *synth.Model, o synth.Options) (fstest.MapFS, synth.Summary, []synth.Query) {
	t.Helper()
	fsys := fstest.MapFS{}
	sum, qs, err := m.Generate(o, func(name string, data []byte) error {
		if _, dup := fsys[name]; dup {
			t.Errorf("Generate wrote %s twice", name)
		}
		fsys[name] = &fstest.MapFile{Data: data}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fsys, sum, qs
}

// TestGenerateLoads checks that a generated corpus is valid content: it loads
// without errors, has the chunk count the summary reports, and every query
// points at a place that exists.
func TestGenerateLoads(t *testing.T) {
	m := model(t)
	fsys, sum, qs := generate(t, m, synth.Options{Chunks: 1500, Queries: 200, Seed: 7})
	lib, err := indexer.LoadAt(fsys, handbook.MustDate("2026-06-01"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range lib.Problems {
		if p.Severity == handbook.SeverityError {
			t.Errorf("problem: %s", p)
		}
	}
	if len(lib.Docs) != sum.Documents {
		t.Errorf("loaded %d documents, summary says %d", len(lib.Docs), sum.Documents)
	}
	chunks := lib.Chunks()
	if len(chunks) != sum.Chunks {
		t.Errorf("library has %d chunks, summary says %d", len(chunks), sum.Chunks)
	}
	if sum.Chunks < 1500 || sum.Chunks > 1500+4 {
		t.Errorf("Chunks = %d, want about 1500", sum.Chunks)
	}
	procs := 0
	for _, c := range chunks {
		if c.Kind == handbook.KindProcedure {
			procs++
		}
	}
	if share := float64(procs) / float64(len(chunks)); share < 0.15 || share > 0.25 {
		t.Errorf("procedure share of chunks = %.2f, want about 0.2", share)
	}
	if len(qs) != 200 {
		t.Fatalf("got %d queries, want 200", len(qs))
	}
	folded := 0
	for _, q := range qs {
		if len(q.Relevant) != 1 {
			t.Fatalf("query %s has %d relevant entries", q.ID, len(q.Relevant))
		}
		r := q.Relevant[0]
		d, ok := lib.Doc(r.Doc)
		if !ok {
			t.Errorf("query %s: unknown document %s", q.ID, r.Doc)
			continue
		}
		if _, ok := d.Section(r.Anchor); r.Anchor != "" && !ok {
			t.Errorf("query %s: %s has no anchor %s", q.ID, r.Doc, r.Anchor)
		}
		if !handbook.HasDiacritics(q.Query) {
			folded++
		}
	}
	if folded < 80 || folded > 120 {
		t.Errorf("%d of 200 queries without diacritics, want about half", folded)
	}
	// The set reads back as a gold set.
	b, err := synth.MarshalQueries(qs)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := handbook.ReadEvalCases(bytes.NewReader(b), "queries.jsonl")
	if err != nil || len(cases) != len(qs) {
		t.Fatalf("ReadEvalCases = %d cases, %v", len(cases), err)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	m := model(t)
	a, _, qa := generate(t, m, synth.Options{Chunks: 300, Queries: 20, Seed: 3})
	b, _, qb := generate(t, m, synth.Options{Chunks: 300, Queries: 20, Seed: 3})
	if !slices.Equal(slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b))) {
		t.Fatal("same seed, different files")
	}
	for name := range a {
		if !bytes.Equal(a[name].Data, b[name].Data) {
			t.Errorf("same seed, %s differs", name)
		}
	}
	if !slices.EqualFunc(qa, qb, func(x, y synth.Query) bool { return x.Query == y.Query }) {
		t.Error("same seed, different queries")
	}
	c, _, _ := generate(t, m, synth.Options{Chunks: 300, Queries: 20, Seed: 4})
	if bytes.Equal(a["regulations/vb-00001.md"].Data, c["regulations/vb-00001.md"].Data) {
		t.Error("another seed gave the same first regulation")
	}
}
