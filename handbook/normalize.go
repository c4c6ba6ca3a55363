package handbook

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize prepares text that enters the system (content files, HTTP input,
// LLM output): invalid UTF-8 is replaced, text is NFC-composed (text pasted
// from Word or PDF is often NFD), a BOM and control characters are removed and
// non-breaking and other Unicode spaces become plain spaces. Line breaks are
// kept; use NormalizeLine to also collapse them.
func Normalize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	// Filter first and compose last: dropping a control character can bring
	// a base letter and a combining mark together ("A\x7f\u030c"), and only
	// a final NFC pass makes the result stable under a second Normalize.
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\uFEFF' || r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\u00AD':
			continue
		case r == '\r':
			continue
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case unicode.IsControl(r):
			continue
		default:
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

// NormalizeLine is Normalize followed by collapsing all runs of white space
// (line breaks included) into single spaces and trimming.
func NormalizeLine(s string) string {
	return strings.Join(strings.Fields(Normalize(s)), " ")
}

// FoldRune strips Vietnamese diacritics from a lower- or upper-case rune and
// maps đ/Đ to d/D. Runes outside Latin are returned unchanged.
func FoldRune(r rune) rune {
	if r < utf8.RuneSelf {
		return r
	}
	if f, ok := foldTable[r]; ok {
		return f
	}
	return r
}

// foldTable maps every precomposed Latin letter used in Vietnamese (and the
// common Latin-1 letters) to its base letter. Built once from NFD.
var foldTable = func() map[rune]rune {
	m := map[rune]rune{'đ': 'd', 'Đ': 'D'}
	for r := rune(0xC0); r <= 0x24F; r++ {
		addFold(m, r)
	}
	for r := rune(0x1E00); r <= 0x1EFF; r++ {
		addFold(m, r)
	}
	return m
}()

func addFold(m map[rune]rune, r rune) {
	d := norm.NFD.String(string(r))
	base, size := utf8.DecodeRuneInString(d)
	if size == len(d) || base >= utf8.RuneSelf {
		return
	}
	m[r] = base
}

// Fold lowercases s and strips its diacritics ("Đăng ký" → "dang ky"). It
// expects NFC input; decomposed combining marks are dropped as well.
func Fold(s string) string {
	// ASCII without capitals is folded already: most digits, codes and
	// syllables without marks take this path and allocate nothing.
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	return string(AppendFold(make([]byte, 0, len(s)), s))
}

// AppendFold appends the folded form of s to dst (see Fold), for callers
// that fold many strings into one buffer.
func AppendFold(dst []byte, s string) []byte {
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			dst = append(dst, byte(r))
			continue
		}
		if int(r) < len(foldLower) {
			if f := foldLower[r]; f >= 0 {
				dst = utf8.AppendRune(dst, f)
			}
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(FoldRune(r)))
	}
	return dst
}

// foldLower is what AppendFold writes for each rune below U+2000, which
// covers Vietnamese letters and combining marks: the rune folded and
// lower-cased, or -1 for a mark it drops. Folding runs on every token the
// index and the queries see; a table lookup replaces a map lookup, a
// range-table search and a case mapping per rune.
var foldLower = func() []rune {
	t := make([]rune, 0x2000)
	for i := range t {
		r := rune(i)
		if unicode.Is(unicode.Mn, r) {
			t[i] = -1
		} else {
			t[i] = unicode.ToLower(FoldRune(r))
		}
	}
	return t
}()

// wordRunes marks the runes below U+2000 that IsWordRune accepts.
var wordRunes = func() (b [0x2000 / 64]uint64) {
	for r := rune(0); r < 0x2000; r++ {
		if isWordRune(r) {
			b[r/64] |= 1 << (r % 64)
		}
	}
	return b
}()

// asciiWord marks the ASCII bytes IsWordRune accepts.
var asciiWord = func() (b [utf8.RuneSelf]bool) {
	for c := range b {
		b[c] = isWordRune(rune(c))
	}
	return b
}()

// IsWordRune reports whether r belongs to a syllable token.
func IsWordRune(r rune) bool {
	if uint32(r) < 0x2000 {
		return wordRunes[uint32(r)/64]&(1<<(uint32(r)%64)) != 0
	}
	return isWordRune(r)
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// Token is a syllable with its byte offsets in the source string.
type Token struct {
	Text       string
	Start, End int
}

// Tokenize splits s into syllables: maximal runs of letters and digits.
// Vietnamese words span several syllables; phrases are recovered by bigrams.
func Tokenize(s string) []Token {
	var toks []Token
	eachToken(s, func(start, end int) {
		toks = append(toks, Token{Text: s[start:end], Start: start, End: end})
	})
	return toks
}

// eachToken calls fn with the byte offsets of each syllable of s (Tokenize
// without the slice, for callers that keep only a few of them).
//
// It runs over the whole text of every hit a search shows, so ASCII bytes
// are looked up in a table and only other bytes decoded; ranging over the
// runes and calling IsWordRune for each was three times slower.
func eachToken(s string, fn func(start, end int)) {
	start := -1
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if asciiWord[c] {
				if start < 0 {
					start = i - 1
				}
				continue
			}
			if start >= 0 {
				fn(start, i-1)
				start = -1
			}
			continue
		}
		// Two- and three-byte runes, all of Vietnamese, are decoded here
		// when well formed: through utf8.DecodeRuneInString they were a
		// fifth of a loaded server's time in this loop. E0 and ED lead
		// bytes, whose second byte has a narrower range, and everything
		// else go the long way.
		var r rune
		n := 0
		switch {
		case c >= 0xC2 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80:
			r, n = rune(c&0x1F)<<6|rune(s[i+1]&0x3F), 2
		case c >= 0xE1 && c <= 0xEF && c != 0xED && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80:
			r, n = rune(c&0x0F)<<12|rune(s[i+1]&0x3F)<<6|rune(s[i+2]&0x3F), 3
		default:
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if IsWordRune(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			fn(start, i)
			start = -1
		}
		i += n
	}
	if start >= 0 {
		fn(start, len(s))
	}
}

// FoldedSyllables returns the folded, lower-cased syllables of s.
func FoldedSyllables(s string) []string {
	toks := Tokenize(norm.NFC.String(s))
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = Fold(t.Text)
	}
	return out
}

// Slug turns a heading into an ASCII anchor: folded, lower-case, words joined
// by '-' ("Các bước thực hiện" → "cac-buoc-thuc-hien").
func Slug(s string) string {
	return strings.Join(FoldedSyllables(s), "-")
}

// HasDiacritics reports whether s contains a letter that folding changes.
func HasDiacritics(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf && (FoldRune(r) != r || unicode.Is(unicode.Mn, r)) {
			return true
		}
	}
	return false
}
