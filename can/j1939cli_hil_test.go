//go:build hil

package can

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHILJ1939CLIVsJ1939cat: a 1000-byte message (transport protocol)
// from `fieldgate can j1939 send` reaches j1939cat and `fieldgate can
// j1939 recv` alike. The addresses and PGN are written with 0x, as in the
// configuration files; -events names the PGN and addresses that were sent.
func TestHILJ1939CLIVsJ1939cat(t *testing.T) {
	dir := t.TempDir()
	payload := pattern(1000)
	in := filepath.Join(dir, "in.bin")
	if err := os.WriteFile(in, payload, 0o644); err != nil {
		t.Fatal(err)
	}
	// One transfer to 0x90, received by j1939cat and fieldgate at once
	// (the kernel's J1939 stack hands the message to every socket bound
	// there). j1939cat 2020.11 as the sender fails on Linux 6.1 ("recvmsg
	// error notification: truncated", its control buffer is too small
	// for the error queue's statistics), so fieldgate sends.
	out := filepath.Join(dir, "fg.out")
	ref := startTool(t, 0, "j1939cat", "-r", "vcan0:0x90")
	fg := startTool(t, 0, "fieldgate", "can", "j1939", "recv", "--count", "1", "--out", out, "vcan0:0x90,0x12300")
	time.Sleep(500 * time.Millisecond) // bound
	runOK(t, "fieldgate", "can", "j1939", "send", "-i", in, "vcan0:0x80", ":0x90,0x12300")
	fg.wait(t, 20*time.Second)
	if !waitFor(10*time.Second, func() bool { return len(ref.out.String()) >= len(payload) }) {
		t.Fatalf("j1939cat received %d bytes", len(ref.out.String()))
	}
	ref.stop(t)
	got, _ := os.ReadFile(out)
	if !bytes.Equal([]byte(ref.out.String()), payload) || !bytes.Equal(got, payload) {
		t.Fatalf("received: j1939cat %d bytes, fieldgate %d bytes, want the %d sent (equal: %v %v)",
			len(ref.out.String()), len(got), len(payload), bytes.Equal([]byte(ref.out.String()), payload), bytes.Equal(got, payload))
	}
	// fieldgate -> j1939cat, with events.
	rx := startTool(t, 0, "j1939cat", "-r", "vcan0:0x30")
	time.Sleep(500 * time.Millisecond)
	ev, err := exec.Command("fieldgate", "can", "j1939", "send", "--events", "-i", in, "vcan0:0x20", ":0x30,0xEF00").CombinedOutput()
	if err != nil {
		t.Fatalf("send: %v %s", err, ev)
	}
	if !waitFor(10*time.Second, func() bool { return len(rx.out.String()) >= len(payload) }) {
		t.Fatalf("j1939cat got %d bytes", len(rx.out.String()))
	}
	rx.stop(t)
	if !bytes.Equal([]byte(rx.out.String()), payload) {
		t.Fatal("j1939cat received other bytes than fieldgate sent")
	}
	if !strings.Contains(string(ev), "completed id=0 pgn=0x0ef00 1000/1000 bytes src=0x20 dst=0x30") {
		t.Fatalf("events: %s", ev)
	}
	// Nobody at 0x31: the transfer is aborted, and the event says what was sent.
	ev, err = exec.Command("fieldgate", "can", "j1939", "send", "--events", "-i", in, "vcan0:0x20", ":0x31,0xEF00").CombinedOutput()
	if err == nil || !strings.Contains(string(ev), "tx-abort id=0 pgn=0x0ef00 0/1000 bytes src=0x20 dst=0x31") {
		t.Fatalf("send to nobody: %v %s", err, ev)
	}
}
