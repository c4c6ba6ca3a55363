package indexer_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"sotay/handbook"
	"sotay/indexer"
)

var today = handbook.MustDate("2026-11-26")

// loadTxtar reads testdata/name into a file system (hugo's fixture style).
func loadTxtar(t *testing.T, name string) fstest.MapFS {
	t.Helper()
	a, err := txtar.ParseFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, f := range a.Files {
		fsys[f.Name] = &fstest.MapFile{Data: f.Data}
	}
	return fsys
}

func TestLoadSkipsBrokenFiles(t *testing.T) {
	lib, err := indexer.LoadAt(loadTxtar(t, "load.txtar"), today)
	if err != nil {
		t.Fatalf("LoadAt error = %v", err)
	}
	var ids []string
	for _, d := range lib.All() {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	wantIDs := []string{"procedures/ho-tich/dang-ky-khai-sinh", "regulations/luat-ho-tich-2014", "technology/vneid"}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("loaded %q, want %q", ids, wantIDs)
	}
	var got []string
	for _, p := range lib.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`procedures/ho-tich/dang-ky-ket-hon.md:4: error: invalid front matter: mapping values are not allowed in this context; file skipped`,
		`procedures/ho-tich/dang-ky-khai-tu.md:1: error: missing front matter: the file must start with a "---" line; file skipped`,
		`thesaurus/hong.yaml:1: error: invalid thesaurus: did not find expected ',' or ']'; file skipped`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Problems (-want +got):\n%s", diff)
	}

	// The thesaurus files that parsed were all read.
	for _, q := range []struct{ query, want string }{
		{"cccd", "căn cước công dân"},
		{"so do", "giấy chứng nhận quyền sử dụng đất"},
		{"nhap khau", "đăng ký thường trú"},
	} {
		var exact, folded []string
		for _, tok := range handbook.Tokenize(q.query) {
			exact = append(exact, strings.ToLower(tok.Text))
			folded = append(folded, handbook.Fold(tok.Text))
		}
		if got := lib.Thesaurus.Expand(exact, folded); !slices.Contains(got, q.want) {
			t.Errorf("Thesaurus.Expand(%q) = %q, want it to contain %q", q.query, got, q.want)
		}
	}

	// Sections and links come through.
	d, _ := lib.Doc("regulations/luat-ho-tich-2014")
	if _, ok := d.Section("dieu-16-khoan-2"); !ok {
		t.Errorf("regulations/luat-ho-tich-2014 has no section dieu-16-khoan-2")
	}
}

func TestLoadReportsLint(t *testing.T) {
	fsys := loadTxtar(t, "load.txtar")
	fsys["faq/ho-tich/khai-sinh.md"] = &fstest.MapFile{Data: []byte("---\ntitle: Làm khai sinh ở đâu?\nkind: faq\n" +
		"sources: [\"https://moj.gov.vn/\"]\n---\nTại xã, xem [Điều 99](regulations/luat-ho-tich-2014#dieu-99).\n")}
	lib, err := indexer.LoadAt(fsys, today)
	if err != nil {
		t.Fatal(err)
	}
	want := handbook.Problem{Path: "faq/ho-tich/khai-sinh.md", Line: 6, Severity: handbook.SeverityError,
		Message: `link to regulations/luat-ho-tich-2014#dieu-99: anchor "dieu-99" not found in regulations/luat-ho-tich-2014`}
	if !slices.Contains(lib.Problems, want) {
		t.Errorf("Problems = %v, want them to contain %v", lib.Problems, want)
	}
}

func TestLoadTooLarge(t *testing.T) {
	fsys := loadTxtar(t, "load.txtar")
	big := append([]byte("---\ntitle: X\nkind: guide\n---\n"), strings.Repeat("Văn bản rất dài. ", 10<<20/20)...)
	fsys["technology/qua-lon.md"] = &fstest.MapFile{Data: big}
	lib, err := indexer.LoadAt(fsys, today)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := lib.Doc("technology/qua-lon"); ok {
		t.Errorf("a %d-byte file was loaded", len(big))
	}
	if p := lib.Problems; len(p) == 0 || !slices.ContainsFunc(p, func(p handbook.Problem) bool {
		return p.Path == "technology/qua-lon.md" && strings.Contains(p.Message, "file larger than")
	}) {
		t.Errorf("Problems = %v, want one for technology/qua-lon.md", p)
	}
}

func TestLoadEmpty(t *testing.T) {
	lib, err := indexer.LoadAt(fstest.MapFS{}, today)
	if err != nil || len(lib.Docs) != 0 || len(lib.Problems) != 0 {
		t.Errorf("LoadAt(empty) = %d docs, %v problems, %v; want nothing", len(lib.Docs), lib.Problems, err)
	}
}

// The real content tree, when present beside the module, loads.
func TestLoadContent(t *testing.T) {
	fsys := os.DirFS("../content")
	if _, err := os.Stat("../content/regulations"); err != nil {
		t.Skip("no content/ tree beside the module")
	}
	lib, err := indexer.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Docs) == 0 {
		t.Errorf("Load(content) loaded no documents")
	}
}

// generated is a content tree of n regulations of 20 articles each, about
// the size of the real ones.
func generated(n int) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "---\ntitle: Nghị định số %d/2025/NĐ-CP\nkind: regulation\nnumber: %d/2025/NĐ-CP\n"+
			"issuer: Chính phủ\neffective: 2025-07-01\nsources: [\"https://vbpl.vn/\"]\n---\n\n# Chương I. QUY ĐỊNH CHUNG\n\n", i, i)
		for a := 1; a <= 20; a++ {
			fmt.Fprintf(&b, "## Điều %d. Thẩm quyền của Ủy ban nhân dân cấp xã\n\n", a)
			b.WriteString("1. Ủy ban nhân dân cấp xã tiếp nhận hồ sơ, giải quyết thủ tục hành chính theo thẩm quyền:\n")
			b.WriteString("   a) đăng ký khai sinh, khai tử, kết hôn cho công dân Việt Nam cư trú trong nước;\n")
			b.WriteString("   b) chứng thực bản sao từ bản chính, chứng thực chữ ký.\n")
			fmt.Fprintf(&b, "2. Xem [Điều 1](regulations/nd-%d#dieu-1).\n\n", i)
		}
		fsys[fmt.Sprintf("regulations/nd-%d.md", i)] = &fstest.MapFile{Data: []byte(b.String())}
	}
	return fsys
}

// TestLoadManyFiles loads a few hundred files through the parallel parser;
// how fast is measured by BenchmarkLoad, not asserted here.
func TestLoadManyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	fsys := generated(300)
	lib, err := indexer.LoadAt(fsys, today)
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Docs) != 300 || len(lib.Problems) != 0 {
		t.Errorf("LoadAt(300 files) = %d docs, problems %v", len(lib.Docs), lib.Problems)
	}
}

func BenchmarkLoad(b *testing.B) {
	fsys := generated(300)
	for b.Loop() {
		if _, err := indexer.LoadAt(fsys, today); err != nil {
			b.Fatal(err)
		}
	}
}
