package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sotay/handbook"
	"sotay/handbook/docx"
	"sotay/handbook/openai/openaitest"
	"sotay/handbook/sqlite"
	"sotay/indexer"
	"sotay/prompts"
)

// quyetDinh is a complete quyết định: every required field, the number, the
// date, the signer and a law in force on that date.
var quyetDinh = []string{
	"-template", "quyet-dinh",
	"-set", "issuer=Ủy ban nhân dân xã Suối Mây", "-set", "issuer_code=UBND", "-set", "unit_code=VP",
	"-set", "place=Suối Mây", "-set", "date=2026-03-05", "-set", "number=15",
	"-set", "signer.authority=TM.", "-set", "signer.title=Chủ tịch", "-set", "signer.name=Nguyễn Văn An",
	"-set", "trich_yeu=Về việc thành lập Tổ hỗ trợ dịch vụ công trực tuyến xã Suối Mây",
	"-set", "de_nghi=Giám đốc Trung tâm Phục vụ hành chính công xã",
	"-set", "dieu=Thành lập Tổ hỗ trợ dịch vụ công trực tuyến xã Suối Mây.",
	"-set", "dieu=Tổ có nhiệm vụ hướng dẫn người dân nộp hồ sơ trực tuyến.",
	"-set", "hieu_luc=kể từ ngày ký",
	"-set", "thi_hanh=Chánh Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã và các ông (bà) có tên tại Điều 1",
	"-set", "recipient=Ủy ban nhân dân tỉnh Lâm Đồng (để báo cáo)",
	"-set", "legal_basis=regulations/luat-ho-tich-2014",
}

// draftContent is the small fixture tree plus every shipped template (the
// whole embedded content would cost a second per command).
func draftContent(t *testing.T) string {
	t.Helper()
	dir := writeFixture(t)
	tpls, err := filepath.Glob("../../content/templates/*.md")
	if err != nil || len(tpls) == 0 {
		t.Fatalf("no templates in content/templates: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range tpls {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "templates", filepath.Base(p)), string(b))
	}
	return dir
}

// draftCmd runs `handbook draft` on a content tree and data directory.
type draftCmd struct{ content, data string }

func (d draftCmd) args(args ...string) []string {
	return append([]string{"draft", "-content", d.content, "-data", d.data}, args...)
}

func docxText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s is not a zip: %v", path, err)
	}
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			x, _ := io.ReadAll(rc)
			return string(x)
		}
	}
	t.Fatalf("%s has no word/document.xml", path)
	return ""
}

func exitCode(err error) int {
	var exit exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return int(exit)
	}
	return -1
}

func TestDraftCLI(t *testing.T) {
	dir := t.TempDir()
	cmd := draftCmd{content: draftContent(t), data: t.TempDir()}
	qd := filepath.Join(dir, "qd.docx")

	t.Run("DocxAndCheck", func(t *testing.T) {
		out, errOut, err := run(t, nil, cmd.args(append(quyetDinh, "-out", qd, "-text")...)...)
		if err != nil {
			t.Fatalf("draft: %v\n%s", err, errOut)
		}
		if !strings.Contains(out, "Số: 15/QĐ-UBND") || !strings.Contains(out, "Điều 2. Tổ có nhiệm vụ") {
			t.Errorf("-text output:\n%s", out)
		}
		doc := docxText(t, qd)
		for _, want := range []string{handbook.NationalName, "15/QĐ-UBND", "Nguyễn Văn An"} {
			if !strings.Contains(doc, want) {
				t.Errorf("word/document.xml lacks %q", want)
			}
		}
		if st, _ := os.Stat(qd); st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode %v: drafts may hold personal data, want owner-only", qd, st.Mode().Perm())
		}
		out, _, err = run(t, nil, cmd.args("-check", qd)...)
		if code := exitCode(err); code != 0 {
			t.Errorf("draft -check of a complete quyết định: exit %d (%v)\n%s", code, err, out)
		}
		if !strings.Contains(out, "0 lỗi") && !strings.Contains(out, "Không phát hiện") {
			t.Errorf("draft -check output:\n%s", out)
		}
	})

	// A quyết định numbered as a thông báo: the abbreviation rule fires, in
	// the JSON draft and in the .docx made from it, and the exit status is 1.
	t.Run("CheckFindsErrors", func(t *testing.T) {
		good := filepath.Join(dir, "qd.json")
		if _, errOut, err := run(t, nil, cmd.args(append(quyetDinh, "-out", good)...)...); err != nil {
			t.Fatalf("draft -out .json: %v\n%s", err, errOut)
		}
		b, err := os.ReadFile(good)
		if err != nil {
			t.Fatal(err)
		}
		var d handbook.Draft
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("-out .json is not a draft: %v", err)
		}
		d.Number = "Số: 15/TB-UBND"
		bad, _ := json.Marshal(d)
		badJSON, badDocx := filepath.Join(dir, "sai.json"), filepath.Join(dir, "sai.docx")
		os.WriteFile(badJSON, bad, 0o600)
		x, err := docx.Render(&d)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(badDocx, x, 0o600)
		for _, f := range []string{badJSON, badDocx} {
			out, _, err := run(t, nil, cmd.args("-check", f)...)
			if code := exitCode(err); code != 1 {
				t.Errorf("draft -check %s: exit %d (%v), want 1\n%s", filepath.Base(f), code, err, out)
			}
			if !strings.Contains(out, handbook.RuleAbbreviation) || !regexp.MustCompile(`(?m)^lỗi: Số, ký hiệu: `).MatchString(out) {
				t.Errorf("draft -check %s does not name rule %q:\n%s", filepath.Base(f), handbook.RuleAbbreviation, out)
			}
		}
	})

	// -fields takes a whole request or only the template's fields; a
	// request given to -check is drafted and its findings reported.
	t.Run("FieldsFile", func(t *testing.T) {
		req := filepath.Join(dir, "req.json")
		os.WriteFile(req, []byte(`{"template":"quyet-dinh","issuer":"Ủy ban nhân dân xã Suối Mây","fields":{"trich_yeu":"Về việc x"}}`), 0o600)
		out, errOut, err := run(t, nil, cmd.args("-fields", req)...)
		if err != nil {
			t.Fatalf("draft -fields request: %v\n%s", err, errOut)
		}
		if !strings.Contains(out, "XÃ SUỐI MÂY") || !strings.Contains(out, "[CẦN BỔ SUNG: số]") {
			t.Errorf("draft without a number must keep a placeholder:\n%s", out)
		}
		if !strings.Contains(errOut, handbook.RuleTemplate) {
			t.Errorf("findings on stderr lack the required-field rule:\n%s", errOut)
		}
		out, _, err = run(t, nil, cmd.args("-check", req)...)
		if code := exitCode(err); code != 1 || !strings.Contains(out, handbook.RuleTemplate) {
			t.Errorf("draft -check of an incomplete request: exit %d (%v)\n%s", code, err, out)
		}

		fields := filepath.Join(dir, "fields.json")
		os.WriteFile(fields, []byte(`{"trich_yeu":"Về lịch tiếp nhận hồ sơ vào sáng thứ Bảy","noi_dung":"Ủy ban nhân dân xã thông báo lịch tiếp nhận hồ sơ."}`), 0o600)
		out, errOut, err = run(t, nil, cmd.args("-template", "TB", "-fields", fields, "-set", "noi_dung=Thời gian: sáng thứ Bảy hằng tuần.")...)
		if err != nil {
			t.Fatalf("draft -fields map: %v\n%s", err, errOut)
		}
		if !strings.Contains(out, "THÔNG BÁO") || !strings.Contains(out, "sáng thứ Bảy hằng tuần") || !strings.Contains(out, "thông báo lịch tiếp nhận") {
			t.Errorf("thông báo from a fields file plus -set:\n%s", out)
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		tests := []struct {
			name string
			args []string
			want string
		}{
			{"unknown template", []string{"-template", "khong-co"}, "Không có mẫu văn bản «khong-co»"},
			{"control character", []string{"-template", "cong-van", "-set", "issuer=UBND\x07"}, "ký tự điều khiển"},
			{"unknown field", []string{"-template", "cong-van", "-set", "khong_co=x"}, "không có trường «khong_co»"},
			{"set without value", []string{"-template", "cong-van", "-set", "issuer"}, "want key=value"},
			{"output format", []string{"-template", "cong-van", "-out", filepath.Join(dir, "x.pdf")}, ".docx, .json or .txt"},
			{"nothing to do", nil, "-template or -check"},
			{"missing file", []string{"-check", filepath.Join(dir, "khong-co.docx")}, "read -check file"},
			{"not a docx", []string{"-check", writeTemp(t, dir, "hong.docx", "PK\x03\x04 hỏng")}, "không phải văn bản Word"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := run(t, nil, cmd.args(tc.args...)...)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("draft %q error = %v, want it to contain %q", tc.args, err, tc.want)
				}
			})
		}
	})
}

func writeTemp(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServeDrafts runs the server as `handbook serve` wires it and drafts
// through the API with a configured token; the public gets 404.
func TestServeDrafts(t *testing.T) {
	content, data := draftContent(t), t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var logs syncBuffer
	done := make(chan error, 1)
	env := map[string]string{"HANDBOOK_API_TOKENS": "tok-draft"}
	go func() {
		done <- Main(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-content", content, "-data", data},
			func(k string) string { return env[k] }, io.Discard, &logs)
	}()
	var base string
	addrRE := regexp.MustCompile(`addr=(http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && base == ""; time.Sleep(50 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("server did not start:\n%s", logs.String())
	}
	send := func(method, path, token, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	body := `{"template":"cong-van","issuer":"Ủy ban nhân dân xã Suối Mây","issuer_code":"UBND","unit_code":"VP","fields":{"trich_yeu":"đề nghị hỗ trợ thiết bị"}}`
	if resp := send("POST", "/api/v1/drafts", "", body); resp.StatusCode != http.StatusNotFound {
		t.Errorf("public POST /api/v1/drafts = %d, want 404", resp.StatusCode)
	}
	resp := send("POST", "/api/v1/drafts", "tok-draft", body)
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /api/v1/drafts = %d\n%s", resp.StatusCode, b)
	}
	var res struct {
		ID      string `json:"id"`
		DocxURL string `json:"docx_url"`
		Text    string `json:"text"`
	}
	json.NewDecoder(resp.Body).Decode(&res)
	if !strings.Contains(res.Text, "V/v đề nghị hỗ trợ thiết bị") {
		t.Errorf("text:\n%s", res.Text)
	}
	file := send("GET", res.DocxURL, "tok-draft", "")
	if ct := file.Header.Get("Content-Type"); file.StatusCode != http.StatusOK || ct != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" {
		t.Errorf("GET %s = %d %q", res.DocxURL, file.StatusCode, ct)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after shutdown", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("serve did not shut down")
	}
	// The draft is in the state store, where another replica (or this one
	// after a restart) finds it.
	st, err := sqlite.Open(t.Context(), filepath.Join(data, "handbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if sd, err := st.StoredDraft(t.Context(), res.ID); err != nil || !strings.Contains(string(sd.Draft), "đề nghị hỗ trợ thiết bị") {
		t.Errorf("StoredDraft(%q) = %v, %v; want the draft in data/handbook.db", res.ID, sd, err)
	}
}

// TestNewDrafterLLM: with HANDBOOK_LLM_URL the body is written by the model;
// a model slower than its share of the request time leaves the draft built
// from the fields, with a warning, well before the request would time out.
func TestNewDrafterLLM(t *testing.T) {
	lib, err := indexer.Load(os.DirFS(draftContent(t)))
	if err != nil {
		t.Fatal(err)
	}
	app := &App{}
	app.lib.Store(lib)
	fake := openaitest.NewServer(t)
	cfg := Config{LLMURL: fake.URL, LLMModel: "fake-chat", LLMTimeout: time.Minute}
	dr := newDrafter(cfg, app, 600*time.Millisecond)
	req := handbook.DraftRequest{Template: "cong-van", Issuer: "Ủy ban nhân dân xã Suối Mây",
		Fields:       map[string]string{"trich_yeu": "đề nghị hỗ trợ máy quét"},
		Instructions: "Đề nghị Sở hỗ trợ máy quét tài liệu cho Trung tâm Phục vụ hành chính công xã."}
	llmNote := func(d *handbook.Draft) string {
		for _, f := range d.Findings {
			if f.Rule == handbook.RuleLLM {
				return f.Message
			}
		}
		return ""
	}

	fake.Script(openaitest.Answer("Ủy ban nhân dân xã Suối Mây đề nghị Sở hỗ trợ máy quét tài liệu cho Trung tâm Phục vụ hành chính công xã."))
	d, err := dr.Draft(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Text(), "đề nghị Sở hỗ trợ máy quét") || !strings.Contains(llmNote(d), "mô hình ngôn ngữ soạn") {
		t.Errorf("body not written by the model (note %q):\n%s", llmNote(d), d.Text())
	}

	if d.PromptVersion == "" || d.PromptVersion != prompts.Version("draft") {
		t.Errorf("PromptVersion = %q, want %q", d.PromptVersion, prompts.Version("draft"))
	}
	if msgs := fake.ChatRequests(); len(msgs) == 0 || !strings.Contains(msgs[len(msgs)-1].Prompt(), "=== YÊU CẦU ===") {
		t.Errorf("the model was not given prompts.Draft")
	}

	// A model that does not answer within its budget (two thirds of 600ms)
	// leaves the draft built from the fields, with a warning.
	fake.Script(openaitest.Stall(5 * time.Second))
	d, err = dr.Draft(t.Context(), req)
	if err != nil {
		t.Fatalf("a slow model must not fail the draft: %v", err)
	}
	if !strings.Contains(llmNote(d), "Không gọi được") {
		t.Errorf("no warning that the body must be written by hand: %v", d.Findings)
	}
}

func TestDraftLLMTimeout(t *testing.T) {
	for _, tc := range []struct{ configured, within, want time.Duration }{
		{time.Minute, 600 * time.Millisecond, 400 * time.Millisecond}, // the request's budget wins
		{time.Second, time.Minute, time.Second},                       // the configured timeout wins
		{0, 30 * time.Second, 20 * time.Second},                       // no configured timeout
		{time.Minute, 0, time.Minute},                                 // the CLI: no request limit
	} {
		if got := draftLLMTimeout(tc.configured, tc.within); got != tc.want {
			t.Errorf("draftLLMTimeout(%v, %v) = %v, want %v", tc.configured, tc.within, got, tc.want)
		}
	}
}
