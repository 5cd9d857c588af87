package console

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// hijackStream takes over the connection of an event stream served over
// plain HTTP/1.x, so that its events are written by newDirectWriter rather
// than through net/http's buffered, chunked writer: it writes the
// response head (w's header, Connection: close, the body ending with the
// connection) and returns the writer of the body, a context done when the
// browser closes the connection or ctx is done, and a function that
// closes the connection. ok is false when the connection stays with
// net/http (TLS, HTTP/2, a ResponseWriter that cannot hijack, a failed
// write of the head: the caller writes through w then, or sees the
// connection gone).
func hijackStream(ctx context.Context, w http.ResponseWriter, r *http.Request) (out io.Writer, done context.Context, closeConn func(), ok bool) {
	if r.TLS != nil || r.ProtoMajor != 1 || r.Method != http.MethodGet {
		return nil, nil, nil, false
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, nil, nil, false
	}
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	w.Header().Write(&head)
	head.WriteString("Connection: close\r\n\r\n")
	out = newDirectWriter(conn)
	if _, err := out.Write(head.Bytes()); err != nil {
		conn.Close()
		return nil, nil, nil, false
	}
	done, cancel := context.WithCancel(ctx)
	go func() {
		// The browser sends nothing more: a read returns when it goes.
		var b [1]byte
		conn.Read(b[:])
		cancel()
	}()
	return out, done, func() { cancel(); conn.Close() }, true
}
