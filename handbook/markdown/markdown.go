package markdown

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"sotay/handbook"
)

// MaxFileSize is the largest content file Parse accepts. The longest law in
// the knowledge base is a few hundred kilobytes; anything near this size is
// a mistake (a pasted PDF, a binary) and would slow every index build.
const MaxFileSize = 2 << 20

// Errors that stop a file from loading; Parse wraps them in an *Error.
var (
	ErrTooLarge                = fmt.Errorf("file larger than %d bytes", MaxFileSize)
	ErrInvalidUTF8             = errors.New("file is not valid UTF-8")
	ErrNoFrontMatter           = errors.New(`missing front matter: the file must start with a "---" line`)
	ErrUnterminatedFrontMatter = errors.New(`unterminated front matter: no closing "---" line`)
	ErrFrontMatter             = errors.New("invalid front matter")
	ErrThesaurus               = errors.New("invalid thesaurus")
	ErrTooDeep                 = fmt.Errorf("lists and block quotes nested deeper than %d levels", maxNesting)
)

// maxNesting bounds the block quotes and lists that one line may open, and
// (as maxIndent) how far it may be indented. goldmark's time grows with the
// square of the nesting depth: 20,000 nested "- " take seconds. Real
// content nests three or four levels.
const (
	maxNesting = 64
	maxIndent  = 4 * maxNesting
)

// Error is a finding that stops a file from loading. Line is 1-based, or 0
// when the finding is about the whole file.
type Error struct {
	Path string
	Line int
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.Path, max(e.Line, 1), e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Problem returns the error as a lint problem of severity error.
func (e *Error) Problem() handbook.Problem {
	return handbook.Problem{Path: e.Path, Line: max(e.Line, 1), Severity: handbook.SeverityError, Message: e.Err.Error()}
}

// Parse reads one content file. path is relative to the content root
// ("procedures/ho-tich/dang-ky-khai-sinh.md"); the document id is path
// without ".md".
//
// A non-nil error (an *Error) means the file cannot be used: too large, not
// UTF-8, no or broken front matter, a missing title or an invalid kind, or
// lists and quotes nested too deeply. The problems are findings that do not
// stop the file (unknown keys; values of the wrong type, which are then
// ignored); they are returned with the error too, so that lint can show
// everything at once.
func Parse(path string, data []byte) (*handbook.Document, []handbook.Problem, error) {
	if len(data) > MaxFileSize {
		return nil, nil, &Error{Path: path, Err: ErrTooLarge}
	}
	if !utf8.Valid(data) {
		return nil, nil, &Error{Path: path, Line: invalidUTF8Line(data), Err: ErrInvalidUTF8}
	}
	sum := sha256.Sum256(data)
	// Normalize drops a BOM and CR (so CRLF files read as LF) and composes
	// NFD text, which Word and PDF copies often are; line breaks stay
	// where they were, so line numbers still match the file.
	src := handbook.Normalize(string(data))
	fm, err := splitFrontMatter(src)
	if err != nil {
		return nil, nil, &Error{Path: path, Line: fm.openLine, Err: err}
	}
	d := &yamlDecoder{invalid: ErrFrontMatter, path: path, offset: fm.yamlLine - 1, lines: map[string]int{}}
	meta, err := d.decodeFrontMatter(fm.yaml)
	if err != nil {
		return nil, d.problems, err
	}
	doc := &handbook.Document{
		ID:       strings.TrimSuffix(path, ".md"),
		Path:     path,
		Hash:     hex.EncodeToString(sum[:]),
		Body:     fm.body,
		BodyLine: fm.bodyLine,
		KeyLines: d.lines,
	}
	meta.apply(doc)
	if line, ok := tooDeep(fm.body); !ok {
		return nil, d.problems, &Error{Path: path, Line: fm.bodyLine + line, Err: ErrTooDeep}
	}
	b := newBuilder(doc, fm.body)
	if err := b.build(); err != nil {
		return nil, d.problems, &Error{Path: path, Line: fm.bodyLine, Err: err}
	}
	problems := append(d.problems, b.problems...)
	return doc, problems, nil
}

// invalidUTF8Line returns the 1-based line of the first invalid byte.
func invalidUTF8Line(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return line
}

// tooDeep finds the first line (0-based) that opens more than maxNesting
// block quotes and list items, or is indented more than maxIndent columns;
// ok is false when there is one.
func tooDeep(body string) (line int, ok bool) {
	for l := range strings.SplitSeq(body, "\n") {
		depth, indent := 0, 0
		i := 0
	scan:
		for i < len(l) {
			switch c := l[i]; {
			case c == ' ':
				indent++
				i++
			case c == '\t':
				indent += 4
				i++
			case c == '>':
				depth++
				i++
			case c == '-' || c == '*' || c == '+':
				if i+1 < len(l) && l[i+1] != ' ' && l[i+1] != '\t' {
					break scan
				}
				depth++
				i++
			case c >= '0' && c <= '9':
				j := i
				for j < len(l) && j-i < 9 && l[j] >= '0' && l[j] <= '9' {
					j++
				}
				if j >= len(l) || (l[j] != '.' && l[j] != ')') || (j+1 < len(l) && l[j+1] != ' ' && l[j+1] != '\t') {
					break scan
				}
				depth++
				i = j + 1
			default:
				break scan
			}
		}
		if depth > maxNesting || indent > maxIndent {
			return line, false
		}
		line++
	}
	return 0, true
}

// frontMatterSplit is the outcome of splitFrontMatter; lines are 1-based
// lines of the file.
type frontMatterSplit struct {
	openLine int    // the opening "---"
	yaml     string // between the delimiters
	yamlLine int    // first line of yaml
	body     string // after the closing delimiter
	bodyLine int    // first line of body
}

// splitFrontMatter separates the front matter from the body before either
// is decoded, the way hugo's pageparser lexes a page first: the front
// matter is the text between an opening "---" line (blank lines may precede
// it) and the next "---" or "..." line.
func splitFrontMatter(src string) (frontMatterSplit, error) {
	var s frontMatterSplit
	line, pos := 0, 0
	next := func() (string, bool) {
		if pos >= len(src) {
			return "", false
		}
		end := strings.IndexByte(src[pos:], '\n')
		var l string
		if end < 0 {
			l, pos = src[pos:], len(src)
		} else {
			l, pos = src[pos:pos+end], pos+end+1
		}
		line++
		return l, true
	}
	for {
		l, ok := next()
		if !ok {
			s.openLine = 1
			return s, ErrNoFrontMatter
		}
		if strings.TrimSpace(l) == "" {
			continue
		}
		if strings.TrimRight(l, " \t") != "---" {
			s.openLine = line
			return s, ErrNoFrontMatter
		}
		break
	}
	s.openLine, s.yamlLine = line, line+1
	start := pos
	for {
		before := pos
		l, ok := next()
		if !ok {
			return s, ErrUnterminatedFrontMatter
		}
		if t := strings.TrimRight(l, " \t"); t == "---" || t == "..." {
			s.yaml = src[start:before]
			s.body = src[pos:]
			s.bodyLine = line + 1
			return s, nil
		}
	}
}
