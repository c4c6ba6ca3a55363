package handbook_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"sotay/handbook"
	"sotay/handbook/openai"
	"sotay/handbook/openai/openaitest"
)

const (
	khaiSinh = "procedures/ho-tich/dang-ky-khai-sinh"
	ketHon   = "procedures/ho-tich/dang-ky-ket-hon"
)

func ask(t *testing.T, a *handbook.Assistant, req handbook.AskRequest) *handbook.Answer {
	t.Helper()
	ans, err := a.Ask(t.Context(), req)
	if err != nil {
		t.Fatalf("Ask(%q) error = %v", req.Question, err)
	}
	return ans
}

func TestAskProcedureCard(t *testing.T) {
	a, lib := newAskAssistant(t, nil)
	tests := []struct {
		name, question string
		form           handbook.AnswerForm
		aspect         handbook.Aspect
		want           []string
	}{
		{"documents unaccented", "lam giay khai sinh cho con can gi", handbook.FormShort, handbook.AspectDocuments,
			[]string{"Thủ tục đăng ký khai sinh", "Tờ khai đăng ký khai sinh theo mẫu (01 bản chính)", "Giấy chứng sinh (01 bản chính)"}},
		{"fee", "đăng ký khai sinh lệ phí bao nhiêu", handbook.FormShort, handbook.AspectFee,
			[]string{"Lệ phí: Miễn lệ phí khi đăng ký đúng hạn"}},
		{"where NFD", "đăng ký khai sinh nộp ở đâu", handbook.FormShort, handbook.AspectWhere,
			[]string{"Nơi nộp hồ sơ: Trung tâm Phục vụ hành chính công cấp xã"}},
		{"whole card full", "thủ tục đăng ký khai sinh", handbook.FormFull, "",
			[]string{"Các bước: (1) Nộp hồ sơ", "Lệ phí:", "dichvucong.gov.vn", "Hỗ trợ: Tổng đài hỗ trợ của Sở Tư pháp",
				"khoản 2 Điều 5 Nghị định số 120/2025/NĐ-CP [3]", "Điều 16 Luật Hộ tịch 2014 [2]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.question
			if tc.name == "where NFD" {
				q = nfd(q)
			}
			ans := ask(t, a, handbook.AskRequest{Question: q, Form: tc.form, Filter: askPublic()})
			if ans.ModeUsed != handbook.ModeProcedure || !ans.Answerable || ans.Procedure == nil || ans.Procedure.Doc != khaiSinh {
				t.Fatalf("Ask(%q) = mode %q answerable %v procedure %+v, want the khai sinh card", q, ans.ModeUsed, ans.Answerable, ans.Procedure)
			}
			if ans.Aspect != tc.aspect {
				t.Errorf("Aspect = %q, want %q", ans.Aspect, tc.aspect)
			}
			for _, w := range tc.want {
				if !strings.Contains(ans.Text, w) {
					t.Errorf("answer lacks %q:\n%s", w, ans.Text)
				}
			}
			if tc.form == handbook.FormShort {
				if n := strings.Count(ans.Text, "\n") + 1; n < 3 || n > 6 {
					t.Errorf("short answer has %d sentences, want 3–6:\n%s", n, ans.Text)
				}
			}
			checkAnswerCitations(t, lib, ans)
		})
	}
}

func TestProcedureCardLegalBasis(t *testing.T) {
	a, _ := newAskAssistant(t, nil)
	ans := ask(t, a, handbook.AskRequest{Question: "thủ tục đăng ký khai sinh", Filter: askPublic()})
	var got []string
	for _, c := range ans.Procedure.LegalBasis {
		got = append(got, c.Label+" "+c.URL)
	}
	// The missing regulation is dropped; the missing article falls back
	// to the whole law, so every link resolves.
	want := []string{
		"Điều 16 Luật Hộ tịch 2014 /docs/regulations/luat-ho-tich-2014#dieu-16",
		"khoản 2 Điều 5 Nghị định số 120/2025/NĐ-CP /docs/regulations/nd-120-2025#dieu-5-khoan-2",
		"khoản 1 Điều 11 Luật Hộ tịch 2014 /docs/regulations/luat-ho-tich-2014#dieu-11-khoan-1",
		"Luật Hộ tịch 2014 /docs/regulations/luat-ho-tich-2014",
	}
	if !slices.Equal(got, want) {
		t.Errorf("LegalBasis =\n%q\nwant\n%q", got, want)
	}
	if ans.Procedure.Code != "1.001193" || ans.Procedure.Owner != "Sở Tư pháp" || len(ans.Procedure.Documents) != 3 {
		t.Errorf("card = %+v", ans.Procedure)
	}
}

func TestDraftProcedureCarriesNotice(t *testing.T) {
	a, _ := newAskAssistant(t, nil)
	ans := ask(t, a, handbook.AskRequest{Question: "đăng ký kết hôn cần giấy tờ gì", Filter: askPublic()})
	if ans.Procedure == nil || ans.Procedure.Doc != ketHon || !ans.Procedure.Unverified || !strings.Contains(ans.Notice, "chưa được xác minh") {
		t.Errorf("Ask(kết hôn) = procedure %+v notice %q, want the unverified kết hôn card with a notice", ans.Procedure, ans.Notice)
	}
}

func TestFollowUpStaysOnProcedure(t *testing.T) {
	a, lib := newAskAssistant(t, nil)
	a.Memory = handbook.NewConversations(30*time.Minute, 100)
	first := ask(t, a, handbook.AskRequest{Question: "làm giấy khai sinh cho con", Filter: askPublic()})
	if first.Focus != khaiSinh || first.ConversationID == "" {
		t.Fatalf("first answer focus %q conversation %q, want khai sinh and an id", first.Focus, first.ConversationID)
	}
	tests := []struct {
		question string
		aspect   handbook.Aspect
		lead     string
	}{
		{"thế lệ phí bao nhiêu?", handbook.AspectFee, "Lệ phí: Miễn lệ phí khi đăng ký đúng hạn"},
		{"the le phi bao nhieu", handbook.AspectFee, "Lệ phí:"},
		{"cần giấy tờ gì", handbook.AspectDocuments, "Hồ sơ gồm: Tờ khai đăng ký khai sinh theo mẫu (01 bản chính)"},
		{"mất bao lâu", handbook.AspectTimeLimit, "Thời hạn giải quyết: Ngay trong ngày làm việc"},
		{"nộp ở đâu vậy", handbook.AspectWhere, "Nơi nộp hồ sơ:"},
		{"có nộp online được không", handbook.AspectOnline, "Nộp trực tuyến (toàn trình) tại https://dichvucong.gov.vn"},
		{"thế lệ phí khai sinh cho con bao nhiêu", handbook.AspectFee, "Lệ phí:"},
	}
	for _, tc := range tests {
		t.Run(tc.question, func(t *testing.T) {
			ans := ask(t, a, handbook.AskRequest{Question: tc.question, Conversation: handbook.Conversation{ID: first.ConversationID}, Filter: askPublic()})
			if ans.ModeUsed != handbook.ModeProcedure || ans.Procedure == nil || ans.Procedure.Doc != khaiSinh {
				t.Fatalf("follow-up %q: mode %q procedure %+v, want the khai sinh card", tc.question, ans.ModeUsed, ans.Procedure)
			}
			if ans.Aspect != tc.aspect || !strings.HasPrefix(ans.Text, tc.lead) {
				t.Errorf("follow-up %q: aspect %q, text\n%s\nwant aspect %q leading with %q", tc.question, ans.Aspect, ans.Text, tc.aspect, tc.lead)
			}
			if n := strings.Count(ans.Text, "\n") + 1; n > 6 {
				t.Errorf("short follow-up has %d sentences", n)
			}
			checkAnswerCitations(t, lib, ans)
		})
	}
	// A new procedure is a new question, not a follow-up.
	ans := ask(t, a, handbook.AskRequest{Question: "còn đăng ký kết hôn thì sao", Conversation: handbook.Conversation{ID: first.ConversationID}, Filter: askPublic()})
	if ans.Procedure == nil || ans.Procedure.Doc != ketHon {
		t.Errorf("Ask(còn đăng ký kết hôn) procedure = %+v, want kết hôn", ans.Procedure)
	}
	// Stateless: the caller passes the focus itself.
	b, _ := newAskAssistant(t, nil)
	ans = ask(t, b, handbook.AskRequest{Question: "thế lệ phí bao nhiêu?", Conversation: handbook.Conversation{Focus: khaiSinh}, Filter: askPublic()})
	if ans.Procedure == nil || ans.Procedure.Doc != khaiSinh || ans.Aspect != handbook.AspectFee {
		t.Errorf("stateless follow-up = %+v aspect %q", ans.Procedure, ans.Aspect)
	}
	// Without a focus the same words are not about khai sinh.
	ans = ask(t, b, handbook.AskRequest{Question: "thế lệ phí bao nhiêu?", Filter: askPublic()})
	if ans.Procedure != nil && ans.Procedure.Doc == khaiSinh && ans.Aspect == handbook.AspectFee && strings.HasPrefix(ans.Text, "Lệ phí") {
		t.Errorf("follow-up without focus answered from the khai sinh card as a follow-up")
	}
}

func TestFollowUpFocusMustBeVisible(t *testing.T) {
	a, _ := newAskAssistant(t, nil)
	// A public caller cannot steer answers to an internal document by
	// naming it as the focus.
	ans := ask(t, a, handbook.AskRequest{Question: "cần giấy tờ gì", Conversation: handbook.Conversation{Focus: "technology/mot-cua-quan-tri"}, Filter: askPublic()})
	if strings.Contains(ans.Text, askInternalMarker) || ans.Focus == "technology/mot-cua-quan-tri" {
		t.Errorf("internal focus leaked: %+v", ans)
	}
}

func TestAskExtractive(t *testing.T) {
	a, lib := newAskAssistant(t, nil)
	ans := ask(t, a, handbook.AskRequest{Question: "tham quyen dang ky ket hon co yeu to nuoc ngoai", Filter: askPublic()})
	if ans.ModeUsed != handbook.ModeExtractive || !ans.Answerable || len(ans.Citations) == 0 {
		t.Fatalf("Ask = %+v, want an extractive answer", ans)
	}
	c := ans.Citations[0]
	if c.Label != "khoản 2 Điều 5 Nghị định số 120/2025/NĐ-CP" || c.URL != "/docs/regulations/nd-120-2025#dieu-5-khoan-2" {
		t.Errorf("citation = %q %q, want the clause the quote comes from", c.Label, c.URL)
	}
	// Trimmed to the sentences on the topic: clause 1 (chứng thực) is left out.
	if strings.Contains(ans.Text, "chứng thực") || !strings.Contains(ans.Text, "kết hôn có yếu tố nước ngoài") {
		t.Errorf("answer not trimmed to the topic:\n%s", ans.Text)
	}
	if !strings.HasPrefix(ans.Text, "Theo khoản 2 Điều 5 Nghị định số 120/2025/NĐ-CP [1]: ") {
		t.Errorf("answer = %q, want it to lead with the label and marker", ans.Text)
	}
	checkAnswerCitations(t, lib, ans)
}

func TestAskNeverUsesExpiredContent(t *testing.T) {
	a, lib := newAskAssistant(t, nil)
	for _, q := range []string{"lệ phí đăng ký khai sinh quá hạn 5.000 đồng", "le phi khai sinh qua han"} {
		ans := ask(t, a, handbook.AskRequest{Question: q, Form: handbook.FormFull, Filter: askPublic()})
		for _, c := range ans.Citations {
			if c.Doc == "regulations/nd-158-2005" {
				t.Errorf("Ask(%q) cites the expired decree", q)
			}
		}
		if strings.Contains(ans.Text, "5.000") {
			t.Errorf("Ask(%q) quotes the expired fee: %s", q, ans.Text)
		}
		checkAnswerCitations(t, lib, ans)
	}
}

func TestAskNotAnswerable(t *testing.T) {
	a, _ := newAskAssistant(t, nil)
	for _, q := range []string{"thời tiết hà nội ngày mai thế nào", "xo so mien bac hom nay", "cách nấu phở bò"} {
		ans := ask(t, a, handbook.AskRequest{Question: q, Filter: askPublic()})
		if ans.Answerable || len(ans.Citations) != 0 {
			t.Errorf("Ask(%q) = answerable %v with %d citations, want not answerable", q, ans.Answerable, len(ans.Citations))
		}
		if !strings.Contains(ans.Text, "chưa có thông tin") || ans.Referral == nil || !strings.Contains(ans.Text, ans.Referral.Message) {
			t.Errorf("Ask(%q) text %q referral %+v, want the honest message and an offer to refer", q, ans.Text, ans.Referral)
		}
		if len(ans.Nearest) > 3 {
			t.Errorf("Ask(%q) gives %d nearest pages, want at most 3", q, len(ans.Nearest))
		}
	}
}

func TestAskValidation(t *testing.T) {
	a, _ := newAskAssistant(t, nil)
	tests := []struct {
		name string
		req  handbook.AskRequest
		msg  string
	}{
		{"empty", handbook.AskRequest{Question: "  \n "}, "Vui lòng nhập câu hỏi."},
		{"too long", handbook.AskRequest{Question: strings.Repeat("khai sinh ", 201)}, "Câu hỏi quá dài (tối đa 2000 ký tự)."},
		{"mode", handbook.AskRequest{Question: "khai sinh", Mode: "magic"}, "Chế độ trả lời không hợp lệ: dùng auto, extractive hoặc llm."},
		{"form", handbook.AskRequest{Question: "khai sinh", Form: "long"}, "Dạng câu trả lời không hợp lệ: dùng short hoặc full."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Ask(t.Context(), tc.req)
			if handbook.ErrorCode(err) != handbook.Invalid || handbook.ErrorMessage(err) != tc.msg {
				t.Errorf("Ask() error = %v (%q), want invalid %q", err, handbook.ErrorMessage(err), tc.msg)
			}
		})
	}
	// A long question (over the 500-rune search limit) is still answered.
	long := "làm giấy khai sinh cho con cần gì " + strings.Repeat("xin cảm ơn anh chị nhiều ", 40)
	if _, err := a.Ask(t.Context(), handbook.AskRequest{Question: long, Filter: askPublic()}); err != nil {
		t.Errorf("Ask(%d runes) error = %v", len([]rune(long)), err)
	}
}

// llmCase is one scripted behaviour of the fake chat server.
type llmCase struct {
	name     string
	reply    openaitest.Reply
	fallback string // "" means the LLM answer is used
}

var llmCases = []llmCase{
	{"good cited answer", openaitest.CitedAnswer(), ""},
	{"citation to a chunk not retrieved", openaitest.ForeignCitation(), handbook.FallbackForeignCitation},
	{"invented quote", openaitest.InventedQuote(), handbook.FallbackInventedQuote},
	{"quote of another excerpt marked [1]", openaitest.MisattributedQuote(), handbook.FallbackInventedQuote},
	{"model declines", openaitest.Declined(), handbook.FallbackDeclined},
	{"malformed JSON", openaitest.Malformed(), handbook.FallbackError},
	{"30s stall", openaitest.Stall(30 * time.Second), handbook.FallbackTimeout},
	{"429", openaitest.Status(http.StatusTooManyRequests), handbook.FallbackUnavailable},
	{"500", openaitest.Status(http.StatusInternalServerError), handbook.FallbackUnavailable},
	{"connection reset", openaitest.Reset(), handbook.FallbackUnavailable},
	{"no citation", openaitest.Answer("Dạ, anh/chị cần hỗ trợ thêm cứ gọi lại nhé."), handbook.FallbackNoCitation},
	{"uncited claim without figures", openaitest.Answer("Việc này do Công an xã giải quyết. Anh/chị cứ đến xã hỏi thêm cho chắc nhé.\nThẩm quyền thuộc Ủy ban nhân dân cấp xã [1]."), handbook.FallbackUncitedClaim},
	{"list with a lead-in", openaitest.Answer("Thẩm quyền như sau:\n- Ủy ban nhân dân cấp xã thực hiện đăng ký kết hôn có yếu tố nước ngoài [1].\nAnh/chị cần hỗ trợ thêm cứ gọi lại."), ""},
	{"uncited figure", openaitest.Answer("Lệ phí là 50.000 đồng và làm trong 3 ngày."), handbook.FallbackUncitedClaim},
	{"invented number", openaitest.Answer("Ủy ban nhân dân cấp xã thực hiện việc này trong 7 ngày [1]."), handbook.FallbackUnsupportedNumber},
	{"empty", openaitest.Answer(""), handbook.FallbackEmpty},
	{"invented quote over two lines", openaitest.Answer("Theo quy định, «Ủy ban nhân dân cấp xã\nthu phí gấp đôi» [1]."), handbook.FallbackInventedQuote},
	{"unclosed quote", openaitest.Answer("Theo quy định, «Ủy ban nhân dân cấp xã thu phí gấp đôi [1]."), handbook.FallbackInventedQuote},
	{"stall after a verified sentence", openaitest.Reply{
		Text:       "Ủy ban nhân dân cấp xã thực hiện đăng ký kết hôn có yếu tố nước ngoài [1]. Hồ sơ nộp tại bộ phận một cửa [1].",
		StallAfter: 6, Stall: 30 * time.Second}, handbook.FallbackTimeout},
}

const llmQuestion = "thẩm quyền đăng ký kết hôn có yếu tố nước ngoài"

// TestAskLLM runs every scripted case through Ask and AskStream: none is an
// error, none carries an unverified citation, each falls back as expected.
func TestAskLLM(t *testing.T) {
	for _, tc := range llmCases {
		for _, stream := range []bool{false, true} {
			name := tc.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				srv := openaitest.NewServer(t)
				srv.Script(tc.reply)
				a, lib := newAskAssistant(t, openai.NewChat(srv.URL, "", "fake", 300*time.Millisecond))
				req := handbook.AskRequest{Question: llmQuestion, Filter: askPublic()}
				var ans *handbook.Answer
				var events []handbook.Event
				start := time.Now()
				if stream {
					err := a.AskStream(t.Context(), req, func(e handbook.Event) error { events = append(events, e); return nil })
					if err != nil {
						t.Fatalf("AskStream() error = %v", err)
					}
					ans = checkStream(t, lib, events)
				} else {
					ans = ask(t, a, req)
				}
				if el := time.Since(start); el > 5*time.Second {
					t.Errorf("answer took %s, want the 300ms LLM timeout to apply", el)
				}
				if len(srv.ChatRequests()) != 1 {
					t.Errorf("chat requests = %d, want 1", len(srv.ChatRequests()))
				}
				want := tc.fallback
				if tc.reply.StallAfter > 0 && !stream {
					want = "" // the stall happens only in a stream
				}
				if !ans.Answerable || len(ans.Citations) == 0 || ans.Fallback != want {
					t.Fatalf("answer = mode %q fallback %q (%s) citations %d, want fallback %q",
						ans.ModeUsed, ans.Fallback, ans.FallbackDetail, len(ans.Citations), want)
				}
				wantMode := handbook.ModeLLM
				if want != "" {
					wantMode = handbook.ModeExtractive
					if ans.Notice == "" {
						t.Errorf("fallback without a notice")
					}
				}
				if ans.ModeUsed != wantMode || ans.PromptVersion != "test-1" {
					t.Errorf("mode %q prompt %q, want %q test-1", ans.ModeUsed, ans.PromptVersion, wantMode)
				}
				checkAnswerCitations(t, lib, ans)
			})
		}
	}
}

// checkStream checks the event protocol and returns the done answer: meta
// first, done last, every delta and citation verified, and the text after
// the last replace equal to the final answer.
func checkStream(t *testing.T, lib *handbook.Library, events []handbook.Event) *handbook.Answer {
	t.Helper()
	if len(events) < 2 || events[0].Type != handbook.EventMeta || events[len(events)-1].Type != handbook.EventDone {
		t.Fatalf("events %v, want meta … done", types(events))
	}
	var text strings.Builder
	cits := map[int]handbook.Citation{}
	for _, e := range events {
		switch e.Type {
		case handbook.EventMeta:
			if e.Replace {
				text.Reset()
				clear(cits)
			}
		case handbook.EventDelta:
			text.WriteString(e.Text)
		case handbook.EventCitation:
			cits[e.N] = *e.Citation
			one := &handbook.Answer{Citations: []handbook.Citation{*e.Citation}}
			checkAnswerCitations(t, lib, one)
		}
	}
	done := events[len(events)-1].Answer
	if got := strings.TrimSpace(text.String()); got != done.Text {
		t.Errorf("streamed text\n%q\n!= final\n%q", got, done.Text)
	}
	for _, n := range askMarkers(done.Text) {
		if _, ok := cits[n]; !ok {
			t.Errorf("marker [%d] streamed without its citation event", n)
		}
	}
	return done
}

func types(events []handbook.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Type)
	}
	return out
}

func TestAskStreamSendsVerifiedSentencesEarly(t *testing.T) {
	srv := openaitest.NewServer(t)
	srv.Script(openaitest.Reply{
		Text:       "Ủy ban nhân dân cấp xã thực hiện đăng ký kết hôn có yếu tố nước ngoài [1]. Việc này thay cho Ủy ban nhân dân cấp huyện trước đây [1].",
		StallAfter: 6, Stall: 50 * time.Millisecond})
	a, _ := newAskAssistant(t, openai.NewChat(srv.URL, "", "fake", 5*time.Second))
	var events []handbook.Event
	err := a.AskStream(t.Context(), handbook.AskRequest{Question: llmQuestion, Filter: askPublic()}, func(e handbook.Event) error {
		events = append(events, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// meta, citation [1], first sentence, second sentence, done.
	want := []string{"meta", "citation", "delta", "delta", "done"}
	if got := types(events); !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	if !strings.HasPrefix(events[2].Text, "Ủy ban nhân dân cấp xã thực hiện đăng ký kết hôn có yếu tố nước ngoài [1].") {
		t.Errorf("first delta = %q", events[2].Text)
	}
	if done := events[4].Answer; done.ModeUsed != handbook.ModeLLM || len(done.Citations) != 1 {
		t.Errorf("done = %+v", done)
	}
}

// TestAskStreamChunkingDoesNotMatter streams one rune per chunk: the
// verified answer is the same as without streaming.
func TestAskStreamChunkingDoesNotMatter(t *testing.T) {
	text := "Theo quy định, «Ủy ban nhân dân cấp xã thực hiện đăng ký kết hôn có yếu tố nước ngoài» [2, 1]. " +
		"Trước đây việc này do cấp huyện làm [1].\nAnh/chị cần hỗ trợ thêm cứ gọi lại."
	var runes []string
	for _, r := range text {
		runes = append(runes, string(r))
	}
	srv := openaitest.NewServer(t)
	srv.Script(openaitest.Reply{Text: text, Chunks: runes}, openaitest.Answer(text))
	a, lib := newAskAssistant(t, openai.NewChat(srv.URL, "", "fake", 5*time.Second))
	req := handbook.AskRequest{Question: llmQuestion, Filter: askPublic()}
	var events []handbook.Event
	if err := a.AskStream(t.Context(), req, func(e handbook.Event) error { events = append(events, e); return nil }); err != nil {
		t.Fatal(err)
	}
	streamed := checkStream(t, lib, events)
	whole := ask(t, a, req)
	if streamed.Fallback != "" || whole.Fallback != "" || streamed.Text != whole.Text {
		t.Fatalf("streamed %q (%s %s)\nwhole %q (%s %s)", streamed.Text, streamed.Fallback, streamed.FallbackDetail,
			whole.Text, whole.Fallback, whole.FallbackDetail)
	}
	// Markers are renumbered in order of first use: [2, 1] becomes [1][2].
	if !strings.Contains(whole.Text, "» [1][2].") || len(whole.Citations) != 2 {
		t.Errorf("text %q with %d citations, want renumbered markers", whole.Text, len(whole.Citations))
	}
	checkAnswerCitations(t, lib, whole)
}

func TestAskStreamStopsWhenEmitFails(t *testing.T) {
	srv := openaitest.NewServer(t)
	a, _ := newAskAssistant(t, openai.NewChat(srv.URL, "", "fake", 5*time.Second))
	gone := errors.New("client gone")
	n := 0
	err := a.AskStream(t.Context(), handbook.AskRequest{Question: llmQuestion, Filter: askPublic()}, func(e handbook.Event) error {
		n++
		if n == 2 {
			return gone
		}
		return nil
	})
	if !errors.Is(err, gone) {
		t.Errorf("AskStream() error = %v, want the emit error", err)
	}
}

func TestAskCancelledIsAnError(t *testing.T) {
	srv := openaitest.NewServer(t)
	srv.Script(openaitest.Stall(30 * time.Second))
	a, _ := newAskAssistant(t, openai.NewChat(srv.URL, "", "fake", time.Minute))
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := a.Ask(ctx, handbook.AskRequest{Question: llmQuestion, Filter: askPublic()}); !errors.Is(err, context.Canceled) {
		t.Errorf("Ask(cancelled) error = %v, want context.Canceled", err)
	}
}

func TestAskModes(t *testing.T) {
	srv := openaitest.NewServer(t)
	a, _ := newAskAssistant(t, openai.NewChat(srv.URL, "", "fake", 5*time.Second))
	// Procedure questions are answered from the card without the LLM…
	ans := ask(t, a, handbook.AskRequest{Question: "làm giấy khai sinh cần gì", Filter: askPublic()})
	if ans.ModeUsed != handbook.ModeProcedure || len(srv.ChatRequests()) != 0 {
		t.Errorf("auto procedure question: mode %q, %d LLM calls", ans.ModeUsed, len(srv.ChatRequests()))
	}
	// …unless the caller asks for the LLM; the card stays attached.
	ans = ask(t, a, handbook.AskRequest{Question: "làm giấy khai sinh cần gì", Mode: handbook.AskLLM, Filter: askPublic()})
	if ans.ModeUsed != handbook.ModeLLM || ans.Procedure == nil || len(srv.ChatRequests()) != 1 {
		t.Errorf("llm procedure question: mode %q card %v, %d LLM calls", ans.ModeUsed, ans.Procedure != nil, len(srv.ChatRequests()))
	}
	// Extractive never calls the LLM.
	ans = ask(t, a, handbook.AskRequest{Question: llmQuestion, Mode: handbook.AskExtractive, Filter: askPublic()})
	if ans.ModeUsed != handbook.ModeExtractive || len(srv.ChatRequests()) != 1 {
		t.Errorf("extractive: mode %q, %d LLM calls", ans.ModeUsed, len(srv.ChatRequests()))
	}
	// Not answerable never calls the LLM either.
	ask(t, a, handbook.AskRequest{Question: "thời tiết hà nội ngày mai", Filter: askPublic()})
	if n := len(srv.ChatRequests()); n != 1 {
		t.Errorf("not answerable: %d LLM calls", n)
	}
	// LLM mode without an LLM says so.
	b, _ := newAskAssistant(t, nil)
	ans = ask(t, b, handbook.AskRequest{Question: llmQuestion, Mode: handbook.AskLLM, Filter: askPublic()})
	if ans.Fallback != handbook.FallbackNotConfigured || ans.ModeUsed != handbook.ModeExtractive {
		t.Errorf("llm without LLM: %q %q", ans.ModeUsed, ans.Fallback)
	}
}

// TestAudienceNeverReachesPublicPrompt inspects the prompt the fake server
// received: internal chunks reach an internal caller's prompt only.
func TestAudienceNeverReachesPublicPrompt(t *testing.T) {
	const q = "đặt lại mật khẩu quản trị phần mềm một cửa điện tử"
	for _, tc := range []struct {
		name   string
		filter handbook.Filter
		leak   bool
	}{{"public", askPublic(), false}, {"internal", askInternal(), true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := openaitest.NewServer(t)
			a, _ := newAskAssistant(t, openai.NewChat(srv.URL, "", "fake", 5*time.Second))
			ans := ask(t, a, handbook.AskRequest{Question: q, Form: handbook.FormFull, Filter: tc.filter})
			reqs := srv.ChatRequests()
			if len(reqs) != 1 {
				t.Fatalf("chat requests = %d, want 1 (the public guide answers)", len(reqs))
			}
			if got := strings.Contains(reqs[0].Prompt(), askInternalMarker); got != tc.leak {
				t.Errorf("prompt contains the internal marker = %v, want %v", got, tc.leak)
			}
			if !tc.leak {
				dump := ans.Text + ans.Notice
				for _, c := range ans.Citations {
					dump += c.Doc + c.Quote
				}
				for _, h := range ans.Nearest {
					dump += h.DocID + h.Snippet + h.Text
				}
				if strings.Contains(dump, askInternalMarker) || strings.Contains(dump, "mot-cua-quan-tri") {
					t.Errorf("internal content in a public answer: %s", dump)
				}
			}
		})
	}
}

// leakyIndex ignores the caller's filter, as a buggy backend might: the
// Assistant must still keep internal and expired chunks out.
type leakyIndex struct{ handbook.KeywordIndex }

func (l leakyIndex) Search(ctx context.Context, q handbook.Query, f handbook.Filter, k int) ([]handbook.Hit, error) {
	return l.KeywordIndex.Search(ctx, q, handbook.Filter{Audience: handbook.AudienceInternal}, k)
}

func TestDefenceInDepth(t *testing.T) {
	srv := openaitest.NewServer(t)
	a, lib := newAskAssistant(t, openai.NewChat(srv.URL, "", "fake", 5*time.Second))
	a.Retriever.Keyword = leakyIndex{a.Retriever.Keyword}
	for _, q := range []string{"đặt lại mật khẩu quản trị phần mềm một cửa điện tử " + askInternalMarker, "lệ phí đăng ký khai sinh quá hạn 5.000 đồng cấp huyện"} {
		for _, mode := range []handbook.AskMode{handbook.AskAuto, handbook.AskExtractive} {
			ans := ask(t, a, handbook.AskRequest{Question: q, Mode: mode, Form: handbook.FormFull, Filter: askPublic()})
			for _, c := range ans.Citations {
				if c.Doc == "technology/mot-cua-quan-tri" || c.Doc == "regulations/nd-158-2005" {
					t.Errorf("Ask(%q, %s) cites %s", q, mode, c.Doc)
				}
			}
			for _, h := range ans.Nearest {
				if h.DocID == "technology/mot-cua-quan-tri" || h.DocID == "regulations/nd-158-2005" {
					t.Errorf("Ask(%q, %s) offers %s", q, mode, h.DocID)
				}
			}
			checkAnswerCitations(t, lib, ans)
		}
	}
	for _, r := range srv.ChatRequests() {
		if strings.Contains(r.Prompt(), "dùng mã "+askInternalMarker) || strings.Contains(r.Prompt(), "5.000 đồng do") {
			t.Errorf("filtered chunk reached the prompt:\n%s", r.Prompt())
		}
	}
}

func TestConversationsExpire(t *testing.T) {
	now := askToday
	m := handbook.NewConversations(time.Minute, 2)
	m.Now = func() time.Time { return now }
	id := m.Put(handbook.Conversation{Focus: khaiSinh, History: []string{"a"}})
	if got := m.Merge(handbook.Conversation{ID: id}); got.Focus != khaiSinh || len(got.History) != 1 {
		t.Errorf("Merge = %+v", got)
	}
	now = now.Add(2 * time.Minute)
	if got := m.Merge(handbook.Conversation{ID: id}); got.Focus != "" {
		t.Errorf("Merge after TTL = %+v, want nothing", got)
	}
	m.Put(handbook.Conversation{ID: "x"})
	m.Put(handbook.Conversation{ID: "y"})
	m.Put(handbook.Conversation{ID: "z", Focus: ketHon})
	if got := m.Merge(handbook.Conversation{ID: "z"}); got.Focus != ketHon {
		t.Errorf("newest entry evicted")
	}
}

func TestDetectAspect(t *testing.T) {
	tests := map[string]handbook.Aspect{
		"thế lệ phí bao nhiêu?":           handbook.AspectFee,
		"het bao nhieu tien":              handbook.AspectFee,
		"cần giấy tờ gì":                  handbook.AspectDocuments,
		"can mang theo nhung gi":          handbook.AspectDocuments,
		"mất bao lâu":                     handbook.AspectTimeLimit,
		"may ngay thi co":                 handbook.AspectTimeLimit,
		"nộp ở đâu":                       handbook.AspectWhere,
		"lam o xa nao":                    handbook.AspectWhere,
		"nộp online được không":           handbook.AspectOnline,
		"tren vneid co lam duoc khong":    handbook.AspectOnline,
		"số điện thoại hỗ trợ":            handbook.AspectHotline,
		"căn cứ pháp lý là văn bản nào":   handbook.AspectLegalBasis,
		"các bước thực hiện":              handbook.AspectSteps,
		"đăng ký khai sinh":               "",
		nfd("lệ phí đăng ký kết hôn"):     handbook.AspectFee,
		"khai sinh cho con ở phường nào?": handbook.AspectWhere,
	}
	for q, want := range tests {
		if got := handbook.DetectAspect(q); got != want {
			t.Errorf("DetectAspect(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestSentences(t *testing.T) {
	got := handbook.Sentences("1. Lệ phí là 8.000 đồng. Nộp tại xã.\n- Hồ sơ gồm: tờ khai\n\nTP. hà nội thì khác! Xong")
	want := []string{"1. Lệ phí là 8.000 đồng.", "Nộp tại xã.", "Hồ sơ gồm: tờ khai", "TP. hà nội thì khác!", "Xong"}
	if !slices.Equal(got, want) {
		t.Errorf("Sentences = %q, want %q", got, want)
	}
}
