// Package packettest builds Ethernet frames and sniffs them for the tests
// of AF_PACKET users (the packet endpoint kind and the gateway's capture
// paths), so that they agree on one frame layout.
package packettest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/packet"
)

// EthFrame builds an Ethernet frame of n bytes (n ≥ 14): unicast from
// 02:00:00:00:00:0a to 02:00:00:00:00:99, a MAC nobody has, ethertype et,
// and a payload numbered by seq (its first two bytes are seq, big-endian,
// when n ≥ 16).
func EthFrame(et uint16, n, seq int) []byte {
	b := make([]byte, n)
	copy(b, []byte{0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x0a, byte(et >> 8), byte(et)})
	for i := 14; i < n; i++ {
		b[i] = byte(seq*31 + i)
	}
	if n >= 16 {
		b[14], b[15] = byte(seq>>8), byte(seq)
	}
	return b
}

// Sniff reads frames on c until want have arrived (or 10 s passed), then
// keeps reading for quiet to catch any extra frame, and returns copies of
// them all.
func Sniff(t testing.TB, c *packet.Conn, want int, quiet time.Duration) [][]byte {
	t.Helper()
	var got [][]byte
	buf := make([]byte, 65536)
	deadline := time.Now().Add(10 * time.Second)
	for {
		end := deadline
		if len(got) >= want {
			end = time.Now().Add(quiet)
		}
		ctx, cancel := context.WithDeadline(context.Background(), end)
		p, err := c.ReadPacket(ctx, buf)
		cancel()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
				return got
			}
			t.Fatalf("sniff: %v", err)
		}
		got = append(got, append([]byte(nil), p.Data...))
	}
}
