package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"sotay/handbook"
	"sotay/handbook/openai"
	"sotay/prompts"
)

// conversationTTL is how long a conversation's focus and questions are kept
// in memory for follow-ups: about the length of a hotline call.
const conversationTTL = 30 * time.Minute

// newAssistant wires the answer layer on the app's retriever. With
// HANDBOOK_LLM_URL set, non-procedure questions are answered by that chat
// model and verified; without it, answers quote the sources.
func newAssistant(cfg Config, app *App) *handbook.Assistant {
	a := &handbook.Assistant{
		Retriever:     app.Retriever,
		Library:       app.Library,
		Prompt:        prompts.Answer,
		PromptVersion: prompts.Version("answer"),
		TopK:          cfg.TopK,
		Memory:        handbook.NewConversations(conversationTTL, 10000),
	}
	if cfg.LLMURL != "" {
		a.LLM = openai.NewChat(cfg.LLMURL, cfg.LLMKey, cfg.LLMModel, cfg.LLMTimeout)
	}
	return a
}

func cmdAsk(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	mode := fs.String("mode", "auto", "auto, extractive or llm")
	form := fs.String("form", "short", "short (to read to a caller) or full")
	focus := fs.String("focus", "", "procedure id a follow-up question is about")
	filter := filterFlags(fs)
	cfg, fset, err := loadWithExtra("ask", args, getenv, stderr, fs)
	if err != nil {
		return err
	}
	q := strings.Join(fset.Args(), " ")
	log := newLogger(Config{LogLevel: "warn", LogFormat: "text"}, stderr)
	app, err := openSynced(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	req := handbook.AskRequest{
		Question:     q,
		Mode:         handbook.AskMode(*mode),
		Form:         handbook.AnswerForm(*form),
		Conversation: handbook.Conversation{Focus: *focus},
	}
	if req.Filter, err = filter(); err != nil {
		return err
	}
	ans, err := newAssistant(cfg, app).Ask(ctx, req)
	if err != nil {
		return userError(err)
	}
	if ans.Fallback != "" && ans.Fallback != handbook.FallbackNotConfigured {
		log.Warn("answer fell back to quoting the sources", "fallback", ans.Fallback, "detail", ans.FallbackDetail)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ans)
	}
	printAnswer(stdout, ans)
	return nil
}

// printAnswer writes an answer for a person at a terminal.
func printAnswer(w io.Writer, a *handbook.Answer) {
	fmt.Fprintln(w, a.Text)
	if a.Notice != "" {
		fmt.Fprintf(w, "\nLưu ý: %s\n", a.Notice)
	}
	if len(a.Citations) > 0 {
		fmt.Fprintln(w, "\nNguồn:")
		for i, c := range a.Citations {
			fmt.Fprintf(w, "  [%d] %s  %s\n", i+1, c.Label, c.URL)
			if c.Quote != "" {
				fmt.Fprintf(w, "      «%s»\n", clip(c.Quote, 240))
			}
		}
	}
	if p := a.Procedure; p != nil {
		fmt.Fprintf(w, "\nThủ tục: %s  %s\n", p.Title, p.URL)
		if p.Code != "" {
			fmt.Fprintf(w, "  Mã thủ tục: %s\n", p.Code)
		}
		if p.Hotline != "" {
			fmt.Fprintf(w, "  Hỗ trợ: %s\n", p.Hotline)
		}
	}
	if len(a.Nearest) > 0 {
		fmt.Fprintln(w, "\nCác trang gần nhất:")
		for _, h := range a.Nearest {
			fmt.Fprintf(w, "  - %s  %s\n", h.Title, handbook.DocURL(h.DocID, h.Anchor))
		}
	}
	if a.Referral != nil && !a.Answerable {
		fmt.Fprintf(w, "\nGửi câu hỏi: %s\n", a.Referral.Message)
	}
	fmt.Fprintf(w, "\n(chế độ %s", a.ModeUsed)
	if a.Fallback != "" {
		fmt.Fprintf(w, ", thay cho LLM: %s", a.Fallback)
	}
	fmt.Fprintf(w, ", %s)\n", a.Took.Round(time.Millisecond))
}

// clip shortens s to about n runes at a word boundary.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + " …"
}
