//go:build hil

package core

import (
	"encoding/binary"
	"testing"

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
	compareBatch(b, single, batched, batch, batch, "frames")
}
