package handbook

import (
	"regexp"
	"strings"
)

// Masks that replace personal data in stored text.
const (
	MaskPhone = "[SĐT]"
	MaskCCCD  = "[CCCD]"
	MaskEmail = "[email]"
	MaskCMND  = "[CMND]"
)

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)

// cmndRE finds a 9-digit number that the text names as an old identity card
// (chứng minh nhân dân, still quoted by callers) just before it. Nine
// digits alone are too common (amounts, file numbers) to mask without it.
var cmndRE = regexp.MustCompile(`(?i)(?:cmnd|cmt|ch[ứu]ng minh(?: nh[âa]n d[âa]n| th[ưu])?)[^0-9\n]{0,20}?(\d{3}[ .-]?\d{3}[ .-]?\d{3})`)

// MaskPII replaces the personal data that callers read out on the hotline
// before a question, comment or note is stored: e-mail addresses, 12-digit
// citizen identity numbers (số định danh cá nhân on the CCCD, Luật Căn cước
// 2023), 9-digit numbers of old identity cards (CMND) when the text says so,
// and Vietnamese phone numbers (10-digit mobile and 11-digit landline
// numbers starting with 0, or with +84/84 instead of the 0). Digit groups
// may be separated by single spaces, dots or dashes ("0912 345 678").
// Shorter numbers (hotlines such as 1900 xxxx, procedure codes, dates, legal
// numbers like 120/2025/NĐ-CP) are kept: they are not personal and often
// are the question.
//
// It runs on every question the server logs. An address needs an '@' and
// every other pattern a digit, which most questions lack; without either
// the regular expressions are not run (a third of the time a search spent
// logging its question at 100k chunks went to running them for nothing).
func MaskPII(s string) string {
	if strings.IndexByte(s, '@') < 0 && !strings.ContainsAny(s, "0123456789") {
		return s
	}
	return maskPII(s)
}

// maskPII is MaskPII without the check for an '@' or a digit.
func maskPII(s string) string {
	s = emailRE.ReplaceAllString(s, MaskEmail)
	s = maskCMND(s)
	if !strings.ContainsAny(s, "0123456789") {
		return s
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		if !isDigit(s[i]) && !(s[i] == '+' && i+1 < len(s) && isDigit(s[i+1])) {
			b.WriteByte(s[i])
			i++
			continue
		}
		// A number may not start inside another number. Letters around it
		// do not matter: "sdt0912345678" is still a phone number.
		if i > 0 && isDigit(s[i-1]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		groups := digitGroups(s[i:])
		if end, mask := matchPII(s[i:], groups); end > 0 {
			b.WriteString(mask)
			i += end
			continue
		}
		// Not personal: copy the first group and go on after it.
		end := groups[0].end
		b.WriteString(s[i : i+end])
		i += end
	}
	return b.String()
}

// maskCMND replaces the numbers cmndRE finds, unless they run on into more
// digits (then they are something else, or a CCCD masked after).
func maskCMND(s string) string {
	ms := cmndRE.FindAllStringSubmatchIndex(s, -1)
	if ms == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		start, end := m[2], m[3]
		if end < len(s) && (isDigit(s[end]) || end+1 < len(s) && strings.IndexByte(" .-", s[end]) >= 0 && isDigit(s[end+1])) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(MaskCMND)
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

type digitGroup struct{ start, end int } // byte offsets of the digits

// digitGroups splits the start of s into runs of digits separated by one
// space, dot or dash. A leading '+' belongs to the first group.
func digitGroups(s string) []digitGroup {
	var out []digitGroup
	i := 0
	for {
		start := i
		if i < len(s) && s[i] == '+' {
			i++
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start || (s[start] == '+' && i == start+1) {
			break
		}
		out = append(out, digitGroup{start, i})
		if i+1 < len(s) && (s[i] == ' ' || s[i] == '.' || s[i] == '-') && isDigit(s[i+1]) {
			i++
			continue
		}
		break
	}
	return out
}

// matchPII finds the shortest run of leading groups that forms a CCCD or a
// phone number and ends at a group boundary; it returns its byte length and
// the mask, or 0.
func matchPII(s string, groups []digitGroup) (int, string) {
	var digits strings.Builder
	for k, g := range groups {
		digits.WriteString(strings.TrimPrefix(s[g.start:g.end], "+"))
		d := digits.String()
		plus := s[0] == '+'
		switch {
		case !plus && len(d) == 12 && d[0] == '0':
			return g.end, MaskCCCD
		case isPhone(d, plus):
			// Prefer a longer match that is still a phone (landline
			// numbers have 11 digits, 10 of which look like a mobile).
			if k+1 < len(groups) {
				next := d + s[groups[k+1].start:groups[k+1].end]
				if isPhone(next, plus) || (!plus && len(next) == 12 && next[0] == '0') {
					continue
				}
			}
			return g.end, MaskPhone
		case len(d) > 12:
			return 0, ""
		}
	}
	return 0, ""
}

// isPhone reports whether d (digits only) is a Vietnamese phone number:
// 0 + 9 digits (mobile, 03/05/07/08/09) or 0 + 10 digits (landline, 02),
// or the same with the country code 84 instead of the 0.
func isPhone(d string, plus bool) bool {
	national := ""
	switch {
	case strings.HasPrefix(d, "84") && (len(d) == 11 || len(d) == 12):
		national = "0" + d[2:]
	case !plus && strings.HasPrefix(d, "0"):
		national = d
	default:
		return false
	}
	switch len(national) {
	case 10:
		return strings.ContainsRune("35789", rune(national[1]))
	case 11:
		return national[1] == '2'
	}
	return false
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
