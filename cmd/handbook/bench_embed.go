package main

import (
	"context"
	"hash/fnv"
	"math"
	"sync/atomic"
	"time"

	"sotay/handbook"
)

// fakeEmbedder is an in-process handbook.Embedder for benchmarks. It waits
// like a model server would (a fixed cost per call plus a cost per text) and
// returns deterministic vectors built from hashed folded syllables, so that
// texts sharing words get nearby vectors (as openaitest does over HTTP).
type fakeEmbedder struct {
	dim     int
	perCall time.Duration
	perText time.Duration
	calls   atomic.Int64
	texts   atomic.Int64
	waited  atomic.Int64 // nanoseconds spent "in the model"
}

var _ handbook.Embedder = (*fakeEmbedder)(nil)

func (f *fakeEmbedder) Model() string { return "bench-fake-embedder" }

func (f *fakeEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	f.calls.Add(1)
	f.texts.Add(int64(len(texts)))
	if d := f.perCall + time.Duration(len(texts))*f.perText; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		f.waited.Add(int64(d))
	}
	out := make([][]float32, len(texts))
	for i, s := range texts {
		out[i] = hashVector(s, f.dim)
	}
	return out, nil
}

// hashVector adds ±1 at a hashed position for every folded syllable and
// syllable pair of s, then normalises.
func hashVector(s string, dim int) []float32 {
	v := make([]float32, dim)
	terms := handbook.FoldedSyllables(s)
	add := func(t string) {
		h := fnv.New64a()
		h.Write([]byte(t))
		x := h.Sum64()
		sign := float32(1)
		if x&1 == 1 {
			sign = -1
		}
		v[(x>>1)%uint64(dim)] += sign
	}
	for i, t := range terms {
		add(t)
		if i > 0 {
			add(terms[i-1] + " " + t)
		}
	}
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		v[0] = 1
		return v
	}
	inv := float32(1 / math.Sqrt(n))
	for i := range v {
		v[i] *= inv
	}
	return v
}
