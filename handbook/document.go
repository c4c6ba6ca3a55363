package handbook

import (
	"strings"
	"time"
)

// Kind is the kind of a content document.
type Kind string

// Document kinds (DESIGN.md, content model).
const (
	KindProcedure  Kind = "procedure"
	KindRegulation Kind = "regulation"
	KindGuide      Kind = "guide"
	KindFAQ        Kind = "faq"
	KindTemplate   Kind = "template"
)

// Kinds lists every valid Kind.
var Kinds = []Kind{KindProcedure, KindRegulation, KindGuide, KindFAQ, KindTemplate}

// Folder returns the folder under content/ that holds documents of kind k
// (DESIGN.md, content model), or "" for an unknown kind.
func (k Kind) Folder() string {
	switch k {
	case KindProcedure:
		return "procedures"
	case KindRegulation:
		return "regulations"
	case KindGuide:
		return "technology"
	case KindFAQ:
		return "faq"
	case KindTemplate:
		return "templates"
	}
	return ""
}

// Audience says who may read a document.
type Audience string

// Audiences. Internal content never reaches a public caller.
const (
	AudiencePublic   Audience = "public"
	AudienceInternal Audience = "internal"
)

// Status is the editorial status of a document.
type Status string

// Statuses.
const (
	StatusPublished Status = "published"
	StatusDraft     Status = "draft"
	StatusArchived  Status = "archived"
)

// Date is a calendar date; the zero value means "not set".
type Date struct{ time.Time }

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, err
	}
	return Date{t}, nil
}

// MustDate parses YYYY-MM-DD and panics on error; for tests and constants.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Today returns the calendar date in Vietnam at t. What is in force, what
// was reviewed and what falls due are Vietnamese calendar dates whatever the
// server's time zone: on a host kept in UTC, the date of t's own location
// is still yesterday's from midnight to 07:00 in Vietnam, when a text that
// takes effect today is already in force.
func Today(t time.Time) Date { return DateOf(t.In(Vietnam)) }

// DateOf returns the calendar date of t in its location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// IsSet reports whether d holds a date.
func (d Date) IsSet() bool { return !d.Time.IsZero() }

// String formats d as YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if !d.IsSet() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// Vietnamese formats d as dd/mm/yyyy, or "" when unset.
func (d Date) Vietnamese() string {
	if !d.IsSet() {
		return ""
	}
	return d.Format("02/01/2006")
}

// Int returns d as the integer yyyymmdd (0 when unset), used for range filters.
func (d Date) Int() int {
	if !d.IsSet() {
		return 0
	}
	y, m, dd := d.Date()
	return y*10000 + int(m)*100 + dd
}

// Reference points at a regulation and optionally an anchor inside it
// (front-matter `legal_basis` entries).
type Reference struct {
	Doc     string `json:"doc" yaml:"doc"`
	Article string `json:"article,omitempty" yaml:"article"`
	Note    string `json:"note,omitempty" yaml:"note"`
}

// Link is an internal link in a document body: a content id and an
// optional anchor, with the 1-based line of the link in the file.
type Link struct {
	Doc    string `json:"doc"`
	Anchor string `json:"anchor,omitempty"`
	Line   int    `json:"line"`
}

// Document is one content file: common metadata, the kind-specific parts and
// the structured body.
type Document struct {
	ID         string      `json:"id"`
	Path       string      `json:"path"` // path under the content root, with .md
	Kind       Kind        `json:"kind"`
	Title      string      `json:"title"`
	Aliases    []string    `json:"aliases,omitempty"`
	Tags       []string    `json:"tags,omitempty"`
	Summary    string      `json:"summary,omitempty"`
	Audience   Audience    `json:"audience"`
	Status     Status      `json:"status"`
	Owner      string      `json:"owner,omitempty"`
	Reviewer   string      `json:"reviewer,omitempty"`
	Reviewed   Date        `json:"reviewed"`
	Effective  Date        `json:"effective"`
	Expires    Date        `json:"expires"`
	Sources    []string    `json:"sources,omitempty"`
	LegalBasis []Reference `json:"legal_basis,omitempty"`
	ReformNote string      `json:"reform_note,omitempty"`

	Procedure  *Procedure  `json:"procedure,omitempty"`
	Regulation *Regulation `json:"regulation,omitempty"`
	Template   *Template   `json:"template,omitempty"`

	// Links are the internal links of the body (to content ids and to
	// "#anchor"), for lint to resolve.
	Links []Link `json:"links,omitempty"`
	// KeyLines maps front-matter keys to their 1-based line in the file:
	// "title", "legal_basis", and list entries as "legal_basis[0]". Lint
	// points its findings there.
	KeyLines map[string]int `json:"-"`

	// Sections are the parsed body's sections. A document read from the
	// content snapshot leaves them nil and decodes them on demand
	// (SectionList): at 100,000 chunks the decoded sections were half of a
	// server's live heap (100 MB of 160-byte structs with nine pointers
	// each) and most of what every collection marked, for pages a search
	// never opens (docs/BENCHMARKS.md).
	Sections []Section `json:"sections"`
	Body     string    `json:"-"` // Markdown body, normalised
	HTML     string    `json:"html,omitempty"`
	Hash     string    `json:"hash"` // hex SHA-256 of the raw file
	BodyLine int       `json:"-"`    // 1-based line where the body starts in the file

	loadSections func() []Section
	findSection  func(anchor string) (Section, bool)
}

// SectionList returns the document's sections: Sections, or those decoded
// by the loader set with SetSectionLoader while Sections is nil. Each call
// decodes them again; a caller that reads them several times keeps the
// slice.
func (d *Document) SectionList() []Section {
	if d.Sections == nil && d.loadSections != nil {
		return d.loadSections()
	}
	return d.Sections
}

// SetSectionLoader makes SectionList decode the sections with load, and
// Section find one with find, while Sections is nil.
func (d *Document) SetSectionLoader(load func() []Section, find func(anchor string) (Section, bool)) {
	d.loadSections, d.findSection = load, find
}

// Field returns the procedure's field (lĩnh vực), or "".
func (d *Document) Field() string {
	if d.Procedure != nil {
		return d.Procedure.Field
	}
	return ""
}

// ValidFrom returns the first day the document is in force (zero if always).
func (d *Document) ValidFrom() Date {
	if d.Regulation != nil && d.Regulation.Effective.IsSet() {
		return d.Regulation.Effective
	}
	return d.Effective
}

// ValidTo returns the first day the document is no longer in force (zero if open).
func (d *Document) ValidTo() Date {
	if d.Regulation != nil && d.Regulation.Expired.IsSet() {
		return d.Regulation.Expired
	}
	return d.Expires
}

// Validity describes whether something is in force on a date.
type Validity string

// Validity states, used for labels and banners.
const (
	InForce     Validity = "in_force"
	NotYet      Validity = "not_yet"
	Expired     Validity = "expired"
	ValidityNil Validity = ""
)

// ValidityAt reports whether a [from, to) interval covers day.
func ValidityAt(from, to, day Date) Validity {
	switch {
	case from.IsSet() && day.Before(from.Time):
		return NotYet
	case to.IsSet() && !day.Before(to.Time):
		return Expired
	}
	return InForce
}

// ValidityAt reports whether the document is in force on day.
func (d *Document) ValidityAt(day Date) Validity {
	return ValidityAt(d.ValidFrom(), d.ValidTo(), day)
}

// Section returns the section with the given anchor.
func (d *Document) Section(anchor string) (*Section, bool) {
	if d.Sections == nil && d.findSection != nil {
		if s, ok := d.findSection(anchor); ok {
			return &s, true
		}
		return nil, false
	}
	secs := d.SectionList()
	for i := range secs {
		if secs[i].Anchor == anchor {
			return &secs[i], true
		}
	}
	return nil, false
}

// CitationName is how citations name the document: the regulation's short
// name ("Luật Hộ tịch 2014", "Nghị định số 123/2015/NĐ-CP") or the title.
func (d *Document) CitationName() string {
	if r := d.Regulation; r != nil {
		if r.ShortName != "" {
			return r.ShortName
		}
		if r.DocType != "" && r.Number != "" {
			return r.DocType + " số " + r.Number
		}
	}
	return d.Title
}

// Procedure holds the national procedure record fields (front matter).
type Procedure struct {
	Code       string        `json:"code,omitempty" yaml:"code"`
	Field      string        `json:"field,omitempty" yaml:"field"`
	Level      string        `json:"level,omitempty" yaml:"level"`
	Agency     string        `json:"agency,omitempty" yaml:"agency"`
	Where      string        `json:"where,omitempty" yaml:"where"`
	Applicants []string      `json:"applicants,omitempty" yaml:"applicants"`
	Channels   []string      `json:"channels,omitempty" yaml:"channels"`
	Online     string        `json:"online,omitempty" yaml:"online"`
	TimeLimit  string        `json:"time_limit,omitempty" yaml:"time_limit"`
	Fee        string        `json:"fee,omitempty" yaml:"fee"`
	FeeBasis   string        `json:"fee_basis,omitempty" yaml:"fee_basis"`
	Documents  []DossierItem `json:"documents,omitempty" yaml:"documents"`
	Steps      []string      `json:"steps,omitempty" yaml:"steps"`
	Result     string        `json:"result,omitempty" yaml:"result"`
	Forms      []string      `json:"forms,omitempty" yaml:"forms"`
	Conditions []string      `json:"conditions,omitempty" yaml:"conditions"`
	DVCURL     string        `json:"dvc_url,omitempty" yaml:"dvc_url"`
	Hotline    string        `json:"hotline,omitempty" yaml:"hotline"`
}

// DossierItem is one component of a procedure's dossier (thành phần hồ sơ).
type DossierItem struct {
	Name   string `json:"name" yaml:"name"`
	Copies string `json:"copies,omitempty" yaml:"copies"`
	Note   string `json:"note,omitempty" yaml:"note"`
}

// Regulation holds a legal text's metadata.
type Regulation struct {
	Number     string   `json:"number,omitempty"`
	DocType    string   `json:"doc_type,omitempty"`
	ShortName  string   `json:"short_name,omitempty"`
	Issuer     string   `json:"issuer,omitempty"`
	Issued     Date     `json:"issued"`
	Effective  Date     `json:"effective"`
	Expired    Date     `json:"expired"`
	ReplacedBy string   `json:"replaced_by,omitempty"`
	AmendedBy  []string `json:"amended_by,omitempty"`
	Summarised bool     `json:"summarised"`
}

// Template describes a drafting template (content/templates).
type Template struct {
	DocType   string          `json:"doc_type" yaml:"doc_type"`
	Abbr      string          `json:"abbr" yaml:"abbr"`
	Fields    []TemplateField `json:"fields" yaml:"fields"`
	Structure []string        `json:"structure,omitempty" yaml:"structure"`
}

// TemplateField is one field a drafter fills in.
type TemplateField struct {
	Name     string `json:"name" yaml:"name"`
	Label    string `json:"label" yaml:"label"`
	Required bool   `json:"required" yaml:"required"`
	Example  string `json:"example,omitempty" yaml:"example"`
	Multi    bool   `json:"multi,omitempty" yaml:"multi"`
}
