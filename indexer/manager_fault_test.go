package indexer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"sotay/handbook"
	"sotay/indexer"
	"sotay/indexer/bleve"
)

// A full disk under the data directory must not cost the index that is
// serving: a rebuild that runs out of space fails with an error that says
// so, leaves CURRENT and the old index as they were, and removes its own
// half-written directory.

// faultLibrary returns n regulations of ten articles each; every article
// mentions word, so searches can tell libraries apart.
func faultLibrary(n int, word string) *handbook.Library {
	var docs []*handbook.Document
	for i := range n {
		d := &handbook.Document{ID: fmt.Sprintf("regulations/vb-%d", i), Kind: handbook.KindRegulation, Title: fmt.Sprintf("Nghị định %d về %s", i, word),
			Audience: handbook.AudiencePublic, Status: handbook.StatusPublished, Hash: fmt.Sprint(word, i),
			Regulation: &handbook.Regulation{Number: fmt.Sprintf("%d/2020/NĐ-CP", i+1)}}
		for a := 1; a <= 10; a++ {
			d.Sections = append(d.Sections, handbook.Section{Kind: handbook.SectionArticle, Anchor: fmt.Sprintf("dieu-%d", a),
				Heading: fmt.Sprintf("Điều %d. Quy định về %s số %d", a, word, a),
				Text:    strings.Repeat(fmt.Sprintf("Công dân đăng ký %s tại Ủy ban nhân dân cấp xã theo khoản %d. ", word, a), 8)})
		}
		docs = append(docs, d)
	}
	return handbook.NewLibrary(docs, nil, nil)
}

// faultyKeyword fails every Index call after the first okBatches with a
// disk-full error, as bleve does when a segment cannot be written.
type faultyKeyword struct {
	indexer.Keyword
	okBatches int
}

func (k *faultyKeyword) Index(ctx context.Context, chunks []handbook.Chunk) error {
	if k.okBatches <= 0 {
		return fmt.Errorf("persist segment: write /data/index/000000000004.zap: %w", syscall.ENOSPC)
	}
	k.okBatches--
	return k.Keyword.Index(ctx, chunks)
}

func openBleve(dir string) (indexer.Keyword, error) { return bleve.Open(dir) }

func indexDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "bleve-") {
			out = append(out, e.Name())
		}
	}
	return out
}

func current(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// searchWord returns the documents of the hits for word.
func searchWord(t *testing.T, kw handbook.KeywordIndex, word string) int {
	t.Helper()
	hits, err := kw.Search(t.Context(), handbook.Query{Raw: word, Terms: []string{word}, Exact: []string{word}}, handbook.Filter{}, 10)
	if err != nil {
		t.Fatalf("Search(%q) error = %v", word, err)
	}
	return len(hits)
}

// checkOldIndexServes asserts that after a failed rebuild the data
// directory holds exactly the old index, and that it answers both in this
// Manager and after a restart.
func checkOldIndexServes(t *testing.T, m *indexer.Manager, dir, before string) {
	t.Helper()
	if got := current(t, dir); got != before {
		t.Errorf("CURRENT = %s after the failed rebuild, want %s", got, before)
	}
	if got := indexDirs(t, dir); len(got) != 1 || got[0] != before {
		t.Errorf("index directory holds %q, want only %s (the failed build removed)", got, before)
	}
	if n := searchWord(t, m, "zebra"); n == 0 {
		t.Error("the old index no longer answers")
	}
	if n := searchWord(t, m, "quokka"); n != 0 {
		t.Errorf("the half-built index leaked into searches: %d hits", n)
	}
	// A restart: bleve locks an open index, so close this one first.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	again := &indexer.Manager{Dir: dir, Open: openBleve}
	defer again.Close()
	if ok, err := again.OpenCurrent(); !ok || err != nil {
		t.Fatalf("OpenCurrent after the failed rebuild = %v, %v", ok, err)
	}
	if n := searchWord(t, again, "zebra"); n == 0 {
		t.Error("after a restart the old index does not answer")
	}
}

func TestRebuildOnFullDiskKeepsOldIndex(t *testing.T) {
	dir := t.TempDir()
	full := false
	m := &indexer.Manager{Dir: dir, Open: func(d string) (indexer.Keyword, error) {
		kw, err := bleve.Open(d)
		if err != nil || !full {
			return kw, err
		}
		return &faultyKeyword{Keyword: kw, okBatches: 1}, nil
	}}
	defer m.Close()
	if _, err := m.Sync(t.Context(), faultLibrary(2, "zebra"), true); err != nil {
		t.Fatal(err)
	}
	before := current(t, dir)

	full = true
	_, err := m.Sync(t.Context(), faultLibrary(300, "quokka"), true)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("rebuild on a full disk: error %v, want one wrapping ENOSPC", err)
	}
	if !strings.Contains(err.Error(), "disk is full") {
		t.Errorf("error %q does not say the disk is full", err)
	}
	checkOldIndexServes(t, m, dir, before)
}

// TestRebuildOnFullTmpfs fills a real, tiny file system (tmpfs), so that
// bleve itself meets ENOSPC wherever it happens to write. It needs root to
// mount and skips otherwise.
func TestRebuildOnFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; the injected fault is tested in TestRebuildOnFullDiskKeepsOldIndex")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (%v: %s); the injected fault is tested in TestRebuildOnFullDiskKeepsOldIndex", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	m := &indexer.Manager{Dir: dir, Open: openBleve}
	defer m.Close()
	if _, err := m.Sync(t.Context(), faultLibrary(2, "zebra"), true); err != nil {
		t.Fatalf("first build on the tmpfs: %v", err)
	}
	before := current(t, dir)
	_, err := m.Sync(t.Context(), faultLibrary(400, "quokka"), true)
	if err == nil {
		t.Fatal("a rebuild larger than the disk succeeded; make the library bigger")
	}
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "disk is full") {
		t.Errorf("rebuild on a full tmpfs: error %q, want one that says the disk is full (wrapping ENOSPC)", err)
	}
	checkOldIndexServes(t, m, dir, before)
}

// TestOpenCurrentRemovesDeadBuilds: a build killed mid-way leaves its
// directory and marker; the next start removes them, but never a build
// that a live process is still writing.
func TestOpenCurrentRemovesDeadBuilds(t *testing.T) {
	dir := t.TempDir()
	m := &indexer.Manager{Dir: dir, Open: openBleve}
	if _, err := m.Sync(t.Context(), faultLibrary(1, "zebra"), true); err != nil {
		t.Fatal(err)
	}
	m.Close()
	cur := current(t, dir)
	mkBuild := func(name string, pid int) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "root.bolt"), []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
		if pid != 0 {
			if err := os.WriteFile(filepath.Join(dir, name+".building"), []byte(fmt.Sprint(pid)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A dead builder: a child process that has exited.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	mkBuild("bleve-20990101T000000.000000001", cmd.Process.Pid)
	mkBuild("bleve-20990101T000000.000000002", 0) // from before markers existed
	// A live builder: the test's parent (go test) is running.
	mkBuild("bleve-20990101T000000.000000003", os.Getppid())
	// Our own pid, but not our build: a recycled pid (PID 1 in containers).
	mkBuild("bleve-20990101T000000.000000004", os.Getpid())

	again := &indexer.Manager{Dir: dir, Open: openBleve}
	defer again.Close()
	if ok, err := again.OpenCurrent(); !ok || err != nil {
		t.Fatalf("OpenCurrent = %v, %v", ok, err)
	}
	got := indexDirs(t, dir)
	want := []string{cur, "bleve-20990101T000000.000000003", "bleve-20990101T000000.000000003.building"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("after OpenCurrent the index directory holds %q, want %q", got, want)
	}
}
