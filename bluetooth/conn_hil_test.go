//go:build hil

package bluetooth

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/internal/peer"
	"golang.org/x/sys/unix"
)

func pattern(n, mul int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * mul)
	}
	return b
}

// Python on controller b connects to our L2CAP seqpacket listener on a:
// addresses agree on both sides, our IMTU is Python's OMTU, and each of
// Python's messages arrives whole and goes back whole.
func TestHILL2CAPListenPython(t *testing.T) {
	a, b := controllers(t)
	l, err := ListenL2CAP(core.L2CAPAddr{BDAddr: a.BDAddr, PSM: 0x1001}, &Config{IMTU: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if la := l.Addr().(core.NetAddr).Addr.(*core.L2CAPAddr); la.BDAddr != a.BDAddr || la.PSM != 0x1001 {
		t.Fatalf("listener address %v", la)
	}
	p := peer.StartPython(t, `
import socket, struct, sys
s = socket.socket(socket.AF_BLUETOOTH, socket.SOCK_SEQPACKET, socket.BTPROTO_L2CAP)
s.bind((sys.argv[1], 0))
print("bound", s.getsockname())
s.connect((sys.argv[2], 0x1001))
print("connected")
# SOL_L2CAP (6), L2CAP_OPTIONS (1): Python 3.11 has neither name.
o = struct.unpack("=HHHBBBxH", s.getsockopt(6, 1, 12))
me, them = s.getsockname(), s.getpeername()
print("conn", me[0], them[0], them[1], o[0], o[1])
for n in (1, 100, 1000):
    s.send(bytes((i * 7) & 255 for i in range(n)))
for n in (1, 100, 672):
    d = s.recv(2000)
    print("echo", len(d), d == bytes((i * 7) & 255 for i in range(n)))
`, b.BDAddr.String(), a.BDAddr.String())
	c := accept(t, l, p)
	defer c.Close()
	f := p.Fields(t, "conn", 30*time.Second)
	if want := []string{b.BDAddr.String(), a.BDAddr.String(), "4097", "1000", "672"}; fmt.Sprint(f) != fmt.Sprint(want) {
		t.Errorf("Python: me, peer, psm, omtu, imtu = %v, want %v", f, want)
	}
	ra := c.RemoteAddr().(core.NetAddr).Addr.(*core.L2CAPAddr)
	la := c.LocalAddr().(core.NetAddr).Addr.(*core.L2CAPAddr)
	if ra.BDAddr != b.BDAddr || la.BDAddr != a.BDAddr || la.PSM != 0x1001 {
		t.Errorf("accepted local %v remote %v", la, ra)
	}
	o, err := c.L2CAPOptions()
	if err != nil || o.IMTU != 1000 || o.OMTU != 672 || o.Mode != L2CAPModeBasic {
		t.Errorf("L2CAP options %+v, %v; want imtu 1000 omtu 672 basic mode", o, err)
	}
	// Connected, BT_SECURITY reports the ACL link's level: this link was
	// never authenticated (no pairing), which the kernel reports as 0.
	if sec, err := c.Security(); err != nil || sec.Level != SecuritySDP || sec.KeySize != 0 {
		t.Errorf("security %+v, %v; want level 0, no key", sec, err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 2000)
	for _, n := range []int{1, 100, 1000} {
		k, err := c.Read(buf)
		if err != nil || !bytes.Equal(buf[:k], pattern(n, 7)) {
			t.Fatalf("message of %d: got %d bytes, %v", n, k, err)
		}
		if n > 672 {
			// Larger than Python's IMTU, our OMTU: the kernel refuses it
			// whole, and a message of exactly the OMTU goes.
			if _, err := c.Write(buf[:k]); !errors.Is(err, unix.EMSGSIZE) {
				t.Fatalf("write of %d bytes with OMTU 672: %v, want EMSGSIZE", k, err)
			}
			k = 672
		}
		if _, err := c.Write(buf[:k]); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []int{1, 100, 672} {
		if got := p.Fields(t, "echo", 30*time.Second); got[0] != strconv.Itoa(n) || got[1] != "True" {
			t.Errorf("Python echo %v, want %d True", got, n)
		}
	}
}

// We dial Python's L2CAP server from controller a; then BlueZ's l2test
// receives from us in its own data format.
func TestHILL2CAPDial(t *testing.T) {
	a, b := controllers(t)
	p := peer.StartPython(t, `
import socket, sys
s = socket.socket(socket.AF_BLUETOOTH, socket.SOCK_SEQPACKET, socket.BTPROTO_L2CAP)
s.bind((sys.argv[1], 0x1003))
s.listen(1)
print("listening")
c, peer = s.accept()
print("peer", peer[0])
for i in range(2):
    c.send(c.recv(1000).upper())
sys.stdin.readline()
`, b.BDAddr.String())
	p.Expect(t, "listening", 60*time.Second)
	c, err := DialL2CAP(ctxT(t, 20*time.Second), core.L2CAPAddr{BDAddr: b.BDAddr, PSM: 0x1003}, &Config{Local: a.BDAddr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if f := p.Fields(t, "peer", 30*time.Second); f[0] != a.BDAddr.String() {
		t.Errorf("Python sees peer %v, we are %v", f, a.BDAddr)
	}
	if ra := c.RemoteAddr().(core.NetAddr).Addr.(*core.L2CAPAddr); ra.BDAddr != b.BDAddr || ra.PSM != 0x1003 {
		t.Errorf("remote %v", ra)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 100)
	for _, m := range []string{"hello", "world!"} {
		if _, err := c.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != string(bytes.ToUpper([]byte(m))) {
			t.Fatalf("reply %q, %v", buf[:n], err)
		}
	}

	lt := peer.StartMerged(t, "/usr/bin/l2test", "-r", "-P", "4101", "-i", b.Name)
	lt.Expect(t, "Waiting for connection", 30*time.Second)
	c2, err := DialL2CAP(ctxT(t, 20*time.Second), core.L2CAPAddr{BDAddr: b.BDAddr, PSM: 4101}, &Config{Local: a.BDAddr})
	if err != nil {
		t.Fatal(err)
	}
	// l2test's own data format: le32 sequence number, le16 length, 0x7f
	// filler; it checks all three and reports every imtu (672) bytes.
	for seq := range 2 {
		m := bytes.Repeat([]byte{0x7f}, 672)
		binary.LittleEndian.PutUint32(m, uint32(seq))
		binary.LittleEndian.PutUint16(m[4:], 672)
		if _, err := c2.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	lt.Expect(t, "672 bytes in", 30*time.Second)
	lt.Expect(t, "672 bytes in", 30*time.Second)
	c2.Close()
	lt.Expect(t, "Disconnect", 30*time.Second)
	if out := lt.Output(); strings.Contains(out, "mismatch") {
		t.Errorf("l2test found our data wrong:\n%s", out)
	}

	// No dial to an absent address here: on the rig's kernel (Debian
	// 6.1.0-57) with btvirt, an L2CAP connect to an address nobody
	// answers panics the kernel (list_del corruption), from Python's
	// blocking connect just as from ours.
}

// RFCOMM: our listener on channel 0 gets a channel from the kernel;
// Python streams to it and gets the bytes back; then we stream to rctest.
func TestHILRFCOMM(t *testing.T) {
	a, b := controllers(t)
	l, err := ListenRFCOMM(core.RFCOMMAddr{BDAddr: a.BDAddr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	la := l.Addr().(core.NetAddr).Addr.(*core.RFCOMMAddr)
	if la.BDAddr != a.BDAddr || la.Channel < 1 || la.Channel > 30 {
		t.Fatalf("listener address %v, want a channel 1-30 picked by the kernel", la)
	}
	p := peer.StartPython(t, `
import socket, sys
s = socket.socket(socket.AF_BLUETOOTH, socket.SOCK_STREAM, socket.BTPROTO_RFCOMM)
s.bind((sys.argv[1], 0))
s.connect((sys.argv[2], int(sys.argv[3])))
data = bytes((i * 11) & 255 for i in range(5000))
s.sendall(data)
got = b""
while len(got) < len(data):
    d = s.recv(4096)
    if not d:
        break
    got += d
print("echo", len(got), got == data)
`, b.BDAddr.String(), a.BDAddr.String(), strconv.Itoa(int(la.Channel)))
	c := accept(t, l, p)
	defer c.Close()
	if ra := c.RemoteAddr().(core.NetAddr).Addr.(*core.RFCOMMAddr); ra.BDAddr != b.BDAddr {
		t.Errorf("remote %v, want %v", ra, b.BDAddr)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 5000)
	if _, err := io.ReadFull(c, buf); err != nil || !bytes.Equal(buf, pattern(5000, 11)) {
		t.Fatalf("read: %v", err)
	}
	if _, err := c.Write(buf); err != nil {
		t.Fatal(err)
	}
	if got := p.Fields(t, "echo", 30*time.Second); got[0] != "5000" || got[1] != "True" {
		t.Errorf("Python echo %v", got)
	}

	rt := peer.StartMerged(t, "/usr/bin/rctest", "-r", "-b", "3000", "-P", "13", "-i", b.Name)
	rt.Expect(t, "Waiting for connection", 30*time.Second)
	c2, err := DialRFCOMM(ctxT(t, 20*time.Second), core.RFCOMMAddr{BDAddr: b.BDAddr, Channel: 13}, &Config{Local: a.BDAddr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Write(pattern(3000, 5)); err != nil {
		t.Fatal(err)
	}
	// rctest -b 3000 reports once it has read 3000 bytes.
	rt.Expect(t, "3000 bytes in", 30*time.Second)
	c2.Close()
}

// Socket options before a connection: BT_SECURITY and L2CAP_OPTIONS
// round-trip through the kernel, and the kernel's refusals come back as
// errnos.
func TestHILSocketOptions(t *testing.T) {
	s, err := newSocket(unix.SOCK_SEQPACKET, unix.BTPROTO_L2CAP)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if sec, err := GetSecurity(s); err != nil || sec.Level != SecurityLow {
		t.Fatalf("default security %+v, %v", sec, err)
	}
	if err := SetSecurity(s, SecurityHigh); err != nil {
		t.Fatal(err)
	}
	if sec, err := GetSecurity(s); err != nil || sec.Level != SecurityHigh {
		t.Errorf("security after set high: %+v, %v", sec, err)
	}
	if err := SetSecurity(s, SecuritySDP); !errors.Is(err, unix.EINVAL) {
		t.Errorf("set security SDP: %v, want EINVAL", err)
	}
	o, err := GetL2CAPOptions(s)
	if err != nil || o.IMTU != 672 || o.OMTU != 0 && o.OMTU != 672 {
		t.Fatalf("default L2CAP options %+v, %v", o, err)
	}
	o.IMTU, o.OMTU = 4000, 3000
	if err := SetL2CAPOptions(s, o); err != nil {
		t.Fatal(err)
	}
	if got, err := GetL2CAPOptions(s); err != nil || got != o {
		t.Errorf("L2CAP options %+v, %v; set %+v", got, err, o)
	}
	o.Mode = 0x7f
	if err := SetL2CAPOptions(s, o); !errors.Is(err, unix.EINVAL) {
		t.Errorf("mode 0x7f: %v, want EINVAL", err)
	}
	if _, err := ListenL2CAP(core.L2CAPAddr{PSM: 0x1001}, &Config{Type: core.SOCK_RAW}); err == nil {
		t.Error("SOCK_RAW config accepted")
	}
	// PSM 0: the kernel picks a dynamic PSM at bind.
	l, err := ListenL2CAP(core.L2CAPAddr{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if la := l.Addr().(core.NetAddr).Addr.(*core.L2CAPAddr); la.PSM < 0x1001 || la.PSM&1 == 0 {
		t.Errorf("dynamic PSM %v", la)
	}
}

// accept waits for the connection p makes, reporting p's output and the
// kernel log when none comes.
func accept(t *testing.T, l *Listener, p *peer.Process) *Conn {
	t.Helper()
	c, err := l.AcceptContext(ctxT(t, 30*time.Second))
	if err != nil {
		dmesg, _ := exec.Command("dmesg").CombinedOutput()
		if len(dmesg) > 3000 {
			dmesg = dmesg[len(dmesg)-3000:]
		}
		t.Fatalf("%v\npeer output:\n%s\nkernel log:\n%s", err, p.Output(), dmesg)
	}
	return c
}
