package handbook_test

import (
	"slices"
	"testing"

	"golang.org/x/text/unicode/norm"

	"sotay/handbook"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Đăng ký khai sinh", "dang ky khai sinh"},
		{"ĐƯỜNG", "duong"},
		{"Giấy chứng nhận quyền sử dụng đất", "giay chung nhan quyen su dung dat"},
		{"hoà", "hoa"}, {"hòa", "hoa"}, {"thuỷ", "thuy"}, {"thủy", "thuy"},
		{norm.NFD.String("Nghị định"), "nghi dinh"},
		{"120/2025/NĐ-CP", "120/2025/nd-cp"},
		{"café naïve", "cafe naive"},
	}
	for _, tc := range tests {
		if got := handbook.Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"nfd to nfc", norm.NFD.String("Điều 16. Khai sinh"), "Điều 16. Khai sinh"},
		{"nbsp", "khai\u00a0sinh", "khai sinh"},
		{"bom and zero width", "\ufeffkhai\u200bsinh", "khaisinh"},
		{"crlf", "a\r\nb", "a\nb"},
		{"control", "a\x00b\x07c", "abc"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := handbook.Normalize(tc.in)
			if got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if !norm.NFC.IsNormalString(got) {
				t.Errorf("Normalize(%q) is not NFC", tc.in)
			}
		})
	}
}

func TestTokenizeOffsets(t *testing.T) {
	s := "Điều 16. Thủ tục đăng ký khai sinh"
	toks := handbook.Tokenize(s)
	var got []string
	for _, tk := range toks {
		if s[tk.Start:tk.End] != tk.Text {
			t.Errorf("token %q has offsets %d-%d pointing at %q", tk.Text, tk.Start, tk.End, s[tk.Start:tk.End])
		}
		got = append(got, tk.Text)
	}
	want := []string{"Điều", "16", "Thủ", "tục", "đăng", "ký", "khai", "sinh"}
	if !slices.Equal(got, want) {
		t.Errorf("Tokenize = %q, want %q", got, want)
	}
}

func TestSlug(t *testing.T) {
	if got := handbook.Slug("Các bước thực hiện – Đăng ký"); got != "cac-buoc-thuc-hien-dang-ky" {
		t.Errorf("Slug = %q", got)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Đăng ký khai sinh", norm.NFD.String("Nghị định"), "\ufeff\r\n\x00", "a\xffb", "hoà thuỷ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := handbook.Normalize(s)
		if again := handbook.Normalize(n); again != n {
			t.Errorf("Normalize not idempotent: %q → %q → %q", s, n, again)
		}
		if handbook.Fold(handbook.Fold(n)) != handbook.Fold(n) {
			t.Errorf("Fold not idempotent on %q", n)
		}
	})
}
