package handbook_test

import (
	"testing"

	"sotay/handbook"
)

func TestMaskPII(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"mobile", "gọi lại số 0912345678 giúp em", "gọi lại số [SĐT] giúp em"},
		{"mobile grouped", "sđt 0912 345 678.", "sđt [SĐT]."},
		{"mobile dotted", "0912.345.678", "[SĐT]"},
		{"mobile dashed", "0386-123-456", "[SĐT]"},
		{"country code", "+84 912 345 678 hoặc 84912345678", "[SĐT] hoặc [SĐT]"},
		{"landline", "bàn 02838123456", "bàn [SĐT]"},
		{"glued to letters", "sdt0912345678", "sdt[SĐT]"},
		{"cccd", "CCCD 001099012345 bị mất", "CCCD [CCCD] bị mất"},
		{"cccd grouped", "số định danh 038 099 012 345", "số định danh [CCCD]"},
		{"two numbers", "0912345678 0987654321", "[SĐT] [SĐT]"},
		{"email", "gửi vào lan.tran+hs@ubnd-xa.gov.vn nhé", "gửi vào [email] nhé"},
		{"all three", "Tôi là Lan, CCCD 079203001234, đt 0901234567, mail lan@gmail.com",
			"Tôi là Lan, CCCD [CCCD], đt [SĐT], mail [email]"},
		{"hotline kept", "tổng đài 1900 1234 và 1022", "tổng đài 1900 1234 và 1022"},
		{"procedure code kept", "thủ tục 1.001193", "thủ tục 1.001193"},
		{"legal number kept", "Nghị định 120/2025/NĐ-CP ngày 11/6/2025", "Nghị định 120/2025/NĐ-CP ngày 11/6/2025"},
		{"date kept", "hạn 2025-07-01", "hạn 2025-07-01"},
		{"money kept", "lệ phí 100.000 đồng", "lệ phí 100.000 đồng"},
		{"long number kept", "mã hồ sơ 12345678901234567", "mã hồ sơ 12345678901234567"},
		{"cmnd", "CMND cũ 123456789", "CMND cũ [CMND]"},
		{"cmnd spelled out", "số chứng minh nhân dân của tôi là 245 678 901 nhé", "số chứng minh nhân dân của tôi là [CMND] nhé"},
		{"cmnd folded", "chung minh thu so 245678901", "chung minh thu so [CMND]"},
		{"cmnd upper", "CHỨNG MINH NHÂN DÂN: 024.567.890", "CHỨNG MINH NHÂN DÂN: [CMND]"},
		{"cmnd then cccd", "CMND 123456789, CCCD 001099012345", "CMND [CMND], CCCD [CCCD]"},
		{"cmnd word, longer number", "CMND hay mã 1234567890123", "CMND hay mã 1234567890123"},
		{"nine digits kept", "mã hồ sơ 123456789", "mã hồ sơ 123456789"},
		{"not a mobile prefix", "0123456789", "0123456789"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := handbook.MaskPII(tc.in); got != tc.want {
				t.Errorf("MaskPII(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMaskPIIIdempotent(t *testing.T) {
	for _, s := range []string{"0912345678", "a@b.vn 001099012345", "+84 912 345 678"} {
		once := handbook.MaskPII(s)
		if twice := handbook.MaskPII(once); twice != once {
			t.Errorf("MaskPII(MaskPII(%q)) = %q, want %q", s, twice, once)
		}
	}
}

func FuzzMaskPII(f *testing.F) {
	for _, s := range []string{"0912 345 678", "+84-912-345-678", "001099012345", "x@y.vn", "1.001193"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := handbook.MaskPII(s)
		if handbook.MaskPII(out) != out {
			t.Errorf("MaskPII not idempotent on %q", s)
		}
	})
}
