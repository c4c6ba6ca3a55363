package openai_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"sotay/handbook"
	"sotay/handbook/openai"
	"sotay/handbook/openai/openaitest"
)

var msgs = []handbook.Message{
	{Role: "system", Content: "Trả lời bằng tiếng Việt."},
	{Role: "user", Content: "=== ĐOẠN TRÍCH ===\n[1] Điều 16 Luật Hộ tịch 2014\nNgười đi đăng ký khai sinh nộp tờ khai theo mẫu quy định.\n"},
}

func TestChatComplete(t *testing.T) {
	srv := openaitest.NewServer(t)
	srv.Key = "sk-test"
	srv.Script(openaitest.Answer("Nộp tờ khai theo mẫu [1]."))
	chat := openai.NewChat(srv.URL, "sk-test", "qwen2.5:3b", 5*time.Second)
	got, err := chat.Complete(t.Context(), msgs)
	if err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	if got != "Nộp tờ khai theo mẫu [1]." {
		t.Errorf("Complete() = %q", got)
	}
	reqs := srv.ChatRequests()
	if len(reqs) != 1 || reqs[0].Model != "qwen2.5:3b" || reqs[0].Stream || len(reqs[0].Messages) != 2 || reqs[0].Messages[1].Content != msgs[1].Content {
		t.Errorf("recorded request = %+v", reqs)
	}
}

func TestChatStream(t *testing.T) {
	srv := openaitest.NewServer(t)
	const text = "Người đi đăng ký khai sinh nộp tờ khai theo mẫu quy định [1]. Xong."
	srv.Script(openaitest.Answer(text))
	chat := openai.NewChat(srv.URL, "", "m", 5*time.Second)
	var deltas []string
	got, err := chat.Stream(t.Context(), msgs, func(d string) error { deltas = append(deltas, d); return nil })
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	if got != text || strings.Join(deltas, "") != text || len(deltas) < 3 {
		t.Errorf("Stream() = %q in %d deltas, want %q in several", got, len(deltas), text)
	}
	if r := srv.ChatRequests(); len(r) != 1 || !r[0].Stream {
		t.Errorf("request not streamed: %+v", r)
	}
}

func TestChatStreamStopsWhenOnDeltaFails(t *testing.T) {
	srv := openaitest.NewServer(t)
	srv.Script(openaitest.Answer("một hai ba bốn năm sáu bảy tám chín mười"))
	stop := errors.New("stop")
	n := 0
	_, err := openai.NewChat(srv.URL, "", "m", 5*time.Second).Stream(t.Context(), msgs, func(string) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Stream() error = %v after %d deltas, want stop after 1", err, n)
	}
}

// TestChatFailures: every way the service fails maps to ErrUnavailable
// (so the Assistant falls back) except a garbage reply, which is a plain
// error; none is a panic or a hang.
func TestChatFailures(t *testing.T) {
	tests := []struct {
		name        string
		reply       openaitest.Reply
		unavailable bool
		deadline    bool
	}{
		{"429", openaitest.Status(http.StatusTooManyRequests), true, false},
		{"500", openaitest.Status(http.StatusInternalServerError), true, false},
		{"503", openaitest.Status(http.StatusServiceUnavailable), true, false},
		{"reset", openaitest.Reset(), true, false},
		{"stall", openaitest.Stall(30 * time.Second), true, true},
		{"stall mid-stream", openaitest.Reply{Text: "một hai ba bốn năm sáu", StallAfter: 1, Stall: 30 * time.Second}, true, true},
		{"malformed", openaitest.Malformed(), false, false},
	}
	for _, tc := range tests {
		for _, stream := range []bool{false, true} {
			name := tc.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				srv := openaitest.NewServer(t)
				srv.Script(tc.reply)
				// A hang would show as the test's own timeout; the
				// DeadlineExceeded check below says the 200ms applied.
				chat := openai.NewChat(srv.URL, "", "m", 200*time.Millisecond)
				var err error
				if stream {
					_, err = chat.Stream(t.Context(), msgs, func(string) error { return nil })
				} else {
					_, err = chat.Complete(t.Context(), msgs)
				}
				if err == nil {
					if tc.name == "stall mid-stream" && !stream {
						return // without streaming the stall does not apply
					}
					t.Fatalf("error = nil, want one")
				}
				if got := errors.Is(err, handbook.ErrUnavailable); got != tc.unavailable {
					t.Errorf("errors.Is(%v, ErrUnavailable) = %v, want %v", err, got, tc.unavailable)
				}
				if tc.deadline && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error = %v, want DeadlineExceeded", err)
				}
			})
		}
	}
}

func TestChatCancelledIsNotUnavailable(t *testing.T) {
	srv := openaitest.NewServer(t)
	srv.Script(openaitest.Stall(30 * time.Second))
	ctx, cancel := context.WithCancel(t.Context())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err := openai.NewChat(srv.URL, "", "m", time.Minute).Complete(ctx, msgs)
	if !errors.Is(err, context.Canceled) || errors.Is(err, handbook.ErrUnavailable) {
		t.Errorf("Complete(cancelled) error = %v, want context.Canceled only", err)
	}
}

func TestBaseURLWithoutPathGetsV1(t *testing.T) {
	srv := openaitest.NewServer(t)
	srv.Script(openaitest.Answer("ok"))
	base := strings.TrimSuffix(srv.URL, "/v1") + "/"
	if _, err := openai.NewChat(base, "", "m", time.Second).Complete(t.Context(), msgs); err != nil {
		t.Errorf("Complete(%s) error = %v", base, err)
	}
}

func cosine(a, b []float32) float64 {
	var d float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
	}
	return d
}

func TestEmbedderBatchesAndOrder(t *testing.T) {
	srv := openaitest.NewServer(t)
	e := openai.NewEmbedder(srv.URL, "", "bge-m3", 0, openai.WithBatchSize(64))
	texts := make([]string, 130)
	for i := range texts {
		texts[i] = "đoạn văn số " + strings.Repeat("x", i%7+1)
	}
	texts[0], texts[1], texts[2] = "đăng ký khai sinh cho con", "dang ky khai sinh", "xử phạt vi phạm giao thông"
	vs, err := e.Embed(t.Context(), texts)
	if err != nil {
		t.Fatalf("Embed() error = %v", err)
	}
	if len(vs) != len(texts) || e.Dim() != 64 {
		t.Fatalf("Embed() = %d vectors of dim %d, want %d of 64", len(vs), e.Dim(), len(texts))
	}
	reqs := srv.EmbeddingRequests()
	if len(reqs) != 3 || len(reqs[0].Input) != 64 || len(reqs[2].Input) != 2 || reqs[0].Model != "bge-m3" {
		t.Errorf("requests = %d (sizes %d…), want 3 batches of 64, 64, 2", len(reqs), len(reqs[0].Input))
	}
	if near, far := cosine(vs[0], vs[1]), cosine(vs[0], vs[2]); near <= far || math.Abs(cosine(vs[0], vs[0])-1) > 1e-5 {
		t.Errorf("cosine(khai sinh, dang ky khai sinh) = %.3f, cosine(khai sinh, giao thông) = %.3f: shared words must be nearer", near, far)
	}
}

// TestEmbedderRetries runs in a synctest bubble with the in-memory transport,
// so the backoff (500 ms, then 1 s) takes no real time.
func TestEmbedderRetries(t *testing.T) {
	srv := openaitest.NewServer(t) // outside the bubble: its listener would block the fake clock
	synctest.Test(t, func(t *testing.T) {
		srv.FailEmbeddings(http.StatusTooManyRequests, http.StatusServiceUnavailable)
		e := openai.NewEmbedder(srv.URL, "", "m", 64, openai.WithHTTPClient(&http.Client{Transport: srv.Transport()}),
			openai.WithRetries(4, 500*time.Millisecond))
		start := time.Now()
		vs, err := e.Embed(t.Context(), []string{"khai sinh"})
		if err != nil || len(vs) != 1 {
			t.Fatalf("Embed() = %d vectors, %v; want 1, nil after two retries", len(vs), err)
		}
		if el := time.Since(start); el != 1500*time.Millisecond {
			t.Errorf("Embed() waited %s, want 1.5s (500ms + 1s)", el)
		}
		if n := len(srv.EmbeddingRequests()); n != 3 {
			t.Errorf("requests = %d, want 3", n)
		}
	})
}

func TestEmbedderGivesUp(t *testing.T) {
	srv := openaitest.NewServer(t) // outside the bubble: its listener would block the fake clock
	synctest.Test(t, func(t *testing.T) {
		srv.FailEmbeddings(500, 500, 500, 500, 500)
		e := openai.NewEmbedder(srv.URL, "", "m", 64, openai.WithHTTPClient(&http.Client{Transport: srv.Transport()}),
			openai.WithRetries(2, time.Second))
		start := time.Now()
		_, err := e.Embed(t.Context(), []string{"khai sinh"})
		if !errors.Is(err, handbook.ErrUnavailable) {
			t.Errorf("Embed() error = %v, want ErrUnavailable", err)
		}
		if n, el := len(srv.EmbeddingRequests()), time.Since(start); n != 3 || el != 3*time.Second {
			t.Errorf("gave up after %d requests and %s, want 3 and 3s", n, el)
		}
	})
}

func TestEmbedderDoesNotRetryBadRequests(t *testing.T) {
	srv := openaitest.NewServer(t) // outside the bubble: its listener would block the fake clock
	synctest.Test(t, func(t *testing.T) {
		srv.FailEmbeddings(http.StatusUnauthorized)
		e := openai.NewEmbedder(srv.URL, "", "m", 64, openai.WithHTTPClient(&http.Client{Transport: srv.Transport()}))
		_, err := e.Embed(t.Context(), []string{"khai sinh"})
		if err == nil || errors.Is(err, handbook.ErrUnavailable) || len(srv.EmbeddingRequests()) != 1 {
			t.Errorf("Embed() error = %v after %d requests, want a plain error after 1", err, len(srv.EmbeddingRequests()))
		}
	})
}

func TestEmbedderRetriesStopWithContext(t *testing.T) {
	srv := openaitest.NewServer(t) // outside the bubble: its listener would block the fake clock
	synctest.Test(t, func(t *testing.T) {
		srv.FailEmbeddings(503, 503, 503)
		e := openai.NewEmbedder(srv.URL, "", "m", 64, openai.WithHTTPClient(&http.Client{Transport: srv.Transport()}),
			openai.WithRetries(5, 10*time.Second))
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		defer cancel()
		_, err := e.Embed(ctx, []string{"a"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Embed() error = %v, want DeadlineExceeded", err)
		}
	})
}

func TestEmbedderDimensionChangeIsConflict(t *testing.T) {
	srv := openaitest.NewServer(t)
	e := openai.NewEmbedder(srv.URL, "", "m", 0)
	if _, err := e.Embed(t.Context(), []string{"khai sinh"}); err != nil {
		t.Fatal(err)
	}
	srv.SetDim(32)
	_, err := e.Embed(t.Context(), []string{"khai sinh"})
	if !errors.Is(err, handbook.ErrConflict) || !strings.Contains(err.Error(), "32 dimensions") {
		t.Errorf("Embed() after the model changed: error = %v, want ErrConflict naming 32 dimensions", err)
	}
	if got := handbook.ErrorCode(err); got != handbook.Conflict {
		t.Errorf("ErrorCode = %q, want conflict", got)
	}
	configured := openai.NewEmbedder(srv.URL, "", "m", 1024)
	if _, err := configured.Embed(t.Context(), []string{"x"}); !errors.Is(err, handbook.ErrConflict) {
		t.Errorf("Embed() with configured dim 1024 and a 32-dim model: error = %v, want ErrConflict", err)
	}
}

// TestEmbedderRejectsGarbage: a reply that decodes but cannot be an
// embedding of the texts is an error at once, not retried (retrying does
// not fix a broken model) and not "unavailable".
func TestEmbedderRejectsGarbage(t *testing.T) {
	tests := []struct {
		name, body string
	}{
		{"zero vector", `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0,0,0,0]}],"model":"m"}`},
		{"empty vector", `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[]}],"model":"m"}`},
		{"too few vectors", `{"object":"list","data":[],"model":"m"}`},
		{"index out of range", `{"object":"list","data":[{"object":"embedding","index":3,"embedding":[1,0,0,0]}],"model":"m"}`},
		{"not JSON", `{"data":[{"embedding":"nonsense"`},
		{"number beyond float32", `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1e39,0,0,0]}],"model":"m"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tc.body)
			}))
			t.Cleanup(srv.Close)
			e := openai.NewEmbedder(srv.URL, "", "m", 4, openai.WithRetries(3, time.Millisecond))
			vs, err := e.Embed(t.Context(), []string{"khai sinh"})
			if err == nil {
				t.Fatalf("Embed() = %v, want an error", vs)
			}
			if errors.Is(err, handbook.ErrUnavailable) || calls.Load() != 1 {
				t.Errorf("Embed() error = %v after %d requests, want a plain error after 1", err, calls.Load())
			}
		})
	}
}
