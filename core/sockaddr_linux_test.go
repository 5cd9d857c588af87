package core

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawOf returns the bytes of an x/sys RawSockaddr* struct: x/sys generates
// them from the kernel headers with cgo -godefs, so they are an
// independent statement of each layout.
func rawOf[T any](p *T) []byte {
	return bytes.Clone(unsafe.Slice((*byte)(unsafe.Pointer(p)), unsafe.Sizeof(*p)))
}

func mustMarshal(t *testing.T, a Addr) []byte {
	t.Helper()
	b, err := MarshalSockaddr(a)
	if err != nil {
		t.Fatalf("MarshalSockaddr(%#v): %v", a, err)
	}
	return b
}

// TestSockaddrMatchesXSys checks every family x/sys has a raw struct for
// byte for byte, and that the result decodes back to the same address.
func TestSockaddrMatchesXSys(t *testing.T) {
	ne := binary.NativeEndian
	port := func(p uint16) uint16 { // network-order field as stored in a native uint16
		var b [2]byte
		binary.BigEndian.PutUint16(b[:], p)
		return ne.Uint16(b[:])
	}
	var in4 unix.RawSockaddrInet4
	in4.Family, in4.Port, in4.Addr = unix.AF_INET, port(8080), [4]byte{192, 0, 2, 1}

	var in6 unix.RawSockaddrInet6
	in6.Family, in6.Port, in6.Scope_id = unix.AF_INET6, port(443), 7
	in6.Addr = netip.MustParseAddr("fe80::1:2").As16()
	binary.BigEndian.PutUint32((*[4]byte)(unsafe.Pointer(&in6.Flowinfo))[:], 0x12345)

	var nl unix.RawSockaddrNetlink
	nl.Family, nl.Pid, nl.Groups = unix.AF_NETLINK, 4242, 0x11

	var can unix.RawSockaddrCAN
	can.Family, can.Ifindex = unix.AF_CAN, 3
	var isotp = can
	ne.PutUint32(isotp.Addr[0:], 0x123)
	ne.PutUint32(isotp.Addr[4:], 0x80000456)
	var j1939 = can
	ne.PutUint64(j1939.Addr[0:], 0x1122334455667788)
	ne.PutUint32(j1939.Addr[8:], 0x40000)
	j1939.Addr[12] = 0xff

	var alg unix.RawSockaddrALG
	alg.Family, alg.Feat, alg.Mask = unix.AF_ALG, 1, 2
	copy(alg.Type[:], "skcipher")
	copy(alg.Name[:], "cbc(aes)")

	var vm unix.RawSockaddrVM
	vm.Family, vm.Cid, vm.Port, vm.Flags = unix.AF_VSOCK, 3, 1024, unix.VMADDR_FLAG_TO_HOST

	var ll unix.RawSockaddrLinklayer
	ll.Family, ll.Protocol, ll.Ifindex, ll.Hatype, ll.Pkttype, ll.Halen = unix.AF_PACKET, port(unix.ETH_P_IP), 2, 1, unix.PACKET_BROADCAST, 6
	copy(ll.Addr[:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})

	var tipcSeq unix.RawSockaddrTIPC
	tipcSeq.Family, tipcSeq.Addrtype, tipcSeq.Scope = unix.AF_TIPC, unix.TIPC_ADDR_NAMESEQ, unix.TIPC_CLUSTER_SCOPE
	ne.PutUint32(tipcSeq.Addr[0:], 2000)
	ne.PutUint32(tipcSeq.Addr[4:], 200)
	ne.PutUint32(tipcSeq.Addr[8:], 210)
	var tipcID unix.RawSockaddrTIPC
	tipcID.Family, tipcID.Addrtype = unix.AF_TIPC, unix.TIPC_ADDR_ID
	ne.PutUint32(tipcID.Addr[0:], 99)         // ref
	ne.PutUint32(tipcID.Addr[4:], 0x01001001) // node

	var hci unix.RawSockaddrHCI
	hci.Family, hci.Dev, hci.Channel = unix.AF_BLUETOOTH, 0, unix.HCI_CHANNEL_USER

	bd := BDAddr{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB}
	wire := [6]byte{0xAB, 0x89, 0x67, 0x45, 0x23, 0x01}
	var l2 unix.RawSockaddrL2
	l2.Family, l2.Bdaddr, l2.Bdaddr_type = unix.AF_BLUETOOTH, wire, unix.BDADDR_LE_RANDOM
	binary.LittleEndian.PutUint16((*[2]byte)(unsafe.Pointer(&l2.Psm))[:], 0x1001)
	binary.LittleEndian.PutUint16((*[2]byte)(unsafe.Pointer(&l2.Cid))[:], 4)

	var rc unix.RawSockaddrRFCOMM
	rc.Family, rc.Bdaddr, rc.Channel = unix.AF_BLUETOOTH, wire, 5

	cases := []struct {
		name       string
		a          Addr
		want       []byte
		typ, proto int
	}{
		{"inet", &InetAddr{IP: netip.MustParseAddr("192.0.2.1"), Port: 8080}, rawOf(&in4), unix.SOCK_DGRAM, 0},
		{"inet6", &Inet6Addr{IP: netip.MustParseAddr("fe80::1:2"), Port: 443, FlowInfo: 0x12345, ScopeID: 7}, rawOf(&in6), unix.SOCK_STREAM, 0},
		{"netlink", &NetlinkAddr{PID: 4242, Groups: 0x11}, rawOf(&nl), unix.SOCK_RAW, 0},
		{"can", &CANAddr{Index: 3}, rawOf(&can), unix.SOCK_RAW, unix.CAN_RAW},
		{"isotp", &ISOTPAddr{Index: 3, RxID: 0x123, TxID: 0x80000456}, rawOf(&isotp), unix.SOCK_DGRAM, unix.CAN_ISOTP},
		{"j1939", &J1939Addr{Index: 3, Name: 0x1122334455667788, PGN: 0x40000, Addr: 0xff}, rawOf(&j1939), unix.SOCK_DGRAM, unix.CAN_J1939},
		{"alg", &ALGAddr{Type: "skcipher", Name: "cbc(aes)", Feat: 1, Mask: 2}, rawOf(&alg), unix.SOCK_SEQPACKET, 0},
		{"vsock", &VSockAddr{CID: 3, Port: 1024, Flags: unix.VMADDR_FLAG_TO_HOST}, rawOf(&vm), unix.SOCK_STREAM, 0},
		{"packet", &PacketAddr{Index: 2, Protocol: unix.ETH_P_IP, PktType: unix.PACKET_BROADCAST, HAType: 1, HWAddr: net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, rawOf(&ll), unix.SOCK_RAW, 0},
		{"tipc-nameseq", &TIPCAddr{AddrType: TIPC_ADDR_NAMESEQ, Scope: TIPC_CLUSTER_SCOPE, V1: 2000, V2: 200, V3: 210}, rawOf(&tipcSeq), unix.SOCK_RDM, 0},
		{"tipc-id", &TIPCAddr{AddrType: TIPC_ADDR_ID, V1: 0x01001001, V2: 99}, rawOf(&tipcID), unix.SOCK_RDM, 0},
		{"hci", &HCIAddr{Device: 0, Channel: HCI_CHANNEL_USER}, rawOf(&hci), unix.SOCK_RAW, BTPROTO_HCI},
		{"l2cap", &L2CAPAddr{BDAddr: bd, PSM: 0x1001, CID: 4, AddrType: BDADDR_LE_RANDOM}, rawOf(&l2), unix.SOCK_SEQPACKET, BTPROTO_L2CAP},
		{"rfcomm", &RFCOMMAddr{BDAddr: bd, Channel: 5}, rawOf(&rc), unix.SOCK_STREAM, BTPROTO_RFCOMM},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustMarshal(t, c.a)
			if !bytes.Equal(got, c.want) {
				t.Fatalf("MarshalSockaddr = % x\nx/sys layout  = % x", got, c.want)
			}
			back, err := ParseSockaddr(got, c.typ, c.proto)
			if err != nil {
				t.Fatalf("ParseSockaddr: %v", err)
			}
			// Interfaces given by index decode with a name when one exists.
			switch v := back.(type) {
			case *CANAddr:
				v.Interface = ""
			case *ISOTPAddr:
				v.Interface = ""
			case *J1939Addr:
				v.Interface = ""
			case *PacketAddr:
				v.Interface = ""
			}
			if back.String() != c.a.String() {
				t.Fatalf("round trip: got %v, want %v", back, c.a)
			}
			again := mustMarshal(t, back)
			if !bytes.Equal(again, got) {
				t.Fatalf("re-encoded % x, want % x", again, got)
			}
		})
	}
}

// TestSockaddrKernelDecode binds real sockets on the host kernel and decodes
// getsockname's raw bytes, comparing with x/sys's own decoder.
func TestSockaddrKernelDecode(t *testing.T) {
	getname := func(t *testing.T, fd int) []byte {
		t.Helper()
		var buf [SizeofSockaddrStorage]byte
		n := uint32(len(buf))
		_, _, e := unix.RawSyscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)))
		if e != 0 {
			t.Fatalf("getsockname: %v", e)
		}
		return buf[:n]
	}
	bind := func(t *testing.T, fd int, a Addr) {
		t.Helper()
		raw := mustMarshal(t, a)
		_, _, e := unix.RawSyscall(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(&raw[0])), uintptr(len(raw)))
		if e != 0 {
			t.Fatalf("bind %v: %v", a, e)
		}
	}
	sock := func(t *testing.T, fam, typ, proto int) int {
		t.Helper()
		fd, err := unix.Socket(fam, typ|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			t.Fatalf("socket: %v", err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		return fd
	}

	t.Run("inet", func(t *testing.T) {
		fd := sock(t, unix.AF_INET, unix.SOCK_DGRAM, 0)
		bind(t, fd, &InetAddr{IP: netip.MustParseAddr("127.0.0.1")})
		raw := getname(t, fd)
		a, err := ParseSockaddr(raw, unix.SOCK_DGRAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		sa, _ := unix.Getsockname(fd)
		want := sa.(*unix.SockaddrInet4)
		got := a.(*InetAddr)
		if got.IP.As4() != want.Addr || got.Port != want.Port || got.Port == 0 || len(raw) != SizeofSockaddrInet4 {
			t.Fatalf("got %v (len %d), x/sys %v", got, len(raw), want)
		}
	})
	t.Run("inet6", func(t *testing.T) {
		fd := sock(t, unix.AF_INET6, unix.SOCK_STREAM, 0)
		bind(t, fd, &Inet6Addr{IP: netip.IPv6Loopback()})
		raw := getname(t, fd)
		a, err := ParseSockaddr(raw, unix.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		sa, _ := unix.Getsockname(fd)
		want := sa.(*unix.SockaddrInet6)
		got := a.(*Inet6Addr)
		if got.IP.As16() != want.Addr || got.Port != want.Port || got.ScopeID != want.ZoneId || len(raw) != SizeofSockaddrInet6 {
			t.Fatalf("got %v (len %d), x/sys %+v", got, len(raw), want)
		}
	})
	t.Run("unix-path", func(t *testing.T) {
		fd := sock(t, unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		p := t.TempDir() + "/s"
		bind(t, fd, UnixAddr{Name: p})
		raw := getname(t, fd)
		a, err := ParseSockaddr(raw, unix.SOCK_DGRAM, 0)
		if err != nil || a.(*UnixAddr).Name != p {
			t.Fatalf("got %v, %v; want %q", a, err, p)
		}
		if len(raw) != 2+len(p)+1 {
			t.Fatalf("kernel returned %d bytes, want %d", len(raw), 2+len(p)+1)
		}
	})
	t.Run("unix-abstract", func(t *testing.T) {
		fd := sock(t, unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		name := "@fieldgate-test-\x00x-" + t.Name()
		bind(t, fd, UnixAddr{Name: name})
		a, err := ParseSockaddr(getname(t, fd), unix.SOCK_DGRAM, 0)
		if err != nil || a.(*UnixAddr).Name != name {
			t.Fatalf("got %q, %v; want %q", a.(*UnixAddr).Name, err, name)
		}
		// The same name written Python's way binds the same socket.
		fd2 := sock(t, unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		raw := mustMarshal(t, UnixAddr{Name: "\x00" + name[1:]})
		_, _, e := unix.RawSyscall(unix.SYS_BIND, uintptr(fd2), uintptr(unsafe.Pointer(&raw[0])), uintptr(len(raw)))
		if e != unix.EADDRINUSE {
			t.Fatalf("second bind of the same abstract name: %v, want EADDRINUSE", e)
		}
	})
	t.Run("unix-autobind", func(t *testing.T) {
		fd := sock(t, unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		a, err := ParseSockaddr(getname(t, fd), unix.SOCK_DGRAM, 0)
		if err != nil || a.(*UnixAddr).Name != "" {
			t.Fatalf("unbound: got %v, %v; want empty", a, err)
		}
		bind(t, fd, UnixAddr{})
		a, err = ParseSockaddr(getname(t, fd), unix.SOCK_DGRAM, 0)
		if n := a.(*UnixAddr).Name; err != nil || len(n) != 6 || n[0] != '@' {
			t.Fatalf("autobind: got %q, %v; want @ + 5 hex digits", n, err)
		}
	})
	t.Run("netlink", func(t *testing.T) {
		fd := sock(t, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE)
		bind(t, fd, &NetlinkAddr{Groups: 1}) // RTMGRP_LINK
		a, err := ParseSockaddr(getname(t, fd), unix.SOCK_RAW, 0)
		if err != nil {
			t.Fatal(err)
		}
		sa, _ := unix.Getsockname(fd)
		want := sa.(*unix.SockaddrNetlink)
		got := a.(*NetlinkAddr)
		if got.PID != want.Pid || got.PID == 0 || got.Groups != 1 {
			t.Fatalf("got %v, x/sys %+v", got, want)
		}
	})
	t.Run("packet", func(t *testing.T) {
		fd := sock(t, unix.AF_PACKET, unix.SOCK_DGRAM, 0)
		bind(t, fd, &PacketAddr{Interface: "lo", Protocol: unix.ETH_P_IP})
		raw := getname(t, fd)
		a, err := ParseSockaddr(raw, unix.SOCK_DGRAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := a.(*PacketAddr)
		lo, _ := net.InterfaceByName("lo")
		if got.Interface != "lo" || got.Index != lo.Index || got.Protocol != unix.ETH_P_IP || got.HAType != unix.ARPHRD_LOOPBACK || len(got.HWAddr) != 6 {
			t.Fatalf("got %+v (raw % x)", got, raw)
		}
	})
}

func TestBDAddr(t *testing.T) {
	for _, c := range []struct {
		in, out string
		ok      bool
	}{
		{"01:23:45:67:89:ab", "01:23:45:67:89:AB", true},
		{"0:1:2:3:4:5", "00:01:02:03:04:05", true},
		{"00:00:00:00:00:00", "00:00:00:00:00:00", true},
		{"01:23:45:67:89", "", false},
		{"01:23:45:67:89:ab:cd", "", false},
		{"01:23:45:67:89:abc", "", false},
		{"01-23-45-67-89-ab", "", false},
		{"01:23:45:67:89:ag", "", false},
		{"", "", false},
	} {
		a, err := ParseBDAddr(c.in)
		if (err == nil) != c.ok || (c.ok && a.String() != c.out) {
			t.Errorf("ParseBDAddr(%q) = %v, %v; want %q ok=%v", c.in, a, err, c.out, c.ok)
		}
	}
	if BDAddrAny.String() != "00:00:00:00:00:00" || BDAddrLocal.String() != "00:00:00:FF:FF:FF" {
		t.Fatalf("BDAddrAny %v BDAddrLocal %v", BDAddrAny, BDAddrLocal)
	}
	// SCO: x/sys has no sockaddr_sco; struct sockaddr_sco is
	// { sa_family_t; bdaddr_t } = 8 bytes, bdaddr little endian.
	b := mustMarshal(t, SCOAddr{BDAddr: BDAddr{1, 2, 3, 4, 5, 6}})
	want := []byte{byte(AF_BLUETOOTH), 0, 6, 5, 4, 3, 2, 1}
	if !bytes.Equal(b, want) {
		t.Fatalf("SCO % x, want % x", b, want)
	}
}
