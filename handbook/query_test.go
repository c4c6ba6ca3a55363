package handbook_test

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"sotay/handbook"
)

func testAnalyzer() *handbook.Analyzer {
	th := &handbook.Thesaurus{}
	th.AddGroup("căn cước công dân", "CCCD", "thẻ căn cước")
	th.Add("sổ đỏ", "giấy chứng nhận quyền sử dụng đất")
	th.Add("nhập khẩu", "đăng ký thường trú")
	th.Add("giấy độc thân", "giấy xác nhận tình trạng hôn nhân")
	vocab := map[string]struct{}{}
	for _, w := range handbook.FoldedSyllables("đăng ký khai sinh kết hôn đường giấy chứng nhận thường trú căn cước công dân") {
		vocab[w] = struct{}{}
	}
	return &handbook.Analyzer{Thesaurus: th, Vocab: vocab}
}

func TestAnalyzeSameTermsAcrossTypingStyles(t *testing.T) {
	a := testAnalyzer()
	want := []string{"dang", "ky", "khai", "sinh"}
	for _, in := range []string{
		"Đăng ký khai sinh",
		norm.NFD.String("Đăng ký khai sinh"),
		"dang ky khai sinh",
		"DANG KY KHAI SINH",
		"ddawng kys khai sinhf", // Telex leftovers
		"dang1 ky khai sinh",    // VNI leftover
	} {
		q, err := a.Analyze(in)
		if err != nil {
			t.Fatalf("Analyze(%q): %v", in, err)
		}
		if !slices.Equal(q.Terms, want) {
			t.Errorf("Analyze(%q).Terms = %q, want %q", in, q.Terms, want)
		}
	}
}

func TestAnalyzeRepairsOnlyUnknownSyllables(t *testing.T) {
	a := testAnalyzer()
	// "kys" → "ky" is a repair, but "ket" is known and must stay.
	q, _ := a.Analyze("ket hon")
	if q.Repaired || !slices.Equal(q.Terms, []string{"ket", "hon"}) {
		t.Errorf("Analyze(ket hon) = %+v", q)
	}
	// No vocabulary: nothing is repaired.
	q, _ = (&handbook.Analyzer{}).Analyze("sinhf")
	if q.Terms[0] != "sinhf" {
		t.Errorf("without vocabulary got %q", q.Terms)
	}
}

func TestThesaurusExpansion(t *testing.T) {
	a := testAnalyzer()
	tests := []struct {
		in   string
		want string // an expansion that must be present ("" = none expected)
	}{
		{"làm lại sổ đỏ", "giấy chứng nhận quyền sử dụng đất"},
		{"lam lai so do", "giấy chứng nhận quyền sử dụng đất"},
		{"cccd bị mất", "căn cước công dân"},
		{"căn cước công dân hết hạn", "CCCD"},
		{"nhap khau cho con", "đăng ký thường trú"},
		{"xin giay doc than", "giấy xác nhận tình trạng hôn nhân"},
		{"số đo chiều cao", ""}, // folds like "sổ đỏ" but diacritics disagree
	}
	for _, tc := range tests {
		q, err := a.Analyze(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" {
			if len(q.Expansions) != 0 {
				t.Errorf("Analyze(%q).Expansions = %q, want none", tc.in, q.Expansions)
			}
			continue
		}
		if !slices.Contains(q.Expansions, tc.want) {
			t.Errorf("Analyze(%q).Expansions = %q, want %q among them", tc.in, q.Expansions, tc.want)
		}
	}
}

func TestAnalyzeRejectsBadQueries(t *testing.T) {
	a := testAnalyzer()
	for _, in := range []string{"", "   ", "?!…", strings.Repeat("khai sinh ", 1000)} {
		_, err := a.Analyze(in)
		if handbook.ErrorCode(err) != handbook.Invalid {
			t.Errorf("Analyze(%.20q) error = %v, want invalid", in, err)
		}
		if msg := handbook.ErrorMessage(err); !handbook.HasDiacritics(msg) {
			t.Errorf("message %q is not Vietnamese", msg)
		}
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{"khai sinhf", "so do", "CCCD", "ddawng kys", "\x00\xff", "dieu 5 khoan 2 nd 120/2025"} {
		f.Add(s)
	}
	a := testAnalyzer()
	f.Fuzz(func(t *testing.T, s string) {
		q, err := a.Analyze(s)
		if err != nil {
			if handbook.ErrorCode(err) != handbook.Invalid {
				t.Errorf("Analyze(%q) error code %s", s, handbook.ErrorCode(err))
			}
			return
		}
		if len(q.Terms) == 0 || len(q.Terms) != len(q.Exact) {
			t.Errorf("Analyze(%q) = %+v", s, q)
		}
	})
}

func TestAnalyzerMarksCommonSyllables(t *testing.T) {
	a := &handbook.Analyzer{
		Thesaurus: &handbook.Thesaurus{},
		DF:        map[string]int{"thu": 9000, "tuc": 6000, "khai": 400, "sinh": 5200},
		N:         100000, CommonShare: 0.05, CommonMinDF: 1000,
	}
	q, err := a.Analyze("thủ tục khai sinh")
	if err != nil {
		t.Fatal(err)
	}
	if !q.Common["thu"] || !q.Common["tuc"] || !q.Common["sinh"] || q.Common["khai"] {
		t.Errorf("Common = %v, want thu, tuc and sinh (over 5%% of 100k chunks), not khai", q.Common)
	}
	a.N, a.DF = 2000, map[string]int{"thu": 900, "tuc": 950, "khai": 40, "sinh": 120}
	if q, _ := a.Analyze("thủ tục khai sinh"); len(q.Common) != 0 {
		t.Errorf("Common = %v on a small corpus, want none under the %d-chunk floor", q.Common, a.CommonMinDF)
	}
}
