//go:build linux && !hil

package packet

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkTransmit compares the three transmit paths on veth A (B has no
// socket; the kernel drops the frames in B's IP layer, the same work for
// every path): one sendto(2) per frame (WriteTo), WriteBatch over
// sendmmsg(2), and WriteBatch through the PACKET_TX_RING. 64-byte UDP
// frames, batches of 256. ns/op is per frame; cpu-ns/pkt is the process's
// user+system time per frame (the receive side's softirq work on the veth
// peer runs on the sending CPU and is included, equally for all paths).
//
// Run: go test -run '^$' -bench BenchmarkTransmit -benchtime 2000000x -count 3 ./packet
func BenchmarkTransmit(b *testing.B) {
	frames := benchFrames()
	const batch = 256
	for _, tc := range []struct {
		name string
		tx   *TxRingConfig
	}{
		{"sendto", nil},
		{"sendmmsg", nil},
		{"txring", &TxRingConfig{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			n := newVethNet(b)
			tx := n.listen(b, "A", &Config{SendOnly: true, TxRing: tc.tx})
			bs := make([][]byte, batch)
			for i := range bs {
				bs[i] = frames[i%len(frames)]
			}
			cpu0 := cpuTime()
			b.ResetTimer()
			for sent := 0; sent < b.N; {
				m := min(batch, b.N-sent)
				if tc.name == "sendto" {
					for i := range m {
						if _, err := tx.Write(bs[i]); err != nil {
							b.Fatal(err)
						}
					}
				} else if _, err := tx.WriteBatch(bs[:m]); err != nil {
					b.Fatal(err)
				}
				sent += m
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/pkt")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkt/s")
		})
	}
}

// benchFrames returns 64 IPv4/UDP frames of 64 bytes, one per flow.
func benchFrames() [][]byte {
	frames := make([][]byte, 64)
	for f := range frames {
		frames[f] = ether(macB, macA, 0x0800, ipv4("10.8.0.1", "10.8.0.2", 17, 0, nil, udpDgram(uint16(20000+f), 9, make([]byte, 14))))
	}
	return frames
}

// cpuTime is the process's user+system time.
func cpuTime() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
