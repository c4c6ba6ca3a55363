package synth

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"

	"sotay/handbook"
)

// Options control a generated corpus.
type Options struct {
	// Chunks is the number of retrieval chunks to generate (the corpus
	// stops at the first document that reaches it).
	Chunks int
	// Queries is the number of questions with known answers.
	Queries int
	// Seed makes the corpus reproducible: the same model, options and seed
	// give byte-identical files.
	Seed uint64
	// ProcedureShare is the share of chunks in procedures (0.2 when zero);
	// the rest are regulation articles.
	ProcedureShare float64
}

// Summary describes a generated corpus.
type Summary struct {
	Seed        uint64 `json:"seed"`
	Chunks      int    `json:"chunks"`
	Documents   int    `json:"documents"`
	Regulations int    `json:"regulations"`
	Articles    int    `json:"articles"`
	Procedures  int    `json:"procedures"`
	Queries     int    `json:"queries"`
}

// Query is a generated question and the place that answers it, in the gold
// set format of docs/CONTENT.md (handbook.ReadEvalCases reads it).
type Query struct {
	ID       string     `json:"id"`
	Query    string     `json:"query"`
	Relevant []Relevant `json:"relevant"`
}

// Relevant names the document (and, for an article, the anchor) that
// answers a query.
type Relevant struct {
	Doc    string `json:"doc"`
	Anchor string `json:"anchor,omitempty"`
}

// MarshalQueries writes queries as JSONL.
func MarshalQueries(qs []Query) ([]byte, error) {
	var b strings.Builder
	for _, q := range qs {
		line, err := json.Marshal(q)
		if err != nil {
			return nil, err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}

// maxArticleRunes keeps every generated article below handbook.MaxChunkRunes,
// so that an article is exactly one chunk and the chunk count is known.
const maxArticleRunes = handbook.MaxChunkRunes - 300

// target is an article or procedure a query can be asked about.
type target struct {
	doc, anchor string
	title       []string // lower-case syllables of the article or procedure title
	aliases     [][]string
	detail      []string // a rare syllable pair from the body
}

// themeShare is how often a step of a walk follows the document's theme
// rather than the whole vocabulary.
const themeShare = 0.6

type generator struct {
	m       *Model
	th      *theme // theme of the document being written; nil for none
	r       *rand.Rand
	o       Options
	titles  map[string]bool // folded titles already used
	targets []target
	keep    float64 // probability of keeping a target candidate
	regs    []target
	sum     Summary
}

// Generate writes a corpus of about o.Chunks chunks through write (paths are
// relative to the content root: "regulations/vb-00001.md") and returns its
// summary and o.Queries questions with known answers.
func (m *Model) Generate(o Options, write func(name string, data []byte) error) (Summary, []Query, error) {
	if o.Chunks <= 0 {
		return Summary{}, nil, errors.New("synth: Chunks must be positive")
	}
	if len(m.text.starts) == 0 || len(m.title.starts) == 0 {
		return Summary{}, nil, errors.New("synth: the model holds no text (empty library?)")
	}
	if o.ProcedureShare <= 0 {
		o.ProcedureShare = 0.2
	}
	g := &generator{m: m, r: rand.New(rand.NewPCG(o.Seed, 0x5eed)), o: o, titles: map[string]bool{}}
	g.sum.Seed = o.Seed
	// Keep about three times as many candidates as queries, spread over the
	// whole corpus, then sample from them at the end.
	g.keep = min(1, 3*float64(max(o.Queries, 1))/float64(o.Chunks))
	for g.sum.Chunks < o.Chunks {
		var name string
		var data []byte
		// Interleave the kinds so that any prefix of the corpus is mixed;
		// a procedure needs a regulation to cite.
		if len(g.regs) > 0 && float64(g.procChunks()+procedureChunks) <= o.ProcedureShare*float64(g.sum.Chunks+procedureChunks) {
			name, data = g.procedure()
		} else {
			name, data = g.regulation(o.Chunks - g.sum.Chunks)
		}
		if err := write(name, data); err != nil {
			return g.sum, nil, fmt.Errorf("write %s: %w", name, err)
		}
		g.sum.Documents++
	}
	qs := g.queries()
	g.sum.Queries = len(qs)
	return g.sum, qs, nil
}

func (g *generator) procChunks() int { return g.sum.Procedures * procedureChunks }

// procedureChunks is the number of chunks of a generated procedure: the card
// and three body sections.
const procedureChunks = 4

func (g *generator) intn(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

func (g *generator) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

// textWalk and titleWalk draw from the whole vocabulary and the theme.
func (g *generator) textWalk(first string, min, max int) []string {
	if g.th == nil {
		return walk(g.r, &g.m.text, nil, 0, first, min, max)
	}
	return walk(g.r, &g.m.text, &g.th.text, themeShare, first, min, max)
}

func (g *generator) titleWalk(first string, min, max int) []string {
	if g.th == nil {
		return walk(g.r, &g.m.title, nil, 0, first, min, max)
	}
	return walk(g.r, &g.m.title, &g.th.title, themeShare, first, min, max)
}

// sentence draws one sentence, capitalised and ended with a full stop.
func (g *generator) sentence(min, max int) string {
	return capitalize(g.punctuate(g.textWalk("", min, max))) + "."
}

// punctuate joins syllables, with an occasional comma.
func (g *generator) punctuate(w []string) string {
	var b strings.Builder
	for i, x := range w {
		if i > 0 {
			if i > 2 && i < len(w)-2 && g.r.IntN(14) == 0 {
				b.WriteByte(',')
			}
			b.WriteByte(' ')
		}
		b.WriteString(x)
	}
	return b.String()
}

// newTitle draws a title of min to max syllables that no other document or
// article of the corpus has (compared folded).
func (g *generator) newTitle(min, max int) []string {
	var w []string
	for try := 0; ; try++ {
		w = g.titleWalk("", min, max)
		// After many tries (a tiny model), extend the title until unique.
		for try > 20 && len(w) < max+try/20 {
			w = append(w, g.textWalk(w[len(w)-1], 1, 1)...)
		}
		k := handbook.Fold(strings.Join(w, " "))
		if len(w) >= min && !g.titles[k] {
			g.titles[k] = true
			return w
		}
	}
}

// rarePair returns the pair of adjacent syllables of text whose syllables
// are rarest in the real content: the detail a reader would remember.
func (g *generator) rarePair(text string, avoid []string) []string {
	type pair struct {
		a, b string
		n    int
	}
	var best []pair
	for _, sent := range sentences(text) {
		w := words(sent)
		for i := 0; i+1 < len(w); i++ {
			if slices.Contains(avoid, w[i]) || slices.Contains(avoid, w[i+1]) || w[i] == w[i+1] {
				continue
			}
			best = append(best, pair{w[i], w[i+1], g.m.count[w[i]] + g.m.count[w[i+1]]})
		}
	}
	if len(best) == 0 {
		return nil
	}
	slices.SortStableFunc(best, func(x, y pair) int { return x.n - y.n })
	p := best[g.r.IntN(min(3, len(best)))]
	return []string{p.a, p.b}
}

var roman = []string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
	"XVI", "XVII", "XVIII", "XIX", "XX"}

var regTypes = []struct{ docType, suffix, issuer, prefix string }{
	{"Nghị định", "NĐ-CP", "Chính phủ", "Nghị định quy định chi tiết về"},
	{"Thông tư", "TT-BTP", "Bộ Tư pháp", "Thông tư hướng dẫn về"},
	{"Thông tư", "TT-BCA", "Bộ Công an", "Thông tư quy định về"},
	{"Quyết định", "QĐ-UBND", "Ủy ban nhân dân tỉnh", "Quyết định ban hành quy định về"},
	{"Luật", "QH15", "Quốc hội", "Luật"},
}

// regulation writes one regulation of up to left chunks (one per article,
// plus its introduction).
func (g *generator) regulation(left int) (string, []byte) {
	g.sum.Regulations++
	n := g.sum.Regulations
	g.th = nil
	if len(g.m.regThemes) > 0 {
		g.th = g.m.regThemes[g.r.IntN(len(g.m.regThemes))]
	}
	id := fmt.Sprintf("regulations/vb-%05d", n)
	t := regTypes[g.r.IntN(len(regTypes))]
	year := g.intn(2005, 2024)
	number := fmt.Sprintf("%d/%d/%s", n, year, t.suffix)
	topic := g.newTitle(3, 7)
	title := t.prefix + " " + strings.Join(topic, " ")
	short := t.docType + " số " + number
	if t.docType == "Luật" {
		title = "Luật " + capitalize(strings.Join(topic, " "))
		short = title + " " + fmt.Sprint(year)
	}
	month, day := g.intn(1, 12), g.intn(1, 28)

	var b strings.Builder
	b.WriteString("---\n")
	kv(&b, "title", title)
	b.WriteString("kind: regulation\n")
	kv(&b, "number", number)
	kv(&b, "doc_type", t.docType)
	kv(&b, "short_name", short)
	kv(&b, "issuer", t.issuer)
	fmt.Fprintf(&b, "issued: %04d-%02d-%02d\n", year, month, day)
	fmt.Fprintf(&b, "effective: %04d-%02d-%02d\n", year+month/11, month%11+1, day)
	b.WriteString("summarised: true\n")
	list(&b, "aliases", []string{strings.ToLower(t.docType) + " " + strings.Join(topic, " "), handbook.Fold(short)})
	kv(&b, "summary", g.sentence(12, 30))
	b.WriteString("audience: public\nstatus: published\n")
	kv(&b, "owner", "Sở Tư pháp")
	b.WriteString("reviewed: 2026-01-15\n")
	list(&b, "sources", []string{fmt.Sprintf("https://example.org/sotay-bench/%s", id)})
	b.WriteString("---\n\n")
	b.WriteString(g.sentence(15, 35) + " " + g.sentence(10, 25) + "\n")
	chunks := 1 // the introduction

	articles := min(g.intn(12, 60), max(left-1, 1))
	chapter, nextChapter := 0, 0
	for a := 1; a <= articles; a++ {
		if a >= nextChapter && chapter < len(roman) {
			chapter++
			nextChapter = a + g.intn(6, 15)
			fmt.Fprintf(&b, "\n# Chương %s. %s\n", roman[chapter-1], strings.ToUpper(strings.Join(g.titleWalk("", 3, 7), " ")))
		}
		b.WriteString(g.article(id, a))
		chunks++
	}
	g.sum.Articles += articles
	g.sum.Chunks += chunks
	g.regs = append(g.regs, target{doc: id, anchor: fmt.Sprintf("dieu-%d", g.intn(1, articles))})
	return id + ".md", []byte(b.String())
}

// article writes "## Điều a. …" with a lead-in and numbered clauses.
func (g *generator) article(doc string, a int) string {
	title := g.newTitle(4, 10)
	var body strings.Builder
	switch g.r.IntN(3) {
	case 0:
		fmt.Fprintf(&body, "%s được thực hiện như sau:\n\n", capitalize(strings.Join(title, " ")))
	case 1:
		fmt.Fprintf(&body, "%s\n\n", g.sentence(10, 24))
	}
	clauses := g.intn(2, 5)
	mention := g.r.IntN(clauses) // the clause that repeats part of the title
	letters := []string{"a", "b", "c", "d", "đ", "e"}
	for c := 1; c <= clauses; c++ {
		s := g.sentence(10, 28)
		if c-1 == mention {
			k := g.intn(2, min(4, len(title)))
			i := g.r.IntN(len(title) - k + 1)
			s = strings.TrimSuffix(s, ".") + " " + strings.Join(title[i:i+k], " ") + "."
		}
		if g.r.IntN(3) == 0 {
			s += " " + g.sentence(8, 20)
		}
		line := fmt.Sprintf("%d. %s\n", c, s)
		if g.r.IntN(4) == 0 {
			line = fmt.Sprintf("%d. %s:\n", c, strings.TrimSuffix(g.sentence(6, 14), "."))
			for p := 0; p < g.intn(2, 4); p++ {
				line += fmt.Sprintf("   %s) %s;\n", letters[p], g.punctuate(g.textWalk("", 6, 18)))
			}
		}
		if utf8.RuneCountInString(body.String()+line) > maxArticleRunes {
			break
		}
		body.WriteString(line)
	}
	text := body.String()
	if g.r.Float64() < g.keep {
		g.targets = append(g.targets, target{doc: doc, anchor: fmt.Sprintf("dieu-%d", a), title: title,
			detail: g.rarePair(text, title)})
	}
	return fmt.Sprintf("\n## Điều %d. %s\n\n%s", a, capitalize(strings.Join(title, " ")), text)
}

var (
	dossierCopies = []string{"01 bản chính", "01 bản sao", "01 bản sao có chứng thực", "02 bản chính"}
	timeLimits    = []string{"Ngay trong ngày làm việc", "03 ngày làm việc", "05 ngày làm việc", "07 ngày làm việc", "15 ngày"}
	fees          = []string{"Không thu phí", "Miễn lệ phí", "50.000 đồng", "Theo mức do Hội đồng nhân dân tỉnh quyết định"}
	applicants    = []string{"Công dân Việt Nam", "Cá nhân, tổ chức", "Người đại diện hợp pháp", "Hộ gia đình"}
	channelSets   = [][]string{{"trực tiếp"}, {"trực tiếp", "bưu chính"}, {"trực tiếp", "bưu chính", "trực tuyến"}}
	onlineValues  = []string{"toàn trình", "một phần", "không"}
)

// procedure writes one procedure: front matter (the card) and three body
// sections.
func (g *generator) procedure() (string, []byte) {
	g.sum.Procedures++
	n := g.sum.Procedures
	field := g.pick(g.m.fields)
	g.th = g.m.fieldOf[field]
	id := fmt.Sprintf("procedures/%s/tt-%05d", handbook.Slug(field), n)
	title := g.newTitle(4, 9)
	var aliases [][]string
	for range g.intn(1, 2) {
		k := g.intn(2, max(2, len(title)-1))
		alias := append([]string{}, title[:k]...)
		alias = append(alias, g.titleWalk(title[k-1], 1, 3)[1:]...)
		aliases = append(aliases, alias)
	}
	var b strings.Builder
	b.WriteString("---\n")
	kv(&b, "title", capitalize(strings.Join(title, " ")))
	b.WriteString("kind: procedure\n")
	kv(&b, "code", fmt.Sprintf("2.%06d", n))
	kv(&b, "field", field)
	kv(&b, "level", "xã")
	kv(&b, "agency", "Ủy ban nhân dân cấp xã")
	kv(&b, "where", "Trung tâm Phục vụ hành chính công cấp xã")
	list(&b, "applicants", []string{g.pick(applicants)})
	ch := channelSets[g.r.IntN(len(channelSets))]
	list(&b, "channels", ch)
	kv(&b, "online", onlineValues[min(len(onlineValues)-1, 3-len(ch))])
	kv(&b, "time_limit", g.pick(timeLimits))
	kv(&b, "fee", g.pick(fees))
	b.WriteString("documents:\n")
	for range g.intn(2, 4) {
		fmt.Fprintf(&b, "  - name: %s\n    copies: %s\n", quote(capitalize(strings.Join(g.titleWalk("", 3, 8), " "))), quote(g.pick(dossierCopies)))
	}
	var steps []string
	for i := range g.intn(2, 4) {
		steps = append(steps, fmt.Sprintf("Bước %d: %s", i+1, g.sentence(8, 20)))
	}
	list(&b, "steps", steps)
	kv(&b, "result", g.sentence(5, 12))
	basis := g.regs[g.r.IntN(len(g.regs))]
	fmt.Fprintf(&b, "legal_basis:\n  - doc: %s\n    article: %s\n", quote(basis.doc), quote(basis.anchor))
	var al []string
	for _, a := range aliases {
		al = append(al, strings.Join(a, " "))
	}
	list(&b, "aliases", al)
	kv(&b, "summary", g.sentence(12, 28))
	b.WriteString("audience: public\nstatus: published\n")
	kv(&b, "owner", "Sở Tư pháp")
	b.WriteString("reviewed: 2026-01-15\n")
	list(&b, "sources", []string{fmt.Sprintf("https://example.org/sotay-bench/%s", id)})
	// The chains draw on pages written before and after the 1 July 2025
	// reform, so generated text may name district-level bodies.
	kv(&b, "reform_note", "Văn bản sinh tự động để đo hiệu năng; cơ quan cấp huyện nhắc tới trong văn bản là dữ liệu giả.")
	b.WriteString("---\n\n")
	b.WriteString(g.sentence(12, 30) + "\n\n## Các bước thực hiện\n\n")
	for i := range g.intn(2, 5) {
		fmt.Fprintf(&b, "%d. %s\n", i+1, g.sentence(8, 22))
	}
	b.WriteString("\n## Lỗi thường gặp\n\n")
	for range g.intn(2, 4) {
		fmt.Fprintf(&b, "- %s\n", g.sentence(8, 22))
	}
	b.WriteString("\n## Hướng dẫn trả lời người gọi\n\n")
	body := g.sentence(12, 30) + " " + g.sentence(8, 20)
	b.WriteString(body + "\n")
	g.sum.Chunks += procedureChunks
	if g.r.Float64() < g.keep {
		g.targets = append(g.targets, target{doc: id, title: title, aliases: aliases, detail: g.rarePair(body, title)})
	}
	return id + ".md", []byte(b.String())
}

// kv writes a quoted YAML string value.
func kv(b *strings.Builder, key, v string) { fmt.Fprintf(b, "%s: %s\n", key, quote(v)) }

// list writes a YAML list of quoted strings.
func list(b *strings.Builder, key string, vs []string) {
	b.WriteString(key + ":\n")
	for _, v := range vs {
		fmt.Fprintf(b, "  - %s\n", quote(v))
	}
}

// quote writes s as a double-quoted YAML scalar (JSON escaping is valid YAML).
func quote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

var (
	askPrefixes = []string{"", "", "cho hỏi ", "xin hỏi ", "hỏi về ", "quy định về ", "tôi muốn biết "}
	askSuffixes = []string{"", "", " như thế nào", " là gì", " ra sao", " được quy định thế nào", " theo quy định"}
	procAsks    = []string{" cần giấy tờ gì", " nộp ở đâu", " mất bao lâu", " lệ phí bao nhiêu", " làm thế nào", ""}
)

// queries samples o.Queries targets and asks about each the way a caller
// would: part of the title (some syllables dropped), often a detail from the
// body, in a question frame; half are typed without diacritics.
func (g *generator) queries() []Query {
	g.r.Shuffle(len(g.targets), func(i, j int) { g.targets[i], g.targets[j] = g.targets[j], g.targets[i] })
	var out []Query
	for i, t := range g.targets {
		if len(out) >= g.o.Queries {
			break
		}
		name := t.title
		if len(t.aliases) > 0 && g.r.IntN(2) == 0 {
			name = t.aliases[g.r.IntN(len(t.aliases))]
		}
		words := g.paraphrase(name)
		if len(t.detail) == 2 && (t.anchor != "" || g.r.IntN(3) == 0) {
			if g.r.IntN(3) == 0 {
				words = append(append([]string{}, t.detail...), words...)
			} else {
				words = append(words, t.detail...)
			}
		}
		q := strings.Join(words, " ")
		if t.anchor != "" {
			q = g.pick(askPrefixes) + q + g.pick(askSuffixes)
		} else {
			q = g.pick([]string{"", "làm ", "thủ tục "}) + q + g.pick(procAsks)
		}
		if i%2 == 1 {
			q = handbook.Fold(q)
		}
		out = append(out, Query{ID: fmt.Sprintf("synth-%05d", len(out)+1), Query: q,
			Relevant: []Relevant{{Doc: t.doc, Anchor: t.anchor}}})
	}
	return out
}

// paraphrase keeps most of a title: a long enough window, or the title
// with a syllable or two left out.
func (g *generator) paraphrase(title []string) []string {
	if len(title) <= 3 {
		return append([]string{}, title...)
	}
	if g.r.IntN(2) == 0 {
		k := g.intn((len(title)*3+3)/5, len(title)-1)
		i := g.r.IntN(len(title) - k + 1)
		return append([]string{}, title[i:i+k]...)
	}
	out := make([]string, 0, len(title))
	drop := g.intn(1, max(1, len(title)/4))
	skip := map[int]bool{}
	for range drop {
		skip[g.r.IntN(len(title))] = true
	}
	for i, w := range title {
		if !skip[i] {
			out = append(out, w)
		}
	}
	return out
}
