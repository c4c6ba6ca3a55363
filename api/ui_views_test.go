package api

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// TestLoadViewsNamesBrokenTemplate: a broken template stops the server at
// start-up with the file named, instead of failing on first use. It is an
// internal test because the embedded assets cannot be swapped from outside.
func TestLoadViewsNamesBrokenTemplate(t *testing.T) {
	good := fstest.MapFS{}
	err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		good[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadViews(good); err != nil {
		t.Fatalf("loadViews(embedded assets) = %v", err)
	}
	tests := []struct {
		name, file, text, want string
	}{
		{"unclosed action", "templates/pages/search.html", `{{define "title"}}x{{end}}{{define "main"}}{{if .Q}}{{end}}`, "templates/pages/search.html"},
		{"bad partial", "templates/partials/parts.html", `{{define "doc-list"}}{{range}}{{end}}`, "templates/partials/parts.html"},
		{"no main block", "templates/pages/offline.html", `{{define "title"}}x{{end}}`, `templates/pages/offline.html: no "main" block`},
		{"unknown function", "templates/pages/home.html", `{{define "title"}}x{{end}}{{define "main"}}{{nosuchfunc}}{{end}}`, "templates/pages/home.html"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			broken := fstest.MapFS{}
			for k, v := range good {
				broken[k] = v
			}
			broken[tc.file] = &fstest.MapFile{Data: []byte(tc.text)}
			_, err := loadViews(broken)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("loadViews with broken %s = %v, want an error naming %q", tc.file, err, tc.want)
			}
		})
	}
	missing := fstest.MapFS{}
	for k, v := range good {
		if k != "templates/pages/drafts.html" {
			missing[k] = v
		}
	}
	if _, err := loadViews(missing); err == nil || !strings.Contains(err.Error(), "drafts.html") {
		t.Errorf("loadViews without drafts.html = %v", err)
	}
}
