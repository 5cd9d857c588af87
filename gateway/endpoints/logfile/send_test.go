package logfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// TestSendUnsupportedDropsOneFrame: a frame a candump log cannot hold (an
// ISO-TP PDU, a J1939 message, an Ethernet frame) is one unsupported drop
// (DropError.One), so the engine writes the CAN frames after it in the
// batch instead of counting them all as unsupported.
func TestSendUnsupportedDropsOneFrame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.log")
	l := &logConn{cfg: &Config{Path: path, Interface: "vcan0"}}
	if err := l.openWrite(); err != nil {
		t.Fatal(err)
	}
	defer l.f.Close()
	batch := []frame.Frame{{Type: frame.CAN, ID: 0x111, Len: 1}, {Type: frame.ISOTP, ID: 0x7E0, Len: 3}, {Type: frame.CAN, ID: 0x222, Len: 1}}
	n, err := l.Send(context.Background(), batch)
	var de *endpoint.DropError
	if n != 1 || !errors.As(err, &de) || de.Reason != endpoint.ReasonUnsupported || !de.One {
		t.Fatalf("Send = %d, %#v; want 1 and one unsupported drop (One)", n, err)
	}
	if n, err := l.Send(context.Background(), batch[2:]); n != 1 || err != nil {
		t.Fatalf("Send of the rest = %d, %v", n, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, "vcan0 111#00") || !strings.Contains(s, "vcan0 222#00") || strings.Count(s, "\n") != 2 {
		t.Fatalf("log:\n%s", s)
	}
}
