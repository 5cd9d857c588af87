//go:build hil

package cli

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestHILCaptureVCANMatchesTcpdump captures vcan0 with tcpdump -w and with
// fieldgate capture -w --print side by side while cansend sends classic,
// extended, remote and CAN FD frames: both record the same number of
// packets, each frame once although vcan shows it as sent and as echoed,
// with the same SocketCAN records (can_id in network byte order), and
// fieldgate prints one candump-like line per frame.
func TestHILCaptureVCANMatchesTcpdump(t *testing.T) {
	dir := t.TempDir()
	tdFile, fgFile := filepath.Join(dir, "td.pcap"), filepath.Join(dir, "fg.pcapng")
	td := exec.Command("tcpdump", "-Z", "root", "-U", "--immediate-mode", "-i", "vcan0", "-w", tdFile)
	var tdErr syncBuffer
	td.Stderr = &tdErr
	if err := td.Start(); err != nil {
		t.Fatal(err)
	}
	defer td.Process.Kill()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var fgOut, fgErr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Capture(ctx, []string{"-t", "-i", "vcan0", "-w", fgFile, "--print"}, &fgOut, &fgErr)
	}()
	waitUntil(t, "tcpdump to listen", func() bool { return strings.Contains(tdErr.String(), "listening on") })
	waitUntil(t, "fieldgate to listen", func() bool { return strings.Contains(fgErr.String(), "listening on") })

	sends := []struct{ arg, line string }{
		{"123#010203", "CAN 123 [3] 01 02 03"},
		{"1ABCDEF0#DEAD", "CAN 1ABCDEF0 [2] DE AD"},
		{"321#R", "CAN 321 [0] remote request"},
		{"456##3112233445566778899AABBCC", "CANFD 456 [12] BRS ESI 11 22 33 44 55 66 77 88 99 AA BB CC"},
	}
	for _, s := range sends {
		if out, err := exec.Command("cansend", "vcan0", s.arg).CombinedOutput(); err != nil {
			t.Fatalf("cansend %s: %v %s", s.arg, err, out)
		}
	}
	waitUntil(t, "fieldgate to print every frame", func() bool { return strings.Count(fgOut.String(), "\n") >= len(sends) })
	time.Sleep(500 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("capture: %v\n%s", err, fgErr.String())
	}
	td.Process.Signal(syscall.SIGINT)
	td.Wait()

	lines := strings.Split(strings.TrimSpace(fgOut.String()), "\n")
	var want []string
	for _, s := range sends {
		want = append(want, s.line)
	}
	// Each frame once: vcan echoes what cansend sends, and the outgoing
	// copy is dropped as libpcap drops it.
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("fieldgate printed\n%s\nwant\n%s", fgOut.String(), strings.Join(want, "\n"))
	}
	ours, theirs := readRecords(t, fgFile), readRecords(t, tdFile)
	if len(ours) != len(theirs) || len(ours) != len(lines) {
		t.Fatalf("fieldgate recorded %d packets and printed %d lines, tcpdump recorded %d\ntcpdump: %s", len(ours), len(lines), len(theirs), tdErr.String())
	}
	for i := range ours {
		a, b := ours[i], theirs[i]
		// Byte 5 of a CAN FD record holds its flags: fieldgate keeps the
		// kernel's BRS and ESI and sets CANFD_FDF, as LINKTYPE_CAN_SOCKETCAN
		// says; libpcap 1.10.3 writes 0 there (it drops BRS and ESI).
		same := len(a) == len(b) && bytes.Equal(a[:5], b[:5]) && bytes.Equal(a[6:], b[6:])
		if len(a) == 72 {
			same = same && a[5] == 0x07
		} else {
			same = same && a[5] == b[5]
		}
		if !same {
			t.Errorf("record %d:\n  fieldgate % x\n  tcpdump   % x", i, a, b)
		}
	}
	t.Logf("%d packets each; fieldgate:\n%s\n%s", len(ours), fgOut.String(), fgErr.String())
}
