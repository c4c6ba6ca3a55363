package handbook

import (
	"math"
	"strings"
	"unicode"
)

// MaxQueryLength is the longest query, in runes, that search accepts.
const MaxQueryLength = 500

// Query is a user's question after analysis: normalised, split into
// syllables, Telex/VNI leftovers repaired, thesaurus expansions added.
type Query struct {
	Raw        string   // normalised input, one line
	Exact      []string // lower-case syllables with diacritics as typed
	Terms      []string // folded syllables (repaired), the main match path
	Expansions []string // thesaurus phrases to search for as well
	Repaired   bool     // some syllable was repaired (typo or Telex leftover)
	// Docs are regulations the question names by number ("nđ 01/2021");
	// Article is an article it names ("điều 16" → "dieu-16").
	Docs    []string
	Article string
	// Weights holds each term's idf (1 when no statistics are loaded).
	Weights []float64
	// Common holds the folded syllables of the query and its expansions
	// that the analyzer found common (Analyzer.CommonShare). Keyword
	// indexes leave them out of single-syllable matching (they stay in
	// bigrams and in the rerank): their postings cover most of the corpus,
	// cost most of the matching time and add almost no score.
	Common map[string]bool

	expTerms [][]string
}

// expansionTerms returns the folded syllables of each expansion.
func (q Query) expansionTerms() [][]string {
	if q.expTerms == nil {
		for _, e := range q.Expansions {
			q.expTerms = append(q.expTerms, FoldedSyllables(e))
		}
	}
	return q.expTerms
}

// Folded returns the folded terms joined by spaces.
func (q Query) Folded() string { return strings.Join(q.Terms, " ") }

// Analyzer turns raw user input into a Query. Vocab (folded syllables present
// in the indexed content) lets it repair Telex leftovers such as "sinhf" only
// when the repaired syllable exists and the typed one does not.
type Analyzer struct {
	Thesaurus *Thesaurus
	Vocab     map[string]struct{}
	// Numbers maps number keys to regulation ids (Library.NumberIndex).
	Numbers map[string][]string
	// DF and N are chunk frequencies of folded syllables (Library.TermStats).
	DF map[string]int
	N  int
	// A syllable in more than CommonShare of the chunks and in more than
	// CommonMinDF chunks is common (Query.Common); CommonShare 0 turns that
	// off. The floor keeps small knowledge bases, where every posting list
	// is short and cheap, ranked exactly as without pruning.
	CommonShare float64
	CommonMinDF int
}

// Defaults of Analyzer.CommonShare and CommonMinDF (docs/BENCHMARKS.md): at
// 10k synthetic chunks a search takes a third of the time and Recall@1
// rises from 0.570 to 0.584; at 100k a search takes 32 ms instead of 226 ms
// and Recall@1 rises from 0.275 to 0.355 (0.445 with the deeper rerank of
// DefaultCandidates; 2% beat 3% and 5% there); on the gold and held-out
// sets, under the floor, nothing changes.
const (
	DefaultCommonShare = 0.02
	DefaultCommonMinDF = 1000
)

// NewAnalyzer builds the analyzer for a library: its thesaurus, vocabulary,
// document numbers and term statistics.
func NewAnalyzer(l *Library) *Analyzer {
	df, n := l.TermStats()
	return &Analyzer{Thesaurus: l.Thesaurus, Vocab: l.Vocabulary(), Numbers: l.NumberIndex(), DF: df, N: n,
		CommonShare: DefaultCommonShare, CommonMinDF: DefaultCommonMinDF}
}

// Analyze analyses q. It returns an Invalid error for an empty or over-long query.
func (a *Analyzer) Analyze(q string) (Query, error) {
	raw := NormalizeLine(q)
	if raw == "" {
		return Query{}, Errorf(Invalid, "Vui lòng nhập nội dung cần tìm.", "empty query")
	}
	if n := len([]rune(raw)); n > MaxQueryLength {
		return Query{}, Errorf(Invalid, "Câu hỏi quá dài (tối đa 500 ký tự).", "query of %d runes", n)
	}
	out := Query{Raw: raw}
	for _, tok := range Tokenize(raw) {
		lower := strings.ToLower(tok.Text)
		folded := Fold(lower)
		if fixed, ok := a.repair(lower, folded); ok {
			folded = fixed
			out.Repaired = true
		}
		out.Exact = append(out.Exact, lower)
		out.Terms = append(out.Terms, folded)
	}
	if len(out.Terms) == 0 {
		return Query{}, Errorf(Invalid, "Vui lòng nhập từ khóa có chữ hoặc số.", "query without word characters")
	}
	out.Expansions = a.Thesaurus.Expand(out.Exact, out.Terms)
	for _, e := range out.Expansions {
		out.expTerms = append(out.expTerms, FoldedSyllables(e))
	}
	out.Weights = make([]float64, len(out.Terms))
	for i, t := range out.Terms {
		out.Weights[i] = a.idf(t)
		a.markCommon(&out, t)
	}
	for _, e := range out.expTerms {
		for _, t := range e {
			a.markCommon(&out, t)
		}
	}
	keys, article := legalRefs(raw)
	out.Article = article
	seen := map[string]bool{}
	for _, k := range keys {
		for _, id := range a.Numbers[k] {
			if !seen[id] {
				seen[id] = true
				out.Docs = append(out.Docs, id)
			}
		}
	}
	return out, nil
}

func (a *Analyzer) markCommon(q *Query, t string) {
	df := a.DF[t]
	if a.N == 0 || a.CommonShare <= 0 || float64(df) <= a.CommonShare*float64(a.N) || df <= a.CommonMinDF {
		return
	}
	if q.Common == nil {
		q.Common = map[string]bool{}
	}
	q.Common[t] = true
}

// idf is log(1 + N/df); unknown syllables get the highest weight, and
// without statistics every syllable weighs 1.
func (a *Analyzer) idf(t string) float64 {
	if a.N == 0 {
		return 1
	}
	df := max(a.DF[t], 1)
	return math.Log(1 + float64(a.N)/float64(df))
}

func (a *Analyzer) known(folded string) bool {
	_, ok := a.Vocab[folded]
	return ok
}

// repair maps a syllable typed with Telex or VNI leftovers to a folded
// syllable of the vocabulary: "sinhf" → "sinh", "dduwowngf" → "duong",
// "khai1" → "khai". It changes nothing that is already known or that has
// diacritics, and nothing when no vocabulary is loaded.
func (a *Analyzer) repair(lower, folded string) (string, bool) {
	if len(a.Vocab) == 0 || a.known(folded) || HasDiacritics(lower) {
		return "", false
	}
	for _, c := range telexCandidates(lower) {
		if c != folded && a.known(c) {
			return c, true
		}
	}
	return "", false
}

// telexCandidates returns folded spellings that an ASCII syllable may stand
// for under the Telex or VNI input methods, most likely first.
func telexCandidates(s string) []string {
	var out []string
	add := func(c string) {
		if c != "" {
			out = append(out, c)
		}
	}
	// VNI: tone and vowel-mark digits after letters ("khai1", "d9ang").
	if strings.IndexFunc(s, unicode.IsDigit) > 0 && strings.IndexFunc(s, unicode.IsLetter) == 0 {
		add(strings.Map(func(r rune) rune {
			if r >= '1' && r <= '9' {
				return -1
			}
			return r
		}, s))
	}
	base := telexMarks(s)
	add(base)
	// A tone key (s f r x j) typed after the vowel: drop the last one that
	// follows a vowel.
	for i := len(base) - 1; i > 0; i-- {
		if strings.IndexByte("sfrxj", base[i]) >= 0 && strings.ContainsAny(base[:i], "aeiouy") {
			add(base[:i] + base[i+1:])
			break
		}
	}
	// A trailing 'z' cancels marks in Telex.
	if strings.HasSuffix(base, "z") {
		add(strings.TrimSuffix(base, "z"))
	}
	return out
}

// telexMarks folds Telex vowel and consonant marks: dd→d, aa/aw→a, ee→e,
// oo/ow→o, uw/w→u.
func telexMarks(s string) string {
	r := strings.NewReplacer("dd", "d", "aa", "a", "aw", "a", "ee", "e", "oo", "o", "ow", "o", "uw", "u")
	s = r.Replace(s)
	return strings.ReplaceAll(s, "w", "u")
}
