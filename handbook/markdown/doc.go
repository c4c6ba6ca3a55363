// Package markdown turns one content file (YAML front matter + Markdown
// body, docs/CONTENT.md) into a handbook.Document: typed front matter, the
// body split into sections with stable legal anchors (dieu-16-khoan-2-diem-a),
// the internal links of the body, and HTML rendered by goldmark without
// html.WithUnsafe, so raw HTML in content is dropped. ParseThesaurus reads
// the thesaurus files.
//
// It checks what one file can tell (syntax, types, unknown keys, anchors);
// checks that need the whole library (dangling citations, expired legal
// bases) are handbook.Lint. It imports handbook, goldmark and
// go.yaml.in/yaml/v3, and nothing else outside the standard library.
package markdown
