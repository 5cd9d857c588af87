package cli

import (
	"encoding/binary"
	"net"
	"strconv"
	"time"

	"github.com/fieldgate/fieldgate/packet"
)

// printer formats one line per packet as tcpdump -n does (tcpdump 4.99;
// print_test.go compares the two byte for byte on a corpus and lists the
// protocols where the output differs). It keeps the state tcpdump keeps
// between packets: the previous and first timestamps for -ttt/-ttttt,
// the packet number for -#, and each TCP conversation's initial sequence
// numbers for relative seq/ack. Lines are appended to a buffer the
// printer reuses: no allocation per packet except the first packet of a
// TCP conversation.
type printer struct {
	e, q, S, number bool
	v, x, X, A, t   int
	loc             *time.Location

	n           uint64
	first, prev time.Time
	tcp         map[tcpKey]*tcpSeq
	ifnames     map[int]string // LINUX_SLL2 ifindex -> local name
	b           []byte
}

// pkt is what the printer needs of one packet.
type pkt struct {
	ts      time.Time
	lt      packet.LinkType
	data    []byte // captured bytes
	length  int    // length on the wire
	ifname  string // -i any only
	ifindex int
	typ     packet.PacketType
	addr    net.HardwareAddr
	// any prints the interface name and direction in front of the
	// packet, as tcpdump -i any does (its LINUX_SLL2 printer).
	any bool
}

// format returns the packet's line(s), ending in a newline. The result is
// valid until the next call.
func (pr *printer) format(p *pkt) []byte {
	pr.b = pr.b[:0]
	pr.n++
	if pr.number {
		pr.b = append(pr.b, padLeft(strconv.FormatUint(pr.n, 10), 5)...)
		pr.b = append(pr.b, "  "...)
	}
	pr.timestamp(p.ts)
	hdr := pr.link(p)
	data := p.data
	switch {
	case pr.X > 0:
		if pr.X > 1 {
			pr.hexASCII("\n\t", data)
		} else if len(data) > hdr {
			pr.hexASCII("\n\t", data[hdr:])
		}
	case pr.x > 0:
		if pr.x > 1 {
			pr.hex("\n\t", data)
		} else if len(data) > hdr {
			pr.hex("\n\t", data[hdr:])
		}
	case pr.A > 0:
		if pr.A > 1 {
			pr.ascii(data)
		} else if len(data) > hdr {
			pr.ascii(data[hdr:])
		}
	}
	pr.b = append(pr.b, '\n')
	return pr.b
}

func padLeft(s string, n int) string {
	for len(s) < n {
		s = " " + s
	}
	return s
}

func (pr *printer) str(s string) { pr.b = append(pr.b, s...) }

func (pr *printer) u(v uint64) { pr.b = strconv.AppendUint(pr.b, v, 10) }

func (pr *printer) hexN(v uint64, digits int) {
	const hx = "0123456789abcdef"
	for i := digits - 1; i >= 0; i-- {
		pr.b = append(pr.b, hx[(v>>(4*uint(i)))&0xf])
	}
}

// hexU is hexN in upper case, as candump prints ids and data.
func (pr *printer) hexU(v uint64, digits int) {
	const hx = "0123456789ABCDEF"
	for i := digits - 1; i >= 0; i-- {
		pr.b = append(pr.b, hx[(v>>(4*uint(i)))&0xf])
	}
}

// hexv appends v in hex without leading zeros (C's %x).
func (pr *printer) hexv(v uint64) { pr.b = strconv.AppendUint(pr.b, v, 16) }

func (pr *printer) dec2(v int) {
	pr.b = append(pr.b, byte('0'+v/10%10), byte('0'+v%10))
}

func (pr *printer) micros(ns int) {
	us := ns / 1000
	pr.b = append(pr.b, '.')
	for d := 100000; d > 0; d /= 10 {
		pr.b = append(pr.b, byte('0'+us/d%10))
	}
}

func (pr *printer) clock(h, m, s, ns int) {
	pr.dec2(h)
	pr.b = append(pr.b, ':')
	pr.dec2(m)
	pr.b = append(pr.b, ':')
	pr.dec2(s)
	pr.micros(ns)
}

// timestamp prints the time as -t, -tt, -ttt, -tttt and -ttttt select.
func (pr *printer) timestamp(ts time.Time) {
	// tcpdump works in microseconds: truncate first, as libpcap does
	// when it reads nanosecond files.
	ts = ts.Truncate(time.Microsecond)
	if pr.first.IsZero() {
		pr.first = ts
	}
	prev := pr.prev
	if prev.IsZero() {
		prev = ts
	}
	pr.prev = ts
	loc := pr.loc
	if loc == nil {
		loc = time.Local
	}
	switch pr.t {
	case 0:
		t := ts.In(loc)
		pr.clock(t.Hour(), t.Minute(), t.Second(), t.Nanosecond())
	case 1:
		return
	case 2:
		pr.u(uint64(ts.Unix()))
		pr.micros(ts.Nanosecond())
	case 3, 5:
		ref := prev
		if pr.t == 5 {
			ref = pr.first
		}
		d := ts.Sub(ref)
		neg := d < 0
		if neg {
			d = -d
		}
		pr.b = append(pr.b, ' ')
		if neg {
			pr.b = append(pr.b, '-')
		}
		sec := int(d / time.Second)
		pr.clock(sec/3600, sec/60%60, sec%60, int(d%time.Second))
	default:
		t := ts.In(loc)
		pr.b = t.AppendFormat(pr.b, "2006-01-02 ")
		pr.clock(t.Hour(), t.Minute(), t.Second(), t.Nanosecond())
	}
	pr.b = append(pr.b, ' ')
}

// link prints the link layer and what it carries; it returns the length
// of the link-layer header (for -x, -X and -A without the doubled flag).
func (pr *printer) link(p *pkt) int {
	if p.any {
		return pr.anyIface(p)
	}
	switch p.lt {
	case packet.LinkTypeEthernet:
		return pr.ether(p.data, p.length)
	case packet.LinkTypeCANSocketCAN:
		pr.can(p.data)
		return 0
	case packet.LinkTypeRaw, packet.LinkTypeIPv4, packet.LinkTypeIPv6:
		pr.rawIP(p.data, p.length)
		return 0
	case packet.LinkTypeLinuxSLL2:
		return pr.sll2(p.data, p.length)
	}
	pr.str("UNSUPPORTED")
	pr.hexASCII("\n\t", p.data)
	return len(p.data)
}

// rawIP dispatches on the IP version nibble.
func (pr *printer) rawIP(b []byte, length int) {
	if len(b) < 1 {
		pr.str("[|ip]")
		return
	}
	switch b[0] >> 4 {
	case 4:
		pr.ipv4(b, length, false)
	case 6:
		pr.ipv6(b, length)
	default:
		pr.str("IP")
		pr.u(uint64(b[0] >> 4))
		pr.str(" (invalid)")
	}
}

// Packet types as tcpdump -i any names them (LINUX_SLL2 sll2_pkttype).
var directions = [...]string{"In ", "B  ", "M  ", "P  ", "Out"}

// anyPrefix prints the interface name and direction as tcpdump -i any does.
func (pr *printer) anyPrefix(name string, typ packet.PacketType) {
	if name == "" {
		name = "?"
	}
	pr.str(name)
	for i := len(name); i < 5; i++ {
		pr.b = append(pr.b, ' ')
	}
	pr.b = append(pr.b, ' ')
	if int(typ) < len(directions) {
		pr.str(directions[typ])
	} else {
		pr.str("?  ")
	}
	pr.b = append(pr.b, ' ')
}

// anyIface prints a packet of a socket on every interface as tcpdump -i any
// does: interface name, direction, then the network layer (the link-layer
// header is only shown with -e, as the cooked header tcpdump would have
// read).
func (pr *printer) anyIface(p *pkt) int {
	pr.anyPrefix(p.ifname, p.typ)
	data := p.data
	switch p.lt {
	case packet.LinkTypeEthernet:
		if len(data) < 14 {
			pr.str("[|ether]")
			return len(data)
		}
		pr.cooked(p.ifindex, p.addr, binary.BigEndian.Uint16(data[12:]), data[14:], p.length-14)
		return 14
	case packet.LinkTypeCANSocketCAN:
		pr.can(data)
		return 0
	case packet.LinkTypeRaw:
		etype := uint16(0x0800)
		if len(data) > 0 && data[0]>>4 == 6 {
			etype = 0x86dd
		}
		pr.cooked(p.ifindex, p.addr, etype, data, p.length)
		return 0
	}
	pr.str("UNSUPPORTED")
	return 0
}

// cooked prints what follows a LINUX_SLL2 header: with -e the header's
// fields, then the payload of ethertype etype.
func (pr *printer) cooked(ifindex int, addr []byte, etype uint16, payload []byte, length int) {
	if pr.e {
		pr.str("ifindex ")
		pr.u(uint64(ifindex))
		pr.b = append(pr.b, ' ')
		pr.mac(addr)
		pr.b = append(pr.b, ' ')
		pr.etherType(etype)
		pr.str(", length ")
		pr.u(uint64(length + 20))
		pr.str(": ")
	}
	if pr.ethertype(etype, payload, length) {
		return
	}
	if !pr.e {
		pr.etherType(etype)
		pr.str(", length ")
		pr.u(uint64(length + 20))
		pr.str(": ")
	}
	if !pr.noDefault() {
		pr.hexASCII("\n\t", payload)
	}
}

// sll2 prints a LINUX_SLL2 record (files written by tcpdump -i any).
func (pr *printer) sll2(b []byte, length int) int {
	if len(b) < 20 {
		pr.str("[|sll2]")
		return len(b)
	}
	ifindex := int(binary.BigEndian.Uint32(b[4:]))
	name, ok := pr.ifnames[ifindex]
	if !ok {
		name = "?"
		if ifi, err := net.InterfaceByIndex(ifindex); err == nil {
			name = ifi.Name
		}
		if pr.ifnames == nil {
			pr.ifnames = map[int]string{}
		}
		if len(pr.ifnames) < 4096 {
			pr.ifnames[ifindex] = name
		}
	}
	pr.anyPrefix(name, packet.PacketType(b[10]))
	if binary.BigEndian.Uint16(b[8:]) == 280 { // ARPHRD_CAN
		pr.can(b[20:])
		return 20
	}
	alen := min(int(b[11]), 8)
	pr.cooked(ifindex, b[12:12+alen], binary.BigEndian.Uint16(b), b[20:], length-20)
	return 20
}

// mac appends a hardware address as aa:bb:cc:...
func (pr *printer) mac(a []byte) {
	const hx = "0123456789abcdef"
	for i, c := range a {
		if i > 0 {
			pr.b = append(pr.b, ':')
		}
		pr.b = append(pr.b, hx[c>>4], hx[c&0xf])
	}
}

// Ethertype names as tcpdump prints them.
func etherName(t uint16, unknown string) string {
	switch t {
	case 0x0800:
		return "IPv4"
	case 0x0806:
		return "ARP"
	case 0x86dd:
		return "IPv6"
	case 0x8100:
		return "802.1Q"
	case 0x88a8:
		return "802.1Q-QinQ"
	case 0x9100:
		return "802.1Q-9100"
	case 0x9200:
		return "802.1Q-9200"
	case 0x8035:
		return "Reverse ARP"
	case 0x8847:
		return "MPLS unicast"
	case 0x8848:
		return "MPLS multicast"
	case 0x88cc:
		return "LLDP"
	case 0x888e:
		return "EAPOL"
	case 0x8863:
		return "PPPoE D"
	case 0x8864:
		return "PPPoE S"
	case 0x9000:
		return "Loopback"
	}
	return unknown
}

// etherType prints "ethertype NAME (0xXXXX)", or with -q only the name.
func (pr *printer) etherType(t uint16) {
	if pr.q {
		if n := etherName(t, ""); n != "" {
			pr.str(n)
			return
		}
		pr.str("Unknown Ethertype (0x")
		pr.hexN(uint64(t), 4)
		pr.b = append(pr.b, ')')
		return
	}
	pr.str("ethertype ")
	pr.str(etherName(t, "Unknown"))
	pr.str(" (0x")
	pr.hexN(uint64(t), 4)
	pr.b = append(pr.b, ')')
}

func isVLANType(t uint16) bool { return t == 0x8100 || t == 0x88a8 || t == 0x9100 || t == 0x9200 }

// ether prints an Ethernet frame; it returns the header length.
func (pr *printer) ether(b []byte, length int) int {
	if len(b) < 14 {
		pr.str("[|ether]")
		return len(b)
	}
	dst, src := b[0:6], b[6:12]
	if pr.e {
		pr.mac(src)
		pr.str(" > ")
		pr.mac(dst)
		pr.str(", ")
	}
	t := binary.BigEndian.Uint16(b[12:])
	p := b[14:]
	hdr := 14
	printedLen := false
	for isVLANType(t) {
		if len(p) < 4 {
			pr.str("[|vlan]")
			return len(b)
		}
		if pr.e {
			tci := binary.BigEndian.Uint16(p)
			pr.etherType(t)
			if !printedLen {
				pr.str(", length ")
				pr.u(uint64(length))
				pr.str(": ")
				printedLen = true
			} else {
				pr.str(", ")
			}
			pr.str("vlan ")
			pr.u(uint64(tci & 0xfff))
			pr.str(", p ")
			pr.u(uint64(tci >> 13))
			if tci&0x1000 != 0 {
				pr.str(", DEI")
			}
			pr.str(", ")
		}
		t = binary.BigEndian.Uint16(p[2:])
		p = p[4:]
		hdr += 4
	}
	rest := length - hdr
	if t <= 1500 {
		// 802.3 length and LLC: not decoded here (see print_test.go).
		if pr.e {
			pr.str("802.3")
			if !printedLen {
				pr.str(", length ")
				pr.u(uint64(length))
				pr.str(": ")
			}
		} else {
			pr.mac(src)
			pr.str(" > ")
			pr.mac(dst)
			pr.str(", 802.3, length ")
			pr.u(uint64(t))
			pr.str(": ")
		}
		pr.str("LLC")
		if !pr.noDefault() {
			pr.hexASCII("\n\t", p[:min(len(p), int(t))])
		}
		return hdr
	}
	if pr.e {
		pr.etherType(t)
		if !printedLen {
			pr.str(", length ")
			pr.u(uint64(length))
			pr.str(": ")
		} else {
			pr.str(", ")
		}
	}
	if !pr.ethertype(t, p, rest) {
		if !pr.e {
			pr.mac(src)
			pr.str(" > ")
			pr.mac(dst)
			pr.str(", ")
			pr.etherType(t)
			pr.str(", length ")
			pr.u(uint64(length))
			pr.str(": ")
		}
		if !pr.noDefault() {
			pr.hexASCII("\n\t", p)
		}
	}
	return hdr
}

// ethertype prints the payload of a known ethertype and reports whether it
// knew it.
func (pr *printer) ethertype(t uint16, b []byte, length int) bool {
	switch t {
	case 0x0800:
		pr.ipv4(b, length, false)
	case 0x86dd:
		pr.ipv6(b, length)
	case 0x0806:
		pr.arp(b, length)
	default:
		return false
	}
	return true
}

// hexASCII is tcpdump's hex_and_ascii_print: 16 bytes a line, offset,
// hex in 16-bit groups, printable ASCII.
func (pr *printer) hexASCII(ident string, b []byte) {
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		pr.str(ident)
		pr.str("0x")
		pr.hexN(uint64(off), 4)
		pr.str(": ")
		start := len(pr.b)
		for i := 0; i < len(line); i += 2 {
			pr.b = append(pr.b, ' ')
			pr.hexN(uint64(line[i]), 2)
			if i+1 < len(line) {
				pr.hexN(uint64(line[i+1]), 2)
			}
		}
		for len(pr.b)-start < 40 {
			pr.b = append(pr.b, ' ')
		}
		pr.str("  ")
		for _, c := range line {
			if c > 0x20 && c < 0x7f {
				pr.b = append(pr.b, c)
			} else {
				pr.b = append(pr.b, '.')
			}
		}
	}
}

// hex is tcpdump's hex_print (-x).
func (pr *printer) hex(ident string, b []byte) {
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		pr.str(ident)
		pr.str("0x")
		pr.hexN(uint64(off), 4)
		pr.str(": ")
		for i := 0; i < len(line); i += 2 {
			pr.b = append(pr.b, ' ')
			pr.hexN(uint64(line[i]), 2)
			if i+1 < len(line) {
				pr.hexN(uint64(line[i+1]), 2)
			}
		}
	}
}

// ascii is tcpdump's ascii_print (-A).
func (pr *printer) ascii(b []byte) {
	pr.b = append(pr.b, '\n')
	for i, c := range b {
		switch {
		case c == '\r':
			if i+1 == len(b) || b[i+1] != '\n' {
				pr.b = append(pr.b, '.')
			}
		case c > 0x20 && c < 0x7f, c == '\t', c == ' ', c == '\n':
			pr.b = append(pr.b, c)
		default:
			pr.b = append(pr.b, '.')
		}
	}
}

// can prints a LINKTYPE_CAN_SOCKETCAN record (can_id big-endian). tcpdump
// 4.99 has no printer for it ("UNSUPPORTED" and a hex dump); this is
// candump's layout: CAN or CANFD, id (3 hex digits, 8 for extended ids),
// [length], data bytes or "remote request", BRS/ESI for CAN FD.
func (pr *printer) can(b []byte) {
	if len(b) < 8 {
		pr.str("[|can]")
		return
	}
	id := binary.BigEndian.Uint32(b)
	n := int(b[4])
	fd := len(b) == 72 || b[5]&0x04 != 0
	switch {
	case id&0x20000000 != 0:
		pr.str("CAN error ")
		pr.hexU(uint64(id&0x1fffffff), 8)
	default:
		if fd {
			pr.str("CANFD ")
		} else {
			pr.str("CAN ")
		}
		if id&0x80000000 != 0 {
			pr.hexU(uint64(id&0x1fffffff), 8)
		} else {
			pr.hexU(uint64(id&0x7ff), 3)
		}
	}
	pr.str(" [")
	pr.u(uint64(n))
	pr.b = append(pr.b, ']')
	if fd {
		if b[5]&0x01 != 0 {
			pr.str(" BRS")
		}
		if b[5]&0x02 != 0 {
			pr.str(" ESI")
		}
	}
	if id&0x40000000 != 0 && !fd {
		pr.str(" remote request")
		return
	}
	data := b[8:]
	if n > len(data) {
		n = len(data)
	}
	for _, c := range data[:n] {
		pr.b = append(pr.b, ' ')
		pr.hexU(uint64(c), 2)
	}
}

// noDefault is tcpdump's ndo_suppress_default_print: -q, -x and -X turn
// off the hex dump of payloads no printer decodes.
func (pr *printer) noDefault() bool { return pr.q || pr.x > 0 || pr.X > 0 }
