package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bundleContent is a small content tree: two public documents and an
// internal one holding a marker word.
var bundleContent = map[string]string{
	"thesaurus.yaml": "synonyms:\n  - [căn cước công dân, CCCD]\n",
	"procedures/ho-tich/dang-ky-khai-sinh.md": `---
title: "Đăng ký khai sinh"
kind: procedure
code: "1.001193"
field: "Hộ tịch"
agency: "Ủy ban nhân dân cấp xã"
time_limit: "Ngay trong ngày"
documents:
  - name: "Tờ khai đăng ký khai sinh"
sources: ["https://moj.gov.vn"]
---

## Các bước thực hiện

1. Nộp tờ khai và giấy chứng sinh.
`,
	"faq/ho-tich/khai-sinh.md": `---
title: "Làm giấy khai sinh ở đâu?"
kind: faq
sources: ["https://moj.gov.vn"]
---

Tại Ủy ban nhân dân cấp xã nơi cư trú của cha hoặc mẹ.
`,
	"technology/noi-bo.md": `---
title: "Mã khẩn cấp nội bộ"
kind: guide
audience: internal
sources: ["https://moj.gov.vn"]
---

## Mã

Mã quokkazephyr dùng khi mất mạng.
`,
}

const bundleMarker = "quokkazephyr"

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func runMain(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := Main(t.Context(), args, func(string) string { return "" }, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// readBundle returns the entries of a bundle by name, in order.
func readBundle(t *testing.T, file string) ([]string, map[string][]byte) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	data := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		data[hdr.Name] = b
	}
	return names, data
}

func TestExportImportRoundTrip(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, bundleContent)
	out := filepath.Join(t.TempDir(), "kb.tar.gz")
	if msg, err := runMain(t, "export", "-content", src, "-data", t.TempDir(), "-bundle", out); err != nil {
		t.Fatalf("export: %v\n%s", err, msg)
	}
	names, data := readBundle(t, out)
	if len(names) == 0 || names[0] != "manifest.json" {
		t.Fatalf("first entry = %v, want manifest.json", names)
	}
	var man bundleManifest
	if err := json.Unmarshal(data["manifest.json"], &man); err != nil {
		t.Fatal(err)
	}
	if man.Format != bundleFormat || man.Documents != 2 || man.IncludeInternal {
		t.Errorf("manifest = %+v", man)
	}
	for _, want := range []string{"content/procedures/ho-tich/dang-ky-khai-sinh.md", "content/faq/ho-tich/khai-sinh.md", "content/thesaurus.yaml"} {
		if data[want] == nil {
			t.Errorf("bundle lacks %s", want)
		}
	}
	if data["content/technology/noi-bo.md"] != nil {
		t.Errorf("bundle holds an internal document without -include-internal")
	}
	hasIndex := false
	for name, b := range data {
		if strings.HasPrefix(name, "index/") {
			hasIndex = true
		}
		if bytes.Contains(b, []byte(bundleMarker)) {
			t.Errorf("bundle entry %s holds the internal marker", name)
		}
	}
	if !hasIndex {
		t.Errorf("bundle has no index files")
	}
	for _, f := range man.Files {
		sum := sha256.Sum256(data[f.Path])
		if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(data[f.Path])) != f.Size {
			t.Errorf("manifest hash or size of %s is wrong", f.Path)
		}
	}

	// Import over an existing content tree.
	dst := filepath.Join(t.TempDir(), "content")
	writeTree(t, dst, map[string]string{"faq/old.md": "---\ntitle: Cũ\nkind: faq\n---\nCũ.\n"})
	dataDir := t.TempDir()
	msg, err := runMain(t, "import", "-content", dst, "-data", dataDir, out)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, msg)
	}
	if _, err := os.Stat(filepath.Join(dst, "faq", "old.md")); !os.IsNotExist(err) {
		t.Errorf("old content survived the import")
	}
	got, err := os.ReadFile(filepath.Join(dst, "procedures", "ho-tich", "dang-ky-khai-sinh.md"))
	if err != nil || string(got) != bundleContent["procedures/ho-tich/dang-ky-khai-sinh.md"] {
		t.Errorf("imported file differs: %v", err)
	}
	cur, err := os.ReadFile(filepath.Join(dataDir, "index", "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "index", strings.TrimSpace(string(cur)))); err != nil {
		t.Errorf("CURRENT points at a missing index: %v", err)
	}
	// The imported index serves at once (no rebuild needed).
	res, err := runMain(t, "search", "-content", dst, "-data", dataDir, "lam giay khai sinh")
	if err != nil || !strings.Contains(res, "procedures/ho-tich/dang-ky-khai-sinh") {
		t.Errorf("search after import: %v\n%s", err, res)
	}
	entries, _ := os.ReadDir(filepath.Dir(dst))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".import-") || strings.Contains(e.Name(), ".old-") {
			t.Errorf("staging directory %s left behind", e.Name())
		}
	}
}

func TestExportIncludeInternal(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, bundleContent)
	out := filepath.Join(t.TempDir(), "kb.tar.gz")
	if msg, err := runMain(t, "export", "-content", src, "-data", t.TempDir(), "-bundle", out, "-include-internal"); err != nil {
		t.Fatalf("export: %v\n%s", err, msg)
	}
	_, data := readBundle(t, out)
	if data["content/technology/noi-bo.md"] == nil {
		t.Errorf("-include-internal bundle lacks the internal document")
	}
}

// hostileBundle writes a bundle whose manifest lists files; entries are
// written as given (name, type, body).
func hostileBundle(t *testing.T, files []bundleFile, entries []tar.Header, bodies [][]byte) string {
	t.Helper()
	man := bundleManifest{Format: bundleFormat, Index: "bleve-x", Files: files}
	manJSON, _ := json.Marshal(man)
	out := filepath.Join(t.TempDir(), "bad.tar.gz")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: int64(len(manJSON)), Typeflag: tar.TypeReg})
	tw.Write(manJSON)
	for i, h := range entries {
		h := h
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write(bodies[i])
	}
	tw.Close()
	zw.Close()
	f.Close()
	return out
}

func fileOf(name string, body []byte) bundleFile {
	sum := sha256.Sum256(body)
	return bundleFile{Path: name, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}
}

func TestImportRefusesBadBundles(t *testing.T) {
	body := []byte("x")
	evil := []byte("pwned")
	tests := []struct {
		name    string
		files   []bundleFile
		entries []tar.Header
		bodies  [][]byte
		want    string
	}{
		{"traversal in manifest", []bundleFile{fileOf("content/../../evil", evil)},
			[]tar.Header{{Name: "content/../../evil", Size: 5, Mode: 0o644, Typeflag: tar.TypeReg}}, [][]byte{evil}, "refusing bundle path"},
		{"absolute path", []bundleFile{fileOf("/etc/evil", evil)},
			[]tar.Header{{Name: "/etc/evil", Size: 5, Mode: 0o644, Typeflag: tar.TypeReg}}, [][]byte{evil}, "refusing bundle path"},
		{"outside content and index", []bundleFile{fileOf("evil", evil)},
			[]tar.Header{{Name: "evil", Size: 5, Mode: 0o644, Typeflag: tar.TypeReg}}, [][]byte{evil}, "refusing bundle path"},
		{"entry not in manifest", []bundleFile{fileOf("content/a.md", body)},
			[]tar.Header{{Name: "content/../evil", Size: 5, Mode: 0o644, Typeflag: tar.TypeReg}}, [][]byte{evil}, "not in the manifest"},
		{"symlink", []bundleFile{fileOf("content/link", nil)},
			[]tar.Header{{Name: "content/link", Linkname: "/etc/passwd", Mode: 0o777, Typeflag: tar.TypeSymlink}}, [][]byte{nil}, "only regular files"},
		{"hash mismatch", []bundleFile{fileOf("content/a.md", body)},
			[]tar.Header{{Name: "content/a.md", Size: 1, Mode: 0o644, Typeflag: tar.TypeReg}}, [][]byte{[]byte("y")}, "does not match its manifest hash"},
		{"missing file", []bundleFile{fileOf("content/a.md", body), fileOf("content/b.md", body)},
			[]tar.Header{{Name: "content/a.md", Size: 1, Mode: 0o644, Typeflag: tar.TypeReg}}, [][]byte{body}, "missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bundle := hostileBundle(t, tc.files, tc.entries, tc.bodies)
			root := t.TempDir()
			dst := filepath.Join(root, "content")
			writeTree(t, dst, map[string]string{"faq/keep.md": "keep"})
			msg, err := runMain(t, "import", "-content", dst, "-data", filepath.Join(root, "data"), bundle)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import = %v (%s), want an error containing %q", err, msg, tc.want)
			}
			if b, err := os.ReadFile(filepath.Join(dst, "faq", "keep.md")); err != nil || string(b) != "keep" {
				t.Errorf("a refused import changed the content: %v", err)
			}
			for _, p := range []string{filepath.Join(root, "evil"), filepath.Join(root, "..", "evil"), filepath.Join(dst, "..", "evil")} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s was written", p)
				}
			}
			entries, _ := os.ReadDir(root)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".import-") {
					t.Errorf("staging directory %s left behind", e.Name())
				}
			}
		})
	}
}

func TestImportNeedsContentDir(t *testing.T) {
	if _, err := runMain(t, "import", "-data", t.TempDir(), "x.tar.gz"); err == nil || !strings.Contains(err.Error(), "HANDBOOK_CONTENT") {
		t.Errorf("import without -content = %v", err)
	}
	if _, err := runMain(t, "export", "-data", t.TempDir()); err == nil || !strings.Contains(err.Error(), "-bundle") {
		t.Errorf("export without -bundle = %v", err)
	}
}
