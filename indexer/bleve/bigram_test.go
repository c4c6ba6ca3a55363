package bleve

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sotay/handbook"
)

// TestDropCommonBigrams: once the index holds more than the floor of
// chunks, a bigram on more than commonBigramShare of a field's chunks
// leaves that field's bigram match query, and the walk and bleve's own
// query rank the rest alike; a question made only of such bigrams keeps
// them.
func TestDropCommonBigrams(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	chunk := func(i int) handbook.Chunk {
		text := fmt.Sprintf("Thủ tục số %d nộp tại bộ phận một cửa.", i)
		if i%150 == 0 { // 10 of 1,500, each of its own length
			text += " Đăng ký khai sinh cho trẻ" + strings.Repeat(" em", i/150)
		}
		return handbook.Chunk{ID: fmt.Sprintf("guides/g%d#s", i), DocID: fmt.Sprintf("guides/g%d", i), Anchor: "s",
			Kind: handbook.KindGuide, Title: fmt.Sprintf("Thủ tục %d", i), Heading: "Thủ tục", Aliases: []string{"Thủ tục"},
			Text: text, Audience: handbook.AudiencePublic, Status: handbook.StatusPublished}
	}
	var chunks []handbook.Chunk
	for i := range 1500 {
		chunks = append(chunks, chunk(i))
	}
	bigrams := func(q string, common map[string]bool) map[string][]string {
		t.Helper()
		specs, err := x.textQuery(nil, handbook.FoldedSyllables(q), common, 1)
		if err != nil {
			t.Fatal(err)
		}
		if specs, err = x.dropCommonBigrams(t.Context(), specs); err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, s := range specs {
			if s.analyzer == BigramAnalyzer {
				out[s.field] = s.terms
			}
		}
		return out
	}
	all := []string{"thu tuc", "tuc khai", "khai sinh"}
	if err := x.Index(t.Context(), chunks[:900]); err != nil {
		t.Fatal(err)
	}
	if got := bigrams("thủ tục khai sinh", nil); !slices.Equal(got["text_bigram"], all) {
		t.Errorf("900 chunks, under the floor: text bigrams %q, want %q", got["text_bigram"], all)
	}
	if err := x.Index(t.Context(), chunks[900:]); err != nil {
		t.Fatal(err)
	}
	got := bigrams("thủ tục khai sinh", nil)
	for _, f := range []string{"title_bigram", "heading_bigram", "aliases_bigram", "text_bigram"} {
		if want := all[1:]; !slices.Equal(got[f], want) {
			t.Errorf("1,500 chunks: %s terms %q, want %q", f, got[f], want)
		}
	}
	// "thủ tục" alone, its syllables common: only bigram queries, and
	// every one of them common.
	common := map[string]bool{"thu": true, "tuc": true}
	got = bigrams("thủ tục", common)
	if len(got) != 4 || !slices.Equal(got["text_bigram"], all[:1]) {
		t.Errorf("a question of common bigrams only: %q, want it kept", got)
	}
	// The walk drops them as it goes, bleve's query before: both must rank
	// alike, with the same relative scores.
	for _, tc := range []struct {
		q      string
		common map[string]bool
	}{{"thủ tục đăng ký khai sinh", nil}, {"thủ tục", common}} {
		terms := handbook.FoldedSyllables(tc.q)
		q := handbook.Query{Raw: tc.q, Terms: terms, Exact: terms, Common: tc.common}
		// Chunks that tie may come in either order: bleve breaks ties by
		// its segments' layout, which merges change. So the walk's scores
		// must follow bleve's place by place, and each chunk the walk
		// returns must score as bleve scores it.
		x.SetBleveScoring(true)
		want, err := x.Search(t.Context(), q, handbook.Filter{}, len(chunks))
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]float64{}
		for _, h := range want {
			byID[h.ChunkID] = h.Score / want[0].Score
		}
		x.SetBleveScoring(false)
		have, err := x.Search(t.Context(), q, handbook.Filter{}, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) < 5 || len(have) != 5 {
			t.Fatalf("%s: %d hits from the walk, %d from bleve, want 5", tc.q, len(have), len(want))
		}
		for i := range have {
			g, w := have[i].Score/have[0].Score, want[i].Score/want[0].Score
			b, ok := byID[have[i].ChunkID]
			if math.Abs(g-w) > 1e-9 || !ok || math.Abs(g-b) > 1e-9 {
				t.Errorf("%s: hit %d is %s at %.6f from the walk (bleve scores it %.6f, found %v); bleve's hit %d is %s at %.6f",
					tc.q, i, have[i].ChunkID, g, b, ok, i, want[i].ChunkID, w)
			}
		}
		if tc.common == nil && !strings.Contains(want[0].Text, "khai sinh") {
			t.Errorf("%s: %s first, want a khai sinh chunk", tc.q, want[0].ChunkID)
		}
	}
}
