package handbook_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sotay/handbook"
)

// The "update" flag may also be registered by another test file of this
// package; register it only once and read it by name.
var _ = func() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "update golden files")
	}
	return true
}()

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// readTemplate builds a template Document from a content/templates file. It
// reads only the subset of YAML our template files use (top-level scalars, a
// flow list for structure, a block list of maps for fields), so the drafting
// tests do not depend on handbook/markdown; markdown.Parse is the real reader.
func readTemplate(t *testing.T, path string) *handbook.Document {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(string(b), "---\n", 3)
	if len(parts) != 3 {
		t.Fatalf("%s: no front matter", path)
	}
	slug := strings.TrimSuffix(filepath.Base(path), ".md")
	doc := &handbook.Document{
		ID: "templates/" + slug, Path: "templates/" + slug + ".md", Kind: handbook.KindTemplate,
		Audience: handbook.AudienceInternal, Status: handbook.StatusPublished, Template: &handbook.Template{},
	}
	unquote := func(v string) string {
		v = strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(v, `"`):
			u, err := strconv.Unquote(v)
			if err != nil {
				t.Fatalf("%s: %v: %s", path, err, v)
			}
			return u
		case strings.HasPrefix(v, "'"):
			return strings.ReplaceAll(strings.Trim(v, "'"), "''", "'")
		}
		return v
	}
	tpl := doc.Template
	var cur *handbook.TemplateField
	for _, line := range strings.Split(parts[1], "\n") {
		switch {
		case strings.HasPrefix(line, "  - name: "):
			tpl.Fields = append(tpl.Fields, handbook.TemplateField{Name: unquote(strings.TrimPrefix(line, "  - name: "))})
			cur = &tpl.Fields[len(tpl.Fields)-1]
		case strings.HasPrefix(line, "    ") && cur != nil:
			k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
			switch k {
			case "label":
				cur.Label = unquote(v)
			case "required":
				cur.Required = strings.TrimSpace(v) == "true"
			case "multi":
				cur.Multi = strings.TrimSpace(v) == "true"
			case "example":
				cur.Example = unquote(v)
			}
		case !strings.HasPrefix(line, " "):
			cur = nil
			k, v, _ := strings.Cut(line, ":")
			switch k {
			case "title":
				doc.Title = unquote(v)
			case "doc_type":
				tpl.DocType = unquote(v)
			case "abbr":
				tpl.Abbr = unquote(v)
			case "status":
				doc.Status = handbook.Status(unquote(v))
			case "structure":
				for _, s := range strings.Split(strings.Trim(strings.TrimSpace(v), "[]"), ",") {
					tpl.Structure = append(tpl.Structure, strings.TrimSpace(s))
				}
			}
		}
	}
	return doc
}

func contentTemplates(t *testing.T) []*handbook.Document {
	t.Helper()
	files, err := filepath.Glob("../content/templates/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates in ../content/templates: %v", err)
	}
	var out []*handbook.Document
	for _, f := range files {
		out = append(out, readTemplate(t, f))
	}
	return out
}

func reg(id, title, docType, number, issuer, issued, effective, expired string, sections ...handbook.Section) *handbook.Document {
	d := func(s string) handbook.Date {
		if s == "" {
			return handbook.Date{}
		}
		return handbook.MustDate(s)
	}
	return &handbook.Document{
		ID: id, Path: id + ".md", Kind: handbook.KindRegulation, Title: title,
		Audience: handbook.AudiencePublic, Status: handbook.StatusPublished,
		Regulation: &handbook.Regulation{DocType: docType, Number: number, Issuer: issuer,
			Issued: d(issued), Effective: d(effective), Expired: d(expired)},
		Sections: sections,
	}
}

func article(n, title, text string) handbook.Section {
	return handbook.Section{Kind: handbook.SectionArticle, Anchor: "dieu-" + n, Number: n, Title: title,
		Heading: "Điều " + n + ". " + title, Text: text}
}

// testLibrary is the knowledge base of the drafting tests: the real
// templates from content/templates and a few regulations built here. Dates
// of the test regulations follow domain-notes section 4; where the notes say
// "unverified" the value is only test data.
func testLibrary(t *testing.T) *handbook.Library {
	t.Helper()
	docs := contentTemplates(t)
	nd123 := reg("regulations/nd-123-2015", "Nghị định 123/2015/NĐ-CP quy định chi tiết một số điều và biện pháp thi hành Luật Hộ tịch",
		"Nghị định", "123/2015/NĐ-CP", "Chính phủ", "2015-11-15", "2016-01-01", "")
	nd123.Regulation.AmendedBy = []string{"07/2025/NĐ-CP"}
	nd61 := reg("regulations/nd-61-2018", "Nghị định 61/2018/NĐ-CP về thực hiện cơ chế một cửa, một cửa liên thông trong giải quyết thủ tục hành chính",
		"Nghị định", "61/2018/NĐ-CP", "Chính phủ", "2018-04-23", "2018-04-23", "2025-07-01")
	nd61.Regulation.ReplacedBy = "regulations/nd-118-2025"
	// As in content/regulations/nd-118-2025.md, amended by a decree the
	// knowledge base does not hold.
	nd118 := reg("regulations/nd-118-2025", "Nghị định 118/2025/NĐ-CP về thực hiện thủ tục hành chính theo cơ chế một cửa, một cửa liên thông tại Bộ phận Một cửa và Cổng Dịch vụ công quốc gia",
		"Nghị định", "118/2025/NĐ-CP", "Chính phủ", "2025-06-09", "2025-07-01", "",
		article("1", "Phạm vi điều chỉnh", "Nghị định quy định việc thực hiện thủ tục hành chính theo cơ chế một cửa, một cửa liên thông tại Trung tâm Phục vụ hành chính công cấp tỉnh, cấp xã và trên Cổng Dịch vụ công quốc gia."))
	nd118.Regulation.AmendedBy = []string{"367/2025/NĐ-CP"}
	docs = append(docs,
		reg("regulations/luat-ho-tich-2014", "Luật Hộ tịch 2014", "Luật", "60/2014/QH13", "Quốc hội", "2014-11-20", "2016-01-01", "",
			article("16", "Thủ tục đăng ký khai sinh", "Người đi đăng ký khai sinh nộp tờ khai và giấy chứng sinh.")),
		reg("regulations/luat-to-chuc-chinh-quyen-dia-phuong-2025", "Luật Tổ chức chính quyền địa phương 2025", "Luật", "72/2025/QH15", "Quốc hội", "2025-06-16", "2025-06-16", ""),
		reg("regulations/luat-to-chuc-chinh-quyen-dia-phuong-2015", "Luật Tổ chức chính quyền địa phương 2015", "Luật", "77/2015/QH13", "Quốc hội", "2015-06-19", "2016-01-01", "2025-03-01"),
		nd118,
		nd61, nd123,
		reg("regulations/nd-07-2025", "Nghị định 07/2025/NĐ-CP sửa đổi, bổ sung một số điều của các nghị định trong lĩnh vực hộ tịch, quốc tịch, chứng thực",
			"Nghị định", "07/2025/NĐ-CP", "Chính phủ", "2025-01-09", "2025-01-09", ""),
		reg("regulations/nd-999-2027", "Nghị định 999/2027/NĐ-CP về một việc chưa có hiệu lực",
			"Nghị định", "999/2027/NĐ-CP", "Chính phủ", "2026-12-01", "2027-01-01", ""),
	)
	return handbook.NewLibrary(docs, nil, nil)
}

var testNow = time.Date(2026, 3, 5, 9, 30, 0, 0, time.UTC)

func newDrafter(t *testing.T, llm handbook.LLM) *handbook.Drafter {
	t.Helper()
	lib := testLibrary(t)
	return &handbook.Drafter{Library: func() *handbook.Library { return lib }, LLM: llm, Now: func() time.Time { return testNow },
		Prompt: testDraftPrompt, PromptVersion: "draft-test-1"}
}

// testDraftPrompt stands in for prompts.Draft (which the prompts package
// tests with golden files): the input as JSON in the user message, so tests
// can see what the drafter gave the model.
func testDraftPrompt(in handbook.DraftPromptInput) ([]handbook.Message, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return []handbook.Message{{Role: "system", Content: "soạn thảo"}, {Role: "user", Content: string(b)}}, nil
}

func readRequest(t *testing.T, path string) handbook.DraftRequest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var req handbook.DraftRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return req
}

func requests(t *testing.T) map[string]handbook.DraftRequest {
	t.Helper()
	files, _ := filepath.Glob("testdata/draft/*.request.json")
	out := map[string]handbook.DraftRequest{}
	for _, f := range files {
		out[strings.TrimSuffix(filepath.Base(f), ".request.json")] = readRequest(t, f)
	}
	return out
}

// golden compares got with testdata/draft/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "draft", name)
	if updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./handbook -run TestDraftGolden -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file:\n%s", name, lineDiff(string(want), string(got)))
	}
}

// lineDiff prints the lines that differ, with their line numbers.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n- " + wl + "\n+ " + gl + "\n")
		}
	}
	return b.String()
}

func errorFindings(fs []handbook.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Severity == handbook.SeverityError {
			out = append(out, f.String())
		}
	}
	return out
}

// TestDraftGolden drafts every sample request (one per template) and compares
// the text form and the JSON draft with the golden files. The JSON drafts are
// also the input of the handbook/docx tests.
func TestDraftGolden(t *testing.T) {
	dr := newDrafter(t, nil)
	reqs := requests(t)
	for _, tpl := range dr.Templates() {
		slug := strings.TrimPrefix(tpl.ID, "templates/")
		if _, ok := reqs[slug]; !ok {
			t.Errorf("template %s has no sample request testdata/draft/%s.request.json", tpl.ID, slug)
		}
	}
	// These samples leave a required field empty on purpose, to show the
	// placeholder and the validator's error for it.
	incomplete := map[string]string{"giay-moi": "thoi_gian", "ke-hoach": "kinh_phi"}
	for name, req := range reqs {
		t.Run(name, func(t *testing.T) {
			d, err := dr.Draft(t.Context(), req)
			if err != nil {
				t.Fatalf("Draft: %v (%s)", err, handbook.ErrorMessage(err))
			}
			var errs []string
			for _, f := range d.Findings {
				if f.Severity == handbook.SeverityError && !(incomplete[name] != "" && f.Rule == handbook.RuleTemplate) {
					errs = append(errs, f.String())
				}
			}
			if len(errs) > 0 {
				t.Errorf("sample draft has errors:\n%s", strings.Join(errs, "\n"))
			}
			if f := incomplete[name]; f != "" && !hasFinding(d.Findings, handbook.RuleTemplate, handbook.SeverityError) {
				t.Errorf("sample leaves %s empty but Check reports no error", f)
			}
			golden(t, name+".golden", []byte(d.Text()))
			js, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".draft.json", append(js, '\n'))
		})
	}
	// A request that names only the template: every fact is a placeholder.
	// The handbook/docx tests render these to check that every template
	// highlights its placeholders in the .docx.
	for _, tpl := range dr.Templates() {
		name := strings.TrimPrefix(tpl.ID, "templates/")
		t.Run(name+"/blank", func(t *testing.T) {
			d, err := dr.Draft(t.Context(), handbook.DraftRequest{Template: tpl.ID})
			if err != nil {
				t.Fatalf("Draft: %v (%s)", err, handbook.ErrorMessage(err))
			}
			golden(t, name+".blank.golden", []byte(d.Text()))
			js, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".blank.draft.json", append(js, '\n'))
		})
	}
}

func TestTemplateProblems(t *testing.T) {
	for _, d := range contentTemplates(t) {
		for _, p := range handbook.TemplateProblems(d) {
			t.Errorf("%s", p)
		}
	}
}

func TestFormatDocDate(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2026-03-05", "ngày 05 tháng 3 năm 2026"},
		{"2020-01-05", "ngày 05 tháng 01 năm 2020"},
		{"2026-02-28", "ngày 28 tháng 02 năm 2026"},
		{"2019-06-29", "ngày 29 tháng 6 năm 2019"},
		{"2025-12-31", "ngày 31 tháng 12 năm 2025"},
		{"2025-10-09", "ngày 09 tháng 10 năm 2025"},
	} {
		if got := handbook.FormatDocDate(handbook.MustDate(tc.in)); got != tc.want {
			t.Errorf("FormatDocDate(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDraftLines(t *testing.T) {
	dr := newDrafter(t, nil)
	reqs := requests(t)
	d, err := dr.Draft(t.Context(), reqs["thong-bao"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Lâm Viên, ngày 05 tháng 3 năm 2026", "Số: 04/TB-TTPVHCC", "PHƯỜNG LÂM VIÊN",
		"TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", handbook.NationalName, handbook.NationalMotto,
	} {
		if !strings.Contains(d.Text(), want+"\n") {
			t.Errorf("Text() lacks the line %q", want)
		}
	}
	d, err = dr.Draft(t.Context(), reqs["cong-van"])
	if err != nil {
		t.Fatal(err)
	}
	if want := "Số: " + handbook.Placeholder("số") + "/UBND-VP"; d.Number != want {
		t.Errorf("công văn Number = %q, want %q (no type abbreviation, number left to văn thư)", d.Number, want)
	}
	if want := "V/v đề nghị hỗ trợ thiết bị cho Trung tâm Phục vụ hành chính công xã"; d.Subject != want {
		t.Errorf("công văn Subject = %q, want %q", d.Subject, want)
	}
	if want := []string{"TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"}; !slices.Equal(d.Signatures[0].Lines, want) {
		t.Errorf("signature lines = %q, want %q", d.Signatures[0].Lines, want)
	}
	if want := []string{"Như trên;", "Chủ tịch Ủy ban nhân dân xã (để báo cáo);", "Lưu: VT, VP."}; !slices.Equal(d.Recipients, want) {
		t.Errorf("Recipients = %q, want %q", d.Recipients, want)
	}
	d, err = dr.Draft(t.Context(), reqs["quyet-dinh"])
	if err != nil {
		t.Fatal(err)
	}
	wantBases := []string{
		"Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;",
		"Căn cứ Nghị định số 118/2025/NĐ-CP ngày 09 tháng 6 năm 2025 của Chính phủ về thực hiện thủ tục hành chính theo cơ chế một cửa, một cửa liên thông tại Bộ phận Một cửa và Cổng Dịch vụ công quốc gia;",
	}
	var gotBases []string
	for _, b := range d.Bases {
		gotBases = append(gotBases, b.Text)
	}
	if !slices.Equal(gotBases, wantBases) {
		t.Errorf("Bases = %q, want %q", gotBases, wantBases)
	}
	if want := "Theo đề nghị của Giám đốc Trung tâm Phục vụ hành chính công xã."; d.Proposal != want {
		t.Errorf("Proposal = %q, want %q", d.Proposal, want)
	}
	if d.Authority != "ỦY BAN NHÂN DÂN XÃ SUỐI MÂY" {
		t.Errorf("Authority = %q", d.Authority)
	}
	if last := d.Body[len(d.Body)-1]; last.Lead != "Điều 4." || !strings.HasSuffix(last.Text, "chịu trách nhiệm thi hành Quyết định này./.") {
		t.Errorf("last article = %+v", last)
	}
	if !slices.ContainsFunc(d.Findings, func(f handbook.Finding) bool {
		return f.Rule == handbook.RuleCitation && f.Severity == handbook.SeverityWarning && strings.Contains(f.Message, "367/2025/NĐ-CP")
	}) {
		t.Errorf("no warning that Nghị định 118/2025 was amended by a decree the knowledge base lacks: %v", d.Findings)
	}
	if d.Recipients[0] != "Như Điều 4;" {
		t.Errorf("first recipient = %q, want %q", d.Recipients[0], "Như Điều 4;")
	}
	if len(d.Citations) != 2 || d.Citations[1].Label != "Nghị định số 118/2025/NĐ-CP" {
		t.Errorf("Citations = %+v", d.Citations)
	}
}

func TestBasisText(t *testing.T) {
	lib := testLibrary(t)
	at := handbook.MustDate("2026-03-05")
	for _, tc := range []struct{ doc, anchor, want string }{
		{"regulations/luat-ho-tich-2014", "", "Luật Hộ tịch ngày 20 tháng 11 năm 2014"},
		{"regulations/luat-ho-tich-2014", "dieu-16", "Điều 16 Luật Hộ tịch ngày 20 tháng 11 năm 2014"},
		{"regulations/nd-123-2015", "", "Nghị định số 123/2015/NĐ-CP ngày 15 tháng 11 năm 2015 của Chính phủ quy định chi tiết một số điều và biện pháp thi hành Luật Hộ tịch, được sửa đổi, bổ sung bởi Nghị định số 07/2025/NĐ-CP ngày 09 tháng 01 năm 2025 của Chính phủ sửa đổi, bổ sung một số điều của các nghị định trong lĩnh vực hộ tịch, quốc tịch, chứng thực"},
	} {
		doc, _ := lib.Doc(tc.doc)
		if got := handbook.BasisText(lib, doc, tc.anchor, at); got != tc.want {
			t.Errorf("BasisText(%s, %q) =\n %q\nwant\n %q", tc.doc, tc.anchor, got, tc.want)
		}
	}
}

// TestDraftPlaceholders: with nothing but the template, every fact is a
// placeholder and nothing is invented.
func TestDraftPlaceholders(t *testing.T) {
	dr := newDrafter(t, nil)
	for _, tpl := range dr.Templates() {
		t.Run(tpl.ID, func(t *testing.T) {
			d, err := dr.Draft(t.Context(), handbook.DraftRequest{Template: tpl.ID})
			if err != nil {
				t.Fatal(err)
			}
			text := d.Text()
			for _, want := range []string{
				handbook.Placeholder("số"), handbook.Placeholder("TÊN CƠ QUAN BAN HÀNH"),
				handbook.Placeholder("VIẾT TẮT TÊN CƠ QUAN"),
			} {
				if !strings.Contains(text, want) {
					t.Errorf("Text() lacks %q", want)
				}
			}
			if tpl.Template.Abbr != "BB" {
				for _, want := range []string{handbook.Placeholder("họ và tên người ký"), handbook.Placeholder("ngày … tháng … năm …"), handbook.Placeholder("địa danh")} {
					if !strings.Contains(text, want) {
						t.Errorf("Text() lacks %q", want)
					}
				}
			}
			for _, f := range tpl.Template.Fields {
				if f.Required && !strings.Contains(text, handbook.Placeholder(lowerFirstRune(f.Label))) {
					t.Errorf("required field %s (%s) has no placeholder", f.Name, f.Label)
				}
			}
			if m := regexp.MustCompile(`\d`).FindString(regexp.MustCompile(`Điều \d+`).ReplaceAllString(placeholderless(text), "")); m != "" {
				t.Errorf("an empty request produced a digit (an invented number or date):\n%s", text)
			}
			if len(d.Placeholders) == 0 {
				t.Error("Placeholders is empty")
			}
			if errs := errorFindings(d.Findings); len(errs) == 0 {
				t.Error("Check found no error in a draft with empty required fields")
			}
		})
	}
}

func lowerFirstRune(s string) string {
	r := []rune(s)
	r[0] = []rune(strings.ToLower(string(r[0])))[0]
	return string(r)
}

func placeholderless(s string) string {
	return regexp.MustCompile(`\[CẦN BỔ SUNG: [^\]]*\]`).ReplaceAllString(s, "")
}

func TestDraftInvalidInput(t *testing.T) {
	dr := newDrafter(t, nil)
	base := func() handbook.DraftRequest {
		return handbook.DraftRequest{Template: "cong-van", Fields: map[string]string{"trich_yeu": "thử"}}
	}
	for _, tc := range []struct {
		name string
		edit func(r *handbook.DraftRequest)
		want string // part of the Vietnamese message
	}{
		{"unknown template", func(r *handbook.DraftRequest) { r.Template = "hop-dong-mua-ban" }, "Không có mẫu văn bản «hop-dong-mua-ban»"},
		{"empty template", func(r *handbook.DraftRequest) { r.Template = " " }, "Vui lòng chọn loại văn bản"},
		{"unknown field", func(r *handbook.DraftRequest) { r.Fields["dieu"] = "x" }, "không có trường «dieu»"},
		{"1 MB field", func(r *handbook.DraftRequest) { r.Fields["noi_dung"] = strings.Repeat("a", 1<<20) }, "quá dài"},
		{"field over the rune limit", func(r *handbook.DraftRequest) { r.Fields["noi_dung"] = strings.Repeat("ệ", handbook.MaxFieldRunes+1) }, "Trường «Nội dung công văn» quá dài"},
		{"total over the limit", func(r *handbook.DraftRequest) {
			for i := range 11 {
				r.Recipients = append(r.Recipients, strings.Repeat("x", handbook.MaxFieldRunes-i))
			}
		}, "Nội dung yêu cầu quá dài"},
		{"control character", func(r *handbook.DraftRequest) { r.Fields["trich_yeu"] = "thử\x07" }, "ký tự điều khiển"},
		{"NUL in issuer", func(r *handbook.DraftRequest) { r.Issuer = "Ủy ban\x00" }, "Trường «Cơ quan ban hành» chứa ký tự điều khiển"},
		{"bidi override", func(r *handbook.DraftRequest) { r.Signer.Name = "Nguyễn\u202eVăn" }, "ký tự điều khiển"},
		{"invalid UTF-8", func(r *handbook.DraftRequest) { r.Place = "Su\xffối" }, "không phải UTF-8"},
		{"bad date", func(r *handbook.DraftRequest) { r.Date = "5 tháng 3" }, "Ngày ban hành không hợp lệ"},
		{"bad number", func(r *handbook.DraftRequest) { r.Number = "15a" }, "Số văn bản chỉ gồm chữ số"},
		{"zero number", func(r *handbook.DraftRequest) { r.Number = "00" }, "Số văn bản chỉ gồm chữ số"},
		{"bad authority", func(r *handbook.DraftRequest) { r.Signer.Authority = "TT." }, "Quyền hạn ký phải là"},
		{"bad code", func(r *handbook.DraftRequest) { r.IssuerCode = "UB ND" }, "Chữ viết tắt tên cơ quan chỉ gồm"},
		{"bases in a template without căn cứ", func(r *handbook.DraftRequest) {
			r.LegalBases = []handbook.Reference{{Doc: "regulations/luat-ho-tich-2014"}}
		}, "không có phần căn cứ"},
		{"unknown legal basis", func(r *handbook.DraftRequest) {
			r.Template = "quyet-dinh"
			r.Fields = nil
			r.LegalBases = []handbook.Reference{{Doc: "regulations/khong-co"}}
		}, "Không tìm thấy văn bản căn cứ «regulations/khong-co»"},
		{"unknown anchor", func(r *handbook.DraftRequest) {
			r.Template, r.Fields = "quyet-dinh", nil
			r.LegalBases = []handbook.Reference{{Doc: "regulations/luat-ho-tich-2014", Article: "dieu-99"}}
		}, "Không tìm thấy Điều 99 trong «Luật Hộ tịch 2014»"},
		{"expired legal basis", func(r *handbook.DraftRequest) {
			r.Template, r.Fields, r.Date = "quyet-dinh", nil, "2026-03-05"
			r.LegalBases = []handbook.Reference{{Doc: "61/2018/NĐ-CP"}}
		}, "đã hết hiệu lực vào ngày 05/03/2026; văn bản thay thế: «Nghị định số 118/2025/NĐ-CP»"},
		{"legal basis not yet in force", func(r *handbook.DraftRequest) {
			r.Template, r.Fields, r.Date = "quyet-dinh", nil, "2026-03-05"
			r.LegalBases = []handbook.Reference{{Doc: "regulations/nd-999-2027"}}
		}, "chưa có hiệu lực"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.edit(&r)
			_, err := dr.Draft(t.Context(), r)
			if handbook.ErrorCode(err) != handbook.Invalid {
				t.Fatalf("Draft error = %v, want code invalid", err)
			}
			if msg := handbook.ErrorMessage(err); !strings.Contains(msg, tc.want) {
				t.Errorf("message = %q, want it to contain %q", msg, tc.want)
			}
			if strings.Contains(err.Error(), "Trường") || strings.Contains(err.Error(), "không") {
				t.Errorf("Error() = %q carries the Vietnamese text", err.Error())
			}
		})
	}
}

func TestDraftLegalBasisInForceOnDocumentDate(t *testing.T) {
	dr := newDrafter(t, nil)
	req := handbook.DraftRequest{Template: "quyet-dinh", Date: "2025-05-02",
		LegalBases: []handbook.Reference{{Doc: "regulations/nd-61-2018"}}}
	d, err := dr.Draft(t.Context(), req)
	if err != nil {
		t.Fatalf("a basis in force on the document date was refused: %v", err)
	}
	if want := "Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23 tháng 4 năm 2018 của Chính phủ về thực hiện cơ chế một cửa, một cửa liên thông trong giải quyết thủ tục hành chính;"; d.Bases[0].Text != want {
		t.Errorf("basis = %q, want %q", d.Bases[0].Text, want)
	}
	// Without a date the drafter's clock decides: NĐ 61/2018 expired on 2025-07-01.
	req.Date = ""
	if _, err := dr.Draft(t.Context(), req); handbook.ErrorCode(err) != handbook.Invalid {
		t.Errorf("Draft without date, expired basis: error = %v, want invalid", err)
	}
}

// fakeLLM is a handbook.LLM whose reply is a function.
type fakeLLM struct {
	complete func(ctx context.Context, msgs []handbook.Message) (string, error)
	calls    int
	msgs     []handbook.Message
}

var _ handbook.LLM = (*fakeLLM)(nil)

func (f *fakeLLM) Complete(ctx context.Context, msgs []handbook.Message) (string, error) {
	f.calls++
	f.msgs = msgs
	return f.complete(ctx, msgs)
}

func TestDraftLLMInventionsBecomePlaceholders(t *testing.T) {
	llm := &fakeLLM{complete: func(context.Context, []handbook.Message) (string, error) {
		return "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n" +
			"Căn cứ Nghị định số 55/2026/NĐ-CP ngày 01 tháng 02 năm 2026 của Chính phủ;\n" +
			"**Điều 1.** Thành lập Tổ hỗ trợ theo Nghị định số 999/2025/NĐ-CP ngày 15 tháng 4 năm 2026 của Chính phủ.\n" +
			"- Thực hiện Nghị định số 118/2025/NĐ-CP, Tổ làm việc từ ngày 05 tháng 3 năm 2026, kinh phí 50.000.000 đồng, theo Quyết định 123/QĐ-UBND.\n" +
			"Tổ báo cáo kết quả trước ngày 30/4/2026.\n" +
			"Nơi nhận:\n- Lưu: VT.\n", nil
	}}
	dr := newDrafter(t, llm)
	req := readRequest(t, "testdata/draft/quyet-dinh.request.json")
	delete(req.Fields, "dieu")
	req.Instructions = "Thành lập tổ hỗ trợ dịch vụ công, nêu nhiệm vụ của tổ."
	d, err := dr.Draft(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if llm.calls != 1 {
		t.Fatalf("LLM calls = %d, want 1", llm.calls)
	}
	body := ""
	for _, p := range d.Body {
		body += p.String() + "\n"
	}
	for _, bad := range []string{"999/2025", "15 tháng 4", "50.000.000", "123/QĐ-UBND", "30/4/2026", "55/2026", "CỘNG HÒA", "Nơi nhận", "**", "Điều 1. Điều 1"} {
		if strings.Contains(body, bad) {
			t.Errorf("body keeps %q:\n%s", bad, body)
		}
	}
	for _, want := range []string{
		"Điều 1. Thành lập Tổ hỗ trợ theo Nghị định số [CẦN BỔ SUNG: số, ký hiệu văn bản] [CẦN BỔ SUNG: ngày tháng năm] của Chính phủ.",
		"Nghị định số 118/2025/NĐ-CP", // known to the knowledge base
		"từ ngày 05 tháng 3 năm 2026", // the document date is an input
		"kinh phí [CẦN BỔ SUNG: số tiền]",
		"trước ngày [CẦN BỔ SUNG: ngày tháng năm].",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if errs := errorFindings(d.Findings); len(errs) > 0 {
		t.Errorf("LLM draft does not pass Check:\n%s", strings.Join(errs, "\n"))
	}
	if !slices.ContainsFunc(d.Findings, func(f handbook.Finding) bool { return f.Rule == handbook.RuleLLM }) {
		t.Error("no finding says the body was machine-written")
	}
	// What the model was given: the instructions, the part to write and the
	// cited regulations' text as its only sources.
	var in handbook.DraftPromptInput
	if len(llm.msgs) != 2 || json.Unmarshal([]byte(llm.msgs[1].Content), &in) != nil {
		t.Fatalf("messages = %+v", llm.msgs)
	}
	if in.Instructions != req.Instructions || in.Part != "Nội dung các điều" || !in.Articles || in.DocType != "Quyết định" {
		t.Errorf("prompt input = %+v", in)
	}
	var sources []string
	for _, s := range in.Sources {
		sources = append(sources, s.Label+"\n"+s.Text)
	}
	for _, want := range []string{"Nghị định số 118/2025/NĐ-CP", "Điều 1. Phạm vi điều chỉnh"} {
		if !strings.Contains(strings.Join(sources, "\n"), want) {
			t.Errorf("sources lack %q: %q", want, sources)
		}
	}
	if d.PromptVersion != "draft-test-1" {
		t.Errorf("PromptVersion = %q, want the drafter's", d.PromptVersion)
	}
}

// TestDraftLLMWithoutPrompt: an LLM without a prompt is a wiring mistake,
// reported as such rather than drafted around.
func TestDraftLLMWithoutPrompt(t *testing.T) {
	llm := &fakeLLM{complete: func(context.Context, []handbook.Message) (string, error) { return "x", nil }}
	dr := newDrafter(t, llm)
	dr.Prompt = nil
	req := readRequest(t, "testdata/draft/cong-van.request.json")
	delete(req.Fields, "noi_dung")
	req.Instructions = "đề nghị hỗ trợ"
	if _, err := dr.Draft(t.Context(), req); err == nil || handbook.ErrorCode(err) == handbook.Invalid {
		t.Errorf("Draft with an LLM and no prompt: error = %v, want an internal error", err)
	}
	if llm.calls != 0 {
		t.Errorf("LLM called %d times without a prompt", llm.calls)
	}
}

func TestDraftLLMOnlyWritesEmptyBody(t *testing.T) {
	llm := &fakeLLM{complete: func(context.Context, []handbook.Message) (string, error) { return "khác", nil }}
	dr := newDrafter(t, llm)
	req := readRequest(t, "testdata/draft/cong-van.request.json")
	req.Instructions = "viết lại"
	d, err := dr.Draft(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if llm.calls != 0 {
		t.Errorf("LLM called %d times although the body was given", llm.calls)
	}
	if strings.Contains(d.Text(), "khác") {
		t.Error("LLM text replaced the user's body")
	}
}

// TestDraftInstructionsWithoutLLM: without a model the draft comes from the
// fields, and the drafter is told the instructions were not used.
func TestDraftInstructionsWithoutLLM(t *testing.T) {
	dr := newDrafter(t, nil)
	req := readRequest(t, "testdata/draft/cong-van.request.json")
	delete(req.Fields, "noi_dung")
	req.Instructions = "đề nghị hỗ trợ máy quét"
	d, err := dr.Draft(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Text(), handbook.Placeholder("nội dung công văn")) || strings.Contains(d.Text(), "máy quét") {
		t.Errorf("body without a model:\n%s", d.Text())
	}
	if !slices.ContainsFunc(d.Findings, func(f handbook.Finding) bool {
		return f.Rule == handbook.RuleLLM && strings.Contains(f.Message, "chưa cấu hình mô hình ngôn ngữ")
	}) {
		t.Errorf("no finding says the instructions were not used: %v", d.Findings)
	}
}

func TestDraftLLMDownDegrades(t *testing.T) {
	llm := &fakeLLM{complete: func(context.Context, []handbook.Message) (string, error) {
		return "", errors.New("connection refused")
	}}
	dr := newDrafter(t, llm)
	req := readRequest(t, "testdata/draft/cong-van.request.json")
	delete(req.Fields, "noi_dung")
	req.Instructions = "đề nghị hỗ trợ máy quét"
	d, err := dr.Draft(t.Context(), req)
	if err != nil {
		t.Fatalf("Draft with LLM down: %v", err)
	}
	if !strings.Contains(d.Text(), handbook.Placeholder("nội dung công văn")) {
		t.Errorf("body is not a placeholder:\n%s", d.Text())
	}
	if !slices.ContainsFunc(d.Findings, func(f handbook.Finding) bool { return f.Rule == handbook.RuleLLM }) {
		t.Error("no finding reports the LLM failure")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	llm.complete = func(ctx context.Context, _ []handbook.Message) (string, error) { return "", ctx.Err() }
	if _, err := dr.Draft(ctx, req); !errors.Is(err, context.Canceled) {
		t.Errorf("Draft(cancelled) error = %v, want context.Canceled", err)
	}
}

// TestParseDraftTextRoundTrip: the text form reads back into the same components.
func TestParseDraftTextRoundTrip(t *testing.T) {
	dr := newDrafter(t, nil)
	for name, req := range requests(t) {
		t.Run(name, func(t *testing.T) {
			d, err := dr.Draft(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			p, err := handbook.ParseDraftText(d.Text())
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, got, want any) {
				t.Helper()
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				if string(g) != string(w) {
					t.Errorf("%s = %s, want %s", what, g, w)
				}
			}
			check("Issuer", p.Issuer, append(slices.Clone(d.Superior), d.Issuer...))
			check("Number", p.Number, d.Number)
			check("PlaceDate", p.PlaceDate, d.PlaceDate)
			check("DocType", p.DocType, d.DocType)
			check("Title", p.Title, d.Title)
			check("Subject", p.Subject, d.Subject)
			check("Authority", p.Authority, d.Authority)
			check("To", p.To, d.To)
			check("Proposal", p.Proposal, d.Proposal)
			check("Body", p.Body, d.Body)
			check("Signatures", p.Signatures, d.Signatures)
			check("Recipients", p.Recipients, d.Recipients)
			if d.PlaceDate != "" { // a biên bản has its time in the body (Mẫu 1.9)
				check("Date", p.Date, d.Date)
			}
			var bases []string
			for _, b := range d.Bases {
				bases = append(bases, b.Text)
			}
			var pbases []string
			for _, b := range p.Bases {
				pbases = append(pbases, b.Text)
			}
			check("Bases", pbases, bases)
			fs := dr.Check(p, handbook.Date{})
			if errs := errorFindings(fs); len(errs) > 0 {
				t.Errorf("parsed text has errors:\n%s", strings.Join(errs, "\n"))
			}
			// The căn cứ the drafter wrote match the knowledge base, so
			// reading them back finds nothing to say about them.
			for _, f := range fs {
				if f.Component == handbook.ComponentBases {
					t.Errorf("finding on a generated căn cứ: %s", f)
				}
			}
		})
	}
}

func hasFinding(fs []handbook.Finding, rule string, sev handbook.Severity) bool {
	return slices.ContainsFunc(fs, func(f handbook.Finding) bool { return f.Rule == rule && f.Severity == sev })
}

// TestCheck mutates valid sample drafts, one rule at a time.
func TestCheck(t *testing.T) {
	dr := newDrafter(t, nil)
	reqs := requests(t)
	draft := func(t *testing.T, name string) *handbook.Draft {
		t.Helper()
		d, err := dr.Draft(t.Context(), reqs[name])
		if err != nil {
			t.Fatal(err)
		}
		if errs := errorFindings(dr.Check(d, handbook.Date{})); len(errs) > 0 {
			t.Fatalf("base draft %s has errors:\n%s", name, strings.Join(errs, "\n"))
		}
		return d
	}
	const (
		E = handbook.SeverityError
		W = handbook.SeverityWarning
	)
	for _, tc := range []struct {
		name   string
		sample string
		edit   func(d *handbook.Draft)
		rule   string
		sev    handbook.Severity
	}{
		{"wrong abbreviation for the type", "quyet-dinh", func(d *handbook.Draft) { d.Number = "Số: 15/TB-UBND" }, handbook.RuleAbbreviation, E},
		{"Quy định abbreviation on a quyết định", "quyet-dinh", func(d *handbook.Draft) { d.Number = "Số: 15/QyĐ-UBND" }, handbook.RuleAbbreviation, E},
		{"type abbreviation in a công văn", "cong-van", func(d *handbook.Draft) { d.Number = "Số: 12/TB-UBND" }, handbook.RuleAbbreviation, E},
		{"number below 10 without zero", "quyet-dinh", func(d *handbook.Draft) { d.Number = "Số: 5/QĐ-UBND" }, handbook.RuleNumber, E},
		{"no colon after Số", "quyet-dinh", func(d *handbook.Draft) { d.Number = "Số 15/QĐ-UBND" }, handbook.RuleNumber, E},
		{"spaces in ký hiệu", "quyet-dinh", func(d *handbook.Draft) { d.Number = "Số: 15 / QĐ - UBND" }, handbook.RuleNumber, E},
		{"lower-case ký hiệu", "quyet-dinh", func(d *handbook.Draft) { d.Number = "Số: 15/QĐ-ubnd" }, handbook.RuleNumber, E},
		{"no slash", "quyet-dinh", func(d *handbook.Draft) { d.Number = "Số: 15-QĐ-UBND" }, handbook.RuleNumber, E},
		{"day without zero", "quyet-dinh", func(d *handbook.Draft) { d.PlaceDate = "Suối Mây, ngày 5 tháng 3 năm 2026" }, handbook.RulePlaceDate, E},
		{"month 3 with zero", "quyet-dinh", func(d *handbook.Draft) { d.PlaceDate = "Suối Mây, ngày 05 tháng 03 năm 2026" }, handbook.RulePlaceDate, E},
		{"month 1 without zero", "quyet-dinh", func(d *handbook.Draft) { d.PlaceDate = "Suối Mây, ngày 05 tháng 1 năm 2026" }, handbook.RulePlaceDate, E},
		{"numeric date", "quyet-dinh", func(d *handbook.Draft) { d.PlaceDate = "Suối Mây, 05/3/2026" }, handbook.RulePlaceDate, E},
		{"impossible date", "quyet-dinh", func(d *handbook.Draft) { d.PlaceDate = "Suối Mây, ngày 30 tháng 02 năm 2026" }, handbook.RulePlaceDate, E},
		{"place not capitalised", "quyet-dinh", func(d *handbook.Draft) { d.PlaceDate = "suối Mây, ngày 05 tháng 3 năm 2026" }, handbook.RulePlaceDate, E},
		{"missing date line", "quyet-dinh", func(d *handbook.Draft) { d.PlaceDate = "" }, handbook.RuleComponents, E},
		{"missing required field", "quyet-dinh", func(d *handbook.Draft) { delete(d.Fields, "trich_yeu") }, handbook.RuleTemplate, E},
		{"expired legal basis", "quyet-dinh", func(d *handbook.Draft) {
			d.Bases[0] = handbook.Basis{Doc: "regulations/nd-61-2018", Text: "Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23 tháng 4 năm 2018 của Chính phủ;"}
		}, handbook.RuleBases, E},
		{"expired legal basis read from text", "quyet-dinh", func(d *handbook.Draft) {
			d.Bases[0] = handbook.Basis{Text: "Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23 tháng 4 năm 2018 của Chính phủ về thực hiện cơ chế một cửa;"}
		}, handbook.RuleBases, E},
		{"expired law read from text", "quyet-dinh", func(d *handbook.Draft) {
			d.Bases[0] = handbook.Basis{Text: "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;"}
		}, handbook.RuleBases, E},
		{"legal basis not in the knowledge base", "quyet-dinh", func(d *handbook.Draft) {
			d.Bases[0] = handbook.Basis{Text: "Căn cứ Quyết định số 12/QĐ-UBND ngày 02 tháng 01 năm 2026 của Ủy ban nhân dân tỉnh;"}
		}, handbook.RuleBases, W},
		{"wrong issuing date of a basis read from text", "quyet-dinh", func(d *handbook.Draft) {
			d.Bases[1] = handbook.Basis{Text: "Căn cứ Nghị định số 118/2025/NĐ-CP ngày 10 tháng 6 năm 2025 của Chính phủ về thực hiện thủ tục hành chính theo cơ chế một cửa;"}
		}, handbook.RuleCitation, E},
		{"basis date not zero-padded", "quyet-dinh", func(d *handbook.Draft) {
			d.Bases[1] = handbook.Basis{Text: "Căn cứ Nghị định số 118/2025/NĐ-CP ngày 9 tháng 6 năm 2025 của Chính phủ về thực hiện thủ tục hành chính theo cơ chế một cửa;"}
		}, handbook.RuleCitation, W},
		{"basis date in figures", "quyet-dinh", func(d *handbook.Draft) {
			d.Bases[1] = handbook.Basis{Text: "Căn cứ Nghị định số 118/2025/NĐ-CP ngày 09/6/2025 của Chính phủ về thực hiện thủ tục hành chính theo cơ chế một cửa;"}
		}, handbook.RuleCitation, W},
		{"basis article the knowledge base lacks", "quyet-dinh", func(d *handbook.Draft) {
			d.Bases[1] = handbook.Basis{Text: "Căn cứ Điều 99 Nghị định số 118/2025/NĐ-CP ngày 09 tháng 6 năm 2025 của Chính phủ về thực hiện thủ tục hành chính theo cơ chế một cửa;"}
		}, handbook.RuleBases, W},
		{"law cited with its number", "quyet-dinh", func(d *handbook.Draft) {
			d.Bases[0].Text = "Căn cứ Luật Tổ chức chính quyền địa phương số 72/2025/QH15 ngày 16 tháng 6 năm 2025;"
		}, handbook.RuleCitation, W},
		{"căn cứ punctuation", "quyet-dinh", func(d *handbook.Draft) { d.Bases[0].Text = strings.TrimSuffix(d.Bases[0].Text, ";") }, handbook.RuleBases, E},
		{"motto without spaces", "quyet-dinh", func(d *handbook.Draft) { d.Motto = "Độc lập-Tự do-Hạnh phúc" }, handbook.RuleNational, E},
		{"missing national name", "quyet-dinh", func(d *handbook.Draft) { d.National = "" }, handbook.RuleComponents, E},
		{"type name not upper case", "quyet-dinh", func(d *handbook.Draft) { d.Title = "Quyết định" }, handbook.RuleTitle, E},
		{"công văn without V/v", "cong-van", func(d *handbook.Draft) { d.Subject = "Đề nghị hỗ trợ thiết bị" }, handbook.RuleTitle, E},
		{"công văn without Kính gửi", "cong-van", func(d *handbook.Draft) { d.To = nil }, handbook.RuleRecipients, E},
		{"bad signing prefix", "quyet-dinh", func(d *handbook.Draft) { d.Signatures[0].Lines[0] = "T/M ỦY BAN NHÂN DÂN" }, handbook.RuleSignature, E},
		{"TM. before a title", "quyet-dinh", func(d *handbook.Draft) { d.Signatures[0].Lines[0] = "TM. CHỦ TỊCH" }, handbook.RuleSignature, W},
		{"KT. without deputy title", "cong-van", func(d *handbook.Draft) { d.Signatures[0].Lines = d.Signatures[0].Lines[:2] }, handbook.RuleSignature, E},
		{"academic title before the name", "quyet-dinh", func(d *handbook.Draft) { d.Signatures[0].Name = "TS. Nguyễn Văn An" }, handbook.RuleSignature, E},
		{"no Lưu line", "quyet-dinh", func(d *handbook.Draft) { d.Recipients = d.Recipients[:len(d.Recipients)-1] }, handbook.RuleRecipients, E},
		{"missing nơi nhận", "quyet-dinh", func(d *handbook.Draft) { d.Recipients = nil }, handbook.RuleComponents, E},
		{"articles out of sequence", "quyet-dinh", func(d *handbook.Draft) { d.Body[2].Lead = "Điều 3." }, handbook.RuleBody, E},
		{"components out of order", "quyet-dinh", func(d *handbook.Draft) {
			d.Order = []handbook.Component{handbook.ComponentIssuer, handbook.ComponentNational, handbook.ComponentTitle,
				handbook.ComponentNumber, handbook.ComponentPlaceDate, handbook.ComponentBody, handbook.ComponentRecipients, handbook.ComponentSignature}
		}, handbook.RuleLayout, E},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := draft(t, tc.sample)
			tc.edit(d)
			fs := dr.Check(d, handbook.Date{})
			if !hasFinding(fs, tc.rule, tc.sev) {
				t.Errorf("Check found no %s under %q; findings:\n%s", tc.sev, tc.rule, findingList(fs))
			}
		})
	}
}

func findingList(fs []handbook.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.String() + "\n")
	}
	return b.String()
}

// TestCheckParsedText validates documents given as text (the --check path),
// including components out of order.
func TestCheckParsedText(t *testing.T) {
	dr := newDrafter(t, nil)
	d, err := dr.Draft(t.Context(), requests(t)["cong-van"])
	if err != nil {
		t.Fatal(err)
	}
	text := d.Text()
	for _, tc := range []struct {
		name string
		edit func(string) string
		rule string
		sev  handbook.Severity
	}{
		{"số after the body", func(s string) string {
			s = strings.Replace(s, d.Number+"\n", "", 1)
			return strings.Replace(s, "Trân trọng./.\n", "Trân trọng./.\n"+d.Number+"\n", 1)
		}, handbook.RuleLayout, handbook.SeverityError},
		{"nơi nhận before kính gửi", func(s string) string {
			return strings.Replace(s, "Kính gửi:", "Nơi nhận:\n- Lưu: VT.\n\nKính gửi:", 1)
		}, handbook.RuleLayout, handbook.SeverityError},
		{"Quốc hiệu misspelt", func(s string) string {
			return strings.Replace(s, handbook.NationalName, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA", 1)
		}, handbook.RuleComponents, handbook.SeverityError},
		{"date with month zero", func(s string) string {
			return strings.Replace(s, "tháng 3 năm", "tháng 03 năm", 1)
		}, handbook.RulePlaceDate, handbook.SeverityError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := handbook.ParseDraftText(tc.edit(text))
			if err != nil {
				t.Fatal(err)
			}
			fs := dr.Check(p, handbook.Date{})
			if !hasFinding(fs, tc.rule, tc.sev) {
				t.Errorf("Check found no %s under %q; findings:\n%s\norder: %q", tc.sev, tc.rule, findingList(fs), p.Order)
			}
		})
	}
	if _, err := handbook.ParseDraftText("\n \n"); handbook.ErrorCode(err) != handbook.Invalid {
		t.Errorf("ParseDraftText(empty) error = %v, want invalid", err)
	}
}

func TestDraftHTML(t *testing.T) {
	dr := newDrafter(t, nil)
	req := readRequest(t, "testdata/draft/cong-van.request.json")
	req.Fields["noi_dung"] = "Đề nghị <script>alert(1)</script> & hỗ trợ"
	d, err := dr.Draft(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	h, err := d.HTML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(h)
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt; &amp; hỗ trợ",
		`<mark class="can-bo-sung">[CẦN BỔ SUNG: số]</mark>`,
		handbook.NationalName, "Kính gửi: Sở Khoa học và Công nghệ tỉnh Lâm Đồng", "Nơi nhận:",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(s, "<script>") {
		t.Error("HTML contains an unescaped script tag")
	}
}

func TestSegments(t *testing.T) {
	got := handbook.Segments("Số: [CẦN BỔ SUNG: số]/QĐ-UBND")
	want := []handbook.Segment{{Text: "Số: "}, {Text: "[CẦN BỔ SUNG: số]", Missing: true}, {Text: "/QĐ-UBND"}}
	if !slices.Equal(got, want) {
		t.Errorf("Segments = %+v, want %+v", got, want)
	}
}

func TestAdminDocType(t *testing.T) {
	for _, tc := range []struct {
		name, abbr string
		ok         bool
	}{
		{"Quyết định", "QĐ", true}, {"Quy định", "QyĐ", true}, {"Chương trình", "CTr", true},
		{"Đề án", "ĐA", true}, {"Dự án", "DA", true}, {"Công văn", "", true}, {"giấy uỷ quyền", "GUQ", true},
		{"Giấy xác nhận", "", false},
	} {
		abbr, ok := handbook.AdminDocType(tc.name)
		if abbr != tc.abbr || ok != tc.ok {
			t.Errorf("AdminDocType(%q) = %q, %v; want %q, %v", tc.name, abbr, ok, tc.abbr, tc.ok)
		}
	}
}

func FuzzParseDraftText(f *testing.F) {
	files, _ := filepath.Glob("testdata/draft/*.golden")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(string(b))
	}
	f.Add("Số:\nNơi nhận:\n-\nTM.\n")
	dr := &handbook.Drafter{Now: func() time.Time { return testNow }}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := handbook.ParseDraftText(s)
		if err != nil {
			return
		}
		dr.Check(d, handbook.Date{})
		_ = d.Text()
	})
}

// TestBasisTextTitleWithParenthesis: a title ending in "(Luật số …)" must
// not leave "(Luật)" behind once the number is removed.
func TestBasisTextTitleWithParenthesis(t *testing.T) {
	doc := &handbook.Document{ID: "regulations/luat-to-chuc-chinh-quyen-dia-phuong-2025", Kind: handbook.KindRegulation,
		Title: "Luật Tổ chức chính quyền địa phương 2025 (Luật số 72/2025/QH15)",
		Regulation: &handbook.Regulation{Number: "72/2025/QH15", DocType: "Luật", ShortName: "Luật Tổ chức chính quyền địa phương 2025",
			Issued: handbook.MustDate("2025-06-16"), Effective: handbook.MustDate("2025-06-16")}}
	lib := handbook.NewLibrary([]*handbook.Document{doc}, nil, nil)
	got := handbook.BasisText(lib, doc, "", handbook.MustDate("2026-03-05"))
	if want := "Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025"; got != want {
		t.Errorf("BasisText = %q, want %q", got, want)
	}
}

// TestDraftLLMFactsChecked: the LLM's body goes through the checks answers
// get (draft_llm.go): figures, quotations, personal names and references to
// regulations that are not in force are replaced; what the inputs and the
// cited regulations say is kept.
func TestDraftLLMFactsChecked(t *testing.T) {
	llm := &fakeLLM{complete: func(context.Context, []handbook.Message) (string, error) {
		return "Thành lập Tổ hỗ trợ gồm 07 thành viên do ông Trần Quốc Bảo làm tổ trưởng.\n" +
			"Tổ làm việc theo Nghị định số 61/2018/NĐ-CP và Nghị định số 118/2025/NĐ-CP.\n" +
			"Theo Điều 1 Nghị định 118/2025/NĐ-CP, «Nghị định quy định việc thực hiện thủ tục hành chính theo cơ chế một cửa».\n" +
			"Tổ được hưởng «phụ cấp trách nhiệm bằng 0,3 mức lương cơ sở».\n" +
			"Giao ông Nguyễn Văn An chỉ đạo Tổ thực hiện nhiệm vụ nêu tại Điều 1, tại thôn 2 và trên đường Trần Phú.\n" +
			"Tổ hoàn thành nhiệm vụ trong 45 ngày làm việc.\n", nil
	}}
	dr := newDrafter(t, llm)
	req := readRequest(t, "testdata/draft/quyet-dinh.request.json")
	delete(req.Fields, "dieu")
	req.Instructions = "Thành lập tổ hỗ trợ dịch vụ công ở thôn 2, nêu nhiệm vụ của tổ."
	d, err := dr.Draft(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	var articles []string
	for _, p := range d.Body {
		if p.Kind == handbook.ParagraphArticle {
			articles = append(articles, p.String())
		}
	}
	body := strings.Join(articles, "\n")
	for _, bad := range []string{"07 thành viên", "Trần Quốc Bảo", "61/2018", "phụ cấp trách nhiệm", "0,3", "45 ngày"} {
		if strings.Contains(body, bad) {
			t.Errorf("body keeps the invented %q:\n%s", bad, body)
		}
	}
	for _, want := range []string{
		"gồm [CẦN BỔ SUNG: số liệu] thành viên do ông [CẦN BỔ SUNG: họ và tên] làm tổ trưởng.",
		"theo Nghị định số [CẦN BỔ SUNG: số, ký hiệu văn bản] và Nghị định số 118/2025/NĐ-CP.",                              // expired vs in force
		"Theo Điều 1 Nghị định 118/2025/NĐ-CP, «Nghị định quy định việc thực hiện thủ tục hành chính theo cơ chế một cửa».", // verified quotation
		"Tổ được hưởng [CẦN BỔ SUNG: trích dẫn, đối chiếu văn bản gốc].",
		"Giao ông Nguyễn Văn An chỉ đạo Tổ thực hiện nhiệm vụ nêu tại Điều 1, tại thôn 2 và trên đường Trần Phú.", // the signer, an own article, a place
		"trong [CẦN BỔ SUNG: số liệu] ngày làm việc.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	var note string
	for _, f := range d.Findings {
		if f.Rule == handbook.RuleLLM && strings.Contains(f.Message, "chi tiết") {
			note = f.Message
		}
	}
	if !strings.Contains(note, "đã viết 5 chi tiết") {
		t.Errorf("finding about replaced facts = %q, want it to count 5", note)
	}
	if errs := errorFindings(d.Findings); len(errs) > 0 {
		t.Errorf("LLM draft does not pass Check:\n%s", strings.Join(errs, "\n"))
	}
}

// FuzzDraftLLMBody: whatever the model returns, drafting succeeds, and a
// regulation that is not in force on the document date never reaches the
// body, however the model spells its number.
func FuzzDraftLLMBody(f *testing.F) {
	f.Add("Tổ làm việc theo Nghị định số 61/2018/NĐ-CP từ ngày 01/7/2025, kinh phí 5.000.000 đồng.")
	f.Add("«Nghị định quy định» \"x\" “y” Điều 3 Nghị định 999/2027/NĐ-CP ông Nguyễn Văn B")
	f.Add("Số: 12/UBND-VP\nKính gửi: Sở\nCăn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;")
	var once sync.Once
	var lib *handbook.Library
	f.Fuzz(func(t *testing.T, out string) {
		once.Do(func() { lib = testLibrary(t) })
		llm := &fakeLLM{complete: func(context.Context, []handbook.Message) (string, error) { return out, nil }}
		dr := &handbook.Drafter{Library: func() *handbook.Library { return lib }, LLM: llm, Now: func() time.Time { return testNow }, Prompt: testDraftPrompt}
		req := handbook.DraftRequest{Template: "cong-van", Date: "2026-03-05", Instructions: "đề nghị hỗ trợ máy quét",
			Fields: map[string]string{"trich_yeu": "đề nghị hỗ trợ thiết bị", "kinh_gui": "Sở Khoa học và Công nghệ"}}
		d, err := dr.Draft(t.Context(), req)
		if err != nil {
			t.Fatalf("Draft: %v", err)
		}
		for _, p := range d.Body {
			for _, gone := range []string{"61/2018/", "77/2015/", "999/2027/"} {
				if strings.Contains(p.Text, gone) {
					t.Errorf("body cites %s, not in force on 05/03/2026: %q", gone, p.Text)
				}
			}
		}
	})
}

// TestSignatureBlocks: each signing authority of Phụ lục I, Phần I, mục
// II.7.b gives its block, and the validator accepts it.
func TestSignatureBlocks(t *testing.T) {
	dr := newDrafter(t, nil)
	for _, tc := range []struct {
		name   string
		signer handbook.Signer
		want   []string
	}{
		{"TM.", handbook.Signer{Authority: "TM.", Collective: "Ủy ban nhân dân", Title: "Chủ tịch"}, []string{"TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"}},
		{"TM. from the issuer", handbook.Signer{Authority: "tm", Title: "Chủ tịch"}, []string{"TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"}},
		{"KT.", handbook.Signer{Authority: "KT.", Head: "Chủ tịch", Title: "Phó Chủ tịch"}, []string{"KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"}},
		{"TM. and KT.", handbook.Signer{Authority: "K/T", Collective: "Ủy ban nhân dân", Head: "Chủ tịch", Title: "Phó Chủ tịch"},
			[]string{"TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"}},
		{"Q.", handbook.Signer{Authority: "Q.", Head: "Chủ tịch", Title: "Phó Chủ tịch"}, []string{"Q. CHỦ TỊCH"}},
		{"TL.", handbook.Signer{Authority: "TL.", Head: "Chủ tịch", Title: "Chánh Văn phòng"}, []string{"TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"}},
		{"TUQ.", handbook.Signer{Authority: "TUQ.", Head: "Chủ tịch", Title: "Trưởng Công an xã"}, []string{"TUQ. CHỦ TỊCH", "TRƯỞNG CÔNG AN XÃ"}},
		{"the head", handbook.Signer{Title: "Chủ tịch"}, []string{"CHỦ TỊCH"}},
		{"TL. without the head", handbook.Signer{Authority: "TL.", Title: "Chánh Văn phòng"}, []string{"TL. [CẦN BỔ SUNG: CHỨC VỤ NGƯỜI ĐỨNG ĐẦU]", "CHÁNH VĂN PHÒNG"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := readRequest(t, "testdata/draft/cong-van.request.json")
			tc.signer.Name = "Trần Thị Bình"
			req.Signer = tc.signer
			d, err := dr.Draft(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Signatures[0].Lines; !slices.Equal(got, tc.want) {
				t.Errorf("signature lines = %q, want %q", got, tc.want)
			}
			if d.Signatures[0].Name != "Trần Thị Bình" {
				t.Errorf("name = %q", d.Signatures[0].Name)
			}
			for _, f := range d.Findings {
				if f.Rule == handbook.RuleSignature && f.Severity == handbook.SeverityError {
					t.Errorf("Check: %s", f)
				}
			}
			// Read back from the text, the block is the same.
			p, err := handbook.ParseDraftText(d.Text())
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Signatures) != 1 || !slices.Equal(p.Signatures[0].Lines, tc.want) {
				t.Errorf("parsed signatures = %+v", p.Signatures)
			}
		})
	}
}
