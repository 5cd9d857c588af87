//go:build hil

package hil_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// These smoke tests prove the rig gives a real kernel: each asserts on the
// bytes a real peer produced. They use x/sys directly on purpose, so they
// test the rig and not fieldgate's own packages.

func ifindex(t *testing.T, name string) int {
	t.Helper()
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		t.Fatalf("interface %s: %v", name, err)
	}
	return ifi.Index
}

func canSocket(t *testing.T, proto int, sa unix.Sockaddr) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_CAN, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if proto == unix.CAN_ISOTP {
		fd, err = unix.Socket(unix.AF_CAN, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, proto)
	}
	if err != nil {
		t.Fatalf("socket(AF_CAN, %d): %v", proto, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatalf("bind: %v", err)
	}
	tv := unix.NsecToTimeval(int64(20 * time.Second))
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return fd
}

// A frame sent with cansend on can0 crosses QEMU's virtual CAN bus through
// the two emulated SJA1000 controllers and arrives on can1.
func TestSJA1000FrameCrossesBus(t *testing.T) {
	fd := canSocket(t, unix.CAN_RAW, &unix.SockaddrCAN{Ifindex: ifindex(t, "can1")})
	// Only our ID: earlier tests may have left frames in flight on the bus.
	if err := unix.SetsockoptCanRawFilter(fd, unix.SOL_CAN_RAW, unix.CAN_RAW_FILTER,
		[]unix.CanFilter{{Id: 0x1a5, Mask: unix.CAN_SFF_MASK | unix.CAN_EFF_FLAG | unix.CAN_RTR_FLAG}}); err != nil {
		t.Fatalf("CAN_RAW_FILTER: %v", err)
	}
	out, err := exec.Command("cansend", "can0", "1A5#DEADBEEF0102").CombinedOutput()
	if err != nil {
		t.Fatalf("cansend: %v: %s", err, out)
	}
	buf := make([]byte, 16)
	n, err := unix.Read(fd, buf)
	if err != nil {
		t.Fatalf("read can1: %v", err)
	}
	if n != 16 {
		t.Fatalf("read %d bytes, want a 16-byte can_frame", n)
	}
	id := binary.LittleEndian.Uint32(buf[0:4])
	want := []byte{0xde, 0xad, 0xbe, 0xef, 0x01, 0x02}
	if id != 0x1a5 || buf[4] != 6 || !bytes.Equal(buf[8:14], want) {
		t.Fatalf("got id %#x len %d data % x, want id 0x1a5 len 6 data % x", id, buf[4], buf[8:8+buf[4]], want)
	}
}

// Debian's python3 sends a 100-byte ISO-TP PDU; our socket reassembles it.
func TestPythonISOTPPDU(t *testing.T) {
	idx := ifindex(t, "vcan0")
	fd := canSocket(t, unix.CAN_ISOTP, &unix.SockaddrCAN{Ifindex: idx, RxID: 0x123, TxID: 0x456})
	script := `
import socket
s = socket.socket(socket.AF_CAN, socket.SOCK_DGRAM, socket.CAN_ISOTP)
s.bind(("vcan0", 0x456, 0x123))
s.send(bytes(range(100)))
`
	cmd := exec.Command("/usr/bin/python3", "-c", script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python3: %v: %s", err, out)
	}
	buf := make([]byte, 4096)
	n, err := unix.Read(fd, buf)
	if err != nil {
		t.Fatalf("read ISO-TP: %v", err)
	}
	want := make([]byte, 100)
	for i := range want {
		want[i] = byte(i)
	}
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("PDU = % x (%d bytes), want 00..63 (100 bytes)", buf[:n], n)
	}
}

// sha256("abc") through AF_ALG equals the FIPS 180-2 known answer.
func TestALGSHA256(t *testing.T) {
	fd, err := unix.Socket(unix.AF_ALG, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket(AF_ALG): %v", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrALG{Type: "hash", Name: "sha256"}); err != nil {
		t.Fatalf("bind hash/sha256: %v", err)
	}
	// Accept with a NULL address: x/sys's Accept cannot decode AF_ALG.
	op, _, errno := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), 0, 0, unix.SOCK_CLOEXEC, 0, 0)
	if errno != 0 {
		t.Fatalf("accept: %v", errno)
	}
	defer unix.Close(int(op))
	if _, err := unix.Write(int(op), []byte("abc")); err != nil {
		t.Fatalf("write: %v", err)
	}
	sum := make([]byte, 32)
	if _, err := unix.Read(int(op), sum); err != nil {
		t.Fatalf("read: %v", err)
	}
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := hex.EncodeToString(sum); got != want {
		t.Fatalf("sha256(abc) = %s, want %s", got, want)
	}
}

// A vsock stream over the loopback transport (CID 1) carries bytes both ways.
func TestVsockLoopback(t *testing.T) {
	ln, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket(AF_VSOCK): %v", err)
	}
	defer unix.Close(ln)
	if err := unix.Bind(ln, &unix.SockaddrVM{CID: unix.VMADDR_CID_ANY, Port: 5005}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	if err := unix.Listen(ln, 1); err != nil {
		t.Fatalf("listen: %v", err)
	}
	c, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(c)
	if err := unix.Connect(c, &unix.SockaddrVM{CID: unix.VMADDR_CID_LOCAL, Port: 5005}); err != nil {
		t.Fatalf("connect to CID 1: %v", err)
	}
	s, _, err := unix.Accept(ln)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	defer unix.Close(s)
	unix.Write(c, []byte("ping"))
	unix.Write(s, []byte("pong!"))
	b := make([]byte, 16)
	n, _ := unix.Read(s, b)
	if string(b[:n]) != "ping" {
		t.Fatalf("server read %q, want ping", b[:n])
	}
	n, _ = unix.Read(c, b)
	if string(b[:n]) != "pong!" {
		t.Fatalf("client read %q, want pong!", b[:n])
	}
}

// A TIPC RDM socket opens and binds a service range the kernel reports back.
func TestTIPCRDM(t *testing.T) {
	fd, err := unix.Socket(unix.AF_TIPC, unix.SOCK_RDM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket(AF_TIPC, SOCK_RDM): %v", err)
	}
	defer unix.Close(fd)
	sa := &unix.SockaddrTIPC{Scope: unix.TIPC_CLUSTER_SCOPE, Addr: &unix.TIPCServiceRange{Type: 2000, Lower: 200, Upper: 210}}
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatalf("bind service range: %v", err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	if _, ok := got.(*unix.SockaddrTIPC); !ok {
		t.Fatalf("getsockname = %T, want *SockaddrTIPC", got)
	}
}

// A Bluetooth HCI socket binds to the controller /dev/vhci creates, and the
// kernel reports that controller's name.
func TestHCIOnVirtualController(t *testing.T) {
	vhci, err := os.OpenFile("/dev/vhci", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open /dev/vhci: %v", err)
	}
	defer vhci.Close()
	// HCI_VENDOR_PKT create request for a BR/EDR controller.
	if _, err := vhci.Write([]byte{0xff, 0x00}); err != nil {
		t.Fatalf("vhci create: %v", err)
	}
	// Response: 0xff, opcode, index (le16).
	resp := make([]byte, 4)
	if _, err := vhci.Read(resp); err != nil {
		t.Fatalf("vhci response: %v", err)
	}
	if resp[0] != 0xff {
		t.Fatalf("vhci response % x, want a vendor packet (0xff)", resp)
	}
	dev := binary.LittleEndian.Uint16(resp[2:4])
	fd, err := unix.Socket(unix.AF_BLUETOOTH, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.BTPROTO_HCI)
	if err != nil {
		t.Fatalf("socket(AF_BLUETOOTH, HCI): %v", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrHCI{Dev: dev, Channel: unix.HCI_CHANNEL_RAW}); err != nil {
		t.Fatalf("bind hci%d: %v", dev, err)
	}
	// struct hci_dev_info starts with u16 dev_id and char name[8].
	var info [128]byte
	binary.LittleEndian.PutUint16(info[0:2], dev)
	const hciGetDevInfo = 0x800448d3
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), hciGetDevInfo, uintptr(unsafe.Pointer(&info[0]))); errno != 0 {
		t.Fatalf("HCIGETDEVINFO: %v", errno)
	}
	name := strings.TrimRight(string(info[2:10]), "\x00")
	if want := "hci" + string(rune('0'+dev)); name != want {
		t.Fatalf("controller name %q, want %q", name, want)
	}
}
