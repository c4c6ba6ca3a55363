package api

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
)

// One write per answer.
//
// net/http writes a response through a 4 KiB buffer: a search answer of
// 9 KB (ten hits) went out as two writes, the buffer with the headers and
// then the rest. Each write on a TCP connection sends a segment and wakes
// the reader, so the caller woke twice and the server made two system
// calls for one answer; in a loaded server's profile at 100k chunks the
// writes were 5% of its CPU (docs/BENCHMARKS.md). A handler that knows its
// whole answer holds the connection's writes (writeWhole), hands the answer
// to net/http, flushes it, and releases them as one.

// oneshotConn holds the writes made between hold and release.
type oneshotConn struct {
	net.Conn
	held    bool
	pending []byte
}

// oneshotListener wraps each accepted connection in a oneshotConn.
type oneshotListener struct{ net.Listener }

func (l oneshotListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &oneshotConn{Conn: c}, nil
}

// pendingPool keeps the buffers of held writes between answers.
var pendingPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// Write holds p while the connection is held. A connection serves one
// request at a time (HTTP/1.1 without pipelined answers): only its
// handler's goroutine writes, so held needs no lock.
func (c *oneshotConn) Write(p []byte) (int, error) {
	if c.held {
		c.pending = append(c.pending, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// ReadFrom keeps net/http's sendfile path for static files (it asks the
// connection for io.ReaderFrom).
func (c *oneshotConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok && !c.held {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c}, r)
}

// CloseWrite lets net/http half-close the connection as it does a TCP one.
func (c *oneshotConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

type writerOnly struct{ io.Writer }

func (c *oneshotConn) hold() {
	if c.pending == nil {
		c.pending = (*pendingPool.Get().(*[]byte))[:0]
	}
	c.held = true
}

// release writes what was held, at once.
func (c *oneshotConn) release() error {
	c.held = false
	if c.pending == nil {
		return nil
	}
	b := c.pending
	c.pending = nil
	var err error
	if len(b) > 0 {
		_, err = c.Conn.Write(b)
	}
	if cap(b) <= 64<<10 {
		b = b[:0]
		pendingPool.Put(&b)
	}
	return err
}

type oneshotKey struct{}

// oneshotContext puts a oneshotConn in its requests' context.
func oneshotContext(ctx context.Context, c net.Conn) context.Context {
	if oc, ok := c.(*oneshotConn); ok {
		return context.WithValue(ctx, oneshotKey{}, oc)
	}
	return ctx
}

// writeWhole writes a whole answer of status, content type and body. On a
// connection of Serve's it goes out in one write; elsewhere (tests through
// Handler, another server) as net/http writes it.
func writeWhole(w http.ResponseWriter, r *http.Request, status int, body []byte) (err error) {
	oc, _ := r.Context().Value(oneshotKey{}).(*oneshotConn)
	if oc == nil {
		w.WriteHeader(status)
		_, err := w.Write(body)
		return err
	}
	oc.hold()
	// Released however writing ends: held writes must never wait for an
	// answer that will not come.
	defer func() {
		if rerr := oc.release(); err == nil {
			err = rerr
		}
	}()
	w.WriteHeader(status)
	if _, err := w.Write(body); err != nil {
		return err
	}
	return http.NewResponseController(w).Flush()
}
