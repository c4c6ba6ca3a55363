package handbook

import (
	"html"
	"math/rand/v2"
	"strings"
	"testing"
)

// snippetRef is snippet as it was before it read the folded syllables and
// copied only the window: it collapses the whole text first and folds
// every syllable. One change is kept: a window whose context reaches the
// first syllable starts at the text's start, where it used to start at the
// first syllable and cut what came before it ("(a) …" lost its bracket).
func snippetRef(text string, terms map[string]bool, size int) string {
	text = strings.Join(strings.Fields(text), " ")
	type span struct{ start, end, tok int }
	var matches []span
	tok := 0
	for _, t := range Tokenize(text) {
		if terms[Fold(t.Text)] {
			matches = append(matches, span{t.Start, t.End, tok})
		}
		tok++
	}
	best, bestN := 0, 0
	for a, end := 0, 0; a < len(matches); a++ {
		end = max(end, a)
		for end < len(matches) && matches[end].end-matches[a].start <= size {
			end++
		}
		if n := end - a; n > bestN {
			best, bestN = a, n
		}
	}
	from := 0
	if bestN > 0 && matches[best].tok > 0 {
		want, k := max(matches[best].tok-4, 0), 0
		for _, t := range Tokenize(text[:matches[best].start]) {
			if k == want && k > 0 {
				from = t.Start
			}
			k++
		}
	}
	to := len(text)
	if n := prefixRunes(text[from:], size); n < len(text)-from {
		to = from + n
		if k := strings.LastIndexByte(text[from:to], ' '); k > size/2 {
			to = from + k
		}
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("… ")
	}
	pos := from
	for _, t := range matches {
		if t.start < from || t.end > to {
			continue
		}
		b.WriteString(html.EscapeString(text[pos:t.start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[t.start:t.end]))
		b.WriteString("</mark>")
		pos = t.end
	}
	b.WriteString(html.EscapeString(text[pos:to]))
	if to < len(text) {
		b.WriteString(" …")
	}
	return b.String()
}

// randomSnippetText strings syllables, punctuation, HTML, marks without a
// letter and white space of every kind, with plain single spaces between
// words when plain is set.
func randomSnippetText(r *rand.Rand, plain bool) string {
	words := []string{"Đăng", "ký", "khai", "sinh", "đăng", "KÝ", "hộ", "tịch", "xã", "A1", "2025", "thời", "hạn",
		"ngày", "<b>", "&", "(a)", "1.", "…", "\u0301", "Ưu", "tiên", "\"x\"", "nộp", "hồ", "sơ"}
	spaces := []string{" ", "  ", "\n", "\n   ", "\t", "\u00a0", "\u2003", " \n\n "}
	var b strings.Builder
	if !plain && r.IntN(4) == 0 {
		b.WriteString(spaces[r.IntN(len(spaces))])
	}
	for i := range r.IntN(150) {
		if i > 0 {
			if plain {
				b.WriteByte(' ')
			} else {
				b.WriteString(spaces[r.IntN(len(spaces))])
			}
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	if !plain && r.IntN(4) == 0 {
		b.WriteString(spaces[r.IntN(len(spaces))])
	}
	return b.String()
}

// TestSnippetMatchesReference: on text whose words are one plain space
// apart, snippet cuts, marks and escapes exactly what snippetRef does; on
// any text, reading the folded syllables gives what folding each one gives,
// and folded syllables that do not line up with the text (too few, too
// many) are noticed and the text folded instead.
func TestSnippetMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	queries := []string{"đăng ký khai sinh", "thời hạn hộ tịch", "ưu tiên nộp hồ sơ", "a1 2025", "không có gì"}
	for i := range 20000 {
		q, err := (&Analyzer{}).Analyze(queries[i%len(queries)])
		if err != nil {
			t.Fatal(err)
		}
		marks := markTerms(q)
		size := 20 + r.IntN(300)
		plain := randomSnippetText(r, true)
		if got, want := snippet(plain, "", marks, size), snippetRef(plain, marks.terms, size); got != want {
			t.Fatalf("snippet(%q, %d)\n got %q\nwant %q", plain, size, got, want)
		}
		text := randomSnippetText(r, i%2 == 0)
		want := snippet(text, "", marks, size)
		folded := strings.Join(FoldedSyllables(text), " ")
		if got := snippet(text, folded, marks, size); got != want {
			t.Fatalf("snippet(%q) with folded %q\n got %q\nwant %q", text, folded, got, want)
		}
		fields := strings.Split(folded, " ")
		for _, bad := range []string{folded + " dang", "ky " + folded, strings.Join(fields[:len(fields)-1], " ")} {
			if got := snippet(text, bad, marks, size); got != want {
				t.Fatalf("snippet(%q) with misaligned folded %q\n got %q\nwant %q", text, bad, got, want)
			}
		}
		// A marked syllable longer than half the window, cut by it.
		long := "hồ sơ " + strings.Repeat("nghiêng", 1+r.IntN(8)) + " khai sinh"
		lq, _ := (&Analyzer{}).Analyze(strings.Repeat("nghieng", 1+r.IntN(8)) + " ho so")
		lm := markTerms(lq)
		if got, want := snippet(long, "", lm, size), snippetRef(long, lm.terms, size); got != want {
			t.Fatalf("snippet(%q, %d)\n got %q\nwant %q", long, size, got, want)
		}
		h := &Hit{Title: "Thủ tục đăng ký", Heading: "Điều 5 › Hồ sơ (a)", Text: text}
		h.Folded = strings.Join(FoldedSyllables(h.Title+" "+h.Heading+" "+h.Text), " ")
		if got := hitSnippet(h, marks, size); got != want {
			t.Fatalf("hitSnippet(%q)\n got %q\nwant %q", text, got, want)
		}
	}
}

// coverageRef is Coverage as it was: a set of the hit's syllables folded
// again from its title, heading and text.
func coverageRef(q Query, h *Hit) float64 {
	doc := map[string]bool{}
	for _, t := range FoldedSyllables(h.Title + " " + h.Heading + " " + h.Text) {
		doc[t] = true
	}
	share := func(terms []string) float64 {
		n, found := 0, 0
		for _, t := range terms {
			if stopTerms[t] {
				continue
			}
			n++
			if doc[t] {
				found++
			}
		}
		if n == 0 {
			return 0
		}
		return float64(found) / float64(n)
	}
	best := share(q.Terms)
	for _, e := range q.Expansions {
		best = max(best, share(FoldedSyllables(e))*0.9)
	}
	return best
}

// TestCoverageMatchesReference: Coverage read from the stored folded
// syllables, or folding the hit itself when it has none, is what folding
// the hit's title, heading and text gives.
func TestCoverageMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	queries := []string{"đăng ký khai sinh", "thời hạn hộ tịch", "ưu tiên nộp hồ sơ", "a1 2025 thủ tục", "không có gì"}
	for i := range 5000 {
		q, err := (&Analyzer{}).Analyze(queries[i%len(queries)])
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			q.Expansions = []string{"khai sinh cho con", "hồ sơ"}
		}
		h := &Hit{Title: "Thủ tục đăng ký", Heading: "Điều 5 › Hồ sơ", Text: randomSnippetText(r, i%2 == 0)}
		want := coverageRef(q, h)
		if got := Coverage(q, h); got != want {
			t.Fatalf("Coverage(%q) without folded = %v, want %v", h.Text, got, want)
		}
		h.Folded = strings.Join(FoldedSyllables(h.Title+" "+h.Heading+" "+h.Text), " ")
		if got := Coverage(q, h); got != want {
			t.Fatalf("Coverage(%q) with folded = %v, want %v", h.Text, got, want)
		}
	}
}
