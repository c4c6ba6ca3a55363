// Package openai implements handbook.LLM (Chat) and handbook.Embedder
// (Embedder) against any OpenAI-compatible API: OpenAI, Ollama, vLLM,
// llama.cpp server. It maps rate limits, server errors, timeouts and broken
// connections to handbook.ErrUnavailable, so that callers degrade (extractive
// answers, keyword-only search) instead of failing, and a change of embedding
// dimension to handbook.ErrConflict, whose remedy is a rebuilt index.
//
// It imports handbook and github.com/sashabaranov/go-openai, and nothing else
// outside the standard library; openaitest is its fake server.
package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"sotay/handbook"

	goopenai "github.com/sashabaranov/go-openai"
)

// Option configures a Chat or an Embedder.
type Option func(*options)

type options struct {
	httpClient *http.Client
	batch      int
	retries    int
	backoff    time.Duration
	timeout    time.Duration
}

// WithHTTPClient sets the HTTP client (tests pass one with an in-memory
// transport; proxies need their own).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithBatchSize sets how many texts go in one embedding request (default 64).
func WithBatchSize(n int) Option { return func(o *options) { o.batch = n } }

// WithRetries sets how often an embedding request is retried after a rate
// limit, a server error or a timeout (default 4), waiting base, 2·base,
// 4·base… (default 500 ms) in between.
func WithRetries(n int, base time.Duration) Option {
	return func(o *options) { o.retries, o.backoff = n, base }
}

// WithTimeout bounds each embedding request (default 30 s).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

func newClient(baseURL, key string, o *options) *goopenai.Client {
	cfg := goopenai.DefaultConfig(key)
	cfg.BaseURL = apiBase(baseURL)
	if o.httpClient != nil {
		cfg.HTTPClient = o.httpClient
	}
	return goopenai.NewClientWithConfig(cfg)
}

// apiBase accepts a server address with or without the API path: a URL
// without a path ("http://localhost:11434") gets "/v1", one with a path
// (".../v1", "https://host/openai/v1") is used as given.
func apiBase(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if u, err := url.Parse(s); err == nil && (u.Path == "" || u.Path == "/") {
		return s + "/v1"
	}
	return s
}

func buildOptions(opts []Option) *options {
	o := &options{batch: 64, retries: 4, backoff: 500 * time.Millisecond, timeout: 30 * time.Second}
	for _, f := range opts {
		f(o)
	}
	if o.batch < 1 {
		o.batch = 1
	}
	return o
}

// Chat is a chat-completions client. It implements handbook.LLM and
// handbook.StreamingLLM.
type Chat struct {
	client  *goopenai.Client
	model   string
	timeout time.Duration
	// Temperature of generation; low, because answers must stay close to
	// the excerpts.
	Temperature float32
}

var (
	_ handbook.LLM          = (*Chat)(nil)
	_ handbook.StreamingLLM = (*Chat)(nil)
)

// NewChat returns a client of the chat model at baseURL. Each call is bounded
// by timeout (the -llm-timeout option); 0 means none beyond the caller's.
func NewChat(baseURL, key, model string, timeout time.Duration, opts ...Option) *Chat {
	return &Chat{client: newClient(baseURL, key, buildOptions(opts)), model: model, timeout: timeout, Temperature: 0.1}
}

// Model returns the model name.
func (c *Chat) Model() string { return c.model }

func (c *Chat) request(msgs []handbook.Message, stream bool) goopenai.ChatCompletionRequest {
	req := goopenai.ChatCompletionRequest{Model: c.model, Temperature: c.Temperature, Stream: stream}
	for _, m := range msgs {
		req.Messages = append(req.Messages, goopenai.ChatCompletionMessage{Role: m.Role, Content: m.Content})
	}
	return req
}

func (c *Chat) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.timeout)
}

// Complete returns the model's reply. Errors wrap handbook.ErrUnavailable for
// timeouts, rate limits (429), server errors (5xx) and broken connections.
func (c *Chat) Complete(ctx context.Context, msgs []handbook.Message) (string, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	resp, err := c.client.CreateChatCompletion(ctx, c.request(msgs, false))
	if err != nil {
		return "", classify("chat completion", ctx, err)
	}
	if len(resp.Choices) == 0 {
		return "", errors.New("chat completion: reply without choices")
	}
	return resp.Choices[0].Message.Content, nil
}

// Stream sends the reply to onDelta as it is generated and returns all of
// it. An error from onDelta stops the generation and is returned as is.
func (c *Chat) Stream(ctx context.Context, msgs []handbook.Message, onDelta func(string) error) (string, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	stream, err := c.client.CreateChatCompletionStream(ctx, c.request(msgs, true))
	if err != nil {
		return "", classify("chat stream", ctx, err)
	}
	defer stream.Close()
	var all strings.Builder
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return all.String(), nil
		}
		if err != nil {
			return all.String(), classify("chat stream", ctx, err)
		}
		if len(resp.Choices) == 0 || resp.Choices[0].Delta.Content == "" {
			continue
		}
		d := resp.Choices[0].Delta.Content
		all.WriteString(d)
		if err := onDelta(d); err != nil {
			return all.String(), err
		}
	}
}

// classify wraps err with what was attempted, adding handbook.ErrUnavailable
// when the service is (for now) out of reach. The caller's own cancellation
// stays context.Canceled.
func classify(op string, ctx context.Context, err error) error {
	switch {
	case errors.Is(err, context.Canceled) && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", op, err)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%s: %w: %w", op, handbook.ErrUnavailable, context.DeadlineExceeded)
	}
	if status := statusOf(err); status != 0 {
		if status == http.StatusTooManyRequests || status >= 500 {
			return fmt.Errorf("%s: status %d: %w: %w", op, status, handbook.ErrUnavailable, err)
		}
		return fmt.Errorf("%s: status %d: %w", op, status, err)
	}
	var netErr net.Error
	var urlErr *url.Error
	// A reply that does not decode is garbage, not an outage: it is not
	// retried and stays a plain error.
	if errors.As(err, &netErr) || errors.As(err, &urlErr) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%s: %w: %w", op, handbook.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// statusOf returns the HTTP status carried by a go-openai error, or 0.
func statusOf(err error) int {
	if e, ok := errors.AsType[*goopenai.APIError](err); ok {
		return e.HTTPStatusCode
	}
	if e, ok := errors.AsType[*goopenai.RequestError](err); ok {
		return e.HTTPStatusCode
	}
	return 0
}

// Embedder is an embeddings client. It implements handbook.Embedder.
type Embedder struct {
	client *goopenai.Client
	model  string
	opt    *options
	dim    atomic.Int64
}

var _ handbook.Embedder = (*Embedder)(nil)

// NewEmbedder returns a client of the embedding model at baseURL. dim is the
// dimension the vectors must have (the one the index was built with); 0
// takes it from the first response.
func NewEmbedder(baseURL, key, model string, dim int, opts ...Option) *Embedder {
	o := buildOptions(opts)
	e := &Embedder{client: newClient(baseURL, key, o), model: model, opt: o}
	e.dim.Store(int64(dim))
	return e
}

// Model returns the model name; vectors from another model need a new index.
func (e *Embedder) Model() string { return e.model }

// Dim returns the dimension of the vectors, 0 before the first response
// when it was not configured.
func (e *Embedder) Dim() int { return int(e.dim.Load()) }

// Embed returns one vector per text, in batches. Rate limits, server errors
// and timeouts are retried with exponential backoff; after the last retry the
// error wraps handbook.ErrUnavailable. A vector of another dimension than
// the index's is an error wrapping handbook.ErrConflict; a reply that is
// not one usable vector per text (handbook.CheckVector) is a plain error,
// not retried.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for i := 0; i < len(texts); i += e.opt.batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		vs, err := e.batch(ctx, texts[i:min(i+e.opt.batch, len(texts))])
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}

func (e *Embedder) batch(ctx context.Context, texts []string) ([][]float32, error) {
	wait := e.opt.backoff
	for attempt := 0; ; attempt++ {
		vs, err := e.once(ctx, texts)
		if err == nil || !errors.Is(err, handbook.ErrUnavailable) || attempt >= e.opt.retries || ctx.Err() != nil {
			return vs, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("embed: %w (after %w)", ctx.Err(), err)
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (e *Embedder) once(ctx context.Context, texts []string) ([][]float32, error) {
	ctx, cancel := context.WithTimeout(ctx, e.opt.timeout)
	defer cancel()
	resp, err := e.client.CreateEmbeddings(ctx, goopenai.EmbeddingRequest{Input: texts, Model: goopenai.EmbeddingModel(e.model)})
	if err != nil {
		return nil, classify("embed", ctx, err)
	}
	if len(resp.Data) != len(texts) {
		return nil, fmt.Errorf("embed: %d vectors for %d texts", len(resp.Data), len(texts))
	}
	out := make([][]float32, len(texts))
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(texts) || out[d.Index] != nil {
			return nil, fmt.Errorf("embed: bad vector index %d", d.Index)
		}
		if err := e.checkVector(d.Embedding); err != nil {
			return nil, err
		}
		out[d.Index] = d.Embedding
	}
	return out, nil
}

// checkVector rejects garbage (empty, NaN, infinite or all-zero vectors:
// a plain error, not retried) and fixes the dimension on first use,
// rejecting any other later.
func (e *Embedder) checkVector(v []float32) error {
	if err := handbook.CheckVector(v); err != nil {
		return fmt.Errorf("embed: model %s returned an unusable vector: %w", e.model, err)
	}
	n := len(v)
	if e.dim.CompareAndSwap(0, int64(n)) {
		return nil
	}
	if want := e.dim.Load(); int64(n) != want {
		return fmt.Errorf("embed: model %s returned %d dimensions, the index has %d (rebuild it with handbook index -rebuild): %w",
			e.model, n, want, handbook.ErrConflict)
	}
	return nil
}
