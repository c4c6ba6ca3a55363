package api_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"sotay/api"
	"sotay/content"
	"sotay/handbook"
	"sotay/handbook/docx"
	"sotay/indexer"
	"sotay/indexer/bleve"

	"golang.org/x/net/html"
	"golang.org/x/tools/txtar"
)

// uiFixture is the content tree the UI tests render: every kind, a
// regulation in force, one expired and replaced, one not yet in force, and
// an internal procedure holding a marker word that must never reach a
// public caller. It is written inline (hugo's builder): fixtures kept
// elsewhere are "a little hidden".
const uiFixture = `
-- thesaurus.yaml --
synonyms:
  - [căn cước công dân, CCCD]
expansions:
  nhập khẩu: [đăng ký thường trú]
-- procedures/ho-tich/dang-ky-khai-sinh.md --
---
title: "Đăng ký khai sinh"
kind: procedure
code: "1.001193"
field: "Hộ tịch"
level: "xã"
agency: "Ủy ban nhân dân cấp xã"
where: "Trung tâm Phục vụ hành chính công cấp xã nơi cư trú của cha hoặc mẹ"
applicants: ["Cha hoặc mẹ của trẻ"]
channels: ["trực tiếp", "bưu chính", "trực tuyến"]
online: "toàn trình"
time_limit: "Ngay trong ngày làm việc"
fee: "Miễn lệ phí nếu đăng ký đúng hạn"
documents:
  - name: "Tờ khai đăng ký khai sinh theo mẫu"
    copies: "01 bản chính"
  - name: "Giấy chứng sinh"
    copies: "01 bản chính"
    note: "Không có thì nộp văn bản của người làm chứng"
  - name: "Văn bản chứng minh việc mang thai hộ"
    copies: "01 bản"
    note: "Chỉ với trẻ sinh ra do mang thai hộ"
steps:
  - "Nộp tờ khai và giấy chứng sinh."
  - "Nhận Giấy khai sinh."
result: "Giấy khai sinh"
dvc_url: "https://dichvucong.gov.vn"
hotline: "Tổng đài hỗ trợ của Sở Tư pháp"
aliases: ["làm giấy khai sinh", "khai sinh cho con"]
summary: "Cha hoặc mẹ đăng ký khai sinh cho con trong 60 ngày kể từ ngày sinh."
owner: "Sở Tư pháp"
reviewed: 2026-11-01
sources: ["https://moj.gov.vn/khai-sinh", "https://example.org/khai-sinh"]
legal_basis:
  - doc: "luat-ho-tich-2014"
    article: "dieu-16"
    note: "Hồ sơ và trình tự"
  - doc: "luat-ho-tich-2014"
    article: "dieu-16-khoan-1"
---

## Các bước thực hiện

1. Người đi đăng ký nộp tờ khai và giấy chứng sinh tại xã.
2. Công chức tư pháp - hộ tịch ghi Sổ hộ tịch theo [Điều 16](regulations/luat-ho-tich-2014#dieu-16).

## Hướng dẫn trả lời người gọi

- "Anh/chị làm khai sinh cho cháu trong 60 ngày kể từ ngày sinh."
-- procedures/ho-tich/dang-ky-ket-hon.md --
---
title: "Đăng ký kết hôn"
kind: procedure
code: "1.000894"
field: "Hộ tịch"
agency: "Ủy ban nhân dân cấp xã"
time_limit: "Ngay trong ngày"
fee: "Miễn lệ phí"
documents:
  - name: "Tờ khai đăng ký kết hôn"
hotline: "Tổng đài hỗ trợ của Sở Tư pháp"
summary: "Hai bên nam, nữ đăng ký kết hôn tại Ủy ban nhân dân cấp xã nơi cư trú của một trong hai bên."
sources: ["https://moj.gov.vn/ket-hon"]
legal_basis:
  - doc: "luat-ho-tich-2014"
    article: "dieu-17"
---

## Các bước thực hiện

1. Hai bên cùng có mặt nộp tờ khai.
-- procedures/cu-tru/dang-ky-thuong-tru.md --
---
title: "Đăng ký thường trú"
kind: procedure
code: "1.004194"
field: "Cư trú"
agency: "Công an cấp xã"
where: "Công an cấp xã nơi cư trú"
online: "toàn trình"
time_limit: "07 ngày làm việc"
fee: "Theo nghị quyết của Hội đồng nhân dân cấp tỉnh"
documents:
  - name: "Tờ khai thay đổi thông tin cư trú"
hotline: "Công an xã"
aliases: ["nhập hộ khẩu"]
summary: "Đăng ký thường trú (nhập khẩu) tại Công an cấp xã."
sources: ["https://bocongan.gov.vn/thuong-tru"]
legal_basis:
  - doc: "luat-cu-tru-2020"
    article: "dieu-22"
---

## Các bước thực hiện

1. Nộp hồ sơ tại Công an cấp xã.
-- procedures/noi-bo/quy-trinh-zebraquartz.md --
---
title: "Quy trình zebraquartz nội bộ"
kind: procedure
code: "9.999999"
field: "Nội bộ zebraquartz"
agency: "Văn phòng zebraquartz"
time_limit: "01 ngày"
documents:
  - name: "Giấy zebraquartz"
audience: internal
summary: "Chỉ cán bộ: zebraquartz."
sources: ["https://moj.gov.vn/noi-bo"]
---

## Các bước thực hiện

1. Bước zebraquartz.
-- regulations/luat-ho-tich-2014.md --
---
title: "Luật Hộ tịch 2014"
kind: regulation
number: "60/2014/QH13"
doc_type: "Luật"
short_name: "Luật Hộ tịch 2014"
issuer: "Quốc hội"
issued: 2014-11-20
effective: 2016-01-01
summarised: true
summary: "Luật quy định việc đăng ký hộ tịch."
sources: ["https://vbpl.vn/luat-ho-tich", "https://example.org/luat-ho-tich"]
---

Tóm tắt các điều mà công chức tư pháp - hộ tịch cấp xã dùng thường xuyên.

# Chương II. ĐĂNG KÝ HỘ TỊCH TẠI ỦY BAN NHÂN DÂN CẤP XÃ

## Điều 16. Thủ tục đăng ký khai sinh

1. Người đi đăng ký khai sinh nộp tờ khai theo mẫu quy định và giấy chứng sinh cho cơ quan đăng ký hộ tịch.
2. Ngay sau khi nhận đủ giấy tờ, công chức tư pháp - hộ tịch ghi nội dung khai sinh vào Sổ hộ tịch:
   a) cập nhật vào Cơ sở dữ liệu hộ tịch điện tử;
   b) lấy số định danh cá nhân.

## Điều 17. Thẩm quyền đăng ký kết hôn

1. Ủy ban nhân dân cấp xã nơi cư trú của một trong hai bên nam, nữ thực hiện đăng ký kết hôn.
-- regulations/luat-cu-tru-2006.md --
---
title: "Luật Cư trú 2006"
kind: regulation
number: "81/2006/QH11"
doc_type: "Luật"
short_name: "Luật Cư trú 2006"
issuer: "Quốc hội"
issued: 2006-11-29
effective: 2007-07-01
expired: 2021-07-01
replaced_by: "regulations/luat-cu-tru-2020"
summarised: true
sources: ["https://vbpl.vn/luat-cu-tru-2006"]
---

## Điều 1. Phạm vi điều chỉnh

Luật này quy định về quyền tự do cư trú của công dân.
-- regulations/luat-cu-tru-2020.md --
---
title: "Luật Cư trú 2020"
kind: regulation
number: "68/2020/QH14"
doc_type: "Luật"
short_name: "Luật Cư trú 2020"
issuer: "Quốc hội"
issued: 2020-11-13
effective: 2021-07-01
summarised: true
sources: ["https://vbpl.vn/luat-cu-tru-2020"]
---

## Điều 22. Thủ tục đăng ký thường trú

1. Người đăng ký thường trú nộp hồ sơ đăng ký thường trú đến cơ quan đăng ký cư trú nơi mình cư trú.
-- regulations/nd-tuong-lai.md --
---
title: "Nghị định về hộ tịch điện tử"
kind: regulation
number: "999/2099/NĐ-CP"
doc_type: "Nghị định"
issuer: "Chính phủ"
issued: 2026-10-01
effective: 2099-01-01
sources: ["https://vbpl.vn/nd-999"]
---

## Điều 1. Phạm vi điều chỉnh

Nghị định quy định về hộ tịch điện tử.
-- technology/vneid.md --
---
title: "Kích hoạt tài khoản định danh điện tử VNeID"
kind: guide
summary: "Các bước kích hoạt VNeID mức 2 cho người dân."
sources: ["https://vneid.gov.vn"]
---

## Chuẩn bị

Điện thoại có kết nối mạng và thẻ căn cước.

## Kích hoạt

1. Tải ứng dụng VNeID.
2. Quét mã QR trên thẻ căn cước.

## Lỗi thường gặp

Không nhận mã OTP: kiểm tra số điện thoại.
-- faq/ho-tich/khai-sinh-can-gi.md --
---
title: "Làm giấy khai sinh cần giấy tờ gì?"
kind: faq
owner: "Sở Tư pháp"
reviewer: "Phòng Hộ tịch"
reviewed: 2026-10-01
expires: 2027-10-01
sources: ["https://moj.gov.vn/faq"]
legal_basis:
  - doc: "luat-ho-tich-2014"
    article: "dieu-16-khoan-1"
---

Cần tờ khai và giấy chứng sinh ([khoản 1 Điều 16](regulations/luat-ho-tich-2014#dieu-16-khoan-1)).
-- templates/thong-bao.md --
---
title: "Thông báo"
kind: template
doc_type: "Thông báo"
abbr: "TB"
sources: ["https://vbpl.vn/nd-30"]
fields:
  - name: trich_yeu
    label: "Trích yếu"
    required: true
    example: "lịch tiếp công dân"
  - name: noi_dung
    label: "Nội dung"
    required: true
structure: [co_quan_ban_hanh, quoc_hieu_tieu_ngu, so_ky_hieu, dia_danh_ngay, ten_loai_trich_yeu, noi_dung, chu_ky, noi_nhan]
---

## Khi nào dùng

Thông báo dùng để truyền đạt một nội dung đến cơ quan, người dân.
`

// uiMarker is in every internal document of uiFixture and nowhere else.
const uiMarker = "zebraquartz"

const uiToken = "ui-secret-token"

var uiNow = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// uiLibrary loads uiFixture the way the server loads content.
func uiLibrary(t testing.TB) *handbook.Library {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, f := range txtar.Parse([]byte(uiFixture)).Files {
		fsys[f.Name] = &fstest.MapFile{Data: f.Data}
	}
	lib, err := indexer.LoadAt(fsys, handbook.DateOf(uiNow))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range lib.Problems {
		if p.Severity == handbook.SeverityError && !strings.Contains(p.Message, "source") {
			t.Logf("fixture problem: %s", p)
		}
	}
	if len(lib.Docs) != 11 {
		t.Fatalf("fixture loaded %d documents, want 11; problems: %v", len(lib.Docs), lib.Problems)
	}
	return lib
}

// uiServer serves lib with a real bleve index built in t.TempDir().
func uiServer(t testing.TB, lib *handbook.Library, baseURL string) *api.Server {
	t.Helper()
	idx, err := bleve.Open(filepath.Join(t.TempDir(), "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Index(t.Context(), lib.Chunks()); err != nil {
		t.Fatal(err)
	}
	r := &handbook.Retriever{Keyword: idx}
	r.SetAnalyzer(&handbook.Analyzer{Thesaurus: lib.Thesaurus, Vocab: lib.Vocabulary()})
	libf := func() *handbook.Library { return lib }
	srv, err := api.New(api.Options{
		Retriever: r, Library: libf, Tokens: []string{uiToken},
		BaseURL: baseURL, Now: func() time.Time { return uiNow },
		// No LLM: procedure cards and extractive answers, drafts without
		// generated body text.
		Assistant: &handbook.Assistant{Retriever: r, Library: libf, Now: func() time.Time { return uiNow }},
		Drafter:   &handbook.Drafter{Library: libf, Now: func() time.Time { return uiNow }},
		Docx:      api.DocxCodec{Render: docx.Render, Check: docx.Check},
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func uiGet(t testing.TB, h http.Handler, target, token string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// uiPages are the pages every check runs on, with their expected status.
var uiPages = []struct {
	path   string
	status int
}{
	{"/", 200},
	{"/search", 200},
	{"/search?q=lam+giay+khai+sinh", 200},
	{"/search?q=dang+ky&kind=procedure&field=H%E1%BB%99+t%E1%BB%8Bch&at=2026-01-01", 200},
	{"/search?q=xyzzyqwv", 200},
	{"/search?q=khai+sinh&at=25%2F11%2F2026", 400},
	{"/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", 200},
	{"/docs", 200},
	{"/docs?kind=procedure", 200},
	{"/docs?kind=procedure&field=C%C6%B0+tr%C3%BA", 200},
	{"/docs?kind=regulation", 200},
	{"/docs?kind=guide", 200},
	{"/docs?kind=faq", 200},
	{"/docs?kind=template", 200},
	{"/docs/procedures/ho-tich/dang-ky-khai-sinh", 200},
	{"/docs/procedures/ho-tich/dang-ky-khai-sinh?print=1", 200},
	{"/docs/procedures/ho-tich/dang-ky-ket-hon", 200},
	{"/docs/procedures/cu-tru/dang-ky-thuong-tru", 200},
	{"/docs/regulations/luat-ho-tich-2014", 200},
	{"/docs/regulations/luat-ho-tich-2014?print=1", 200},
	{"/docs/regulations/luat-cu-tru-2006", 200},
	{"/docs/regulations/luat-cu-tru-2020", 200},
	{"/docs/regulations/nd-tuong-lai", 200},
	{"/docs/technology/vneid", 200},
	{"/docs/faq/ho-tich/khai-sinh-can-gi", 200},
	{"/docs/templates/thong-bao", 200},
	{"/ask", 200},
	{"/ask?q=lam+giay+khai+sinh+can+gi", 200},
	{"/ask?q=ai+dang+ky+ket+hon&form=full", 200},
	{"/drafts", 404}, // drafting is for officials; TestDraftPages
	{"/qr/sheet", 200},
	{"/qr/sheet?field=H%E1%BB%99+t%E1%BB%8Bch", 200},
	{"/qr/sheet?agency=C%C3%B4ng+an+c%E1%BA%A5p+x%C3%A3", 200},
	{"/qr/sheet?field=Kh%C3%B4ng+c%C3%B3", 404},
	{"/offline", 200},
	{"/docs/procedures/khong-co", 404},
	{"/khong-co-trang-nay", 404},
}

func TestPagesRender(t *testing.T) {
	h := uiServer(t, uiLibrary(t), "https://sotay.example.gov.vn").Handler()
	for _, p := range uiPages {
		t.Run(p.path, func(t *testing.T) {
			rec := uiGet(t, h, p.path, "")
			if rec.Code != p.status {
				t.Fatalf("GET %s = %d, want %d\n%s", p.path, rec.Code, p.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=UTF-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("CSP = %q", csp)
			}
			checkHTML(t, rec.Body.Bytes())
		})
	}
}

// maxPageBytes is the page budget: a phone on a weak 3G link at the
// one-stop desk loads 150 KB in a few seconds.
const maxPageBytes = 150 << 10

// checkHTML parses a served page and checks what every page must satisfy:
// size, lang="vi", a title, one h1, a skip link, unique ids, alt on every
// image, a label for every form control, ids named by for, aria-* and
// same-page fragments that exist, no interactive element inside a link or
// button, lists and definition lists holding only their items, no inline
// script or style (the CSP forbids them), and no external URL for scripts,
// styles, images, fonts or frames. External links are allowed only as
// plain <a href> (sources, the national portal). The Nu Html Checker runs
// on the same pages in TestHTMLValidator.
func checkHTML(t *testing.T, body []byte) {
	t.Helper()
	if len(body) > maxPageBytes {
		t.Errorf("page is %d bytes, budget %d", len(body), maxPageBytes)
	}
	if !bytes.HasPrefix(body, []byte("<!doctype html>")) {
		t.Errorf("page does not start with <!doctype html>: %.40q", body)
	}
	checkNesting(t, body)
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	ids := map[string]int{}
	labelled := map[string]bool{}
	var controls []string
	// refs are the ids other attributes point at, with what points.
	type ref struct{ id, from string }
	var refs []ref
	h1, titles := 0, 0
	skip := false
	var walk func(n *html.Node, inLabel bool, interactive string)
	walk = func(n *html.Node, inLabel bool, interactive string) {
		if n.Type == html.ElementNode {
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("<%s> has inline event handler %s", n.Data, a.Key)
				}
			}
			if id, ok := attr["id"]; ok {
				ids[id]++
				if id == "" || strings.ContainsAny(id, " \t\n") {
					t.Errorf("<%s id=%q>: an id is non-empty and has no spaces", n.Data, id)
				}
			}
			for _, k := range []string{"aria-labelledby", "aria-describedby", "aria-controls"} {
				for _, id := range strings.Fields(attr[k]) {
					refs = append(refs, ref{id, "<" + n.Data + " " + k + ">"})
				}
			}
			if f := attr["for"]; f != "" && n.Data == "label" {
				refs = append(refs, ref{f, "<label for>"})
			}
			if href, ok := strings.CutPrefix(attr["href"], "#"); ok && n.Data == "a" && href != "" {
				refs = append(refs, ref{href, "<a href=#>"})
			}
			switch n.Data {
			case "a", "button", "select", "textarea", "iframe", "details":
				if interactive != "" {
					t.Errorf("<%s> inside <%s>: interactive content may not nest", n.Data, interactive)
				}
			case "input":
				if interactive != "" && attr["type"] != "hidden" {
					t.Errorf("<input> inside <%s>: interactive content may not nest", interactive)
				}
			}
			if n.Data == "a" && attr["href"] != "" || n.Data == "button" {
				interactive = n.Data
			}
			switch n.Data {
			case "ul", "ol", "dl":
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.TextNode && strings.TrimSpace(c.Data) != "" {
						t.Errorf("<%s> holds text %.40q outside its items", n.Data, c.Data)
					}
					if c.Type != html.ElementNode || c.Data == "script" || c.Data == "template" {
						continue
					}
					if ok := c.Data == "li" && n.Data != "dl" || n.Data == "dl" && (c.Data == "dt" || c.Data == "dd" || c.Data == "div"); !ok {
						t.Errorf("<%s> inside <%s>", c.Data, n.Data)
					}
				}
			case "h1":
				h1++
			case "title":
				titles++
				if n.FirstChild == nil || strings.TrimSpace(n.FirstChild.Data) == "" {
					t.Errorf("empty <title>")
				}
			}
			if _, ok := attr["style"]; ok {
				t.Errorf("<%s> has a style attribute (CSP forbids inline style)", n.Data)
			}
			switch n.Data {
			case "html":
				if attr["lang"] != "vi" {
					t.Errorf(`<html lang=%q>, want "vi"`, attr["lang"])
				}
			case "style":
				t.Errorf("inline <style> element")
			case "script":
				if attr["src"] == "" {
					t.Errorf("inline <script>")
				}
			case "img":
				if _, ok := attr["alt"]; !ok {
					t.Errorf("<img src=%q> without alt", attr["src"])
				}
			case "label":
				if f := attr["for"]; f != "" {
					labelled[f] = true
				}
				inLabel = true
			case "input", "select", "textarea":
				if attr["type"] == "hidden" || attr["type"] == "submit" {
					break
				}
				if !inLabel && attr["aria-label"] == "" && attr["aria-labelledby"] == "" {
					if attr["id"] == "" {
						t.Errorf("<%s name=%q> has neither id nor label", n.Data, attr["name"])
					} else {
						controls = append(controls, attr["id"])
					}
				}
			case "a":
				if attr["class"] == "skip" && attr["href"] == "#main" {
					skip = true
				}
			}
			for _, k := range []string{"src", "href", "action", "srcset", "poster", "data", "formaction"} {
				v, ok := attr[k]
				if !ok || !external(v) {
					continue
				}
				if n.Data == "a" && k == "href" {
					continue // navigation, not loading
				}
				t.Errorf("<%s %s=%q> loads an external URL", n.Data, k, v)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inLabel, interactive)
		}
	}
	walk(doc, false, "")
	for id, n := range ids {
		if n > 1 {
			t.Errorf("id %q used %d times", id, n)
		}
	}
	for _, r := range refs {
		if ids[r.id] == 0 {
			t.Errorf("%s points at #%s, which is not on the page", r.from, r.id)
		}
	}
	if h1 != 1 {
		t.Errorf("page has %d <h1>, want 1", h1)
	}
	if titles != 1 {
		t.Errorf("page has %d <title>, want 1", titles)
	}
	for _, id := range controls {
		if !labelled[id] {
			t.Errorf("form control #%s has no <label for>", id)
		}
	}
	if !skip {
		t.Errorf("no skip link to #main")
	}
	if !bytes.Contains(body, []byte(`id="main"`)) {
		t.Errorf("no element with id main")
	}
}

// voidElements have no end tag.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// blockElements may not appear inside <p>: the parser would close the <p>
// early and the page would not be what the template says.
var blockElements = map[string]bool{"address": true, "article": true, "aside": true, "blockquote": true, "details": true,
	"div": true, "dl": true, "fieldset": true, "figure": true, "footer": true, "form": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "header": true, "hr": true, "main": true, "nav": true, "ol": true,
	"p": true, "pre": true, "section": true, "table": true, "ul": true}

// checkNesting reads the raw token stream, before the parser repairs
// anything: every element is closed in order, and no block sits in a <p>.
// Our templates and goldmark close every element they open.
func checkNesting(t *testing.T, body []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(body))
	var stack []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				t.Errorf("tokenize: %v", z.Err())
			}
			if len(stack) > 0 {
				t.Errorf("elements left open at the end: %v", stack)
			}
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if blockElements[tag] && slices.Contains(stack, "p") {
				t.Errorf("<%s> inside <p> (open: %v)", tag, stack)
			}
			if !voidElements[tag] {
				stack = append(stack, tag)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if len(stack) == 0 || stack[len(stack)-1] != tag {
				t.Errorf("</%s> closes nothing open (open: %v)", tag, stack)
				if i := slices.Index(stack, tag); i >= 0 {
					stack = stack[:i]
				}
				continue
			}
			stack = stack[:len(stack)-1]
		}
	}
}

func external(u string) bool {
	u = strings.TrimSpace(strings.ToLower(u))
	return strings.HasPrefix(u, "http:") || strings.HasPrefix(u, "https:") || strings.HasPrefix(u, "//")
}

func TestInternalNeverReachesPublicPages(t *testing.T) {
	h := uiServer(t, uiLibrary(t), "https://sotay.example.gov.vn").Handler()
	const id = "procedures/noi-bo/quy-trinh-zebraquartz"
	paths := []string{
		"/", "/docs", "/docs?kind=procedure", "/search?q=" + uiMarker, "/search?q=quy+trinh+noi+bo",
		"/docs/" + id, "/docs/" + id + "?print=1", "/api/v1/procedures/" + id + "/qr.png",
		"/api/v1/procedures/" + id + "/qr.svg", "/qr/sheet", "/qr/sheet?field=N%E1%BB%99i+b%E1%BB%99+" + uiMarker,
		"/sitemap.xml", "/docs/regulations/luat-ho-tich-2014", "/ask?q=quy+trinh+noi+bo+" + uiMarker,
	}
	for _, p := range paths {
		body := uiGet(t, h, p, "").Body.String()
		// Pages echo the query and the chosen field: drop those before
		// looking for the marker.
		if u, _ := url.Parse(p); u != nil {
			for _, v := range u.Query() {
				body = strings.ReplaceAll(body, html.EscapeString(v[0]), "")
			}
		}
		if strings.Contains(strings.ToLower(body), uiMarker) || strings.Contains(body, id) {
			t.Errorf("GET %s (public) shows the internal document", p)
		}
	}
	for _, p := range []string{"/docs/" + id, "/api/v1/procedures/" + id + "/qr.png"} {
		if rec := uiGet(t, h, p, ""); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s (public) = %d, want 404", p, rec.Code)
		}
	}
	// A token holder sees it in pages, lists and QR codes, but never in
	// the sitemap.
	for _, p := range []string{"/docs/" + id, "/docs?kind=procedure", "/qr/sheet?field=N%E1%BB%99i+b%E1%BB%99+" + uiMarker} {
		rec := uiGet(t, h, p, uiToken)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), uiMarker) {
			t.Errorf("GET %s (internal) = %d, marker shown %v", p, rec.Code, strings.Contains(rec.Body.String(), uiMarker))
		}
	}
	if rec := uiGet(t, h, "/api/v1/procedures/"+id+"/qr.png", uiToken); rec.Code != http.StatusOK {
		t.Errorf("internal QR for token holder = %d", rec.Code)
	}
	if rec := uiGet(t, h, "/sitemap.xml", uiToken); strings.Contains(rec.Body.String(), uiMarker) {
		t.Errorf("sitemap lists an internal document for a token holder")
	}
}

func TestProcedurePage(t *testing.T) {
	h := uiServer(t, uiLibrary(t), "https://sotay.example.gov.vn").Handler()
	body := uiGet(t, h, "/docs/procedures/ho-tich/dang-ky-khai-sinh", "").Body.String()
	for _, want := range []string{
		`<h1>Đăng ký khai sinh</h1>`,
		`<dd class="code">1.001193</dd>`,
		`<input type="checkbox" id="ui-hs-1"><label for="ui-hs-1"><strong>Tờ khai đăng ký khai sinh theo mẫu</strong>`,
		`href="/docs/regulations/luat-ho-tich-2014#dieu-16">Điều 16 Luật Hộ tịch 2014</a>`,
		`href="/docs/regulations/luat-ho-tich-2014#dieu-16-khoan-1">khoản 1 Điều 16 Luật Hộ tịch 2014</a>`,
		`<a href="https://dichvucong.gov.vn" rel="external noopener noreferrer">Nộp trên Cổng Dịch vụ công</a>`,
		`<img src="/api/v1/procedures/procedures/ho-tich/dang-ky-khai-sinh/qr.svg"`,
		`https://sotay.example.gov.vn/docs/procedures/ho-tich/dang-ky-khai-sinh`,
		`Tổng đài hỗ trợ của Sở Tư pháp`,
		`Đọc cho người gọi`,
		`href="/docs/procedures/ho-tich/dang-ky-khai-sinh?print=1"`,
		`id="cac-buoc-thuc-hien"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("procedure page lacks %s", want)
		}
	}
	// The body has its own steps section, so the front-matter steps are
	// not repeated.
	if strings.Contains(body, `id="ui-cac-buoc"`) {
		t.Errorf("front-matter steps shown although the body has a steps section")
	}
	speech := regexp.MustCompile(`(?s)<div class="speech">(.*?)</div>`).FindStringSubmatch(body)
	if speech == nil {
		t.Fatal("no read-aloud block")
	}
	n := strings.Count(speech[1], "<p>")
	if n < 3 || n > 6 {
		t.Errorf("read-aloud has %d sentences, want 3–6:\n%s", n, speech[1])
	}
	for _, want := range []string{"nộp hồ sơ tại Trung tâm Phục vụ hành chính công cấp xã", "giấy chứng sinh", "một số trường hợp cần thêm 1 loại giấy tờ khác", "Có thể nộp trực tuyến"} {
		if !strings.Contains(speech[1], want) {
			t.Errorf("read-aloud lacks %q:\n%s", want, speech[1])
		}
	}
	if strings.Contains(speech[1], "mang thai hộ") {
		t.Errorf("read-aloud reads a dossier item that applies only to some cases")
	}

	print := uiGet(t, h, "/docs/procedures/ho-tich/dang-ky-khai-sinh?print=1", "").Body.String()
	if !strings.Contains(print, `<body class="print-view">`) || strings.Contains(print, `data-print`) {
		t.Errorf("print view lacks the print layout or still shows the tools")
	}
}

func TestRegulationPage(t *testing.T) {
	h := uiServer(t, uiLibrary(t), "").Handler()
	body := uiGet(t, h, "/docs/regulations/luat-ho-tich-2014", "").Body.String()
	for _, want := range []string{
		`<h3 id="dieu-16">`, `<h2 id="chuong-2">`, `<li id="dieu-16-khoan-1">`, `id="dieu-16-khoan-2-diem-a"`,
		`<a href="#dieu-16">Điều 16. Thủ tục đăng ký khai sinh</a>`,
		`<a href="#chuong-2">`,
		`banner validity v-in_force`, `Còn hiệu lực từ ngày 01/01/2016.`,
		`Nội dung tóm tắt — xem văn bản gốc.`, `<a href="https://vbpl.vn/luat-ho-tich" rel="external noopener noreferrer">vbpl.vn</a>`,
		`data-anchors`,
		`<a href="/docs/procedures/ho-tich/dang-ky-khai-sinh">Đăng ký khai sinh</a>`, // related procedures
	} {
		if !strings.Contains(body, want) {
			t.Errorf("regulation page lacks %s", want)
		}
	}
	old := uiGet(t, h, "/docs/regulations/luat-cu-tru-2006", "").Body.String()
	for _, want := range []string{`banner validity v-expired`, `Hết hiệu lực từ ngày 01/07/2021.`,
		`Thay thế bởi <a href="/docs/regulations/luat-cu-tru-2020">Luật Cư trú 2020</a>.`} {
		if !strings.Contains(old, want) {
			t.Errorf("expired regulation page lacks %s", want)
		}
	}
	future := uiGet(t, h, "/docs/regulations/nd-tuong-lai", "").Body.String()
	if !strings.Contains(future, `Chưa có hiệu lực: có hiệu lực từ ngày 01/01/2099.`) {
		t.Errorf("future regulation page lacks the not-yet banner")
	}
}

func TestSearchPage(t *testing.T) {
	h := uiServer(t, uiLibrary(t), "").Handler()
	tests := []struct{ q, first string }{
		{"lam giay khai sinh", "/docs/procedures/ho-tich/dang-ky-khai-sinh"},
		{"làm giấy khai sinh", "/docs/procedures/ho-tich/dang-ky-khai-sinh"},
		{"dang ky ket hon", "/docs/procedures/ho-tich/dang-ky-ket-hon"},
		{"nhap khau", "/docs/procedures/cu-tru/dang-ky-thuong-tru"},
	}
	first := regexp.MustCompile(`<ol id="results"[^>]*>\s*<li>\s*<a href="([^"#]*)`)
	for _, tc := range tests {
		body := uiGet(t, h, "/search?q="+url.QueryEscape(tc.q), "").Body.String()
		m := first.FindStringSubmatch(body)
		if m == nil || m[1] != tc.first {
			t.Errorf("search page %q: first result %v, want %s", tc.q, m, tc.first)
		}
		if !strings.Contains(body, "<mark>") {
			t.Errorf("search page %q: no highlighted snippet", tc.q)
		}
	}
	empty := uiGet(t, h, "/search?q=xyzzyqwv", "").Body.String()
	if !strings.Contains(empty, "Không tìm thấy kết quả phù hợp") {
		t.Errorf("empty search lacks the Vietnamese empty state")
	}
	rec := uiGet(t, h, "/search?q=khai&at=25/11/2026", "")
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "Ngày tra cứu phải có dạng YYYY-MM-DD") {
		t.Errorf("bad date: %d, body lacks the Vietnamese error", rec.Code)
	}
	xss := uiGet(t, h, "/search?q="+url.QueryEscape(`<script>alert(1)</script>`), "").Body.String()
	if strings.Contains(xss, "<script>alert") {
		t.Errorf("query echoed unescaped")
	}
	// Filters reach the retriever: an expired law is found only on a date
	// when it was in force.
	now := uiGet(t, h, "/search?kind=regulation&q=pham+vi+dieu+chinh+cu+tru", "").Body.String()
	then := uiGet(t, h, "/search?kind=regulation&q=pham+vi+dieu+chinh+cu+tru&at=2015-01-01", "").Body.String()
	if strings.Contains(now, "/docs/regulations/luat-cu-tru-2006") || !strings.Contains(then, "/docs/regulations/luat-cu-tru-2006") {
		t.Errorf("the at filter does not reach the search page")
	}
}

// TestSearchPageIndexNotReady: the error state is a page, not a JSON blob.
func TestSearchPageIndexNotReady(t *testing.T) {
	lib := uiLibrary(t)
	srv, err := api.New(api.Options{Library: func() *handbook.Library { return lib }, Ready: func() bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	rec := uiGet(t, srv.Handler(), "/search?q=khai+sinh", "")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "Chỉ mục đang được xây dựng") {
		t.Errorf("search while indexing = %d, want 503 with a Vietnamese message", rec.Code)
	}
	checkHTML(t, rec.Body.Bytes())
	// No Assistant configured: the ask page says so and points to search.
	ask := uiGet(t, srv.Handler(), "/ask", "")
	if ask.Code != http.StatusOK || !strings.Contains(ask.Body.String(), "Chức năng hỏi đáp chưa được bật") || strings.Contains(ask.Body.String(), "data-stream") {
		t.Errorf("ask page without an assistant = %d, lacks the notice or still streams", ask.Code)
	}
	checkHTML(t, ask.Body.Bytes())
}

func TestAskPage(t *testing.T) {
	h := uiServer(t, uiLibrary(t), "").Handler()
	// The form posts without JavaScript and gets a server-rendered answer.
	req := httptest.NewRequest(http.MethodPost, "/ask", strings.NewReader("q="+url.QueryEscape("ai có thẩm quyền đăng ký kết hôn")+"&form=short"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /ask = %d\n%s", rec.Code, body)
	}
	checkHTML(t, rec.Body.Bytes())
	for _, want := range []string{
		`<form class="ask" id="ask-form" action="/ask" method="post" data-stream>`,
		`<a class="cite" href="#trich-dan-1">[1]</a>`,
		`<li id="trich-dan-1"><a href="/docs/regulations/luat-ho-tich-2014#dieu-17-khoan-1">khoản 1 Điều 17 Luật Hộ tịch 2014</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("answer page lacks %s", want)
		}
	}
	req = httptest.NewRequest(http.MethodPost, "/ask", strings.NewReader("q=+"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "Vui lòng nhập câu hỏi.") {
		t.Errorf("empty question = %d, want 400 with a Vietnamese message", rec.Code)
	}
	long := uiGet(t, h, "/ask?q="+strings.Repeat("a", 3000), "")
	if long.Code != http.StatusBadRequest {
		t.Errorf("over-long question = %d, want 400", long.Code)
	}
	checkHTML(t, long.Body.Bytes())
}

func TestDraftPages(t *testing.T) {
	h := uiServer(t, uiLibrary(t), "").Handler()
	page := func(target string) *httptest.ResponseRecorder {
		t.Helper()
		rec := uiGet(t, h, target, uiToken)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d\n%.500s", target, rec.Code, rec.Body)
		}
		checkHTML(t, rec.Body.Bytes())
		return rec
	}
	if body := page("/drafts").Body.String(); !strings.Contains(body, `<option value="thong-bao">Thông báo (TB)</option>`) {
		t.Errorf("template chooser lacks the fixture template")
	}
	form := page("/drafts?template=thong-bao").Body.String()
	for _, want := range []string{`<form class="draft" action="/drafts" method="post">`, `name="f.trich_yeu"`,
		`<label for="f-trich_yeu">Trích yếu <span class="req">*</span></label>`, `name="signer_authority"`} {
		if !strings.Contains(form, want) {
			t.Errorf("draft form lacks %s", want)
		}
	}

	// Post the form as a browser without JavaScript does.
	v := url.Values{"template": {"templates/thong-bao"}, "f.trich_yeu": {"lịch tiếp công dân tháng 12"},
		"f.noi_dung": {"Ủy ban nhân dân xã tiếp công dân vào thứ Năm hằng tuần."}, "issuer": {"Ủy ban nhân dân xã Suối Mây"},
		"issuer_code": {"UBND"}, "signer_title": {"Chủ tịch"}}
	req := httptest.NewRequest(http.MethodPost, "/drafts", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+uiToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/drafts/") {
		t.Fatalf("POST /drafts = %d, Location %q\n%.500s", rec.Code, loc, rec.Body)
	}
	id := strings.TrimPrefix(loc, "/drafts/")
	body := page(loc).Body.String()
	for _, want := range []string{
		`href="/api/v1/drafts/` + id + `.docx"`, `<iframe class="draft-preview" src="/drafts/` + id + `/preview"`,
		`value="lịch tiếp công dân tháng 12"`, "chỗ cần bổ sung", `class="findings"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("draft page lacks %s", want)
		}
	}
	prev := uiGet(t, h, "/drafts/"+id+"/preview", uiToken)
	csp := prev.Header().Get("Content-Security-Policy")
	if prev.Code != http.StatusOK || !strings.Contains(prev.Body.String(), `class="nd30"`) ||
		!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'self'") || strings.Contains(csp, "script-src") {
		t.Errorf("preview = %d, CSP %q", prev.Code, csp)
	}
	if !strings.Contains(prev.Body.String(), "LỊCH TIẾP CÔNG DÂN THÁNG 12") && !strings.Contains(prev.Body.String(), "lịch tiếp công dân tháng 12") {
		t.Errorf("preview lacks the subject")
	}
	if d := uiGet(t, h, "/api/v1/drafts/"+id+".docx", uiToken); d.Code != http.StatusOK || !bytes.HasPrefix(d.Body.Bytes(), []byte("PK")) {
		t.Errorf("docx download = %d", d.Code)
	}

	// A refused request comes back as the form with the message.
	bad := url.Values{"template": {"templates/thong-bao"}, "date": {"31/02/2026"}}
	req = httptest.NewRequest(http.MethodPost, "/drafts", strings.NewReader(bad.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+uiToken)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `class="banner error"`) || !strings.Contains(rec.Body.String(), `name="f.trich_yeu"`) {
		t.Errorf("bad date: %d, want 400 with the message and the form\n%.800s", rec.Code, rec.Body)
	}
	checkHTML(t, rec.Body.Bytes())

	// The public sees none of it, and no link to it.
	for _, p := range []string{"/drafts", "/drafts?template=thong-bao", loc, loc + "/preview"} {
		if rec := uiGet(t, h, p, ""); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s (public) = %d, want 404", p, rec.Code)
		}
	}
	if home := uiGet(t, h, "/", "").Body.String(); strings.Contains(home, `href="/drafts"`) {
		t.Errorf("the public home page links to drafting")
	}
	if home := uiGet(t, h, "/", uiToken).Body.String(); !strings.Contains(home, `href="/drafts"`) {
		t.Errorf("an official's home page does not link to drafting")
	}
	if tpl := uiGet(t, h, "/docs/templates/thong-bao", uiToken).Body.String(); !strings.Contains(tpl, `href="/drafts?template=thong-bao"`) {
		t.Errorf("the template page does not link to drafting")
	}
}

func TestSitemapAndRobots(t *testing.T) {
	lib := uiLibrary(t)
	h := uiServer(t, lib, "https://sotay.example.gov.vn").Handler()
	rec := uiGet(t, h, "/sitemap.xml", "")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/xml") {
		t.Fatalf("sitemap = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	locs := regexp.MustCompile(`<loc>([^<]*)</loc>`).FindAllStringSubmatch(rec.Body.String(), -1)
	var got []string
	for _, m := range locs {
		got = append(got, m[1])
	}
	var want []string
	want = append(want, "https://sotay.example.gov.vn/", "https://sotay.example.gov.vn/search")
	for _, d := range lib.All() {
		if d.Audience != handbook.AudienceInternal {
			want = append(want, "https://sotay.example.gov.vn/docs/"+d.ID)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("sitemap locs = %q, want %q", got, want)
	}
	robots := uiGet(t, h, "/robots.txt", "").Body.String()
	if !strings.Contains(robots, "Sitemap: https://sotay.example.gov.vn/sitemap.xml") || !strings.Contains(robots, "Disallow: /api/") {
		t.Errorf("robots.txt = %q", robots)
	}
}

func TestStaticAndServiceWorker(t *testing.T) {
	h := uiServer(t, uiLibrary(t), "").Handler()
	home := uiGet(t, h, "/", "").Body.String()
	css := regexp.MustCompile(`href="(/static/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(home)
	js := regexp.MustCompile(`src="(/static/app\.js\?v=[0-9a-f]+)"`).FindStringSubmatch(home)
	if css == nil || js == nil {
		t.Fatalf("home does not link versioned app.css and app.js")
	}
	rec := uiGet(t, h, css[1], "")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/css; charset=utf-8" ||
		!strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("GET %s = %d %q %q", css[1], rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
	}
	for _, f := range []string{js[1], "/static/icon.svg"} {
		if rec := uiGet(t, h, f, ""); rec.Code != 200 {
			t.Errorf("GET %s = %d", f, rec.Code)
		}
	}
	if rec := uiGet(t, h, "/static/../server.go", ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET /static/../server.go = %d", rec.Code)
	}
	sw := uiGet(t, h, "/sw.js", "")
	body := sw.Body.String()
	if sw.Code != 200 || !strings.HasPrefix(sw.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("GET /sw.js = %d %q", sw.Code, sw.Header().Get("Content-Type"))
	}
	if strings.Contains(body, "__VERSION__") || strings.Contains(body, "__PRECACHE__") {
		t.Errorf("sw.js still holds placeholders")
	}
	for _, want := range []string{`"` + css[1] + `"`, `"` + js[1] + `"`, `"/offline"`, "'/docs/procedures/'"} {
		if !strings.Contains(body, want) {
			t.Errorf("sw.js lacks %s", want)
		}
	}
}

// TestEveryContentPage renders every document of the real knowledge base
// (the content/ tree) and checks each page; a new content file that breaks
// the layout or the page budget fails here.
func TestEveryContentPage(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the whole knowledge base")
	}
	lib, err := indexer.LoadAt(content.FS, handbook.DateOf(uiNow))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Options{Library: func() *handbook.Library { return lib }, Now: func() time.Time { return uiNow },
		Tokens: []string{uiToken}, BaseURL: "https://sotay.example.gov.vn"})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	n := 0
	for _, d := range lib.All() {
		for _, p := range []string{"/docs/" + d.ID, "/docs/" + d.ID + "?print=1"} {
			rec := uiGet(t, h, p, uiToken)
			if rec.Code != http.StatusOK {
				t.Errorf("GET %s = %d", p, rec.Code)
				continue
			}
			t.Run(p, func(t *testing.T) { checkHTML(t, rec.Body.Bytes()) })
			n++
		}
		if d.Kind == handbook.KindProcedure {
			body := uiGet(t, h, "/docs/"+d.ID, uiToken).Body.String()
			if m := regexp.MustCompile(`(?s)<div class="speech">(.*?)</div>`).FindStringSubmatch(body); m != nil {
				if c := strings.Count(m[1], "<p>"); c < 3 || c > 6 {
					t.Errorf("%s: read-aloud has %d sentences", d.ID, c)
				}
			}
		}
	}
	for _, p := range []string{"/", "/docs", "/docs?kind=procedure", "/docs?kind=regulation", "/docs?kind=faq", "/qr/sheet?field=H%E1%BB%99+t%E1%BB%8Bch"} {
		rec := uiGet(t, h, p, uiToken)
		t.Run(p, func(t *testing.T) { checkHTML(t, rec.Body.Bytes()) })
		n++
	}
	t.Logf("checked %d pages of %d documents", n, len(lib.Docs))
}
