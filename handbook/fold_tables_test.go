package handbook

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The tables of AppendFold and IsWordRune must say what the functions they
// replace say, for every rune they cover and a little past.
func TestFoldTables(t *testing.T) {
	for r := rune(0); r < 0x2100; r++ {
		want := ""
		if !unicode.Is(unicode.Mn, r) {
			want = string(unicode.ToLower(FoldRune(r)))
		}
		if r < utf8.RuneSelf {
			want = strings.ToLower(string(r))
		}
		if got := string(AppendFold(nil, string(r))); got != want {
			t.Fatalf("AppendFold(%U) = %q, want %q", r, got, want)
		}
		if got, want := IsWordRune(r), isWordRune(r); got != want {
			t.Fatalf("IsWordRune(%U) = %v, want %v", r, got, want)
		}
	}
	if Fold("Đăng KÝ Khai Sinh") != "dang ky khai sinh" {
		t.Fatalf("Fold = %q", Fold("Đăng KÝ Khai Sinh"))
	}
}
