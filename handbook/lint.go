package handbook

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// reformDate is the day the two-level local government took over: from
// 1 July 2025 there is no district level (Nghị quyết 202/2025/QH15; for civil
// status, Nghị định 120/2025/NĐ-CP).
var reformDate = MustDate("2025-07-01")

// Lint checks the library as a whole: what one file cannot tell on its own
// (dangling citations and links, legal bases no longer in force) and the
// content rules of docs/CONTENT.md. today decides what is expired or in the
// future. Findings on draft pages are warnings: drafts are allowed to be
// incomplete. Problems are sorted by path and line.
func Lint(lib *Library, today Date) []Problem {
	rules := []func(lib *Library, d *Document, today Date) []Problem{
		lintFolder,
		lintRequired,
		lintDates,
		lintReferences,
		lintLinks,
		lintExpiredBasis,
		lintAbolishedBodies,
		lintFAQExpiry,
		lintTemplate, // draft.go
	}
	var out []Problem
	for _, d := range lib.All() {
		for _, rule := range rules {
			for _, p := range rule(lib, d, today) {
				if d.Status == StatusDraft {
					p.Severity = SeverityWarning
				}
				out = append(out, p)
			}
		}
	}
	SortProblems(out)
	return out
}

// SortProblems orders problems by path, then line, keeping the order of
// problems on the same line.
func SortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
}

func lintf(d *Document, line int, sev Severity, format string, args ...any) Problem {
	return Problem{Path: d.Path, Line: max(line, 1), Severity: sev, Message: fmt.Sprintf(format, args...)}
}

// keyLine returns the line of a front-matter key ("legal_basis[1]"), of its
// parent key when the entry has none, or 1.
func keyLine(d *Document, key string) int {
	if l, ok := d.KeyLines[key]; ok {
		return l
	}
	if i := strings.IndexAny(key, "[."); i > 0 {
		if l, ok := d.KeyLines[key[:i]]; ok {
			return l
		}
	}
	return 1
}

// lintFolder: a document lives in the folder of its kind.
func lintFolder(_ *Library, d *Document, _ Date) []Problem {
	folder, _, _ := strings.Cut(d.Path, "/")
	if want := d.Kind.Folder(); want != "" && folder != want {
		return []Problem{lintf(d, keyLine(d, "kind"), SeverityWarning,
			"kind %s belongs in %s/, not %s/", d.Kind, want, folder)}
	}
	return nil
}

// procedureCodeRE is the national procedure code, e.g. 1.001193.
var procedureCodeRE = regexp.MustCompile(`^[1-9]\.\d{6}$`)

// lintRequired: the keys each kind needs (docs/CONTENT.md).
func lintRequired(_ *Library, d *Document, _ Date) []Problem {
	var out []Problem
	missing := func(key string) {
		out = append(out, lintf(d, 1, SeverityError, "missing %s (required for kind %s)", key, d.Kind))
	}
	switch d.Kind {
	case KindProcedure:
		p := d.Procedure
		if p == nil {
			p = &Procedure{}
		}
		switch {
		case p.Code == "":
			out = append(out, lintf(d, 1, SeverityWarning, "missing code: the national procedure code, e.g. \"1.001193\""))
		case !procedureCodeRE.MatchString(p.Code):
			out = append(out, lintf(d, keyLine(d, "code"), SeverityError,
				"code %q is not a national procedure code like \"1.001193\"", p.Code))
		}
		for _, k := range []struct{ key, v string }{{"field", p.Field}, {"agency", p.Agency}, {"time_limit", p.TimeLimit}} {
			if k.v == "" {
				missing(k.key)
			}
		}
		if len(p.Documents) == 0 {
			missing("documents")
		}
	case KindRegulation:
		r := d.Regulation
		if r == nil {
			r = &Regulation{}
		}
		if r.Number == "" {
			missing("number")
		}
		if r.Issuer == "" {
			missing("issuer")
		}
		if !r.Effective.IsSet() && !d.Effective.IsSet() {
			missing("effective")
		}
	case KindTemplate:
		if d.Template == nil || d.Template.DocType == "" {
			missing("doc_type")
		}
	}
	// Templates carry a layout, not facts, so they cite no sources.
	if d.Status == StatusPublished && d.Kind != KindTemplate && len(d.Sources) == 0 {
		out = append(out, lintf(d, 1, SeverityError, "published page has no sources: list the URLs its facts come from, or set status: draft"))
	}
	return out
}

// lintDates: dates in a sane order, nothing reviewed in the future.
func lintDates(_ *Library, d *Document, today Date) []Problem {
	var out []Problem
	if d.Reviewed.IsSet() && d.Reviewed.After(today.Time) {
		out = append(out, lintf(d, keyLine(d, "reviewed"), SeverityError,
			"reviewed %s is in the future (today is %s)", d.Reviewed, today))
	}
	if d.Effective.IsSet() && d.Expires.IsSet() && !d.Effective.Before(d.Expires.Time) {
		out = append(out, lintf(d, keyLine(d, "expires"), SeverityError,
			"expires %s is not after effective %s", d.Expires, d.Effective))
	}
	if r := d.Regulation; r != nil {
		from := d.ValidFrom()
		if from.IsSet() && r.Expired.IsSet() && !from.Before(r.Expired.Time) {
			out = append(out, lintf(d, keyLine(d, "expired"), SeverityError,
				"expired %s is not after effective %s", r.Expired, from))
		}
		if r.Issued.IsSet() && from.IsSet() && r.Issued.After(from.Time) {
			out = append(out, lintf(d, keyLine(d, "issued"), SeverityWarning,
				"issued %s is after effective %s", r.Issued, from))
		}
		if r.Issued.IsSet() && r.Issued.After(today.Time) {
			out = append(out, lintf(d, keyLine(d, "issued"), SeverityError,
				"issued %s is in the future (today is %s)", r.Issued, today))
		}
	}
	return out
}

// lintReferences: replaced_by and legal_basis point at documents that
// exist, and legal_basis anchors at sections that exist.
func lintReferences(lib *Library, d *Document, _ Date) []Problem {
	var out []Problem
	if r := d.Regulation; r != nil && r.ReplacedBy != "" {
		line := keyLine(d, "replaced_by")
		switch t, ok := lib.Doc(r.ReplacedBy); {
		case !ok:
			out = append(out, lintf(d, line, SeverityError, "replaced_by: document %q not found", r.ReplacedBy))
		case t.Kind != KindRegulation:
			out = append(out, lintf(d, line, SeverityWarning, "replaced_by: %s is a %s, not a regulation", r.ReplacedBy, t.Kind))
		}
		if !r.Expired.IsSet() {
			out = append(out, lintf(d, line, SeverityWarning, "replaced_by is set but expired is not"))
		}
	}
	for i, ref := range d.LegalBasis {
		key := fmt.Sprintf("legal_basis[%d]", i)
		line := keyLine(d, key)
		t, ok := lib.Doc(ref.Doc)
		switch {
		case !ok:
			out = append(out, lintf(d, line, SeverityError, "%s: document %q not found", key, ref.Doc))
			continue
		case t.Kind != KindRegulation:
			out = append(out, lintf(d, line, SeverityWarning, "%s: %s is a %s, not a regulation", key, ref.Doc, t.Kind))
		}
		if _, ok := t.Section(ref.Article); ref.Article != "" && !ok {
			out = append(out, lintf(d, line, SeverityError, "%s: anchor %q not found in %s", key, ref.Article, ref.Doc))
		}
	}
	return out
}

// lintLinks: internal links in the body resolve, to a document and to an
// anchor in it, and public pages do not send readers to internal ones.
func lintLinks(lib *Library, d *Document, _ Date) []Problem {
	var out []Problem
	for _, l := range d.Links {
		target := l.Doc
		if l.Anchor != "" {
			target += "#" + l.Anchor
		}
		t, ok := lib.Doc(l.Doc)
		switch {
		case !ok:
			out = append(out, lintf(d, l.Line, SeverityError, "link to %s: document %q not found", target, l.Doc))
			continue
		case l.Anchor != "":
			if _, ok := t.Section(l.Anchor); !ok {
				out = append(out, lintf(d, l.Line, SeverityError, "link to %s: anchor %q not found in %s", target, l.Anchor, l.Doc))
			}
		}
		if d.Audience != AudienceInternal && t.Audience == AudienceInternal {
			out = append(out, lintf(d, l.Line, SeverityWarning, "link to %s: a public page links to an internal one", target))
		}
	}
	return out
}

// lintExpiredBasis: a page in force should not rest on a regulation that
// no longer is.
func lintExpiredBasis(lib *Library, d *Document, today Date) []Problem {
	if d.Status == StatusArchived || d.ValidityAt(today) == Expired {
		return nil
	}
	var out []Problem
	for i, ref := range d.LegalBasis {
		t, ok := lib.Doc(ref.Doc)
		if !ok || t.ValidityAt(today) != Expired {
			continue
		}
		msg := fmt.Sprintf("legal_basis[%d]: %s is no longer in force (expired %s)", i, ref.Doc, t.ValidTo())
		if t.Regulation != nil && t.Regulation.ReplacedBy != "" {
			msg += "; it was replaced by " + t.Regulation.ReplacedBy
		}
		out = append(out, lintf(d, keyLine(d, fmt.Sprintf("legal_basis[%d]", i)), SeverityWarning, "%s", msg))
	}
	return out
}

// abolishedBodies are names of district-level bodies that no longer exist
// after the 2025 reform (domain-notes.md §1.4): their tasks moved to the
// commune (UBND cấp xã, its chairperson, công chức tư pháp - hộ tịch) or to
// the province. Matching is on folded syllables, so text typed without
// diacritics is caught too; "huyện" and "quận" must match exactly when
// written with diacritics, so that "quản lý" is not "quận".
//
// At one position the first name in this list wins, so longer names come
// first and the message quotes the whole name.
var abolishedBodies = compileBodies(
	"Chủ tịch UBND cấp huyện", "Chủ tịch UBND huyện", "Chủ tịch Ủy ban nhân dân cấp huyện", "Chủ tịch Ủy ban nhân dân huyện",
	"UBND cấp huyện", "UBND huyện", "UBND quận", "Ủy ban nhân dân cấp huyện", "Ủy ban nhân dân huyện", "Ủy ban nhân dân quận",
	"Văn phòng đăng ký đất đai cấp huyện", "Phòng Tư pháp cấp huyện", "Phòng Tư pháp huyện", "Phòng Tư pháp",
	"Phòng Lao động - Thương binh và Xã hội", "Phòng LĐ-TB&XH", "Phòng LĐTBXH", "Phòng Tài nguyên và Môi trường",
	"Công an cấp huyện", "Công an huyện", "Công an quận", "quận, huyện", "huyện, quận", "cấp huyện",
)

// maxAbolishedPerDoc caps the findings per document: one reform_note
// answers all of them.
const maxAbolishedPerDoc = 5

type bodyName struct {
	name   string
	exact  []string // lower case, with diacritics
	folded []string
}

func compileBodies(names ...string) []bodyName {
	out := make([]bodyName, len(names))
	for i, n := range names {
		out[i].name = n
		for _, t := range Tokenize(n) {
			out[i].exact = append(out[i].exact, strings.ToLower(t.Text))
			out[i].folded = append(out[i].folded, Fold(t.Text))
		}
	}
	return out
}

// findAbolished returns the first mention in s of an abolished body, as
// written in s.
func findAbolished(s string) (string, bool) {
	toks := Tokenize(s)
	if len(toks) == 0 {
		return "", false
	}
	folded := make([]string, len(toks))
	for i, t := range toks {
		folded[i] = Fold(t.Text)
	}
	for i := range toks {
		for _, b := range abolishedBodies {
			n := len(b.folded)
			if i+n > len(toks) || !slices.Equal(folded[i:i+n], b.folded) {
				continue
			}
			ok := true
			for j, e := range b.exact {
				if (e == "huyện" || e == "quận") && HasDiacritics(toks[i+j].Text) && strings.ToLower(toks[i+j].Text) != e {
					ok = false
				}
			}
			if ok {
				return s[toks[i].Start:toks[i+n-1].End], true
			}
		}
	}
	return "", false
}

// lintAbolishedBodies: a page about the time after the reform that names a
// district-level body must say who acts now (reform_note). Regulations
// that took effect before the reform are exempt: they name those bodies
// legitimately. So are pages dated (effective, else reviewed) before it.
func lintAbolishedBodies(_ *Library, d *Document, _ Date) []Problem {
	if d.ReformNote != "" || d.Status == StatusArchived {
		return nil
	}
	date := d.ValidFrom()
	if !date.IsSet() && d.Kind != KindRegulation {
		date = d.Reviewed
	}
	if date.IsSet() && date.Before(reformDate.Time) {
		return nil
	}
	var out []Problem
	found := 0
	check := func(line int, s string) {
		if m, ok := findAbolished(s); ok {
			found++
			if found <= maxAbolishedPerDoc {
				out = append(out, lintf(d, line, SeverityError,
					"mentions %q, a district-level body abolished on %s: say who handles this now, or add reform_note",
					m, reformDate))
			}
		}
	}
	for _, f := range frontMatterText(d) {
		check(keyLine(d, f.key), f.text)
	}
	// Folding keeps line breaks, so the folded body's lines are the body's:
	// only lines with a syllable every name has are tokenised.
	lines := strings.Split(d.Body, "\n")
	for i, f := range strings.Split(Fold(d.Body), "\n") {
		if i < len(lines) && (strings.Contains(f, "huyen") || strings.Contains(f, "quan") || strings.Contains(f, "phong")) {
			check(d.BodyLine+i, lines[i])
		}
	}
	if found > maxAbolishedPerDoc {
		out = append(out, lintf(d, 1, SeverityError, "%d more mentions of abolished district-level bodies", found-maxAbolishedPerDoc))
	}
	return out
}

type keyText struct{ key, text string }

// frontMatterText lists the free-text front-matter values with their keys.
func frontMatterText(d *Document) []keyText {
	out := []keyText{{"title", d.Title}, {"summary", d.Summary}}
	list := func(key string, vs []string) {
		for i, v := range vs {
			out = append(out, keyText{fmt.Sprintf("%s[%d]", key, i), v})
		}
	}
	list("aliases", d.Aliases)
	for i, r := range d.LegalBasis {
		out = append(out, keyText{fmt.Sprintf("legal_basis[%d]", i), r.Note})
	}
	if p := d.Procedure; p != nil {
		out = append(out, keyText{"agency", p.Agency}, keyText{"where", p.Where}, keyText{"time_limit", p.TimeLimit},
			keyText{"fee", p.Fee}, keyText{"fee_basis", p.FeeBasis}, keyText{"result", p.Result}, keyText{"hotline", p.Hotline})
		list("applicants", p.Applicants)
		list("steps", p.Steps)
		list("forms", p.Forms)
		list("conditions", p.Conditions)
		for i, it := range p.Documents {
			out = append(out, keyText{fmt.Sprintf("documents[%d]", i), it.Name + " " + it.Copies + " " + it.Note})
		}
	}
	return out
}

// lintFAQExpiry: an FAQ answer past its expiry date needs a review.
func lintFAQExpiry(_ *Library, d *Document, today Date) []Problem {
	if d.Kind != KindFAQ || !d.Expires.IsSet() || today.Before(d.Expires.Time) {
		return nil
	}
	return []Problem{lintf(d, keyLine(d, "expires"), SeverityWarning,
		"answer expired on %s: review it against its legal basis and move expires forward", d.Expires)}
}
