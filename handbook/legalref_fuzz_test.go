package handbook_test

import (
	"regexp"
	"strings"
	"testing"

	"sotay/handbook"
)

var (
	numberKeyShape = regexp.MustCompile(`^[0-9]*/(19|20)[0-9]{2}$`)
	typedKeyShape  = regexp.MustCompile(`^(nd|tt|qd|nq|luat):[0-9]*$`)
	articleShape   = regexp.MustCompile(`^dieu-[0-9]{1,3}[a-z]?$`)
	labelShape     = regexp.MustCompile(`^(điểm [a-zđ]{1,2} )?(khoản [0-9]+ )?Điều [0-9]+[a-z]?$`)
)

// FuzzLegalReferences checks citation parsing on any input: the number keys
// of document numbers, the references a question makes (texts by number,
// an article) and the Vietnamese labels of anchors. Nothing panics, and
// every output has its documented shape.
func FuzzLegalReferences(f *testing.F) {
	for _, s := range []string{
		"nd 01/2021 con hieu luc khong", "Nghị định số 123/2015/NĐ-CP", "luật 77/2015/QH13 điều 16",
		"nđ23 điều 5 chứng thực", "điều 10a khoản 2 điểm đ", "dieu-5-khoan-2-diem-dd", "dieu-16",
		"0/2020", "thông tư 04/2020/TT-BTP", "qđ 5710/QĐ-BCA-C06", "điều 999 nđ 1", "\u0110i\u1ec1u 1",
	} {
		f.Add(s)
	}
	reg := func(id, typ, number string) *handbook.Document {
		return &handbook.Document{ID: id, Kind: handbook.KindRegulation, Title: id,
			Regulation: &handbook.Regulation{DocType: typ, Number: number}}
	}
	lib := handbook.NewLibrary([]*handbook.Document{
		reg("regulations/nd-01-2021", "Nghị định", "01/2021/NĐ-CP"),
		reg("regulations/nd-23-2015", "Nghị định", "23/2015/NĐ-CP"),
		reg("regulations/tt-04-2020", "Thông tư", "04/2020/TT-BTP"),
	}, nil, nil)
	a := handbook.NewAnalyzer(lib)
	f.Fuzz(func(t *testing.T, s string) {
		if k := handbook.NumberKey(s); k != "" && !numberKeyShape.MatchString(k) {
			t.Errorf("NumberKey(%q) = %q", s, k)
		}
		// TypedNumberKey takes the digits a question or a number starts with.
		if digits := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' }); digits != "" && strings.Trim(digits, "0123456789") == "" {
			for _, typ := range []string{"Nghị định", "nđ", "luật", s} {
				if k := handbook.TypedNumberKey(typ, digits); k != "" && !typedKeyShape.MatchString(k) {
					t.Errorf("TypedNumberKey(%q, %q) = %q", typ, digits, k)
				}
			}
		}
		if l := handbook.AnchorLabel(s); l != "" {
			if !labelShape.MatchString(l) {
				t.Errorf("AnchorLabel(%q) = %q", s, l)
			}
			if art := handbook.ArticleAnchor(s); art == "" || !strings.HasPrefix(s, art) {
				t.Errorf("AnchorLabel(%q) = %q but ArticleAnchor = %q", s, l, art)
			}
		}
		q, err := a.Analyze(s)
		if err != nil {
			return
		}
		if q.Article != "" {
			if !articleShape.MatchString(q.Article) || handbook.AnchorLabel(q.Article) == "" {
				t.Errorf("Analyze(%q).Article = %q", s, q.Article)
			}
		}
		for _, id := range q.Docs {
			if _, ok := lib.Doc(id); !ok {
				t.Errorf("Analyze(%q).Docs holds %q, which is not in the library", s, id)
			}
		}
		seen := map[string]bool{}
		for _, id := range q.Docs {
			if seen[id] {
				t.Errorf("Analyze(%q).Docs = %q has duplicates", s, q.Docs)
			}
			seen[id] = true
		}
	})
}
