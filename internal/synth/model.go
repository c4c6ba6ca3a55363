// Package synth generates synthetic Vietnamese-like content for benchmarks:
// regulations ("## Điều N. …" articles with clauses and points) and
// procedures (front matter card plus body sections) in the exact format of
// docs/CONTENT.md, at any size, together with a JSONL query set whose right
// answers are known.
//
// The text is not real Vietnamese: it is drawn from syllable bigram chains
// built from the real knowledge base (handbook.Library), so its syllables,
// their frequencies and their common pairs ("đăng ký", "hộ tịch") are those
// of the real content, which is what tokenisation, folding, bigram indexing
// and ranking are sensitive to. It imports handbook only.
package synth

import (
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"sotay/handbook"
)

// Model holds the statistics drawn from a real library: one syllable chain
// for body text and one for titles and headings, the same per theme, and
// the syllable counts.
type Model struct {
	text   chain
	title  chain
	count  map[string]int // lower-case syllable → occurrences in body text
	fields []string       // procedure fields (lĩnh vực) seen in the library
	// Themes make a generated document read like one subject: each real
	// regulation is a theme, and so are the procedures of each field.
	regThemes []*theme
	fieldOf   map[string]*theme // procedure field → theme
}

// theme holds the chains of one real regulation or of one field's
// procedures.
type theme struct {
	name  string
	text  chain
	title chain
}

func newTheme(name string) *theme {
	return &theme{name: name, text: chain{next: map[string][]string{}}, title: chain{next: map[string][]string{}}}
}

// chain is a first-order Markov chain over lower-case syllables. Successor
// lists keep repetitions, so sampling follows the observed frequencies; ""
// marks the end of a sentence.
type chain struct {
	starts []string
	next   map[string][]string
}

// NewModel builds the model from the documents of lib. The library's order
// (kind, then title) makes the model, and so every corpus generated from it
// with a given seed, deterministic.
func NewModel(lib *handbook.Library) *Model {
	m := &Model{
		text:    chain{next: map[string][]string{}},
		title:   chain{next: map[string][]string{}},
		count:   map[string]int{},
		fieldOf: map[string]*theme{},
	}
	for _, d := range lib.All() {
		var th *theme
		switch {
		case d.Kind == handbook.KindRegulation:
			th = newTheme(d.ID)
			m.regThemes = append(m.regThemes, th)
		case d.Field() != "":
			if th = m.fieldOf[d.Field()]; th == nil {
				th = newTheme(d.Field())
				m.fieldOf[d.Field()] = th
				m.fields = append(m.fields, d.Field())
			}
		}
		addTitle := func(w []string) {
			m.title.addSentence(w)
			if th != nil {
				th.title.addSentence(w)
			}
		}
		addText := func(w []string) {
			m.text.addSentence(w)
			if th != nil {
				th.text.addSentence(w)
			}
		}
		if d.Kind != handbook.KindTemplate {
			addTitle(words(d.Title))
			for _, a := range d.Aliases {
				addTitle(words(a))
			}
		}
		for _, s := range d.SectionList() {
			switch s.Kind {
			case handbook.SectionArticle:
				addTitle(words(s.Title))
			case handbook.SectionHeading:
				addTitle(words(s.Heading))
			}
			if s.Kind == handbook.SectionArticle || s.Kind == handbook.SectionHeading || s.Kind == handbook.SectionIntro {
				for _, sent := range sentences(s.Text) {
					w := words(sent)
					addText(w)
					for _, x := range w {
						m.count[x]++
					}
				}
			}
		}
		if d.Summary != "" {
			for _, sent := range sentences(d.Summary) {
				addText(words(sent))
			}
		}
	}
	slices.Sort(m.fields)
	if len(m.fields) == 0 {
		m.fields = []string{"Hộ tịch"}
	}
	return m
}

// Syllables returns the number of distinct syllables in the text chain.
func (m *Model) Syllables() int { return len(m.text.next) }

// sentences splits text at sentence ends and line breaks.
func sentences(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return r == '.' || r == ';' || r == ':' || r == '!' || r == '?' || r == '\n'
	})
}

// words returns the lower-case syllables of s that contain no digit.
func words(s string) []string {
	var out []string
	for _, t := range handbook.Tokenize(handbook.Normalize(s)) {
		// Digits are drawn afresh where needed; a lone ASCII letter is
		// almost always a list marker ("a)", "đ)") or a Roman numeral.
		if strings.IndexFunc(t.Text, unicode.IsDigit) >= 0 || len(t.Text) == 1 {
			continue
		}
		out = append(out, strings.ToLower(t.Text))
	}
	return out
}

func (c *chain) addSentence(w []string) {
	if len(w) == 0 {
		return
	}
	c.starts = append(c.starts, w[0])
	for i, x := range w {
		n := ""
		if i+1 < len(w) {
			n = w[i+1]
		}
		c.next[x] = append(c.next[x], n)
	}
}

// walk draws a sentence of min to max syllables, starting at first (or at a
// random start when first is empty). When the chain ends too early it jumps
// to a new start, as a writer starts a new clause.
func (c *chain) walk(r *rand.Rand, first string, min, max int) []string {
	return walk(r, c, nil, 0, first, min, max)
}

// walk draws from chain a, or at each step with probability pb from chain
// b when b knows the current syllable: a document stays on its theme (b)
// while drawing on the whole vocabulary (a). b may be nil.
func walk(r *rand.Rand, a, b *chain, pb float64, first string, min, max int) []string {
	if len(a.starts) == 0 {
		return nil
	}
	pick := func(c *chain) string { return c.starts[r.IntN(len(c.starts))] }
	start := func() string {
		if b != nil && len(b.starts) > 0 && r.Float64() < pb {
			return pick(b)
		}
		return pick(a)
	}
	cur := first
	if cur == "" || len(a.next[cur]) == 0 {
		cur = start()
	}
	out := []string{cur}
	for len(out) < max {
		succ := a.next[cur]
		if b != nil && len(b.next[cur]) > 0 && r.Float64() < pb {
			succ = b.next[cur]
		}
		n := ""
		if len(succ) > 0 {
			n = succ[r.IntN(len(succ))]
		}
		if n == "" {
			if len(out) >= min {
				break
			}
			n = start()
		}
		out = append(out, n)
		cur = n
	}
	return out
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
