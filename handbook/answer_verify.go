package handbook

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Generated answers are checked before anyone reads them. The model's reply
// is cut into sentences; sentences without a citation marker wait for the
// next one that has one, and the group is verified as a whole:
//
//   - every marker [n] names an excerpt that was in the prompt;
//   - every quoted span («…», “…” or "…") appears in the excerpt named by
//     the markers right after it («…» [2]), or, when no marker follows it,
//     in one of the excerpts the group cites; compared after Normalize,
//     case and white-space folding;
//   - every number (fees, days, article numbers) appears in a cited excerpt
//     or in the question: invented figures are the costliest mistake;
//   - a group without any marker passes only when it claims nothing: a
//     short courtesy remark with no number and no quotation ("Anh/chị cần
//     hỗ trợ thêm cứ gọi lại.") or a short lead-in ("Hồ sơ gồm:");
//   - the whole answer cites at least once.
//
// The first failure replaces the whole answer by the base one (procedure card
// or extractive) with Answer.Fallback saying why. A reply that only says the
// excerpts do not answer (the prompt's rule 5) falls back as llm_declined.
//
// The short form ends after the group that reaches shortMaxSentences: later
// groups are dropped with their citations, and a streaming model is stopped.
//
// Streaming sends each group as soon as it is verified rather than buffering
// the whole reply: an operator hears the first sentence after one sentence of
// generation instead of the whole answer (seconds with a small local model),
// and nothing unverified is ever sent. The cost is that a failure in a later
// group arrives after earlier groups were shown; the stream then sends a meta
// event with Replace set and the fallback answer, and clients discard what
// they showed.

var (
	markerRE    = regexp.MustCompile(`\[\s*(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\s*\]`)
	guillemetRE = regexp.MustCompile(`«([^»]*)»|“([^”]*)”`)
	straightRE  = regexp.MustCompile(`"([^"]*)"`)
	figureRE    = regexp.MustCompile(`\d+(?:[.,]\d+)*`)
)

// maxUncitedWords is the longest group without a marker that passes.
const maxUncitedWords = 20

// maxLeadInWords is the longest lead-in to cited lines ("Hồ sơ gồm:") that
// passes without a marker.
const maxLeadInWords = 8

// courtesyWords are the folded words, besides stopTerms, of the remarks a
// group without a marker may make: greetings, thanks, offers of help
// ("Anh/chị cần hỗ trợ thêm cứ gọi lại."). A word outside them ("xã",
// "công an", "miễn") makes the group a claim, which must cite.
var courtesyWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`da vang xin chao cam on chuc ban quy khach nguoi dan ho tro them cu goi
		lai vui long lien he tra loi sau duoi day thong tin giup hy vong huu ich tham khao san sang luon rat
		thuan loi suc khoe nhat tot lanh ngay nay hom gap kho khan gi them nua nhe a oi roi tiep nhan cau`) {
		m[w] = true
	}
	return m
}()

// isRemark reports whether a group without a marker claims nothing: a
// short lead-in ending with a colon, courtesy words only, or the reply
// that the excerpts do not answer (reported as llm_declined by finish).
func isRemark(bare string) bool {
	t := strings.TrimSpace(bare)
	if strings.HasSuffix(t, ":") && len(strings.Fields(t)) <= maxLeadInWords || strings.Contains(Fold(t), declinedReply) {
		return true
	}
	for _, w := range FoldedSyllables(t) {
		if !stopTerms[w] && !courtesyWords[w] {
			return false
		}
	}
	return true
}

// declinedReply is the folded reply the prompt asks for when the excerpts
// do not answer (prompts/answer.system.tmpl, rule 5).
const declinedReply = "so tay chua co thong tin"

type verifyError struct{ code, detail string }

func (e *verifyError) Error() string { return e.code + ": " + e.detail }

func verifyFail(code, format string, args ...any) error {
	return &verifyError{code: code, detail: fmt.Sprintf(format, args...)}
}

// segment is a verified piece of the answer with its markers renumbered, and
// the citation numbers it uses for the first time.
type segment struct {
	text    string
	newCits []int
}

type verifier struct {
	ex      []Excerpt
	hay     []string          // comparable text of each excerpt
	numbers []map[string]bool // canonical numbers of each excerpt
	qnums   map[string]bool   // numbers of the question
	topic   map[string]float64

	buf     string // text not yet cut into sentences
	pending string // sentences waiting for a marker
	order   []int  // excerpt numbers in citation order
	num     map[int]int
	quotes  map[int]string // first verified quote in each excerpt
}

func newVerifier(ex []Excerpt, question string, topic map[string]float64) *verifier {
	v := &verifier{ex: ex, qnums: numbersOf(question), num: map[int]int{}, quotes: map[int]string{}, topic: topic}
	for _, e := range ex {
		all := e.Label + "\n" + e.Heading + "\n" + e.Text
		v.hay = append(v.hay, quoteKey(all))
		v.numbers = append(v.numbers, numbersOf(all))
	}
	return v
}

// quoteKey folds text for quote matching: NFC, lower case, one space.
func quoteKey(s string) string {
	s = strings.ToLower(Normalize(s))
	s = strings.NewReplacer("“", "\"", "”", "\"", "«", "\"", "»", "\"", "‘", "'", "’", "'").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

func numbersOf(s string) map[string]bool {
	m := map[string]bool{}
	for _, n := range figureRE.FindAllString(s, -1) {
		m[canonicalNumber(n)] = true
	}
	return m
}

// canonicalNumber drops thousands separators and leading zeros: "8.000" and
// "8000" are one number, "03" and "3" too.
func canonicalNumber(n string) string {
	n = strings.NewReplacer(".", "", ",", "").Replace(n)
	n = strings.TrimLeft(n, "0")
	if n == "" {
		return "0"
	}
	return n
}

// feed takes the next piece of the reply and returns the groups it completed.
func (v *verifier) feed(s string) ([]segment, error) {
	v.buf += s
	var out []segment
	for {
		end := sentenceEnd(v.buf, false)
		if end < 0 {
			return out, nil
		}
		sent := v.buf[:end]
		v.buf = v.buf[end:]
		seg, err := v.sentence(sent)
		if err != nil {
			return out, err
		}
		if seg != nil {
			out = append(out, *seg)
		}
	}
}

// finish verifies what is left at the end of the reply.
func (v *verifier) finish() ([]segment, error) {
	var out []segment
	if strings.TrimSpace(v.buf) != "" {
		seg, err := v.sentence(v.buf)
		if err != nil {
			return nil, err
		}
		if seg != nil {
			out = append(out, *seg)
		}
	}
	v.buf = ""
	if strings.TrimSpace(v.pending) != "" {
		seg, err := v.group(v.pending)
		if err != nil {
			return nil, err
		}
		out = append(out, seg)
		v.pending = ""
	}
	if len(v.order) == 0 {
		if len(out) == 0 {
			return nil, verifyFail(FallbackEmpty, "empty reply")
		}
		var all strings.Builder
		for _, s := range out {
			all.WriteString(s.text)
		}
		if strings.Contains(Fold(all.String()), declinedReply) {
			return nil, verifyFail(FallbackDeclined, "model found no answer in the excerpts")
		}
		return nil, verifyFail(FallbackNoCitation, "reply cites no excerpt")
	}
	return out, nil
}

// sentence adds one sentence: with a marker it closes a group; without,
// it waits, unless it ends a paragraph.
func (v *verifier) sentence(s string) (*segment, error) {
	v.pending += s
	if !markerRE.MatchString(s) && !strings.HasSuffix(s, "\n") {
		return nil, nil
	}
	if strings.TrimSpace(v.pending) == "" {
		seg := segment{text: v.pending}
		v.pending = ""
		return &seg, nil
	}
	seg, err := v.group(v.pending)
	v.pending = ""
	if err != nil {
		return nil, err
	}
	return &seg, nil
}

// group verifies a group of sentences and renumbers its markers.
func (v *verifier) group(text string) (segment, error) {
	text = Normalize(strings.ReplaceAll(text, "**", ""))
	var cited []int
	for _, m := range markerRE.FindAllStringSubmatch(text, -1) {
		ns, err := markerNumbers(m[1])
		if err != nil {
			return segment{}, verifyFail(FallbackForeignCitation, "marker %s: %v", m[0], err)
		}
		for _, n := range ns {
			if n < 1 || n > len(v.ex) {
				return segment{}, verifyFail(FallbackForeignCitation, "marker [%d] with %d excerpts", n, len(v.ex))
			}
			cited = append(cited, n)
		}
	}
	// Markers become blanks of their own length, so that offsets in bare
	// are offsets in text.
	bare := markerRE.ReplaceAllStringFunc(text, func(m string) string { return strings.Repeat(" ", len(m)) })
	// An unclosed quotation cannot be checked; straight quotes count only
	// outside «…» and “…”, which may quote text that contains them.
	outer := guillemetRE.ReplaceAllStringFunc(bare, func(m string) string { return strings.Repeat(" ", len(m)) })
	if strings.Count(bare, "«") != strings.Count(bare, "»") || strings.Count(bare, "“") != strings.Count(bare, "”") ||
		strings.Count(outer, "\"")%2 != 0 {
		return segment{}, verifyFail(FallbackInventedQuote, "unbalanced quotation marks")
	}
	quotes := guillemetRE.FindAllStringSubmatchIndex(bare, -1)
	quotes = append(quotes, straightRE.FindAllStringSubmatchIndex(outer, -1)...)
	if len(cited) == 0 {
		if len(quotes) > 0 || figureRE.MatchString(bare) || len(strings.Fields(bare)) > maxUncitedWords || !isRemark(bare) {
			return segment{}, verifyFail(FallbackUncitedClaim, "claim without marker (%d words)", len(strings.Fields(bare)))
		}
		return segment{text: text}, nil
	}
	for _, q := range quotes {
		var quote string
		for i := 2; i+1 < len(q); i += 2 {
			if q[i] >= 0 {
				quote += bare[q[i]:q[i+1]]
			}
		}
		// A quote belongs to the markers right after it («…» [2]); with
		// none after it in the group ("Điều 16 [2] quy định «…»"), to any
		// marker of the group.
		owners := markersAfter(text, q[1])
		if len(owners) == 0 {
			owners = cited
		}
		n, ok := v.findQuote(quote, owners)
		if !ok {
			return segment{}, verifyFail(FallbackInventedQuote, "quote of %d runes not in excerpts %v", utf8.RuneCountInString(quote), owners)
		}
		if n > 0 && v.quotes[n] == "" {
			v.quotes[n] = strings.TrimSpace(quote)
		}
	}
	for _, num := range figureRE.FindAllString(bare, -1) {
		c := canonicalNumber(num)
		ok := v.qnums[c]
		for _, n := range cited {
			ok = ok || v.numbers[n-1][c]
		}
		if !ok {
			return segment{}, verifyFail(FallbackUnsupportedNumber, "number %q not in excerpts %v", num, cited)
		}
	}
	var fresh []int
	for _, n := range cited {
		if _, ok := v.num[n]; !ok {
			v.order = append(v.order, n)
			v.num[n] = len(v.order)
			fresh = append(fresh, len(v.order))
		}
	}
	out := markerRE.ReplaceAllStringFunc(text, func(m string) string {
		ns, _ := markerNumbers(markerRE.FindStringSubmatch(m)[1])
		var b strings.Builder
		for _, n := range ns {
			fmt.Fprintf(&b, "[%d]", v.num[n])
		}
		return b.String()
	})
	return segment{text: out, newCits: fresh}, nil
}

// markersAfter returns the excerpt numbers of the run of markers that
// follows offset i of text, with only spaces and punctuation before and
// between them ("» [1][2].", "», [3]"); nil when words come first.
func markersAfter(text string, i int) []int {
	var out []int
	rest := text[i:]
	for {
		rest = strings.TrimLeftFunc(rest, func(r rune) bool {
			return unicode.IsSpace(r) || r == ',' || r == '.' || r == ';' || r == ':' || r == ')'
		})
		loc := markerRE.FindStringSubmatchIndex(rest)
		if loc == nil || loc[0] != 0 {
			return out
		}
		ns, _ := markerNumbers(rest[loc[2]:loc[3]])
		out = append(out, ns...)
		rest = rest[loc[1]:]
	}
}

// findQuote reports whether quote (split at ellipses) appears in one of the
// cited excerpts, and which.
func (v *verifier) findQuote(quote string, cited []int) (int, bool) {
	var parts []string
	for _, p := range strings.FieldsFunc(strings.ReplaceAll(quote, "...", "…"), func(r rune) bool { return r == '…' }) {
		p = quoteKey(p)
		p = strings.TrimFunc(p, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return 0, true
	}
	for _, n := range cited {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(v.hay[n-1], p)
		}
		if all {
			return n, true
		}
	}
	return 0, false
}

// markerNumbers expands "1, 2", "1;3" and "2-4" into excerpt numbers.
func markerNumbers(s string) ([]int, error) {
	var out []int
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(strings.ReplaceAll(part, "–", "-"), "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				return nil, err
			}
		}
		if b < a || b-a > 20 {
			return nil, fmt.Errorf("bad range %q", part)
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
	}
	return out, nil
}

// citations returns the citations of the verified answer in marker order.
func (v *verifier) citations(lib *Library) []Citation {
	out := make([]Citation, 0, len(v.order))
	for _, n := range v.order {
		out = append(out, v.citation(lib, n))
	}
	return out
}

// citation is excerpt n as a citation: quoting what the answer quoted from
// it, or else its sentences on the question's topic.
func (v *verifier) citation(lib *Library, n int) Citation {
	e := v.ex[n-1]
	quote := v.quotes[n]
	if quote == "" {
		quote = strings.Join(pickSentences(e.Text, v.topic, 2), " … ")
	}
	c := Citation{Doc: e.Doc, Anchor: e.Anchor, Label: e.Label, Quote: quote, URL: DocURL(e.Doc, e.Anchor)}
	if d, ok := lib.Doc(e.Doc); ok {
		c.Anchor = NarrowAnchor(d, e.Anchor, strings.Split(quote, " … "))
		c.Label, c.URL = citationLabel(d, c.Anchor), DocURL(d.ID, c.Anchor)
	}
	return c
}

// sentenceEnd returns the length of the first complete sentence of s, or -1
// when more text is needed. A sentence ends at a line break, or after a
// terminator followed by white space, closing quotes and markers, once the
// next sentence has begun ("… 8.000 đồng. [1] Hồ sơ…"). Terminators inside
// quotations do not end sentences. With final set, the rest of s is a
// sentence.
func sentenceEnd(s string, final bool) int {
	inGuillemet, inCurly, inStraight := false, false, false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n':
			// A quotation may run over lines; it must be verified whole.
			if !inGuillemet && !inCurly {
				return i + size
			}
			inStraight = false
		case '«':
			inGuillemet = true
		case '»':
			inGuillemet = false
		case '“':
			inCurly = true
		case '”':
			inCurly = false
		case '"':
			inStraight = !inStraight
		case '.', '!', '?', '…':
			if inGuillemet || inCurly || inStraight {
				break
			}
			j := i + size
			if j == len(s) {
				if final {
					return len(s)
				}
				return -1
			}
			if c := s[j]; c != ' ' && c != '\t' && c != '[' && c != '\n' {
				break // "8.000", "v.v."
			}
			k, complete := skipTail(s, j)
			if !complete {
				if final {
					return len(s)
				}
				return -1
			}
			if k < len(s) && s[k] == '\n' {
				return k + 1
			}
			return k
		}
		i += size
	}
	if final && s != "" {
		return len(s)
	}
	return -1
}

// skipTail skips spaces and citation markers after a terminator. It reports
// false when s ends before the next sentence begins.
func skipTail(s string, j int) (int, bool) {
	for j < len(s) {
		switch c := s[j]; {
		case c == ' ' || c == '\t':
			j++
		case c == '[':
			loc := markerRE.FindStringIndex(s[j:])
			if loc == nil || loc[0] != 0 {
				if strings.IndexByte(s[j:], ']') < 0 && len(s)-j < 16 {
					return j, false // a marker still arriving
				}
				return j, true
			}
			j += loc[1]
		default:
			return j, true
		}
	}
	return j, false
}

// excerpts are the chunks the model sees: the retrieved hits (already
// re-checked by allowedHits) or, for a follow-up on a procedure, the
// procedure's own chunks.
func (a *Assistant) excerpts(p *plan) []Excerpt {
	var out []Excerpt
	add := func(d *Document, anchor, heading, text string) {
		out = append(out, Excerpt{N: len(out) + 1, Doc: d.ID, Anchor: anchor, Label: citationLabel(d, anchor), Heading: heading, Text: text})
	}
	if p.followUp && p.focus != nil {
		for _, c := range Chunks(p.focus) {
			if len(out) == a.topK() {
				break
			}
			if _, ok := allowedDoc(p.lib, p.filter, c.DocID, c.Anchor); ok {
				add(p.focus, c.Anchor, c.Heading, c.Text)
			}
		}
		return out
	}
	for _, h := range p.hits {
		if len(out) == a.topK() {
			break
		}
		d, ok := allowedDoc(p.lib, p.filter, h.DocID, h.Anchor)
		if !ok || h.Audience == AudienceInternal && p.filter.Audience != AudienceInternal {
			continue
		}
		add(d, h.Anchor, h.Heading, h.Text)
	}
	return out
}

// emitError marks an error returned by the caller's emit function, so that
// it is not mistaken for an LLM failure.
type emitError struct{ err error }

func (e *emitError) Error() string { return "emit: " + e.err.Error() }
func (e *emitError) Unwrap() error { return e.err }

// generate asks the LLM, verifies the reply and returns the LLM answer, or
// base with the reason of the fallback.
func (a *Assistant) generate(ctx context.Context, p *plan, base *Answer, emit func(Event) error) (*Answer, error) {
	ex := a.excerpts(p)
	in := AnswerInput{Question: p.question, Form: p.req.Form, Today: p.at.Vietnamese(), Excerpts: ex}
	if p.focus != nil {
		in.Topic = p.focus.Title
	}
	if h := p.req.Conversation.History; len(h) > 0 {
		in.Previous = h[len(h)-1]
	}
	ans := &Answer{
		ModeUsed: ModeLLM, Answerable: true, Form: p.req.Form, Procedure: base.Procedure, Aspect: base.Aspect,
		Focus: base.Focus, PromptVersion: a.PromptVersion, ConversationID: base.ConversationID,
		Retrieval: base.Retrieval,
	}
	if base.Procedure != nil {
		ans.Notice = base.Notice // the procedure page is a draft
	}
	fallback := func(code, detail string) (*Answer, error) {
		fb := *base
		fb.Fallback, fb.FallbackDetail, fb.PromptVersion = code, detail, a.PromptVersion
		fb.Notice = strings.TrimSpace(fallbackNotice(code) + " " + fb.Notice)
		if err := a.emitWhole(emit, &fb, emit != nil); err != nil {
			return nil, err
		}
		return &fb, nil
	}
	if len(ex) == 0 {
		return fallback(FallbackNoExcerpts, "no excerpt passed the filter")
	}
	if a.Prompt == nil {
		return fallback(FallbackPrompt, "no prompt configured")
	}
	msgs, err := a.Prompt(in)
	if err != nil {
		return fallback(FallbackPrompt, err.Error())
	}
	if emit != nil {
		if err := emit(Event{Type: EventMeta, Answer: metaOf(ans)}); err != nil {
			return nil, err
		}
	}
	v := newVerifier(ex, p.question, topicTerms(p.query, a.analyzer()))
	var text strings.Builder
	// The short form is read to a caller: once it has shortMaxSentences,
	// the rest of the reply is dropped and the model stopped. A group that
	// would go over is dropped whole; groups are kept until one cites.
	sentences, kept := 0, 0
	send := func(segs []segment) error {
		for _, s := range segs {
			n := sentenceCount(s.text)
			if p.req.Form == FormShort && kept > 0 && sentences+n > shortMaxSentences {
				return errShortFormFull
			}
			sentences += n
			if len(s.newCits) > 0 {
				kept = s.newCits[len(s.newCits)-1]
			}
			text.WriteString(s.text)
			if emit == nil {
				continue
			}
			for _, n := range s.newCits {
				c := v.citation(p.lib, v.order[n-1])
				if err := emit(Event{Type: EventCitation, N: n, Citation: &c}); err != nil {
					return &emitError{err}
				}
			}
			if err := emit(Event{Type: EventDelta, Text: s.text}); err != nil {
				return &emitError{err}
			}
		}
		return nil
	}
	if sl, ok := a.LLM.(StreamingLLM); ok && emit != nil {
		_, err = sl.Stream(ctx, msgs, func(delta string) error {
			segs, verr := v.feed(delta)
			if err := send(segs); err != nil {
				return err
			}
			return verr
		})
		if err == nil {
			var rest []segment
			if rest, err = v.finish(); err == nil {
				err = send(rest)
			}
		}
	} else {
		// The whole reply at once, verified group by group as a stream
		// is, so that both give the same answer.
		var reply string
		if reply, err = a.LLM.Complete(ctx, msgs); err == nil {
			segs, verr := v.feed(reply)
			if err = send(segs); err == nil {
				if err = verr; err == nil {
					var rest []segment
					if rest, err = v.finish(); err == nil {
						err = send(rest)
					}
				}
			}
		}
	}
	if errors.Is(err, errShortFormFull) {
		err = nil
	}
	if err != nil {
		if e, ok := errors.AsType[*emitError](err); ok {
			return nil, e.err
		}
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, ctx.Err()
		}
		code, detail := classifyLLMError(err)
		return fallback(code, detail)
	}
	ans.Text = strings.TrimSpace(text.String())
	// Markers are numbered in order of first use, so the groups kept use
	// citations 1…kept.
	ans.Citations = v.citations(p.lib)[:kept]
	skip := ""
	if ans.Procedure != nil && ans.Notice != "" {
		skip = ans.Procedure.Doc
	}
	ans.Notice = strings.TrimSpace(ans.Notice + " " + draftNotice(p.lib, ans.Citations, skip))
	return ans, nil
}

// errShortFormFull stops the model once a short answer is long enough.
var errShortFormFull = errors.New("short form complete")

// classifyLLMError turns an LLM or verification failure into a fallback code.
func classifyLLMError(err error) (string, string) {
	if ve, ok := errors.AsType[*verifyError](err); ok {
		return ve.code, ve.detail
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return FallbackTimeout, err.Error()
	case errors.Is(err, ErrUnavailable):
		return FallbackUnavailable, err.Error()
	}
	return FallbackError, err.Error()
}

// fallbackNotice tells the reader, in Vietnamese, why the answer quotes the
// texts instead of being written by the assistant.
func fallbackNotice(code string) string {
	switch code {
	case FallbackNotConfigured:
		return "Hệ thống chưa cấu hình trợ lý AI; câu trả lời dưới đây lấy trực tiếp từ văn bản trong Sổ tay."
	case FallbackTimeout, FallbackUnavailable, FallbackError, FallbackPrompt, FallbackNoExcerpts:
		return "Trợ lý AI chưa trả lời được lúc này; câu trả lời dưới đây lấy trực tiếp từ văn bản trong Sổ tay."
	case FallbackDeclined:
		return "Trợ lý AI không tìm thấy câu trả lời trong các đoạn văn bản gần nhất; dưới đây là trích dẫn trực tiếp các đoạn đó, vui lòng đọc kỹ trước khi trả lời người dân."
	}
	return "Câu trả lời do AI soạn không kiểm chứng được nguồn nên đã được thay bằng trích dẫn trực tiếp từ văn bản."
}
