package slcan_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	cs "github.com/fieldgate/fieldgate/can/slcan"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/slcan"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// oneConn is a Transport of one connection, as a kind with its own
// transport (RFCOMM) would give it to slcan.Open.
type oneConn struct {
	c    chan slcan.Conn
	done chan struct{}
}

func (o *oneConn) Connect(ctx context.Context) (slcan.Conn, error) {
	select {
	case c := <-o.c:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-o.done:
		return nil, net.ErrClosed
	}
}

func (o *oneConn) Close() error { close(o.done); return nil }

// FuzzDevice: whatever a peer sends, the device answers each line with
// exactly one reply (ending in '\r' or BEL) and does not panic; only an
// oversize line may end the connection.
func FuzzDevice(f *testing.F) {
	for _, s := range []string{
		"O\rt1230\rT1ABCDEF02AABB\rr7FF2\rF\rC\r", "S6\rs031C\rV\rN\rZ1\rO\rd1230\rb12311\r",
		"\r\n\a\rx\rO\rO\rC\rC\rL\rt1230\rM00000000\rm00000000\rW2\rX1\rU1\rQ0\r", "t12\rt1231GG\rtXYZ0\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		oversize, run := false, 0
		for _, c := range in {
			if c == '\r' || c == '\a' {
				run = 0
				continue
			}
			if run++; run > cs.MaxLine-2 {
				oversize = true
			}
		}
		a, b := net.Pipe()
		defer b.Close()
		tr := &oneConn{c: make(chan slcan.Conn, 1), done: make(chan struct{})}
		tr.c <- a
		env := &endpoint.Env{Name: "f", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ep, err := slcan.Open(ctx, &slcan.Options{Role: slcan.Device, FD: len(in)%2 == 0}, tr, env)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); ep.Receive(ctx, func([]frame.Frame) {}) }()
		defer func() { cancel(); ep.Close(); <-done }()

		go func() { b.Write(append(append([]byte(nil), in...), "V\r"...)) }()
		want := bytes.Count(in, []byte{'\r'}) + bytes.Count(in, []byte{'\a'}) + 1
		b.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 256)
		got := 0
		for got < want {
			n, err := b.Read(buf)
			got += bytes.Count(buf[:n], []byte{'\r'}) + bytes.Count(buf[:n], []byte{'\a'})
			if err != nil {
				if oversize {
					return
				}
				t.Fatalf("%d replies to %d lines: %v", got, want, err)
			}
		}
		if got != want {
			t.Fatalf("%d replies to %d lines", got, want)
		}
	})
}
