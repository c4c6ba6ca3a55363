package indexer_test

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"sotay/handbook"
	"sotay/indexer"
)

// writeTree writes the generated regulations and the broken files of
// load.txtar to a directory, with modification times in the past (a file
// written just now is compared by hash, not trusted by its time).
func writeTree(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	files := generated(n)
	maps.Copy(files, loadTxtar(t, "load.txtar"))
	old := time.Now().Add(-time.Hour)
	for name, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sameLibrary fails unless got has the documents, problems and term
// statistics of a full load of dir.
func sameLibrary(t *testing.T, got *handbook.Library, dir string) {
	t.Helper()
	want, err := indexer.LoadAt(os.DirFS(dir), today)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(decoded(got.All()...), decoded(want.All()...)) {
		t.Errorf("documents differ from a full load: %d vs %d", len(got.All()), len(want.All()))
		for id, d := range want.Docs {
			if !reflect.DeepEqual(decoded(got.Docs[id]), decoded(d)) {
				t.Errorf("document %s differs", id)
			}
		}
	}
	if !reflect.DeepEqual(got.Problems, want.Problems) {
		t.Errorf("problems = %v\nwant %v", got.Problems, want.Problems)
	}
	gdf, gn := got.TermStats()
	wdf, wn := want.TermStats()
	if gn != wn || !maps.Equal(gdf, wdf) {
		t.Errorf("term statistics differ from a full load: %d chunks and %d terms, want %d and %d", gn, len(gdf), wn, len(wdf))
	}
}

// decoded returns copies of docs with their sections decoded
// (Document.SectionList), for reflect.DeepEqual: a document from the
// content snapshot holds a function that decodes them instead.
func decoded(docs ...*handbook.Document) []*handbook.Document {
	out := make([]*handbook.Document, len(docs))
	for i, d := range docs {
		if d == nil {
			continue
		}
		c := *d
		c.Sections = d.SectionList()
		c.SetSectionLoader(nil, nil)
		out[i] = &c
	}
	return out
}

func load(t *testing.T, l *indexer.Loader) (*handbook.Library, indexer.LoadStats) {
	t.Helper()
	lib, st, err := l.Load(today)
	if err != nil {
		t.Fatal(err)
	}
	return lib, st
}

func TestLoaderSnapshot(t *testing.T) {
	dir := writeTree(t, 12)
	cache := filepath.Join(t.TempDir(), "data", "content.bin")
	newLoader := func(version string) *indexer.Loader {
		return &indexer.Loader{FS: os.DirFS(dir), Cache: cache, Version: version}
	}

	l := newLoader("v1")
	lib, st := load(t, l)
	if st.FromSnapshot || st.Parsed != st.Files || st.Files != 17 {
		t.Fatalf("first load: %+v, want 17 files parsed", st)
	}
	sameLibrary(t, lib, dir)
	if err := l.Save(); err != nil {
		t.Fatal(err)
	}

	t.Run("unchanged", func(t *testing.T) {
		lib, st := load(t, newLoader("v1"))
		if !st.FromSnapshot || st.Parsed != 0 || st.Hashed != 0 {
			t.Errorf("load = %+v, want everything from the snapshot", st)
		}
		sameLibrary(t, lib, dir)
	})
	t.Run("other version", func(t *testing.T) {
		lib, st := load(t, newLoader("v2"))
		if st.FromSnapshot || st.Parsed != st.Files {
			t.Errorf("load = %+v, want the snapshot ignored", st)
		}
		sameLibrary(t, lib, dir)
	})
	data, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"flipped byte": func() []byte { b := append([]byte(nil), data...); b[len(b)*2/3] ^= 0x40; return b }(),
		"truncated":    data[:len(data)-100],
		"empty":        nil,
		"not one":      []byte("---\ntitle: x\n---\n"),
	} {
		t.Run(name, func(t *testing.T) {
			bcache := filepath.Join(t.TempDir(), "content.bin")
			if err := os.WriteFile(bcache, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			lib, st := load(t, &indexer.Loader{FS: os.DirFS(dir), Cache: bcache, Version: "v1"})
			if st.FromSnapshot || st.Parsed != st.Files {
				t.Errorf("load = %+v, want the snapshot ignored", st)
			}
			sameLibrary(t, lib, dir)
		})
	}

	t.Run("edited, added, removed", func(t *testing.T) {
		edit := filepath.Join(dir, "regulations", "nd-3.md")
		b, err := os.ReadFile(edit)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(edit, append(b, "\n3. Khoản mới về chứng thực điện tử.\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		b5, _ := os.ReadFile(filepath.Join(dir, "regulations", "nd-5.md"))
		if err := os.WriteFile(filepath.Join(dir, "regulations", "nd-new.md"), b5, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(dir, "regulations", "nd-7.md")); err != nil {
			t.Fatal(err)
		}
		l := newLoader("v1")
		lib, st := load(t, l)
		if !st.FromSnapshot || st.Parsed != 2 || st.Removed != 1 {
			t.Errorf("load = %+v, want 2 files parsed and 1 removed", st)
		}
		sameLibrary(t, lib, dir)

		// The same loader again, after one more edit in memory only.
		if err := os.WriteFile(edit, b, 0o644); err != nil {
			t.Fatal(err)
		}
		lib, st = load(t, l)
		if st.Parsed != 1 {
			t.Errorf("reload = %+v, want 1 file parsed", st)
		}
		sameLibrary(t, lib, dir)
		if err := l.Save(); err != nil {
			t.Fatal(err)
		}
		lib, st = load(t, newLoader("v1"))
		if !st.FromSnapshot || st.Parsed != 0 {
			t.Errorf("load after save = %+v, want nothing parsed", st)
		}
		sameLibrary(t, lib, dir)
	})
}

// A file rewritten with the same size within the same clock tick as it
// was read is caught by its hash.
func TestLoaderRacyFile(t *testing.T) {
	dir := writeTree(t, 3)
	p := filepath.Join(dir, "regulations", "nd-1.md")
	now := time.Now()
	if err := os.Chtimes(p, now, now); err != nil {
		t.Fatal(err)
	}
	l := &indexer.Loader{FS: os.DirFS(dir)}
	load(t, l)
	b, _ := os.ReadFile(p)
	b[len(b)-3] = 'X'
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, now, now); err != nil {
		t.Fatal(err)
	}
	lib, st := load(t, l)
	if st.Parsed != 1 {
		t.Errorf("load = %+v, want the racy file parsed", st)
	}
	sameLibrary(t, lib, dir)
}
