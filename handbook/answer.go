package handbook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AskMode is how the caller wants a question answered.
type AskMode string

// Ask modes. Auto answers procedure questions from the card and everything
// else with the LLM when one is configured, extractively otherwise.
// Extractive never calls the LLM. LLM asks for a generated answer even for
// procedure questions (the card is still attached); it falls back like Auto.
const (
	AskAuto       AskMode = "auto"
	AskExtractive AskMode = "extractive"
	AskLLM        AskMode = "llm"
)

// AnswerForm is the length of an answer.
type AnswerForm string

// Answer forms: Short is the "đọc cho người gọi" form a hotline operator
// reads aloud (3–6 sentences); Full gives every fact and passage.
const (
	FormShort AnswerForm = "short"
	FormFull  AnswerForm = "full"
)

// Values of Answer.ModeUsed.
const (
	ModeProcedure  = "procedure"
	ModeExtractive = "extractive"
	ModeLLM        = "llm"
)

// Fallback codes: why an LLM answer was not given (Answer.Fallback). They are
// stable English strings for logs and API clients; users read Answer.Notice.
const (
	FallbackNotConfigured     = "llm_not_configured"
	FallbackTimeout           = "llm_timeout"
	FallbackUnavailable       = "llm_unavailable"
	FallbackError             = "llm_error"
	FallbackPrompt            = "prompt_error"
	FallbackEmpty             = "llm_empty"
	FallbackNoCitation        = "no_citation"
	FallbackForeignCitation   = "foreign_citation"
	FallbackInventedQuote     = "invented_quote"
	FallbackUncitedClaim      = "uncited_claim"
	FallbackUnsupportedNumber = "unsupported_number"
	FallbackNoExcerpts        = "no_excerpts"
	// FallbackDeclined: the model said the excerpts do not answer the
	// question (the prompt's rule 5), although retrieval found them close.
	FallbackDeclined = "llm_declined"
)

// MaxQuestionLength is the longest question, in runes, that Ask accepts.
// Retrieval uses its first MaxQueryLength runes; the LLM sees all of it.
const MaxQuestionLength = 2000

// DefaultTopK is how many retrieved chunks the LLM sees when Assistant.TopK
// is not set (the -top-k default).
const DefaultTopK = 8

// Conversation is what the Assistant knows of earlier turns: the procedure
// in focus (so that "thế lệ phí bao nhiêu?" stays on it) and the previous
// questions, oldest first.
type Conversation struct {
	ID      string   `json:"id,omitempty"`
	Focus   string   `json:"focus,omitempty"`
	History []string `json:"history,omitempty"`
	// Scope separates memories by who asks (the caller's audience): the
	// id is chosen by the client, so a public caller replaying an
	// official's id must not receive that official's earlier questions.
	Scope string `json:"-"`
}

// AskRequest is a question as the API and CLI receive it.
type AskRequest struct {
	Question     string
	Mode         AskMode    // "" means AskAuto
	Form         AnswerForm // "" means FormShort
	Conversation Conversation
	// Filter carries the caller's audience and the date (At, default
	// today). Answers use only content in force on that date: AllDates,
	// Kinds and Field are ignored.
	Filter Filter
}

// Referral offers to send an unanswered question to the department that
// owns the nearest content.
type Referral struct {
	Owner   string `json:"owner,omitempty"`
	Field   string `json:"field,omitempty"`
	Doc     string `json:"doc,omitempty"`
	Message string `json:"message"`
}

// Answer is the reply to a question.
type Answer struct {
	Text       string     `json:"answer"`
	ModeUsed   string     `json:"mode_used"`
	Answerable bool       `json:"answerable"`
	Form       AnswerForm `json:"form"`
	Citations  []Citation `json:"citations"` // Citations[i] is marker [i+1] in Text
	Procedure  *Card      `json:"procedure,omitempty"`
	// Aspect is the part of a procedure the question asked about.
	Aspect Aspect `json:"aspect,omitempty"`
	// Nearest are the closest pages when the question is not answerable.
	Nearest  []Hit     `json:"nearest,omitempty"`
	Referral *Referral `json:"referral,omitempty"`
	// Notice is a Vietnamese remark for the reader (unverified facts, a
	// fallback from the LLM).
	Notice string `json:"notice,omitempty"`
	// Fallback is the code of the reason an LLM answer was replaced; the
	// English detail is for logs only.
	Fallback       string `json:"fallback,omitempty"`
	FallbackDetail string `json:"-"`
	PromptVersion  string `json:"prompt_version,omitempty"`
	// Focus is the procedure a follow-up question will stay on.
	Focus          string        `json:"focus,omitempty"`
	ConversationID string        `json:"conversation_id,omitempty"`
	Retrieval      string        `json:"retrieval,omitempty"` // "lexical", "hybrid" or "" (no search)
	Took           time.Duration `json:"-"`
}

// Excerpt is one retrieved chunk as the LLM sees it, numbered from 1.
type Excerpt struct {
	N       int
	Doc     string
	Anchor  string
	Label   string // "khoản 2 Điều 5 Nghị định số 120/2025/NĐ-CP"
	Heading string
	Text    string
}

// AnswerInput is what a prompt template receives.
type AnswerInput struct {
	Question string
	Form     AnswerForm
	Today    string // dd/mm/yyyy
	// Topic is the title of the procedure in focus for a follow-up.
	Topic string
	// Previous is the caller's previous question, if any.
	Previous string
	Excerpts []Excerpt
}

// StreamingLLM is an LLM that can stream its reply; AskStream uses it when
// the configured LLM implements it.
type StreamingLLM interface {
	LLM
	// Stream sends the reply piece by piece to onDelta and returns the
	// whole reply. An error from onDelta aborts the call and is returned.
	Stream(ctx context.Context, msgs []Message, onDelta func(string) error) (string, error)
}

// Event types of AskStream.
const (
	EventMeta     = "meta"
	EventDelta    = "delta"
	EventCitation = "citation"
	EventDone     = "done"
	EventError    = "error"
)

// Event is one step of a streamed answer.
//
//   - meta: Answer holds everything known before the text (mode, procedure
//     card, nearest pages, prompt version). A later meta with Replace set
//     means the text sent so far must be discarded: what follows replaces
//     it (an LLM answer failed verification or the LLM failed).
//   - delta: Text is the next piece of the answer; it has been verified.
//   - citation: Citation is marker [N] of the text; it is sent before the
//     first delta that uses the marker.
//   - done: Answer is the final answer, as Ask returns it.
//   - error: Err ended the stream.
type Event struct {
	Type     string
	Answer   *Answer
	Replace  bool
	Text     string
	N        int
	Citation *Citation
	Err      error
}

// Assistant answers questions from the knowledge base (DESIGN.md, Answers):
// procedure cards from front matter, extractive answers that quote the best
// passages, and, when an LLM is configured, generated answers whose every
// citation and quotation is verified against the retrieved chunks.
type Assistant struct {
	Retriever *Retriever
	Library   func() *Library
	// LLM, when nil, means extractive answers only.
	LLM LLM
	// Prompt builds the messages for the LLM (prompts.Answer).
	Prompt func(AnswerInput) ([]Message, error)
	// PromptVersion identifies the prompt templates (prompts.Version).
	PromptVersion string
	// TopK is how many chunks the LLM sees (DefaultTopK when 0).
	TopK int
	// MinScore is the AnswerScore the best hit needs for an answer
	// (DefaultAnswerScore when 0; docs/BENCHMARKS.md, "Answerable
	// threshold").
	MinScore float64
	// Memory keeps conversations by ID between requests; nil means the
	// caller passes the conversation with each request.
	Memory *Conversations
	// Now returns the current time (time.Now when nil).
	Now func() time.Time
}

// Ask answers a question. LLM failures never surface as errors: the answer
// falls back to the procedure card or the extractive answer and says why in
// Fallback. Errors are Invalid (bad question), those of retrieval
// (Unavailable while the index is built) and the context's.
func (a *Assistant) Ask(ctx context.Context, req AskRequest) (*Answer, error) {
	return a.answer(ctx, req, nil)
}

// AskStream answers like Ask and reports the answer as events: meta first,
// then citation and delta events, then done. LLM text is verified sentence
// group by sentence group before it is sent (see verifier), so the caller
// never receives an unverified citation. An error from emit aborts the
// answer and is returned; errors before the first event are returned
// without any event.
func (a *Assistant) AskStream(ctx context.Context, req AskRequest, emit func(Event) error) error {
	if emit == nil {
		return errors.New("ask stream: nil emit")
	}
	_, err := a.answer(ctx, req, emit)
	return err
}

// plan is the state of one answer while it is being built.
type plan struct {
	req       AskRequest
	lib       *Library
	filter    Filter
	at        Date
	question  string
	query     Query
	hits      []Hit
	focus     *Document // procedure answered from its card
	followUp  bool
	retrieval string
	degraded  string // SearchResult.Degraded: semantic search was skipped
}

func (a *Assistant) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Assistant) library() *Library {
	if a.Library == nil {
		return NewLibrary(nil, nil, nil)
	}
	if l := a.Library(); l != nil {
		return l
	}
	return NewLibrary(nil, nil, nil)
}

func (a *Assistant) topK() int {
	if a.TopK > 0 {
		return a.TopK
	}
	return DefaultTopK
}

// validate checks a request and fills its defaults.
func validate(req *AskRequest) error {
	q := NormalizeLine(req.Question)
	if q == "" {
		return Errorf(Invalid, "Vui lòng nhập câu hỏi.", "empty question")
	}
	if n := len([]rune(q)); n > MaxQuestionLength {
		return Errorf(Invalid, fmt.Sprintf("Câu hỏi quá dài (tối đa %d ký tự).", MaxQuestionLength), "question of %d runes", n)
	}
	req.Question = q
	switch req.Mode {
	case "":
		req.Mode = AskAuto
	case AskAuto, AskExtractive, AskLLM:
	default:
		return Errorf(Invalid, "Chế độ trả lời không hợp lệ: dùng auto, extractive hoặc llm.", "bad mode %q", req.Mode)
	}
	switch req.Form {
	case "":
		req.Form = FormShort
	case FormShort, FormFull:
	default:
		return Errorf(Invalid, "Dạng câu trả lời không hợp lệ: dùng short hoặc full.", "bad form %q", req.Form)
	}
	return nil
}

func (a *Assistant) answer(ctx context.Context, req AskRequest, emit func(Event) error) (*Answer, error) {
	start := a.now()
	if err := validate(&req); err != nil {
		return nil, err
	}
	if a.Memory != nil {
		req.Conversation.Scope = string(req.Filter.Audience)
		req.Conversation = a.Memory.Merge(req.Conversation)
	}
	p, err := a.retrieve(ctx, req)
	if err != nil {
		return nil, err
	}
	base := a.baseAnswer(p)
	if p.degraded != "" {
		// The reader is told that the answer rests on keywords alone.
		base.Notice = strings.TrimSpace(base.Notice + " " + p.degraded)
	}
	ans := base
	useLLM := base.Answerable && (req.Mode == AskLLM || (req.Mode == AskAuto && p.focus == nil))
	switch {
	case !useLLM:
		if err := a.emitWhole(emit, ans, false); err != nil {
			return nil, err
		}
	case a.LLM == nil:
		if req.Mode == AskLLM {
			ans.Fallback, ans.FallbackDetail = FallbackNotConfigured, "no LLM configured"
			ans.Notice = strings.TrimSpace(fallbackNotice(FallbackNotConfigured) + " " + ans.Notice)
		}
		if err := a.emitWhole(emit, ans, false); err != nil {
			return nil, err
		}
	default:
		ans, err = a.generate(ctx, p, base, emit)
		if err != nil {
			return nil, err
		}
	}
	a.remember(p, ans)
	ans.Took = a.now().Sub(start)
	if emit != nil {
		if err := emit(Event{Type: EventDone, Answer: ans}); err != nil {
			return nil, err
		}
	}
	return ans, nil
}

// retrieve decides what the answer is about: the procedure in focus for a
// follow-up, or the retrieved hits, re-checked against the caller's filter.
func (a *Assistant) retrieve(ctx context.Context, req AskRequest) (*plan, error) {
	lib := a.library()
	at := req.Filter.At
	if !at.IsSet() {
		at = Today(a.now())
	}
	// Answers come only from content in force that the caller may see;
	// kinds and fields narrow searches, not answers.
	f := Filter{Audience: req.Filter.Audience, At: at}
	if f.Audience == "" {
		f.Audience = AudiencePublic
	}
	p := &plan{req: req, lib: lib, filter: f, at: at, question: req.Question}
	if d := a.focusDoc(lib, f, req.Conversation.Focus); d != nil && isFollowUp(req.Question, d) {
		p.focus, p.followUp = d, true
		p.query, _ = a.analyzer().Analyze(retrievalText(req.Question))
		return p, nil
	}
	if a.Retriever == nil {
		return nil, Errorf(Unavailable, "Chỉ mục tìm kiếm chưa sẵn sàng, vui lòng thử lại sau.", "assistant without retriever")
	}
	search := func(text string) (*SearchResult, error) {
		return a.Retriever.Search(ctx, SearchRequest{Query: retrievalText(text), Limit: max(a.topK(), 10), Filter: f})
	}
	res, err := search(req.Question)
	if err != nil {
		return nil, err
	}
	hits := allowedHits(lib, f, res.Hits)
	// A short follow-up without a procedure in focus ("còn kết hôn thì
	// sao?"): retry with the previous question for context.
	if h := req.Conversation.History; !a.answerable(res.Query, hits) && len(h) > 0 {
		if res2, err := search(h[len(h)-1] + " " + req.Question); err == nil {
			if hits2 := allowedHits(lib, f, res2.Hits); a.answerable(res2.Query, hits2) {
				res, hits = res2, hits2
			}
		} else if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	p.query, p.hits, p.retrieval, p.degraded = res.Query, hits, res.Mode, res.Degraded
	if a.answerable(res.Query, hits) {
		p.focus = a.procedureOf(lib, res.Query, hits, DetectAspect(req.Question))
	}
	return p, nil
}

func (a *Assistant) analyzer() *Analyzer {
	if a.Retriever == nil {
		return &Analyzer{}
	}
	return a.Retriever.Analyzer()
}

// retrievalText cuts a question to what the analyzer accepts, at a word
// boundary.
func retrievalText(q string) string {
	r := []rune(q)
	if len(r) <= MaxQueryLength {
		return q
	}
	s := string(r[:MaxQueryLength])
	if i := strings.LastIndexByte(s, ' '); i > MaxQueryLength/2 {
		s = s[:i]
	}
	return s
}

// answerable reports whether the best hit is strong enough to answer from.
func (a *Assistant) answerable(q Query, hits []Hit) bool {
	if len(hits) == 0 {
		return false
	}
	min := a.MinScore
	if min <= 0 {
		min = DefaultAnswerScore
	}
	return a.AnswerScore(q, &hits[0]) >= min
}

// DefaultAnswerScore is the AnswerScore the best hit needs for an answer.
// Calibrated on the gold sets (234 questions) and 48 out-of-scope questions
// (docs/BENCHMARKS.md, "Answerable threshold"; re-measured by
// TestGoldSets/AnswerableThreshold): 2.1% false refusals, 2.1% false
// answers, where plain Coverage ≥ 0.5 gives 1.3% and 25%.
const DefaultAnswerScore = 0.5

// answerBigramWeight is the share of AnswerScore given to the question's
// adjacent topic-word pairs found together in the hit.
const answerBigramWeight = 0.3

// AnswerScore says how well hit h covers question q, from 0 to 1: the
// idf-weighted share of the question's topic words it contains (or of a
// thesaurus expansion's, at 0.9), blended with the share of the question's
// adjacent topic-word pairs it contains as pairs. Weighting by idf keeps
// common syllables ("hà nội", "ngày") from making an out-of-scope question
// look answered; the pairs tell "thời tiết" from "thời hạn … chi tiết".
// A syllable the knowledge base does not contain ("bitcoin", "vietlott")
// weighs most of all.
func (a *Assistant) AnswerScore(q Query, h *Hit) float64 {
	an := a.analyzer()
	words := FoldedSyllables(h.Title + " . " + h.Heading + " . " + h.Text)
	doc := make(map[string]bool, len(words))
	pairs := make(map[[2]string]bool, len(words))
	for i, w := range words {
		doc[w] = true
		if i > 0 {
			pairs[[2]string{words[i-1], w}] = true
		}
	}
	share := func(terms []string) float64 {
		var total, found float64
		for _, t := range terms {
			if stopTerms[t] {
				continue
			}
			w := an.idf(t)
			total += w
			if doc[t] {
				found += w
			}
		}
		if total == 0 {
			return 0
		}
		return found / total
	}
	best := share(q.Terms)
	for _, e := range q.Expansions {
		best = max(best, 0.9*share(FoldedSyllables(e)))
	}
	n, found := 0, 0
	for i := 1; i < len(q.Terms); i++ {
		if stopTerms[q.Terms[i-1]] || stopTerms[q.Terms[i]] {
			continue
		}
		n++
		if pairs[[2]string{q.Terms[i-1], q.Terms[i]}] {
			found++
		}
	}
	pair := best
	if n > 0 {
		pair = float64(found) / float64(n)
	}
	return (1-answerBigramWeight)*best + answerBigramWeight*pair
}

// allowedHits re-checks every hit against the library and the filter before
// anything is quoted or sent to a model (defence in depth: the indexes
// already filter). A hit must belong to a document the caller may see that
// is in force, and its anchor must exist, so that every citation resolves.
func allowedHits(lib *Library, f Filter, hits []Hit) []Hit {
	out := make([]Hit, 0, len(hits))
	for _, h := range hits {
		if _, ok := allowedDoc(lib, f, h.DocID, h.Anchor); !ok {
			continue
		}
		if h.Audience == AudienceInternal && f.Audience != AudienceInternal {
			continue
		}
		out = append(out, h)
	}
	return out
}

// allowedDoc returns the document id if the caller may read it on f.At and
// anchor ("" for the whole document) exists in it.
func allowedDoc(lib *Library, f Filter, id, anchor string) (*Document, bool) {
	d, ok := lib.Doc(id)
	if !ok || !Visible(d, f.Audience) {
		return nil, false
	}
	c := Chunk{Kind: d.Kind, Audience: d.Audience, Status: d.Status, ValidFrom: d.ValidFrom(), ValidTo: d.ValidTo()}
	if !(Filter{Audience: f.Audience, At: f.At}).Allows(&c) {
		return nil, false
	}
	if anchor != "" {
		if _, ok := d.Section(anchor); !ok {
			return nil, false
		}
	}
	return d, true
}

// focusDoc returns the procedure a conversation is about, if the caller may
// still see it.
func (a *Assistant) focusDoc(lib *Library, f Filter, id string) *Document {
	if id == "" {
		return nil
	}
	d, ok := allowedDoc(lib, f, id, "")
	if !ok || d.Procedure == nil {
		return nil
	}
	return d
}

// procedureOf returns the procedure the hits are about: the first
// procedure among the top three hits, when its card is there too (a card
// ranked first, or a section of the procedure with its card close by), or
// when the question asks for a part of the card ("mất bao nhiêu tiền").
// Regulations ranked above it mean a legal question; FAQ and guide pages
// ranked above it are passed over only when the question asks for a part of
// a procedure ("cần giấy tờ gì", "lệ phí"), which the card answers with
// authority. The card must itself contain the question's topic.
func (a *Assistant) procedureOf(lib *Library, q Query, hits []Hit, aspect Aspect) *Document {
	top := hits[:min(3, len(hits))]
	for _, h := range top {
		switch {
		case h.Kind == KindRegulation:
			return nil
		case h.Kind != KindProcedure:
			if aspect == "" {
				return nil
			}
			continue
		}
		i := slices.IndexFunc(top, func(c Hit) bool { return c.DocID == h.DocID && c.Anchor == "" })
		switch {
		case i >= 0 && !a.answerable(q, top[i:i+1]):
			return nil
		case i < 0 && (aspect == "" || !a.answerable(q, []Hit{h})):
			// A section of the procedure without its card: the card
			// answers only when a part of it was asked for.
			return nil
		}
		d, ok := lib.Doc(h.DocID)
		if !ok || d.Procedure == nil {
			return nil
		}
		return d
	}
	return nil
}

// baseAnswer is the answer that needs no LLM: the procedure card, the
// extractive answer, or the honest "not answerable".
func (a *Assistant) baseAnswer(p *plan) *Answer {
	ans := &Answer{Form: p.req.Form, Retrieval: p.retrieval, ConversationID: p.req.Conversation.ID}
	switch {
	case p.focus != nil:
		ans.Answerable = true
		ans.ModeUsed = ModeProcedure
		ans.Aspect = DetectAspect(p.question)
		ans.Procedure = NewCard(p.focus, p.lib, p.filter)
		ans.Text, ans.Citations = procedureAnswer(ans.Procedure, p.question, ans.Aspect, p.req.Form, p.followUp)
		if p.focus.Status == StatusDraft {
			ans.Notice = "Lưu ý: một số thông tin của thủ tục này chưa được xác minh; vui lòng đối chiếu văn bản gốc trước khi trả lời chắc chắn."
		}
		ans.Focus = p.focus.ID
	case a.answerable(p.query, p.hits):
		ans.Answerable = true
		ans.ModeUsed = ModeExtractive
		ans.Text, ans.Citations = extractiveAnswer(p.lib, a.analyzer(), p.query, p.hits, p.req.Form)
		if len(ans.Citations) == 0 {
			return a.notAnswerable(p, ans)
		}
		ans.Notice = draftNotice(p.lib, ans.Citations, "")
	default:
		return a.notAnswerable(p, ans)
	}
	return ans
}

// draftNotice warns that some cited pages are drafts (status: draft), whose
// facts are not all verified yet (docs/CONTENT.md); skip is a page already
// warned about. It is "" when every cited page is published.
func draftNotice(lib *Library, cits []Citation, skip string) string {
	var names []string
	seen := map[string]bool{skip: true}
	for _, c := range cits {
		d, ok := lib.Doc(c.Doc)
		if !ok || d.Status != StatusDraft || seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		names = append(names, d.CitationName())
	}
	if len(names) == 0 {
		return ""
	}
	return "Lưu ý: trang " + strings.Join(names, "; ") + " trong Sổ tay chưa được xác minh đầy đủ; vui lòng đối chiếu văn bản gốc trước khi trả lời chắc chắn."
}

// nearestPages is how many pages a "not answerable" reply offers.
const nearestPages = 3

// notAnswerable fills the honest reply: what we could not do, the nearest
// pages and an offer to send the question to the owning department.
func (a *Assistant) notAnswerable(p *plan, ans *Answer) *Answer {
	ans.Answerable = false
	ans.ModeUsed = ModeExtractive
	ans.Text, ans.Citations = "", nil
	seen := map[string]bool{}
	for _, h := range p.hits {
		if seen[h.DocID] {
			continue
		}
		seen[h.DocID] = true
		if h.Snippet == "" {
			h.Snippet = Snippet(h.Text, p.query, 200)
		}
		ans.Nearest = append(ans.Nearest, h)
		if len(ans.Nearest) == nearestPages {
			break
		}
	}
	ref := &Referral{}
	for _, h := range ans.Nearest {
		if d, ok := p.lib.Doc(h.DocID); ok && d.Owner != "" {
			ref.Owner, ref.Field, ref.Doc = d.Owner, d.Field(), d.ID
			break
		}
	}
	owner := ref.Owner
	if owner == "" {
		owner = "bộ phận phụ trách"
	}
	ref.Message = "Anh/chị có thể gửi câu hỏi này để " + owner + " trả lời."
	ans.Referral = ref
	var b strings.Builder
	b.WriteString("Xin lỗi, Sổ tay chưa có thông tin đủ tin cậy để trả lời câu hỏi này.")
	if len(ans.Nearest) > 0 {
		b.WriteString(" Các trang gần nhất được liệt kê bên dưới để anh/chị tham khảo.")
	}
	b.WriteString(" " + ref.Message)
	ans.Text = b.String()
	return ans
}

// remember stores the turn in the conversation memory.
func (a *Assistant) remember(p *plan, ans *Answer) {
	conv := p.req.Conversation
	switch {
	case ans.Procedure != nil:
		conv.Focus = ans.Procedure.Doc
	case ans.Answerable:
		conv.Focus = "" // the conversation moved on from the procedure
	}
	// A conversation id is chosen by the client: one an official used may
	// be replayed by a public caller. Never hand back a focus they may not
	// see (issue 9, leak probe).
	if conv.Focus != "" && a.focusDoc(p.lib, p.filter, conv.Focus) == nil {
		conv.Focus = ""
	}
	ans.Focus = conv.Focus
	conv.History = append(conv.History, p.question)
	if len(conv.History) > maxHistory {
		conv.History = conv.History[len(conv.History)-maxHistory:]
	}
	if a.Memory != nil {
		ans.ConversationID = a.Memory.Put(conv)
	}
}

// emitWhole sends an answer that needs no verification: meta, then its
// citations and text.
func (a *Assistant) emitWhole(emit func(Event) error, ans *Answer, replace bool) error {
	if emit == nil {
		return nil
	}
	if err := emit(Event{Type: EventMeta, Answer: metaOf(ans), Replace: replace}); err != nil {
		return err
	}
	for i := range ans.Citations {
		if err := emit(Event{Type: EventCitation, N: i + 1, Citation: &ans.Citations[i]}); err != nil {
			return err
		}
	}
	for _, para := range strings.SplitAfter(ans.Text, "\n") {
		if para == "" {
			continue
		}
		if err := emit(Event{Type: EventDelta, Text: para}); err != nil {
			return err
		}
	}
	return nil
}

// metaOf is an answer without its text and citations, for meta events.
func metaOf(ans *Answer) *Answer {
	m := *ans
	m.Text, m.Citations = "", nil
	return &m
}
