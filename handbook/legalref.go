package handbook

import (
	"regexp"
	"strings"
)

// Legal references typed in questions: a text number ("01/2021",
// "77/2015/QH13", "nđ 280") and an article ("điều 16"). A question that
// names a text is asking for it, even when it is no longer in force, so the
// retriever looks such texts up directly (DESIGN.md: expired texts are
// excluded "unless asked for", and always labelled).
var (
	numberYearRE  = regexp.MustCompile(`\b(\d{1,4})\s*/\s*((?:19|20)\d{2})\b`)
	typedNumRE    = regexp.MustCompile(`\b(nd|nghi dinh|tt|thong tu|qd|quyet dinh|nq|nghi quyet|luat)\s*(?:so\s*)?(\d{1,4})\b`)
	articleRefRE  = regexp.MustCompile(`\bdieu\s+(\d{1,3}[a-z]?)\b`)
	letterDigitRE = regexp.MustCompile(`([a-z])(\d)`)
)

// NumberKey normalises a document number for lookup: "01/2021/NĐ-CP" →
// "1/2021".
func NumberKey(number string) string {
	m := numberYearRE.FindStringSubmatch(Fold(number))
	if m == nil {
		return ""
	}
	return strings.TrimLeft(m[1], "0") + "/" + m[2]
}

// docTypeKey maps a folded document type ("nghi dinh", "nd") to a short key.
func docTypeKey(t string) string {
	switch t {
	case "nd", "nghi dinh":
		return "nd"
	case "tt", "thong tu":
		return "tt"
	case "qd", "quyet dinh":
		return "qd"
	case "nq", "nghi quyet":
		return "nq"
	case "luat":
		return "luat"
	}
	return ""
}

// TypedNumberKey is the lookup key for a number written without its year
// ("nđ 280" → "nd:280").
func TypedNumberKey(docType, number string) string {
	k := docTypeKey(Fold(strings.TrimSpace(docType)))
	if k == "" {
		return ""
	}
	n := strings.TrimLeft(number, "0")
	if i := strings.IndexByte(n, '/'); i >= 0 {
		n = n[:i]
	}
	return k + ":" + n
}

// legalRefs extracts number keys and an article anchor from a question.
func legalRefs(raw string) (keys []string, article string) {
	f := Fold(raw)
	// Every reference holds an ASCII digit (\d): most questions have none,
	// and the expressions were a third of analysing one.
	if !strings.ContainsAny(f, "0123456789") {
		return nil, ""
	}
	for _, m := range numberYearRE.FindAllStringSubmatch(f, -1) {
		keys = append(keys, strings.TrimLeft(m[1], "0")+"/"+m[2])
	}
	// "nd280", "nđ 280": split letters from digits first.
	spaced := letterDigitRE.ReplaceAllString(f, "$1 $2")
	for _, m := range typedNumRE.FindAllStringSubmatch(spaced, -1) {
		if k := TypedNumberKey(m[1], m[2]); k != "" {
			keys = append(keys, k)
		}
	}
	if m := articleRefRE.FindStringSubmatch(f); m != nil {
		article = "dieu-" + m[1]
	}
	return keys, article
}

// NumberIndex maps number keys ("1/2021", "nd:1") to regulation ids.
func (l *Library) NumberIndex() map[string][]string {
	idx := map[string][]string{}
	for _, d := range l.All() {
		r := d.Regulation
		if r == nil || r.Number == "" {
			continue
		}
		if k := NumberKey(r.Number); k != "" {
			idx[k] = append(idx[k], d.ID)
		}
		if k := TypedNumberKey(r.DocType, strings.SplitN(r.Number, "/", 2)[0]); k != "" {
			idx[k] = append(idx[k], d.ID)
		}
	}
	return idx
}
