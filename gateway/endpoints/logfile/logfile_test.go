package logfile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// openLog opens a recording log endpoint with the given fields.
func openLog(t *testing.T, fields string) endpoint.Transceiver {
	t.Helper()
	c, err := config.Parse("l.yaml", []byte(fmt.Sprintf("endpoints:\n  in: {kind: log, mode: read, path: /tmp/in.log}\n  out: {kind: log, %s}\nroutes: [{from: [in], to: [out]}]\n", fields)))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := endpoint.Open(context.Background(), c.Endpoint("out"), &endpoint.Env{Name: "out", Stats: &endpoint.Stats{}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func canFrames(n, first int) []frame.Frame {
	fs := make([]frame.Frame, n)
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	for i := range fs {
		fs[i] = frame.Frame{Type: frame.CAN, ID: uint32(first + i), Len: 2, Time: t0 + int64(first+i)*1000}
		fs[i].Data[0], fs[i].Data[1] = byte(first+i), 0xAB
	}
	return fs
}

// lines returns the lines of path, or none if it does not exist.
func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// TestSendFlush: a short batch (the queue ran dry) is in the file when
// Send returns; a full batch (more are likely queued) is written when the
// buffer fills, the next short batch comes, or flushDelay passes; Close
// writes the rest. Every line is a candump -l line of the frame sent.
func TestSendFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	l := openLog(t, fmt.Sprintf("path: %q, interface: vcan9", path))
	ctx := context.Background()
	if n, err := l.Send(ctx, canFrames(3, 0)); n != 3 || err != nil {
		t.Fatalf("Send: %d, %v", n, err)
	}
	if got := lines(t, path); len(got) != 3 || got[2] != "(1714564800.000002) vcan9 002#02AB" {
		t.Fatalf("after a short batch: %q", got)
	}
	full := canFrames(endpoint.BatchSize, 3)
	if n, err := l.Send(ctx, full); n != len(full) || err != nil {
		t.Fatalf("Send: %d, %v", n, err)
	}
	if got := lines(t, path); len(got) != 3 {
		t.Fatalf("a full batch was written at once: %d lines", len(got))
	}
	deadline := time.Now().Add(10 * flushDelay)
	for len(lines(t, path)) != 3+len(full) {
		if time.Now().After(deadline) {
			t.Fatalf("full batch not written %v after Send: %d lines", 10*flushDelay, len(lines(t, path)))
		}
		time.Sleep(flushDelay / 10)
	}
	if n, err := l.Send(ctx, full); n != len(full) || err != nil {
		t.Fatalf("Send: %d, %v", n, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got := lines(t, path)
	if len(got) != 3+2*len(full) {
		t.Fatalf("after Close: %d lines, want %d", len(got), 3+2*len(full))
	}
	if want := fmt.Sprintf("(1714564800.000066) vcan9 %03X#%02XAB", 66, 66); got[len(got)-1] != want {
		t.Errorf("last line %q, want %q", got[len(got)-1], want)
	}
}

// TestRotate: rotation counts the buffered lines, so files rotate at the
// configured size although a full batch is not flushed at once; no line
// is lost or doubled across the files.
func TestRotate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.log")
	l := openLog(t, fmt.Sprintf("path: %q, rotate: {size: 1KiB, keep: 100}", path))
	n := 0
	for range 5 {
		if k, err := l.Send(context.Background(), canFrames(endpoint.BatchSize, n)); k != endpoint.BatchSize || err != nil {
			t.Fatalf("Send: %d, %v", k, err)
		}
		n += endpoint.BatchSize
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var all []string
	rotated := 0
	for i := 100; i >= 1; i-- {
		p := fmt.Sprintf("%s.%d", path, i)
		ls := lines(t, p)
		if ls == nil {
			continue
		}
		rotated++
		st, _ := os.Stat(p)
		if st.Size() < 1024 || st.Size() > 1024+64 {
			t.Errorf("%s: %d bytes, want 1 KiB plus at most one line", p, st.Size())
		}
		all = append(all, ls...)
	}
	all = append(all, lines(t, path)...)
	if rotated < 10 || len(all) != n {
		t.Fatalf("%d rotated files, %d lines, want >= 10 and %d", rotated, len(all), n)
	}
	for i, line := range all {
		if want := fmt.Sprintf(" can0 %03X#", i); !strings.Contains(line, want) {
			t.Fatalf("line %d: %q, want frame %03X", i, line, i)
		}
	}
}

// TestUnsupported: a frame a candump log cannot carry is an unsupported
// drop; the frames before it are written.
func TestUnsupported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	l := openLog(t, fmt.Sprintf("path: %q", path))
	fs := append(canFrames(2, 0), frame.Frame{Type: frame.Ethernet, Len: 60})
	n, err := l.Send(context.Background(), fs)
	var de *endpoint.DropError
	if n != 2 || !errors.As(err, &de) || de.Reason != endpoint.ReasonUnsupported {
		t.Fatalf("Send: %d, %v", n, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := lines(t, path); len(got) != 2 {
		t.Errorf("%d lines, want 2", len(got))
	}
}

// TestSendAllocs: writing a full or a short batch allocates nothing.
func TestSendAllocs(t *testing.T) {
	l := openLog(t, fmt.Sprintf("path: %q", filepath.Join(t.TempDir(), "out.log")))
	defer l.Close()
	full, short := canFrames(endpoint.BatchSize, 0), canFrames(5, 0)
	ctx := context.Background()
	if a := testing.AllocsPerRun(100, func() {
		l.Send(ctx, full)
		l.Send(ctx, short)
	}); a != 0 {
		t.Errorf("%.1f allocations per full and short batch", a)
	}
}
