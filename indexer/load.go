package indexer

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"sync"
	"time"

	"sotay/handbook"
	"sotay/handbook/markdown"
)

// Load reads the content tree (docs/CONTENT.md) into a library, then lints
// it as of today. See LoadAt.
func Load(fsys fs.FS) (*handbook.Library, error) {
	return LoadAt(fsys, handbook.DateOf(time.Now()))
}

// LoadAt reads every Markdown file under the kind folders (procedures/,
// regulations/, technology/, faq/, templates/) of fsys, and the thesaurus
// (thesaurus.yaml and thesaurus/*.yaml). README.md and names starting with
// "." or "_" are skipped, so drafts can be parked in _drafts/.
//
// A file that cannot be parsed is reported in the library's Problems and
// left out; the rest loads. The problems also hold what handbook.Lint
// finds as of today. The error is for a tree that cannot be read at all.
func LoadAt(fsys fs.FS, today handbook.Date) (*handbook.Library, error) {
	var files []string
	var problems []handbook.Problem
	for _, kind := range handbook.Kinds {
		root := kind.Folder()
		err := fs.WalkDir(fsys, root, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				if p == root && errors.Is(err, fs.ErrNotExist) {
					return nil // a kind with no content yet
				}
				return err
			}
			name := de.Name()
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				if de.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if de.IsDir() || !strings.HasSuffix(name, ".md") || strings.EqualFold(name, "README.md") {
				return nil
			}
			// Checked before reading, so a stray large file costs nothing.
			if info, err := de.Info(); err == nil && info.Size() > markdown.MaxFileSize {
				problems = append(problems, handbook.Problem{Path: p, Line: 1, Severity: handbook.SeverityError,
					Message: fmt.Sprintf("%s (%d bytes); file skipped", markdown.ErrTooLarge, info.Size())})
				return nil
			}
			files = append(files, p)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load content %s: %w", root, err)
		}
	}

	docs, parseProblems := parseAll(fsys, files)
	problems = append(problems, parseProblems...)

	th, thProblems, err := loadThesaurus(fsys)
	if err != nil {
		return nil, err
	}
	problems = append(problems, thProblems...)

	lib := handbook.NewLibrary(docs, th, problems)
	lib.Problems = append(lib.Problems, handbook.Lint(lib, today)...)
	handbook.SortProblems(lib.Problems)
	return lib, nil
}

// parseAll parses files on every CPU; the order of docs and problems follows
// files, so loads are deterministic.
func parseAll(fsys fs.FS, files []string) ([]*handbook.Document, []handbook.Problem) {
	type result struct {
		doc      *handbook.Document
		problems []handbook.Problem
	}
	results := make([]result, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(files), 1)) {
		wg.Go(func() {
			for i := range next {
				results[i].doc, results[i].problems = parseFile(fsys, files[i])
			}
		})
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()

	var docs []*handbook.Document
	var problems []handbook.Problem
	for _, r := range results {
		if r.doc != nil {
			docs = append(docs, r.doc)
		}
		problems = append(problems, r.problems...)
	}
	return docs, problems
}

// parseFile parses one file; a file that cannot be used gives a nil
// document and an error problem.
func parseFile(fsys fs.FS, p string) (*handbook.Document, []handbook.Problem) {
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, []handbook.Problem{{Path: p, Line: 1, Severity: handbook.SeverityError,
			Message: fmt.Sprintf("read: %s; file skipped", err)}}
	}
	doc, problems, err := markdown.Parse(p, data)
	if err != nil {
		return nil, append(problems, skipped(p, err))
	}
	return doc, problems
}

// skipped turns a parse error into the problem that reports the file as
// left out.
func skipped(p string, err error) handbook.Problem {
	pr := handbook.Problem{Path: p, Line: 1, Severity: handbook.SeverityError, Message: err.Error()}
	if e, ok := errors.AsType[*markdown.Error](err); ok {
		pr = e.Problem()
	}
	pr.Message += "; file skipped"
	return pr
}

// loadThesaurus reads thesaurus.yaml and thesaurus/*.yaml, in name order.
func loadThesaurus(fsys fs.FS) (*handbook.Thesaurus, []handbook.Problem, error) {
	files, err := fs.Glob(fsys, "thesaurus/*.yaml")
	if err != nil {
		return nil, nil, fmt.Errorf("load thesaurus: %w", err)
	}
	files = append([]string{"thesaurus.yaml"}, files...)
	th := &handbook.Thesaurus{}
	var problems []handbook.Problem
	for _, p := range files {
		if strings.HasPrefix(path.Base(p), "_") || strings.HasPrefix(path.Base(p), ".") {
			continue
		}
		data, err := fs.ReadFile(fsys, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			problems = append(problems, handbook.Problem{Path: p, Line: 1, Severity: handbook.SeverityError,
				Message: fmt.Sprintf("read: %s; file skipped", err)})
			continue
		}
		ps, err := markdown.ParseThesaurus(p, data, th)
		problems = append(problems, ps...)
		if err != nil {
			problems = append(problems, skipped(p, err))
		}
	}
	return th, problems, nil
}
