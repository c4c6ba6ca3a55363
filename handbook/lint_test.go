package handbook_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"sotay/handbook"
	"sotay/handbook/markdown"
)

// TestLint runs one fixture per lint rule: testdata/lint/*.txtar hold a
// content tree and, in "want", every problem Lint must report for it. A
// line "today: YYYY-MM-DD" in the comment sets the date (default
// 2026-11-26). The files are parsed with handbook/markdown, so line numbers
// are the real ones.
func TestLint(t *testing.T) {
	files, err := filepath.Glob("testdata/lint/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/lint (%v)", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			today := handbook.MustDate("2026-11-26")
			for _, l := range strings.Split(string(a.Comment), "\n") {
				if d, ok := strings.CutPrefix(l, "today: "); ok {
					today = handbook.MustDate(d)
				}
			}
			var docs []*handbook.Document
			var want []string
			for _, f := range a.Files {
				if f.Name == "want" {
					want = nonEmptyLines(string(f.Data))
					continue
				}
				doc, problems, err := markdown.Parse(f.Name, f.Data)
				if err != nil {
					t.Fatalf("fixture %s: %v", f.Name, err)
				}
				for _, p := range problems {
					t.Errorf("fixture %s: parse problem %s", f.Name, p)
				}
				docs = append(docs, doc)
			}
			lib := handbook.NewLibrary(docs, nil, nil)
			var got []string
			for _, p := range handbook.Lint(lib, today) {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Lint (-want +got):\n%s", diff)
			}
		})
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
