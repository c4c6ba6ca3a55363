package main

// Bundles move a knowledge base between machines as one file, for communes
// whose internet is slow or absent: `handbook export --bundle kb.tar.gz` on a
// connected PC, a USB stick, `handbook import kb.tar.gz` at the one-stop
// desk. A bundle is a gzip'd tar of
//
//	manifest.json          format, creation time, and every file's size and SHA-256
//	content/<path>         the content tree (Markdown, thesaurus)
//	index/<files>          a bleve index built from exactly that content
//
// The index is built fresh from the exported files rather than copied from
// the data directory: it then always matches the content (internal pages
// left out of the export are left out of the index too), and export works
// while `handbook serve` holds the live index open.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	"sotay/handbook"
	"sotay/indexer"
	"sotay/indexer/bleve"
)

// bundleFormat names the layout above; import refuses any other.
const bundleFormat = "sotay-bundle/1"

// Limits that keep a damaged or hostile bundle from filling the disk.
const (
	maxManifestBytes = 16 << 20
	maxBundleFiles   = 200_000
	maxBundleBytes   = 8 << 30
)

type bundleManifest struct {
	Format          string       `json:"format"`
	Created         time.Time    `json:"created"`
	IncludeInternal bool         `json:"include_internal"`
	Documents       int          `json:"documents"`
	Index           string       `json:"index"`
	Files           []bundleFile `json:"files"`
}

type bundleFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func cmdExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("export", flag.ContinueOnError)
	out := fset.String("bundle", "", "write the bundle to this file (.tar.gz)")
	internal := fset.Bool("include-internal", false, "also export documents with audience: internal")
	cfg, _, err := loadWithExtra("export", args, getenv, stderr, fset)
	if err != nil {
		return err
	}
	if *out == "" {
		return errors.New("export: cần -bundle tệp.tar.gz (tệp gói sẽ ghi ra)")
	}
	log := newLogger(Config{LogLevel: "warn", LogFormat: cfg.LogFormat}, stderr)
	app, err := openApp(cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	files, skipped, err := exportFiles(app.Content, app.Library(), *internal)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(stderr, "bỏ qua %s\n", s)
	}
	n, err := writeBundle(ctx, *out, files, *internal, time.Now())
	if err != nil {
		return fmt.Errorf("không xuất được gói %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "Đã xuất %d văn bản (%d tệp, bỏ qua %d) vào %s.\n", n, len(files), len(skipped), *out)
	return nil
}

// exportFiles reads the content files to export into memory (the whole
// knowledge base is a few megabytes); an fstest.MapFS is the standard
// library's in-memory fs.FS, which indexer.Load reads like any tree.
//
// The content files to export: Documents with audience
// internal are left out unless internal is set; so are Markdown files that
// did not parse, whose audience cannot be told.
func exportFiles(content fs.FS, lib *handbook.Library, internal bool) (fstest.MapFS, []string, error) {
	files := fstest.MapFS{}
	var skipped []string
	err := fs.WalkDir(content, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".md") && path.Base(p) != "README.md" && !internal {
			doc, ok := lib.Doc(strings.TrimSuffix(p, ".md"))
			switch {
			case !ok:
				skipped = append(skipped, p+": không đọc được front matter nên không biết đối tượng xem (dùng -include-internal để xuất)")
				return nil
			case doc.Audience == handbook.AudienceInternal:
				skipped = append(skipped, p+": nội bộ")
				return nil
			}
		}
		b, err := fs.ReadFile(content, p)
		if err != nil {
			return fmt.Errorf("read content %s: %w", p, err)
		}
		files[p] = &fstest.MapFile{Data: b, Mode: 0o644}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list content: %w", err)
	}
	return files, skipped, nil
}

// writeBundle builds an index of files in a temporary directory and writes
// both, with the manifest, to out (atomically: a temporary file renamed).
func writeBundle(ctx context.Context, out string, files fstest.MapFS, internal bool, now time.Time) (int, error) {
	lib, err := indexer.Load(files)
	if err != nil {
		return 0, fmt.Errorf("load exported content: %w", err)
	}
	tmp, err := os.MkdirTemp("", "handbook-export-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	m := &indexer.Manager{Dir: tmp, Open: func(dir string) (indexer.Keyword, error) { return bleve.Open(dir) }}
	if _, err := m.Sync(ctx, lib, true); err != nil {
		m.Close()
		return 0, fmt.Errorf("build bundle index: %w", err)
	}
	if err := m.Close(); err != nil {
		return 0, fmt.Errorf("close bundle index: %w", err)
	}
	cur, err := os.ReadFile(filepath.Join(tmp, "CURRENT"))
	if err != nil {
		return 0, fmt.Errorf("read bundle index pointer: %w", err)
	}
	indexName := strings.TrimSpace(string(cur))
	indexDir := filepath.Join(tmp, indexName)

	type entry struct {
		name string
		open func() (io.ReadCloser, error)
	}
	var entries []entry
	man := bundleManifest{Format: bundleFormat, Created: now.UTC().Truncate(time.Second), IncludeInternal: internal,
		Documents: len(lib.Docs), Index: indexName}
	add := func(name string, data []byte, open func() (io.ReadCloser, error)) {
		sum := sha256.Sum256(data)
		man.Files = append(man.Files, bundleFile{Path: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
		entries = append(entries, entry{name, open})
	}
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		data := files[p].Data
		add("content/"+p, data, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	}
	err = filepath.WalkDir(indexDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(indexDir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		add("index/"+filepath.ToSlash(rel), data, func() (io.ReadCloser, error) { return os.Open(p) })
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read bundle index: %w", err)
	}

	if dir := filepath.Dir(out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, err
		}
	}
	f, err := os.CreateTemp(filepath.Dir(out), ".bundle-*")
	if err != nil {
		return 0, fmt.Errorf("create bundle: %w", err)
	}
	defer os.Remove(f.Name())
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	manJSON, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return 0, err
	}
	write := func(name string, size int64, r io.Reader) error {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: man.Created, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	if err := write("manifest.json", int64(len(manJSON)), bytes.NewReader(manJSON)); err != nil {
		f.Close()
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	for i, e := range entries {
		r, err := e.open()
		if err != nil {
			f.Close()
			return 0, err
		}
		err = write(e.name, man.Files[i].Size, r)
		r.Close()
		if err != nil {
			f.Close()
			return 0, fmt.Errorf("write bundle %s: %w", e.name, err)
		}
	}
	for _, c := range []io.Closer{tw, zw} {
		if err := c.Close(); err != nil {
			f.Close()
			return 0, fmt.Errorf("write bundle: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(f.Name(), out); err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	return len(lib.Docs), nil
}

func cmdImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, fset, err := LoadConfig("import", args, getenv, stderr)
	if err != nil {
		return err
	}
	if fset.NArg() != 1 {
		return errors.New("import: cách dùng: handbook import -content THƯ_MỤC [-data THƯ_MỤC] tệp.tar.gz")
	}
	if cfg.Content == "" {
		return errors.New("import: HANDBOOK_CONTENT (-content) phải là thư mục để giải nén nội dung vào; không thay được nội dung gắn sẵn trong chương trình")
	}
	man, err := importBundle(ctx, fset.Arg(0), cfg.Content, cfg.Data, time.Now())
	if err != nil {
		// The cause stays in English after the Vietnamese sentence: it
		// names the entry or the check that failed, for whoever helps.
		return fmt.Errorf("không nhập được gói %s (tệp hỏng, không phải gói của sổ tay, hoặc thiếu quyền ghi): %w", fset.Arg(0), err)
	}
	fmt.Fprintf(stdout, "Đã nhập %d văn bản (%d tệp) vào %s, chỉ mục %s. Khởi động lại máy chủ để dùng nội dung mới.\n",
		man.Documents, len(man.Files), cfg.Content, filepath.Join(cfg.Data, "index", man.Index))
	return nil
}

// importBundle verifies a bundle and unpacks it: the content replaces
// contentDir and the index becomes the current index under dataDir/index.
// Everything is unpacked and checked in staging directories first, so a
// bad bundle changes nothing. Entries outside the manifest, links, paths
// that leave the staging directory and hash mismatches are refused.
func importBundle(ctx context.Context, bundle, contentDir, dataDir string, now time.Time) (*bundleManifest, error) {
	f, err := os.Open(bundle)
	if err != nil {
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read bundle %s: not a .tar.gz: %w", bundle, err)
	}
	tr := tar.NewReader(zr)

	hdr, err := tr.Next()
	if err != nil || hdr.Name != "manifest.json" || hdr.Size > maxManifestBytes {
		return nil, fmt.Errorf("read bundle %s: manifest.json must be the first entry", bundle)
	}
	var man bundleManifest
	if err := json.NewDecoder(io.LimitReader(tr, maxManifestBytes)).Decode(&man); err != nil {
		return nil, fmt.Errorf("read bundle manifest: %w", err)
	}
	if err := man.check(); err != nil {
		return nil, fmt.Errorf("bundle manifest: %w", err)
	}
	want := make(map[string]bundleFile, len(man.Files))
	for _, bf := range man.Files {
		want[bf.Path] = bf
	}

	indexRoot := filepath.Join(dataDir, "index")
	if err := os.MkdirAll(indexRoot, 0o755); err != nil {
		return nil, fmt.Errorf("create index dir: %w", err)
	}
	contentDir = filepath.Clean(contentDir)
	if err := os.MkdirAll(filepath.Dir(contentDir), 0o755); err != nil {
		return nil, err
	}
	stamp := now.UTC().Format("20060102T150405.000000000")
	// Staging directories sit beside their targets, so the final step is a
	// rename on one file system. The index stage has no "bleve-" prefix so
	// that a running indexer never takes it for a stale index.
	contentStage := contentDir + ".import-" + stamp
	indexStage := filepath.Join(indexRoot, ".import-"+stamp)
	indexName := "bleve-" + stamp
	cleanup := func() { os.RemoveAll(contentStage); os.RemoveAll(indexStage) }
	ok := false
	defer func() {
		if !ok {
			cleanup()
		}
	}()

	seen := map[string]bool{}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read bundle: %w", err)
		}
		if hdr.Typeflag == tar.TypeDir {
			continue
		}
		bf, listed := want[hdr.Name]
		switch {
		case hdr.Typeflag != tar.TypeReg:
			return nil, fmt.Errorf("bundle entry %q: only regular files are allowed", hdr.Name)
		case !listed:
			return nil, fmt.Errorf("bundle entry %q is not in the manifest", hdr.Name)
		case seen[hdr.Name]:
			return nil, fmt.Errorf("bundle entry %q appears twice", hdr.Name)
		case hdr.Size != bf.Size:
			return nil, fmt.Errorf("bundle entry %q: size %d, manifest says %d", hdr.Name, hdr.Size, bf.Size)
		}
		seen[hdr.Name] = true
		dst := stagePath(bf.Path, contentStage, indexStage)
		if err := extract(tr, dst, bf); err != nil {
			return nil, err
		}
	}
	for _, bf := range man.Files {
		if !seen[bf.Path] {
			return nil, fmt.Errorf("bundle is missing %q listed in its manifest", bf.Path)
		}
	}
	if err := os.MkdirAll(contentStage, 0o755); err != nil {
		return nil, err
	}

	// The unpacked content must load and the index must be complete.
	lib, err := indexer.Load(os.DirFS(contentStage))
	if err != nil {
		return nil, fmt.Errorf("load bundle content: %w", err)
	}
	if len(lib.Docs) != man.Documents {
		return nil, fmt.Errorf("bundle content holds %d documents, manifest says %d", len(lib.Docs), man.Documents)
	}
	idx, err := bleve.Open(indexStage)
	if err != nil {
		return nil, fmt.Errorf("open bundle index: %w", err)
	}
	complete, err := idx.GetInternal("complete")
	idx.Close()
	if err != nil || string(complete) != "1" {
		return nil, errors.New("bundle index is incomplete")
	}

	// Install: index first (a new directory, then the CURRENT pointer is
	// replaced atomically), then content (the old tree is moved aside and
	// removed only once the new one is in place).
	if err := os.Rename(indexStage, filepath.Join(indexRoot, indexName)); err != nil {
		return nil, fmt.Errorf("install bundle index: %w", err)
	}
	if err := indexer.WriteFileAtomic(filepath.Join(indexRoot, "CURRENT"), []byte(indexName+"\n")); err != nil {
		os.RemoveAll(filepath.Join(indexRoot, indexName))
		return nil, fmt.Errorf("switch index pointer: %w", err)
	}
	old := contentDir + ".old-" + stamp
	hadOld := true
	if err := os.Rename(contentDir, old); errors.Is(err, fs.ErrNotExist) {
		hadOld = false
	} else if err != nil {
		return nil, fmt.Errorf("move old content aside: %w", err)
	}
	if err := os.Rename(contentStage, contentDir); err != nil {
		if hadOld {
			os.Rename(old, contentDir)
		}
		return nil, fmt.Errorf("install bundle content: %w", err)
	}
	ok = true
	if hadOld {
		os.RemoveAll(old)
	}
	return &man, nil
}

// check validates the manifest before anything is unpacked.
func (m *bundleManifest) check() error {
	if m.Format != bundleFormat {
		return fmt.Errorf("format %q, want %q", m.Format, bundleFormat)
	}
	if len(m.Files) > maxBundleFiles {
		return fmt.Errorf("%d files, at most %d", len(m.Files), maxBundleFiles)
	}
	if !strings.HasPrefix(m.Index, "bleve-") || !filepath.IsLocal(m.Index) || strings.ContainsAny(m.Index, `/\`) {
		return fmt.Errorf("bad index name %q", m.Index)
	}
	var total int64
	for _, f := range m.Files {
		if err := checkBundlePath(f.Path); err != nil {
			return err
		}
		if f.Size < 0 || len(f.SHA256) != 64 {
			return fmt.Errorf("%s: bad size or hash", f.Path)
		}
		total += f.Size
	}
	if total > maxBundleBytes {
		return fmt.Errorf("%d bytes in all, at most %d", total, int64(maxBundleBytes))
	}
	return nil
}

// checkBundlePath refuses anything that could land outside the staging
// directories: absolute paths, "..", backslashes, and names outside
// content/ and index/.
func checkBundlePath(p string) error {
	rest, ok := strings.CutPrefix(p, "content/")
	if !ok {
		rest, ok = strings.CutPrefix(p, "index/")
	}
	if !ok || rest == "" || path.Clean(p) != p || strings.ContainsAny(p, "\\\x00") || !filepath.IsLocal(filepath.FromSlash(rest)) {
		return fmt.Errorf("refusing bundle path %q", p)
	}
	for _, seg := range strings.Split(rest, "/") {
		if seg == ".." || seg == "." || seg == "" {
			return fmt.Errorf("refusing bundle path %q", p)
		}
	}
	return nil
}

func stagePath(p, contentStage, indexStage string) string {
	if rest, ok := strings.CutPrefix(p, "content/"); ok {
		return filepath.Join(contentStage, filepath.FromSlash(rest))
	}
	return filepath.Join(indexStage, filepath.FromSlash(strings.TrimPrefix(p, "index/")))
}

// extract copies one entry to dst, checking its size and hash.
func extract(r io.Reader, dst string, bf bundleFile) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("unpack %s: %w", bf.Path, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(r, bf.Size+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("unpack %s: %w", bf.Path, err)
	}
	if n != bf.Size || hex.EncodeToString(h.Sum(nil)) != bf.SHA256 {
		return fmt.Errorf("bundle entry %q does not match its manifest hash: the file is damaged", bf.Path)
	}
	return nil
}
