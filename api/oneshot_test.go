package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sotay/handbook"
)

// countingListener counts the writes made on the connections it accepts.
type countingListener struct {
	net.Listener
	writes atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, writes: &l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// A search answer larger than net/http's 4 KiB buffer goes out in one
// write, whole, and the connection then serves the next request as before:
// another search, and a static file through the ReaderFrom path.
func TestSearchAnswerIsOneWrite(t *testing.T) {
	var docs []*handbook.Document
	for i := range 30 {
		docs = append(docs, &handbook.Document{
			ID: fmt.Sprintf("procedures/ho-tich/khai-sinh-%02d", i), Kind: handbook.KindProcedure,
			Title:    fmt.Sprintf("Đăng ký khai sinh trường hợp %d có yếu tố đặc biệt", i),
			Audience: handbook.AudiencePublic, Status: handbook.StatusPublished, Hash: fmt.Sprint(i),
			Sections: []handbook.Section{{Kind: handbook.SectionHeading, Anchor: "cac-buoc", Heading: "Các bước thực hiện",
				Text: strings.Repeat("Người đi đăng ký khai sinh nộp tờ khai theo mẫu và giấy chứng sinh tại bộ phận một cửa. ", 6)}},
		})
	}
	srv := newAPIServer(t, handbook.NewLibrary(docs, nil, nil), time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &countingListener{Listener: inner}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})

	conn, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	ask := func(path string) (*http.Response, []byte, int64) {
		t.Helper()
		before := ln.writes.Load()
		if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		return resp, body, ln.writes.Load() - before
	}
	for range 2 {
		resp, body, writes := ask("/api/v1/search?limit=10&q=" + url.QueryEscape("đăng ký khai sinh"))
		var res searchResponse
		if err := json.Unmarshal(body, &res); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("search: %d, %v: %.200s", resp.StatusCode, err, body)
		}
		if len(res.Hits) != 10 || len(body) <= 4096 {
			t.Fatalf("search gave %d hits in %d bytes; the test needs 10 in more than 4 KiB", len(res.Hits), len(body))
		}
		if resp.ContentLength != int64(len(body)) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("search answer: length %d of %d bytes, type %q", resp.ContentLength, len(body), resp.Header.Get("Content-Type"))
		}
		if writes != 1 {
			t.Errorf("search answer of %d bytes went out in %d writes, want 1", len(body), writes)
		}
	}
	resp, body, _ := ask("/static/app.css")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "{") {
		t.Errorf("static file after searches: %d, %.100q", resp.StatusCode, body)
	}
}
