package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/can/canlog"
)

// writeLog writes n frames in format f to path.
func writeLog(t *testing.T, path string, f canlog.Format, n int) []can.LogEntry {
	t.Helper()
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	w, err := canlog.NewWriter(f, fh, canlog.WriterOptions{At: fh})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	es := make([]can.LogEntry, n)
	for i := range es {
		e := &es[i]
		e.Time, e.Iface = t0.Add(time.Duration(i)*time.Millisecond), "can0"
		e.Frame = can.FDFrame{ID: uint32(i % 0x800), Len: 4}
		e.Frame.Data[0], e.Frame.Data[1], e.Frame.Data[2] = byte(i), byte(i>>8), byte(i>>16)
		if i%3 == 0 {
			e.Frame.Extended, e.Frame.ID = true, uint32(i)|0x1000000
		}
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return es
}

func readLog(t *testing.T, path string) []can.LogEntry {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r, err := canlog.NewReader(canlog.FromPath(path), fh, path)
	if err != nil {
		t.Fatal(err)
	}
	var out []can.LogEntry
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
}

// TestRunExitOnEOF: `fieldgate run -c` with two replayed logs (ASC and
// BLF) that set exit_on_eof ends by itself with status 0 once both are
// replayed and the sinks (a candump log and a python-can CSV) have
// written every frame: the sinks hold all frames in order and the final
// counters show them. The sinks' queues apply backpressure: a replay
// as fast as possible would overflow a drop-oldest queue.
func TestRunExitOnEOF(t *testing.T) {
	dir := t.TempDir()
	const n1, n2 = 5000, 3000
	in1 := writeLog(t, filepath.Join(dir, "in.asc"), canlog.ASC, n1)
	writeLog(t, filepath.Join(dir, "in.blf"), canlog.BLF, n2)
	file := filepath.Join(dir, "gw.yaml")
	cfg := fmt.Sprintf(`admin: {listen: "127.0.0.1:%d"}
endpoints:
  a: {kind: log, mode: read, path: %[2]s/in.asc, exit_on_eof: true}
  b: {kind: log, mode: read, path: %[2]s/in.blf, exit_on_eof: true}
  out: {kind: log, path: %[2]s/out.log, interface: vcan0, queue: {overflow: backpressure}}
  csv: {kind: log, path: %[2]s/out.data, format: csv, queue: {size: 64, overflow: backpressure}}
routes:
  - {name: a, from: [a], to: [out]}
  - {name: b, from: [b], to: [csv]}
`, freeTCP(t), dir)
	os.WriteFile(file, []byte(cfg), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"-c", file}, &out, &errb) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v\n%s", err, errb.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("run did not end 60 s after start\n%s", errb.String())
	}
	got := readLog(t, filepath.Join(dir, "out.log"))
	if len(got) != n1 {
		t.Fatalf("out.log: %d frames, want %d", len(got), n1)
	}
	for i := range got {
		if got[i].Frame != in1[i].Frame || got[i].Iface != "vcan0" {
			t.Fatalf("frame %d: %v on %s, want %v", i, got[i].Frame, got[i].Iface, in1[i].Frame)
		}
	}
	csv, err := os.ReadFile(filepath.Join(dir, "out.data"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(csv), "\n"); lines != n2+1 {
		t.Fatalf("out.data: %d lines, want a header and %d frames", lines, n2)
	}
	if s := out.String(); strings.Contains(s, "queue_overflow") || strings.Contains(s, "shutdown") {
		t.Errorf("frames dropped:\n%s", s)
	}
	if s := errb.String(); !strings.Contains(s, "every exit_on_eof source finished") {
		t.Errorf("log does not say why the run ended:\n%s", s)
	}
	for _, want := range []string{fmt.Sprint(n1), fmt.Sprint(n2)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("final counters do not show %s frames:\n%s", want, out.String())
		}
	}
}

// TestRunWithoutExitOnEOF: without exit_on_eof a replayed log that ends
// leaves the gateway running (the other endpoints keep forwarding) until
// it is stopped; the frames were written all the same.
func TestRunWithoutExitOnEOF(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, filepath.Join(dir, "in.trc"), canlog.TRC, 100)
	file := filepath.Join(dir, "gw.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf("admin: {listen: \"127.0.0.1:%d\"}\nendpoints:\n  a: {kind: log, mode: read, path: %[2]s/in.trc}\n  out: {kind: log, path: %[2]s/out.log}\nroutes:\n  - {from: [a], to: [out]}\n", freeTCP(t), dir)), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"-c", file}, &out, &errb) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(errb.String(), "source finished") {
		if time.Now().After(deadline) {
			t.Fatalf("source did not finish\n%s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("run ended by itself: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out.log")); bytes.Count(b, []byte("\n")) != 100 {
		t.Fatalf("out.log: %d lines, want 100", bytes.Count(b, []byte("\n")))
	}
}

// TestRunExitOnEOFCorrupt: a replayed log with exit_on_eof that stops at a
// corrupt record still ends the run, after the frames before the record
// were written, with an error naming the file and line (exit status 1).
func TestRunExitOnEOFCorrupt(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.log")
	os.WriteFile(in, []byte("(1.000000) can0 123#11\n(1.000001) can0 124#22\n(1.000002) can0 12#33\n(1.000003) can0 125#44\n"), 0o644)
	file := filepath.Join(dir, "gw.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf("admin: {listen: \"127.0.0.1:%d\"}\nendpoints:\n  a: {kind: log, mode: read, path: %s, exit_on_eof: true}\n  out: {kind: log, path: %s/out.log, queue: {overflow: backpressure}}\nroutes:\n  - {from: [a], to: [out]}\n", freeTCP(t), in, dir)), 0o644)
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), []string{"-c", file}, &out, &errb) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("run did not end\n%s", errb.String())
	}
	if err == nil || !strings.Contains(err.Error(), in+":3") {
		t.Fatalf("run: %v, want an error naming %s:3", err, in)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out.log")); strings.Count(string(b), "\n") != 2 {
		t.Fatalf("out.log:\n%s\nwant the 2 frames before the bad record", b)
	}
}
