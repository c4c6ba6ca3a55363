package handbook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// PromoteRequest is what an editor fills in to turn an answered ticket into
// an FAQ page. Empty fields take the defaults documented on each.
type PromoteRequest struct {
	// Title is the question as readers ask it (default: the ticket's
	// question).
	Title string
	// Answer is the page body (default: the department's answer).
	Answer string
	// Slug names the file (default: Slug(Title), cut to 80 bytes).
	Slug string
	// Reviewer is who vouches for the answer (default: the editor).
	Reviewer string
	// Expires is when the answer must be reviewed again (default: one
	// year after today).
	Expires Date
	// Audience of the page (default public).
	Audience Audience
	// Sources are URLs the facts come from, in addition to those of the
	// cited regulations. A published page needs at least one.
	Sources []string
}

// FAQFile is a promoted FAQ page, ready to be written under the content
// root.
type FAQFile struct {
	Path     string // relative to the content root: "faq/ho-tich/….md"
	DocID    string
	Data     []byte
	Reviewer string
	Expires  Date
}

// maxSlug bounds file names: some Windows tools still choke on long paths.
const maxSlug = 80

// PrepareFAQ checks that u may promote ticket id and builds its FAQ page:
// front matter with owner, reviewer, reviewed, expires, sources and the
// ticket's citations as legal_basis, then the answer and links to the
// cited articles. Nothing is written: the caller stores the file, makes the
// library reload it and then calls Promoted.
func (h *Hotline) PrepareFAQ(ctx context.Context, id int64, req PromoteRequest, u *User) (*Ticket, *FAQFile, error) {
	if !RoleOf(u).AtLeast(RoleEditor) {
		return nil, nil, Errorf(Forbidden, "Chỉ biên tập viên được đưa câu trả lời vào mục hỏi đáp.", "promote by %s", RoleOf(u))
	}
	t, err := h.Ticket(ctx, id, u)
	if err != nil {
		return nil, nil, err
	}
	if t.Status != TicketAnswered {
		return nil, nil, Errorf(Invalid, "Chỉ phiếu đã có câu trả lời mới đưa được vào mục hỏi đáp.", "promote ticket %d in status %s", id, t.Status)
	}
	lib := h.library()
	title := NormalizeLine(firstNonEmpty(req.Title, t.Question))
	if strings.Contains(title, "[") && strings.Contains(title, "]") && (strings.Contains(title, MaskPhone) || strings.Contains(title, MaskCCCD) || strings.Contains(title, MaskEmail) || strings.Contains(title, MaskCMND)) {
		return nil, nil, Errorf(Invalid, "Tiêu đề còn chứa thông tin cá nhân đã che; vui lòng viết lại câu hỏi.", "title with masked data")
	}
	if n := utf8.RuneCountInString(title); n < 5 || n > 300 {
		return nil, nil, Errorf(Invalid, "Tiêu đề câu hỏi phải dài từ 5 đến 300 ký tự.", "title of %d runes", n)
	}
	answer := strings.TrimSpace(Normalize(firstNonEmpty(req.Answer, t.Answer)))
	if answer == "" {
		return nil, nil, Errorf(Invalid, "Câu trả lời đang trống.", "empty answer")
	}
	answer = MaskPII(answer)
	slug := req.Slug
	if slug == "" {
		slug = Slug(title)
	}
	slug = Slug(slug)
	for len(slug) > maxSlug {
		i := strings.LastIndexByte(slug[:maxSlug], '-')
		if i <= 0 {
			slug = slug[:maxSlug]
			break
		}
		slug = slug[:i]
	}
	if slug == "" {
		return nil, nil, Errorf(Invalid, "Không tạo được tên tệp từ tiêu đề.", "empty slug")
	}
	folder := Slug(t.Field)
	if folder == "" {
		folder = "chung"
	}
	docID := "faq/" + folder + "/" + slug
	if _, exists := lib.Doc(docID); exists {
		return nil, nil, Errorf(Conflict, "Đã có trang hỏi đáp "+docID+"; hãy đặt tên tệp khác.", "faq %s exists", docID)
	}
	reviewed := h.today()
	expires := req.Expires
	if !expires.IsSet() {
		expires = Date{reviewed.AddDate(1, 0, 0)}
	}
	if !reviewed.Before(expires.Time) {
		return nil, nil, Errorf(Invalid, "Ngày hết hạn phải sau ngày rà soát ("+reviewed.Vietnamese()+").", "expires %s not after %s", expires, reviewed)
	}
	// A page that cites internal content is internal: a public one would
	// show the internal document's name and sources to everyone.
	internal := InternalCitations(lib, t.Citations)
	audience := req.Audience
	if audience == "" {
		audience = AudiencePublic
		if len(internal) > 0 {
			audience = AudienceInternal
		}
	}
	if audience != AudiencePublic && audience != AudienceInternal {
		return nil, nil, Errorf(Invalid, "Đối tượng đọc phải là public hoặc internal.", "bad audience %q", audience)
	}
	if audience == AudiencePublic && len(internal) > 0 {
		return nil, nil, Errorf(Invalid,
			"Câu trả lời dẫn căn cứ chỉ dành cho cán bộ ("+strings.Join(internal, ", ")+"), nên trang hỏi đáp không thể công khai. Hãy chọn «Chỉ cán bộ», hoặc sửa câu trả lời bỏ căn cứ đó.",
			"public faq citing internal %v", internal)
	}
	var sources []string
	for _, s := range req.Sources {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
			return nil, nil, Errorf(Invalid, "Nguồn phải là địa chỉ http(s): "+s, "bad source %q", s)
		}
		sources = appendNew(sources, s)
	}
	for _, c := range t.Citations {
		if d, ok := lib.Doc(c.Doc); ok {
			for _, s := range d.Sources {
				sources = appendNew(sources, s)
			}
		}
	}
	if len(sources) == 0 {
		return nil, nil, Errorf(Invalid, "Cần ít nhất một nguồn (địa chỉ http) hoặc một căn cứ pháp lý có nguồn.", "no sources")
	}
	reviewer := NormalizeLine(firstNonEmpty(req.Reviewer, u.DisplayName()))
	var aliases []string
	if q := NormalizeLine(t.Question); q != title && !strings.Contains(q, MaskPhone) && !strings.Contains(q, MaskCCCD) && !strings.Contains(q, MaskEmail) && !strings.Contains(q, MaskCMND) {
		aliases = append(aliases, q)
	}
	var tags []string
	if t.Field != "" {
		tags = append(tags, strings.ToLower(t.Field))
	}
	tags = append(tags, "hỏi đáp")

	var b bytes.Buffer
	b.WriteString("---\n")
	kv := func(k string, v any) { fmt.Fprintf(&b, "%s: %s\n", k, yamlScalar(v)) }
	kv("title", title)
	kv("kind", "faq")
	list := func(k string, vs []string) {
		if len(vs) == 0 {
			return
		}
		b.WriteString(k + ":\n")
		for _, v := range vs {
			b.WriteString("- " + yamlScalar(v) + "\n")
		}
	}
	list("aliases", aliases)
	list("tags", tags)
	kv("summary", clipRunes(firstLine(answer), 200))
	if audience != AudiencePublic {
		kv("audience", string(audience))
	}
	kv("status", "published")
	if t.Department != "" {
		kv("owner", t.Department)
	}
	kv("reviewer", reviewer)
	kv("reviewed", reviewed.String())
	kv("expires", expires.String())
	list("sources", sources)
	if len(t.Citations) > 0 {
		b.WriteString("legal_basis:\n")
		for _, c := range t.Citations {
			b.WriteString("- doc: " + yamlScalar(c.Doc) + "\n")
			if c.Article != "" {
				b.WriteString("  article: " + yamlScalar(c.Article) + "\n")
			}
			if c.Note != "" {
				b.WriteString("  note: " + yamlScalar(c.Note) + "\n")
			}
		}
	}
	b.WriteString("---\n\n")
	b.WriteString(answer)
	b.WriteString("\n")
	if len(t.Citations) > 0 {
		b.WriteString("\n## Căn cứ\n\n")
		for _, c := range t.Citations {
			label := c.Doc
			if d, ok := lib.Doc(c.Doc); ok {
				label = CitationLabel(d, c.Article)
			}
			target := c.Doc
			if c.Article != "" {
				target += "#" + c.Article
			}
			fmt.Fprintf(&b, "- [%s](%s)\n", escapeLinkText(label), target)
		}
	}
	if t.AnsweredBy != "" {
		fmt.Fprintf(&b, "\n*Trả lời: %s (phiếu hỏi số %d).*\n", escapeLinkText(t.AnsweredBy), t.ID)
	}
	return t, &FAQFile{Path: docID + ".md", DocID: docID, Data: b.Bytes(), Reviewer: reviewer, Expires: expires}, nil
}

// InternalCitations returns the documents among refs that only officials
// may read (audience internal), by id, each once.
func InternalCitations(lib *Library, refs []Reference) []string {
	var out []string
	for _, r := range refs {
		if d, ok := lib.Doc(r.Doc); ok && d.Audience == AudienceInternal {
			out = appendNew(out, d.ID)
		}
	}
	return out
}

// Promoted records that the FAQ page of ticket t is in the content: the
// ticket becomes promoted and the promotion is stored.
func (h *Hotline) Promoted(ctx context.Context, t *Ticket, f *FAQFile, u *User) error {
	now := h.now()
	t.Status, t.FAQ = TicketPromoted, f.DocID
	if err := h.Store.UpdateTicket(ctx, t, TicketEvent{Time: now, Actor: u.Username, Action: "promoted", Note: f.DocID}); err != nil {
		return fmt.Errorf("mark ticket %d promoted: %w", t.ID, err)
	}
	p := &Promotion{TicketID: t.ID, DocID: f.DocID, EditorID: u.ID, Reviewer: f.Reviewer, Reviewed: h.today(), Expires: f.Expires}
	if err := h.Store.AddPromotion(ctx, p); err != nil {
		return fmt.Errorf("record promotion of ticket %d: %w", t.ID, err)
	}
	return nil
}

// FAQReview returns the FAQ pages in lib whose expiry date has passed on
// today, or that have none: they need a review (lint flags them too).
func FAQReview(lib *Library, today Date) []*Document {
	var out []*Document
	for _, d := range lib.All() {
		if d.Kind == KindFAQ && d.Status != StatusArchived && (!d.Expires.IsSet() || !today.Before(d.Expires.Time)) {
			out = append(out, d)
		}
	}
	return out
}

// yamlScalar writes v as a YAML double-quoted scalar. JSON strings are valid
// YAML double-quoted scalars, so encoding/json does the escaping.
func yamlScalar(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // strings and dates never fail
	return strings.TrimSuffix(b.String(), "\n")
}

func escapeLinkText(s string) string {
	return strings.NewReplacer("[", "\\[", "]", "\\]", "*", "\\*", "_", "\\_").Replace(s)
}

func appendNew(ss []string, s string) []string {
	if slices.Contains(ss, s) {
		return ss
	}
	return append(ss, s)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return NormalizeLine(line)
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	if i := strings.LastIndexByte(string(r), ' '); i > len(string(r))/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}
