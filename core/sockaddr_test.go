package core

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"
)

// Hand-written kernel layouts for the structures x/sys has no type for
// (or whose union it does not spell out), little-endian host assumed for
// the native fields, as on every machine this project targets.
func TestSockaddrHandLayouts(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("hand layouts are written for little-endian hosts")
	}
	cases := []struct {
		name string
		a    Addr
		want []byte
	}{
		// struct sockaddr_qrtr { __kernel_sa_family_t sq_family; __u32 sq_node; __u32 sq_port; }
		{"qrtr", QIPCRTRAddr{Node: 0x01020304, Port: 0x0a0b0c0d}, []byte{42, 0, 0, 0, 4, 3, 2, 1, 0x0d, 0x0c, 0x0b, 0x0a}},
		// sockaddr_can, raw: family, 2 pad, ifindex, 16-byte zero union.
		{"can-any", CANAddr{}, append([]byte{29, 0, 0, 0, 0, 0, 0, 0}, make([]byte, 16)...)},
		// ISO-TP: union.tp = { rx_id, tx_id }.
		{"isotp", ISOTPAddr{Index: 5, RxID: 0x123, TxID: 0x456}, []byte{29, 0, 0, 0, 5, 0, 0, 0,
			0x23, 0x01, 0, 0, 0x56, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		// J1939: union.j1939 = { u64 name; u32 pgn; u8 addr; 3 pad }.
		{"j1939", J1939Addr{Index: 5, Name: J1939_NO_NAME, PGN: J1939_NO_PGN, Addr: J1939_NO_ADDR}, []byte{29, 0, 0, 0, 5, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0xff, 0, 0, 0}},
		// struct sockaddr_tipc, TIPC_ADDR_NAME: { type, instance, domain }.
		{"tipc-name", TIPCService(2000, 205, 0), []byte{30, 0, 2, 0, 0xd0, 0x07, 0, 0, 205, 0, 0, 0, 0, 0, 0, 0}},
		// struct sockaddr_hci { family; u16 dev; u16 channel }.
		{"hci", HCIAddr{Device: 1, Channel: HCI_CHANNEL_MONITOR}, []byte{31, 0, 1, 0, 2, 0}},
		// sockaddr_l2: family, le16 psm, bdaddr (reversed), le16 cid, u8 type, pad.
		{"l2cap-att", L2CAPAddr{CID: L2CAP_CID_ATT, AddrType: BDADDR_LE_PUBLIC}, []byte{31, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0}},
		// sockaddr_rc: family, bdaddr, u8 channel, pad.
		{"rfcomm", RFCOMMAddr{BDAddr: BDAddr{0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF}, Channel: 30}, []byte{31, 0, 0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA, 30, 0}},
		// sockaddr_vm: family, reserved, port, cid, flags, zero[3].
		{"vsock", VSockAddr{CID: VMADDR_CID_LOCAL, Port: VMADDR_PORT_ANY}, []byte{40, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0}},
		// sockaddr_un, path: family, path, NUL; abstract: family, NUL, name.
		{"unix-path", UnixAddr{Name: "/x"}, []byte{1, 0, '/', 'x', 0}},
		{"unix-abstract-at", UnixAddr{Name: "@ab"}, []byte{1, 0, 0, 'a', 'b'}},
		{"unix-abstract-nul", UnixAddr{Name: "\x00ab"}, []byte{1, 0, 0, 'a', 'b'}},
		{"unix-autobind", UnixAddr{}, []byte{1, 0}},
		// sockaddr_ll with no hardware address is still 20 bytes.
		{"packet", PacketAddr{Index: 1, Protocol: ETH_P_ALL}, []byte{17, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"inet-any", InetAddr{Port: 1}, []byte{2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"raw", RawAddr{Fam: 99, Data: []byte{1, 2, 3}}, []byte{99, 0, 1, 2, 3}},
	}
	for _, c := range cases {
		got, err := MarshalSockaddr(c.a)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s:\n got % x\nwant % x", c.name, got, c.want)
		}
		// Pointers encode the same as values.
		if c.name == "qrtr" {
			v := c.a.(QIPCRTRAddr)
			p, _ := MarshalSockaddr(&v)
			if !bytes.Equal(p, got) {
				t.Errorf("pointer encodes % x, value % x", p, got)
			}
		}
	}
}

func TestALGLimits(t *testing.T) {
	b, err := MarshalSockaddr(ALGAddr{Type: "hash", Name: "sha256"})
	if err != nil || len(b) != SizeofSockaddrALG {
		t.Fatalf("len %d err %v, want 88 bytes", len(b), err)
	}
	ok := []ALGAddr{{Type: strings.Repeat("t", 13), Name: strings.Repeat("n", 63)}}
	for _, a := range ok {
		if _, err := MarshalSockaddr(a); err != nil {
			t.Errorf("13/63 bytes must pass to the kernel: %v", err)
		}
	}
	for _, c := range []struct {
		a     ALGAddr
		field string
	}{
		{ALGAddr{Type: strings.Repeat("t", 14), Name: "x"}, "Type"},
		{ALGAddr{Type: "hash", Name: strings.Repeat("n", 64)}, "Name"},
	} {
		_, err := MarshalSockaddr(c.a)
		var ae *AddrError
		if !errors.As(err, &ae) || ae.Field != c.field || !errors.Is(err, syscall.ENAMETOOLONG) {
			t.Errorf("%d/%d bytes: err %v, want ENAMETOOLONG on field %s", len(c.a.Type), len(c.a.Name), err, c.field)
		}
	}
}

func TestMarshalValidation(t *testing.T) {
	for _, c := range []struct {
		a     Addr
		field string
		errno syscall.Errno
	}{
		{InetAddr{Port: 65536}, "Port", syscall.ERANGE},
		{InetAddr{Port: -1}, "Port", syscall.ERANGE},
		{InetAddr{IP: netip.IPv6Loopback()}, "IP", syscall.EAFNOSUPPORT},
		{Inet6Addr{IP: netip.MustParseAddr("1.2.3.4")}, "IP", syscall.EAFNOSUPPORT},
		{CANAddr{Interface: strings.Repeat("x", 1024)}, "Interface", syscall.ENAMETOOLONG},
		{CANAddr{Interface: "nosuchif0"}, "Interface", syscall.ENODEV},
		{CANAddr{Index: -1}, "Index", syscall.ERANGE},
		{UnixAddr{Name: strings.Repeat("p", 109)}, "Name", syscall.ENAMETOOLONG},
		{UnixAddr{Name: "@" + strings.Repeat("p", 108)}, "Name", syscall.ENAMETOOLONG},
		{UnixAddr{Name: "a\x00b"}, "Name", syscall.EINVAL},
		{TIPCAddr{AddrType: 9}, "AddrType", syscall.EINVAL},
		{PacketAddr{HWAddr: make([]byte, 33)}, "HWAddr", syscall.EINVAL},
	} {
		_, err := MarshalSockaddr(c.a)
		var ae *AddrError
		if !errors.As(err, &ae) || ae.Field != c.field || !errors.Is(err, c.errno) {
			t.Errorf("%T %v: err %v, want %v on field %s", c.a, c.a, err, c.errno, c.field)
			continue
		}
		if !strings.Contains(err.Error(), "field "+c.field) || !strings.Contains(err.Error(), Family(c.a.Family()).String()) {
			t.Errorf("error %q does not name field %s and the family", err, c.field)
		}
	}
	if _, err := MarshalSockaddr(nil); err == nil {
		t.Error("nil Addr encoded")
	}
}

func TestParseSockaddrGarbage(t *testing.T) {
	le16 := func(f int) []byte { return []byte{byte(f), byte(f >> 8)} }
	for _, c := range []struct {
		raw         []byte
		typ, proto  int
		fam, length string
	}{
		{[]byte{1}, 0, 0, "AF_UNSPEC", "1 bytes"},
		{le16(AF_INET), 0, 0, "AF_INET", "2 bytes"},
		{append(le16(AF_INET6), make([]byte, 10)...), 0, 0, "AF_INET6", "12 bytes"},
		{append(le16(AF_CAN), 1, 2), SOCK_RAW, CAN_RAW, "AF_CAN", "4 bytes"},
		{append(le16(AF_CAN), make([]byte, 10)...), SOCK_DGRAM, CAN_ISOTP, "AF_CAN", "12 bytes"},
		{append(le16(AF_CAN), make([]byte, 14)...), SOCK_DGRAM, CAN_J1939, "AF_CAN", "16 bytes"},
		{append(le16(AF_CAN), 0, 0, 0xff, 0xff, 0xff, 0xff), SOCK_RAW, CAN_RAW, "AF_CAN", "8 bytes"},
		{append(le16(AF_ALG), make([]byte, 86)...), 0, 0, "AF_ALG", "88 bytes"}, // empty type is fine...
		{append(le16(AF_TIPC), 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0, 0, "AF_TIPC", "16 bytes"},
		{append(le16(AF_BLUETOOTH), 0, 0), SOCK_RAW, BTPROTO_HCI, "AF_BLUETOOTH", "4 bytes"},
		{append(le16(AF_BLUETOOTH), 0, 0, 0, 0, 0, 0), SOCK_RAW, 99, "AF_BLUETOOTH", "8 bytes"},
		{append(le16(AF_PACKET), 0, 0, 0, 0, 0, 0, 0, 0, 0, 9), 0, 0, "AF_PACKET", "12 bytes"},
		{append(le16(AF_UNIX), make([]byte, 200)...), 0, 0, "AF_UNIX", "202 bytes"},
	} {
		if c.fam == "AF_ALG" {
			// ...but a type without a NUL is not.
			for i := 2; i < 16; i++ {
				c.raw[i] = 'x'
			}
		}
		a, err := ParseSockaddr(c.raw, c.typ, c.proto)
		if err == nil {
			t.Errorf("% x parsed as %v, want error", c.raw, a)
			continue
		}
		if !strings.Contains(err.Error(), c.fam) || !strings.Contains(err.Error(), c.length) || !errors.Is(err, syscall.EINVAL) {
			t.Errorf("error %q should name %s and %s and be EINVAL", err, c.fam, c.length)
		}
	}
	if a, err := ParseSockaddr(nil, 0, 0); a != nil || err != nil {
		t.Errorf("empty sockaddr: %v, %v; want nil, nil", a, err)
	}
	a, err := ParseSockaddr([]byte{99, 0, 7, 8}, 0, 0)
	if r, ok := a.(*RawAddr); err != nil || !ok || r.Fam != 99 || !bytes.Equal(r.Data, []byte{7, 8}) {
		t.Errorf("unknown family: %#v, %v", a, err)
	}
}

func TestUnmarshalSockaddrZeroAlloc(t *testing.T) {
	in4, _ := MarshalSockaddr(InetAddr{IP: netip.MustParseAddr("10.1.2.3"), Port: 99})
	in6, _ := MarshalSockaddr(Inet6Addr{IP: netip.MustParseAddr("2001:db8::1"), Port: 99, ScopeID: 0})
	j, _ := MarshalSockaddr(J1939Addr{Index: 0, Name: 1, PGN: 2, Addr: 3})
	var a4 InetAddr
	var a6 Inet6Addr
	var aj J1939Addr
	var scratch [SizeofSockaddrStorage]byte
	allocs := testing.AllocsPerRun(100, func() {
		if err := UnmarshalSockaddr(in4, &a4); err != nil {
			t.Fatal(err)
		}
		if err := UnmarshalSockaddr(in6, &a6); err != nil {
			t.Fatal(err)
		}
		if err := UnmarshalSockaddr(j, &aj); err != nil {
			t.Fatal(err)
		}
		if _, err := AppendSockaddr(scratch[:0], &a4); err != nil {
			t.Fatal(err)
		}
		if _, err := AppendSockaddr(scratch[:0], &a6); err != nil {
			t.Fatal(err)
		}
		if _, err := AppendSockaddr(scratch[:0], &aj); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per decode+encode round, want 0", allocs)
	}
	if a4.String() != "10.1.2.3:99" || a6.String() != "[2001:db8::1]:99" || aj.Name != 1 || aj.PGN != 2 || aj.Addr != 3 {
		t.Fatalf("decoded %v %v %+v", a4, a6, aj)
	}
	if err := UnmarshalSockaddr(in4, &a6); err == nil || !strings.Contains(err.Error(), "AF_INET6") {
		t.Fatalf("family mismatch: %v", err)
	}
	u := UnixAddr{Name: "/old"}
	if err := UnmarshalSockaddr(nil, &u); err != nil || u.Name != "" {
		t.Fatalf("empty sockaddr into UnixAddr: %q, %v", u.Name, err)
	}
	if err := UnmarshalSockaddr(in4, InetAddr{}); err == nil {
		t.Fatal("non-pointer accepted")
	}
}

func TestFamilyKindString(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Family(AF_CAN).String(), "AF_CAN"},
		{Family(AF_UNIX).String(), "AF_UNIX"},
		{Family(AF_ROUTE).String(), "AF_NETLINK"},
		{Family(AF_QIPCRTR).String(), "AF_QIPCRTR"},
		{Family(AF_DECnet).String(), "AF_DECnet"},
		{Family(200).String(), "Family(200)"},
		{Kind(SOCK_SEQPACKET).String(), "SOCK_SEQPACKET"},
		{Kind(SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC).String(), "SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC"},
		{Kind(7).String(), "Kind(7)"},
		{Kind(1 << 20).String(), "Kind(1048576)"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestAddrStrings(t *testing.T) {
	for _, c := range []struct {
		a    Addr
		want string
	}{
		{InetAddr{}, "0.0.0.0:0"},
		{Inet6Addr{IP: netip.MustParseAddr("fe80::1"), Port: 80, ScopeID: 2}, "[fe80::1%2]:80"},
		{UnixAddr{Name: "\x00a\x00b"}, `@a\x00b`},
		{CANAddr{}, "any"},
		{ISOTPAddr{Interface: "vcan0", RxID: 0x123, TxID: 0x456}, "vcan0 rx=0x123 tx=0x456"},
		{TIPCServiceRange(2000, 200, 210, TIPC_CLUSTER_SCOPE), "{2000,200,210} scope=2"},
		{TIPCSocketAddr(1, 2), "<1:2>"},
		{ALGAddr{Type: "hash", Name: "sha256"}, "hash:sha256"},
		{VSockAddr{CID: 2, Port: 5}, "vsock:2:5"},
		{HCIAddr{Device: HCI_DEV_NONE}, "hci-none"},
		{L2CAPAddr{PSM: 0x1001}, "00:00:00:00:00:00 psm=0x1001"},
		{QIPCRTRAddr{Node: 1, Port: 2}, "1:2"},
	} {
		if got := c.a.String(); got != c.want {
			t.Errorf("%T: got %q, want %q", c.a, got, c.want)
		}
	}
}

func TestParseInetAddr(t *testing.T) {
	for _, c := range []struct {
		host string
		want string
		ok   bool
	}{
		{"", "0.0.0.0:80", true},
		{"<broadcast>", "255.255.255.255:80", true},
		{"10.0.0.1", "10.0.0.1:80", true},
		{"::1", "", false},
		{"localhost", "", false},
	} {
		a, err := ParseInetAddr(c.host, 80)
		if (err == nil) != c.ok || (c.ok && a.String() != c.want) {
			t.Errorf("ParseInetAddr(%q) = %v, %v", c.host, a, err)
		}
	}
	a, err := ParseInet6Addr("fe80::1%lo", 1)
	if err != nil || a.ScopeID == 0 || a.IP.Zone() != "" {
		t.Errorf("ParseInet6Addr zone: %+v, %v", a, err)
	}
	if _, err := ParseInetAddr("", 70000); !errors.Is(err, syscall.ERANGE) {
		t.Errorf("port 70000: %v", err)
	}
}
