package handbook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Chunk is the unit of retrieval: a Điều (or a Khoản of a long Điều), a
// procedure card, or a heading section of a procedure, guide or FAQ. It
// carries what filters need, so that filtering happens inside the indexes.
type Chunk struct {
	ID        string   `json:"id"` // DocID#Anchor, with ~n when a section is split
	DocID     string   `json:"doc"`
	Anchor    string   `json:"anchor"`
	Kind      Kind     `json:"kind"`
	Title     string   `json:"title"`   // document title
	Aliases   []string `json:"aliases"` // document aliases and citation name
	Heading   string   `json:"heading"` // "Chương II › Điều 16. Thủ tục đăng ký khai sinh"
	Text      string   `json:"text"`
	Field     string   `json:"field,omitempty"`
	Audience  Audience `json:"audience"`
	Status    Status   `json:"status"`
	ValidFrom Date     `json:"valid_from"`
	ValidTo   Date     `json:"valid_to"`
}

// Hash returns a content hash of everything that is indexed for the chunk;
// the embedding cache is keyed by it.
func (c *Chunk) Hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", c.Title, strings.Join(c.Aliases, "\x01"), c.Heading, c.Text)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// EmbeddingText is the text sent to an embedding model for the chunk.
func (c *Chunk) EmbeddingText() string {
	return c.Title + "\n" + c.Heading + "\n" + c.Text
}

// MaxChunkRunes is the length above which an article is split by clause and a
// section by paragraph. About 350 Vietnamese syllables.
const MaxChunkRunes = 1800

// Chunks splits a document into retrieval chunks following its structure
// (DESIGN.md, Retrieval 1). Chunks never cross an article boundary.
func Chunks(d *Document) []Chunk {
	base := Chunk{
		DocID:     d.ID,
		Kind:      d.Kind,
		Title:     d.Title,
		Aliases:   append([]string(nil), d.Aliases...),
		Field:     d.Field(),
		Audience:  d.Audience,
		Status:    d.Status,
		ValidFrom: d.ValidFrom(),
		ValidTo:   d.ValidTo(),
	}
	if d.Regulation != nil {
		if n := d.CitationName(); n != d.Title {
			base.Aliases = append(base.Aliases, n)
		}
	}
	secs := d.SectionList()
	var out []Chunk
	add := func(anchor, heading, text string) {
		text = strings.TrimSpace(text)
		if text == "" && heading == "" {
			return
		}
		for i, part := range splitText(text, MaxChunkRunes) {
			c := base
			c.Anchor, c.Heading, c.Text = anchor, heading, part
			c.ID = d.ID + "#" + anchor
			if i > 0 {
				c.ID += fmt.Sprintf("~%d", i)
			}
			out = append(out, c)
		}
	}
	if d.Kind == KindProcedure {
		add("", "Thông tin thủ tục", ProcedureCard(d)+"\n"+introText(secs))
	}
	for i := range secs {
		s := &secs[i]
		heading := strings.Join(append(append([]string(nil), s.Path...), s.Heading), " › ")
		switch s.Kind {
		case SectionArticle:
			if len([]rune(s.Text)) <= MaxChunkRunes || !hasClauses(secs, s.Anchor) {
				add(s.Anchor, heading, s.Text)
				continue
			}
			// A long article: one chunk per clause, each keeping the
			// article heading; the article's lead-in goes with clause 1.
			lead := articleLead(secs, i)
			first := true
			// The article's clauses and points follow it; a point's
			// parent is its clause, so walk them by kind.
			for j := i + 1; j < len(secs) && inArticle(secs[j].Kind); j++ {
				c := &secs[j]
				if c.Kind != SectionClause {
					continue
				}
				text := c.Text
				if first && lead != "" {
					text = lead + "\n" + text
				}
				first = false
				add(c.Anchor, heading, text)
			}
		case SectionHeading, SectionIntro:
			if d.Kind == KindProcedure && s.Kind == SectionIntro {
				continue // already in the card
			}
			add(s.Anchor, heading, s.Text)
		}
	}
	if len(out) == 0 {
		add("", d.Title, d.Summary)
	}
	return out
}

// inArticle reports whether sections of kind k sit inside an article.
func inArticle(k SectionKind) bool { return k == SectionClause || k == SectionPoint }

func hasClauses(secs []Section, article string) bool {
	for i := range secs {
		if secs[i].Parent == article && secs[i].Kind == SectionClause {
			return true
		}
	}
	return false
}

// articleLead is the text of article i before its first clause.
func articleLead(secs []Section, i int) string {
	text := secs[i].Text
	for j := i + 1; j < len(secs) && inArticle(secs[j].Kind); j++ {
		if secs[j].Kind == SectionClause {
			if k := strings.Index(text, secs[j].Text); k > 0 {
				return strings.TrimSpace(text[:k])
			}
			return ""
		}
	}
	return ""
}

func introText(secs []Section) string {
	for i := range secs {
		if secs[i].Kind == SectionIntro {
			return secs[i].Text
		}
	}
	return ""
}

// splitText cuts text into pieces of at most max runes at paragraph, then
// sentence boundaries.
func splitText(text string, max int) []string {
	if len([]rune(text)) <= max {
		return []string{text}
	}
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for _, para := range strings.Split(text, "\n") {
		for _, piece := range splitLong(para, max) {
			if len([]rune(cur.String()))+len([]rune(piece))+1 > max {
				flush()
			}
			cur.WriteString(piece)
			cur.WriteByte('\n')
		}
	}
	flush()
	return out
}

// splitLong cuts one paragraph at sentence ends, or hard at max runes.
func splitLong(p string, max int) []string {
	r := []rune(p)
	var out []string
	for len(r) > max {
		cut := max
		for k := max - 1; k > max/2; k-- {
			if (r[k] == '.' || r[k] == ';') && k+1 < len(r) && r[k+1] == ' ' {
				cut = k + 1
				break
			}
		}
		out = append(out, string(r[:cut]))
		r = r[cut:]
	}
	return append(out, string(r))
}

// ProcedureCard renders the procedure's front matter as text: the "card" a
// hotline operator reads from, and the text of the card chunk.
func ProcedureCard(d *Document) string {
	p := d.Procedure
	if p == nil {
		return ""
	}
	var b strings.Builder
	line := func(label, v string) {
		if v = strings.TrimSpace(v); v != "" {
			b.WriteString(label + ": " + v + "\n")
		}
	}
	line("Thủ tục", d.Title)
	if len(d.Aliases) > 0 {
		line("Tên gọi khác", strings.Join(d.Aliases, "; "))
	}
	line("Mã thủ tục", p.Code)
	line("Lĩnh vực", p.Field)
	line("Cơ quan thực hiện", p.Agency)
	line("Nơi nộp hồ sơ", p.Where)
	line("Đối tượng", strings.Join(p.Applicants, "; "))
	line("Cách thức", strings.Join(p.Channels, ", "))
	line("Dịch vụ công trực tuyến", p.Online)
	line("Thời hạn giải quyết", p.TimeLimit)
	line("Phí, lệ phí", p.Fee)
	if len(p.Documents) > 0 {
		b.WriteString("Hồ sơ gồm:\n")
		for _, it := range p.Documents {
			s := "- " + it.Name
			if it.Copies != "" {
				s += " (" + it.Copies + ")"
			}
			if it.Note != "" {
				s += ": " + it.Note
			}
			b.WriteString(s + "\n")
		}
	}
	line("Kết quả", p.Result)
	if len(p.Conditions) > 0 {
		line("Điều kiện", strings.Join(p.Conditions, "; "))
	}
	line("Tóm tắt", d.Summary)
	return b.String()
}
