package handbook

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// legalRefsRef is legalRefs as first written, without the digit check.
func legalRefsRef(raw string) (keys []string, article string) {
	f := Fold(raw)
	for _, m := range numberYearRE.FindAllStringSubmatch(f, -1) {
		keys = append(keys, strings.TrimLeft(m[1], "0")+"/"+m[2])
	}
	spaced := regexp.MustCompile(`([a-z])(\d)`).ReplaceAllString(f, "$1 $2")
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

// TestLegalRefsMatchesReference: skipping questions without a digit
// changes no answer, on questions built from pieces of references.
func TestLegalRefsMatchesReference(t *testing.T) {
	pieces := []string{"nđ", "NĐ", "nghị định", "số", "thông tư", "qđ", "luật", "điều", "Điều", "khoản",
		"280", "15", "0123", "5a", "/", "2015", "2020", "1999", "-CP", "nd", "tt", " ", " ", "khai sinh", "¹", "٣", "x"}
	r := rand.New(rand.NewPCG(5, 6))
	withRefs := 0
	for range 20000 {
		var b strings.Builder
		for range 1 + r.IntN(7) {
			b.WriteString(pieces[r.IntN(len(pieces))])
			if r.IntN(3) > 0 {
				b.WriteByte(' ')
			}
		}
		q := b.String()
		keys, article := legalRefs(q)
		wantKeys, wantArticle := legalRefsRef(q)
		if !slices.Equal(keys, wantKeys) || article != wantArticle {
			t.Fatalf("legalRefs(%q) = %v, %q; want %v, %q", q, keys, article, wantKeys, wantArticle)
		}
		if len(keys) > 0 || article != "" {
			withRefs++
		}
	}
	if withRefs < 1000 {
		t.Errorf("only %d of the built questions held a reference", withRefs)
	}
}
