//go:build !hil

package packet

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
)

// filterTable is checked against tcpdump's own verdicts on the corpus.
var filterTable = []string{
	"tcp", "udp", "icmp", "ip", "ip6", "arp", "rarp", "vlan", "vlan 100", "vlan 200 and ip6", "host 10.0.0.1",
	"src host 10.0.0.1", "dst host 10.0.0.2", "net 10.0.0.0/24", "net 10.0", "port 80", "src port 1234",
	"dst port 53", "tcp port 80", "udp port 5353", "portrange 5000-6000", "tcp and port 80", "tcp or udp", "not tcp",
	"ip and not icmp", "host 10.0.0.1 and (port 80 or port 53)", "ether host 02:00:00:00:00:0a",
	"ether src 02:00:00:00:00:0b", "ether broadcast", "ether multicast", "broadcast", "multicast",
	"ether proto 0x88b5", "ether proto \\arp", "ip proto 1", "ip proto \\udp", "proto 17", "greater 500", "less 100",
	"tcp[tcpflags] & tcp-syn != 0", "tcp[13] & 2 != 0", "tcp[tcpflags] & (tcp-rst|tcp-fin) != 0",
	"ip[6:2] & 0x1fff != 0", "icmp[icmptype] == icmp-echo", "icmp[0] = 0", "ip6 and udp", "host 2001:db8::1",
	"ip6 host 2001:db8::1", "net 2001:db8::/64", "src net 2001:db8::/127", "udp and dst port 547",
	"ether[12:2] = 0x88b5", "len >= 100", "len - 14 > 100", "ip multicast", "ip6 multicast",
	"dst net 224.0.0.0/4", "tcp src port 22 or tcp dst port 2222", "vlan and udp", "vlan 100 and host 10.0.1.1",
	"udp dst port 67", "net 10.0.0.0 mask 255.255.255.0", "src net 10.0.0.0/8 and dst port 123", "ip6 proto 58",
	"icmp6", "icmp6[icmp6type] = icmp6-echo", "not ip and not ip6", "udp portrange 5000-6000", "ip and ip[8] = 64",
	"ether dst ff:ff:ff:ff:ff:ff", "host 10.0.0.1 or host 8.8.8.8 and icmp", "port 80 or 53",
	"host 10.0.0.1 or 10.0.0.2", "src or dst port 1234", "src and dst net 10.0.0.0/24", "arp host 10.0.0.2",
	"ip[2:2] > 100", "ip[2:2] * 2 + 1 > 201", "(ip[0] & 0xf) > 5", "ip[0] & 0xf != 5", "tcp[(tcp[12] >> 4) * 4] = 0",
	"udp[8] = 0 and udp[4:2] > 16", "ip[9] % 5 = 1", "ip[12:4] - ip[16:4] = 0", "ip[ip[0] & 0xf] > 0",
	"ether[0] & 1 = 0 and ip", "not (tcp or udp or icmp)", "!ip6 && !arp", "ip[8] ^ 0x40 = 0", "ip[6] << 1 >= 0x80",
	"udp port domain", "tcp port http", "port 67 or port 68", "portrange 1-1023", "sctp", "igmp", "ip6 and tcp port 443",
}

// writeCorpusPcap writes the filter corpus as a classic pcap file whose
// packet i has timestamp 1700000000+i s, so tcpdump -tt output names it.
func writeCorpusPcap(t testing.TB, path string) [][]byte {
	t.Helper()
	frames := filterCorpus()
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h, pcapMagicMicro)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], defaultSnapLen)
	binary.LittleEndian.PutUint32(h[20:], uint32(LinkTypeEthernet))
	for i, fr := range frames {
		r := make([]byte, 16)
		binary.LittleEndian.PutUint32(r, uint32(1700000000+i))
		binary.LittleEndian.PutUint32(r[8:], uint32(len(fr)))
		binary.LittleEndian.PutUint32(r[12:], uint32(len(fr)))
		h = append(append(h, r...), fr...)
	}
	if err := os.WriteFile(path, h, 0o644); err != nil {
		t.Fatal(err)
	}
	return frames
}

// tcpdumpVerdicts runs `tcpdump -r path -nn -tt EXPR` and returns the
// indexes of the corpus packets it accepts.
func tcpdumpVerdicts(t testing.TB, tcpdump, path, expr string) []int {
	t.Helper()
	cmd := exec.Command(tcpdump, "-r", path, "-nn", "-tt", expr)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s: %v %s", cmd, err, stderr)
	}
	var idx []int
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			continue // continuation lines (hex dumps)
		}
		sec, _, _ := strings.Cut(strings.Fields(l)[0], ".")
		n, err := strconv.Atoi(sec)
		if err != nil {
			t.Fatalf("tcpdump line %q", l)
		}
		idx = append(idx, n-1700000000)
	}
	return idx
}

func runFilter(t testing.TB, prog []bpf.Instruction, frames [][]byte) []int {
	t.Helper()
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatalf("bpf VM rejects program: %v\n%v", err, prog)
	}
	var idx []int
	for i, f := range frames {
		n, err := vm.Run(f)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if n > 0 {
			idx = append(idx, i)
		}
	}
	return idx
}

// TestFilterMatchesTcpdump: every expression of the table must accept
// exactly the packets tcpdump -r accepts on the same file.
func TestFilterMatchesTcpdump(t *testing.T) {
	tcpdump := lookTool(t, "tcpdump")
	path := filepath.Join(t.TempDir(), "corpus.pcap")
	frames := writeCorpusPcap(t, path)
	for _, expr := range filterTable {
		want := tcpdumpVerdicts(t, tcpdump, path, expr)
		prog, err := CompileFilter(expr, nil)
		if err != nil {
			t.Errorf("%q: %v", expr, err)
			continue
		}
		if got := runFilter(t, prog, frames); !slices.Equal(got, want) {
			t.Errorf("%q: accepts %v, tcpdump accepts %v", expr, got, want)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	for _, expr := range []string{
		"tcp port", "host", "port 99999", "ip[1:3] = 0", "vlan 5000", "host example.com", "net 10.0.0.1/24",
		"(tcp", "tcp)", "tcp and", "ip broadcast", "1 / 0 = 1", "ether host 1.2.3.4", "tcp[0 = 1",
		"portrange 5-", "tcp ==", "ether", "ether proto 70000", "udp port 1 @", "outbound",
	} {
		if prog, err := CompileFilter(expr, nil); err == nil {
			t.Errorf("%q compiled to %v, want an error", expr, prog)
		}
	}
}

func TestFilterEmptyAcceptsAll(t *testing.T) {
	prog, err := CompileFilter("  ", &FilterOptions{LinkType: LinkTypeEthernet, SnapLen: 100})
	if err != nil || len(prog) != 1 || prog[0] != (bpf.RetConstant{Val: 100}) {
		t.Fatalf("%v %v", prog, err)
	}
}
