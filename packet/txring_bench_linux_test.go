//go:build linux && !hil

package packet

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkTransmit compares three transmit paths on veth A: one
// sendto(2) per frame (WriteTo), WriteBatch over sendmmsg(2), and the
// PACKET_TX_RING that was evaluated for WriteBatch (txring_eval_linux_test.go); 64-byte UDP frames, batches of
// 256. ns/op is per frame; cpu-ns/pkt is the process's user+system time
// per frame. The veth peer's receive work runs on the sending CPU and is
// included: with dst=B the frames go up B's IP layer (which drops them:
// not for a local address), the same work for every path; with
// dst=otherhost they carry another MAC and B drops them at once, which
// leaves mostly the transmit path's own cost; otherhost-1514 does that
// with full-size frames, where the ring's zero-copy skbs (frags pointing
// into the ring) could pay.
//
// Run: go test -run '^$' -bench BenchmarkTransmit -benchtime 2000000x -count 3 ./packet
func BenchmarkTransmit(b *testing.B) {
	const batch = 256
	for _, dst := range []string{"B", "otherhost", "otherhost-1514"} {
		frames := benchFrames()
		if dst == "otherhost-1514" {
			for i := range frames {
				frames[i] = ether(macB, macA, 0x0800, ipv4("10.8.0.1", "10.8.0.2", 17, 0, nil, udpDgram(uint16(20000+i), 9, make([]byte, 1472))))
			}
		}
		if dst != "B" {
			for _, f := range frames {
				f[5] = 0x0c // 02:00:00:00:00:0c: nobody's
			}
		}
		for _, tc := range []struct {
			name string
			ring *txRingConfig
		}{
			{"sendto", nil},
			{"sendmmsg", nil},
			{"txring", &txRingConfig{}},
		} {
			b.Run("dst="+dst+"/"+tc.name, func(b *testing.B) {
				n := newVethNet(b)
				tx := n.listen(b, "A", &Config{SendOnly: true})
				var w batchWriter = tx
				if tc.ring != nil {
					r, err := newEvalTxRing(tx, tc.ring)
					if err != nil {
						b.Fatal(err)
					}
					defer r.Close()
					w = r
				}
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
					} else if _, err := w.WriteBatch(bs[:m]); err != nil {
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
