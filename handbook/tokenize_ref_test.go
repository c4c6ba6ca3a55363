package handbook

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// eachTokenRef is eachToken as it was before it decoded two- and three-byte
// runes itself: every rune past ASCII through utf8.DecodeRuneInString.
func eachTokenRef(s string) (spans [][2]int) {
	start := -1
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if IsWordRune(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			spans = append(spans, [2]int{start, i})
			start = -1
		}
		i += n
	}
	if start >= 0 {
		spans = append(spans, [2]int{start, len(s)})
	}
	return spans
}

// eachToken decodes well-formed two- and three-byte runes itself; on
// Vietnamese text, punctuation past ASCII and malformed or truncated
// sequences of every length it must cut the syllables the reference cuts.
func TestEachTokenMatchesReference(t *testing.T) {
	pieces := []string{"Đăng", "ký", "khai", "sinh", "nghiêng", "Ủy", "ban", " ", "  ", ".", ",", "16", "NĐ-CP",
		"\u00a0", "–", "…", "“", "”", "×", "÷", "§", "\u0301", "\u0323", "😀", "\u2028", "\ufeff", "\u1ea0", "\u1ef9", "\u0800", "\uffff",
		"\xff", "\xc3", "\xe1\xba", "\xe1", "\xed\xa0\x80", "\xe0\x80\x80", "\xe0\xa0\x80", "\xc0\x80", "\xc1\xbf", "\xf0\x9f", "\x80", "\xef\xbf\xbd", "\xee\x80\x80"}
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 20000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if trial%3 == 0 && len(s) > 0 {
			s = s[:r.IntN(len(s))] // cut inside a rune
		}
		var got [][2]int
		eachToken(s, func(start, end int) { got = append(got, [2]int{start, end}) })
		if want := eachTokenRef(s); !slices.Equal(got, want) {
			t.Fatalf("eachToken(%q) = %v, want %v", s, got, want)
		}
	}
}
