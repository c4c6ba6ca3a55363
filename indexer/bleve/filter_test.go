package bleve

import (
	"encoding/json"
	"testing"

	"sotay/handbook"

	"github.com/blevesearch/bleve/v2/search/query"
)

// TestFilterKeyNamesQueries: two filters have the same key exactly when
// they make the same queries (compared as JSON, the former key), so that
// the sets kept per snapshot are never shared by different filters.
func TestFilterKeyNamesQueries(t *testing.T) {
	day := func(s string) handbook.Date {
		d, err := handbook.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	filters := []handbook.Filter{
		{},
		{Audience: handbook.AudiencePublic},
		{Audience: handbook.AudienceInternal},
		{Audience: handbook.AudiencePublic, At: day("2026-11-26")},
		{Audience: handbook.AudiencePublic, At: day("2026-11-27")},
		{Audience: handbook.AudiencePublic, At: day("2026-11-26"), AllDates: true},
		{Audience: handbook.AudienceInternal, At: day("2026-11-26")},
		{Kinds: []handbook.Kind{handbook.KindProcedure}},
		{Kinds: []handbook.Kind{handbook.KindProcedure, handbook.KindFAQ}},
		{Kinds: []handbook.Kind{handbook.KindFAQ, handbook.KindProcedure}},
		{Field: "Hộ tịch"},
		{Field: "hộ tịch"},
		{Field: "Hộ  tịch"},
		{Field: "Đất đai"},
		{Docs: []string{"a"}},
		{Docs: []string{"a", "b"}},
		{Docs: []string{"a;b"}},
		{Docs: []string{"1:a"}},
		{Docs: []string{"a"}, Kinds: []handbook.Kind{handbook.KindProcedure}},
		{Docs: []string{"a"}, Field: "Hộ tịch", Kinds: []handbook.Kind{handbook.KindFAQ}, At: day("2025-07-01")},
	}
	type named struct{ key, json string }
	var all []named
	for _, f := range filters {
		fs := filterQueries(f)
		j, err := json.Marshal([2][]query.Query{fs.must, fs.mustNot})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, named{fs.key, string(j)})
	}
	for i := range all {
		for j := range all {
			if (all[i].key == all[j].key) != (all[i].json == all[j].json) {
				t.Errorf("filters %d and %d: keys %q, %q; queries equal: %v", i, j, all[i].key, all[j].key, all[i].json == all[j].json)
			}
		}
	}
}
