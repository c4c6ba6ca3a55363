// Package bleve implements handbook.KeywordIndex on a bleve index with
// Vietnamese analysis: syllable tokens, a folding token filter (NFD, drop
// combining marks, đ→d) and folded syllable bigrams, in separate fields for
// exact, folded and bigram matching. It imports handbook and bleve only.
package bleve

import (
	"unsafe"

	"sotay/handbook"

	"github.com/blevesearch/bleve/v2/analysis"
	_ "github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/shingle"
	"github.com/blevesearch/bleve/v2/registry"
)

// Names of the analysis components registered with bleve. bleve resolves
// analyzers by name from its process-wide registry, so our tokenizer and
// filter must be registered there (STYLE.md §1: the one exception).
const (
	TokenizerName   = "vi_syllable"
	FoldFilterName  = "vi_fold"
	ExactAnalyzer   = "vi_exact"
	FoldAnalyzer    = "vi_fold"
	BigramAnalyzer  = "vi_bigram"
	bigramFilterKey = "vi_bigram_shingle"
)

func init() {
	registry.RegisterTokenizer(TokenizerName, func(map[string]any, *registry.Cache) (analysis.Tokenizer, error) {
		return syllableTokenizer{}, nil
	})
	registry.RegisterTokenFilter(FoldFilterName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return FoldFilter{}, nil
	})
}

// syllableTokenizer splits text into syllables exactly as handbook.Tokenize
// does, so query analysis, snippets and the index agree on token boundaries.
type syllableTokenizer struct{}

func (syllableTokenizer) Tokenize(input []byte) analysis.TokenStream {
	// Terms are slices of input, as bleve's own tokenizers make them
	// (filters may rewrite a term in place; each field's analysis gets its
	// own copy of the text), and the input is read as a string without
	// copying it: a copy per field and one per token were most of the
	// tokenizer's cost over a 100k-chunk build.
	toks := handbook.Tokenize(unsafe.String(unsafe.SliceData(input), len(input)))
	out := make(analysis.TokenStream, len(toks))
	all := make([]analysis.Token, len(toks))
	for i, t := range toks {
		all[i] = analysis.Token{
			Term:     input[t.Start:t.End:t.End],
			Start:    t.Start,
			End:      t.End,
			Position: i + 1,
			Type:     analysis.AlphaNumeric,
		}
		out[i] = &all[i]
	}
	return out
}

// FoldFilter is the Vietnamese folding token filter: it removes diacritics
// and maps đ to d in each term. It is a token filter, not a char filter, so
// token offsets keep pointing at the original text and highlights stay right.
type FoldFilter struct{}

// Filter folds every token's term. The folded terms share one block, each
// capped at its own end so that a later filter appending to one cannot
// write into the next.
func (FoldFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	size := 0
	for _, t := range input {
		size += len(t.Term)
	}
	block := make([]byte, 0, size)
	for _, t := range input {
		start := len(block)
		block = handbook.AppendFold(block, unsafe.String(unsafe.SliceData(t.Term), len(t.Term)))
		t.Term = block[start:len(block):len(block)]
	}
	return input
}

// analyzers returns the custom analyzer configurations stored in the index
// mapping (so an index reopens with the analysis it was built with).
func analyzers() map[string]map[string]any {
	return map[string]map[string]any{
		ExactAnalyzer: {
			"type":          "custom",
			"tokenizer":     TokenizerName,
			"token_filters": []any{lowercase.Name},
		},
		FoldAnalyzer: {
			"type":          "custom",
			"tokenizer":     TokenizerName,
			"token_filters": []any{lowercase.Name, FoldFilterName},
		},
		BigramAnalyzer: {
			"type":          "custom",
			"tokenizer":     TokenizerName,
			"token_filters": []any{lowercase.Name, FoldFilterName, bigramFilterKey},
		},
	}
}

func tokenFilters() map[string]map[string]any {
	return map[string]map[string]any{
		bigramFilterKey: {
			"type":            shingle.Name,
			"min":             2.0,
			"max":             2.0,
			"output_original": false,
			"separator":       " ",
		},
	}
}
