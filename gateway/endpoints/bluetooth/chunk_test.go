package bluetooth

import (
	"bytes"
	"errors"
	"net"
	"testing"
)

// recConn records each Write as one message, failing after failAfter.
type recConn struct {
	net.Conn
	msgs      [][]byte
	failAfter int
}

func (c *recConn) Write(b []byte) (int, error) {
	if len(c.msgs) == c.failAfter {
		return 0, errors.New("gone")
	}
	c.msgs = append(c.msgs, append([]byte(nil), b...))
	return len(b), nil
}

// TestL2CAPWriteCut: a write longer than the peer's MTU goes as messages of
// at most the MTU, in order, the stream whole; a failure reports what went.
func TestL2CAPWriteCut(t *testing.T) {
	data := make([]byte, 250)
	for i := range data {
		data[i] = byte(i)
	}
	rc := &recConn{failAfter: -1}
	c := &l2capConn{Conn: rc, omtu: 48}
	if n, err := c.Write(data); n != len(data) || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
	var lens []int
	for _, m := range rc.msgs {
		lens = append(lens, len(m))
	}
	if got := bytes.Join(rc.msgs, nil); !bytes.Equal(got, data) || len(lens) != 6 || lens[0] != 48 || lens[5] != 10 {
		t.Fatalf("messages of %v bytes", lens)
	}
	rc = &recConn{failAfter: 2}
	c = &l2capConn{Conn: rc, omtu: 48}
	if n, err := c.Write(data); n != 96 || err == nil {
		t.Fatalf("write with a failing third message: %d, %v; want 96 and the error", n, err)
	}
}
