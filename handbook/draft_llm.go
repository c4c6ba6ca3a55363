package handbook

// What an LLM writes into a draft is checked like an answer is
// (answer_verify.go) before anyone sees it, line by line:
//
//   - a document number ("123/QĐ-UBND", "61/2018/NĐ-CP") stays only when the
//     drafter's own inputs name it, or when it is a regulation of the
//     knowledge base in force on the document date;
//   - a date stays only when the inputs, the cited regulations or the
//     knowledge base's metadata contain it;
//   - an amount of money, and any other figure (a time limit, a count, a
//     percentage, an article number), stays only when it appears in the
//     inputs or the cited regulations: invented figures are the costliest
//     mistake in an answer, and in a signed document too;
//   - a quotation («…», “…”, "…") stays only when it is found word for word
//     in the inputs or the cited regulations;
//   - a person's name (a common Vietnamese family name followed by
//     capitalised syllables) stays only when the inputs or the cited
//     regulations contain it; a place ("xã Đinh Văn", "Hà Nội") is not a
//     name.
//
// Whatever fails becomes a [CẦN BỔ SUNG: …] placeholder, so the drafter
// sees what to supply instead of a plausible invention. Unlike an answer,
// a draft is not thrown away on the first failure: the body is a proposal
// the drafter edits, and the placeholders say exactly where.

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// knownFacts is what the LLM may repeat: the facts of the inputs (fields,
// instructions, issuer, place, date) and of the cited regulations, plus the
// numbers of the regulations in force on the document date.
type knownFacts struct {
	numbers map[string]bool // document numbers, upper-cased
	dates   map[string]bool // YYYY-MM-DD
	amounts map[string]bool // amountKey
	figures map[string]bool // canonicalNumber of every figure
	hay     string          // quoteKey of every input and source, for quotations
	names   string          // Fold of the inputs, for personal names
}

func (c *composer) knownFacts() *knownFacts {
	k := &knownFacts{numbers: map[string]bool{}, dates: map[string]bool{}, amounts: map[string]bool{}, figures: map[string]bool{}}
	var inputs []string
	inputs = append(inputs, c.instructions, c.issuer, c.superior, c.place, c.signer.Name)
	for _, v := range c.fields {
		inputs = append(inputs, v)
	}
	inputs = append(inputs, c.recipients...)
	var sources []string
	for _, e := range c.sources {
		sources = append(sources, e.Label, e.Text)
	}
	for _, b := range c.bases {
		sources = append(sources, b.Text)
	}
	for _, s := range append(slices.Clone(inputs), sources...) {
		k.add(s)
	}
	k.hay = quoteKey(strings.Join(append(slices.Clone(inputs), sources...), "\n"))
	k.names = Fold(strings.Join(append(slices.Clone(inputs), sources...), "\n"))
	for _, d := range []Date{c.date, c.at} {
		if d.IsSet() {
			k.dates[d.String()] = true
			y, m, day := d.Date()
			for _, n := range []int{y, int(m), day} {
				k.figures[strconv.Itoa(n)] = true
			}
		}
	}
	// Regulations of the knowledge base: their numbers when in force on the
	// document date, their dates always (an issuing date is a fact whatever
	// the validity).
	for _, d := range c.lib.All() {
		r := d.Regulation
		if r == nil || d.Status == StatusArchived {
			continue
		}
		if r.Number != "" && d.ValidityAt(c.at) == InForce {
			k.numbers[strings.ToUpper(r.Number)] = true
		}
		for _, dt := range []Date{r.Issued, r.Effective, r.Expired} {
			if dt.IsSet() {
				k.dates[dt.String()] = true
			}
		}
	}
	return k
}

// Patterns for facts an LLM must not invent. Document numbers follow the
// regexes of domain-notes 4.8: normative "30/2020/NĐ-CP", "60/2014/QH13";
// individual "15/QĐ-UBND", "481/BTP-HTQTCT".
var (
	docNumberRE = regexp.MustCompile(`\b\d{1,5}/(?:\d{4}/)?(?:QH\d{2}\b|[A-ZĐ][A-Za-zĐ]*(?:-[A-ZĐ0-9][A-Za-zĐ0-9]*)+)`)
	longDateRE  = regexp.MustCompile(`(?i:ngày)\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})`)
	numDateRE   = regexp.MustCompile(`\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b`)
	amountRE    = regexp.MustCompile(`\b(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)\s*(triệu đồng|tỷ đồng|nghìn đồng|ngàn đồng|triệu|tỷ|đồng|VNĐ|VND)`)
	// selfArticleRE is a reference to an article of the draft itself ("tại
	// Điều 1"), as opposed to one of a regulation ("Điều 5 Nghị định …").
	selfArticleRE = regexp.MustCompile(`Điều (\d{1,2})\b(\s+(?:của\s+)?(?:Luật|Bộ luật|Pháp lệnh|Nghị định|Nghị quyết|Thông tư|Quyết định|Chỉ thị))?`)
	// personNameRE is a Vietnamese personal name: a common family name and
	// one to three more capitalised syllables (or a single capital, as in
	// the "Nguyễn Văn A" of sample documents).
	personNameRE = regexp.MustCompile(`(?:^|[^\p{L}\p{N}])((?:Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đinh|Trịnh|Đoàn|Lâm|Mai|Trương|Hà|Cao|Lương|Tạ|Chu|Quách|Thái|Tô|La|Lưu|Triệu|Kiều|Vương|Đàm|Mạc|Ka|K')(?:\s+\p{Lu}[\p{Ll}']*){1,3})`)
	// notPersons are places and proper names that look like personal names.
	notPersons = []string{"Hồ Chí Minh", "Hà Nội", "Hà Giang", "Hà Tĩnh", "Hà Nam", "Lâm Đồng", "Cao Bằng", "Thái Bình",
		"Thái Nguyên", "Lý Sơn", "Phan Thiết", "Phan Rang", "Hoàng Sa", "Trường Sa", "Mai Châu", "La Gi", "Đinh Văn"}
	// placeNounRE ends a text with a word that makes the following
	// capitalised words a place or an institution, not a person ("xã Đinh
	// Văn", "đường Lê Lợi").
	placeNounRE = regexp.MustCompile(`(?i)(?:xã|phường|thị trấn|đặc khu|thôn|tổ dân phố|ấp|bản|buôn|làng|đường|phố|tỉnh|huyện|quận|thành phố|sông|hồ|núi|cầu|chợ|trường|bệnh viện|tư tưởng|chủ tịch|đại lộ|quảng trường)\s*$`)
)

func (k *knownFacts) add(s string) {
	for _, m := range docNumberRE.FindAllString(s, -1) {
		k.numbers[strings.ToUpper(m)] = true
	}
	for _, d := range findDates(s) {
		k.dates[d.key] = true
	}
	for _, m := range amountRE.FindAllStringSubmatch(s, -1) {
		k.amounts[amountKey(m[1], m[2])] = true
	}
	for _, n := range figureRE.FindAllString(s, -1) {
		k.figures[canonicalNumber(n)] = true
	}
}

type dateMatch struct {
	start, end int
	key        string // YYYY-MM-DD; "" when not a calendar date
}

func findDates(s string) []dateMatch {
	var out []dateMatch
	for _, re := range []*regexp.Regexp{longDateRE, numDateRE} {
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			day, _ := strconv.Atoi(s[m[2]:m[3]])
			month, _ := strconv.Atoi(s[m[4]:m[5]])
			year, _ := strconv.Atoi(s[m[6]:m[7]])
			key := ""
			t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
			if t.Day() == day && int(t.Month()) == month {
				key = t.Format(time.DateOnly)
			}
			out = append(out, dateMatch{start: m[0], end: m[1], key: key})
		}
	}
	return out
}

func amountKey(num, unit string) string {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, num)
	return digits + " " + Fold(unit)
}

// sanitizeLLM turns model output into body paragraphs: normalised, without
// Markdown, without lines that belong to other components, and with every
// fact that is not known replaced by a placeholder. It also returns how
// many facts it replaced.
func sanitizeLLM(out string, known *knownFacts, articles bool) ([]string, int) {
	var lines []string
	for _, l := range strings.Split(Normalize(out), "\n") {
		l = NormalizeLine(l)
		if strings.HasPrefix(l, "```") {
			continue
		}
		l = strings.TrimLeft(l, "#>*-•+ ")
		l = strings.NewReplacer("**", "", "__", "").Replace(l)
		l = strings.TrimSpace(l)
		if l == "" || foreignLine(l) {
			continue
		}
		if articles {
			l = strings.TrimSpace(articlePrefixRE.ReplaceAllString(l, ""))
		}
		lines = append(lines, l)
		if len(lines) == maxLLMParagraph {
			break
		}
	}
	// A quyết định refers to its own articles ("có tên tại Điều 1"); the
	// drafter adds two closing articles to those the model writes.
	selfArticles := 0
	if articles {
		selfArticles = len(lines) + 2
	}
	replaced := 0
	paras := make([]string, 0, len(lines))
	for _, l := range lines {
		l, n := replaceUnknown(l, known, selfArticles)
		replaced += n
		paras = append(paras, truncateRunes(l, MaxFieldRunes))
	}
	return paras, replaced
}

// foreignLine reports lines that belong to components the LLM must not
// write: header, căn cứ (legal bases come only from the knowledge base),
// addressees, signature and nơi nhận.
func foreignLine(l string) bool {
	f := Fold(l)
	for _, p := range []string{"cong hoa xa hoi", "doc lap - tu do", "doc lap – tu do", "so:", "kinh gui", "can cu ", "noi nhan", "luu: vt", "tm. ", "kt. ", "tl. ", "tuq. ", "q. "} {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	return placeDateRE.MatchString(l)
}

// protector swaps verified spans of a line for markers that no pattern
// matches, so that later checks leave them alone, and puts them back.
type protector struct{ kept []string }

func (p *protector) keep(s string) string {
	p.kept = append(p.kept, s)
	return "\x00" + strings.Repeat("\x01", len(p.kept)) + "\x00"
}

var protectedRE = regexp.MustCompile("\x00\x01+\x00")

func (p *protector) restore(s string) string {
	return protectedRE.ReplaceAllStringFunc(s, func(m string) string {
		if i := len(m) - 3; i < len(p.kept) {
			return p.kept[i]
		}
		return "" // not one of ours; Normalize drops such bytes anyway
	})
}

// replaceUnknown applies the checks of this file's comment to one line.
func replaceUnknown(l string, known *knownFacts, selfArticles int) (string, int) {
	var p protector
	n := 0
	unknown := func(what string) string { n++; return Placeholder(what) }

	// Quotations first: a verified quotation keeps its figures and names.
	for _, re := range []*regexp.Regexp{guillemetRE, straightRE} {
		l = re.ReplaceAllStringFunc(l, func(m string) string {
			inner := strings.TrimSpace(strings.Trim(m, `«»“”"`))
			if inner == "" || strings.Contains(known.hay, quoteKey(inner)) {
				return p.keep(m)
			}
			return unknown("trích dẫn, đối chiếu văn bản gốc")
		})
	}
	l = docNumberRE.ReplaceAllStringFunc(l, func(m string) string {
		if known.numbers[strings.ToUpper(m)] {
			return p.keep(m)
		}
		return unknown("số, ký hiệu văn bản")
	})
	// Dates: replace from the end so earlier offsets stay valid.
	ds := findDates(l)
	slices.SortFunc(ds, func(a, b dateMatch) int { return b.start - a.start })
	prevStart := len(l) + 1
	for _, d := range ds {
		if d.end > prevStart {
			continue
		}
		repl := unknownDate
		if d.key != "" && known.dates[d.key] {
			repl = p.keep(l[d.start:d.end])
		} else {
			n++
		}
		l = l[:d.start] + repl + l[d.end:]
		prevStart = d.start
	}
	l = amountRE.ReplaceAllStringFunc(l, func(m string) string {
		sm := amountRE.FindStringSubmatch(m)
		if known.amounts[amountKey(sm[1], sm[2])] {
			return p.keep(m)
		}
		return unknown("số tiền")
	})
	// Names: a family name followed by capitalised syllables, unless a
	// place noun precedes it or the inputs name that person.
	for _, m := range slices.Backward(personNameRE.FindAllStringSubmatchIndex(l, -1)) {
		start, end := m[2], m[3]
		name := l[start:end]
		if slices.ContainsFunc(notPersons, func(p string) bool { return strings.HasPrefix(name, p) }) ||
			placeNounRE.MatchString(l[:start]) || strings.Contains(known.names, Fold(name)) {
			continue
		}
		l = l[:start] + unknown("họ và tên") + l[end:]
	}
	// References to the draft's own articles.
	l = selfArticleRE.ReplaceAllStringFunc(l, func(m string) string {
		sm := selfArticleRE.FindStringSubmatch(m)
		if k, _ := strconv.Atoi(sm[1]); sm[2] == "" && k >= 1 && k <= selfArticles {
			return p.keep(m)
		}
		return m
	})
	// Any figure left.
	l = figureRE.ReplaceAllStringFunc(l, func(m string) string {
		if known.figures[canonicalNumber(m)] {
			return m
		}
		return unknown("số liệu")
	})
	return p.restore(l), n
}

var unknownDate = Placeholder("ngày tháng năm")
