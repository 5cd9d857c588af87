//go:build linux

package can

import (
	"encoding/binary"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func cmsg(level, typ int, data []byte) []byte {
	l := unix.SizeofCmsghdr + len(data)
	b := make([]byte, (l+7)&^7)
	binary.NativeEndian.PutUint64(b[0:], uint64(l))
	binary.NativeEndian.PutUint32(b[8:], uint32(level))
	binary.NativeEndian.PutUint32(b[12:], uint32(typ))
	copy(b[16:], data)
	return b
}

func timespec(sec, ns int64) []byte {
	b := make([]byte, 16)
	binary.NativeEndian.PutUint64(b[0:], uint64(sec))
	binary.NativeEndian.PutUint64(b[8:], uint64(ns))
	return b
}

func TestParseOOB(t *testing.T) {
	var c RawConn
	var m RecvMsg
	oob := cmsg(unix.SOL_SOCKET, scmTimestampNS, timespec(1700000000, 5))
	oob = append(oob, cmsg(unix.SOL_SOCKET, soRxqOvfl, []byte{7, 0, 0, 0})...)
	c.parseOOB(oob, &m)
	if !m.Time.Equal(time.Unix(1700000000, 5)) || c.Dropped() != 7 {
		t.Fatalf("time %v dropped %d", m.Time, c.Dropped())
	}
	// A hardware stamp (third timespec of SCM_TIMESTAMPING) wins.
	ts := append(append(timespec(1, 1), timespec(0, 0)...), timespec(1700000001, 9)...)
	oob = append(oob, cmsg(unix.SOL_SOCKET, scmTimestamping, ts)...)
	c.parseOOB(oob, &m)
	if !m.Time.Equal(time.Unix(1700000001, 9)) {
		t.Fatalf("hw time %v", m.Time)
	}
	// Truncated or garbage control data is ignored, never read past.
	m.Time = time.Time{}
	c.parseOOB(oob[:20], &m)
	bad := cmsg(unix.SOL_SOCKET, scmTimestampNS, timespec(1, 1))
	binary.NativeEndian.PutUint64(bad[0:], 1000)
	c.parseOOB(bad, &m)
	if !m.Time.IsZero() {
		t.Fatalf("garbage gave time %v", m.Time)
	}
	if n := testing.AllocsPerRun(100, func() { c.parseOOB(oob, &m) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func TestParseJ1939Event(t *testing.T) {
	// sock_extended_err: errno, origin, type, code, pad, info, data.
	ee := make([]byte, 16)
	binary.NativeEndian.PutUint32(ee[0:], uint32(unix.EHOSTUNREACH))
	ee[4] = soEEOriginLocal
	binary.NativeEndian.PutUint32(ee[8:], j1939EEInfoTxAbort)
	binary.NativeEndian.PutUint32(ee[12:], 3)
	var ev J1939Event
	parseJ1939Cmsg(solCANJ1939, scmJ1939ErrQueue, ee, &ev)
	nla := func(typ uint16, v []byte) []byte {
		b := make([]byte, (4+len(v)+3)&^3)
		binary.NativeEndian.PutUint16(b[0:], uint16(4+len(v)))
		binary.NativeEndian.PutUint16(b[2:], typ)
		copy(b[4:], v)
		return b
	}
	u32 := func(v uint32) []byte { b := make([]byte, 4); binary.NativeEndian.PutUint32(b, v); return b }
	stats := append(append(append(nla(1, u32(1785)), nla(2, u32(3000))...), nla(3, u32(0x12300))...), nla(7, []byte{0x80})...)
	parseJ1939Cmsg(unix.SOL_SOCKET, scmTimestampingOptStats, stats, &ev)
	if ev.Kind != J1939EventTxAbort || ev.Err != syscall.EHOSTUNREACH || ev.ID != 3 || ev.BytesAcked != 1785 || ev.TotalSize != 3000 || ev.PGN != 0x12300 || ev.DestAddr != 0x80 {
		t.Fatalf("%+v", ev)
	}
	want := "tx-abort id=3 pgn=0x12300 1785/3000 bytes src=0x00 dst=0x80: no route to host"
	if ev.String() != want {
		t.Fatalf("%q\nwant %q", ev.String(), want)
	}
	// Completion (timestamping origin, SCM_TSTAMP_ACK).
	ee[4] = soEEOriginTimestamping
	binary.NativeEndian.PutUint32(ee[0:], uint32(unix.ENOMSG))
	binary.NativeEndian.PutUint32(ee[8:], scmTstampAck)
	ev = J1939Event{}
	parseJ1939Cmsg(solCANJ1939, scmJ1939ErrQueue, ee, &ev)
	if ev.Kind != J1939EventCompleted || ev.Err != 0 {
		t.Fatalf("%+v", ev)
	}
	// Malformed attributes stop the walk.
	parseJ1939Stats([]byte{0xFF, 0xFF, 1, 0}, &ev)
	parseJ1939Stats([]byte{2, 0}, &ev)
}
