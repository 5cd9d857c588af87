package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/packet"
)

// Where fieldgate capture's lines differ from tcpdump 4.99's (tcpdump -n):
//
//   - Payloads tcpdump decodes by port: DNS, DHCP, NTP, SNMP, syslog, VXLAN
//     and the other UDP protocols end at "UDP, length N"; HTTP, SSH, BGP,
//     SMB and the other TCP ones at ", length N".
//   - Link layers other than Ethernet, VLAN, Linux cooked v2 (tcpdump -i
//     any files) and raw IP; 802.3/LLC frames (STP, CDP, ...) print the
//     MAC addresses, "802.3, length N: LLC" and a hex dump; ethertypes
//     other than IPv4, IPv6 and ARP (LLDP, PTP, MPLS, PPPoE, EAPOL, ...)
//     print as unknown ones do (addresses, ethertype, hex dump).
//   - IP protocols other than TCP, UDP, ICMP, ICMPv6 and IP-in-IP (GRE,
//     ESP, SCTP, IGMP, OSPF, PIM, VRRP, ...) print "ip-proto-N LENGTH";
//     IPv4 options print as "options (...)" under -v; IPv6 routing
//     headers are not decoded.
//   - ICMP types other than echo, unreachable, redirect, time exceeded and
//     parameter problem print their name only (router advertisement
//     entries, timestamps and address masks are not shown); ICMPv6
//     multicast listener queries, router advertisements and redirects
//     print their name and length only, and with -v neighbour discovery
//     options other than link-layer addresses and MTU print as unknown.
//   - TCP options other than mss, nop, eol, wscale, sackOK, sack, TS and
//     the experimental ones (md5, mptcp, tfo, uto, ...) print as
//     "unknown-N 0x..." rather than decoded.
//   - -vv and -vvv show what -v shows, plus IPv4 UDP checksums and TCP
//     sequence numbers on every segment.
//   - SocketCAN (LINKTYPE_CAN_SOCKETCAN): tcpdump 4.99 has no printer and
//     prints "UNSUPPORTED" and a hex dump; fieldgate prints a candump-like
//     summary (TestKnownDifferences holds examples).
//   - Files: -w writes pcapng (tcpdump writes pcap); a CAN FD record
//     keeps the frame's BRS and ESI flags and CANFD_FDF where libpcap
//     1.10.3 writes 0 (TestHILCaptureVCANMatchesTcpdump compares the
//     records of both on vcan0).
//   - Host and port names are never looked up: every line is what tcpdump
//     prints with -n.
//
// TestSummariesMatchTcpdump holds fieldgate to tcpdump's bytes for the
// corpus of corpus_test.go under every printing option;
// TestKnownDifferences keeps one frame for each difference above that a
// frame shows, and fails if tcpdump ever prints the same line (the list
// would then be out of date).

func needTcpdump(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump not installed (hil/apt.go HostPackages installs it)")
	}
	return p
}

func runCapture(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := Capture(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("fieldgate capture %q: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

func runTcpdump(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(needTcpdump(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tcpdump %q: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + itoa(i+1) + ":\n  fieldgate: " + x + "\n  tcpdump:   " + y
		}
	}
	return ""
}

func TestSummariesMatchTcpdump(t *testing.T) {
	needTcpdump(t)
	path := filepath.Join(t.TempDir(), "corpus.pcapng")
	frames := corpusFrames()
	writeCorpus(t, path, frames)
	for _, flags := range [][]string{
		{}, {"-e"}, {"-q"}, {"-v"}, {"-x"}, {"-xx"}, {"-X"}, {"-XX"}, {"-A"}, {"-AA"},
		{"-t"}, {"-tt"}, {"-ttt"}, {"-tttt"}, {"-ttttt"}, {"-#"}, {"-S"},
		{"-e", "-v"}, {"-e", "-q"}, {"-q", "-v"}, {"-v", "-X"}, {"-e", "-x"}, {"-nn", "-#", "-tttt"},
		// Filters, as positional words and with -f, and -c.
		{"tcp"}, {"udp", "port", "40001"}, {"arp", "or", "icmp6"}, {"vlan"}, {"ip6", "and", "tcp"}, {"not", "ip"},
		{"-c", "5"}, {"-c", "7", "tcp[tcpflags]", "&", "tcp-syn", "!=", "0"},
	} {
		args := append([]string{"-n", "-r", path}, flags...)
		ours := runCapture(t, args...)
		theirs := runTcpdump(t, args...)
		if ours != theirs {
			t.Errorf("%q: fieldgate and tcpdump differ at %s", flags, firstDiff(ours, theirs))
		}
		if ours == "" {
			t.Errorf("%q: no output", flags)
		}
	}
	// -f EXPR is the positional expression.
	if a, b := runCapture(t, "-r", path, "-f", "udp port 40001"), runCapture(t, "-r", path, "udp", "port", "40001"); a != b || a == "" {
		t.Errorf("-f and positional filter differ:\n%s\n%s", a, b)
	}
	// -r with -w: the file tcpdump reads back is the filtered corpus.
	out := filepath.Join(t.TempDir(), "tcp.pcapng")
	if got := runCapture(t, "-r", path, "-w", out, "tcp"); got != "" {
		t.Errorf("-r -w printed %q", got)
	}
	if a, b := runTcpdump(t, "-n", "-r", out), runTcpdump(t, "-n", "-r", path, "tcp"); a != b {
		t.Errorf("-r -w tcp: file differs from the filtered corpus at %s", firstDiff(a, b))
	}
	// tcpdump -w writes classic pcap: fieldgate reads it the same way.
	pcap := filepath.Join(t.TempDir(), "corpus.pcap")
	runTcpdump(t, "-r", path, "-w", pcap)
	if a, b := runCapture(t, "-r", pcap, "-v"), runTcpdump(t, "-n", "-r", pcap, "-v"); a != b {
		t.Errorf("pcap input: differs at %s", firstDiff(a, b))
	}
}

// knownDifference is one frame where fieldgate prints something else than
// tcpdump, on purpose or for want of a decoder.
type knownDifference struct {
	name  string
	lt    packet.LinkType
	frame []byte
	want  string // fieldgate's line without the timestamp
}

func knownDifferences() []knownDifference {
	dns := []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1}
	http := []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	stp := append([]byte{0x42, 0x42, 0x03}, make([]byte, 35)...)
	llc := append(append([]byte{1, 0x80, 0xc2, 0, 0, 0}, macA...), byte(len(stp)>>8), byte(len(stp)))
	llc = append(llc, stp...)
	canRec := func(id uint32, fd bool, flags uint8, data []byte) []byte {
		r, err := packet.AppendCANRecord(nil, id, fd, flags, data)
		if err != nil {
			panic(err)
		}
		return r
	}
	return []knownDifference{
		{"DNS query", packet.LinkTypeEthernet, ether(macB, macA, 0x0800, ipv4(ip4A, ip4B, 17, ip4opts{id: 1}, udp(ip4A, ip4B, 40000, 53, dns))),
			"IP 10.0.0.1.40000 > 10.0.0.2.53: UDP, length 29"},
		{"HTTP request", packet.LinkTypeEthernet, ether(macB, macA, 0x0800, ipv4(ip4A, ip4B, 6, ip4opts{id: 2}, tcp(ip4A, ip4B, 40000, 80, 1, 1, fPSH|fACK, 502, 0, nil, http))),
			"IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1:28, ack 1, win 502, length 27"},
		{"STP over 802.3/LLC", packet.LinkTypeEthernet, llc,
			"02:00:00:00:00:0a > 01:80:c2:00:00:00, 802.3, length 38: LLC\n\t0x0000:  4242 0300 0000 0000 0000 0000 0000 0000  BB..............\n\t0x0010:  0000 0000 0000 0000 0000 0000 0000 0000  ................\n\t0x0020:  0000 0000 0000                           ......"},
		{"CAN standard id", packet.LinkTypeCANSocketCAN, canRec(0x123, false, 0, []byte{1, 2, 3}), "CAN 123 [3] 01 02 03"},
		{"CAN extended id", packet.LinkTypeCANSocketCAN, canRec(0x80000000|0x1abcdef, false, 0, []byte{0xde, 0xad}), "CAN 01ABCDEF [2] DE AD"},
		{"CAN remote request", packet.LinkTypeCANSocketCAN, canRec(0x40000000|0x321, false, 0, nil), "CAN 321 [0] remote request"},
		{"CAN FD with BRS", packet.LinkTypeCANSocketCAN, canRec(0x456, true, 1, seqBytes(12, 0)), "CANFD 456 [12] BRS 00 01 02 03 04 05 06 07 08 09 0A 0B"},
	}
}

func TestKnownDifferences(t *testing.T) {
	needTcpdump(t)
	for _, k := range knownDifferences() {
		path := filepath.Join(t.TempDir(), "k.pcapng")
		w, err := packet.CreateFile(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := w.AddInterface(packet.Interface{Name: "x", LinkType: k.lt})
		w.WritePacket(id, packet.CaptureInfo{Timestamp: time.Unix(1, 0)}, k.frame)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		ours := runCapture(t, "-t", "-r", path)
		if ours != k.want+"\n" {
			t.Errorf("%s: fieldgate prints\n%q\nwant\n%q", k.name, ours, k.want+"\n")
		}
		if theirs := runTcpdump(t, "-n", "-t", "-r", path); theirs == ours {
			t.Errorf("%s: tcpdump now prints the same line (%q): drop it from the list of differences", k.name, theirs)
		}
	}
}

// TestAnyPrefix: packets of -i any (and of LINUX_SLL2 files) start with
// the interface name and direction as tcpdump -i any prints them.
func TestAnyPrefix(t *testing.T) {
	pr := &printer{t: 1}
	u := ether(make([]byte, 6), make([]byte, 6), 0x0800, ipv4(netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.1"), 17, ip4opts{}, udp(netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.1"), 40000, 49999, []byte("hi\n"))))
	got := string(pr.format(&pkt{lt: packet.LinkTypeEthernet, data: u, length: len(u), ifname: "lo", ifindex: 1, typ: packet.Host, any: true}))
	if want := "lo    In  IP 127.0.0.1.40000 > 127.0.0.1.49999: UDP, length 3\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	pr.e = true
	got = string(pr.format(&pkt{lt: packet.LinkTypeEthernet, data: u[:45], length: 45, ifname: "lo", ifindex: 1, typ: packet.Outgoing, addr: make([]byte, 6), any: true}))
	if want := "lo    Out ifindex 1 00:00:00:00:00:00 ethertype IPv4 (0x0800), length 51: 127.0.0.1.40000 > 127.0.0.1.49999: UDP, length 3\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// The same packet as a LINUX_SLL2 record.
	var h [20]byte
	binary.BigEndian.PutUint16(h[0:], 0x0800)
	binary.BigEndian.PutUint32(h[4:], 1)
	binary.BigEndian.PutUint16(h[8:], 772)
	h[11] = 6
	rec := append(h[:], u[14:45]...)
	pr.e = false
	got = string(pr.format(&pkt{lt: packet.LinkTypeLinuxSLL2, data: rec, length: len(rec)}))
	if !strings.HasSuffix(got, "In  IP 127.0.0.1.40000 > 127.0.0.1.49999: UDP, length 3\n") {
		t.Errorf("SLL2: got %q", got)
	}
}

// TestFormatNoAllocs: printing a packet of a known TCP conversation
// allocates nothing.
func TestFormatNoAllocs(t *testing.T) {
	frames := corpusFrames()
	pr := &printer{v: 1, e: true}
	pks := make([]pkt, len(frames))
	for i, f := range frames {
		pks[i] = pkt{ts: time.Unix(int64(i), 0), lt: packet.LinkTypeEthernet, data: f, length: len(f)}
		pr.format(&pks[i])
	}
	allocs := testing.AllocsPerRun(20, func() {
		for i := range pks {
			pr.format(&pks[i])
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per corpus pass, want 0", allocs)
	}
}
