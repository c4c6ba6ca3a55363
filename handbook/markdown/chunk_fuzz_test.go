package markdown_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"sotay/handbook"
	"sotay/handbook/markdown"
)

const chunkSeedRegulation = `---
title: Nghị định số 23/2015/NĐ-CP
kind: regulation
number: "23/2015/NĐ-CP"
effective: 2015-04-10
---

Lời mở đầu của nghị định.

# Chương I. QUY ĐỊNH CHUNG

## Điều 1. Phạm vi điều chỉnh

Nghị định này quy định thẩm quyền chứng thực.

1. Cấp bản sao từ sổ gốc.
2. Chứng thực bản sao từ bản chính:
   a) giấy tờ do cơ quan có thẩm quyền cấp;
   đ) văn bản song ngữ.

## Điều 2. Giải thích từ ngữ

Trong Nghị định này, các từ ngữ dưới đây được hiểu như sau.
`

const chunkSeedProcedure = `---
title: Đăng ký khai sinh
kind: procedure
code: "1.001193"
field: Hộ tịch
agency: Ủy ban nhân dân cấp xã
time_limit: Ngay trong ngày
documents:
  - name: Tờ khai đăng ký khai sinh
    copies: 01 bản chính
---

Giới thiệu ngắn.

## Các bước thực hiện

1. Nộp tờ khai.
2. Nhận giấy khai sinh.

## Lỗi thường gặp

- Quên giấy chứng sinh.
`

// FuzzChunks parses any file and cuts it into retrieval chunks, checking
// what DESIGN.md promises of chunking: ids are DocID#Anchor (with ~n for
// the pieces of a split section) and unique, anchors point at sections of
// the document, no chunk is longer than handbook.MaxChunkRunes, and a
// chunk of an article holds only that article's text (it never crosses an
// Điều boundary).
func FuzzChunks(f *testing.F) {
	f.Add([]byte(chunkSeedRegulation))
	f.Add([]byte(chunkSeedProcedure))
	long := strings.Replace(chunkSeedRegulation, "Cấp bản sao từ sổ gốc.", strings.Repeat("Cấp bản sao từ sổ gốc; ", 120), 1)
	f.Add([]byte(long))
	f.Add([]byte(strings.ReplaceAll(chunkSeedProcedure, "\n", "\r\n")))
	f.Add([]byte("---\ntitle: X\nkind: faq\n---\n"))
	f.Add([]byte("---\ntitle: X\nkind: regulation\n---\n## Điều 1.\n## Điều 1. Trùng\n1. a\n1. b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, path := range []string{"regulations/fuzz.md", "procedures/ho-tich/fuzz.md", "technology/fuzz.md"} {
			doc, _, err := markdown.Parse(path, data)
			if err != nil {
				continue
			}
			checkChunks(t, doc)
		}
	})
}

func checkChunks(t *testing.T, doc *handbook.Document) {
	t.Helper()
	chunks := handbook.Chunks(doc)
	if len(chunks) == 0 {
		t.Fatalf("%s: no chunks", doc.Path)
	}
	seen := map[string]bool{}
	for _, c := range chunks {
		if seen[c.ID] {
			t.Errorf("%s: duplicate chunk id %q", doc.Path, c.ID)
		}
		seen[c.ID] = true
		base, _, _ := strings.Cut(c.ID, "~")
		if base != c.DocID+"#"+c.Anchor || c.DocID != doc.ID {
			t.Errorf("%s: chunk id %q for doc %q anchor %q", doc.Path, c.ID, c.DocID, c.Anchor)
		}
		if c.Anchor != "" {
			if _, ok := doc.Section(c.Anchor); !ok {
				t.Errorf("%s: chunk %q has anchor %q, not a section of the document", doc.Path, c.ID, c.Anchor)
			}
		}
		if n := utf8.RuneCountInString(c.Text); n > handbook.MaxChunkRunes {
			t.Errorf("%s: chunk %q has %d runes, more than %d", doc.Path, c.ID, n, handbook.MaxChunkRunes)
		}
		art := handbook.ArticleAnchor(c.Anchor)
		if art == "" {
			continue
		}
		s, ok := doc.Section(art)
		if !ok || s.Kind != handbook.SectionArticle {
			continue // a heading that only looks like an article anchor
		}
		for _, line := range strings.Split(c.Text, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.Contains(s.Text, line) {
				t.Errorf("%s: chunk %q of %s holds %q, which is not in that article", doc.Path, c.ID, art, line)
			}
		}
	}
}
