//go:build !hil

package nats_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// TestWireProtocol reads the embedded server with a subscriber that is
// not nats.go: testdata/rawsub.py speaks the NATS wire protocol over a
// plain python3 socket (CONNECT, SUB, PING, then HMSG). Each json message
// arrives on the frame's subject, with a NATS/1.0 header block naming the
// gateway and sequence, and the payload byte for byte.
func TestWireProtocol(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	port := gatewaytest.FreePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  wire0: {kind: test-source}
  pub: {kind: nats, gateway: wirebench, encoding: json, server: {listen: "127.0.0.1:%d"}}
routes:
  - {name: r, from: [wire0], to: [pub]}
`, port))
	waitConnected(t, g, "pub")
	const n = 20
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "testdata/rawsub.py", fmt.Sprint(port), "fieldgate.wirebench.wire0.can.*", fmt.Sprint(n))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	if !sc.Scan() || sc.Text() != "READY" {
		t.Fatalf("rawsub.py: %q %s", sc.Text(), stderr.String())
	}
	fs := make([]frame.Frame, n)
	for i := range fs {
		fs[i] = frame.Frame{Type: frame.CAN, ID: uint32(0x700 + i), Len: 2, Time: int64(1e18 + i)}
		fs[i].Data[0], fs[i].Data[1] = byte(i), 0xEE
	}
	gatewaytest.Inject(t, "wire0", fs)
	for i := range fs {
		if !sc.Scan() {
			t.Fatalf("message %d: rawsub.py ended: %s", i, stderr.String())
		}
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 {
			t.Fatalf("line %q", sc.Text())
		}
		hdr, _ := hex.DecodeString(parts[1])
		payload, _ := hex.DecodeString(parts[2])
		wantSubj := fmt.Sprintf("fieldgate.wirebench.wire0.can.%03X", 0x700+i)
		wantPayload := string(busmsg.AppendJSON(nil, &fs[i], uint64(i+1)))
		if parts[0] != wantSubj || string(payload) != wantPayload {
			t.Errorf("message %d: %s %s, want %s %s", i, parts[0], payload, wantSubj, wantPayload)
		}
		h := string(hdr)
		for _, w := range []string{"NATS/1.0\r\n", "Fieldgate-Gateway: wirebench\r\n", fmt.Sprintf("Fieldgate-Seq: %d\r\n", i+1),
			fmt.Sprintf("Fieldgate-Time: %d\r\n", fs[i].Time), "Fieldgate-Encoding: json\r\n"} {
			if !strings.Contains(h, w) {
				t.Errorf("message %d: header block %q lacks %q", i, h, w)
			}
		}
		if !strings.HasPrefix(h, "NATS/1.0\r\n") || !strings.HasSuffix(h, "\r\n\r\n") {
			t.Errorf("message %d: header block %q", i, h)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("rawsub.py: %v %s", err, stderr.String())
	}
}
