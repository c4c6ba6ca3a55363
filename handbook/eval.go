package handbook

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// EvalCase is one gold-set question: the query and the places that answer it.
type EvalCase struct {
	ID       string      `json:"id"`
	Query    string      `json:"query"`
	Relevant []Reference `json:"relevant"`
	Source   string      `json:"-"` // file:line
}

// UnmarshalJSON accepts relevant entries as {"doc","anchor"}.
func (c *EvalCase) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID       string `json:"id"`
		Query    string `json:"query"`
		Relevant []struct {
			Doc    string `json:"doc"`
			Anchor string `json:"anchor"`
		} `json:"relevant"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	c.ID, c.Query = raw.ID, raw.Query
	for _, r := range raw.Relevant {
		c.Relevant = append(c.Relevant, Reference{Doc: r.Doc, Article: r.Anchor})
	}
	return nil
}

// ReadEvalCases reads a JSONL gold set; name is used in error positions.
func ReadEvalCases(r io.Reader, name string) ([]EvalCase, error) {
	var out []EvalCase
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		var c EvalCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if c.Query == "" || len(c.Relevant) == 0 {
			return nil, fmt.Errorf("%s:%d: case %q needs a query and relevant entries", name, n, c.ID)
		}
		c.Source = fmt.Sprintf("%s:%d", name, n)
		out = append(out, c)
	}
	return out, sc.Err()
}

// Matches reports whether a hit answers the reference: same document and,
// when the reference names an anchor, that anchor or a part of it (a clause
// of the cited article).
func (r Reference) Matches(h *Hit) bool {
	if h.DocID != r.Doc {
		return false
	}
	return r.Article == "" || h.Anchor == r.Article || strings.HasPrefix(h.Anchor, r.Article+"-")
}

// EvalReport holds retrieval quality figures over a gold set.
type EvalReport struct {
	Cases  int           `json:"cases"`
	R1     float64       `json:"recall_at_1"`
	R5     float64       `json:"recall_at_5"`
	R10    float64       `json:"recall_at_10"`
	MRR10  float64       `json:"mrr_at_10"`
	NDCG10 float64       `json:"ndcg_at_10"`
	P50    time.Duration `json:"p50_ns"`
	P95    time.Duration `json:"p95_ns"`
	Misses []EvalMiss    `json:"misses"`
}

// EvalMiss is a case whose first relevant hit was not ranked first.
type EvalMiss struct {
	ID    string   `json:"id"`
	Query string   `json:"query"`
	Rank  int      `json:"rank"` // 0 when not in the top 10
	Got   []string `json:"got"`  // top 3 doc#anchor
	Want  []string `json:"want"`
}

// Evaluate runs every case through search (which returns ranked hits) and
// computes R@1/5/10, MRR@10, nDCG@10 (binary relevance) and latency.
func Evaluate(ctx context.Context, cases []EvalCase, search func(ctx context.Context, q string) ([]Hit, error)) (EvalReport, error) {
	var rep EvalReport
	var lat []time.Duration
	for _, c := range cases {
		start := time.Now()
		hits, err := search(ctx, c.Query)
		lat = append(lat, time.Since(start))
		if err != nil {
			return rep, fmt.Errorf("%s (%s): %w", c.ID, c.Source, err)
		}
		rank, dcg := 0, 0.0
		for i := 0; i < len(hits) && i < 10; i++ {
			if slices.ContainsFunc(c.Relevant, func(r Reference) bool { return r.Matches(&hits[i]) }) {
				if rank == 0 {
					rank = i + 1
				}
				dcg += 1 / math.Log2(float64(i+2))
			}
		}
		ideal := 0.0
		for i := 0; i < min(len(c.Relevant), 10); i++ {
			ideal += 1 / math.Log2(float64(i+2))
		}
		rep.Cases++
		if rank == 1 {
			rep.R1++
		}
		if rank >= 1 && rank <= 5 {
			rep.R5++
		}
		if rank >= 1 {
			rep.R10++
			rep.MRR10 += 1 / float64(rank)
		}
		rep.NDCG10 += min(dcg/ideal, 1)
		if rank != 1 {
			m := EvalMiss{ID: c.ID, Query: c.Query, Rank: rank}
			for i := 0; i < len(hits) && i < 3; i++ {
				m.Got = append(m.Got, hits[i].DocID+"#"+hits[i].Anchor)
			}
			for _, r := range c.Relevant {
				m.Want = append(m.Want, r.Doc+"#"+r.Article)
			}
			rep.Misses = append(rep.Misses, m)
		}
	}
	if rep.Cases > 0 {
		n := float64(rep.Cases)
		rep.R1, rep.R5, rep.R10, rep.MRR10, rep.NDCG10 = rep.R1/n, rep.R5/n, rep.R10/n, rep.MRR10/n, rep.NDCG10/n
		slices.Sort(lat)
		rep.P50 = lat[len(lat)/2]
		rep.P95 = lat[min(len(lat)-1, len(lat)*95/100)]
	}
	return rep, nil
}
