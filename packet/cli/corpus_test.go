package cli

import (
	"encoding/binary"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/packet"
)

// The corpus: frames built byte by byte with valid checksums, written to a
// pcapng file that both tcpdump -r and fieldgate capture -r read.

var (
	macA   = []byte{0x02, 0, 0, 0, 0, 0x0a}
	macB   = []byte{0x02, 0, 0, 0, 0, 0x0b}
	macBC  = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	ip4A   = netip.MustParseAddr("10.0.0.1")
	ip4B   = netip.MustParseAddr("10.0.0.2")
	ip6A   = netip.MustParseAddr("fe80::a")
	ip6B   = netip.MustParseAddr("2001:db8::b")
	ip6All = netip.MustParseAddr("ff02::1")
)

func ether(dst, src []byte, typ uint16, payload []byte) []byte {
	f := append(append(append([]byte{}, dst...), src...), byte(typ>>8), byte(typ))
	f = append(f, payload...)
	for len(f) < 60 {
		f = append(f, 0)
	}
	return f
}

// vlanTag inserts an 802.1Q/802.1ad tag after the MAC addresses.
func vlanTag(frame []byte, tpid, tci uint16) []byte {
	out := append([]byte{}, frame[:12]...)
	out = append(out, byte(tpid>>8), byte(tpid), byte(tci>>8), byte(tci))
	return append(out, frame[12:]...)
}

func csum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func pseudoSum(src, dst netip.Addr, proto uint8, n int) uint32 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
	}
	add(src.AsSlice())
	add(dst.AsSlice())
	return sum + uint32(proto) + uint32(n)
}

type ip4opts struct {
	id    uint16
	flags uint16 // frag field: DF 0x4000, MF 0x2000, offset in 8-byte units
	ttl   uint8
	tos   uint8
}

func ipv4(src, dst netip.Addr, proto uint8, o ip4opts, payload []byte) []byte {
	if o.ttl == 0 {
		o.ttl = 64
	}
	h := make([]byte, 20)
	h[0], h[1] = 0x45, o.tos
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(h[4:], o.id)
	binary.BigEndian.PutUint16(h[6:], o.flags)
	h[8], h[9] = o.ttl, proto
	copy(h[12:], src.AsSlice())
	copy(h[16:], dst.AsSlice())
	binary.BigEndian.PutUint16(h[10:], csum(h, 0))
	return append(h, payload...)
}

func ipv6(src, dst netip.Addr, next uint8, hop uint8, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6], h[7] = next, hop
	copy(h[8:], src.AsSlice())
	copy(h[24:], dst.AsSlice())
	return append(h, payload...)
}

// l4 fills in the checksum at off of a transport header+payload.
func l4(src, dst netip.Addr, proto uint8, seg []byte, off int) []byte {
	binary.BigEndian.PutUint16(seg[off:], 0)
	binary.BigEndian.PutUint16(seg[off:], csum(seg, pseudoSum(src, dst, proto, len(seg))))
	return seg
}

func udp(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	u := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(u, sport)
	binary.BigEndian.PutUint16(u[2:], dport)
	binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
	u = append(u, payload...)
	return l4(src, dst, 17, u, 6)
}

const (
	fFIN = 0x01
	fSYN = 0x02
	fRST = 0x04
	fPSH = 0x08
	fACK = 0x10
	fURG = 0x20
	fECE = 0x40
	fCWR = 0x80
)

func tcp(src, dst netip.Addr, sport, dport uint16, seq, ack uint32, flags uint8, win, urg uint16, opts, payload []byte) []byte {
	for len(opts)%4 != 0 {
		opts = append(opts, 0)
	}
	t := make([]byte, 20, 20+len(opts)+len(payload))
	binary.BigEndian.PutUint16(t, sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	t[12] = byte((20 + len(opts)) / 4 << 4)
	t[13] = flags
	binary.BigEndian.PutUint16(t[14:], win)
	binary.BigEndian.PutUint16(t[18:], urg)
	t = append(append(t, opts...), payload...)
	return l4(src, dst, 6, t, 16)
}

func icmp4(typ, code uint8, rest []byte) []byte {
	b := append([]byte{typ, code, 0, 0}, rest...)
	binary.BigEndian.PutUint16(b[2:], csum(b, 0))
	return b
}

func icmp6(src, dst netip.Addr, typ, code uint8, rest []byte) []byte {
	b := append([]byte{typ, code, 0, 0}, rest...)
	return l4(src, dst, 58, b, 2)
}

func arp(op uint16, sha []byte, spa netip.Addr, tha []byte, tpa netip.Addr) []byte {
	b := []byte{0, 1, 8, 0, 6, 4, byte(op >> 8), byte(op)}
	b = append(b, sha...)
	b = append(b, spa.AsSlice()...)
	b = append(b, tha...)
	return append(b, tpa.AsSlice()...)
}

func be16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }
func be32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

func seqBytes(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// synOpts are the options of a Linux SYN: mss 1460, sackOK, TS, nop, wscale 7.
func synOpts(tsval, tsecr uint32) []byte {
	o := []byte{2, 4, 0x05, 0xb4, 4, 2, 8, 10}
	o = append(o, be32(tsval)...)
	o = append(o, be32(tsecr)...)
	return append(o, 1, 3, 3, 7)
}

func tsOpts(tsval, tsecr uint32) []byte {
	return append([]byte{1, 1, 8, 10}, append(be32(tsval), be32(tsecr)...)...)
}

// corpusFrames returns the Ethernet frames of the differential corpus.
func corpusFrames() [][]byte {
	var fs [][]byte
	add := func(f []byte) { fs = append(fs, f) }
	eth4 := func(dst, src []byte, p []byte) []byte { return ether(dst, src, 0x0800, p) }
	eth6 := func(dst, src []byte, p []byte) []byte { return ether(dst, src, 0x86dd, p) }
	zero := make([]byte, 6)

	// ARP
	add(ether(macBC, macA, 0x0806, arp(1, macA, ip4A, zero, ip4B)))
	add(ether(macA, macB, 0x0806, arp(2, macB, ip4B, macA, ip4A)))
	// ICMP echo, unreachable, time exceeded
	echo := append(append(be16(0x1234), be16(1)...), seqBytes(56, 0)...)
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 1, ip4opts{id: 0x100, flags: 0x4000}, icmp4(8, 0, echo))))
	add(eth4(macA, macB, ipv4(ip4B, ip4A, 1, ip4opts{id: 0x200}, icmp4(0, 0, echo))))
	inner := ipv4(ip4A, ip4B, 17, ip4opts{id: 7}, udp(ip4A, ip4B, 40000, 40001, seqBytes(4, 1)))
	add(eth4(macA, macB, ipv4(ip4B, ip4A, 1, ip4opts{id: 0x201, tos: 0xc0}, icmp4(3, 3, append(make([]byte, 4), inner[:28]...)))))
	add(eth4(macA, macB, ipv4(ip4B, ip4A, 1, ip4opts{id: 0x202}, icmp4(11, 0, append(make([]byte, 4), inner[:28]...)))))
	// UDP
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 17, ip4opts{id: 0x101, flags: 0x4000}, udp(ip4A, ip4B, 40000, 40001, seqBytes(12, 0x41)))))
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 17, ip4opts{id: 0x102, ttl: 1}, udp(ip4A, ip4B, 40002, 40003, nil))))
	// A TCP conversation: SYN, SYN-ACK, ACK, PSH-ACK, ACK, FIN-ACK, FIN-ACK, ACK
	c, s := uint32(1000000), uint32(3000000000)
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 6, ip4opts{id: 1, flags: 0x4000}, tcp(ip4A, ip4B, 40010, 40080, c, 0, fSYN, 64240, 0, synOpts(100, 0), nil))))
	add(eth4(macA, macB, ipv4(ip4B, ip4A, 6, ip4opts{flags: 0x4000}, tcp(ip4B, ip4A, 40080, 40010, s, c+1, fSYN|fACK, 65160, 0, synOpts(200, 100), nil))))
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 6, ip4opts{id: 2, flags: 0x4000}, tcp(ip4A, ip4B, 40010, 40080, c+1, s+1, fACK, 502, 0, tsOpts(101, 200), nil))))
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 6, ip4opts{id: 3, flags: 0x4000}, tcp(ip4A, ip4B, 40010, 40080, c+1, s+1, fPSH|fACK, 502, 0, tsOpts(102, 200), seqBytes(100, 0x20)))))
	add(eth4(macA, macB, ipv4(ip4B, ip4A, 6, ip4opts{id: 4, flags: 0x4000}, tcp(ip4B, ip4A, 40080, 40010, s+1, c+101, fACK, 509, 0, tsOpts(201, 102), nil))))
	add(eth4(macA, macB, ipv4(ip4B, ip4A, 6, ip4opts{id: 5, flags: 0x4000}, tcp(ip4B, ip4A, 40080, 40010, s+1, c+101, fPSH|fACK, 509, 0, nil, seqBytes(5, 0x30)))))
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 6, ip4opts{id: 6, flags: 0x4000}, tcp(ip4A, ip4B, 40010, 40080, c+101, s+6, fFIN|fACK, 502, 0, tsOpts(103, 201), nil))))
	add(eth4(macA, macB, ipv4(ip4B, ip4A, 6, ip4opts{id: 7, flags: 0x4000}, tcp(ip4B, ip4A, 40080, 40010, s+6, c+102, fFIN|fACK, 509, 0, tsOpts(202, 103), nil))))
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 6, ip4opts{id: 8, flags: 0x4000}, tcp(ip4A, ip4B, 40010, 40080, c+102, s+7, fACK, 502, 0, tsOpts(104, 202), nil))))
	// RST, a SYN to a closed port, URG and ECN flags, SACK, unknown option
	add(eth4(macA, macB, ipv4(ip4B, ip4A, 6, ip4opts{flags: 0x4000}, tcp(ip4B, ip4A, 40081, 40011, 0, 5001, fRST|fACK, 0, 0, nil, nil))))
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 6, ip4opts{id: 9}, tcp(ip4A, ip4B, 40012, 40082, 77, 0, fSYN|fECE|fCWR, 1024, 0, []byte{2, 4, 0x05, 0xb4}, nil))))
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 6, ip4opts{id: 10}, tcp(ip4A, ip4B, 40013, 40083, 500, 600, fURG|fACK|fPSH, 1024, 3, nil, seqBytes(3, 0x61)))))
	sack := append([]byte{1, 1, 5, 10}, append(be32(s+100), be32(s+200)...)...)
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 6, ip4opts{id: 11, flags: 0x4000}, tcp(ip4A, ip4B, 40010, 40080, c+102, s+7, fACK, 502, 0, sack, nil))))
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 6, ip4opts{id: 12}, tcp(ip4A, ip4B, 40014, 40084, 1, 0, fSYN, 1024, 0, []byte{254, 4, 0xab, 0xcd, 0, 0, 0, 0}, nil))))
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 6, ip4opts{id: 13}, tcp(ip4A, ip4B, 40015, 40085, 1, 0, 0, 1024, 0, nil, nil))))
	// IPv4 fragments, an unknown protocol, IGMP-less multicast UDP
	frag := udp(ip4A, ip4B, 40000, 40001, seqBytes(40, 0))
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 17, ip4opts{id: 0x300, flags: 0x2000}, frag[:24])))
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 17, ip4opts{id: 0x300, flags: 3}, frag[24:])))
	add(eth4(macB, macA, ipv4(ip4A, ip4B, 253, ip4opts{id: 0x301}, seqBytes(8, 0))))
	add(eth4([]byte{1, 0, 0x5e, 0, 0, 0xfb}, macA, ipv4(ip4A, netip.MustParseAddr("224.0.0.251"), 17, ip4opts{ttl: 255}, udp(ip4A, netip.MustParseAddr("224.0.0.251"), 40020, 40021, seqBytes(20, 0)))))
	// IPv6: UDP, TCP SYN, ICMPv6 echo, neighbour discovery
	add(eth6(macB, macA, ipv6(ip6A, ip6B, 17, 64, udp(ip6A, ip6B, 40000, 40001, seqBytes(16, 0)))))
	add(eth6(macB, macA, ipv6(ip6A, ip6B, 6, 64, tcp(ip6A, ip6B, 40016, 40086, 42, 0, fSYN, 64800, 0, synOpts(7, 0), nil))))
	add(eth6(macA, macB, ipv6(ip6B, ip6A, 6, 64, tcp(ip6B, ip6A, 40086, 40016, 9, 43, fSYN|fACK, 64800, 0, synOpts(8, 7), nil))))
	echo6 := append(append(be16(0x42), be16(7)...), seqBytes(32, 0)...)
	add(eth6(macB, macA, ipv6(ip6A, ip6B, 58, 64, icmp6(ip6A, ip6B, 128, 0, echo6))))
	add(eth6(macA, macB, ipv6(ip6B, ip6A, 58, 64, icmp6(ip6B, ip6A, 129, 0, echo6))))
	sol := netip.MustParseAddr("ff02::1:ff00:b")
	ns := append(make([]byte, 4), ip6B.AsSlice()...)
	ns = append(ns, 1, 1)
	ns = append(ns, macA...)
	add(eth6([]byte{0x33, 0x33, 0xff, 0, 0, 0x0b}, macA, ipv6(ip6A, sol, 58, 255, icmp6(ip6A, sol, 135, 0, ns))))
	na := append([]byte{0x60, 0, 0, 0}, ip6B.AsSlice()...)
	na = append(na, 2, 1)
	na = append(na, macB...)
	add(eth6(macA, macB, ipv6(ip6B, ip6A, 58, 255, icmp6(ip6B, ip6A, 136, 0, na))))
	rs := []byte{0, 0, 0, 0}
	add(eth6([]byte{0x33, 0x33, 0, 0, 0, 2}, macA, ipv6(ip6A, netip.MustParseAddr("ff02::2"), 58, 255, icmp6(ip6A, netip.MustParseAddr("ff02::2"), 133, 0, rs))))
	add(eth6([]byte{0x33, 0x33, 0, 0, 0, 1}, macB, ipv6(ip6B, ip6All, 17, 1, udp(ip6B, ip6All, 40030, 40031, nil))))
	// VLAN: 802.1Q UDP, 802.1Q ARP, QinQ ICMP
	add(vlanTag(eth4(macB, macA, ipv4(ip4A, ip4B, 17, ip4opts{id: 0x400}, udp(ip4A, ip4B, 40000, 40001, seqBytes(8, 0)))), 0x8100, 3<<13|100))
	add(vlanTag(ether(macBC, macA, 0x0806, arp(1, macA, ip4A, zero, ip4B)), 0x8100, 7))
	add(vlanTag(vlanTag(eth4(macB, macA, ipv4(ip4A, ip4B, 1, ip4opts{id: 0x401}, icmp4(8, 0, echo))), 0x8100, 200), 0x88a8, 1<<12|10))
	add(vlanTag(eth6(macB, macA, ipv6(ip6A, ip6B, 17, 64, udp(ip6A, ip6B, 40000, 40001, seqBytes(4, 0)))), 0x8100, 5))
	// an ethertype tcpdump does not decode
	add(ether(macB, macA, 0x88b5, seqBytes(20, 0)))
	return fs
}

// writeCorpus writes frames as a pcapng file of one Ethernet interface,
// one packet per millisecond from a fixed time.
func writeCorpus(t testing.TB, path string, frames [][]byte) {
	t.Helper()
	w, err := packet.CreateFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.AddInterface(packet.Interface{Name: "eth0", LinkType: packet.LinkTypeEthernet})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	for i, f := range frames {
		if err := w.WritePacket(id, packet.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * 1001 * time.Microsecond)}, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWriteCorpusForInspection(t *testing.T) {
	p := os.Getenv("FG_CORPUS_OUT")
	if p == "" {
		t.Skip("set FG_CORPUS_OUT to write the corpus file")
	}
	writeCorpus(t, p, corpusFrames())
}
