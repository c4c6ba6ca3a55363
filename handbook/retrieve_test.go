package handbook_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"sotay/handbook"
)

func hit(id string) handbook.Hit {
	doc, anchor, _ := strings.Cut(id, "#")
	return handbook.Hit{ChunkID: id, DocID: doc, Anchor: anchor}
}

func ids(hits []handbook.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.ChunkID)
	}
	return out
}

func TestFuseReciprocalRank(t *testing.T) {
	lex := []handbook.Hit{hit("a#1"), hit("b#1"), hit("c#1")}
	vec := []handbook.Hit{hit("c#1"), hit("b#1"), hit("d#1")}
	got := ids(handbook.Fuse(handbook.Fusion{K: 60}, lex, vec))
	// b: 1/62+1/62, c: 1/63+1/61, a: 1/61, d: 1/63.
	want := []string{"c#1", "b#1", "a#1", "d#1"}
	if !slices.Equal(got, want) {
		t.Errorf("Fuse = %q, want %q", got, want)
	}
	// Weights: a lexical-heavy fusion keeps the lexical order on top.
	got = ids(handbook.Fuse(handbook.Fusion{K: 60, LexicalWeight: 1, VectorWeight: 0.01}, lex, vec))
	if want := []string{"a#1", "b#1", "c#1", "d#1"}; !slices.Equal(got, want) {
		t.Errorf("lexical-weighted Fuse = %q, want %q", got, want)
	}
}

func TestSnippetMarksFoldedMatches(t *testing.T) {
	a := testAnalyzer()
	q, _ := a.Analyze("dang ky khai sinh")
	text := "Người đi <b>đăng ký</b> khai sinh nộp tờ khai theo mẫu."
	got := handbook.Snippet(text, q, 200)
	for _, want := range []string{"<mark>đăng</mark>", "<mark>khai</mark> <mark>sinh</mark>", "&lt;b&gt;"} {
		if !strings.Contains(got, want) {
			t.Errorf("Snippet = %q, lacks %q", got, want)
		}
	}
	if strings.Contains(got, "<b>") {
		t.Errorf("Snippet did not escape HTML: %q", got)
	}
	long := strings.Repeat("không liên quan ", 100) + "thời hạn đăng ký khai sinh là 60 ngày" + strings.Repeat(" khác", 100)
	got = handbook.Snippet(long, q, 120)
	if !strings.Contains(got, "<mark>khai</mark>") || len([]rune(got)) > 400 {
		t.Errorf("window not centred on matches: %q", got)
	}
}

func TestRerankPrefersVerbatimRunAndTitle(t *testing.T) {
	a := testAnalyzer()
	q, _ := a.Analyze("thu tuc dang ky khai sinh")
	hits := []handbook.Hit{
		{ChunkID: "x#dieu-3", DocID: "x", Anchor: "dieu-3", Heading: "Điều 3. Giải thích từ ngữ", Text: "đăng ký; khai; sinh; thủ tục", Score: 1.0},
		{ChunkID: "x#dieu-16", DocID: "x", Anchor: "dieu-16", Heading: "Điều 16. Thủ tục đăng ký khai sinh", Text: "Người đi đăng ký khai sinh nộp tờ khai.", Score: 0.9},
	}
	got := handbook.Rerank(q, hits)
	if got[0].ChunkID != "x#dieu-16" {
		t.Errorf("Rerank order = %q, want dieu-16 first", ids(got))
	}
}

func TestEvaluate(t *testing.T) {
	cases := []handbook.EvalCase{
		{ID: "1", Query: "a", Relevant: []handbook.Reference{{Doc: "d1"}}},
		{ID: "2", Query: "b", Relevant: []handbook.Reference{{Doc: "d2", Article: "dieu-5"}}},
		{ID: "3", Query: "c", Relevant: []handbook.Reference{{Doc: "d9"}}},
	}
	results := map[string][]handbook.Hit{
		"a": {hit("d1#")},
		"b": {hit("d1#"), hit("d2#dieu-5-khoan-2")}, // a clause of the wanted article counts
		"c": {hit("d1#")},
	}
	rep, err := handbook.Evaluate(context.Background(), cases, func(_ context.Context, q string) ([]handbook.Hit, error) {
		return results[q], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.R1 != 1.0/3 || rep.R5 != 2.0/3 || rep.MRR10 != (1+0.5)/3 {
		t.Errorf("report = %+v", rep)
	}
	if len(rep.Misses) != 2 || rep.Misses[1].Rank != 0 {
		t.Errorf("misses = %+v", rep.Misses)
	}
}

func TestReadEvalCases(t *testing.T) {
	in := `{"id":"a","query":"khai sinh","relevant":[{"doc":"procedures/ho-tich/dang-ky-khai-sinh"}]}

{"id":"b","query":"dieu 16","relevant":[{"doc":"regulations/luat-ho-tich-2014","anchor":"dieu-16"}]}
`
	cases, err := handbook.ReadEvalCases(strings.NewReader(in), "gold.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 2 || cases[1].Relevant[0].Article != "dieu-16" || cases[1].Source != "gold.jsonl:3" {
		t.Errorf("cases = %+v", cases)
	}
	if _, err := handbook.ReadEvalCases(strings.NewReader(`{"id":"x","query":""}`), "g"); err == nil {
		t.Error("a case without query was accepted")
	}
}

func TestDefaultCandidates(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{0, 40}, {1700, 40}, {10000, 40}, {40000, 80}, {100000, 126}, {1000000, 160}} {
		if got := handbook.DefaultCandidates(tc.n); got != tc.want {
			t.Errorf("DefaultCandidates(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}
