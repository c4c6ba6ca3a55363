package handbook

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Extractive answers quote the best passages, trimmed to the sentences that
// contain the question's topic words. They need no model, so they are the
// default without an LLM and the fallback whenever the LLM fails.

// extractLimits bound an extractive answer: passages, and sentences quoted
// from each. The short form stays within the 3–6 sentences an operator reads.
var extractLimits = map[AnswerForm]struct{ passages, sentences int }{
	FormShort: {passages: 2, sentences: 2},
	FormFull:  {passages: 4, sentences: 4},
}

// extractiveAnswer builds the answer and its citations from hits (already
// filtered by allowedHits, best first). The short form stays within
// shortMaxSentences, labels included: a later passage is trimmed to what
// fits, or left out. When the short answer has fewer than
// shortMinSentences, the passages may give more of their sentences on the
// topic (never sentences off it).
func extractiveAnswer(lib *Library, an *Analyzer, q Query, hits []Hit, form AnswerForm) (string, []Citation) {
	text, cits, n := extractPassages(lib, an, q, hits, form, 0)
	if form == FormShort && n > 0 && n < shortMinSentences {
		if t2, c2, n2 := extractPassages(lib, an, q, hits, form, shortMinSentences-n); n2 > n {
			return t2, c2
		}
	}
	return text, cits
}

// extractPassages writes the passages, each quoting up to its form's limit
// plus extra sentences, and returns the text, its citations and how many
// sentences it reads as.
func extractPassages(lib *Library, an *Analyzer, q Query, hits []Hit, form AnswerForm, extra int) (string, []Citation, int) {
	lim := extractLimits[form]
	topic := topicTerms(q, an)
	var lines []string
	var cits []Citation
	if len(hits) == 0 {
		return "", nil, 0
	}
	used := 0
	seen := map[string]bool{}
	best := Coverage(q, &hits[0])
	for i := range hits {
		if len(cits) == lim.passages {
			break
		}
		h := &hits[i]
		// Later passages must be nearly as relevant as the best one.
		if i > 0 && Coverage(q, h) < max(AnswerableCoverage, 0.8*best) {
			continue
		}
		d, ok := lib.Doc(h.DocID)
		if !ok {
			continue
		}
		text := h.Text
		if h.Kind == KindProcedure && h.Anchor == "" {
			text = cardFactLines(text)
		}
		n := len(cits) + 1
		// passage quotes up to k sentences of the hit.
		passage := func(k int) (string, Citation, bool) {
			parts := pickSentences(text, topic, k)
			if h.Kind == KindFAQ {
				// An FAQ body is itself the short answer to its title
				// (docs/CONTENT.md): quote it from the start.
				parts = faqSentences(h.Text, k+2)
			}
			if len(parts) == 0 {
				return "", Citation{}, false
			}
			cit := NewCitation(d, NarrowAnchor(d, h.Anchor, parts), strings.Join(parts, " … "))
			body := strings.Join(parts, " … ")
			switch {
			case AnchorLabel(cit.Anchor) != "":
				return fmt.Sprintf("Theo %s [%d]: %s", cit.Label, n, body), cit, true
			case form == FormFull:
				return fmt.Sprintf("%s [%d]:\n%s", cit.Label, n, body), cit, true
			}
			return fmt.Sprintf("%s [%d]: %s", cit.Label, n, body), cit, true
		}
		k := lim.sentences + extra
		line, cit, ok := passage(k)
		// The short form trims a passage to the sentences that fit; the
		// first one keeps at least one sentence.
		for ok && form == FormShort && used+sentenceCount(line) > shortMaxSentences && k > 1 {
			k--
			line, cit, ok = passage(k)
		}
		if !ok || form == FormShort && len(cits) > 0 && used+sentenceCount(line) > shortMaxSentences {
			continue
		}
		key := cit.Doc + "#" + cit.Anchor + "\x00" + cit.Quote
		if seen[key] {
			continue // the same passage found twice (split chunks, expansions)
		}
		seen[key] = true
		cits = append(cits, cit)
		lines = append(lines, line)
		used += sentenceCount(line)
	}
	sep := "\n"
	if form == FormFull {
		sep = "\n\n"
	}
	return strings.Join(lines, sep), cits, used
}

// topicTerms weighs the folded words of the question (and of its thesaurus
// expansions) that carry its topic by their idf, so that a rare word ("dpi",
// "chứng sinh") counts for more than a common one ("số", "hồ sơ").
func topicTerms(q Query, an *Analyzer) map[string]float64 {
	t := map[string]float64{}
	for i, w := range q.Terms {
		if stopTerms[w] {
			continue
		}
		if i < len(q.Weights) {
			t[w] = q.Weights[i]
		} else {
			t[w] = an.idf(w)
		}
	}
	for _, e := range q.Expansions {
		for _, w := range FoldedSyllables(e) {
			if _, ok := t[w]; !ok && !stopTerms[w] {
				t[w] = an.idf(w)
			}
		}
	}
	return t
}

// pickSentences returns up to n sentences of text that best cover the topic
// words, in text order; contiguous sentences that end in punctuation are
// joined, others are separate parts (quoted with " … " between them).
// Sentences scoring under half the best are dropped: a lone syllable that
// folds alike ("ký" in "chữ ký" for "đăng ký") is not evidence. When no
// sentence contains any topic word (the match was in the heading), it
// returns the first sentence.
func pickSentences(text string, topic map[string]float64, n int) []string {
	sents := Sentences(text)
	if len(sents) == 0 {
		return nil
	}
	type scored struct {
		i     int
		score float64
	}
	var cand []scored
	best := 0.0
	for i, s := range sents {
		if sc := topicScore(s, topic); sc > 0 {
			cand = append(cand, scored{i, sc})
			best = max(best, sc)
		}
	}
	if len(cand) == 0 {
		return []string{sents[0]}
	}
	cand = slices.DeleteFunc(cand, func(c scored) bool { return 2*c.score < best })
	slices.SortStableFunc(cand, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	cand = cand[:min(n, len(cand))]
	slices.SortFunc(cand, func(a, b scored) int { return a.i - b.i })
	var out []string
	prev := -2
	for _, c := range cand {
		if last := len(out) - 1; c.i == prev+1 && last >= 0 && strings.ContainsAny(out[last][len(out[last])-1:], ".!?…:;") {
			out[last] += " " + sents[c.i]
		} else {
			out = append(out, sents[c.i])
		}
		prev = c.i
	}
	return out
}

// cardMetaLines are the lines of a card chunk (ProcedureCard) that name
// the procedure rather than answer anything about it.
var cardMetaLines = []string{"Thủ tục:", "Tên gọi khác:", "Mã thủ tục:", "Lĩnh vực:"}

// cardFactLines drops the naming lines of a card chunk's text.
func cardFactLines(text string) string {
	lines := strings.Split(text, "\n")
	lines = slices.DeleteFunc(lines, func(l string) bool {
		return slices.ContainsFunc(cardMetaLines, func(p string) bool { return strings.HasPrefix(l, p) })
	})
	return strings.Join(lines, "\n")
}

// faqSentences returns the first n sentences of an FAQ answer as one part.
func faqSentences(text string, n int) []string {
	s := Sentences(text)
	if len(s) == 0 {
		return nil
	}
	return []string{strings.Join(s[:min(n, len(s))], " ")}
}

// topicScore sums the weights of the distinct topic words of s, plus the
// lighter word of each pair of adjacent topic words ("khai sinh").
func topicScore(s string, topic map[string]float64) float64 {
	seen := map[string]bool{}
	score := 0.0
	words := FoldedSyllables(s)
	for i, w := range words {
		wt, ok := topic[w]
		if !ok {
			continue
		}
		if !seen[w] {
			seen[w] = true
			score += wt
		}
		if i > 0 {
			if prev, ok := topic[words[i-1]]; ok {
				score += min(prev, wt)
			}
		}
	}
	return score
}

// Sentences splits plain text into sentences: at line breaks, and after
// '.', '!', '?' or '…' followed by a space and an upper-case letter, a digit
// or an opening quote (so "8.000 đồng" and "TP. Hà Nội"-style abbreviations
// followed by lower case stay whole, and a clause number "1." starts its
// sentence). White space inside a sentence is collapsed; list markers ("- ")
// are dropped.
func Sentences(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		line = strings.TrimPrefix(line, "- ")
		if line == "" {
			continue
		}
		start := 0
		for i, r := range line {
			if r != '.' && r != '!' && r != '?' && r != '…' {
				continue
			}
			j := i + utf8.RuneLen(r)
			if j+1 >= len(line) || line[j] != ' ' {
				continue
			}
			if strings.Trim(line[start:i], "0123456789") == "" {
				continue // a clause number: "1. Người đi đăng ký…"
			}
			next, _ := utf8.DecodeRuneInString(line[j+1:])
			if unicode.IsUpper(next) || unicode.IsDigit(next) || next == '"' || next == '«' || next == '“' {
				if s := strings.TrimSpace(line[start:j]); s != "" {
					out = append(out, s)
				}
				start = j + 1
			}
		}
		if s := strings.TrimSpace(line[start:]); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// NarrowAnchor returns the deepest section under anchor (a clause of an
// article, a point of a clause) whose text contains every one of parts, so
// that a quote from clause 2 of an article is cited as "khoản 2 Điều 5",
// not "Điều 5". It returns anchor when no subsection holds them all.
func NarrowAnchor(d *Document, anchor string, parts []string) string {
	if anchor == "" || len(parts) == 0 {
		return anchor
	}
	keys := make([]string, 0, len(parts))
	for _, p := range parts {
		if k := quoteKey(p); k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return anchor
	}
	secs := d.SectionList()
	for {
		next := ""
		for i := range secs {
			s := &secs[i]
			if s.Parent != anchor || s.Anchor == "" {
				continue
			}
			text := quoteKey(s.Text)
			all := true
			for _, k := range keys {
				all = all && strings.Contains(text, k)
			}
			if all {
				next = s.Anchor
				break
			}
		}
		if next == "" {
			return anchor
		}
		anchor = next
	}
}
