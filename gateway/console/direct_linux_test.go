//go:build linux

package console

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// TestDirectWriterFallsBackWhenFull: a write larger than the socket can
// take at once is sent directly as far as it goes and the rest through
// the poller; the peer reads every byte, in order.
func TestDirectWriterFallsBackWhenFull(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	w := newDirectWriter(c)
	if _, ok := w.(*directWriter); !ok {
		t.Fatalf("newDirectWriter on a TCP connection: %T", w)
	}
	var want []byte
	for i := range 3 {
		b := bytes.Repeat([]byte{byte('a' + i)}, 8<<20) // well beyond the socket buffers
		b[len(b)-1] = '\n'
		n, err := w.Write(b)
		if n != len(b) || err != nil {
			t.Fatalf("write %d: %d of %d bytes, %v", i, n, len(b), err)
		}
		want = append(want, b...)
	}
	c.Close()
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("the peer read %d bytes, want %d (equal: false)", len(b), len(want))
	}
	// A closed connection: an error, not a panic or a hang.
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("a write on a closed connection succeeded")
	}
}
