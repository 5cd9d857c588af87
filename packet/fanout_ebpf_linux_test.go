//go:build linux && !hil

package packet

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestFanoutEBPF loads eBPF socket-filter programs with bpf(2) and uses
// them as PACKET_FANOUT_EBPF selectors. Every packet must land on exactly
// the socket the program picks (its return value modulo the member count,
// sockets numbered in the order they joined): the counts per socket are
// asserted exactly, and every packet is checked against its socket.
func TestFanoutEBPF(t *testing.T) {
	const flows, perFlow = 16, 20
	for _, tc := range []struct {
		name  string
		prog  []ebpfInsn
		socks int
		// want returns the socket of packet i of flow f (frame length
		// 14+20+8+8 = 50 bytes plus pad for odd flows).
		want func(f int) int
		pad  func(f int) int
	}{
		{
			// r0 = first UDP payload byte (the flow number): the fanout
			// program sees the packet from the network header, so it is at
			// 20 (IPv4) + 8 (UDP). The kernel takes it modulo 3.
			name: "payload-byte-mod-3",
			prog: []ebpfInsn{
				{op: ebpfMovX, dst: 6, src: 1}, // r6 = ctx, as LD_ABS requires
				{op: ebpfLdAbsB, imm: 28},
				{op: ebpfExit},
			},
			socks: 3,
			want:  func(f int) int { return f % 3 },
			pad:   func(int) int { return 0 },
		},
		{
			// r0 = skb->len & 1 (struct __sk_buff starts with len). skb->len
			// counts from the network header here; flows with an odd
			// number get one byte more of UDP payload, so an odd length.
			name: "skb-len-parity",
			prog: []ebpfInsn{
				{op: ebpfLdxW, dst: 0, src: 1, off: 0},
				{op: ebpfAndK, dst: 0, imm: 1},
				{op: ebpfExit},
			},
			socks: 2,
			want:  func(f int) int { return f & 1 },
			pad:   func(f int) int { return f & 1 },
		},
		{
			// The program's own modulo: (byte % 4) over 4 sockets.
			name: "payload-byte-prog-mod-4",
			prog: []ebpfInsn{
				{op: ebpfMovX, dst: 6, src: 1},
				{op: ebpfLdAbsB, imm: 28},
				{op: ebpfModK, dst: 0, imm: 4},
				{op: ebpfExit},
			},
			socks: 4,
			want:  func(f int) int { return f % 4 },
			pad:   func(int) int { return 0 },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd, err := loadSocketFilter(tc.name, tc.prog)
			if err != nil {
				// Not expected on the host kernel (6.18, CONFIG_BPF_SYSCALL=y,
				// run as root); say exactly why if it happens.
				t.Skipf("the kernel refuses to load an eBPF socket filter: %v", err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			n := newVethNet(t)
			filter, err := AssembleFilter("udp and dst port 9", nil)
			if err != nil {
				t.Fatal(err)
			}
			group := uint16(60 + tc.socks)
			socks := make([]*Conn, tc.socks)
			for i := range socks {
				socks[i] = n.listen(t, "B", &Config{Filter: filter, ReadBuffer: 4 << 20,
					Fanout: &FanoutConfig{Group: group, Mode: FanoutEBPF, EBPFProgram: fd}})
			}
			if g, m, ok, err := socks[0].FanoutGroup(); err != nil || !ok || g != group || m != FanoutEBPF {
				t.Fatalf("FanoutGroup = %d %v %v %v, want %d ebpf", g, m, ok, err, group)
			}
			tx := n.listen(t, "A", nil)
			wantCount := make([]int, tc.socks)
			for i := range perFlow {
				for f := range flows {
					fr := ether(macB, macA, 0x0800, ipv4("10.9.0.1", "10.9.0.2", 17, 0, nil,
						udpDgram(uint16(10000+f), 9, append([]byte{byte(f), byte(i), 0, 0, 0, 0, 0, 0}, make([]byte, tc.pad(f))...))))
					if _, err := tx.Write(fr); err != nil {
						t.Fatal(err)
					}
					wantCount[tc.want(f)]++
				}
			}
			got := make([]int, tc.socks)
			for s, c := range socks {
				quiet := 50 * time.Millisecond
				if s == 0 {
					quiet = 200 * time.Millisecond
				}
				for _, d := range drain(t, c, quiet) {
					f := int(d[42])
					if w := tc.want(f); w != s {
						t.Errorf("flow %d packet %d (%d bytes) on socket %d, program says %d", f, d[43], len(d), s, w)
					}
					got[s]++
				}
				st, err := c.Stats()
				if err != nil || st.Drops != 0 {
					t.Errorf("socket %d stats %+v %v: want no drops", s, st, err)
				}
			}
			for s := range got {
				if got[s] != wantCount[s] {
					t.Errorf("socket %d got %d packets, want exactly %d (all: %v, want %v)", s, got[s], wantCount[s], got, wantCount)
				}
			}
			t.Logf("%s: packets per socket %v", tc.name, got)
		})
	}
}

// TestFanoutEBPFBadProgram: a descriptor that is not a BPF program is
// refused by the kernel, and the error says which option and wraps the
// errno.
func TestFanoutEBPFBadProgram(t *testing.T) {
	n := newVethNet(t)
	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lerr error
	n.do(t, func() {
		ifi, err := net.InterfaceByName("B")
		if err != nil {
			lerr = err
			return
		}
		var c *Conn
		c, lerr = Listen(ifi, &Config{Fanout: &FanoutConfig{Group: 70, Mode: FanoutEBPF, EBPFProgram: int(f.Fd())}})
		if lerr == nil {
			c.Close()
		}
	})
	if lerr == nil || !strings.Contains(lerr.Error(), "PACKET_FANOUT_DATA") || !errors.Is(lerr, unix.EINVAL) && !errors.Is(lerr, unix.EBADF) {
		t.Fatalf("Listen with /dev/null as the eBPF program: %v, want a PACKET_FANOUT_DATA EINVAL/EBADF error", lerr)
	}
	if _, err := Listen(nil, &Config{Fanout: &FanoutConfig{Group: 70, Mode: FanoutEBPF}}); err == nil || !strings.Contains(err.Error(), "EBPFProgram") {
		t.Fatalf("Listen without a program fd: %v, want an EBPFProgram error", err)
	}
}
