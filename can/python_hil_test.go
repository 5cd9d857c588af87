//go:build hil

package can

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/internal/peer"
)

const pySocketPeer = `
import socket, struct, sys, hashlib
def out(*a): print(*a, flush=True)
s = socket.socket(socket.AF_CAN, socket.SOCK_RAW, socket.CAN_RAW)
s.bind(("vcan1",))
s.settimeout(30)
out("ready raw")
f = s.recv(16)
cid, ln = struct.unpack("=IB3x", f[:8])
out("raw %x %s" % (cid, f[8:8+ln].hex()))
s.send(struct.pack("=IB3x8s", 0x1abcdef0 | socket.CAN_EFF_FLAG, 3, b"\x01\x02\x03"))
b = socket.socket(socket.AF_CAN, socket.SOCK_DGRAM, socket.CAN_BCM)
b.connect(("vcan1",))
hdr = struct.pack("@3I4xqqqqII", socket.CAN_BCM_TX_SEND, 0, 0, 0, 0, 0, 0, 0x222, 1)
b.send(hdr + struct.pack("=IB3x8s", 0x123, 3, b"\xc0\xff\xee"))
i = socket.socket(socket.AF_CAN, socket.SOCK_DGRAM, socket.CAN_ISOTP)
i.bind(("vcan1", 0x456, 0x457))
i.settimeout(30)
out("ready isotp")
p = i.recv(8192)
out("isotp %d %s" % (len(p), hashlib.sha256(p).hexdigest()))
sys.stdin.readline()
i.send(bytes(range(256)) * 4)
j = socket.socket(socket.AF_CAN, socket.SOCK_DGRAM, socket.CAN_J1939)
j.bind(("vcan1", socket.J1939_NO_NAME, socket.J1939_NO_PGN, 0x90))
out("ready j1939")
sys.stdin.readline()
j.sendto(bytes(range(250)) * 8, ("vcan1", socket.J1939_NO_NAME, 0x12300, 0x80))
out("sent j1939")
sys.stdin.readline()
`

// TestHILPythonSocketPeer: CPython's socket module as the peer for RAW,
// BCM (its TX_SEND c0ffee known answer), ISO-TP and J1939.
func TestHILPythonSocketPeer(t *testing.T) {
	raw := listen(t, "vcan1", nil)
	p := peer.StartPython(t, pySocketPeer)
	expect := func(want string) string {
		t.Helper()
		l := p.Line(t, 60*time.Second)
		if !strings.HasPrefix(l, want) {
			t.Fatalf("python said %q, want %q...", l, want)
		}
		return l
	}
	expect("ready raw")
	f, _ := ParseFrame("321#AABB")
	if err := raw.WriteFrame(nil, &f); err != nil {
		t.Fatal(err)
	}
	expect("raw 321 aabb")
	for _, want := range []string{"1ABCDEF0#010203", "123#C0FFEE"} {
		var m RecvMsg
		if err := raw.ReadFrame(hilCtx(t, 30*time.Second), &m); err != nil {
			t.Fatal(err)
		}
		if m.Frame.String() != want {
			t.Fatalf("from python: %s, want %s", m.Frame, want)
		}
	}
	expect("ready isotp")
	iso, err := DialISOTP("vcan1", 0x457, 0x456, &ISOTPConfig{Flags: ISOTPWaitTxDone})
	if err != nil {
		t.Fatal(err)
	}
	defer iso.Close()
	pdu := pattern(4095)
	if err := iso.WritePDU(hilCtx(t, 30*time.Second), pdu); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pdu)
	expect(fmt.Sprintf("isotp 4095 %s", hex.EncodeToString(sum[:])))
	io.WriteString(p.In(), "go\n")
	buf := make([]byte, 8192)
	n, err := iso.ReadPDU(hilCtx(t, 30*time.Second), buf)
	if err != nil || n != 1024 || buf[255] != 255 || buf[256] != 0 {
		t.Fatalf("ISO-TP from python: %d %v", n, err)
	}
	expect("ready j1939")
	j, err := ListenJ1939("vcan1", &J1939Config{Local: J1939Addr{PGN: J1939NoPGN, Addr: 0x80}})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	io.WriteString(p.In(), "go\n")
	n, src, _, err := j.ReadFrom(hilCtx(t, 60*time.Second), buf)
	if err != nil || n != 2000 || src.Addr != 0x90 || src.PGN != 0x12300 || buf[1999] != 249 {
		t.Fatalf("J1939 from python: %d %s %v", n, src, err)
	}
	expect("sent j1939")
}

const pyCanPeer = `
import can
bus = can.Bus(interface="socketcan", channel="vcan0", fd=True)
print("ready", flush=True)
m = bus.recv(60)
print("pc %x %d %d %s" % (m.arbitration_id, m.is_fd, m.bitrate_switch, m.data.hex()), flush=True)
bus.send(can.Message(arbitration_id=0x1F0, data=list(range(1, 13)), is_fd=True, bitrate_switch=True, is_extended_id=False))
bus.shutdown()
`

// TestHILPythonCan: python-can's socketcan bus exchanges CAN FD frames with us.
func TestHILPythonCan(t *testing.T) {
	c := listen(t, "vcan0", &RawConfig{FD: true})
	p := peer.StartPython(t, pyCanPeer)
	if l := p.Line(t, 60*time.Second); l != "ready" {
		t.Fatalf("python-can: %q", l)
	}
	f, _ := ParseFrame("5A5##1" + strings.Repeat("42", 16))
	if err := c.WriteFrame(nil, &f); err != nil {
		t.Fatal(err)
	}
	if l := p.Line(t, 30*time.Second); l != "pc 5a5 1 1 "+strings.Repeat("42", 16) {
		t.Fatalf("python-can received %q", l)
	}
	var m RecvMsg
	if err := c.ReadFrame(hilCtx(t, 30*time.Second), &m); err != nil {
		t.Fatal(err)
	}
	if m.Frame.String() != "1F0##5"+"0102030405060708090A0B0C" || !m.FD {
		t.Fatalf("from python-can: %s", m.Frame)
	}
}
