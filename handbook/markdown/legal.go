package markdown

import (
	"regexp"
	"strconv"
	"strings"

	"sotay/handbook"
)

// legalHeading is a heading of the legal hierarchy, recognised by its text
// (the Markdown level does not matter): "Phần thứ nhất", "Chương II. …",
// "Mục 1. …", "Điều 16. …".
type legalHeading struct {
	kind   handbook.SectionKind
	number string // as written: "thứ nhất", "II", "1", "10a"
	arabic string // for the anchor: "1", "2", "1", "10a"
	title  string // the rest of the heading: "ĐĂNG KÝ KHAI SINH"
}

// The number must be followed by a separator, a space or the end, so that
// "Chương trình …" or "Điều 16 quy định gì?" stay plain headings. Roman
// numerals are upper case only ("Chương im lặng" is no chapter).
const legalRest = `(?:\s*[.:\-–—]\s*|\s+|$)(.*)$`

var (
	partWordsRE = regexp.MustCompile(`^(?i:phần)\s+(?i:thứ)\s+(.+)$`)
	partRE      = regexp.MustCompile(`^(?i:phần)\s+([IVXLCDM]+|\d{1,3})` + legalRest)
	chapterRE   = regexp.MustCompile(`^(?i:chương)\s+([IVXLCDM]+|\d{1,3})` + legalRest)
	divisionRE  = regexp.MustCompile(`^(?i:mục)\s+([IVXLCDM]+|\d{1,3})` + legalRest)
	articleRE   = regexp.MustCompile(`^(?i:điều)\s+(\d{1,4}[a-zA-Z]?)(?:\s*[.:\-–—]\s*(.*))?$`)

	// A clause starts a paragraph with its number ("2. "), a point with
	// its letter ("a) ", "đ) ").
	clauseRE = regexp.MustCompile(`^(\d{1,3}[a-z]?)\.\s`)
	pointRE  = regexp.MustCompile(`^([a-zđ])\)\s`)
)

// parseLegalHeading recognises a legal heading; ok is false for any other.
func parseLegalHeading(text string) (h legalHeading, ok bool) {
	if m := articleRE.FindStringSubmatch(text); m != nil {
		n := strings.ToLower(m[1])
		return legalHeading{kind: handbook.SectionArticle, number: n, arabic: n, title: strings.TrimSpace(m[2])}, true
	}
	for _, c := range []struct {
		re   *regexp.Regexp
		kind handbook.SectionKind
	}{{chapterRE, handbook.SectionChapter}, {divisionRE, handbook.SectionDivision}, {partRE, handbook.SectionPart}} {
		m := c.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		n, ok := arabic(m[1])
		if !ok {
			return h, false
		}
		return legalHeading{kind: c.kind, number: m[1], arabic: n, title: strings.TrimSpace(m[2])}, true
	}
	if m := partWordsRE.FindStringSubmatch(text); m != nil {
		n, used := numberWords(m[1])
		if n == 0 {
			return h, false
		}
		number := "thứ " + strings.Join(strings.Fields(m[1])[:used], " ")
		rest := strings.Fields(m[1])[used:]
		title := strings.TrimLeft(strings.Join(rest, " "), ".:-–— ")
		// A separator glued to the last number word ("nhất.") is trimmed
		// by numberWords; the title is what follows it.
		return legalHeading{kind: handbook.SectionPart, number: strings.TrimRight(number, ".:-–—"), arabic: strconv.Itoa(n), title: title}, true
	}
	return h, false
}

// arabic converts "16" or a Roman numeral "XIV" to decimal digits.
func arabic(s string) (string, bool) {
	if s[0] >= '0' && s[0] <= '9' {
		n, err := strconv.Atoi(s)
		return strconv.Itoa(n), err == nil && n > 0
	}
	values := map[byte]int{'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}
	total := 0
	for i := 0; i < len(s); i++ {
		v := values[s[i]]
		if i+1 < len(s) && values[s[i+1]] > v {
			total -= v
		} else {
			total += v
		}
	}
	// Reject non-canonical numerals ("IIII", "VX"): they are more likely
	// a word than a number.
	if total <= 0 || total >= 4000 || roman(total) != s {
		return "", false
	}
	return strconv.Itoa(total), true
}

func roman(n int) string {
	var b strings.Builder
	for _, p := range []struct {
		v int
		s string
	}{{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}} {
		for n >= p.v {
			b.WriteString(p.s)
			n -= p.v
		}
	}
	return b.String()
}

// numberWords reads a Vietnamese ordinal at the start of s ("nhất", "hai",
// "mười một", "hai mươi mốt") and returns its value and the number of words
// it used; 0 when s does not start with one.
func numberWords(s string) (n, used int) {
	digits := map[string]int{"nhất": 1, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4,
		"năm": 5, "lăm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
	total, cur := 0, 0
	for _, w := range strings.Fields(s) {
		t := strings.ToLower(strings.TrimRight(w, ".:-–—,"))
		switch d, ok := digits[t]; {
		case ok && cur == 0:
			cur = d
		case t == "mười" && total == 0 && cur == 0:
			total = 10
		case t == "mươi" && total == 0 && cur > 1:
			total, cur = cur*10, 0
		default:
			return total + cur, used
		}
		used++
		if t != strings.ToLower(w) {
			break // a separator ends the number: "nhất."
		}
	}
	return total + cur, used
}
