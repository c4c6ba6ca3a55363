package indexer

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"sotay/handbook"
	"sotay/handbook/markdown"
)

// Load reads the content tree (docs/CONTENT.md) into a library, then lints
// it as of today. See LoadAt.
func Load(fsys fs.FS) (*handbook.Library, error) {
	return LoadAt(fsys, handbook.Today(time.Now()))
}

// LoadAt reads every Markdown file under the kind folders (procedures/,
// regulations/, technology/, faq/, templates/) of fsys, and the thesaurus
// (thesaurus.yaml and thesaurus/*.yaml). README.md and names starting with
// "." or "_" are skipped, so drafts can be parked in _drafts/.
//
// A file that cannot be parsed is reported in the library's Problems and
// left out; the rest loads. The problems also hold what handbook.Lint
// finds as of today. The error is for a tree that cannot be read at all.
//
// A Loader does the same and, loading again, parses only what changed.
func LoadAt(fsys fs.FS, today handbook.Date) (*handbook.Library, error) {
	lib, _, err := (&Loader{FS: fsys}).Load(today)
	return lib, err
}

// listContent finds the content files of fsys (see LoadAt) in walk order,
// with their sizes and times; files too large to parse are reported
// instead.
func listContent(fsys fs.FS) ([]listedFile, []handbook.Problem, error) {
	var files []listedFile
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
			f := listedFile{path: p, size: -1}
			if info, err := de.Info(); err == nil {
				// Checked before reading, so a stray large file costs nothing.
				if info.Size() > markdown.MaxFileSize {
					problems = append(problems, handbook.Problem{Path: p, Line: 1, Severity: handbook.SeverityError,
						Message: fmt.Sprintf("%s (%d bytes); file skipped", markdown.ErrTooLarge, info.Size())})
					return nil
				}
				f.size = info.Size()
				if t := info.ModTime(); !t.IsZero() {
					f.modTime = t.UnixNano()
				}
			}
			files = append(files, f)
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("load content %s: %w", root, err)
		}
	}
	return files, problems, nil
}

// parseData parses one file; a file that cannot be used gives a nil
// document and an error problem.
func parseData(p string, data []byte) (*handbook.Document, []handbook.Problem) {
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
