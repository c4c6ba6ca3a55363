// Package prompts holds the LLM prompts as embedded text/template files,
// one function per prompt with a typed input (STYLE.md §11). Prompt text is
// Vietnamese; the question and the numbered excerpts go in the user message
// between delimiters, never in the system message. Version hashes the
// templates so that every answer records which prompt produced it.
//
// It imports handbook and the standard library only.
package prompts

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"strings"
	"text/template"

	"sotay/handbook"
)

//go:embed *.tmpl
var files embed.FS

// templates maps a prompt name to its system and user templates.
var templates = map[string][2]string{
	"answer": {"answer.system.tmpl", "answer.user.tmpl"},
	"draft":  {"draft.system.tmpl", "draft.user.tmpl"},
}

// parsed holds every template, parsed once; a broken file fails at start-up.
var parsed = template.Must(template.New("prompts").Option("missingkey=error").Funcs(template.FuncMap{
	"clean": clean,
	"line":  line,
	"inc":   func(i int) int { return i + 1 },
}).ParseFS(files, "*.tmpl"))

// clean keeps user and content text from closing or faking the delimiters
// of the user message ("=== HẾT CÂU HỎI ===" typed into a question).
func clean(s string) string {
	s = handbook.Normalize(s)
	for strings.Contains(s, "===") {
		s = strings.ReplaceAll(s, "===", "= =")
	}
	return strings.TrimSpace(s)
}

// line is clean on one line: the question cannot start a line of its own
// that looks like an excerpt ("[9] …").
func line(s string) string {
	return handbook.NormalizeLine(clean(s))
}

// Answer builds the messages that ask for a grounded answer: the rules in
// the system message, the question and the excerpts [1]…[n] in the user
// message.
func Answer(in handbook.AnswerInput) ([]handbook.Message, error) {
	return render("answer", in)
}

// Draft builds the messages that ask for the body of an administrative
// document (handbook.Drafter): the drafting rules in the system message; the
// document type, the part to write, the fields already filled in, the
// drafter's instructions and the cited regulations in the user message,
// each between delimiters.
func Draft(in handbook.DraftPromptInput) ([]handbook.Message, error) {
	return render("draft", in)
}

func render(name string, data any) ([]handbook.Message, error) {
	pair := templates[name]
	var msgs []handbook.Message
	for i, role := range []string{"system", "user"} {
		var b bytes.Buffer
		if err := parsed.ExecuteTemplate(&b, pair[i], data); err != nil {
			return nil, fmt.Errorf("render prompt %s: %w", pair[i], err)
		}
		msgs = append(msgs, handbook.Message{Role: role, Content: strings.TrimSpace(b.String()) + "\n"})
	}
	return msgs, nil
}

// Version returns a short hash of the templates of the named prompt
// ("answer", "draft"), or "" for an unknown name. It changes whenever the
// prompt text does and is stored in Answer.PromptVersion and
// Draft.PromptVersion.
func Version(name string) string {
	pair, ok := templates[name]
	if !ok {
		return ""
	}
	h := sha256.New()
	for _, f := range pair {
		b, err := files.ReadFile(f)
		if err != nil {
			return ""
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return name + "-" + hex.EncodeToString(h.Sum(nil))[:12]
}
