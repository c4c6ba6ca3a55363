package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"sotay/handbook/openai/openaitest"
)

func TestAskCLI(t *testing.T) {
	content, data := writeFixture(t), t.TempDir()
	out, _, err := run(t, nil, "ask", "-content", content, "-data", data, "lam giay khai sinh can gi")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Hồ sơ gồm: Tờ khai đăng ký khai sinh (01 bản chính). [1]", "Nguồn:", "[1] Đăng ký khai sinh  /docs/procedures/ho-tich/dang-ky-khai-sinh", "(chế độ procedure"} {
		if !strings.Contains(out, want) {
			t.Errorf("ask output lacks %q:\n%s", want, out)
		}
	}
	// A follow-up on the procedure in focus, as JSON.
	out, _, err = run(t, nil, "ask", "-json", "-focus", "procedures/ho-tich/dang-ky-khai-sinh", "-content", content, "-data", data, "mất bao lâu")
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		Answer    string `json:"answer"`
		ModeUsed  string `json:"mode_used"`
		Aspect    string `json:"aspect"`
		Citations []struct{ Doc, URL string }
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatalf("ask -json output is not JSON: %v\n%s", err, out)
	}
	if ans.ModeUsed != "procedure" || ans.Aspect != "time_limit" || !strings.HasPrefix(ans.Answer, "Thời hạn giải quyết: Ngay trong ngày làm việc") {
		t.Errorf("follow-up = %+v", ans)
	}
	// Quoting a regulation, full form.
	out, _, err = run(t, nil, "ask", "-form", "full", "-content", content, "-data", data, "thời hạn đăng ký khai sinh cho con")
	if err != nil || !strings.Contains(out, "Điều 15 Luật Hộ tịch 2014") {
		t.Errorf("regulation question: %v\n%s", err, out)
	}
	// Internal content stays out without -internal.
	out, _, _ = run(t, nil, "ask", "-content", content, "-data", data, "mã khẩn cấp khi mất mạng zebraquartz")
	if strings.Contains(out, "zebraquartz") || strings.Contains(out, "noi-bo") {
		t.Errorf("public ask shows internal content:\n%s", out)
	}
	_, _, err = run(t, nil, "ask", "-content", content, "-data", data, "  ")
	if err == nil || err.Error() != "Vui lòng nhập câu hỏi." {
		t.Errorf("empty question error = %v", err)
	}
	_, _, err = run(t, nil, "ask", "-mode", "gpt", "-content", content, "-data", data, "khai sinh")
	if err == nil || !strings.Contains(err.Error(), "Chế độ trả lời không hợp lệ") {
		t.Errorf("bad mode error = %v", err)
	}
}

func TestAskCLIWithLLM(t *testing.T) {
	content, data := writeFixture(t), t.TempDir()
	fake := openaitest.NewServer(t)
	env := map[string]string{"HANDBOOK_LLM_URL": fake.URL, "HANDBOOK_LLM_TIMEOUT": "500ms"}
	out, _, err := run(t, env, "ask", "-mode", "llm", "-content", content, "-data", data, "thời hạn đăng ký khai sinh")
	if err != nil {
		t.Fatal(err)
	}
	reqs := fake.ChatRequests()
	if len(reqs) != 1 || !strings.Contains(reqs[0].Prompt(), "=== CÂU HỎI ===\nthời hạn đăng ký khai sinh\n") {
		t.Fatalf("chat requests = %+v", reqs)
	}
	if !strings.Contains(out, "(chế độ llm,") {
		t.Errorf("ask -mode llm output:\n%s", out)
	}
	fake.Script(openaitest.Status(http.StatusInternalServerError))
	out, _, err = run(t, env, "ask", "-mode", "llm", "-content", content, "-data", data, "thời hạn đăng ký khai sinh")
	if err != nil || !strings.Contains(out, "thay cho LLM: llm_unavailable") || !strings.Contains(out, "Nguồn:") {
		t.Errorf("LLM 500: %v\n%s", err, out)
	}
}

// TestServeAnswers runs serve with a fake chat model and asks over HTTP.
func TestServeAnswers(t *testing.T) {
	content, data := writeFixture(t), t.TempDir()
	fake := openaitest.NewServer(t)
	fake.SetDefault(openaitest.Reset())
	fake.Script(openaitest.CitedAnswer())
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var logs syncBuffer
	done := make(chan error, 1)
	env := map[string]string{"HANDBOOK_LLM_URL": fake.URL, "HANDBOOK_LLM_TIMEOUT": "2s"}
	go func() {
		done <- Main(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-content", content, "-data", data},
			func(k string) string { return env[k] }, io.Discard, &logs)
	}()
	base := ""
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
	post := func(q string) (int, map[string]any) {
		resp, err := http.Post(base+"/api/v1/ask", "application/json", strings.NewReader(`{"question":"`+q+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	code, m := post("thời hạn đăng ký khai sinh cho con")
	if code != http.StatusOK || m["mode_used"] != "llm" || m["prompt_version"] == "" {
		t.Errorf("POST /api/v1/ask = %d %v", code, m)
	}
	// The model now drops the connection: still a 200 with the sources quoted.
	code, m = post("thời hạn đăng ký khai sinh cho con")
	if code != http.StatusOK || m["mode_used"] != "extractive" || m["fallback"] != "llm_unavailable" {
		t.Errorf("POST with the model down = %d %v", code, m)
	}
	if !strings.Contains(logs.String(), `msg="answer fell back to quoting the sources"`) || strings.Contains(logs.String(), "thời hạn đăng ký") {
		t.Errorf("fallback not logged at Warn, or the question logged:\n%s", logs.String())
	}
	resp, err := http.Get(base + "/api/v1/ask/stream?question=" + url.QueryEscape("làm giấy khai sinh cần gì"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), "event: meta\n") || !strings.Contains(string(body), "event: done\n") {
		t.Errorf("stream body:\n%s", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("serve did not shut down")
	}
}
