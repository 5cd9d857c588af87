package socketcand

import (
	"context"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// sendAll gives frames to Send as the engine does (a frame dropped on its
// own is skipped, the rest sent again) and returns the drops by reason.
func sendAll(t *testing.T, s *server, frames []frame.Frame) map[endpoint.Reason]int {
	t.Helper()
	drops := map[endpoint.Reason]int{}
	for len(frames) > 0 {
		n, err := s.Send(context.Background(), frames)
		if n == len(frames) {
			return drops
		}
		drops[endpoint.DropReason(err)]++
		frames = frames[n+1:]
	}
	return drops
}

// TestPythonCAN runs python-can 4.1's own socketcand reader (Debian's
// python3-can) against the endpoint with its default settings: classic,
// extended, empty and remote frames, then 3000 frames sent up to 400
// ahead of python-can, which reads them 1024 bytes at a time. Every data frame
// arrives with its ID, data and timestamp, in order; the remote frame is
// not sent (as socketcand) and counted as unsupported; python-can logs no
// warning at all.
func TestPythonCAN(t *testing.T) {
	s, env, _ := testServerWith(t, &Config{Listen: "127.0.0.1:0", Bus: "vcan0", MaxClients: 2}, nil)
	const ts = 1700000000_000000000
	frames := []frame.Frame{
		{ID: 0x123, Type: frame.CAN, Len: 3, Data: [frame.MaxData]byte{0x11, 0x22, 0x33}, Time: ts + 123456000},
		{ID: 0x1ABCDEF0 | frame.CANEFFFlag, Type: frame.CAN, Len: 8, Data: [frame.MaxData]byte{1, 2, 3, 4, 5, 6, 7, 0xFF}, Time: ts + 1_000001000},
		{ID: 0x7FF, Type: frame.CAN, Time: ts + 2_000000000},
		{ID: 0x321 | frame.CANRTRFlag, Type: frame.CAN, Len: 2, Time: ts + 3_000000000},
		{ID: 0x1 | frame.CANEFFFlag, Type: frame.CAN, Len: 1, Data: [frame.MaxData]byte{0xA5}, Time: ts + 4_999999000},
	}
	const burst = 3000
	for i := range burst {
		f := frame.Frame{ID: uint32(i % 0x800), Type: frame.CAN, Len: uint16(i % 9), Time: ts + 10_000000000 + int64(i)*1000}
		if i%3 == 0 {
			f.ID = uint32(i)*7919&0x1FFFFFFF | frame.CANEFFFlag
		}
		for j := range f.Len {
			f.Data[j] = byte(i + int(j))
		}
		frames = append(frames, f)
	}
	var want []string
	var wantTime []float64
	for i := range frames {
		f := &frames[i]
		if f.ID&frame.CANRTRFlag != 0 {
			continue
		}
		want = append(want, fmt.Sprintf("%X %d %X", f.ID&frame.CANEFFMask, f.Len, f.Data[:f.Len]))
		wantTime = append(wantTime, float64(f.Time)/1e9)
	}

	port := strconv.Itoa(s.Addr().(*net.TCPAddr).Port)
	py := peer.Start(t, peer.Python, "-u", "testdata/pycan_recv.py", "127.0.0.1", port, "vcan0", strconv.Itoa(len(want)))
	py.Expect(t, "ready", 60*time.Second)
	waitPeers(t, env, 1)
	time.Sleep(2 * RawHold)
	// Batches of 64 frames as fast as python-can takes them, at most 400
	// frames (25 KiB) ahead of it: far more than its 1024-byte reads, so
	// every read is a full one, yet never so far that TCP's window fills
	// (a message split by TCP itself makes python-can warn, see
	// configs/README.md).
	drops := map[endpoint.Reason]int{}
	got := 0
	check := func() {
		line := py.Line(t, 60*time.Second)
		f := strings.Fields(line)
		if len(f) == 3 { // no data: "ID DLC  TIME"
			f = []string{f[0], f[1], "", f[2]}
		}
		if len(f) != 4 || strings.Join(f[:3], " ") != want[got] {
			t.Fatalf("message %d: python-can got %q, want %q", got, line, want[got])
		}
		if ts, err := strconv.ParseFloat(f[3], 64); err != nil || math.Abs(ts-wantTime[got]) > 2e-6 {
			t.Fatalf("message %d: timestamp %q, want %.6f", got, f[3], wantTime[got])
		}
		got++
	}
	sent := 0
	for i := 0; i < len(frames); i += endpoint.BatchSize {
		batch := frames[i:min(i+endpoint.BatchSize, len(frames))]
		for r, n := range sendAll(t, s, batch) {
			drops[r] += n
		}
		for j := range batch {
			if batch[j].ID&frame.CANRTRFlag == 0 {
				sent++
			}
		}
		for sent-got > 400 {
			check()
		}
	}
	for got < len(want) {
		check()
	}
	py.Expect(t, fmt.Sprintf("done %d", len(want)), 60*time.Second)
	py.Wait()
	if e := py.Stderr(); e != "" {
		t.Errorf("python-can logged:\n%s", e)
	}
	if drops[endpoint.ReasonUnsupported] != 1 || len(drops) != 1 {
		t.Errorf("drops %v, want the remote frame as unsupported", drops)
	}
}
