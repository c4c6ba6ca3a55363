package api_test

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sotay/api"
	"sotay/handbook"
	"sotay/handbook/openai"
	"sotay/indexer/bleve"
	"sotay/indexer/memvec"
)

// The embedding service is optional and unreliable (a model server on a
// commune PC, a shaky provincial link). Whatever it does at query time,
// search must still answer from the keyword index, say that semantic search
// was skipped, and never answer 5xx. These tests run the real
// OpenAI-compatible client (handbook/openai) against a server that
// misbehaves in each way we have seen.

const faultDim = 8

// faultVector is a deterministic unit vector for a text.
func faultVector(s string) []float32 {
	v := make([]float32, faultDim)
	for _, t := range handbook.FoldedSyllables(s) {
		h := fnv.New32a()
		h.Write([]byte(t))
		v[h.Sum32()%faultDim]++
	}
	v[0] += 0.1
	return v
}

func faultLibrary() *handbook.Library {
	doc := func(id, title, heading, text string) *handbook.Document {
		return &handbook.Document{ID: id, Kind: handbook.KindProcedure, Title: title, Audience: handbook.AudiencePublic,
			Status: handbook.StatusPublished, Hash: id, Procedure: &handbook.Procedure{Field: "Hộ tịch"},
			Sections: []handbook.Section{{Kind: handbook.SectionHeading, Anchor: "cac-buoc", Heading: heading, Text: text}}}
	}
	return handbook.NewLibrary([]*handbook.Document{
		doc("procedures/ho-tich/dang-ky-khai-sinh", "Đăng ký khai sinh", "Các bước", "Nộp tờ khai đăng ký khai sinh và giấy chứng sinh."),
		doc("procedures/ho-tich/dang-ky-khai-tu", "Đăng ký khai tử", "Các bước", "Nộp tờ khai đăng ký khai tử và giấy báo tử."),
	}, nil, nil)
}

// embeddingsOK answers like a healthy OpenAI-compatible server.
func embeddingsOK(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Input []string `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	type datum struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	out := struct {
		Object string  `json:"object"`
		Model  string  `json:"model"`
		Data   []datum `json:"data"`
	}{Object: "list", Model: "fault-model"}
	for i, s := range req.Input {
		out.Data = append(out.Data, datum{Object: "embedding", Index: i, Embedding: faultVector(s)})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// newFaultServer serves the fixture with a retriever whose embedder talks
// to embed, and a short embedding timeout so that a stalled model costs
// the search little.
func newFaultServer(t *testing.T, embed http.HandlerFunc) http.Handler {
	t.Helper()
	lib := faultLibrary()
	idx, err := bleve.Open(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	chunks := lib.Chunks()
	if err := idx.Index(t.Context(), chunks); err != nil {
		t.Fatal(err)
	}
	vecs := memvec.New()
	var vs []handbook.Vector
	for _, c := range chunks {
		vs = append(vs, handbook.Vector{Chunk: c, Values: faultVector(c.EmbeddingText())})
	}
	if err := vecs.Upsert(t.Context(), vs); err != nil {
		t.Fatal(err)
	}
	model := httptest.NewServer(embed)
	t.Cleanup(model.Close)
	r := &handbook.Retriever{
		Keyword: idx, Vectors: vecs, EmbedTimeout: 300 * time.Millisecond,
		Embedder: openai.NewEmbedder(model.URL, "", "fault-model", faultDim,
			openai.WithRetries(1, 10*time.Millisecond), openai.WithTimeout(time.Second)),
	}
	r.SetAnalyzer(handbook.NewAnalyzer(lib))
	asst := &handbook.Assistant{Retriever: r, Library: func() *handbook.Library { return lib },
		Now: func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }}
	srv, err := api.New(api.Options{Retriever: r, Library: func() *handbook.Library { return lib }, Assistant: asst,
		Now: func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Handler()
}

func TestSearchSurvivesEmbedderFaults(t *testing.T) {
	tests := []struct {
		name  string
		embed http.HandlerFunc
	}{
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			// Answers correctly, but long after the search gave up on it.
			select {
			case <-time.After(5 * time.Second):
				embeddingsOK(w, r)
			case <-r.Context().Done():
			}
		}},
		{"500", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":{"message":"model crashed"}}`, http.StatusInternalServerError)
		}},
		{"429", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			http.Error(w, `{"error":{"message":"rate limited","type":"rate_limit"}}`, http.StatusTooManyRequests)
		}},
		{"garbage", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"data":[{"embedding":"nonsense"`)
		}},
		{"html error page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
		}},
		{"no vectors", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"object":"list","data":[],"model":"fault-model"}`)
		}},
		{"zero vector", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0,0,0,0,0,0,0,0]}],"model":"fault-model"}`)
		}},
		{"wrong dimension", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2,0.3]}],"model":"fault-model"}`)
		}},
		{"connection reset", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // close with RST
			}
			conn.Close()
		}},
		{"closed mid-body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "1000")
			fmt.Fprint(w, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,`)
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newFaultServer(t, tc.embed)
			rec := get(t, h, "/api/v1/search?q="+url.QueryEscape("đăng ký khai sinh"), "")
			if rec.Code != http.StatusOK {
				t.Fatalf("search status = %d, want 200; body %s", rec.Code, rec.Body)
			}
			var res struct {
				Mode   string `json:"mode"`
				Notice string `json:"notice"`
				Hits   []struct {
					Doc string `json:"doc"`
				} `json:"hits"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			if res.Mode != "lexical" || res.Notice == "" {
				t.Errorf("mode %q notice %q, want lexical with a notice", res.Mode, res.Notice)
			}
			if len(res.Hits) == 0 || res.Hits[0].Doc != "procedures/ho-tich/dang-ky-khai-sinh" {
				t.Errorf("hits = %+v, want dang-ky-khai-sinh first", res.Hits)
			}
			// Answers say so too (the vector path is now cooling down, so
			// this also checks that the notice stays during the pause).
			arec, ans := postAsk(t, h, `{"question":"đăng ký khai sinh cần giấy tờ gì"}`, "application/json", "")
			if arec.Code != http.StatusOK || !strings.Contains(ans.Notice, res.Notice) {
				t.Errorf("ask with the embedder down: status %d, notice %q; want 200 with %q", arec.Code, ans.Notice, res.Notice)
			}
			// The search page degrades the same way.
			if rec := get(t, h, "/search?q="+url.QueryEscape("dang ky khai sinh"), ""); rec.Code != http.StatusOK {
				t.Errorf("search page status = %d, want 200", rec.Code)
			} else if !strings.Contains(rec.Body.String(), res.Notice) {
				t.Errorf("search page does not show the notice %q", res.Notice)
			}
		})
	}
	// The control: a healthy embedder gives hybrid results and no notice.
	t.Run("healthy", func(t *testing.T) {
		h := newFaultServer(t, embeddingsOK)
		rec := get(t, h, "/api/v1/search?q="+url.QueryEscape("đăng ký khai sinh"), "")
		var res struct {
			Mode   string `json:"mode"`
			Notice string `json:"notice"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("search = %d %s", rec.Code, rec.Body)
		}
		if res.Mode != "hybrid" || res.Notice != "" {
			t.Errorf("mode %q notice %q, want hybrid without a notice", res.Mode, res.Notice)
		}
	})
}
