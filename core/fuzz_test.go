package core

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseSockaddr feeds garbage to the decoder for every socket type and
// protocol that changes the decoding: it must never panic, every failure
// must be an *AddrError, and whatever decodes must encode and decode back
// to the same address.
func FuzzParseSockaddr(f *testing.F) {
	seeds := []Addr{
		InetAddr{Port: 80}, Inet6Addr{Port: 1, FlowInfo: 0xfffffff, ScopeID: 3}, UnixAddr{Name: "/tmp/x"}, UnixAddr{Name: "@abs\x00x"},
		UnixAddr{}, NetlinkAddr{PID: 1, Groups: 2}, CANAddr{Index: 1}, ISOTPAddr{Index: 1, RxID: 0x123, TxID: 0x456},
		J1939Addr{Name: 1, PGN: J1939_NO_PGN, Addr: J1939_NO_ADDR}, TIPCServiceRange(2000, 200, 210, 2), TIPCSocketAddr(1, 2),
		ALGAddr{Type: "hash", Name: "sha256"}, VSockAddr{CID: 1, Port: 2}, PacketAddr{Index: 1, Protocol: 3, HWAddr: []byte{1, 2, 3, 4, 5, 6}},
		QIPCRTRAddr{Node: 1, Port: 2}, HCIAddr{Device: 1}, L2CAPAddr{PSM: 0x1001, CID: 4, AddrType: 1}, RFCOMMAddr{Channel: 3}, SCOAddr{},
		RawAddr{Fam: 99, Data: []byte{1}},
	}
	for _, s := range seeds {
		b, err := MarshalSockaddr(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
	}
	f.Add([]byte{}, uint8(1))
	f.Add([]byte{29}, uint8(2))
	f.Fuzz(func(t *testing.T, raw []byte, sel uint8) {
		typProto := [][2]int{{SOCK_RAW, 0}, {SOCK_RAW, CAN_RAW}, {SOCK_DGRAM, CAN_BCM}, {SOCK_DGRAM, CAN_ISOTP},
			{SOCK_DGRAM, CAN_J1939}, {SOCK_RAW, BTPROTO_HCI}, {SOCK_SEQPACKET, BTPROTO_L2CAP},
			{SOCK_STREAM, BTPROTO_RFCOMM}, {SOCK_SEQPACKET, BTPROTO_SCO}}
		tp := typProto[int(sel)%len(typProto)]
		a, err := ParseSockaddr(raw, tp[0], tp[1])
		if err != nil {
			var ae *AddrError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *AddrError", err)
			}
			return
		}
		if a == nil {
			if len(raw) != 0 {
				t.Fatalf("nil Addr for %d bytes", len(raw))
			}
			return
		}
		enc, err := MarshalSockaddr(a)
		if err != nil {
			t.Fatalf("decoded %#v does not encode: %v", a, err)
		}
		if !bytes.Equal(enc[:2], raw[:2]) {
			t.Fatalf("family changed: % x -> % x", raw[:2], enc[:2])
		}
		b, err := ParseSockaddr(enc, tp[0], tp[1])
		if err != nil {
			t.Fatalf("re-encoded % x does not decode: %v", enc, err)
		}
		if !reflect.DeepEqual(normalize(a), normalize(b)) {
			t.Fatalf("round trip changed %#v into %#v", a, b)
		}
		// The zero-allocation path decodes to the same value.
		c := reflect.New(reflect.TypeOf(a).Elem()).Interface().(Addr)
		if err := UnmarshalSockaddr(raw, c); err != nil || !reflect.DeepEqual(normalize(a), normalize(c)) {
			t.Fatalf("UnmarshalSockaddr = %#v, %v; ParseSockaddr %#v", c, err, a)
		}
	})
}

// normalize clears representation-only differences (nil vs empty slices).
func normalize(a Addr) Addr {
	switch v := a.(type) {
	case *PacketAddr:
		c := *v
		if len(c.HWAddr) == 0 {
			c.HWAddr = nil
		}
		return &c
	case *RawAddr:
		c := *v
		if len(c.Data) == 0 {
			c.Data = nil
		}
		return &c
	}
	return a
}

func FuzzServices(f *testing.F) {
	f.Add([]byte("http 80/tcp www # web\nbad\n"))
	f.Add([]byte("a 1/udp\r\nb\t2/tcp  c d\n#x\n\n"))
	f.Add([]byte(strings.Repeat("x", 5000) + " 1/tcp\ny 2/tcp"))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := ParseServices(bytes.NewReader(data), "fuzz")
		if db == nil {
			t.Fatalf("nil database (err %v)", err)
		}
		for _, s := range db.Services {
			if s.Port < 0 || s.Port > 65535 || s.Name == "" || s.Proto == "" || strings.ContainsAny(s.Name+s.Proto, " \t\r\n#") {
				t.Fatalf("bad entry %+v", s)
			}
			if got, ok := db.ByName(s.Name, s.Proto); !ok || got.Name == "" {
				t.Fatalf("entry %+v not found by name", s)
			}
		}
		checkParseErrors(t, err)
	})
}

func FuzzProtocols(f *testing.F) {
	f.Add([]byte("ip 0 IP\ntcp 6 TCP # c\nudp 17\nbad\nbig 99999999999\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := ParseProtocols(bytes.NewReader(data), "fuzz")
		if db == nil {
			t.Fatalf("nil database (err %v)", err)
		}
		for _, p := range db.Protocols {
			if p.Number < 0 || p.Name == "" || strings.ContainsAny(p.Name, " \t\n#") {
				t.Fatalf("bad entry %+v", p)
			}
			if got, ok := db.ByName(p.Name); !ok || got.Name == "" {
				t.Fatalf("entry %+v not found", p)
			}
		}
		checkParseErrors(t, err)
	})
}

func FuzzHosts(f *testing.F) {
	f.Add([]byte("127.0.0.1 localhost\n::1 localhost ip6-localhost\nfe80::1%lo x\nbad\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := ParseHosts(bytes.NewReader(data), "fuzz")
		if db == nil {
			t.Fatalf("nil database (err %v)", err)
		}
		for _, e := range db.Entries {
			if !e.IP.IsValid() || len(e.Names) == 0 {
				t.Fatalf("bad entry %+v", e)
			}
			if len(db.ByName(e.Names[0])) == 0 || len(db.ByAddr(e.IP)) == 0 {
				t.Fatalf("entry %+v not found", e)
			}
		}
		checkParseErrors(t, err)
	})
}

// checkParseErrors verifies every reported problem carries a file and line.
func checkParseErrors(t *testing.T, err error) {
	if err == nil {
		return
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "fuzz:") && !strings.Contains(line, "more malformed lines") {
			t.Fatalf("error line %q does not name file:line", line)
		}
	}
}

// FuzzInetAton checks InetAton never panics, agrees with the strict
// parsers, and that what it accepts prints back to an address it accepts
// with the same value.
func FuzzInetAton(f *testing.F) {
	for _, s := range []string{"127.1", "1.2.3", "0x7f.1", "2130706433", "1.2.3.4 junk", "08", "0x", "4294967296", "0377.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := InetAton(s)
		if err != nil {
			if !errors.Is(err, ErrIllegalAddress) {
				t.Fatalf("error %v is not ErrIllegalAddress", err)
			}
			if p, err := InetPton(AF_INET, s); err == nil {
				t.Fatalf("InetPton accepts %q (%v) but InetAton does not", s, p)
			}
			return
		}
		if len(b) != 4 {
			t.Fatalf("%d bytes", len(b))
		}
		dotted, err := InetNtoa(b)
		if err != nil {
			t.Fatal(err)
		}
		again, err := InetAton(dotted)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%q -> %q -> %v, %v", s, dotted, again, err)
		}
		if p, err := InetPton(AF_INET, s); err == nil && !bytes.Equal(p, b) {
			t.Fatalf("InetPton(%q) = %v, InetAton %v", s, p, b)
		}
	})
}
