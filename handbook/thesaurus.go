package handbook

import (
	"slices"
	"strings"
)

// Thesaurus holds synonym groups (every member expands to the others) and
// one-way expansions (key → extra phrases), e.g. "sổ đỏ" → "giấy chứng nhận
// quyền sử dụng đất", "CCCD" ↔ "căn cước công dân". Matching is on folded
// syllables, so "so do" finds the "sổ đỏ" entry; when both the query and the
// entry carry diacritics they must agree exactly (so "số đo" does not).
type Thesaurus struct {
	entries []thesaurusEntry
	maxLen  int
	// byFirst lists the entries by their first folded syllable: Expand
	// looks up each of the query's syllables there instead of trying every
	// entry at every position (5% of a loaded server's CPU).
	byFirst map[string][]int32
}

type thesaurusEntry struct {
	exact  []string // lower-case syllables with diacritics
	folded []string
	marked bool // the key has diacritics
	expand []string
}

// Add registers a one-way expansion from key to phrases.
func (t *Thesaurus) Add(key string, phrases ...string) {
	key = NormalizeLine(key)
	toks := Tokenize(key)
	if len(toks) == 0 {
		return
	}
	e := thesaurusEntry{marked: HasDiacritics(key)}
	for _, tok := range toks {
		e.exact = append(e.exact, strings.ToLower(tok.Text))
		e.folded = append(e.folded, Fold(tok.Text))
	}
	for _, p := range phrases {
		if p = NormalizeLine(p); p != "" && Fold(p) != Fold(key) {
			e.expand = append(e.expand, p)
		}
	}
	if len(e.expand) == 0 {
		return
	}
	if t.byFirst == nil {
		t.byFirst = map[string][]int32{}
	}
	t.byFirst[e.folded[0]] = append(t.byFirst[e.folded[0]], int32(len(t.entries)))
	t.entries = append(t.entries, e)
	t.maxLen = max(t.maxLen, len(e.folded))
}

// AddGroup registers a synonym group: each member expands to all others.
func (t *Thesaurus) AddGroup(members ...string) {
	for i, m := range members {
		others := slices.Concat(members[:i:i], members[i+1:])
		t.Add(m, others...)
	}
}

// Len returns the number of entries (one per key).
func (t *Thesaurus) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// Expand returns the phrases that the query's syllables call for, each once,
// in entry order. exact holds the lower-cased syllables with diacritics (as
// typed) and folded the folded ones, position by position.
func (t *Thesaurus) Expand(exact, folded []string) []string {
	if t == nil {
		return nil
	}
	var hit []int32
	for i, f := range folded {
		for _, ei := range t.byFirst[f] {
			if t.entries[ei].matchesAt(exact, folded, i) {
				hit = append(hit, ei)
			}
		}
	}
	slices.Sort(hit)
	var out []string
	seen := map[string]bool{}
	for _, ei := range slices.Compact(hit) {
		for _, p := range t.entries[ei].expand {
			if k := Fold(p); !seen[k] {
				seen[k] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// matchesAt reports whether the entry's syllables start at position i of
// the query.
func (e *thesaurusEntry) matchesAt(exact, folded []string, i int) bool {
	n := len(e.folded)
	if i+n > len(folded) || !slices.Equal(folded[i:i+n], e.folded) {
		return false
	}
	return !e.marked || !HasDiacritics(strings.Join(exact[i:i+n], "")) || slices.Equal(exact[i:i+n], e.exact)
}
