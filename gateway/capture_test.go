package gateway

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/packet"
)

// TestCaptureEndpoint routes CAN and CAN FD frames into a capture endpoint
// and reads the pcapng back: one SocketCAN interface named after the source
// endpoint, every frame with its ID in network byte order.
func TestCaptureEndpoint(t *testing.T) {
	pin := freePort(t, "tcp")
	path := filepath.Join(t.TempDir(), "cap.pcapng")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  in: {kind: tcp, listen: "127.0.0.1:%d"}
  cap: {kind: capture, path: %q}
routes:
  - {from: [in], to: [cap]}
`, pin, path))
	src := cannelloniClient(t, fmt.Sprintf("127.0.0.1:%d", pin))
	defer src.Close()
	waitPeers(t, g, "in", 1)
	var b []byte
	for i := range 100 {
		f := cannelloni.Frame{ID: uint32(0x100 + i), Len: 2, Data: [64]byte{byte(i), 0xEE}}
		if i%10 == 9 {
			f = cannelloni.Frame{ID: 0x80000000 | uint32(i), FD: true, Flags: 1, Len: 16}
		}
		b = cannelloni.AppendFrame(b, &f)
	}
	src.Write(b)
	waitFor(t, "captured", func() bool { return g.Status().Routes[0].Out == 100 })
	g.Shutdown()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := packet.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	n, fd := 0, 0
	for {
		rec, err := r.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		id := binary.BigEndian.Uint32(rec.Data)
		if n == 0 && (id != 0x100 || len(rec.Data) != 16 || rec.Data[8] != 0 || rec.Data[9] != 0xEE) {
			t.Fatalf("first record % x", rec.Data)
		}
		if len(rec.Data) == 72 {
			fd++
		}
		n++
	}
	ifs := r.Interfaces()
	if n != 100 || fd != 10 || len(ifs) != 1 || ifs[0].Name != "in" || ifs[0].LinkType != packet.LinkTypeCANSocketCAN {
		t.Fatalf("records %d (fd %d), interfaces %+v", n, fd, ifs)
	}
}
