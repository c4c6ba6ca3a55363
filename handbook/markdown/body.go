package markdown

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"sotay/handbook"
)

// introAnchor is the anchor of the text before the first heading.
const introAnchor = "gioi-thieu"

// fallbackAnchor names a heading whose text has no letters or digits.
const fallbackAnchor = "tieu-de"

// md parses and renders every body. GFM adds tables and strikethrough. No
// html.WithUnsafe: raw HTML is dropped and dangerous link schemes are not
// rendered (STYLE.md §11). goldmark's parser and renderer keep no state
// between calls, so one instance serves concurrent Parse calls (as in hugo).
var md = goldmark.New(goldmark.WithExtensions(extension.GFM))

// section is a handbook.Section being built.
type section struct {
	handbook.Section
	level  int        // Markdown heading level; 0 for intro, clause, point
	legal  string     // the legal anchor before deduplication, for labels
	paras  []string   // text paragraphs
	blocks []ast.Node // top-level blocks rendered as the section's HTML
}

// builder walks the goldmark tree of a body and builds the sections.
type builder struct {
	doc      *handbook.Document
	src      []byte
	newlines []int // offsets of '\n' in src
	used     map[string]bool
	next     map[string]int // next suffix to try per anchor
	secs     []*section
	problems []handbook.Problem

	cur                     *section   // receives top-level blocks
	stack                   []*section // enclosing headings by Markdown level
	part, chapter, division *section
	article, clause, point  *section
}

func newBuilder(doc *handbook.Document, body string) *builder {
	b := &builder{
		doc:  doc,
		src:  []byte(body),
		used: map[string]bool{},
		next: map[string]int{},
	}
	for i, c := range b.src {
		if c == '\n' {
			b.newlines = append(b.newlines, i)
		}
	}
	return b
}

// build parses the body and fills doc.Sections, doc.Links and doc.HTML.
func (b *builder) build() error {
	root := md.Parser().Parse(text.NewReader(b.src))
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if l, ok := n.(*ast.Link); ok && entering {
			b.link(l)
		}
		return ast.WalkContinue, nil
	})
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		// n.NextSibling is read after flow: splitting a paragraph at
		// clause and point lines inserts the pieces after it.
		if h, ok := n.(*ast.Heading); ok {
			b.heading(h)
			continue
		}
		if b.cur == nil {
			b.cur = &section{Section: handbook.Section{Kind: handbook.SectionIntro, Heading: "Giới thiệu",
				Anchor: b.unique(introAnchor), Line: b.line(n)}}
			b.secs = append(b.secs, b.cur)
		}
		b.cur.blocks = append(b.cur.blocks, n)
		b.flow(n, nil, "", false)
	}
	return b.render()
}

// render sets the HTML and text of each section and the HTML of the
// document.
func (b *builder) render() error {
	var all, buf bytes.Buffer
	r := md.Renderer()
	for _, s := range b.secs {
		buf.Reset()
		for _, n := range s.blocks {
			if err := r.Render(&buf, b.src, n); err != nil {
				return fmt.Errorf("render markdown: %w", err)
			}
		}
		s.HTML = buf.String()
		if s.Kind == handbook.SectionIntro && len(s.paras) > 0 {
			// The opening text has no heading to carry its anchor, yet
			// search hits and citations (an FAQ's answer) link to it:
			// give the link an element to land on.
			fmt.Fprintf(&all, "<div id=\"%s\">\n%s</div>\n", s.Anchor, buf.Bytes())
			continue
		}
		all.Write(buf.Bytes())
	}
	b.doc.HTML = all.String()
	for _, s := range b.secs {
		s.Text = strings.Join(s.paras, "\n")
		if s.Kind == handbook.SectionIntro && s.Text == "" {
			continue // only raw HTML, images or rules before the first heading
		}
		b.doc.Sections = append(b.doc.Sections, s.Section)
	}
	return nil
}

// heading starts a new section.
func (b *builder) heading(h *ast.Heading) {
	text := strings.Join(strings.Fields(b.inline(h)), " ")
	s := &section{level: h.Level, blocks: []ast.Node{h},
		Section: handbook.Section{Kind: handbook.SectionHeading, Heading: text, Line: b.line(h)}}
	b.article, b.clause, b.point = nil, nil, nil
	for len(b.stack) > 0 && b.stack[len(b.stack)-1].level >= h.Level {
		b.stack = b.stack[:len(b.stack)-1]
	}
	lh, legal := parseLegalHeading(text)
	if legal {
		s.Kind, s.Number, s.Title = lh.kind, lh.number, lh.title
	}
	switch s.Kind {
	case handbook.SectionPart:
		b.part, b.chapter, b.division = s, nil, nil
		s.legal = "phan-" + lh.arabic
	case handbook.SectionChapter:
		s.Path = headings(b.part)
		b.chapter, b.division = s, nil
		s.legal = "chuong-" + lh.arabic
	case handbook.SectionDivision:
		// Divisions are numbered within their chapter, so the chapter's
		// anchor keeps them unique: chuong-2-muc-1.
		s.Path = headings(b.part, b.chapter)
		b.division = s
		s.legal = "muc-" + lh.arabic
		if b.chapter != nil {
			s.legal = b.chapter.Anchor + "-muc-" + lh.arabic
		}
	case handbook.SectionArticle:
		s.Path = headings(b.part, b.chapter, b.division)
		b.article = s
		s.legal = "dieu-" + lh.arabic
	default:
		s.Path = headings(b.stack...)
		// A plain heading at the level of a chapter (or above) ends it.
		for _, c := range []**section{&b.part, &b.chapter, &b.division} {
			if *c != nil && (*c).level >= h.Level {
				*c = nil
			}
		}
	}
	if s.legal != "" {
		s.Anchor = b.uniqueLegal(s.legal, s.Line)
	} else {
		s.Anchor = b.unique(handbook.Slug(text))
	}
	h.SetAttributeString("id", []byte(s.Anchor))
	b.stack = append(b.stack, s)
	b.secs = append(b.secs, s)
	b.cur = s
}

func headings(ss ...*section) []string {
	var out []string
	for _, s := range ss {
		if s != nil {
			out = append(out, s.Heading)
		}
	}
	return out
}

// flow adds the text of block n to the current section and, inside an
// article, recognises clauses ("1.") and points ("a)"), given as ordered
// list items, as paragraphs, or as lines of one paragraph. owner is the
// clause or point whose list item holds n (nil at the top level); prefix
// is written before n's text (the number of an ordered list item); marked
// says that n's marker was already taken by its list item.
func (b *builder) flow(n ast.Node, owner *section, prefix string, marked bool) {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock:
		if b.article != nil {
			b.splitMarkers(n)
		}
		t := b.inline(n)
		if t == "" {
			return
		}
		if b.article != nil && prefix == "" && !marked {
			if m := clauseRE.FindStringSubmatch(t); m != nil && (owner == nil || owner.Kind == handbook.SectionClause) {
				b.openClause(m[1], n)
			} else if m := pointRE.FindStringSubmatch(t); m != nil {
				b.openPoint(m[1], n)
			} else if owner == nil || owner.Kind == handbook.SectionClause {
				b.point = nil // a plain paragraph after the points belongs to the clause
			}
		}
		b.add(prefix + t)
	case *ast.List:
		i := 0
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			num := b.itemNumber(item, n.Start+i)
			if n.IsOrdered() && num != fmt.Sprint(n.Start+i) {
				// Summaries skip clauses (1, 6, 7…); an <ol> would
				// renumber them 1, 2, 3 without the value.
				item.SetAttributeString("value", []byte(num))
			}
			i++
			switch {
			case b.article != nil && n.IsOrdered() && (owner == nil || owner.Kind == handbook.SectionClause) && prefix == "":
				b.openClause(num, item)
				b.flowChildren(item, b.clause, num+". ", true)
			case b.article != nil && !n.IsOrdered() && pointRE.MatchString(b.firstText(item)):
				b.openPoint(pointRE.FindStringSubmatch(b.firstText(item))[1], item)
				b.flowChildren(item, b.point, "", true)
			case n.IsOrdered():
				b.flowChildren(item, owner, num+". ", true)
			default:
				b.flowChildren(item, owner, "", false)
			}
		}
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			if l := strings.TrimRight(string(seg.Value(b.src)), "\n"); strings.TrimSpace(l) != "" {
				b.add(l)
			}
		}
	case *ast.HTMLBlock, *ast.ThematicBreak:
		// raw HTML is dropped; a rule has no text
	case *east.Table:
		for row := n.FirstChild(); row != nil; row = row.NextSibling() {
			var cells []string
			for c := row.FirstChild(); c != nil; c = c.NextSibling() {
				cells = append(cells, strings.Join(strings.Fields(b.inline(c)), " "))
			}
			if line := strings.Join(cells, " | "); strings.Trim(line, " |") != "" {
				b.add(line)
			}
		}
	case *ast.Heading: // inside a list or quote
		if t := b.inline(n); t != "" {
			b.add(t)
		}
	default:
		b.flowChildren(n, owner, prefix, marked)
	}
}

func (b *builder) flowChildren(n ast.Node, owner *section, prefix string, marked bool) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		b.flow(c, owner, prefix, marked)
		prefix, marked = "", false
	}
}

// add appends a paragraph to the current section and to the open clause
// and point: an article's text includes its clauses, a clause's its points.
func (b *builder) add(t string) {
	b.cur.paras = append(b.cur.paras, t)
	if b.article != nil && b.cur == b.article {
		if b.clause != nil {
			b.clause.paras = append(b.clause.paras, t)
		}
		if b.point != nil {
			b.point.paras = append(b.point.paras, t)
		}
	}
}

func (b *builder) openClause(num string, n ast.Node) {
	a := b.article
	legal := a.legal + "-khoan-" + num
	s := &section{legal: legal, Section: handbook.Section{
		Kind: handbook.SectionClause, Number: num, Heading: label(legal), Parent: a.Anchor,
		Path: slices.Clone(a.Path), Line: b.line(n),
	}}
	s.Anchor = b.uniqueLegal(a.Anchor+"-khoan-"+num, s.Line)
	n.SetAttributeString("id", []byte(s.Anchor))
	b.clause, b.point = s, nil
	b.secs = append(b.secs, s)
}

func (b *builder) openPoint(letter string, n ast.Node) {
	parent := b.clause
	if parent == nil {
		parent = b.article // points directly under an article: dieu-16-diem-a
	}
	legal := parent.legal + "-diem-" + handbook.PointSlug(letter)
	s := &section{legal: legal, Section: handbook.Section{
		Kind: handbook.SectionPoint, Number: letter, Heading: label(legal), Parent: parent.Anchor,
		Path: slices.Clone(b.article.Path), Line: b.line(n),
	}}
	s.Anchor = b.uniqueLegal(parent.Anchor+"-diem-"+handbook.PointSlug(letter), s.Line)
	n.SetAttributeString("id", []byte(s.Anchor))
	b.point = s
	b.secs = append(b.secs, s)
}

// label writes a clause or point anchor as a heading: "Khoản 2 Điều 16",
// "Điểm a khoản 2 Điều 16".
func label(anchor string) string {
	l := handbook.AnchorLabel(anchor)
	r, size := utf8.DecodeRuneInString(l)
	return string(unicode.ToUpper(r)) + l[size:]
}

// unique returns a, or a with "-2", "-3"… appended when it is taken.
func (b *builder) unique(a string) string {
	if a == "" {
		a = fallbackAnchor
	}
	if !b.used[a] {
		b.used[a] = true
		return a
	}
	// next remembers where the search for a free suffix stopped, so that
	// many equal headings stay linear.
	for i := max(b.next[a], 2); ; i++ {
		if c := fmt.Sprintf("%s-%d", a, i); !b.used[c] {
			b.used[c] = true
			b.next[a] = i + 1
			return c
		}
	}
}

// uniqueLegal is unique for legal anchors, which citations rely on: a
// second "Điều 5" is worth a warning.
func (b *builder) uniqueLegal(a string, line int) string {
	u := b.unique(a)
	if u != a {
		b.problems = append(b.problems, handbook.Problem{Path: b.doc.Path, Line: line, Severity: handbook.SeverityWarning,
			Message: fmt.Sprintf("anchor %q is already used in this document; this one is %q", a, u)})
	}
	return u
}

// splitMarkers splits a paragraph before each of its lines that starts a
// clause ("2. ") or a point ("b) "), so that each gets its own node, its
// own id in the HTML and its own section. CommonMark keeps such lines in
// one paragraph: "b)" is no list marker, and "2." cannot interrupt a
// paragraph. One pass, so a long run of points stays linear.
func (b *builder) splitMarkers(p ast.Node) {
	var cuts []ast.Node
	var prev *ast.Text
	for c := p.FirstChild(); c != nil; c = c.NextSibling() {
		if prev != nil && prev.SoftLineBreak() && b.startsMarker(c) {
			cuts = append(cuts, c)
			prev.SetSoftLineBreak(false)
		}
		prev, _ = c.(*ast.Text)
	}
	if len(cuts) == 0 {
		return
	}
	var lines []text.Segment
	if p.Lines() != nil {
		lines = p.Lines().Sliced(0, p.Lines().Len())
	}
	// linesBefore moves the lines that start before pos out of lines.
	linesBefore := func(pos int) *text.Segments {
		k := 0
		for k < len(lines) && lines[k].Stop <= pos {
			k++
		}
		segs := text.NewSegments()
		segs.AppendAll(lines[:k])
		lines = lines[k:]
		return segs
	}
	p.SetLines(linesBefore(cuts[0].Pos()))
	after := p
	for i, cut := range cuts {
		np := ast.NewParagraph()
		np.SetPos(cut.Pos())
		end := ast.Node(nil)
		if i+1 < len(cuts) {
			end = cuts[i+1]
			np.SetLines(linesBefore(end.Pos()))
		} else {
			np.SetLines(linesBefore(len(b.src) + 1))
		}
		for c := cut; c != end; {
			next := c.NextSibling()
			p.RemoveChild(p, c)
			np.AppendChild(np, c)
			c = next
		}
		p.Parent().InsertAfter(p.Parent(), after, np)
		after = np
	}
}

// startsMarker reports whether inline node c, which starts a line, starts
// it with a clause number or a point letter.
func (b *builder) startsMarker(c ast.Node) bool {
	pos := c.Pos()
	if pos < 0 || pos >= len(b.src) {
		return false
	}
	end := min(len(b.src), pos+16)
	if i := bytes.IndexByte(b.src[pos:end], '\n'); i >= 0 {
		end = pos + i
	}
	// A copy: the appended space must not land in the source. "2\. " is a
	// clause too.
	head := append(slices.Clone(util.UnescapePunctuations(b.src[pos:end])), ' ')
	return clauseRE.Match(head) || pointRE.Match(head)
}

// firstText is the text of the first paragraph of a list item.
func (b *builder) firstText(item ast.Node) string {
	for c := item.FirstChild(); c != nil; c = c.NextSibling() {
		switch c.(type) {
		case *ast.Paragraph, *ast.TextBlock:
			return b.inline(c)
		}
	}
	return ""
}

var itemNumberRE = regexp.MustCompile(`^\d{1,9}`)

// itemNumber is the number of an ordered list item as written in the
// source (so "3." stays clause 3 even when the list restarts), or
// fallback.
func (b *builder) itemNumber(item ast.Node, fallback int) string {
	if pos := item.Pos(); pos >= 0 && pos < len(b.src) {
		if m := itemNumberRE.Find(b.src[pos:min(len(b.src), pos+10)]); m != nil {
			return strings.TrimLeft(string(m), "0")
		}
	}
	return fmt.Sprint(fallback)
}

// inline returns the plain text of n's inline content: no Markdown
// syntax, soft line breaks as spaces, hard ones as "\n", raw HTML dropped.
func (b *builder) inline(n ast.Node) string {
	var w strings.Builder
	b.writeInline(&w, n)
	lines := strings.Split(w.String(), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func (b *builder) writeInline(w *strings.Builder, n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			w.Write(unescape(c.Value(b.src)))
			switch {
			case c.HardLineBreak():
				w.WriteByte('\n')
			case c.SoftLineBreak():
				w.WriteByte(' ')
			}
		case *ast.String:
			w.Write(c.Value)
		case *ast.CodeSpan:
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				if t, ok := t.(*ast.Text); ok {
					w.Write(t.Value(b.src))
				}
			}
		case *ast.AutoLink:
			w.Write(c.Label(b.src))
		case *ast.RawHTML:
			// dropped, as in the HTML
		default:
			b.writeInline(w, c)
		}
	}
}

// unescape resolves backslash escapes and character references.
func unescape(v []byte) []byte {
	if bytes.IndexByte(v, '\\') < 0 && bytes.IndexByte(v, '&') < 0 {
		return v
	}
	return util.UnescapePunctuations(util.ResolveNumericReferences(util.ResolveEntityNames(v)))
}

// line returns the 1-based file line of node n.
func (b *builder) line(n ast.Node) int {
	for m := n; m != nil; m = m.FirstChild() {
		if pos := m.Pos(); pos >= 0 {
			return b.doc.BodyLine + sort.SearchInts(b.newlines, min(pos, len(b.src)))
		}
	}
	return b.doc.BodyLine
}

// link records an internal link and rewrites its destination to the page
// URL: "regulations/luat-ho-tich-2014#dieu-16" (a content id, optionally
// with ".md", or relative to the file with "./", "../") becomes
// "/docs/regulations/luat-ho-tich-2014#dieu-16".
func (b *builder) link(l *ast.Link) {
	dest := strings.TrimSpace(string(l.Destination))
	line := b.line(l)
	switch {
	case dest == "" || hasScheme(dest) || strings.HasPrefix(dest, "//"):
		return
	case strings.HasPrefix(dest, "#"):
		b.doc.Links = append(b.doc.Links, handbook.Link{Doc: b.doc.ID, Anchor: dest[1:], Line: line})
		return
	case strings.HasPrefix(dest, "/docs/"):
		id, anchor, _ := strings.Cut(dest[len("/docs/"):], "#")
		b.doc.Links = append(b.doc.Links, handbook.Link{Doc: id, Anchor: anchor, Line: line})
		return
	case strings.HasPrefix(dest, "/"):
		return
	}
	p, anchor, _ := strings.Cut(dest, "#")
	if strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") {
		p = path.Join(path.Dir(b.doc.Path), p)
	}
	id := strings.TrimSuffix(path.Clean(p), ".md")
	folder, _, _ := strings.Cut(id, "/")
	if !slices.ContainsFunc(handbook.Kinds, func(k handbook.Kind) bool { return k.Folder() == folder }) || id == folder {
		b.problems = append(b.problems, handbook.Problem{Path: b.doc.Path, Line: line, Severity: handbook.SeverityWarning,
			Message: fmt.Sprintf("link %q is neither a URL nor a content id such as regulations/luat-ho-tich-2014#dieu-16", dest)})
		return
	}
	url := "/docs/" + id
	if anchor != "" {
		url += "#" + anchor
	}
	l.Destination = []byte(url)
	b.doc.Links = append(b.doc.Links, handbook.Link{Doc: id, Anchor: anchor, Line: line})
}

var schemeRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)

func hasScheme(s string) bool { return schemeRE.MatchString(s) }
