package handbook

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// bestRunSlices is bestRun as it was written first, over a slice of
// syllables, starting a run at every matching pair: the reference the
// one-pass version must agree with.
func bestRunSlices(q Query, doc []string) (run, cover float64) {
	weight := func(i int) float64 {
		if len(q.Weights) == len(q.Terms) {
			return q.Weights[i]
		}
		return 1
	}
	total, best := 0.0, 0.0
	seen := make([]bool, len(q.Terms))
	for i := range q.Terms {
		total += weight(i)
	}
	for i := range q.Terms {
		for j := range doc {
			n, mass := 0, 0.0
			for i+n < len(q.Terms) && j+n < len(doc) && q.Terms[i+n] == doc[j+n] {
				seen[i+n] = true
				mass += weight(i + n)
				n++
			}
			if n >= 2 {
				best = max(best, mass)
			}
		}
	}
	found := 0.0
	for i, ok := range seen {
		if ok {
			found += weight(i)
		}
	}
	if total == 0 {
		return 0, 0
	}
	return best / total, found / total
}

func TestBestRunMatchesReference(t *testing.T) {
	// Short and long syllables (bestRun packs up to 8 bytes in a word),
	// one of exactly 8 bytes, prefixes of one another, and bytes past ASCII.
	vocab := []string{"dang", "ky", "khai", "sinh", "xa", "cap", "giay", "to",
		"nghieng", "abcdefgh", "abcdefghij", "abcdefghik", "k", "\u00fc", "gi\u00fcay"}
	small := len(vocab)
	r := rand.New(rand.NewPCG(1, 2))
	// And enough others that query terms share slots of the lookup table
	// and a syllable that is none lands on a term's slot.
	for range 200 {
		w := make([]byte, 1+r.IntN(10))
		for i := range w {
			w[i] = 'a' + byte(r.IntN(26))
		}
		vocab = append(vocab, string(w))
	}
	words := func(n int) []string {
		w := make([]string, n)
		for i := range w {
			if r.IntN(3) > 0 {
				w[i] = vocab[r.IntN(small)] // runs are likely
			} else {
				w[i] = vocab[r.IntN(len(vocab))]
			}
		}
		return w
	}
	nonzero := 0
	for trial := range 5000 {
		q := Query{Terms: words(1 + r.IntN(40))} // past the 32 kept inline
		if trial%2 == 0 {
			q.Weights = make([]float64, len(q.Terms))
			for i := range q.Weights {
				q.Weights[i] = r.Float64() * 3
			}
		}
		doc := words(r.IntN(60))
		if trial%7 == 0 && len(doc) > 0 {
			doc[r.IntN(len(doc))] = "" // two spaces in a row: no syllable between
		}
		wantRun, wantCover := bestRunSlices(q, doc)
		gotRun, gotCover := bestRun(q, strings.Join(doc, " "))
		if d := gotRun - wantRun; d > 1e-9 || d < -1e-9 {
			t.Fatalf("run of %q in %q: %v, want %v", q.Terms, doc, gotRun, wantRun)
		}
		if d := gotCover - wantCover; d > 1e-9 || d < -1e-9 {
			t.Fatalf("cover of %q in %q: %v, want %v", q.Terms, doc, gotCover, wantCover)
		}
		if wantRun > 0 {
			nonzero++
		}
	}
	if nonzero < 1000 {
		t.Fatalf("only %d of 5000 trials had a run: the test does not exercise runs", nonzero)
	}
	if run, cover := bestRun(Query{Terms: []string{"khai", "sinh"}}, ""); run != 0 || cover != 0 {
		t.Fatalf("empty chunk: run %v cover %v", run, cover)
	}
	if run, _ := bestRun(Query{Terms: []string{"khai", "sinh"}}, "dang ky khai sinh"); run != 1 {
		t.Fatalf("whole query found in order: run %v, want 1", run)
	}
}

// titleCoverage folds syllable by syllable into a buffer; it must count
// what folding the whole title at once counts.
func TestTitleCoverageMatchesFoldedSyllables(t *testing.T) {
	q := Query{Terms: FoldedSyllables("đăng ký khai sinh cho con nuôi tại UBND xã")}
	qset := map[string]bool{}
	for _, term := range q.Terms {
		qset[term] = true
	}
	for _, title := range []string{
		"Đăng ký khai sinh", "ĐĂNG KÝ KHAI SINH CHO TRẺ", "Điều 16. Thủ tục đăng ký khai sinh",
		"Thủ tục › Trình tự › Đăng ký nuôi con nuôi", "Ủy ban nhân dân xã", "\u0110a\u0306ng ky\u0301 (NFD)",
		"", "  ", "123/2015/NĐ-CP", strings.Repeat("khaisinhkhaisinh", 8) + " sinh",
		// Separators that are not, or only just, " › ".
		"Khai sinh›con nuôi", "Khai sinh ›con nuôi", "Khai sinh› con nuôi", " › khai sinh", "khai sinh › ", " › ", "›",
		"a › b ›c", "a › b› c", "xã ›› khai › sinh", "\xba khai sinh", "khai sinh \xe2\x80\xba",
	} {
		h := &Hit{Anchor: "a", Heading: title, Title: "Tiêu đề"}
		marks := newMarkSet(qset)
		got := titleCoverage(&marks, h)
		// The reference: the same title choice, folded all at once.
		ref := h.Heading
		if i := strings.LastIndex(ref, " › "); i >= 0 {
			ref = ref[i+len(" › "):]
		}
		if ref == "" {
			ref = h.Title
		}
		if strings.HasPrefix(ref, "Điều ") {
			if i := strings.Index(ref, ". "); i > 0 {
				ref = ref[i+2:]
			}
		}
		terms := FoldedSyllables(ref)
		want := 0.0
		if len(terms) > 0 {
			n := 0
			for _, term := range terms {
				if qset[term] {
					n++
				}
			}
			want = float64(n) / float64(len(terms))
		}
		if got != want {
			t.Errorf("titleCoverage(%q) = %v, want %v", title, got, want)
		}
	}
}

func TestSplitNames(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [][]string
	}{
		{"", nil},
		{" \n ", nil},
		{"dang ky khai sinh", [][]string{{"dang", "ky", "khai", "sinh"}}},
		{"dang ky\n\nkhai  sinh \nx", [][]string{{"dang", "ky"}, {"khai", "sinh"}, {"x"}}},
	} {
		got := splitNames(tc.in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitNames(%q) = %q, want %q", tc.in, got, tc.want)
		}
		// A name's syllables end where the next name's begin: appending to
		// one must not overwrite another.
		if len(got) > 1 {
			_ = append(got[0], "them")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("splitNames(%q): appending to the first name changed the others: %q", tc.in, got)
			}
		}
	}
}

// TestCollapseSpaceMatchesFields: the one-pass collapse gives what joining
// strings.Fields gives, on text mixing Vietnamese, ASCII and Unicode white
// space, line breaks and invalid bytes, and allocates nothing for text
// already collapsed.
func TestCollapseSpaceMatchesFields(t *testing.T) {
	parts := []string{"Đăng", "ký", "a", " ", "  ", "\n", "\t", "\u00a0", "\u2003", "\u3000", "\u0085", "\u1680",
		"\u2028", "\u202f", "\xc2", "\xe2\x80", "\xff", "ư", "…", "<b>"}
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		s := joinRandom(r, parts, r.IntN(12))
		if got, want := collapseSpace(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("collapseSpace(%q) = %q, want %q", s, got, want)
		}
	}
	// Every rune beyond ASCII, and each followed by a cut-off byte: spaceLen
	// finds exactly the runes unicode.IsSpace calls space.
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		want := 0
		if unicode.IsSpace(r) {
			want = len(s)
		}
		if got := spaceLen(s); got != want {
			t.Fatalf("spaceLen(%U) = %d, want %d", r, got, want)
		}
		if got := spaceLen(s[:len(s)-1] + "x"); len(s) > 1 && got != 0 {
			t.Fatalf("spaceLen(%q) = %d, want 0", s[:len(s)-1]+"x", got)
		}
	}
	clean := "Đăng ký khai sinh tại xã"
	if n := testing.AllocsPerRun(100, func() { collapseSpace(clean) }); n != 0 {
		t.Errorf("collapseSpace of collapsed text: %v allocations, want 0", n)
	}
}

// TestLastSectionMatchesLastIndex: lastSection cuts where strings.LastIndex
// finds the last " › ", on headings built from pieces of the separator.
func TestLastSectionMatchesLastIndex(t *testing.T) {
	pieces := []string{" › ", "›", " ", "\xe2", "\x80", "\xba", "khai", "sinh", "Điều 1."}
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		h := joinRandom(r, pieces, r.IntN(8))
		want := h
		if i := strings.LastIndex(h, " › "); i >= 0 {
			want = h[i+len(" › "):]
		}
		if got := lastSection(h); got != want {
			t.Fatalf("lastSection(%q) = %q, want %q", h, got, want)
		}
	}
}

// joinRandom joins n pieces drawn at random.
func joinRandom(r *rand.Rand, pieces []string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}
