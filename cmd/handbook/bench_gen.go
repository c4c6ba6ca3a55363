package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"sotay/content"
	"sotay/indexer"
	"sotay/internal/synth"
)

// A generated corpus directory holds
//
//	content/       Markdown in the format of docs/CONTENT.md, plus the real thesaurus
//	queries.jsonl  questions with known answers, in the gold set format
//	synth.json     the generator's summary (seed, chunks, documents)
//
// so that `handbook eval -content DIR/content DIR/queries.jsonl` and
// `handbook bench -corpus DIR` both work on it.
const (
	corpusContent = "content"
	corpusQueries = "queries.jsonl"
	corpusSummary = "synth.json"
)

// corpusInfo is synth.json.
type corpusInfo struct {
	synth.Summary
	Created    time.Time `json:"created"`
	Syllables  int       `json:"model_syllables"`
	ModelFiles int       `json:"model_documents"`
}

func cmdBenchGen(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	chunks := fs.Int("chunks", 10000, "number of chunks to generate (e.g. 10000 or 100000)")
	out := fs.String("out", "", "output directory (required; must not hold a corpus yet)")
	queries := fs.Int("queries", 500, "number of questions with known answers")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same corpus")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("bench gen: -out DIR is required")
	}
	start := time.Now()
	info, err := generateCorpus(*out, synth.Options{Chunks: *chunks, Queries: *queries, Seed: *seed})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Đã tạo %d văn bản (%d quy định, %d điều; %d thủ tục), %d đoạn, %d câu hỏi trong %s: %s\n",
		info.Documents, info.Regulations, info.Articles, info.Procedures, info.Chunks, info.Queries,
		time.Since(start).Round(time.Millisecond), *out)
	return nil
}

// generateCorpus writes a synthetic corpus to dir, modelled on the content
// built into the binary.
func generateCorpus(dir string, o synth.Options) (corpusInfo, error) {
	root := filepath.Join(dir, corpusContent)
	if _, err := os.Stat(root); err == nil {
		return corpusInfo{}, fmt.Errorf("bench gen: %s already exists; remove it or choose another -out", root)
	}
	lib, err := indexer.Load(content.FS)
	if err != nil {
		return corpusInfo{}, fmt.Errorf("load model content: %w", err)
	}
	m := synth.NewModel(lib)
	write := func(name string, data []byte) error {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o644)
	}
	sum, qs, err := m.Generate(o, write)
	if err != nil {
		return corpusInfo{}, err
	}
	// The real thesaurus: its expansions apply to the generated questions
	// as they do to real ones.
	th, _ := fs.Glob(content.FS, "thesaurus/*.yaml")
	for _, name := range append([]string{"thesaurus.yaml"}, th...) {
		data, err := fs.ReadFile(content.FS, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return corpusInfo{}, err
		}
		if err := write(path.Clean(name), data); err != nil {
			return corpusInfo{}, err
		}
	}
	b, err := synth.MarshalQueries(qs)
	if err != nil {
		return corpusInfo{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, corpusQueries), b, 0o644); err != nil {
		return corpusInfo{}, err
	}
	info := corpusInfo{Summary: sum, Created: time.Now().UTC().Truncate(time.Second), Syllables: m.Syllables(), ModelFiles: len(lib.Docs)}
	j, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return corpusInfo{}, err
	}
	return info, os.WriteFile(filepath.Join(dir, corpusSummary), append(j, '\n'), 0o644)
}
