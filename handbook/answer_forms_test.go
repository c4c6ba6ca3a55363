package handbook_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sotay/handbook"
	"sotay/handbook/openai"
	"sotay/handbook/openai/openaitest"
)

// newAskAssistantDocs is newAskAssistant on askDocs changed by edit, so
// that a test can add what it needs without moving the other tests'
// retrieval.
func newAskAssistantDocs(t testing.TB, llm handbook.LLM, edit func(docs map[string]*handbook.Document)) (*handbook.Assistant, *handbook.Library) {
	t.Helper()
	docs := askDocs()
	byID := map[string]*handbook.Document{}
	for _, d := range docs {
		byID[d.ID] = d
	}
	edit(byID)
	// Documents the edit added come after the fixture's, in id order.
	var added []string
	for id := range byID {
		if !slices.ContainsFunc(docs, func(d *handbook.Document) bool { return d.ID == id }) {
			added = append(added, id)
		}
	}
	slices.Sort(added)
	for _, id := range added {
		docs = append(docs, byID[id])
	}
	th := &handbook.Thesaurus{}
	th.Add("nhập khẩu", "đăng ký thường trú")
	lib := handbook.NewLibrary(docs, th, nil)
	r := &handbook.Retriever{Keyword: askIndex(t, lib)}
	r.SetAnalyzer(handbook.NewAnalyzer(lib))
	return &handbook.Assistant{
		Retriever: r, Library: func() *handbook.Library { return lib }, LLM: llm, Prompt: askPrompt,
		PromptVersion: "test-1", Now: func() time.Time { return askToday },
	}, lib
}

var markerStrip = regexp.MustCompile(`\s*\[\d+\]`)

// sentences counts what an operator reads: sentences without markers.
func sentences(text string) int {
	return len(handbook.Sentences(markerStrip.ReplaceAllString(text, "")))
}

const ketHonReform = "Kết hôn có yếu tố nước ngoài trước đây do Ủy ban nhân dân cấp huyện đăng ký; từ 01/7/2025 do Ủy ban nhân dân cấp xã đăng ký, thời hạn 05 ngày làm việc."

// withKetHonDetails gives the kết hôn card a reform note, a conditional
// document and a fee of three sentences.
func withKetHonDetails(docs map[string]*handbook.Document) {
	p := docs[ketHon]
	p.ReformNote = ketHonReform
	p.Procedure.Documents = append(p.Procedure.Documents,
		handbook.DossierItem{Name: "Giấy xác nhận tình trạng hôn nhân", Copies: "01 bản chính",
			Note: "Chỉ khi một bên là người nước ngoài; do cơ quan có thẩm quyền của nước đó cấp."},
		handbook.DossierItem{Name: "Giấy tờ tùy thân của hai bên", Copies: "xuất trình bản chính",
			Note: "Gửi qua bưu chính thì kèm bản sao có chứng thực."})
	p.Procedure.Fee = "Miễn lệ phí đối với công dân Việt Nam cư trú trong nước. Có yếu tố nước ngoài: theo mức Hội đồng nhân dân tỉnh quy định. Cấp bản sao trích lục: theo mức của tỉnh."
}

func TestProcedureAnswerDetails(t *testing.T) {
	a, lib := newAskAssistantDocs(t, nil, withKetHonDetails)
	tests := []struct {
		name, question string
		form           handbook.AnswerForm
		want, not      []string
		lead           string // the line after the procedure's name
	}{
		{name: "short form keeps the condition of a document", question: "đăng ký kết hôn cần giấy tờ gì",
			want: []string{"Giấy xác nhận tình trạng hôn nhân (01 bản chính; chỉ khi một bên là người nước ngoài)",
				"Giấy tờ tùy thân của hai bên (xuất trình bản chính)"},
			not: []string{"do cơ quan có thẩm quyền của nước đó cấp", "bưu chính", "Thay đổi từ ngày 01/7/2025"}},
		{name: "full form gives every note and the reform", question: "đăng ký kết hôn cần giấy tờ gì", form: handbook.FormFull,
			want: []string{"Hồ sơ gồm:\n- Tờ khai đăng ký kết hôn (01 bản chính).\n",
				"- Giấy xác nhận tình trạng hôn nhân (01 bản chính): Chỉ khi một bên là người nước ngoài; do cơ quan có thẩm quyền của nước đó cấp.\n",
				"- Giấy tờ tùy thân của hai bên (xuất trình bản chính): Gửi qua bưu chính thì kèm bản sao có chứng thực. [1]",
				"Thay đổi từ ngày 01/7/2025: " + ketHonReform + " [1]", "Căn cứ pháp lý: Điều 11 Luật Hộ tịch 2014 [2]."}},
		{name: "short form reads the reform note for the case it is about", question: "đăng ký kết hôn với người nước ngoài mất bao lâu",
			lead: "Thời hạn giải quyết: Ngay trong ngày. [1]", want: []string{"Thay đổi từ ngày 01/7/2025: " + ketHonReform}},
		{name: "short form reads the reform note for a question on the place", question: "đăng ký kết hôn nộp ở đâu",
			lead: "Nơi nộp hồ sơ:", want: []string{"Thay đổi từ ngày 01/7/2025: "}},
		{name: "no reform note when the question is not about it", question: "đăng ký kết hôn mất bao lâu",
			lead: "Thời hạn giải quyết:", not: []string{"Thay đổi từ ngày 01/7/2025"}},
		{name: "legal basis leads once", question: "căn cứ pháp lý của thủ tục đăng ký kết hôn",
			lead: "Căn cứ pháp lý: Điều 11 Luật Hộ tịch 2014 [2]."},
		{name: "a fact the page lacks is said so", question: "đăng ký kết hôn gọi số điện thoại nào",
			lead: "Trang thủ tục chưa ghi số điện thoại hỗ trợ; anh/chị vui lòng hỏi cơ quan giải quyết. [1]"},
		{name: "the fee asked about is read whole", question: "đăng ký kết hôn lệ phí bao nhiêu",
			lead: "Lệ phí: Miễn lệ phí đối với công dân Việt Nam cư trú trong nước. Có yếu tố nước ngoài: theo mức Hội đồng nhân dân tỉnh quy định. Cấp bản sao trích lục: theo mức của tỉnh. [1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form := tc.form
			if form == "" {
				form = handbook.FormShort
			}
			ans := ask(t, a, handbook.AskRequest{Question: tc.question, Form: form, Filter: askPublic()})
			if ans.ModeUsed != handbook.ModeProcedure || ans.Procedure == nil || ans.Procedure.Doc != ketHon {
				t.Fatalf("Ask(%q) = mode %q procedure %+v, want the kết hôn card", tc.question, ans.ModeUsed, ans.Procedure)
			}
			lines := strings.Split(ans.Text, "\n")
			if tc.lead != "" && (len(lines) < 2 || !strings.HasPrefix(lines[1], tc.lead)) {
				t.Errorf("Ask(%q) second line does not start with %q:\n%s", tc.question, tc.lead, ans.Text)
			}
			for _, w := range tc.want {
				if !strings.Contains(ans.Text, w) {
					t.Errorf("Ask(%q) lacks %q:\n%s", tc.question, w, ans.Text)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(ans.Text, w) {
					t.Errorf("Ask(%q) has %q:\n%s", tc.question, w, ans.Text)
				}
			}
			if n := strings.Count(ans.Text, "Căn cứ pháp lý"); n > 1 {
				t.Errorf("Ask(%q) lists the legal bases %d times:\n%s", tc.question, n, ans.Text)
			}
			if n := sentences(ans.Text); form == handbook.FormShort && (n < 3 || n > 6) {
				t.Errorf("Ask(%q) short form reads as %d sentences, want 3–6:\n%s", tc.question, n, ans.Text)
			}
			checkAnswerCitations(t, lib, ans)
		})
	}
}

// TestShortFormLLM: a model that writes nine sentences for the short form
// is cut after six, its citations with it; the full form keeps all nine;
// streamed and whole answers agree.
func TestShortFormLLM(t *testing.T) {
	for _, form := range []handbook.AnswerForm{handbook.FormShort, handbook.FormFull} {
		srv := openaitest.NewServer(t)
		srv.SetDefault(openaitest.LongCitedAnswer(9))
		a, lib := newAskAssistant(t, openai.NewChat(srv.URL, "", "fake", 5*time.Second))
		req := handbook.AskRequest{Question: llmQuestion, Form: form, Filter: askPublic()}
		whole := ask(t, a, req)
		var events []handbook.Event
		if err := a.AskStream(t.Context(), req, func(e handbook.Event) error { events = append(events, e); return nil }); err != nil {
			t.Fatal(err)
		}
		streamed := checkStream(t, lib, events)
		want := 6
		if form == handbook.FormFull {
			want = 9
		}
		for _, ans := range []*handbook.Answer{whole, streamed} {
			if ans.ModeUsed != handbook.ModeLLM || ans.Fallback != "" {
				t.Fatalf("%s: mode %q fallback %q (%s), want an LLM answer", form, ans.ModeUsed, ans.Fallback, ans.FallbackDetail)
			}
			if n := sentences(ans.Text); n != want {
				t.Errorf("%s: %d sentences, want %d:\n%s", form, n, want, ans.Text)
			}
			if len(ans.Citations) != 1 {
				t.Errorf("%s: %d citations, want 1", form, len(ans.Citations))
			}
			checkAnswerCitations(t, lib, ans)
		}
		if whole.Text != streamed.Text {
			t.Errorf("%s: streamed %q, whole %q", form, streamed.Text, whole.Text)
		}
	}
}

// TestShortFormCutKeepsOnlyUsedCitations: the groups dropped by the cut
// take their citations with them.
func TestShortFormCutKeepsOnlyUsedCitations(t *testing.T) {
	srv := openaitest.NewServer(t)
	srv.SetDefault(openaitest.Reply{Build: func(r openaitest.ChatRequest) string {
		ex := openaitest.Excerpts(r)
		if len(ex) < 2 {
			return "Không đủ đoạn trích."
		}
		return strings.Repeat("Văn bản ghi như vậy [1]. ", 6) + "Đoạn khác cũng nói vậy [2]."
	}})
	a, lib := newAskAssistant(t, openai.NewChat(srv.URL, "", "fake", 5*time.Second))
	ans := ask(t, a, handbook.AskRequest{Question: llmQuestion, Filter: askPublic()})
	if ans.ModeUsed != handbook.ModeLLM || len(ans.Citations) != 1 || strings.Contains(ans.Text, "[2]") || sentences(ans.Text) != 6 {
		t.Errorf("answer = mode %q fallback %q, %d citations:\n%s\nwant six sentences citing [1] only", ans.ModeUsed, ans.Fallback, len(ans.Citations), ans.Text)
	}
	checkAnswerCitations(t, lib, ans)
}

// TestExtractiveShortFormLength: over the fixture's questions the short
// extractive answer stays within six sentences, labels included.
func TestExtractiveShortFormLength(t *testing.T) {
	a, lib := newAskAssistant(t, nil)
	for _, q := range askBenchQuestions {
		for _, form := range []handbook.AnswerForm{handbook.FormShort, handbook.FormFull} {
			ans := ask(t, a, handbook.AskRequest{Question: q, Mode: handbook.AskExtractive, Form: form, Filter: askPublic()})
			if n := sentences(ans.Text); form == handbook.FormShort && ans.Answerable && n > 6 {
				t.Errorf("Ask(%q) short form reads as %d sentences:\n%s", q, n, ans.Text)
			}
			checkAnswerCitations(t, lib, ans)
		}
	}
}

func TestDraftPagesCarryNotice(t *testing.T) {
	a, lib := newAskAssistantDocs(t, nil, func(docs map[string]*handbook.Document) {
		docs["regulations/nd-120-2025"].Status = handbook.StatusDraft
	})
	ans := ask(t, a, handbook.AskRequest{Question: llmQuestion, Filter: askPublic()})
	if ans.ModeUsed != handbook.ModeExtractive || ans.Citations[0].Doc != "regulations/nd-120-2025" {
		t.Fatalf("Ask(%q) = %q citing %+v, want an extractive answer from NĐ 120", llmQuestion, ans.ModeUsed, ans.Citations)
	}
	want := "Lưu ý: trang Nghị định số 120/2025/NĐ-CP trong Sổ tay chưa được xác minh đầy đủ; vui lòng đối chiếu văn bản gốc trước khi trả lời chắc chắn."
	if ans.Notice != want {
		t.Errorf("Notice = %q, want %q", ans.Notice, want)
	}
	checkAnswerCitations(t, lib, ans)

	// The same through the LLM: the verified answer cites the draft.
	srv := openaitest.NewServer(t)
	a.LLM = openai.NewChat(srv.URL, "", "fake", 5*time.Second)
	ans = ask(t, a, handbook.AskRequest{Question: llmQuestion, Filter: askPublic()})
	if ans.ModeUsed != handbook.ModeLLM || ans.Notice != want {
		t.Errorf("LLM answer mode %q notice %q, want %q", ans.ModeUsed, ans.Notice, want)
	}

	// Published pages need no notice.
	b, _ := newAskAssistant(t, nil)
	if ans := ask(t, b, handbook.AskRequest{Question: llmQuestion, Filter: askPublic()}); ans.Notice != "" {
		t.Errorf("published sources: notice %q, want none", ans.Notice)
	}
}

// TestNotInForceNeverReachesPrompt: with an index that ignores the filter,
// a regulation that takes effect after the day of the question and one
// that has expired stay out of the prompt the fake server receives and out
// of the answer, as do their quotes.
func TestNotInForceNeverReachesPrompt(t *testing.T) {
	const future = "regulations/nd-du-thao-2027"
	srv := openaitest.NewServer(t)
	a, lib := newAskAssistantDocs(t, openai.NewChat(srv.URL, "", "fake", 5*time.Second), func(docs map[string]*handbook.Document) {
		docs[future] = &handbook.Document{
			ID: future, Kind: handbook.KindRegulation, Title: "Nghị định sửa đổi lệ phí đăng ký khai sinh quá hạn",
			Audience: handbook.AudiencePublic, Status: handbook.StatusPublished,
			Regulation: &handbook.Regulation{Number: "1/2027/NĐ-CP", DocType: "Nghị định", Effective: handbook.MustDate("2027-01-01")},
			Sections: []handbook.Section{askArticle("dieu-1", "Điều 1. Lệ phí đăng ký khai sinh quá hạn", "Lệ phí đăng ký khai sinh quá hạn",
				"Lệ phí đăng ký khai sinh quá hạn là 7.777 đồng do Ủy ban nhân dân cấp xã thu.")},
		}
	})
	if _, ok := lib.Doc(future); !ok {
		t.Fatal("the future regulation is not in the library")
	}
	a.Retriever.Keyword = leakyIndex{a.Retriever.Keyword}
	for _, mode := range []handbook.AskMode{handbook.AskAuto, handbook.AskLLM, handbook.AskExtractive} {
		ans := ask(t, a, handbook.AskRequest{Question: "lệ phí đăng ký khai sinh quá hạn bao nhiêu đồng", Mode: mode, Form: handbook.FormFull, Filter: askPublic()})
		for _, c := range ans.Citations {
			if c.Doc == future || c.Doc == "regulations/nd-158-2005" {
				t.Errorf("%s answer cites %s, not in force on %s", mode, c.Doc, askToday.Format(time.DateOnly))
			}
		}
		if strings.Contains(ans.Text, "7.777") || strings.Contains(ans.Text, "5.000") {
			t.Errorf("%s answer quotes a fee not in force:\n%s", mode, ans.Text)
		}
	}
	if len(srv.ChatRequests()) == 0 {
		t.Fatal("the model was never asked: the test checks nothing")
	}
	for _, r := range srv.ChatRequests() {
		if p := r.Prompt(); strings.Contains(p, "7.777") || strings.Contains(p, "5.000 đồng do") {
			t.Errorf("a chunk not in force reached the prompt:\n%s", p)
		}
	}
}
