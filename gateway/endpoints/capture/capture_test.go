package capture

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/packet"
)

// openCapture opens a capture endpoint with the given fields; sources 0
// and 1 are named bus and lan.
func openCapture(t *testing.T, fields string) endpoint.Transceiver {
	t.Helper()
	c, err := config.Parse("c.yaml", []byte(fmt.Sprintf("endpoints:\n  in: {kind: log, mode: read, path: /tmp/in.log}\n  cap: {kind: capture, %s}\nroutes: [{from: [in], to: [cap]}]\n", fields)))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"bus", "lan"}
	env := &endpoint.Env{Name: "cap", Stats: &endpoint.Stats{}, Log: slog.New(slog.DiscardHandler),
		SourceName: func(i uint16) string { return names[i] }}
	tr, err := endpoint.Open(context.Background(), c.Endpoint("cap"), env)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestSend writes CAN, CAN FD and Ethernet frames from two sources and
// reads the pcapng back: one interface per source and link type, named by
// Env.SourceName, SocketCAN records with the ID in network byte order,
// Ethernet frames as they were, nanosecond timestamps; frames the capture
// cannot record are dropped one at a time with the right reason.
func TestSend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cap.pcapng")
	c := openCapture(t, fmt.Sprintf("path: %q", path))
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC).UnixNano()
	var fs []frame.Frame
	for i := range 30 {
		f := frame.Frame{Type: frame.CAN, ID: uint32(0x100 + i), Len: 2, Time: t0 + int64(i)}
		f.Data[0], f.Data[1] = byte(i), 0xEE
		switch i % 3 {
		case 1:
			f = frame.Frame{Type: frame.CANFD, ID: frame.CANEFFFlag | uint32(i), Flags: 1, Len: 16, Time: t0 + int64(i)}
		case 2:
			f = frame.Frame{Type: frame.Ethernet, Source: 1, Len: 60, Time: t0 + int64(i)}
			f.Data[12], f.Data[13], f.Data[14] = 0x88, 0xb5, byte(i)
		}
		fs = append(fs, f)
	}
	ctx := context.Background()
	if n, err := c.Send(ctx, fs); n != len(fs) || err != nil {
		t.Fatalf("Send: %d, %v", n, err)
	}
	for _, tc := range []struct {
		name   string
		f      frame.Frame
		reason endpoint.Reason
	}{
		{"ISO-TP", frame.Frame{Type: frame.ISOTP, Len: 100}, endpoint.ReasonUnsupported},
		{"J1939", frame.Frame{Type: frame.J1939, Len: 10}, endpoint.ReasonUnsupported},
		{"CAN over 8 bytes", frame.Frame{Type: frame.CAN, Len: 12}, endpoint.ReasonMalformed},
	} {
		n, err := c.Send(ctx, []frame.Frame{fs[0], tc.f, fs[0]})
		var de *endpoint.DropError
		if n != 1 || !errors.As(err, &de) || de.Reason != tc.reason || !de.One {
			t.Errorf("%s: sent %d, %v", tc.name, n, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := packet.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var recs []packet.Record
	for {
		rec, err := r.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rec.Data = append([]byte(nil), rec.Data...)
		recs = append(recs, rec)
	}
	if len(recs) != len(fs)+3 {
		t.Fatalf("%d records, want %d", len(recs), len(fs)+3)
	}
	ifs := r.Interfaces()
	if len(ifs) != 2 || ifs[0].Name != "bus" || ifs[0].LinkType != packet.LinkTypeCANSocketCAN || ifs[0].SnapLen != 72 ||
		ifs[1].Name != "lan" || ifs[1].LinkType != packet.LinkTypeEthernet || ifs[1].SnapLen != frame.MaxData || ifs[1].Description != "fieldgate endpoint lan" {
		t.Fatalf("interfaces %+v", ifs)
	}
	for i, rec := range recs[:len(fs)] {
		if !rec.Timestamp.Equal(time.Unix(0, fs[i].Time)) {
			t.Errorf("record %d at %v", i, rec.Timestamp)
		}
		switch fs[i].Type {
		case frame.CAN:
			if rec.Interface != 0 || len(rec.Data) != 16 || binary.BigEndian.Uint32(rec.Data) != fs[i].ID || rec.Data[4] != 2 || rec.Data[8] != byte(i) || rec.Data[9] != 0xEE {
				t.Errorf("record %d: if %d % x", i, rec.Interface, rec.Data)
			}
		case frame.CANFD:
			if rec.Interface != 0 || len(rec.Data) != 72 || binary.BigEndian.Uint32(rec.Data) != fs[i].ID || rec.Data[4] != 16 {
				t.Errorf("record %d: if %d % x", i, rec.Interface, rec.Data)
			}
		case frame.Ethernet:
			if rec.Interface != 1 || len(rec.Data) != 60 || rec.Data[14] != byte(i) {
				t.Errorf("record %d: if %d % x", i, rec.Interface, rec.Data)
			}
		}
	}
}

// TestRotate: the rotate settings reach the writer: files rotate by size
// and only the newest keep files remain.
func TestRotate(t *testing.T) {
	dir := t.TempDir()
	c := openCapture(t, fmt.Sprintf("path: %q, rotate: {size: 4KiB, keep: 3}", filepath.Join(dir, "cap.pcapng")))
	fs := make([]frame.Frame, 64)
	for i := range fs {
		fs[i] = frame.Frame{Type: frame.Ethernet, Source: 1, Len: 200, Time: time.Now().UnixNano()}
	}
	for range 20 {
		if n, err := c.Send(context.Background(), fs); n != len(fs) || err != nil {
			t.Fatalf("Send: %d, %v", n, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "cap_*.pcapng"))
	if len(files) != 3 {
		t.Errorf("files %v, want 3", files)
	}
}

// TestReceive: a capture is a sink; Receive waits for the end.
func TestReceive(t *testing.T) {
	c := openCapture(t, fmt.Sprintf("path: %q", filepath.Join(t.TempDir(), "cap.pcapng")))
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.Receive(ctx, func([]frame.Frame) { t.Error("delivered") }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Receive: %v", err)
	}
}

// TestSendAllocs: once a source's interface is in the file, writing a
// batch allocates nothing.
func TestSendAllocs(t *testing.T) {
	c := openCapture(t, fmt.Sprintf("path: %q", filepath.Join(t.TempDir(), "cap.pcapng")))
	defer c.Close()
	fs := make([]frame.Frame, endpoint.BatchSize)
	for i := range fs {
		fs[i] = frame.Frame{Type: frame.CAN + frame.Type(i%2), ID: uint32(i), Len: 8, Time: time.Now().UnixNano()}
	}
	ctx := context.Background()
	if a := testing.AllocsPerRun(100, func() {
		if n, err := c.Send(ctx, fs); n != len(fs) || err != nil {
			t.Fatalf("Send: %d, %v", n, err)
		}
	}); a != 0 {
		t.Errorf("%.1f allocations per batch of %d", a, len(fs))
	}
}

// records counts the packets in the pcapng file at path as far as it is
// written (0 if nothing is).
func records(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := packet.NewReader(f)
	if err != nil {
		return 0 // not even the section header yet
	}
	n := 0
	for {
		if _, err := r.ReadPacket(); err != nil {
			return n
		}
		n++
	}
}

// TestSendFlush: a short batch (the queue ran dry) is in the file when
// Send returns; a full batch (more are likely queued) is written when the
// buffer fills, the next short batch comes, or flushDelay passes; Close
// writes the rest.
func TestSendFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cap.pcapng")
	c := openCapture(t, fmt.Sprintf("path: %q", path))
	ctx := context.Background()
	batch := func(n int) []frame.Frame {
		fs := make([]frame.Frame, n)
		for i := range fs {
			fs[i] = frame.Frame{Type: frame.CAN, ID: uint32(i), Len: 8, Time: time.Now().UnixNano()}
		}
		return fs
	}
	if n, err := c.Send(ctx, batch(3)); n != 3 || err != nil {
		t.Fatalf("Send: %d, %v", n, err)
	}
	if got := records(t, path); got != 3 {
		t.Fatalf("after a short batch: %d records, want 3", got)
	}
	full := batch(endpoint.BatchSize)
	if n, err := c.Send(ctx, full); n != len(full) || err != nil {
		t.Fatalf("Send: %d, %v", n, err)
	}
	if got := records(t, path); got != 3 {
		t.Fatalf("a full batch was written at once: %d records", got)
	}
	deadline := time.Now().Add(10 * flushDelay)
	for records(t, path) != 3+len(full) {
		if time.Now().After(deadline) {
			t.Fatalf("full batch not written %v after Send: %d records", 10*flushDelay, records(t, path))
		}
		time.Sleep(flushDelay / 10)
	}
	for range 2 {
		if n, err := c.Send(ctx, full); n != len(full) || err != nil {
			t.Fatalf("Send: %d, %v", n, err)
		}
	}
	if n, err := c.Send(ctx, batch(1)); n != 1 || err != nil {
		t.Fatalf("Send: %d, %v", n, err)
	}
	if got, want := records(t, path), 4+3*len(full); got != want {
		t.Fatalf("after a short batch behind two full ones: %d records, want %d", got, want)
	}
	if n, err := c.Send(ctx, full); n != len(full) || err != nil {
		t.Fatalf("Send: %d, %v", n, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := records(t, path), 4+4*len(full); got != want {
		t.Fatalf("after Close: %d records, want %d", got, want)
	}
}
