// Package bleve implements handbook.KeywordIndex on a bleve index with
// Vietnamese analysis: syllable tokens, a folding token filter (NFD, drop
// combining marks, đ→d) and folded syllable bigrams, in separate fields for
// exact, folded and bigram matching. It imports handbook and bleve only.
package bleve

import (
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
	toks := handbook.Tokenize(string(input))
	out := make(analysis.TokenStream, len(toks))
	for i, t := range toks {
		out[i] = &analysis.Token{
			Term:     []byte(t.Text),
			Start:    t.Start,
			End:      t.End,
			Position: i + 1,
			Type:     analysis.AlphaNumeric,
		}
	}
	return out
}

// FoldFilter is the Vietnamese folding token filter: it removes diacritics
// and maps đ to d in each term. It is a token filter, not a char filter, so
// token offsets keep pointing at the original text and highlights stay right.
type FoldFilter struct{}

// Filter folds every token's term in place.
func (FoldFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, t := range input {
		t.Term = []byte(handbook.Fold(string(t.Term)))
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
