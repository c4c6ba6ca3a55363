// Package openaitest is a fake OpenAI-compatible server for tests: it serves
// /v1/embeddings with deterministic vectors (hashed folded syllables and
// bigrams, so texts that share words get nearby vectors) and
// /v1/chat/completions with scripted replies, streamed (SSE) or not. It
// records every request so tests can inspect the prompt, and reports bad
// requests with t.Errorf (never t.Fatal, which would run off the test
// goroutine) and a 400.
//
// It imports the standard library only.
package openaitest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"
)

// Message is one chat message of a recorded request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is a recorded /v1/chat/completions request.
type ChatRequest struct {
	Model    string    `json:"model"`
	Messages []Message `json:"messages"`
	Stream   bool      `json:"stream"`
}

// Prompt returns every message's content, joined, for assertions.
func (r ChatRequest) Prompt() string {
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(m.Role + ": " + m.Content + "\n")
	}
	return b.String()
}

// EmbeddingRequest is a recorded /v1/embeddings request.
type EmbeddingRequest struct {
	Model string
	Input []string
}

// Reply scripts one chat completion.
type Reply struct {
	// Text is the assistant's reply; Build, when set, computes it from the
	// request (for answers that cite the excerpts of the prompt).
	Text  string
	Build func(ChatRequest) string
	// Chunks splits a streamed reply; by default Text is sent in pieces of
	// a few words.
	Chunks []string
	// Status, when not 0 or 200, answers with an OpenAI-style error.
	Status int
	// Malformed answers 200 with a body that is not valid JSON.
	Malformed bool
	// Stall waits this long (or until the request is cancelled) before
	// replying; StallAfter > 0 stalls a stream after that many chunks.
	Stall      time.Duration
	StallAfter int
	// Reset closes the connection without any response.
	Reset bool
}

// Answer is a reply with the given text.
func Answer(text string) Reply { return Reply{Text: text} }

// Status is an error reply: 429 (rate limited), 500, 503…
func Status(code int) Reply { return Reply{Status: code} }

// Malformed is a 200 reply whose body is broken JSON.
func Malformed() Reply { return Reply{Malformed: true} }

// Stall is a reply that hangs for d unless the client gives up first.
func Stall(d time.Duration) Reply { return Reply{Stall: d, Text: "Quá muộn."} }

// Reset drops the connection.
func Reset() Reply { return Reply{Reset: true} }

// CitedAnswer is a good answer: it quotes the start of excerpt [1] of the
// prompt verbatim and cites it.
func CitedAnswer() Reply {
	return Reply{Build: func(r ChatRequest) string {
		ex := Excerpts(r)
		if len(ex) == 0 {
			return "Sổ tay chưa có thông tin để trả lời câu hỏi này."
		}
		return fmt.Sprintf("Theo hướng dẫn, «%s» [1]. Anh/chị vui lòng làm theo hướng dẫn trong văn bản được dẫn [1].", firstWords(ex[0], 10))
	}}
}

// ForeignCitation is an answer citing an excerpt that was not in the prompt.
func ForeignCitation() Reply {
	return Reply{Build: func(r ChatRequest) string {
		return fmt.Sprintf("Theo hướng dẫn, «%s» [1]. Ngoài ra còn quy định khác [%d].", firstWords(first(Excerpts(r)), 6), len(Excerpts(r))+3)
	}}
}

// InventedQuote is an answer that cites [1] but quotes words that are not in it.
func InventedQuote() Reply {
	return Answer("Theo quy định, «người dân phải nộp phạt gấp đôi và chờ ba tháng» [1].")
}

// MisattributedQuote quotes excerpt [n] (n > 1) verbatim but marks the
// quote [1], and cites [n] later in the sentence: the words exist in an
// excerpt the sentence cites, only not in the one the quote names. Without
// two excerpts that differ it cites nothing.
func MisattributedQuote() Reply {
	return Reply{Build: func(r ChatRequest) string {
		ex := Excerpts(r)
		for i := 1; i < len(ex); i++ {
			if q := firstWords(ex[i], 8); q != "" && !strings.Contains(ex[0], q) {
				return fmt.Sprintf("Theo quy định, «%s» [1], như văn bản kia cũng nêu [%d].", q, i+1)
			}
		}
		return "Không có đoạn trích thứ hai."
	}}
}

// Declined is the reply the prompt asks for when the excerpts do not
// answer the question.
func Declined() Reply {
	return Answer("Sổ tay chưa có thông tin để trả lời câu hỏi này.")
}

// LongCitedAnswer cites excerpt [1] in n sentences, each quoting the start
// of it (no figures, which would need checking), for tests of the short
// form's length.
func LongCitedAnswer(n int) Reply {
	return Reply{Build: func(r ChatRequest) string {
		ex := Excerpts(r)
		if len(ex) == 0 {
			return "Sổ tay chưa có thông tin để trả lời câu hỏi này."
		}
		// A clause number ("1.") would read as a sentence of its own.
		words := strings.Fields(firstWords(ex[0], 5))
		if len(words) > 1 && strings.Trim(words[0], "0123456789") == "." {
			words = words[1:]
		}
		var b strings.Builder
		for range n {
			fmt.Fprintf(&b, "Văn bản ghi rõ: «%s» [1]. ", strings.Join(words, " "))
		}
		return strings.TrimSpace(b.String())
	}}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

var excerptHead = regexp.MustCompile(`^\[(\d+)\] `)

// Excerpts returns the text of the numbered excerpts of the request's user
// message ("[n] label — heading" lines followed by the text, up to a blank
// line), in order.
func Excerpts(r ChatRequest) []string {
	var out []string
	for _, m := range r.Messages {
		if m.Role != "user" {
			continue
		}
		lines := strings.Split(m.Content, "\n")
		for i := 0; i < len(lines); i++ {
			if !excerptHead.MatchString(lines[i]) {
				continue
			}
			var body []string
			for j := i + 1; j < len(lines) && strings.TrimSpace(lines[j]) != "" && !excerptHead.MatchString(lines[j]); j++ {
				body = append(body, lines[j])
			}
			out = append(out, strings.Join(body, "\n"))
		}
	}
	return out
}

// firstWords returns up to n words of the first line of text, the first
// run of words without quotation marks (a quote must not cut another).
func firstWords(text string, n int) string {
	line, _, _ := strings.Cut(text, "\n")
	var run []string
	for _, w := range strings.Fields(line) {
		if strings.ContainsAny(w, "\"“”«»[]") {
			if len(run) > 0 {
				break
			}
			continue
		}
		if run = append(run, w); len(run) == n {
			break
		}
	}
	return strings.Join(run, " ")
}

// Server is the fake. Create it with NewServer.
type Server struct {
	// URL is the base URL to configure clients with, ending in /v1.
	URL string
	// Key, when set, is the bearer key every request must carry.
	Key string

	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	dim       int
	script    []Reply
	def       Reply
	chats     []ChatRequest
	embeds    []EmbeddingRequest
	embedFail []int
}

// NewServer starts a fake server that is closed when the test ends. Chat
// requests beyond the script get CitedAnswer; embeddings have 64 dimensions.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, dim: 64, def: CitedAnswer()}
	s.srv = httptest.NewServer(s.Handler())
	s.URL = s.srv.URL + "/v1"
	t.Cleanup(s.srv.Close)
	return s
}

// Script queues replies for the next chat requests, in order.
func (s *Server) Script(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, replies...)
}

// SetDefault sets the reply once the script is exhausted.
func (s *Server) SetDefault(r Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.def = r
}

// SetDim changes the embedding dimension (as when the model is swapped).
func (s *Server) SetDim(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dim = n
}

// FailEmbeddings makes the next embedding requests fail with these
// statuses, one per request; a 0 lets that request through (0, 0, 500 fails
// the third).
func (s *Server) FailEmbeddings(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.embedFail = append(s.embedFail, statuses...)
}

// ChatRequests returns the chat requests received so far.
func (s *Server) ChatRequests() []ChatRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ChatRequest(nil), s.chats...)
}

// EmbeddingRequests returns the embedding requests received so far.
func (s *Server) EmbeddingRequests() []EmbeddingRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]EmbeddingRequest(nil), s.embeds...)
}

// Handler serves the fake API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/chat/completions", s.chat)
	mux.HandleFunc("/v1/embeddings", s.embeddings)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.bad(w, "unexpected request %s %s", r.Method, r.URL.Path)
	})
	return mux
}

// Transport returns an in-memory RoundTripper that calls the handler
// directly, without sockets: tests under testing/synctest use it, since a
// goroutine blocked on a real connection never lets the fake clock advance.
// Create the Server outside the bubble (its listener's goroutine would
// block the bubble too) and the client inside.
// A Reset reply becomes a connection-reset error.
func (s *Server) Transport() http.RoundTripper { return transport{s.Handler()} }

type transport struct{ h http.Handler }

func (t transport) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	rec := httptest.NewRecorder()
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			resp, err = nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
		}
	}()
	t.h.ServeHTTP(rec, r)
	// A real transport fails when the request is cancelled or times out
	// before the response arrives, rather than return what the handler
	// wrote until then (nothing, for a stall).
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	res := rec.Result()
	res.Request = r
	return res, nil
}

// bad reports a malformed request to the test and answers 400.
func (s *Server) bad(w http.ResponseWriter, format string, args ...any) {
	s.t.Errorf("openaitest: "+format, args...)
	writeError(w, http.StatusBadRequest, fmt.Sprintf(format, args...))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "fake_error", "code": status}})
}

// checkRequest validates method, content type and key, and decodes the body.
func (s *Server) checkRequest(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Method != http.MethodPost {
		s.bad(w, "%s %s, want POST", r.Method, r.URL.Path)
		return false
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.bad(w, "Content-Type %q, want application/json", ct)
		return false
	}
	if s.Key != "" && r.Header.Get("Authorization") != "Bearer "+s.Key {
		s.bad(w, "Authorization %q, want the configured key", r.Header.Get("Authorization"))
		return false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		s.bad(w, "decode %s body: %v", r.URL.Path, err)
		return false
	}
	return true
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req ChatRequest
	if !s.checkRequest(w, r, &req) {
		return
	}
	if req.Model == "" || len(req.Messages) == 0 {
		s.bad(w, "chat request without model or messages")
		return
	}
	for _, m := range req.Messages {
		if m.Role != "system" && m.Role != "user" && m.Role != "assistant" {
			s.bad(w, "message role %q", m.Role)
			return
		}
	}
	s.mu.Lock()
	s.chats = append(s.chats, req)
	reply := s.def
	if len(s.script) > 0 {
		reply, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()
	if reply.Build != nil {
		reply.Text = reply.Build(req)
	}
	switch {
	case reply.Reset:
		reset(w)
		return
	case reply.Stall > 0 && reply.StallAfter == 0:
		if !wait(r, reply.Stall) {
			return
		}
	}
	switch {
	case reply.Status != 0 && reply.Status != http.StatusOK:
		writeError(w, reply.Status, http.StatusText(reply.Status))
	case reply.Malformed && req.Stream:
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"Theo quy\n\n")
	case reply.Malformed:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"x","choices":[{"message":{"content":"Theo quy định`)
	case req.Stream:
		s.stream(w, r, req, reply)
	default:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": reply.Text}}},
			"usage": map[string]any{"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
		})
	}
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, req ChatRequest, reply Reply) {
	chunks := reply.Chunks
	if chunks == nil {
		chunks = splitWords(reply.Text, 3)
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	send := func(delta map[string]any, finish any) {
		b, _ := json.Marshal(map[string]any{"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}})
		fmt.Fprintf(w, "data: %s\n\n", b)
		if fl != nil {
			fl.Flush()
		}
	}
	send(map[string]any{"role": "assistant", "content": ""}, nil)
	for i, c := range chunks {
		if reply.StallAfter > 0 && i == reply.StallAfter {
			if !wait(r, reply.Stall) {
				return
			}
		}
		send(map[string]any{"content": c}, nil)
	}
	send(map[string]any{}, "stop")
	io.WriteString(w, "data: [DONE]\n\n")
}

// wait sleeps d unless the request is cancelled first; it reports whether
// the client is still there.
func wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// reset closes the connection abruptly (RST when possible).
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// splitWords cuts text into pieces of n words, keeping the spaces, so that a
// stream delivers it a few words at a time.
func splitWords(text string, n int) []string {
	var out []string
	var cur strings.Builder
	words := 0
	for i, r := range text {
		cur.WriteRune(r)
		if unicode.IsSpace(r) && i > 0 {
			words++
			if words == n {
				out = append(out, cur.String())
				cur.Reset()
				words = 0
			}
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var raw struct {
		Model string          `json:"model"`
		Input json.RawMessage `json:"input"`
	}
	if !s.checkRequest(w, r, &raw) {
		return
	}
	var in []string
	if err := json.Unmarshal(raw.Input, &in); err != nil {
		var one string
		if err := json.Unmarshal(raw.Input, &one); err != nil {
			s.bad(w, "embedding input is neither a string nor a list of strings")
			return
		}
		in = []string{one}
	}
	if raw.Model == "" || len(in) == 0 {
		s.bad(w, "embedding request without model or input")
		return
	}
	s.mu.Lock()
	s.embeds = append(s.embeds, EmbeddingRequest{Model: raw.Model, Input: in})
	dim := s.dim
	fail := 0
	if len(s.embedFail) > 0 {
		fail, s.embedFail = s.embedFail[0], s.embedFail[1:]
	}
	s.mu.Unlock()
	if fail != 0 {
		writeError(w, fail, http.StatusText(fail))
		return
	}
	data := make([]any, len(in))
	for i, text := range in {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": Vector(text, dim)}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "model": raw.Model, "data": data,
		"usage": map[string]any{"prompt_tokens": len(in), "total_tokens": len(in)}})
}

// Vector is the fake embedding of text: each folded syllable (and, at half
// weight, each pair of adjacent syllables) adds ±1 at a hashed position; the
// result has unit length. Texts that share words share positions.
func Vector(text string, dim int) []float32 {
	v := make([]float64, dim)
	add := func(tok string, w float64) {
		h := fnv.New32a()
		h.Write([]byte(tok))
		x := h.Sum32()
		sign := 1.0
		if x&(1<<31) != 0 {
			sign = -1
		}
		v[int(x%uint32(dim))] += sign * w
	}
	syl := syllables(text)
	for i, s := range syl {
		add(s, 1)
		if i > 0 {
			add(syl[i-1]+" "+s, 0.5)
		}
	}
	norm := 0.0
	for _, x := range v {
		norm += x * x
	}
	out := make([]float32, dim)
	if norm == 0 {
		out[0] = 1
		return out
	}
	for i, x := range v {
		out[i] = float32(x / math.Sqrt(norm))
	}
	return out
}

// syllables lower-cases text, strips Vietnamese diacritics and splits it
// into words.
func syllables(text string) []string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if f, ok := fold[r]; ok {
			r = f
		}
		b.WriteRune(r)
	}
	return strings.FieldsFunc(b.String(), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

var fold = func() map[rune]rune {
	m := map[rune]rune{}
	for _, group := range []string{"aàáảãạăằắẳẵặâầấẩẫậ", "eèéẻẽẹêềếểễệ", "iìíỉĩị", "oòóỏõọôồốổỗộơờớởỡợ", "uùúủũụưừứửữự", "yỳýỷỹỵ", "dđ"} {
		r := []rune(group)
		for _, x := range r[1:] {
			m[x] = r[0]
		}
	}
	return m
}()
