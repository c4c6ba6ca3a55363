package api

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"path"
	"sort"
	"strings"
)

// assets holds the web UI: html/template files under templates/ and the
// vendored CSS, JavaScript and icons under static/. Nothing is fetched from
// a CDN: commune networks are slow or filtered, and the one-stop desk must
// work with no internet at all.
//
//go:embed templates static
var assets embed.FS

// staticFile is one file under static/, with the short content hash that
// versions its URL (so browsers may cache it for long).
type staticFile struct {
	name string
	body []byte
	hash string
	mime string
}

// views are the parsed page templates and the static files. They are built
// once by New; a broken template stops the server from starting.
type views struct {
	pages map[string]*template.Template
	// standalone are documents without the layout (templates/standalone).
	standalone map[string]*template.Template
	static     map[string]*staticFile
	// version changes whenever any static file changes; the service
	// worker uses it to name its cache.
	version string
}

// loadViews parses every page under templates/pages/ together with
// templates/layout.html and templates/partials/*.html. A page that fails to
// parse is named in the error.
func loadViews(fsys fs.FS) (*views, error) {
	v := &views{pages: map[string]*template.Template{}, standalone: map[string]*template.Template{}, static: map[string]*staticFile{}}
	if err := v.loadStatic(fsys); err != nil {
		return nil, err
	}
	shared := []string{"templates/layout.html"}
	partials, err := fs.Glob(fsys, "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("list partial templates: %w", err)
	}
	shared = append(shared, partials...)
	pages, err := fs.Glob(fsys, "templates/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("list page templates: %w", err)
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("no page templates under templates/pages")
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		t := template.New(name).Funcs(v.funcs())
		for _, f := range append(append([]string(nil), shared...), p) {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, fmt.Errorf("read template %s: %w", f, err)
			}
			if _, err := t.New(path.Base(f)).Parse(string(b)); err != nil {
				return nil, fmt.Errorf("parse template %s (page %s): %w", f, name, err)
			}
		}
		for _, block := range []string{"layout", "title", "main"} {
			if t.Lookup(block) == nil {
				return nil, fmt.Errorf("template %s: no %q block", p, block)
			}
		}
		v.pages[name] = t
	}
	alone, err := fs.Glob(fsys, "templates/standalone/*.html")
	if err != nil {
		return nil, fmt.Errorf("list standalone templates: %w", err)
	}
	for _, p := range alone {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read template %s: %w", p, err)
		}
		name := strings.TrimSuffix(path.Base(p), ".html")
		t, err := template.New(name).Funcs(v.funcs()).Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", p, err)
		}
		v.standalone[name] = t
	}
	if v.standalone["draft_preview"] == nil {
		return nil, fmt.Errorf("missing template templates/standalone/draft_preview.html")
	}
	for _, need := range requiredPages {
		if v.pages[need] == nil {
			return nil, fmt.Errorf("missing page template templates/pages/%s.html", need)
		}
	}
	return v, nil
}

// requiredPages are the templates the handlers render; a missing one is an
// error at start-up rather than a 500 on first use (miniflux engine.go).
var requiredPages = []string{"home", "search", "docs", "procedure", "regulation", "document",
	"ask", "drafts", "qr_sheet", "offline", "error", "login", "tickets", "ticket", "analytics", "feedback"}

func (v *views) loadStatic(fsys fs.FS) error {
	all := sha256.New()
	var names []string
	err := fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list static files: %w", err)
	}
	sort.Strings(names)
	for _, p := range names {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read static file %s: %w", p, err)
		}
		sum := sha256.Sum256(b)
		all.Write(sum[:])
		name := strings.TrimPrefix(p, "static/")
		typ := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) { // not every system's mime table knows these
		case ".js":
			typ = "text/javascript; charset=utf-8"
		case ".css":
			typ = "text/css; charset=utf-8"
		case ".svg":
			typ = "image/svg+xml"
		}
		if typ == "" {
			typ = "application/octet-stream"
		}
		v.static[name] = &staticFile{name: name, body: b, hash: hex.EncodeToString(sum[:])[:10], mime: typ}
	}
	v.version = hex.EncodeToString(all.Sum(nil))[:10]
	return nil
}

// asset returns the versioned URL of a static file. An unknown name is a
// programming error caught by the page tests (they render every page).
func (v *views) asset(name string) (string, error) {
	f, ok := v.static[name]
	if !ok {
		return "", fmt.Errorf("unknown static file %q", name)
	}
	return "/static/" + f.name + "?v=" + f.hash, nil
}

func (v *views) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":         v.asset,
		"kindLabel":     kindLabel,
		"kindPlural":    kindPlural,
		"validityLabel": validityLabel,
		"docURL":        docURL,
		"add":           func(a, b int) int { return a + b },
		"join":          strings.Join,
	}
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 instead of half a page.
func (v *views) render(name string, data any) ([]byte, error) {
	t := v.pages[name]
	if t == nil {
		return nil, fmt.Errorf("render: no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("render page %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// renderStandalone executes a document of templates/standalone.
func (v *views) renderStandalone(name string, data any) ([]byte, error) {
	t := v.standalone[name]
	if t == nil {
		return nil, fmt.Errorf("render: no standalone template %q", name)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}
