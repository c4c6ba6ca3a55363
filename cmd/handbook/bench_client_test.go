package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRawClient: the concurrency-8 client sends the question, reads whole
// answers over one connection, dials again when the server closed it, and
// fails on anything but a JSON 200.
func TestRawClient(t *testing.T) {
	var conns, requests atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		q := r.URL.Query().Get("q")
		switch q {
		case "hỏng":
			http.Error(w, "no", http.StatusInternalServerError)
			return
		case "html":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<p>" + strings.Repeat("x", 100) + "</p>"))
			return
		case "đóng":
			w.Header().Set("Connection", "close")
		}
		if r.URL.Query().Get("limit") != "10" {
			t.Errorf("limit %q", r.URL.Query().Get("limit"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"query":"` + q + `","hits":[` + strings.Repeat(`{"doc":"a","anchor":"b"},`, 400) + `{}]}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := newRawClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 3 {
		if err := c.search(t.Context(), "đăng ký khai sinh"); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 3 searches, want 1", n)
	}
	if err := c.search(t.Context(), "đóng"); err != nil {
		t.Fatal(err)
	}
	if err := c.search(t.Context(), "sau khi đóng"); err != nil {
		t.Fatal(err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections after the server closed one, want 2", n)
	}
	for _, q := range []string{"hỏng", "html"} {
		if err := c.search(t.Context(), q); err == nil {
			t.Errorf("%s: no error", q)
		}
	}
	if err := c.search(t.Context(), "lại"); err != nil {
		t.Fatal(err)
	}
	if n := requests.Load(); n != 8 {
		t.Errorf("%d requests, want 8", n)
	}
}
