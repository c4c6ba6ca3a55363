package docx_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sotay/handbook"
	"sotay/handbook/docx"
)

var update = flag.Bool("update", false, "update golden files (and docs/drafting PNGs when LibreOffice is installed)")

// drafts loads the sample drafts that the handbook package's golden test
// writes (one per template in content/templates).
func drafts(t *testing.T) map[string]*handbook.Draft {
	t.Helper()
	return loadDrafts(t, func(name string) bool { return !strings.HasSuffix(name, ".blank") })
}

// blanks loads the drafts of requests that name only the template, one per
// template: every fact in them is a placeholder.
func blanks(t *testing.T) map[string]*handbook.Draft {
	t.Helper()
	return loadDrafts(t, func(name string) bool { return strings.HasSuffix(name, ".blank") })
}

func loadDrafts(t *testing.T, keep func(name string) bool) map[string]*handbook.Draft {
	t.Helper()
	files, err := filepath.Glob("../testdata/draft/*.draft.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample drafts in ../testdata/draft (run go test ./handbook -run TestDraftGolden -update): %v", err)
	}
	out := map[string]*handbook.Draft{}
	for _, f := range files {
		if !keep(strings.TrimSuffix(filepath.Base(f), ".draft.json")) {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d handbook.Draft
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".draft.json")] = &d
	}
	return out
}

func render(t *testing.T, d *handbook.Draft) []byte {
	t.Helper()
	b, err := docx.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func part(t *testing.T, b []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			data, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
	t.Fatalf("no %s in the package", name)
	return nil
}

// xnode is a generic XML element for reading the WordprocessingML back.
type xnode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []*xnode   `xml:",any"`
	Text    string     `xml:",chardata"`
}

func parseXML(t *testing.T, data []byte) *xnode {
	t.Helper()
	var n xnode
	if err := xml.Unmarshal(data, &n); err != nil {
		t.Fatalf("parse xml: %v", err)
	}
	return &n
}

func (n *xnode) attr(local string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func (n *xnode) child(local string) *xnode {
	for _, c := range n.Nodes {
		if c.XMLName.Local == local {
			return c
		}
	}
	return nil
}

// all returns every descendant named local, in document order.
func (n *xnode) all(local string) []*xnode {
	var out []*xnode
	var walk func(*xnode)
	walk = func(x *xnode) {
		for _, c := range x.Nodes {
			if c.XMLName.Local == local {
				out = append(out, c)
			}
			walk(c)
		}
	}
	walk(n)
	return out
}

// text is the concatenated w:t text under n.
func (n *xnode) text() string {
	var b strings.Builder
	for _, t := range n.all("t") {
		b.WriteString(t.Text)
	}
	return b.String()
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// runProps describes a run as the tests need it.
type runProps struct {
	text                    string
	size                    int
	bold, italic, highlight bool
	font                    string
}

func props(r *xnode) runProps {
	p := runProps{text: r.text()}
	if rp := r.child("rPr"); rp != nil {
		if s := rp.child("sz"); s != nil {
			p.size = atoi(s.attr("val"))
		}
		p.bold = rp.child("b") != nil
		p.italic = rp.child("i") != nil
		if h := rp.child("highlight"); h != nil && h.attr("val") == "yellow" {
			p.highlight = true
		}
		if f := rp.child("rFonts"); f != nil {
			p.font = f.attr("ascii")
		}
	}
	return p
}

// runsOf returns the runs of the first paragraph whose text is want.
func runsOf(t *testing.T, doc *xnode, want string) []runProps {
	t.Helper()
	for _, p := range doc.all("p") {
		if p.text() == want {
			var out []runProps
			for _, r := range p.all("r") {
				out = append(out, props(r))
			}
			return out
		}
	}
	t.Errorf("no paragraph %q", want)
	return nil
}

func checkRuns(t *testing.T, doc *xnode, text string, size int, bold, italic bool) {
	t.Helper()
	for _, r := range runsOf(t, doc, text) {
		if r.highlight {
			continue
		}
		if r.size != size || r.bold != bold || r.italic != italic {
			t.Errorf("%q: run %q is size %d bold %v italic %v, want size %d bold %v italic %v",
				text, r.text, r.size, r.bold, r.italic, size, bold, italic)
		}
	}
}

// TestRenderLayout reads the WordprocessingML of every template's sample, and
// of every template drafted from nothing but its name, and checks the layout
// of Phụ lục I Nghị định 30/2020/NĐ-CP.
func TestRenderLayout(t *testing.T) {
	all := drafts(t)
	bl := blanks(t)
	if len(all) < 10 || len(bl) != len(all) {
		t.Fatalf("%d sample drafts and %d blank drafts, want one of each per template (at least 10)", len(all), len(bl))
	}
	for name, d := range bl {
		if len(d.Placeholders) == 0 {
			t.Errorf("%s has no placeholder", name)
		}
		all[name] = d
	}
	for name, d := range all {
		t.Run(name, func(t *testing.T) {
			b := render(t, d)
			doc := parseXML(t, part(t, b, "word/document.xml"))

			// Page setup: A4 portrait, margins in range, no number on page 1.
			sect := doc.all("sectPr")
			if len(sect) != 1 {
				t.Fatalf("%d sectPr, want 1", len(sect))
			}
			pg := sect[0].child("pgSz")
			if pg.attr("w") != "11906" || pg.attr("h") != "16838" || pg.attr("orient") != "portrait" {
				t.Errorf("pgSz = %v, want 11906×16838 portrait", pg.Attrs)
			}
			m := sect[0].child("pgMar")
			for _, c := range []struct {
				side   string
				lo, hi int
			}{{"top", 1134, 1417}, {"bottom", 1134, 1417}, {"left", 1701, 1984}, {"right", 850, 1134}} {
				if v := atoi(m.attr(c.side)); v < c.lo || v > c.hi {
					t.Errorf("margin %s = %d twips, want %d–%d", c.side, v, c.lo, c.hi)
				}
			}
			if sect[0].child("titlePg") == nil {
				t.Error("no titlePg: page 1 would show its number")
			}
			refs := map[string]string{}
			for _, h := range sect[0].all("headerReference") {
				refs[h.attr("type")] = h.attr("id")
			}
			if refs["default"] == "" || refs["first"] == "" {
				t.Errorf("header references = %v, want default and first", refs)
			}
			hdr := string(part(t, b, "word/header1.xml"))
			if !strings.Contains(hdr, " PAGE ") || !strings.Contains(hdr, `w:jc w:val="center"`) {
				t.Errorf("header1.xml has no centred PAGE field:\n%s", hdr)
			}
			if first := string(part(t, b, "word/header2.xml")); strings.Contains(first, "PAGE") {
				t.Error("first-page header shows a page number")
			}

			// Fonts: Times New Roman everywhere.
			styles := string(part(t, b, "word/styles.xml"))
			if !strings.Contains(styles, `<w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman"`) {
				t.Error("styles.xml default font is not Times New Roman")
			}
			for _, r := range doc.all("r") {
				if p := props(r); p.font != docx.FontName {
					t.Errorf("run %q has font %q", p.text, p.font)
				}
			}

			// Header table: two borderless columns, issuing body | Quốc hiệu and Tiêu ngữ.
			tbl := doc.child("body").child("tbl")
			if tbl == nil {
				t.Fatal("document does not start with the header table")
			}
			if cols := tbl.all("gridCol"); len(cols) != 2 {
				t.Errorf("header table has %d columns, want 2", len(cols))
			}
			for _, side := range tbl.child("tblPr").child("tblBorders").Nodes {
				if side.attr("val") != "nil" {
					t.Errorf("header table border %s = %q, want nil", side.XMLName.Local, side.attr("val"))
				}
			}
			row := tbl.all("tr")[0]
			cells := row.all("tc")
			if got := cells[1].text(); got != handbook.NationalName+handbook.NationalMotto {
				t.Errorf("right header cell = %q", got)
			}
			if got, want := cells[0].text(), strings.Join(append(slices.Clone(d.Superior), d.Issuer...), ""); got != want {
				t.Errorf("left header cell = %q, want %q", got, want)
			}
			var bordered int
			for _, p := range tbl.all("p") {
				if pp := p.child("pPr"); pp != nil && pp.child("pBdr") != nil {
					bordered++
				}
			}
			if bordered != 2 {
				t.Errorf("header table has %d rule lines, want 2 (under the issuing body and the Tiêu ngữ)", bordered)
			}

			// Sizes and styles per component (Phụ lục I, Phần I, mục II).
			checkRuns(t, doc, handbook.NationalName, 24, true, false)
			checkRuns(t, doc, handbook.NationalMotto, 26, true, false)
			for _, l := range d.Issuer {
				checkRuns(t, doc, l, 24, true, false)
			}
			checkRuns(t, doc, d.Number, 26, false, false)
			if d.PlaceDate != "" {
				checkRuns(t, doc, d.PlaceDate, 26, false, true)
			}
			if d.Title != "" {
				checkRuns(t, doc, d.Title, 28, true, false)
				if d.Subject != "" {
					checkRuns(t, doc, d.Subject, 28, true, false)
				}
			} else {
				checkRuns(t, doc, d.Subject, 24, false, false)
			}
			for _, bs := range d.Bases {
				checkRuns(t, doc, bs.Text, 28, false, true)
			}
			for _, s := range d.Signatures {
				for _, l := range s.Lines {
					checkRuns(t, doc, l, 28, true, false)
				}
				checkRuns(t, doc, s.Name, 28, true, false)
			}
			checkRuns(t, doc, "Nơi nhận:", 24, true, true)
			for _, r := range d.Recipients {
				checkRuns(t, doc, "- "+r, 22, false, false)
			}
			for _, p := range doc.all("p") {
				pp := p.child("pPr")
				if pp == nil || pp.child("jc") == nil || pp.child("jc").attr("val") != "both" {
					continue
				}
				if ind := pp.child("ind"); ind == nil || ind.attr("firstLine") != "567" {
					t.Errorf("justified paragraph %q has no 1 cm first-line indent", p.text())
				}
				for _, r := range p.all("r") {
					if s := props(r).size; s < 26 || s > 28 {
						t.Errorf("body run %q has size %d, want 26–28 half-points", props(r).text, s)
					}
				}
			}

			// Placeholders highlighted, and only they.
			var placeholders int
			for _, r := range doc.all("r") {
				p := props(r)
				isPlaceholder := strings.HasPrefix(p.text, handbook.PlaceholderPrefix)
				if isPlaceholder != p.highlight {
					t.Errorf("run %q: highlight %v", p.text, p.highlight)
				}
				if isPlaceholder {
					placeholders++
				}
			}
			want := 0
			for _, l := range strings.Split(d.Text(), "\n") {
				want += len(handbook.Placeholders(l))
			}
			if placeholders != want {
				t.Errorf("%d highlighted placeholders, want %d", placeholders, want)
			}
		})
	}
}

func textLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n") + "\n"
}

// TestReadText: the paragraphs of the .docx read back in the order of the
// text form, and validate like it.
func TestReadText(t *testing.T) {
	dr := &handbook.Drafter{Now: func() time.Time { return time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC) }}
	for name, d := range drafts(t) {
		t.Run(name, func(t *testing.T) {
			got, err := docx.ReadText(render(t, d))
			if err != nil {
				t.Fatal(err)
			}
			if want := textLines(d.Text()); got != want {
				t.Errorf("ReadText differs from Text():\n got: %q\nwant: %q", got, want)
			}
			p, err := handbook.ParseDraftText(got)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range dr.Check(p, handbook.Date{}) {
				if f.Severity == handbook.SeverityError {
					t.Errorf("Check(ReadText(Render(d))): %s", f)
				}
			}
		})
	}
	if _, err := docx.ReadText([]byte("không phải tệp zip")); handbook.ErrorCode(err) != handbook.Invalid {
		t.Errorf("ReadText(garbage) error = %v, want invalid", err)
	}
	if msg := handbook.ErrorMessage(func() error { _, err := docx.ReadText(nil); return err }()); !strings.Contains(msg, ".docx") {
		t.Errorf("message = %q", msg)
	}
}

// rezip returns b with edit applied to word/document.xml.
func rezip(t *testing.T, b []byte, edit func(string) string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		data := part(t, b, f.Name)
		if f.Name == "word/document.xml" {
			data = []byte(edit(string(data)))
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheckLayout(t *testing.T) {
	b := render(t, drafts(t)["quyet-dinh"])
	fs, err := docx.CheckLayout(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) > 0 {
		t.Errorf("CheckLayout(Render) = %v, want no findings", fs)
	}
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"letter paper", `w:w="11906" w:h="16838"`, `w:w="12240" w:h="15840"`, "Khổ giấy phải là A4"},
		{"landscape", `w:w="11906" w:h="16838" w:orient="portrait"`, `w:w="16838" w:h="11906" w:orient="landscape"`, "khổ dọc"},
		{"narrow left margin", `w:left="1701"`, `w:left="1134"`, "Lề trái 20.0 mm"},
		{"wide right margin", `w:right="851"`, `w:right="1417"`, "Lề phải 25.0 mm"},
		{"Arial", `w:ascii="Times New Roman"`, `w:ascii="Arial"`, "không phải «Arial»"},
		{"12 pt body", `<w:sz w:val="28"></w:sz><w:szCs w:val="28"></w:szCs><w:lang w:val="vi-VN"></w:lang></w:rPr><w:t xml:space="preserve">Căn cứ`,
			`<w:sz w:val="24"></w:sz><w:szCs w:val="24"></w:szCs><w:lang w:val="vi-VN"></w:lang></w:rPr><w:t xml:space="preserve">Căn cứ`, "không phải 12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := rezip(t, b, func(s string) string {
				if !strings.Contains(s, tc.old) {
					t.Fatalf("document.xml lacks %q", tc.old)
				}
				return strings.Replace(s, tc.old, tc.new, 1)
			})
			fs, err := docx.CheckLayout(edited)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range fs {
				if strings.Contains(f.Message, tc.want) && f.Rule == handbook.RulePageSetup {
					found = true
				}
			}
			if !found {
				t.Errorf("CheckLayout = %v, want a finding containing %q", fs, tc.want)
			}
		})
	}
}

// TestDocumentGolden keeps word/document.xml of two samples byte for byte,
// and checks that rendering is deterministic.
func TestDocumentGolden(t *testing.T) {
	ds := drafts(t)
	for _, name := range []string{"quyet-dinh", "cong-van"} {
		b := render(t, ds[name])
		if again := render(t, ds[name]); !bytes.Equal(b, again) {
			t.Errorf("%s: Render is not byte-stable", name)
		}
		got := part(t, b, "word/document.xml")
		path := filepath.Join("testdata", name+".document.xml")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./handbook/docx -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: word/document.xml differs from %s (run with -update and read the diff)", name, path)
		}
	}
}

func TestCheck(t *testing.T) {
	dr := &handbook.Drafter{Now: func() time.Time { return time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC) }}
	b := render(t, drafts(t)["to-trinh"])
	fs, err := docx.Check(dr, b)
	if err != nil {
		t.Fatal(err)
	}
	if handbook.HasErrors(fs) {
		t.Errorf("Check(Render(tờ trình)) = %v, want no errors", fs)
	}
	bad := rezip(t, b, func(s string) string {
		s = strings.Replace(s, "Số: 07/TTr-UBND", "Số: 7/TT-UBND", 1)
		return strings.Replace(s, `w:left="1701"`, `w:left="1000"`, 1)
	})
	fs, err = docx.Check(dr, bad)
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{handbook.RuleNumber, handbook.RuleAbbreviation, handbook.RulePageSetup} {
		if !slices.ContainsFunc(fs, func(f handbook.Finding) bool { return f.Rule == rule && f.Severity == handbook.SeverityError }) {
			t.Errorf("Check(edited .docx) has no error under %q: %v", rule, fs)
		}
	}
}

func TestRenderEscapes(t *testing.T) {
	d := drafts(t)["cong-van"]
	d.Body = []handbook.Paragraph{{Kind: handbook.ParagraphText, Text: `<w:p> & "x" ]]>`}}
	b := render(t, d)
	doc := string(part(t, b, "word/document.xml"))
	if !strings.Contains(doc, "&lt;w:p&gt; &amp; &#34;x&#34; ]]&gt;") {
		t.Error("body text is not escaped")
	}
	if _, err := docx.ReadText(b); err != nil {
		t.Errorf("ReadText: %v", err)
	}
}
