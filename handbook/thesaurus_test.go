package handbook

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestThesaurusExpandMatchesScan: looking entries up by first syllable
// finds what trying every entry at every position finds, in entry order.
func TestThesaurusExpandMatchesScan(t *testing.T) {
	vocab := []string{"sổ", "so", "đỏ", "do", "hộ", "ho", "khẩu", "khau", "số", "đo"}
	r := rand.New(rand.NewPCG(3, 4))
	phrase := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[r.IntN(len(vocab))]
		}
		return strings.Join(w, " ")
	}
	th := &Thesaurus{}
	for i := range 200 {
		th.Add(phrase(1+r.IntN(3)), fmt.Sprintf("mở rộng %d", i), phrase(2))
	}
	scan := func(exact, folded []string) []string {
		var out []string
		seen := map[string]bool{}
		for _, e := range th.entries {
			ok := false
			for i := range folded {
				ok = ok || e.matchesAt(exact, folded, i)
			}
			if !ok {
				continue
			}
			for _, p := range e.expand {
				if k := Fold(p); !seen[k] {
					seen[k] = true
					out = append(out, p)
				}
			}
		}
		return out
	}
	matched := 0
	for range 500 {
		var exact, folded []string
		for _, tok := range Tokenize(phrase(1 + r.IntN(6))) {
			exact = append(exact, strings.ToLower(tok.Text))
			folded = append(folded, Fold(tok.Text))
		}
		got, want := th.Expand(exact, folded), scan(exact, folded)
		if !slices.Equal(got, want) {
			t.Fatalf("%q: expanded to %q, want %q", exact, got, want)
		}
		if len(want) > 0 {
			matched++
		}
	}
	if matched < 100 {
		t.Fatalf("only %d of 500 questions matched an entry", matched)
	}
}
