package packet

import (
	"encoding/binary"
	"net/netip"
)

// The filter corpus: Ethernet frames that exercise every primitive of the
// filter table. testdata/filter-corpus.pcapng is written from it (see
// TestFilterCorpusFile) and tcpdump's verdicts on that file are the
// expected results.

var (
	macA     = []byte{0x02, 0, 0, 0, 0, 0x0a}
	macB     = []byte{0x02, 0, 0, 0, 0, 0x0b}
	macBcast = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

func ether(dst, src []byte, typ uint16, payload []byte) []byte {
	f := append(append(append([]byte{}, dst...), src...), byte(typ>>8), byte(typ))
	return append(f, payload...)
}

func vlanEther(dst, src []byte, vid uint16, typ uint16, payload []byte) []byte {
	f := append(append(append([]byte{}, dst...), src...), 0x81, 0x00, byte(vid>>8), byte(vid), byte(typ>>8), byte(typ))
	return append(f, payload...)
}

func csum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// ipv4 builds an IPv4 packet; opts are IP options (multiple of 4 bytes),
// frag is the flags/fragment-offset field.
func ipv4(src, dst string, proto byte, frag uint16, opts, payload []byte) []byte {
	ihl := 20 + len(opts)
	h := make([]byte, ihl)
	h[0] = 0x40 | byte(ihl/4)
	binary.BigEndian.PutUint16(h[2:], uint16(ihl+len(payload)))
	binary.BigEndian.PutUint16(h[4:], 0x1234)
	binary.BigEndian.PutUint16(h[6:], frag)
	h[8] = 64
	h[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	copy(h[20:], opts)
	binary.BigEndian.PutUint16(h[10:], csum(h))
	return append(h, payload...)
}

func ipv6(src, dst string, next byte, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6] = next
	h[7] = 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

func tcpSeg(sport, dport uint16, flags byte, payload []byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint32(h[4:], 1000)
	h[12] = 5 << 4
	h[13] = flags
	binary.BigEndian.PutUint16(h[14:], 65535)
	return append(h, payload...)
}

func udpDgram(sport, dport uint16, payload []byte) []byte {
	h := make([]byte, 8)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)))
	return append(h, payload...)
}

func icmpMsg(typ, code byte) []byte { return []byte{typ, code, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g'} }

func arpReq(sender, target string) []byte {
	b := []byte{0, 1, 8, 0, 6, 4, 0, 1}
	b = append(b, macA...)
	s, t := netip.MustParseAddr(sender).As4(), netip.MustParseAddr(target).As4()
	b = append(b, s[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0)
	return append(b, t[:]...)
}

const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
)

// filterCorpus returns the corpus frames in file order.
func filterCorpus() [][]byte {
	pad := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}
	return [][]byte{
		/* 0 */ ether(macB, macA, 0x0800, ipv4("10.0.0.1", "10.0.0.2", 6, 0x4000, nil, tcpSeg(1234, 80, tcpSYN, nil))),
		/* 1 */ ether(macA, macB, 0x0800, ipv4("10.0.0.2", "10.0.0.1", 6, 0x4000, nil, tcpSeg(80, 1234, tcpSYN|tcpACK, nil))),
		/* 2 */ ether([]byte{0x01, 0, 0x5e, 0, 0, 0xfb}, macA, 0x0800, ipv4("10.0.0.1", "224.0.0.251", 17, 0, nil, udpDgram(5353, 5353, pad(30)))),
		/* 3 */ ether(macA, macB, 0x0800, ipv4("192.168.1.10", "10.0.0.1", 17, 0, nil, udpDgram(53, 40000, pad(40)))),
		/* 4 */ ether(macB, macA, 0x0800, ipv4("10.0.0.1", "8.8.8.8", 1, 0, nil, icmpMsg(8, 0))),
		/* 5 */ ether(macB, macA, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 6, tcpSeg(443, 50000, tcpACK|tcpPSH, pad(10)))),
		/* 6 */ ether([]byte{0x33, 0x33, 0, 0, 0, 1}, macA, 0x86dd, ipv6("fe80::1", "ff02::1", 17, udpDgram(546, 547, pad(20)))),
		/* 7 */ ether(macBcast, macA, 0x0806, arpReq("10.0.0.1", "10.0.0.2")),
		/* 8 */ vlanEther(macB, macA, 100, 0x0800, ipv4("10.0.1.1", "10.0.1.2", 17, 0, nil, udpDgram(9999, 9999, pad(16)))),
		/* 9 */ ether(macB, macA, 0x0800, ipv4("10.0.0.3", "10.0.0.4", 17, 0x00b9, nil, pad(64))),
		/* 10 */ ether(macB, macA, 0x0800, ipv4("10.0.0.5", "10.0.0.6", 6, 0, []byte{1, 1, 1, 0}, tcpSeg(22, 2222, tcpPSH|tcpACK, pad(48)))),
		/* 11 */ ether(macB, macA, 0x0800, ipv4("172.16.0.1", "172.16.0.2", 17, 0, nil, udpDgram(7000, 7001, pad(1000)))),
		/* 12 */ ether(macB, macA, 0x88b5, pad(46)),
		/* 13 */ ether(macA, macB, 0x0800, ipv4("8.8.8.8", "10.0.0.1", 1, 0, nil, icmpMsg(0, 0))),
		/* 14 */ ether(macB, macA, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 58, icmpMsg(128, 0))),
		/* 15 */ vlanEther(macB, macA, 200, 0x86dd, ipv6("2001:db8::3", "2001:db8::4", 17, udpDgram(5000, 6000, pad(8)))),
		/* 16 */ ether(macBcast, macA, 0x0800, ipv4("0.0.0.0", "255.255.255.255", 17, 0, nil, udpDgram(68, 67, pad(240)))),
		/* 17 */ ether(macB, macA, 0x0800, ipv4("10.0.0.1", "10.0.0.2", 6, 0x4000, nil, tcpSeg(1234, 80, tcpFIN|tcpACK, nil))),
		/* 18 */ ether(macA, macB, 0x0800, ipv4("10.0.0.2", "10.0.0.1", 6, 0x4000, nil, tcpSeg(80, 1234, tcpRST, nil))),
		/* 19 */ ether(macB, macA, 0x0800, ipv4("10.1.2.3", "10.0.0.9", 17, 0, nil, udpDgram(5500, 123, pad(48)))),
	}
}

// testFrame builds an Ethernet frame A->B with ethertype 0x88b5 (local
// experimental) and a payload identifying frame i, size bytes in all.
func testFrame(i, size int) []byte {
	f := make([]byte, size)
	copy(f[0:], []byte{0x02, 0, 0, 0, 0, 0x0b})
	copy(f[6:], []byte{0x02, 0, 0, 0, 0, 0x0a})
	f[12], f[13] = 0x88, 0xb5
	for j := 14; j < size; j++ {
		f[j] = byte(i*7 + j)
	}
	if size >= 18 {
		f[14], f[15], f[16], f[17] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	}
	return f
}
