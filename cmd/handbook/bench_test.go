package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchCommands runs `handbook bench gen`, a short `handbook bench`
// (the phases that need no second binary and no PostgreSQL) and a short
// `handbook bench load` against an in-process server. It checks that they
// work and report, not how fast anything is: speed is for benchmarks.
func TestBenchCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes a generated corpus: skipped with -short")
	}
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus")
	env := func(string) string { return "" }
	var out, errb bytes.Buffer
	if err := Main(t.Context(), []string{"bench", "gen", "-chunks", "300", "-queries", "20", "-out", corpus}, env, &out, &errb); err != nil {
		t.Fatalf("bench gen: %v\n%s", err, errb.String())
	}
	for _, f := range []string{"content/thesaurus.yaml", "queries.jsonl", "synth.json"} {
		if _, err := os.Stat(filepath.Join(corpus, f)); err != nil {
			t.Errorf("bench gen did not write %s: %v", f, err)
		}
	}
	if err := Main(t.Context(), []string{"bench", "gen", "-chunks", "300", "-out", corpus}, env, &out, &errb); err == nil {
		t.Error("bench gen over an existing corpus succeeded, want a refusal")
	}

	out.Reset()
	errb.Reset()
	report := filepath.Join(dir, "BENCHMARKS.md")
	args := []string{"bench", "-corpus", corpus, "-work", filepath.Join(dir, "work"), "-phases", "index,embed,inprocess",
		"-embed-call", "0", "-embed-text", "0", "-pg", "off", "-report", report}
	if err := Main(t.Context(), args, env, &out, &errb); err != nil {
		t.Fatalf("bench: %v\n%s", err, errb.String())
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## handbook bench: 30", "### Targets", "index < 60 s", "one-document update", "the new text is found: true"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}

	// Only 127.0.0.1.
	if err := Main(t.Context(), []string{"bench", "load", "-url", "http://example.org:8080"}, env, &out, &errb); err == nil ||
		!strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("bench load on another host: error %v, want a refusal", err)
	}
	if err := Main(t.Context(), []string{"bench", "load", "-rate", "100000"}, env, &out, &errb); err == nil {
		t.Error("bench load -rate 100000 accepted")
	}

	out.Reset()
	errb.Reset()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := Main(ctx, []string{"bench", "load", "-corpus", corpus, "-rate", "20", "-duration", "2s"}, env, &out, &errb); err != nil {
		t.Fatalf("bench load: %v\n%s\n%s", err, out.String(), errb.String())
	}
	for _, want := range []string{"| search |", "| docs |", "| all |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("bench load output lacks %q:\n%s", want, out.String())
		}
	}
}
