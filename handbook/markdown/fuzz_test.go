package markdown_test

import (
	"bytes"
	"io/fs"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"sotay/handbook"
	"sotay/handbook/markdown"
)

type contentFile struct {
	path string
	data []byte
}

// contentFiles returns every file under the content tree in fsys, or none
// when there is no tree.
func contentFiles(t testing.TB, fsys fs.FS) []contentFile {
	t.Helper()
	var out []contentFile
	err := fs.WalkDir(fsys, ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() || !(strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".yaml")) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		out = append(out, contentFile{p, data})
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// checkAnchors reports empty and duplicate anchors and sections that point
// at a parent that is not there.
func checkAnchors(t *testing.T, doc *handbook.Document) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range doc.Sections {
		switch {
		case s.Anchor == "":
			t.Errorf("%s: section %q at line %d has an empty anchor", doc.Path, s.Heading, s.Line)
		case seen[s.Anchor]:
			t.Errorf("%s: anchor %q is not unique", doc.Path, s.Anchor)
		}
		if s.Parent != "" && !seen[s.Parent] {
			t.Errorf("%s: section %q has parent %q, which does not come before it", doc.Path, s.Anchor, s.Parent)
		}
		if s.Line < 1 {
			t.Errorf("%s: section %q has line %d", doc.Path, s.Anchor, s.Line)
		}
		seen[s.Anchor] = true
	}
	for _, l := range doc.Links {
		if l.Line < doc.BodyLine {
			t.Errorf("%s: link to %s has line %d, before the body (line %d)", doc.Path, l.Doc, l.Line, doc.BodyLine)
		}
	}
}

const seedRegulation = `---
title: Luật Hộ tịch 2014
kind: regulation
effective: 2016-01-01
---

# Chương II. ĐĂNG KÝ HỘ TỊCH TẠI ỦY BAN NHÂN DÂN CẤP XÃ

## Điều 16. Thủ tục đăng ký khai sinh

1. Người đi đăng ký khai sinh nộp tờ khai theo mẫu quy định và giấy chứng sinh.
2. Ngay sau khi nhận đủ giấy tờ, công chức tư pháp - hộ tịch:
   a) ghi nội dung khai sinh vào Sổ hộ tịch;
   đ) cập nhật vào [Cơ sở dữ liệu](regulations/nd-87-2020#dieu-3).
`

// FuzzParse checks that no input panics Parse and that every document it
// returns has unique, non-empty anchors. Seeds: every file of content/ (when
// present), plus BOM, CRLF, NFD and an unterminated front matter.
func FuzzParse(f *testing.F) {
	for _, c := range contentFiles(f, os.DirFS("../../content")) {
		if strings.HasSuffix(c.path, ".md") {
			f.Add(c.data)
		}
	}
	f.Add([]byte(seedRegulation))
	f.Add(append([]byte("\uFEFF"), seedRegulation...))
	f.Add([]byte(strings.ReplaceAll(seedRegulation, "\n", "\r\n")))
	f.Add(norm.NFD.Bytes([]byte(seedRegulation)))
	f.Add([]byte("---\ntitle: Đăng ký khai sinh\nkind: procedure\n\n## Các bước\n"))
	f.Add([]byte("---\ntitle: X\nkind: guide\n---\n1. a\n   b) c\n\n- a) d\n> 2. e\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, _, err := markdown.Parse("regulations/fuzz.md", data)
		if err != nil {
			return
		}
		checkAnchors(t, doc)
		if !bytes.Equal([]byte(doc.Body), []byte(handbook.Normalize(doc.Body))) {
			t.Errorf("Body is not normalised")
		}
	})
}

// FuzzParseThesaurus checks that no input panics ParseThesaurus.
func FuzzParseThesaurus(f *testing.F) {
	for _, c := range contentFiles(f, os.DirFS("../../content")) {
		if strings.HasSuffix(c.path, ".yaml") {
			f.Add(c.data)
		}
	}
	f.Add([]byte("synonyms:\n  - [căn cước công dân, CCCD]\nexpansions:\n  sổ đỏ: [giấy chứng nhận quyền sử dụng đất]\n  nhập khẩu: đăng ký thường trú\n"))
	f.Add([]byte("synonyms: &a [[a, b]]\nexpansions: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		th := &handbook.Thesaurus{}
		if _, err := markdown.ParseThesaurus("thesaurus.yaml", data, th); err != nil && th.Len() != 0 {
			t.Errorf("ParseThesaurus added %d entries and returned %v", th.Len(), err)
		}
	})
}
