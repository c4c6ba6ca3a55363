package handbook_test

import (
	"slices"
	"testing"

	"sotay/handbook"
)

func TestLegalReferencesInQuestions(t *testing.T) {
	reg := func(id, typ, number string) *handbook.Document {
		return &handbook.Document{ID: id, Kind: handbook.KindRegulation, Title: id,
			Regulation: &handbook.Regulation{DocType: typ, Number: number}}
	}
	lib := handbook.NewLibrary([]*handbook.Document{
		reg("regulations/nd-01-2021", "Nghị định", "01/2021/NĐ-CP"),
		reg("regulations/nd-23-2015", "Nghị định", "23/2015/NĐ-CP"),
		reg("regulations/luat-to-chuc-chinh-quyen-dia-phuong-2015", "Luật", "77/2015/QH13"),
	}, nil, nil)
	a := handbook.NewAnalyzer(lib)
	tests := []struct {
		q       string
		docs    []string
		article string
	}{
		{"nd 01/2021 con hieu luc khong", []string{"regulations/nd-01-2021"}, ""},
		{"Nghị định số 01/2021/NĐ-CP", []string{"regulations/nd-01-2021"}, ""},
		{"luat 77/2015/qh13 con hieu luc ko", []string{"regulations/luat-to-chuc-chinh-quyen-dia-phuong-2015"}, ""},
		{"nđ23 điều 5 chứng thực", []string{"regulations/nd-23-2015"}, "dieu-5"},
		{"luật hộ tịch điều 16", nil, "dieu-16"},
		{"điều 10a", nil, "dieu-10a"},
		{"nộp 2 bản trong 15/2024 ngày", nil, ""}, // a number no text carries
	}
	for _, tc := range tests {
		q, err := a.Analyze(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(q.Docs, tc.docs) || q.Article != tc.article {
			t.Errorf("Analyze(%q) docs %q article %q, want %q %q", tc.q, q.Docs, q.Article, tc.docs, tc.article)
		}
	}
	if k := handbook.NumberKey("01/2021/NĐ-CP"); k != "1/2021" {
		t.Errorf("NumberKey = %q", k)
	}
}
