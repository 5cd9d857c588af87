//go:build hil

package core

import (
	"encoding/binary"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkMmsgCAN compares SendMmsg/RecvMmsg with one Send/RecvInto per
// frame for classic 16-byte CAN frames on vcan0 (batches of 64), the
// gateway's hot path, and reports frames/s for both and the speed-up.
// Run in the rig: make test-hil PKGS=./core HILFLAGS='-test.run=^$ -test.bench=MmsgCAN -test.benchtime=20000x'
func BenchmarkMmsgCAN(b *testing.B) {
	const batch = 64
	open := func() *Socket {
		s, err := NewSocket(unix.AF_CAN, unix.SOCK_RAW, unix.CAN_RAW)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
		if err := s.Bind(CANAddr{Interface: "vcan0"}); err != nil {
			b.Fatal(err)
		}
		return s
	}
	tx, rx := open(), open()
	frame := make([]byte, 16)
	binary.NativeEndian.PutUint32(frame, 0x123)
	frame[4] = 8
	single, batched := batchTimers(b, tx, rx, frame, 16, batch)
	n := (b.N + batch - 1) / batch * batch
	single(batch)
	batched(batch)
	b.ReportAllocs()
	b.ResetTimer()
	const rounds = 10
	var ds, db, cs, cb time.Duration
	per := (n/batch + rounds - 1) / rounds * batch
	for done := 0; done < n; done += per {
		k := min(per, n-done)
		c0 := cpuTime()
		ds += single(k)
		c1 := cpuTime()
		db += batched(k)
		c2 := cpuTime()
		cs += c1 - c0
		cb += c2 - c1
	}
	b.ReportMetric(float64(n)/ds.Seconds(), "single-frames/s")
	b.ReportMetric(float64(n)/db.Seconds(), "mmsg-frames/s")
	b.ReportMetric(ds.Seconds()/db.Seconds(), "speedup")
	b.ReportMetric(float64(cs)/float64(cb), "cpu-speedup")
}
