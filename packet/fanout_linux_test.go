//go:build linux && !hil

package packet

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/bpf"
)

// flowFrame is an IPv4/UDP frame of flow f (source port 10000+f), packet i.
func flowFrame(f, i int) []byte {
	return ether(macB, macA, 0x0800, ipv4("10.9.0.1", "10.9.0.2", 17, 0, nil, udpDgram(uint16(10000+f), 9, []byte{byte(f), byte(i), 0, 0, 0, 0, 0, 0})))
}

// drain reads from c until no packet arrives for quiet.
func drain(t testing.TB, c *Conn, quiet time.Duration) [][]byte {
	t.Helper()
	var out [][]byte
	buf := make([]byte, 4096)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), quiet)
		p, err := c.ReadPacket(ctx, buf)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bytes.Clone(p.Data))
	}
}

// drainAll reads every socket until want packets arrived in all or 20 s
// passed, then for quiet more to catch any extra: on a loaded machine the
// kernel may deliver the last packets long after they were sent, so a
// fixed quiet period alone can end the count early.
func drainAll(t testing.TB, want int, quiet time.Duration, conns ...*Conn) [][][]byte {
	t.Helper()
	out := make([][][]byte, len(conns))
	var mu sync.Mutex
	total := 0
	deadline := time.Now().Add(20 * time.Second)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			for {
				mu.Lock()
				done := total >= want
				mu.Unlock()
				// Short waits, so that a socket that has nothing more
				// notices soon when the others completed the count.
				wait := 20 * time.Millisecond
				if done {
					wait = quiet
				}
				ctx, cancel := context.WithTimeout(context.Background(), wait)
				p, err := c.ReadPacket(ctx, buf)
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					if done || time.Now().After(deadline) {
						return
					}
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				out[i] = append(out[i], bytes.Clone(p.Data))
				total++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

func TestFanoutSpreadsFlows(t *testing.T) {
	const flows, perFlow = 16, 20
	for _, tc := range []struct {
		name string
		cfg  FanoutConfig
	}{
		{"hash", FanoutConfig{Group: 42, Mode: FanoutHash}},
		{"lb", FanoutConfig{Group: 43, Mode: FanoutLB}},
		{"cbpf", FanoutConfig{Group: 44, Mode: FanoutCBPF, Filter: mustAssemble(t, []bpf.Instruction{
			// socket = source port & 1: the fanout program sees the
			// packet from the network header, so the port is at 20.
			bpf.LoadAbsolute{Off: 20, Size: 2}, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 1}, bpf.RetA{},
		})}},
		{"hash-maxmembers", FanoutConfig{Group: 45, Mode: FanoutHash, MaxMembers: 1024}},
		{"uniqueid-rollover", FanoutConfig{Mode: FanoutRollover, UniqueID: true}},
		{"random", FanoutConfig{Group: 46, Mode: FanoutRandom}},
		{"cpu", FanoutConfig{Group: 47, Mode: FanoutCPU}},
		{"qm", FanoutConfig{Group: 48, Mode: FanoutQM, Defrag: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newVethNet(t)
			filter, err := AssembleFilter("udp and dst port 9", nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg := &Config{Filter: filter, Fanout: &tc.cfg, ReadBuffer: 4 << 20}
			s0 := n.listen(t, "B", cfg)
			if tc.cfg.UniqueID {
				g, _, ok, err := s0.FanoutGroup()
				if err != nil || !ok {
					t.Fatalf("FanoutGroup: %v %v", ok, err)
				}
				c2 := tc.cfg
				c2.UniqueID, c2.Group = false, g
				cfg = &Config{Filter: filter, Fanout: &c2, ReadBuffer: 4 << 20}
			}
			s1 := n.listen(t, "B", cfg)
			tx := n.listen(t, "A", nil)
			for i := range perFlow {
				for f := range flows {
					if _, err := tx.Write(flowFrame(f, i)); err != nil {
						t.Fatal(err)
					}
				}
			}
			all := drainAll(t, flows*perFlow, 200*time.Millisecond, s0, s1)
			got := [2][][]byte{all[0], all[1]}
			if total := len(got[0]) + len(got[1]); total != flows*perFlow {
				t.Fatalf("sockets got %d + %d packets, want %d in all", len(got[0]), len(got[1]), flows*perFlow)
			}
			owner := map[int]map[int]bool{}
			for s := range 2 {
				for _, d := range got[s] {
					f := int(d[42])
					if owner[f] == nil {
						owner[f] = map[int]bool{}
					}
					owner[f][s] = true
				}
			}
			switch tc.cfg.Mode {
			case FanoutHash, FanoutCBPF:
				for f, s := range owner {
					if len(s) != 1 {
						t.Errorf("flow %d split over both sockets", f)
					}
				}
				if len(got[0]) == 0 || len(got[1]) == 0 {
					t.Errorf("no spreading: %d / %d", len(got[0]), len(got[1]))
				}
				if tc.cfg.Mode == FanoutCBPF {
					for s := range 2 {
						for _, d := range got[s] {
							if int(d[42])&1 != s {
								t.Fatalf("cbpf: flow %d on socket %d", d[42], s)
							}
						}
					}
				}
			case FanoutLB:
				if len(got[0]) != flows*perFlow/2 {
					t.Errorf("lb: %d / %d, want an even split", len(got[0]), len(got[1]))
				}
			case FanoutRollover:
				if len(got[0]) == 0 {
					t.Errorf("rollover: first socket got nothing")
				}
			}
			t.Logf("%s: %d / %d packets", tc.name, len(got[0]), len(got[1]))
		})
	}
}

func mustAssemble(t testing.TB, prog []bpf.Instruction) []bpf.RawInstruction {
	raw, err := bpf.Assemble(prog)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestKernelFilterMatchesTcpdump attaches compiled filters to live sockets
// and checks that the kernel lets through exactly what tcpdump accepts
// from the same frames in a file (VLAN tags are stripped by the receive
// path, the kernel-mode program tests them through ancillary data).
func TestKernelFilterMatchesTcpdump(t *testing.T) {
	tcpdump := lookTool(t, "tcpdump")
	path := filepath.Join(t.TempDir(), "corpus.pcap")
	frames := writeCorpusPcap(t, path)
	n := newVethNet(t)
	conns := make([]*Conn, len(filterTable))
	for i, expr := range filterTable {
		raw, err := AssembleFilter(expr, nil)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		conns[i] = n.listen(t, "B", &Config{Filter: raw})
	}
	tx := n.listen(t, "A", nil)
	for _, f := range frames {
		if _, err := tx.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	for i, expr := range filterTable {
		want := tcpdumpVerdicts(t, tcpdump, path, expr)
		var got []int
		for _, d := range drain(t, conns[i], 30*time.Millisecond) {
			idx := slices.IndexFunc(frames, func(f []byte) bool { return bytes.Equal(f, d) })
			if idx < 0 {
				t.Errorf("%q: received a frame not in the corpus: %x", expr, d)
				continue
			}
			got = append(got, idx)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: kernel passed %v, tcpdump accepts %v", expr, got, want)
		}
	}
	_ = os.Remove(path)
}
