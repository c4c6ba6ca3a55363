package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sotay/api"
	"sotay/handbook"
	"sotay/handbook/docx"
	"sotay/handbook/openai"
	"sotay/prompts"
)

// docxCodec gives the server the .docx writer and reader.
var docxCodec = api.DocxCodec{Render: docx.Render, Check: docx.Check}

// draftStoreOf returns the state store's drafts, so that a draft made on one
// replica downloads from any other (api.Options.Drafts); every store of
// ours keeps them.
func draftStoreOf(s handbook.Store) handbook.DraftStore {
	ds, _ := s.(handbook.DraftStore)
	return ds
}

// newDrafter wires drafting on the app's library. With HANDBOOK_LLM_URL set,
// body paragraphs are written by that chat model from the request's
// instructions. within is the time one request may take (0: no limit); the
// model gets two thirds of it, so that a slow model leaves the draft built
// from the fields alone, with a warning, instead of timing the request out.
func newDrafter(cfg Config, app *App, within time.Duration) *handbook.Drafter {
	dr := &handbook.Drafter{Library: app.Library}
	if cfg.LLMURL != "" {
		dr.LLM = openai.NewChat(cfg.LLMURL, cfg.LLMKey, cfg.LLMModel, draftLLMTimeout(cfg.LLMTimeout, within))
		dr.Prompt, dr.PromptVersion = prompts.Draft, prompts.Version("draft")
	}
	return dr
}

// draftLLMTimeout is the time the model gets for a draft's body: the
// configured LLM timeout, but at most two thirds of the request's time
// (within; 0 means no limit).
func draftLLMTimeout(configured, within time.Duration) time.Duration {
	if budget := within * 2 / 3; budget > 0 && (configured <= 0 || configured > budget) {
		return budget
	}
	return configured
}

const draftUsage = `Cách dùng:
  handbook draft -template quyet-dinh [-fields yeu-cau.json] [-set khoa=giá-trị …] [-out van-ban.docx|.json|.txt] [-text]
  handbook draft -check van-ban.docx|van-ban.json|van-ban.txt

-set nhận tên trường của mẫu (trich_yeu, noi_dung, …; lặp lại một trường nhiều dòng để thêm dòng)
và các thông tin chung: superior, issuer, issuer_code, unit_code, place, date, number,
signer.authority, signer.collective, signer.head, signer.title, signer.name, instructions,
recipient (lặp lại được), legal_basis (lặp lại được; "regulations/luat-ho-tich-2014#dieu-16").
-fields là tệp JSON: một yêu cầu soạn thảo đầy đủ (như POST /api/v1/drafts) hoặc chỉ các trường của mẫu.
Thông tin còn thiếu được giữ chỗ [CẦN BỔ SUNG: …]. Các phát hiện của trình kiểm tra in ra stderr;
-check trả mã thoát 1 khi có lỗi.
`

// setFlags collects repeated -set key=value pairs in order.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, " ") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

func cmdDraft(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("draft", flag.ContinueOnError)
	tpl := fs.String("template", "", "template: slug (quyet-dinh), id, document type or abbreviation (QĐ)")
	fieldsFile := fs.String("fields", "", "JSON file: a drafting request or the template's fields")
	var sets setFlags
	fs.Var(&sets, "set", "key=value: a template field or a request key (repeatable)")
	out := fs.String("out", "", "write the draft to this file: .docx, .json (the structured draft) or .txt")
	text := fs.Bool("text", false, "print the draft as text on stdout")
	check := fs.String("check", "", "check a .docx, .json or .txt draft instead of drafting")
	fs.Usage = func() { fmt.Fprint(stderr, draftUsage) }
	cfg, fset, err := loadWithExtra("draft", args, getenv, stderr, fs)
	if err != nil {
		return err
	}
	if rest := fset.Args(); len(rest) > 0 {
		fmt.Fprint(stderr, draftUsage)
		return fmt.Errorf("draft: unexpected arguments %q", rest)
	}
	if *check == "" && *tpl == "" && *fieldsFile == "" {
		fmt.Fprint(stderr, draftUsage)
		return errors.New("draft: -template or -check is required")
	}
	log := newLogger(Config{LogLevel: "warn", LogFormat: "text"}, stderr)
	app, err := openApp(cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	dr := newDrafter(cfg, app, 0)
	if *check != "" {
		return runDraftCheck(ctx, dr, *check, stdout)
	}
	req := handbook.DraftRequest{}
	if *fieldsFile != "" {
		if req, err = readDraftRequest(*fieldsFile); err != nil {
			return err
		}
	}
	if *tpl != "" {
		req.Template = *tpl
	}
	if err := applySets(&req, sets); err != nil {
		return err
	}
	d, err := dr.Draft(ctx, req)
	if err != nil {
		return userError(err)
	}
	printFindings(stderr, d.Findings)
	if *out != "" {
		if err := writeDraft(*out, d); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Đã ghi %s (%d chỗ cần bổ sung).\n", *out, len(d.Placeholders))
	}
	if *text || *out == "" {
		fmt.Fprint(stdout, d.Text())
	}
	return nil
}

// readDraftRequest reads -fields: a whole DraftRequest when the object has
// one of its keys, else a map of template fields.
func readDraftRequest(path string) (handbook.DraftRequest, error) {
	var req handbook.DraftRequest
	b, err := os.ReadFile(path)
	if err != nil {
		return req, fmt.Errorf("read -fields: %w", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return req, fmt.Errorf("-fields %s: not a JSON object: %w", path, err)
	}
	isRequest := false
	for _, k := range []string{"template", "fields", "issuer", "signer", "recipients", "legal_bases", "date", "number"} {
		_, ok := top[k]
		isRequest = isRequest || ok
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if isRequest {
		err = dec.Decode(&req)
	} else {
		err = dec.Decode(&req.Fields)
	}
	if err != nil {
		return req, fmt.Errorf("-fields %s: %w", path, err)
	}
	return req, nil
}

// applySets applies -set pairs: request keys by their JSON name, anything
// else as a template field. A repeated multi-line field gets one line per
// -set.
func applySets(req *handbook.DraftRequest, sets []string) error {
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return fmt.Errorf("-set %q: want key=value", kv)
		}
		switch k {
		case "template":
			req.Template = v
		case "superior":
			req.Superior = v
		case "issuer":
			req.Issuer = v
		case "issuer_code":
			req.IssuerCode = v
		case "unit_code":
			req.UnitCode = v
		case "place":
			req.Place = v
		case "date":
			req.Date = v
		case "number":
			req.Number = v
		case "instructions":
			req.Instructions = v
		case "signer.authority":
			req.Signer.Authority = v
		case "signer.collective":
			req.Signer.Collective = v
		case "signer.head":
			req.Signer.Head = v
		case "signer.title":
			req.Signer.Title = v
		case "signer.name":
			req.Signer.Name = v
		case "recipient", "recipients":
			req.Recipients = append(req.Recipients, v)
		case "legal_basis", "legal_bases":
			doc, article, _ := strings.Cut(v, "#")
			req.LegalBases = append(req.LegalBases, handbook.Reference{Doc: doc, Article: article})
		default:
			if req.Fields == nil {
				req.Fields = map[string]string{}
			}
			if prev := req.Fields[k]; prev != "" {
				v = prev + "\n" + v
			}
			req.Fields[k] = v
		}
	}
	return nil
}

// writeDraft writes d in the format the file name asks for.
func writeDraft(path string, d *handbook.Draft) error {
	var b []byte
	var err error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".docx":
		b, err = docx.Render(d)
	case ".json":
		b, err = json.MarshalIndent(d, "", "  ")
		b = append(b, '\n')
	case ".txt", ".md":
		b = []byte(d.Text())
	default:
		return fmt.Errorf("-out %s: want a .docx, .json or .txt file", path)
	}
	if err != nil {
		return fmt.Errorf("render %s: %w", path, err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil { // drafts may hold personal data
		return fmt.Errorf("write draft: %w", err)
	}
	return nil
}

// runDraftCheck validates a .docx, a JSON draft (or a drafting request) or a
// text file and prints the findings; errors end with exit status 1.
func runDraftCheck(ctx context.Context, dr *handbook.Drafter, path string, stdout io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read -check file: %w", err)
	}
	kind := strings.ToLower(filepath.Ext(path))
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		kind = ".docx"
	case bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")):
		kind = ".json"
	}
	var fs []handbook.Finding
	switch kind {
	case ".docx":
		fs, err = docx.Check(dr, b)
	case ".json":
		fs, err = checkJSONFile(ctx, dr, b)
	default:
		var d *handbook.Draft
		if d, err = handbook.ParseDraftText(string(b)); err == nil {
			fs = dr.Check(d, handbook.Date{})
		}
	}
	if err != nil {
		return userError(err)
	}
	printFindings(stdout, fs)
	errs := 0
	for _, f := range fs {
		if f.Severity == handbook.SeverityError {
			errs++
		}
	}
	switch {
	case len(fs) == 0:
		fmt.Fprintln(stdout, "Không phát hiện sai sót về thể thức.")
	default:
		fmt.Fprintf(stdout, "%d lỗi, %d cảnh báo.\n", errs, len(fs)-errs)
	}
	if handbook.HasErrors(fs) {
		return exitError(1)
	}
	return nil
}

// checkJSONFile checks a JSON draft; a drafting request is drafted first,
// and the findings are those of the result.
func checkJSONFile(ctx context.Context, dr *handbook.Drafter, b []byte) ([]handbook.Finding, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err == nil {
		_, tpl := top["template"]
		_, fields := top["fields"]
		_, body := top["body"]
		if _, wrapped := top["draft"]; !wrapped && !body && (fields || tpl) {
			var req handbook.DraftRequest
			if err := json.Unmarshal(b, &req); err == nil {
				d, err := dr.Draft(ctx, req)
				if err != nil {
					return nil, err
				}
				return d.Findings, nil
			}
		}
	}
	d, err := api.DecodeDraft(b)
	if err != nil {
		return nil, err
	}
	return dr.Check(d, handbook.Date{}), nil
}

// printFindings writes one finding per line for the drafter, in
// Vietnamese: severity, component, message and the rule it comes from
// ("lỗi: Số, ký hiệu: … (Phụ lục I, Phần I, mục II.3 …)").
func printFindings(w io.Writer, fs []handbook.Finding) {
	for _, f := range fs {
		sev := "cảnh báo"
		if f.Severity == handbook.SeverityError {
			sev = "lỗi"
		}
		if f.Component != "" {
			fmt.Fprintf(w, "%s: %s: %s (%s)\n", sev, f.Component.Label(), f.Message, f.Rule)
		} else {
			fmt.Fprintf(w, "%s: %s (%s)\n", sev, f.Message, f.Rule)
		}
	}
}
