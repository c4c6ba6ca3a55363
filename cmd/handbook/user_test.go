package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestUserCLI(t *testing.T) {
	data := t.TempDir()
	pw := filepath.Join(t.TempDir(), "pw")
	writeFile(t, pw, "mat-khau-rat-dai\n")
	env := map[string]string{"HANDBOOK_DATA": data}
	out, _, err := run(t, env, "user", "add", "-role", "editor", "-name", "Trần Thị Mai", "-department", "Sở Tư pháp", "-password-file", pw, "Mai.Tran")
	if err != nil || !strings.Contains(out, "Đã tạo tài khoản mai.tran (Biên tập viên)") {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	if _, _, err := run(t, env, "user", "add", "-password-file", pw, "mai.tran"); err == nil || !strings.Contains(err.Error(), "đã có") {
		t.Errorf("duplicate user add: %v", err)
	}
	if _, _, err := run(t, env, "user", "add", "-role", "public", "-password-file", pw, "x1"); err == nil {
		t.Errorf("user add -role public succeeded")
	}
	short := filepath.Join(t.TempDir(), "short")
	writeFile(t, short, "ngan\n")
	if _, _, err := run(t, env, "user", "add", "-password-file", short, "x2"); err == nil || !strings.Contains(err.Error(), "ít nhất 8") {
		t.Errorf("short password: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	writeFile(t, empty, "")
	out, _, err = run(t, env, "user", "add", "-password-file", empty, "tongdai")
	if err != nil || !regexp.MustCompile(`Mật khẩu: \S{20}`).MatchString(out) {
		t.Errorf("generated password not shown: %v\n%s", err, out)
	}
	out, _, err = run(t, env, "user", "token", "-token-name", "cổng DVC", "mai.tran")
	tok := regexp.MustCompile(`(?m)^[A-Za-z0-9_-]{43}$`).FindString(out)
	if err != nil || tok == "" {
		t.Fatalf("user token: %v\n%s", err, out)
	}
	out, _, _ = run(t, env, "user", "token", "-list", "mai.tran")
	if !strings.Contains(out, "cổng DVC") || strings.Contains(out, tok) {
		t.Errorf("token list = %q (must name the token and never show it)", out)
	}
	if _, _, err := run(t, env, "user", "passwd", "-password-file", pw, "mai.tran"); err != nil {
		t.Errorf("passwd: %v", err)
	}
	if _, _, err := run(t, env, "user", "token", "-revoke", "1", "mai.tran"); err != nil {
		t.Errorf("revoke: %v", err)
	}
	if _, _, err := run(t, env, "user", "token", "-revoke", "1", "mai.tran"); err == nil {
		t.Errorf("revoking twice succeeded")
	}
	run(t, env, "user", "disable", "tongdai")
	out, _, err = run(t, env, "user", "list")
	if err != nil || !strings.Contains(out, "mai.tran") || !strings.Contains(out, "đã khóa") {
		t.Errorf("user list: %v\n%s", err, out)
	}
	if _, _, err := run(t, env, "user", "passwd", "-password-file", pw, "khong-co"); err == nil {
		t.Errorf("passwd of an unknown user succeeded")
	}
}

// TestServePromotesFAQ runs `handbook serve` on a content directory: a
// ticket answered and promoted through the API becomes a file in faq/ that
// the public search finds.
func TestServePromotesFAQ(t *testing.T) {
	content, data := writeFixture(t), t.TempDir()
	os.Remove(filepath.Join(content, "faq", "hong.md")) // the fixture's broken file, if any
	pw := filepath.Join(t.TempDir(), "pw")
	writeFile(t, pw, "mat-khau-rat-dai\n")
	env := map[string]string{"HANDBOOK_DATA": data}
	tokens := map[string]string{}
	for _, u := range []struct{ name, role string }{{"tongdai", "official"}, {"bientap", "editor"}} {
		if _, _, err := run(t, env, "user", "add", "-role", u.role, "-password-file", pw, u.name); err != nil {
			t.Fatal(err)
		}
		out, _, err := run(t, env, "user", "token", u.name)
		if err != nil {
			t.Fatal(err)
		}
		tokens[u.name] = regexp.MustCompile(`(?m)^[A-Za-z0-9_-]{43}$`).FindString(out)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-content", content, "-data", data}, func(string) string { return "" }, io.Discard, &logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(25 * time.Second):
			t.Error("serve did not shut down")
		}
	})
	var base string
	addrRE := regexp.MustCompile(`addr=(http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && base == ""; time.Sleep(50 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			if resp, err := http.Get(m[1] + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					base = m[1]
				}
			}
		}
	}
	if base == "" {
		t.Fatalf("server did not start:\n%s", logs.String())
	}
	call := func(method, path, user, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if user != "" {
			req.Header.Set("Authorization", "Bearer "+tokens[user])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	code, tk := call("POST", "/api/v1/tickets", "tongdai", `{"question":"Con sinh ở bệnh viện tỉnh thì làm khai sinh ở xã nào?"}`)
	if code != http.StatusCreated {
		t.Fatalf("open ticket: %d %v", code, tk)
	}
	idf, _ := tk["id"].(float64)
	id := strconv.FormatFloat(idf, 'f', 0, 64)
	code, res := call("PATCH", "/api/v1/tickets/"+id, "bientap",
		`{"answer":"Đăng ký khai sinh tại UBND xã nơi cư trú của cha hoặc mẹ, không phụ thuộc nơi sinh.","citations":[{"doc":"luat-ho-tich-2014","article":"dieu-16"}]}`)
	if code != http.StatusOK {
		t.Fatalf("answer: %d %v", code, res)
	}
	code, res = call("POST", "/api/v1/tickets/"+id+"/promote", "bientap", `{"title":"Con sinh ở bệnh viện tỉnh thì đăng ký khai sinh ở đâu?"}`)
	if code != http.StatusCreated {
		t.Fatalf("promote: %d %v\n%s", code, res, logs.String())
	}
	faq, _ := res["faq"].(string)
	if _, err := os.Stat(filepath.Join(content, filepath.FromSlash(faq)+".md")); err != nil {
		t.Errorf("promoted page not on disk: %v", err)
	}
	code, res = call("GET", "/api/v1/search?q="+url.QueryEscape("con sinh o benh vien tinh dang ky khai sinh o dau"), "", "")
	if b, _ := json.Marshal(res); code != http.StatusOK || !strings.Contains(string(b), faq) {
		t.Errorf("public search does not find %s: %d %s", faq, code, b)
	}
	out, _, _ := run(t, nil, "lint", "-content", content, "-data", t.TempDir())
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, faq) && strings.Contains(line, "error") {
			t.Errorf("lint: %s", line)
		}
	}
}
