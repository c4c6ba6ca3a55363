package docx_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sotay/handbook"
	"sotay/handbook/docx"
)

// skipLibreOffice is the one message every LibreOffice-dependent test skips with.
const skipLibreOffice = "LibreOffice or poppler-utils not found; install them to check the .docx in a real word processor: " +
	"apt-get install -y --no-install-recommends libreoffice-writer-nogui poppler-utils fonts-liberation"

// requireTools returns the paths of soffice, pdftotext, pdfinfo and
// pdftoppm. When one is missing the test is skipped, unless CI=true or
// HANDBOOK_TEST_REQUIRE names "libreoffice", in which case it fails.
func requireTools(t *testing.T) (soffice, pdftotext, pdfinfo, pdftoppm string) {
	t.Helper()
	look := func(names ...string) string {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		return ""
	}
	soffice = look("soffice", "libreoffice")
	pdftotext, pdfinfo, pdftoppm = look("pdftotext"), look("pdfinfo"), look("pdftoppm")
	if soffice == "" || pdftotext == "" || pdfinfo == "" || pdftoppm == "" {
		required := os.Getenv("CI") == "true" || slices.Contains(strings.Split(os.Getenv("HANDBOOK_TEST_REQUIRE"), ","), "libreoffice")
		if required {
			t.Fatal(skipLibreOffice)
		}
		t.Skip(skipLibreOffice)
	}
	return soffice, pdftotext, pdfinfo, pdftoppm
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestLibreOffice converts every template's sample .docx to PDF with
// LibreOffice and checks what a reader sees: the Quốc hiệu, the số ký hiệu
// and the signature block in the text, and an A4 page. With -update it also
// writes PNG renderings of two templates to docs/drafting/.
func TestLibreOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; skipped with -short")
	}
	soffice, pdftotext, pdfinfo, pdftoppm := requireTools(t)
	dir := t.TempDir()
	ds := drafts(t)
	var files []string
	for name, d := range ds {
		p := filepath.Join(dir, name+".docx")
		if err := os.WriteFile(p, render(t, d), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	// A long công văn, to see the page numbers: none on page 1, "2" on page 2.
	long := *ds["cong-van"]
	long.Body = nil
	for range 40 {
		long.Body = append(long.Body, handbook.Paragraph{Kind: handbook.ParagraphText,
			Text: "Ủy ban nhân dân xã Suối Mây đề nghị Sở Khoa học và Công nghệ xem xét, hỗ trợ máy quét tài liệu và máy tính để phục vụ số hóa hồ sơ."})
	}
	longPath := filepath.Join(dir, "long.docx")
	if err := os.WriteFile(longPath, render(t, &long), 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, longPath)
	slices.Sort(files)
	// One conversion for all files: LibreOffice takes seconds to start. A
	// private profile keeps it away from any running instance.
	args := append([]string{"-env:UserInstallation=file://" + filepath.Join(dir, "profile"),
		"--headless", "--norestore", "--convert-to", "pdf", "--outdir", dir}, files...)
	run(t, soffice, args...)

	space := regexp.MustCompile(`\s+`)
	for name, d := range ds {
		t.Run(name, func(t *testing.T) {
			pdf := filepath.Join(dir, name+".pdf")
			if _, err := os.Stat(pdf); err != nil {
				t.Fatalf("LibreOffice produced no PDF: %v", err)
			}
			info := run(t, pdfinfo, pdf)
			if !regexp.MustCompile(`Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)`).MatchString(info) {
				t.Errorf("pdfinfo does not report A4:\n%s", info)
			}
			// -layout keeps the two columns side by side; the raw reading
			// order keeps a wrapped cell (a long số) together.
			text := handbook.Normalize(run(t, pdftotext, "-layout", pdf, "-"))
			flat := space.ReplaceAllString(text, " ") + "\n" + space.ReplaceAllString(handbook.Normalize(run(t, pdftotext, pdf, "-")), " ")
			want := []string{handbook.NationalName, handbook.NationalMotto, d.Number}
			for _, s := range d.Signatures {
				want = append(want, s.Lines...)
				want = append(want, s.Name)
			}
			if d.PlaceDate != "" {
				want = append(want, d.PlaceDate)
			}
			for _, w := range want {
				if !strings.Contains(flat, w) {
					t.Errorf("PDF text lacks %q", w)
				}
			}
			if t.Failed() {
				t.Logf("pdftotext:\n%s", text)
			}
		})
	}

	t.Run("page numbers", func(t *testing.T) {
		pdf := filepath.Join(dir, "long.pdf")
		if m := regexp.MustCompile(`Pages:\s+(\d+)`).FindStringSubmatch(run(t, pdfinfo, pdf)); m == nil || m[1] == "1" {
			t.Fatalf("long document has %v pages, want at least 2", m)
		}
		firstLine := func(page string) string {
			for _, l := range strings.Split(run(t, pdftotext, "-f", page, "-l", page, "-layout", pdf, "-"), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					return l
				}
			}
			return ""
		}
		if got := firstLine("2"); got != "2" {
			t.Errorf("page 2 starts with %q, want the page number 2", got)
		}
		if got := firstLine("1"); got == "1" {
			t.Error("page 1 shows its page number")
		}
	})

	if !*update {
		return
	}
	// PNG renderings for people to look at (docs/drafting/).
	out := filepath.Join("..", "..", "docs", "drafting")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"quyet-dinh", "cong-van"} {
		prefix := filepath.Join(dir, name)
		run(t, pdftoppm, "-png", "-r", "96", "-f", "1", "-l", "1", "-singlefile", prefix+".pdf", prefix)
		b, err := os.ReadFile(prefix + ".png")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCheckLayoutOfRender: what Render writes passes CheckLayout, for every template.
func TestCheckLayoutOfRender(t *testing.T) {
	for name, d := range drafts(t) {
		b := render(t, d)
		fs, err := docx.CheckLayout(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			t.Errorf("%s: %s", name, f)
		}
	}
}
