package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/tools/txtar"
)

// fixture is a small content tree: a procedure, a regulation with articles,
// an internal guide and one broken file.
const fixture = `
-- procedures/ho-tich/dang-ky-khai-sinh.md --
---
title: Đăng ký khai sinh
kind: procedure
aliases: [làm giấy khai sinh]
code: "1.001193"
field: Hộ tịch
agency: Ủy ban nhân dân cấp xã
time_limit: Ngay trong ngày làm việc
documents:
  - name: Tờ khai đăng ký khai sinh
    copies: 01 bản chính
legal_basis:
  - doc: regulations/luat-ho-tich-2014
    article: dieu-16
sources: [https://vbpl.vn/]
reviewed: 2026-11-01
---
## Các bước thực hiện

Nộp tờ khai và giấy chứng sinh tại Trung tâm Phục vụ hành chính công cấp xã.
-- regulations/luat-ho-tich-2014.md --
---
title: Luật Hộ tịch
kind: regulation
number: 60/2014/QH13
doc_type: Luật
short_name: Luật Hộ tịch 2014
issuer: Quốc hội
issued: 2014-11-20
effective: 2016-01-01
sources: [https://vbpl.vn/]
---
# Chương II. ĐĂNG KÝ HỘ TỊCH TẠI ỦY BAN NHÂN DÂN CẤP XÃ

## Điều 15. Thời hạn đăng ký khai sinh

Cha, mẹ đăng ký khai sinh cho con trong 60 ngày kể từ ngày sinh.

## Điều 16. Thủ tục đăng ký khai sinh

1. Người đi đăng ký khai sinh nộp tờ khai và giấy chứng sinh.
2. Công chức tư pháp - hộ tịch ghi vào Sổ hộ tịch.
-- technology/noi-bo.md --
---
title: Quy trình nội bộ
kind: guide
audience: internal
sources: [https://vbpl.vn/]
---
## Mã khẩn cấp

Dùng mã zebraquartz khi mất mạng.
-- faq/chung/hong.md --
---
title: [unterminated
kind: faq
---
Nội dung.
`

func writeFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range txtar.Parse([]byte(fixture)).Files {
		p := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func run(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Main(t.Context(), args, func(k string) string { return env[k] }, &out, &errb)
	return out.String(), errb.String(), err
}

func TestLintReportsAndSkipsBrokenFile(t *testing.T) {
	content := writeFixture(t)
	out, _, err := run(t, nil, "lint", "-content", content, "-data", t.TempDir())
	var exit exitError
	if !errors.As(err, &exit) || exit != 1 {
		t.Fatalf("lint error = %v, want exit 1 (output %s)", err, out)
	}
	if !regexp.MustCompile(`(?m)^faq/chung/hong\.md:\d+: error: .+`).MatchString(out) {
		t.Errorf("lint output lacks a path:line: error line for the broken file:\n%s", out)
	}
	if strings.Contains(out, "dang-ky-khai-sinh.md") && strings.Contains(out, ": error:") && strings.Contains(out, "khai-sinh.md:1: error") {
		t.Errorf("the good procedure was reported as broken:\n%s", out)
	}
}

func TestIndexIsIncremental(t *testing.T) {
	content, data := writeFixture(t), t.TempDir()
	out, _, err := run(t, nil, "index", "-content", content, "-data", data)
	if err != nil || !strings.Contains(out, "Đã lập chỉ mục 3 văn bản (3 thay đổi") {
		t.Fatalf("first index: %v %q", err, out)
	}
	out, _, err = run(t, nil, "index", "-content", content, "-data", data)
	if err != nil || !strings.Contains(out, "(0 thay đổi, 0 xóa") {
		t.Fatalf("second index should change nothing: %v %q", err, out)
	}
	p := filepath.Join(content, "procedures/ho-tich/dang-ky-khai-sinh.md")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(b, []byte("Ngay trong ngày làm việc"), []byte("Trong 03 ngày làm việc"), 1), 0o644)
	out, _, err = run(t, nil, "index", "-content", content, "-data", data)
	if err != nil || !strings.Contains(out, "(1 thay đổi, 0 xóa") {
		t.Fatalf("after one edit: %v %q", err, out)
	}
	// A rebuild swaps in a new directory and removes the old one.
	if _, _, err := run(t, nil, "index", "-rebuild", "-content", content, "-data", data); err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(data, "index", "bleve-*"))
	if len(dirs) != 1 {
		t.Errorf("after rebuild %d index dirs: %v", len(dirs), dirs)
	}
	out, _, err = run(t, nil, "search", "-json", "-content", content, "-data", data, "thoi", "han", "giai", "quyet", "khai", "sinh")
	if err != nil || !strings.Contains(out, "Trong 03 ngày") && !strings.Contains(out, "dang-ky-khai-sinh") {
		t.Errorf("search after update: %v %s", err, out)
	}
}

func TestSearchCLI(t *testing.T) {
	content, data := writeFixture(t), t.TempDir()
	out, _, err := run(t, nil, "search", "-content", content, "-data", data, "dang", "ky", "khai", "sinhf")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.SplitN(out, "\n", 3)[1], "Đăng ký khai sinh") {
		t.Errorf("first result is not the procedure:\n%s", out)
	}
	out, _, _ = run(t, nil, "search", "-json", "-content", content, "-data", data, "zebraquartz")
	if strings.Contains(out, "noi-bo") {
		t.Errorf("CLI search without -internal returned internal content: %s", out)
	}
	_, _, err = run(t, nil, "search", "-content", content, "-data", data, "")
	if err == nil || !strings.Contains(err.Error(), "Vui lòng") {
		t.Errorf("empty query error = %v", err)
	}
}

func TestConfigPrecedenceAndSecrets(t *testing.T) {
	env := map[string]string{"HANDBOOK_ADDR": "127.0.0.1:9999", "HANDBOOK_LLM_KEY": "sk-secret", "HANDBOOK_TOP_K": "5"}
	cfg, _, err := LoadConfig("t", []string{"-addr", "127.0.0.1:7777"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:7777" || cfg.TopK != 5 || cfg.LLMKey != "sk-secret" || cfg.Data != "./data" {
		t.Errorf("cfg = %+v", cfg)
	}
	var b bytes.Buffer
	cfg.Dump(&b)
	if strings.Contains(b.String(), "sk-secret") || !strings.Contains(b.String(), "HANDBOOK_LLM_KEY=******") {
		t.Errorf("dump leaks or lacks the secret mask:\n%s", b.String())
	}
	_, _, err = LoadConfig("t", nil, func(k string) string {
		return map[string]string{"HANDBOOK_VECTOR_STORE": "pgvector"}[k]
	}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "HANDBOOK_DATABASE_URL is required") {
		t.Errorf("validation error = %v", err)
	}
	file := filepath.Join(t.TempDir(), "handbook.env")
	os.WriteFile(file, []byte("# comment\nHANDBOOK_TOP_K=12\nHANDBOOK_ADDR=127.0.0.1:1\n"), 0o600)
	cfg, _, err = LoadConfig("t", []string{"-config", file}, func(k string) string {
		return map[string]string{"HANDBOOK_ADDR": "127.0.0.1:2"}[k]
	}, io.Discard)
	if err != nil || cfg.TopK != 12 || cfg.Addr != "127.0.0.1:2" {
		t.Errorf("file config: %+v %v (env must beat file)", cfg, err)
	}
	cfg, _, err = LoadConfig("t", []string{"-trusted-proxies", "172.16.0.0/12, 192.0.2.7,::ffff:10.1.2.3"}, func(string) string { return "" }, io.Discard)
	if got := fmt.Sprint(cfg.TrustedProxies); err != nil || got != "[172.16.0.0/12 192.0.2.7/32 10.1.2.3/32]" {
		t.Errorf("trusted proxies = %s, %v", got, err)
	}
	_, _, err = LoadConfig("t", nil, func(k string) string { return map[string]string{"HANDBOOK_TRUSTED_PROXIES": "nginx"}[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "HANDBOOK_TRUSTED_PROXIES") {
		t.Errorf("a proxy that is no address: error = %v, want one naming HANDBOOK_TRUSTED_PROXIES", err)
	}
}

// syncBuffer is a goroutine-safe buffer for the server's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeEndToEnd(t *testing.T) {
	content, data := writeFixture(t), t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-content", content, "-data", data}, func(string) string { return "" }, io.Discard, &logs)
	}()
	var base string
	addrRE := regexp.MustCompile(`addr=(http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
			resp, err := http.Get(base + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("server did not start:\n%s", logs.String())
	}
	resp, err := http.Get(base + "/api/v1/search?q=dang+ky+khai+sinh")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Hits []struct{ Doc, Anchor, Title string } `json:"hits"`
	}
	json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if len(res.Hits) == 0 || res.Hits[0].Doc != "procedures/ho-tich/dang-ky-khai-sinh" {
		t.Errorf("hits = %+v", res.Hits)
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
}

// TestGoldSetFloor runs the project's gold questions (eval/*.jsonl) against
// the built-in content and fails when retrieval quality drops below the
// recorded floor (docs/BENCHMARKS.md has the current figures).
func TestGoldSetFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("gold set evaluation skipped in -short mode")
	}
	files, _ := filepath.Glob("../../eval/gold-*.jsonl")
	if len(files) == 0 {
		t.Fatal("no gold set in eval/")
	}
	args := append([]string{"eval", "-json", "-data", t.TempDir(), "-min-r1", "0.85", "-min-mrr", "0.90"}, files...)
	out, errOut, err := run(t, nil, args...)
	if err != nil {
		t.Fatalf("gold set below floor: %v\n%s\n%s", err, errOut, out)
	}
	var rep struct {
		Cases int     `json:"cases"`
		R1    float64 `json:"recall_at_1"`
		R5    float64 `json:"recall_at_5"`
		MRR   float64 `json:"mrr_at_10"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("gold set: %d cases R@1 %.3f R@5 %.3f MRR@10 %.3f", rep.Cases, rep.R1, rep.R5, rep.MRR)
	if rep.Cases < 150 {
		t.Errorf("gold set has %d cases, want at least 150", rep.Cases)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestServeWatchPicksUpEdits: with -watch, an edited content file is
// searchable within seconds without a restart.
func TestServeWatchPicksUpEdits(t *testing.T) {
	content, data := writeFixture(t), t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "-watch", "-addr", "127.0.0.1:0", "-content", content, "-data", data},
			func(string) string { return "" }, io.Discard, &logs)
	}()
	base := waitServing(t, &logs)
	search := func(q string) string {
		resp, err := http.Get(base + "/api/v1/search?q=" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if strings.Contains(search("xylophone"), "dang-ky-khai-sinh") {
		t.Fatal("the marker word is already indexed")
	}
	p := filepath.Join(content, "procedures/ho-tich/dang-ky-khai-sinh.md")
	b, _ := os.ReadFile(p)
	writeFile(t, p, strings.Replace(string(b), "Nộp tờ khai", "Nộp tờ khai xylophone", 1))
	found := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if strings.Contains(search("xylophone"), "dang-ky-khai-sinh") {
			found = true
			break
		}
	}
	if !found {
		t.Errorf("edited file not searchable after 30 s with -watch:\n%s", logs.String())
	}
	cancel()
	<-done
}

// waitServing waits for the server started by Main to log its address and
// answer /readyz, and returns its base URL.
func waitServing(t *testing.T, logs *syncBuffer) string {
	t.Helper()
	addrRE := regexp.MustCompile(`addr=(http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		m := addrRE.FindStringSubmatch(logs.String())
		if m == nil {
			continue
		}
		resp, err := http.Get(m[1] + "/readyz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return m[1]
		}
	}
	t.Fatalf("server did not become ready:\n%s", logs.String())
	return ""
}

func TestConfigEmbeddingAndFusion(t *testing.T) {
	env := map[string]string{"HANDBOOK_FUSION_K": "20", "HANDBOOK_FUSION_VECTOR_WEIGHT": "0.5", "HANDBOOK_EMBED_TIMEOUT": "800ms",
		"HANDBOOK_EMBED_BATCH": "16"}
	cfg, _, err := LoadConfig("t", []string{"-fusion-lexical-weight", "2"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FusionK != 20 || cfg.FusionLex != 2 || cfg.FusionVec != 0.5 || cfg.EmbedTimeout != 800*time.Millisecond || cfg.EmbedBatch != 16 {
		t.Errorf("cfg = %+v", cfg)
	}
	app, err := openApp(cfg, newLogger(Config{LogLevel: "error", LogFormat: "text"}, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if f := app.Retriever.Fusion; f.K != 20 || f.LexicalWeight != 2 || f.VectorWeight != 0.5 || app.Retriever.EmbedTimeout != 800*time.Millisecond {
		t.Errorf("retriever fusion %+v, embed timeout %s", f, app.Retriever.EmbedTimeout)
	}
	if app.Retriever.Embedder != nil || app.vectors != nil {
		t.Errorf("no HANDBOOK_EMBED_URL, yet the vector half is wired")
	}
	for _, bad := range []map[string]string{
		{"HANDBOOK_FUSION_K": "0"},
		{"HANDBOOK_FUSION_K": "NaN"},
		{"HANDBOOK_FUSION_VECTOR_WEIGHT": "-1"},
		{"HANDBOOK_FUSION_VECTOR_WEIGHT": "0", "HANDBOOK_FUSION_LEXICAL_WEIGHT": "0"},
		{"HANDBOOK_EMBED_TIMEOUT": "0s"},
		{"HANDBOOK_EMBED_BATCH": "0"},
		{"HANDBOOK_EMBED_DIM": "-3"},
	} {
		_, _, err := LoadConfig("t", nil, func(k string) string { return bad[k] }, io.Discard)
		for k := range bad {
			if err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("LoadConfig(%v) error = %v, want one naming %s", bad, err, k)
			}
		}
	}
}

// TestConfigDocumented: every option is in handbook.env.example (with its
// default) and in the README's configuration table, so that neither drifts.
func TestConfigDocumented(t *testing.T) {
	example, err := os.ReadFile("../../handbook.env.example")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range options {
		if o.env == "HANDBOOK_CONFIG" {
			continue
		}
		if !regexp.MustCompile(`(?m)^` + o.env + `=`).Match(example) {
			t.Errorf("handbook.env.example lacks %s", o.env)
		}
		if !strings.Contains(string(readme), "-"+o.flag+"`") {
			t.Errorf("README configuration table lacks -%s", o.flag)
		}
	}
}
