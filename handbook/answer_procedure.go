package handbook

import (
	"fmt"
	"slices"
	"strings"
)

// Card is a procedure's national record as a hotline operator reads
// it: straight from front matter, correct without any LLM.
type Card struct {
	Doc    string `json:"doc"`
	Title  string `json:"title"`
	URL    string `json:"url"`
	Code   string `json:"code,omitempty"`
	Field  string `json:"field,omitempty"`
	Agency string `json:"agency,omitempty"`
	// Where is where the citizen goes since the 1 July 2025 reform, and
	// ReformNote how the reform changed it.
	Where      string        `json:"where,omitempty"`
	ReformNote string        `json:"reform_note,omitempty"`
	Channels   []string      `json:"channels,omitempty"`
	Online     string        `json:"online,omitempty"`
	DVCURL     string        `json:"dvc_url,omitempty"`
	TimeLimit  string        `json:"time_limit,omitempty"`
	Fee        string        `json:"fee,omitempty"`
	FeeBasis   string        `json:"fee_basis,omitempty"`
	Documents  []DossierItem `json:"documents,omitempty"`
	Steps      []string      `json:"steps,omitempty"`
	Result     string        `json:"result,omitempty"`
	Conditions []string      `json:"conditions,omitempty"`
	LegalBasis []Citation    `json:"legal_basis,omitempty"`
	Hotline    string        `json:"hotline,omitempty"`
	Owner      string        `json:"owner,omitempty"`
	// Unverified is set for draft pages, whose facts are not all checked.
	Unverified bool `json:"unverified,omitempty"`
}

// DocURL is the web page of a document, with the anchor as fragment.
func DocURL(id, anchor string) string {
	u := "/docs/" + id
	if anchor != "" {
		u += "#" + anchor
	}
	return u
}

// NewCitation returns the citation of anchor in d, labelled the Vietnamese
// way. The untitled opening of a page (an FAQ's answer) is labelled with
// the page's name alone.
func NewCitation(d *Document, anchor, quote string) Citation {
	return Citation{Doc: d.ID, Anchor: anchor, Label: citationLabel(d, anchor), Quote: quote, URL: DocURL(d.ID, anchor)}
}

func citationLabel(d *Document, anchor string) string {
	if s, ok := d.Section(anchor); ok && s.Kind == SectionIntro {
		return d.CitationName()
	}
	return CitationLabel(d, anchor)
}

// NewCard builds the card of procedure d. Legal bases are kept only
// when the cited regulation is in the library and visible under f; an anchor
// missing from the regulation is dropped so that the citation still resolves,
// and a regulation not in force on f.At is labelled so.
func NewCard(d *Document, lib *Library, f Filter) *Card {
	p := d.Procedure
	if p == nil {
		p = &Procedure{}
	}
	c := &Card{
		Doc: d.ID, Title: d.Title, URL: DocURL(d.ID, ""), Code: p.Code, Field: p.Field, Agency: p.Agency,
		Where: p.Where, ReformNote: d.ReformNote, Channels: p.Channels, Online: p.Online, DVCURL: p.DVCURL,
		TimeLimit: p.TimeLimit, Fee: p.Fee, FeeBasis: p.FeeBasis, Documents: p.Documents, Steps: p.Steps,
		Result: p.Result, Conditions: p.Conditions, Hotline: p.Hotline, Owner: d.Owner,
		Unverified: d.Status == StatusDraft,
	}
	seen := map[string]bool{}
	for _, ref := range d.LegalBasis {
		reg, ok := lib.Doc(ref.Doc)
		if !ok || !Visible(reg, f.Audience) {
			continue
		}
		anchor := ref.Article
		if _, ok := reg.Section(anchor); !ok {
			anchor = ""
		}
		if seen[reg.ID+"#"+anchor] {
			continue
		}
		seen[reg.ID+"#"+anchor] = true
		cit := NewCitation(reg, anchor, "")
		if f.At.IsSet() && reg.ValidityAt(f.At) == Expired {
			cit.Label += " (đã hết hiệu lực)"
		}
		c.LegalBasis = append(c.LegalBasis, cit)
	}
	return c
}

// Aspect is the part of a procedure a question asks about.
type Aspect string

// Aspects of a procedure, in the order a card lists them.
const (
	AspectDocuments  Aspect = "documents"
	AspectWhere      Aspect = "where"
	AspectTimeLimit  Aspect = "time_limit"
	AspectFee        Aspect = "fee"
	AspectOnline     Aspect = "online"
	AspectLegalBasis Aspect = "legal_basis"
	AspectHotline    Aspect = "hotline"
	AspectSteps      Aspect = "steps"
	AspectResult     Aspect = "result"
	AspectConditions Aspect = "conditions"
)

// aspectPhrases are folded phrases that ask for an aspect, checked in this
// order (fee before documents: "cần mang bao nhiêu tiền" asks for the fee).
// They are how callers phrase it, with and without diacritics.
var aspectPhrases = []struct {
	aspect  Aspect
	phrases []string
}{
	{AspectFee, []string{"le phi", "phi", "bao nhieu tien", "mat tien", "ton tien", "het bao nhieu", "mien phi", "tien le phi", "dong tien", "nop tien", "mat bao nhieu"}},
	{AspectTimeLimit, []string{"bao lau", "thoi han", "may ngay", "bao nhieu ngay", "bao gio", "khi nao co", "khi nao nhan", "thoi gian giai quyet", "lau khong", "may hom", "bao nhieu lau", "trong ngay", "mat may"}},
	{AspectDocuments, []string{"giay to", "ho so", "mang theo", "mang gi", "can mang", "chuan bi", "thanh phan", "can nhung gi", "can gi", "can nhung giay", "to khai"}},
	{AspectOnline, []string{"truc tuyen", "online", "qua mang", "dich vu cong", "dvc", "vneid", "tren mang", "nop mang", "internet", "qua dien thoai"}},
	{AspectWhere, []string{"o dau", "noi nop", "nop o", "nop tai", "cho nao", "dia chi", "di dau", "co quan nao", "lam o", "den dau", "xa nao", "phuong nao", "ai giai quyet", "noi lam", "lam tai"}},
	{AspectHotline, []string{"hotline", "so dien thoai", "tong dai", "goi dien", "lien he", "sdt", "goi so"}},
	{AspectLegalBasis, []string{"can cu", "van ban nao", "quy dinh o", "luat nao", "nghi dinh nao", "dieu may", "co so phap ly", "theo luat"}},
	{AspectResult, []string{"ket qua", "nhan duoc gi", "duoc cap gi", "nhan lai gi"}},
	{AspectConditions, []string{"dieu kien", "ai duoc", "doi tuong", "co duoc khong"}},
	{AspectSteps, []string{"cac buoc", "trinh tu", "quy trinh", "the nao", "cach lam", "lam sao", "ra sao", "thu tuc gi"}},
}

// DetectAspect returns the aspect of a procedure the question asks about,
// or "" when it asks about the procedure as a whole.
func DetectAspect(question string) Aspect {
	terms := FoldedSyllables(question)
	for _, a := range aspectPhrases {
		for _, p := range a.phrases {
			if hasRun(terms, strings.Fields(p)) {
				return a.aspect
			}
		}
	}
	return ""
}

func hasRun(terms, run []string) bool {
	for i := 0; i+len(run) <= len(terms); i++ {
		if slices.Equal(terms[i:i+len(run)], run) {
			return true
		}
	}
	return false
}

// followUpFillers are folded words that carry no topic in a follow-up
// ("thế còn lệ phí thì sao ạ?").
var followUpFillers = map[string]bool{
	"the": true, "con": true, "vay": true, "nua": true, "ha": true, "nhi": true, "day": true, "do": true,
	"nay": true, "luon": true, "ak": true, "a": true, "oi": true, "chu": true, "roi": true, "van": true,
	"tien": true, "mat": true, "het": true, "bao": true, "nhieu": true, "lau": true, "ngay": true,
	"thu": true, "tuc": true, "viec": true, "cai": true, "nhe": true, "vang": true, "da": true, "kia": true,
}

// isFollowUp reports whether a question continues the conversation about
// procedure d: all of its topic words (beyond question words and aspect
// phrases) belong to the procedure's names, or it has none ("thế lệ phí bao
// nhiêu?", "cần giấy tờ gì?", "nộp ở đâu?").
func isFollowUp(question string, d *Document) bool {
	names := map[string]bool{}
	for _, s := range append([]string{d.Title, d.Field()}, d.Aliases...) {
		for _, t := range FoldedSyllables(s) {
			names[t] = true
		}
	}
	aspectWords := map[string]bool{}
	for _, a := range aspectPhrases {
		for _, p := range a.phrases {
			for _, w := range strings.Fields(p) {
				aspectWords[w] = true
			}
		}
	}
	n, in := 0, 0
	for _, t := range FoldedSyllables(question) {
		if stopTerms[t] || followUpFillers[t] || aspectWords[t] {
			continue
		}
		n++
		if names[t] {
			in++
		}
	}
	return n == 0 || float64(in)/float64(n) >= followUpShare
}

// followUpShare is the share of a follow-up's topic words that must name the
// procedure in focus; below it the question is a new one ("còn đăng ký kết
// hôn thì sao?" after khai sinh shares only "đăng ký").
const followUpShare = 0.75

// Bounds of the short form, the "đọc cho người gọi" answer an operator
// reads aloud: 3 to 6 sentences, counted by Sentences without markers.
const (
	shortMinSentences = 3
	shortMaxSentences = 6
)

// sentenceCount is how many sentences text reads as, citation markers left
// out.
func sentenceCount(text string) int {
	return len(Sentences(markerRE.ReplaceAllString(text, "")))
}

// procedureAnswer writes the card as text, leading with the aspect asked
// about (a follow-up starts with it; a first question names the procedure
// first, so the operator hears which one was found). Every fact comes from
// the procedure page, citation [1]; legal bases follow as [2]…
//
// The short form stays within shortMaxSentences: the fact asked about is
// always given whole, the others only when they fit (a fee with three rates
// is not cut to its first rate). The full form gives every fact, each
// document with its note, and the reform note.
func procedureAnswer(c *Card, question string, aspect Aspect, form AnswerForm, followUp bool) (string, []Citation) {
	cits := []Citation{{Doc: c.Doc, Label: c.Title, URL: c.URL, Quote: cardQuote(c, aspect)}}
	facts := cardFacts(c, form)
	order := []Aspect{AspectDocuments, AspectWhere, AspectTimeLimit, AspectFee, AspectOnline}
	if form == FormFull {
		order = []Aspect{AspectConditions, AspectDocuments, AspectWhere, AspectSteps, AspectTimeLimit, AspectFee, AspectOnline, AspectResult, AspectHotline}
	}
	if aspect != "" {
		order = append([]Aspect{aspect}, slices.DeleteFunc(order, func(a Aspect) bool { return a == aspect })...)
	}
	var lines []string
	used := 0
	add := func(s string) {
		lines = append(lines, s)
		used += sentenceCount(s)
	}
	if !followUp || form == FormFull {
		head := "Thủ tục " + midSentence(c.Title)
		if c.Agency != "" {
			head += " do " + midSentence(c.Agency) + " giải quyết"
		}
		add(head + ". [1]")
	}
	// The reform note says where to go since 1 July 2025 when that changed;
	// the short form reads it when the question is about the place or the
	// reform, or names a case the note is about ("kết hôn với người nước
	// ngoài"). It follows the place, or the fact asked about.
	reform := ""
	if c.ReformNote != "" && (form == FormFull || reformRelevant(question, c, aspect)) {
		reform = "Thay đổi từ ngày 01/7/2025: " + asSentence(c.ReformNote) + " [1]"
	}
	addReform := func() {
		if reform != "" && (form == FormFull || used+sentenceCount(reform) <= shortMaxSentences) {
			add(reform)
		}
		reform = ""
	}
	// The short form reads the aspect asked about and two more facts, or
	// the whole card in brief.
	maxFacts := 5
	if aspect != "" {
		maxFacts = 3
	}
	legalBasis := func() {
		if len(c.LegalBasis) == 0 || len(cits) > 1 {
			return
		}
		var refs []string
		for i, l := range c.LegalBasis {
			cits = append(cits, l)
			refs = append(refs, fmt.Sprintf("%s [%d]", l.Label, i+2))
		}
		add("Căn cứ pháp lý: " + strings.Join(refs, "; ") + ".")
	}
	n := 0
	for _, a := range order {
		s := facts[a]
		switch {
		case a == AspectLegalBasis && len(c.LegalBasis) > 0:
			// Each legal basis with its own citation.
			legalBasis()
			n++
			continue
		case s == "" && a == aspect:
			// Say what the page lacks rather than answer something else.
			s = "Trang thủ tục chưa ghi " + aspectNames[a] + "; anh/chị vui lòng hỏi cơ quan giải quyết."
		case s == "":
			continue
		}
		if a == AspectWhere && c.Where == "" && len(lines) > 0 && aspect != AspectWhere {
			continue // the agency is already named in the first sentence
		}
		s += " [1]"
		if form == FormShort {
			if n == maxFacts {
				break
			}
			if a != aspect && used+sentenceCount(s) > shortMaxSentences {
				continue
			}
			n++
		}
		add(s)
		if a == AspectWhere || a == aspect {
			addReform()
		}
	}
	addReform()
	if form == FormFull {
		legalBasis()
	}
	if len(lines) == 0 {
		lines = append(lines, "Thủ tục "+midSentence(c.Title)+". [1]")
	}
	return strings.Join(lines, "\n"), cits
}

// reformWords are folded words of a question about the reform itself.
var reformWords = [][]string{{"huyen"}, {"truoc", "day"}, {"cai", "cach"}, {"sap", "nhap"}, {"hai", "cap"}, {"2", "cap"}, {"1", "7"}}

// reformRelevant reports whether the short answer to question should read
// the card's reform note: the question asks where to go, speaks of the
// reform, or shares a pair of adjacent words with the note that the
// procedure's title does not have ("nước ngoài" for a note on marriages
// with a foreigner, on the domestic marriage card).
func reformRelevant(question string, c *Card, aspect Aspect) bool {
	if aspect == AspectWhere {
		return true
	}
	q := FoldedSyllables(question)
	for _, w := range reformWords {
		if hasRun(q, w) {
			return true
		}
	}
	title := map[string]bool{}
	for _, t := range FoldedSyllables(c.Title) {
		title[t] = true
	}
	note := FoldedSyllables(c.ReformNote)
	for i := 1; i < len(q); i++ {
		a, b := q[i-1], q[i]
		if stopTerms[a] || stopTerms[b] || title[a] && title[b] {
			continue
		}
		if hasRun(note, []string{a, b}) {
			return true
		}
	}
	return false
}

// conditionalNote marks a dossier note that says when the document is
// needed at all ("Chỉ với trẻ bị bỏ rơi", "Không phải nộp nếu…"): the short
// form keeps it, so that a conditional document is not read as required.
var conditionalNote = [][]string{{"chi"}, {"khi"}, {"neu"}, {"truong", "hop"}, {"khong", "bat", "buoc"},
	{"bat", "buoc", "khi"}, {"khong", "phai", "nop"}, {"khong", "doi"}, {"khong", "can"}}

// documentsFact lists the dossier. The short form is one sentence, with the
// first clause of conditional notes; the full form gives one document a
// line with its whole note.
func documentsFact(docs []DossierItem, form AnswerForm) string {
	var items []string
	for _, d := range docs {
		s := strings.TrimSpace(d.Name)
		note := strings.TrimSpace(d.Note)
		var extra []string
		if d.Copies != "" {
			extra = append(extra, strings.TrimSpace(d.Copies))
		}
		if form == FormFull {
			if len(extra) > 0 {
				s += " (" + extra[0] + ")"
			}
			if note != "" {
				s += ": " + strings.TrimSuffix(note, ".")
			}
			items = append(items, "- "+s+".")
			continue
		}
		if note != "" && isConditional(note) {
			clause, _, _ := strings.Cut(note, ";")
			clause, _, _ = strings.Cut(clause, ". ")
			extra = append(extra, lowerFirst(strings.TrimSuffix(strings.TrimSpace(clause), ".")))
		}
		if len(extra) > 0 {
			s += " (" + strings.Join(extra, "; ") + ")"
		}
		items = append(items, s)
	}
	if form == FormFull {
		return "Hồ sơ gồm:\n" + strings.Join(items, "\n")
	}
	return "Hồ sơ gồm: " + strings.Join(items, "; ") + "."
}

func isConditional(note string) bool {
	words := FoldedSyllables(note)
	for _, p := range conditionalNote {
		if len(words) >= len(p) && slices.Equal(words[:len(p)], p) {
			return true
		}
	}
	return false
}

// lowerFirst lowercases the first letter of a clause used inside a
// sentence, unless its first word is an acronym ("UBND", "VNeID").
func lowerFirst(s string) string {
	word, _, _ := strings.Cut(s, " ")
	r := []rune(word)
	if len(r) < 2 || strings.ToLower(string(r[1:])) != string(r[1:]) {
		return s
	}
	r0 := []rune(s)
	return strings.ToLower(string(r0[0])) + string(r0[1:])
}

// cardFacts renders each aspect of the card as one sentence (the full
// form's dossier as a list).
func cardFacts(c *Card, form AnswerForm) map[Aspect]string {
	m := map[Aspect]string{}
	if len(c.Documents) > 0 {
		m[AspectDocuments] = documentsFact(c.Documents, form)
	}
	if c.Where != "" {
		m[AspectWhere] = "Nơi nộp hồ sơ: " + asSentence(c.Where)
	} else if c.Agency != "" {
		m[AspectWhere] = "Cơ quan giải quyết: " + asSentence(c.Agency)
	}
	if c.TimeLimit != "" {
		m[AspectTimeLimit] = "Thời hạn giải quyết: " + asSentence(c.TimeLimit)
	}
	if c.Fee != "" {
		m[AspectFee] = "Lệ phí: " + asSentence(c.Fee)
	}
	switch {
	case c.DVCURL != "" && c.Online != "" && Fold(c.Online) != "khong":
		m[AspectOnline] = "Nộp trực tuyến (" + c.Online + ") tại " + c.DVCURL + "."
	case c.Online != "" && Fold(c.Online) == "khong":
		m[AspectOnline] = "Thủ tục này chưa nộp trực tuyến được."
	case c.DVCURL != "":
		m[AspectOnline] = "Có thể tra cứu và nộp trực tuyến tại " + c.DVCURL + "."
	}
	if c.Hotline != "" {
		m[AspectHotline] = "Hỗ trợ: " + asSentence(c.Hotline)
	}
	if len(c.Steps) > 0 {
		var steps []string
		for i, s := range c.Steps {
			steps = append(steps, fmt.Sprintf("(%d) %s", i+1, strings.TrimSuffix(strings.TrimSpace(s), ".")))
		}
		m[AspectSteps] = "Các bước: " + strings.Join(steps, "; ") + "."
	}
	if c.Result != "" {
		m[AspectResult] = "Kết quả: " + asSentence(c.Result)
	}
	if len(c.Conditions) > 0 {
		m[AspectConditions] = "Điều kiện: " + strings.TrimSuffix(strings.Join(c.Conditions, "; "), ".") + "."
	}
	return m
}

// aspectNames name the aspects in a sentence saying the page lacks one.
var aspectNames = map[Aspect]string{
	AspectDocuments: "thành phần hồ sơ", AspectWhere: "nơi nộp hồ sơ", AspectTimeLimit: "thời hạn giải quyết",
	AspectFee: "lệ phí", AspectOnline: "cách nộp trực tuyến", AspectLegalBasis: "căn cứ pháp lý",
	AspectHotline: "số điện thoại hỗ trợ", AspectSteps: "các bước thực hiện", AspectResult: "kết quả giải quyết",
	AspectConditions: "điều kiện thực hiện",
}

// cardQuote is the front-matter value the answer leads with, quoted in the
// card citation.
func cardQuote(c *Card, aspect Aspect) string {
	switch aspect {
	case AspectFee:
		return c.Fee
	case AspectTimeLimit:
		return c.TimeLimit
	case AspectWhere:
		return c.Where
	case AspectOnline:
		return c.Online
	case AspectHotline:
		return c.Hotline
	case AspectResult:
		return c.Result
	}
	return ""
}

func asSentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

// midSentence lowercases the first letter of a title used mid-sentence,
// unless the first word is an acronym or a proper name ("UBND", "Ủy ban").
func midSentence(s string) string {
	r := []rune(s)
	if len(r) < 2 {
		return s
	}
	word, _, _ := strings.Cut(s, " ")
	if strings.ToUpper(word) == word || slices.Contains(properStarts, Fold(word)) {
		return s
	}
	return strings.ToLower(string(r[0])) + string(r[1:])
}

var properStarts = []string{"uy", "cong", "so", "bo", "trung", "nha", "chu", "toa", "vien", "phong"}
