package gatewaytest

import (
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/internal/peer"
)

// CandumpFrames reads n lines of `candump -L` from dump and returns their
// ID#DATA fields ("123#DEADBEEF" of "(1700000000.000000) vcan0
// 123#DEADBEEF"), waiting up to 60 s for each.
func CandumpFrames(t testing.TB, dump *peer.Process, n int) []string {
	t.Helper()
	out := make([]string, 0, n)
	for range n {
		f := strings.Fields(dump.Line(t, 60*time.Second))
		if len(f) != 3 {
			t.Fatalf("candump line %q", f)
		}
		out = append(out, f[2])
	}
	return out
}
