//go:build hil

package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Rig helpers for the addr_*_hil_test.go files: sockets driven with raw
// system calls through x/sys and the bytes of our codec, so these tests
// check the codec against the kernel without depending on Socket.

func rigSocket(t *testing.T, fam, typ, proto int) int {
	t.Helper()
	fd, err := unix.Socket(fam, typ|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		t.Fatalf("socket(%v, %v, %d): %v", Family(fam), Kind(typ), proto, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func rigAddrCall(trap uintptr, fd int, raw []byte) error {
	var p unsafe.Pointer
	if len(raw) > 0 {
		p = unsafe.Pointer(&raw[0])
	}
	_, _, e := unix.Syscall(trap, uintptr(fd), uintptr(p), uintptr(len(raw)))
	if e != 0 {
		return e
	}
	return nil
}

// rigBind binds fd to a with MarshalSockaddr's bytes.
func rigBind(fd int, a Addr) error {
	raw, err := MarshalSockaddr(a)
	if err != nil {
		return err
	}
	return rigAddrCall(unix.SYS_BIND, fd, raw)
}

func rigConnect(fd int, a Addr) error {
	raw, err := MarshalSockaddr(a)
	if err != nil {
		return err
	}
	return rigAddrCall(unix.SYS_CONNECT, fd, raw)
}

func rigName(t *testing.T, trap uintptr, fd int) []byte {
	t.Helper()
	var buf [SizeofSockaddrStorage]byte
	n := uint32(len(buf))
	_, _, e := unix.Syscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)))
	if e != 0 {
		t.Fatalf("get*name: %v", e)
	}
	return buf[:n]
}

// rigSockName returns getsockname's raw bytes decoded for typ/proto.
func rigSockName(t *testing.T, fd, typ, proto int) (Addr, []byte) {
	t.Helper()
	raw := rigName(t, unix.SYS_GETSOCKNAME, fd)
	a, err := ParseSockaddr(raw, typ, proto)
	if err != nil {
		t.Fatalf("ParseSockaddr(% x): %v", raw, err)
	}
	return a, raw
}

func rigSendTo(t *testing.T, fd int, data []byte, to Addr) {
	t.Helper()
	raw, err := MarshalSockaddr(to)
	if err != nil {
		t.Fatal(err)
	}
	_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&data[0])), uintptr(len(data)), 0,
		uintptr(unsafe.Pointer(&raw[0])), uintptr(len(raw)))
	if e != 0 {
		t.Fatalf("sendto %v: %v", to, e)
	}
}

// rigRecvFrom receives one datagram and returns it with the raw source.
func rigRecvFrom(t *testing.T, fd int) ([]byte, []byte) {
	t.Helper()
	buf := make([]byte, 4096)
	var sa [SizeofSockaddrStorage]byte
	n := uint32(len(sa))
	r, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0,
		uintptr(unsafe.Pointer(&sa[0])), uintptr(unsafe.Pointer(&n)))
	if e != 0 {
		t.Fatalf("recvfrom: %v", e)
	}
	return buf[:r], sa[:n]
}

// rigTimeout sets SO_RCVTIMEO so a lost datagram fails the test instead of
// hanging the guest.
func rigTimeout(t *testing.T, fd int) {
	t.Helper()
	tv := unix.Timeval{Sec: 10}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
}

var (
	vhciOnce sync.Once
	vhciDev  int
	vhciErr  error
)

// rigHCIDevice creates a virtual Bluetooth controller through /dev/vhci
// (HCI_PRIMARY) once per test binary and returns its index; the controller
// lives as long as the process keeps the file open.
func rigHCIDevice(t *testing.T) int {
	t.Helper()
	vhciOnce.Do(func() {
		f, err := os.OpenFile("/dev/vhci", os.O_RDWR, 0)
		if err != nil {
			vhciErr = err
			return
		}
		if _, err := f.Write([]byte{0xff, 0x00}); err != nil {
			vhciErr = err
			return
		}
		// The answer is a vendor packet: 0xff, opcode, le16 index.
		var rsp [4]byte
		if n, err := f.Read(rsp[:]); err != nil || n != 4 || rsp[0] != 0xff {
			vhciErr = errors.New("unexpected /dev/vhci answer")
			return
		}
		vhciDev = int(rsp[2]) | int(rsp[3])<<8
		// f stays open for the life of the test binary.
	})
	if vhciErr != nil {
		t.Fatalf("/dev/vhci: %v", vhciErr)
	}
	return vhciDev
}

var (
	pyOnce sync.Once
	pyRes  map[string]any
	pyErr  error
)

// pythonRig runs the reference binds with Debian's /usr/bin/python3 once
// (it takes seconds to start in the guest) and returns what each printed:
// the getsockname tuple as a JSON list, or "ERR ..." where Python failed.
func pythonRig(t *testing.T) map[string]any {
	t.Helper()
	hci := rigHCIDevice(t)
	pyOnce.Do(func() {
		out, err := exec.Command("/usr/bin/python3", "-c", pythonRigScript, string(rune('0'+hci))).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				err = errors.New(err.Error() + ": " + string(ee.Stderr))
			}
			pyErr = err
			return
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber() // J1939 NAMEs exceed float64's 53 bits
		pyErr = dec.Decode(&pyRes)
	})
	if pyErr != nil {
		t.Fatalf("python reference: %v", pyErr)
	}
	return pyRes
}

const pythonRigScript = `
import socket, json, sys
S = socket
r = {}
def run(k, fam, typ, proto, addr, after=None):
    try:
        s = S.socket(fam, typ, proto)
        if addr is not None:
            s.bind(addr)
        if after:
            after(s)
        n = s.getsockname()
        if isinstance(n, tuple):
            n = [x.hex() if isinstance(x, bytes) else x for x in n]
        r[k] = n
    except Exception as e:
        r[k] = "ERR %s: %s" % (type(e).__name__, e)
hci = int(sys.argv[1])
run("can", S.AF_CAN, S.SOCK_RAW, S.CAN_RAW, ("vcan0",))
run("isotp", S.AF_CAN, S.SOCK_DGRAM, S.CAN_ISOTP, ("vcan0", 0x123, 0x456))
run("isotp-eff", S.AF_CAN, S.SOCK_DGRAM, S.CAN_ISOTP, ("vcan1", 0x18DA00F1 | S.CAN_EFF_FLAG, 0x18DAF100 | S.CAN_EFF_FLAG))
run("j1939", S.AF_CAN, S.SOCK_DGRAM, S.CAN_J1939, ("vcan0", S.J1939_NO_NAME, S.J1939_NO_PGN, S.J1939_NO_ADDR))
run("j1939-addr", S.AF_CAN, S.SOCK_DGRAM, S.CAN_J1939, ("vcan1", 0x1122334455667788, 0x0EF00, 0x20))
run("packet", S.AF_PACKET, S.SOCK_RAW, 0x000C, ("vcan0", 0x000C))
run("hci", S.AF_BLUETOOTH, S.SOCK_RAW, S.BTPROTO_HCI, (hci,))
run("l2cap-att", S.AF_BLUETOOTH, S.SOCK_SEQPACKET, S.BTPROTO_L2CAP, ("00:00:00:00:00:00", 0, 4, 1))
run("l2cap-le", S.AF_BLUETOOTH, S.SOCK_SEQPACKET, S.BTPROTO_L2CAP, ("00:00:00:00:00:00", 0x80, 0, 2))
run("l2cap-bredr", S.AF_BLUETOOTH, S.SOCK_SEQPACKET, S.BTPROTO_L2CAP, ("00:00:00:00:00:00", 0x1001))
run("rfcomm", S.AF_BLUETOOTH, S.SOCK_STREAM, S.BTPROTO_RFCOMM, ("00:00:00:00:00:00", 0))
run("sco", S.AF_BLUETOOTH, S.SOCK_SEQPACKET, S.BTPROTO_SCO, b"00:00:00:00:00:00")
run("qrtr-unbound", S.AF_QIPCRTR, S.SOCK_DGRAM, 0, None)
run("qrtr-connect", S.AF_QIPCRTR, S.SOCK_DGRAM, 0, None, lambda s: s.connect((123, 123)))
run("rds", S.AF_RDS, S.SOCK_SEQPACKET, 0, ("127.0.0.1", 0))
run("tipc", S.AF_TIPC, S.SOCK_RDM, 0, (S.TIPC_ADDR_NAMESEQ, 2001, 1, 10))
run("vsock", S.AF_VSOCK, S.SOCK_STREAM, 0, (S.VMADDR_CID_ANY, 7001))
for k, a in (("alg-type14", ("t" * 14, "x")), ("alg-name64", ("hash", "n" * 64)), ("alg-type13", ("t" * 13, "x")), ("alg-name63", ("hash", "n" * 63))):
    try:
        S.socket(S.AF_ALG, S.SOCK_SEQPACKET, 0).bind(a)
        r[k] = "bound"
    except Exception as e:
        r[k] = "ERR %s" % (type(e).__name__ if not isinstance(e, OSError) or e.errno is None else "errno %d" % e.errno)
print(json.dumps(r))
`

// num returns a JSON number from the Python reference as a float64.
func num(v any) float64 {
	if n, ok := v.(json.Number); ok {
		f, _ := n.Float64()
		return f
	}
	f, _ := v.(float64)
	return f
}
