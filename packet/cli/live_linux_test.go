//go:build linux && !hil

package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/packet"
)

// lockedBuffer is a bytes.Buffer written by one goroutine and read by
// another.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// packetsOf splits printed output into packets (a line starting with a
// timestamp and its continuation lines) and drops the timestamps.
func packetsOf(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if l == "" {
			continue
		}
		if l[0] >= '0' && l[0] <= '9' {
			_, rest, _ := strings.Cut(l, " ")
			out = append(out, rest)
		} else if len(out) > 0 {
			out[len(out)-1] += "\n" + l
		}
	}
	return out
}

// TestLoopbackCountsMatchTcpdump runs tcpdump and fieldgate capture side by
// side on lo and on any with the same filter while datagrams go over the
// loopback: both must print each datagram once (the kernel shows a
// loopback packet twice, outgoing and incoming) with the same lines, and
// the file written with -w must hold each once too.
func TestLoopbackCountsMatchTcpdump(t *testing.T) {
	td := needTcpdump(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root for packet sockets")
	}
	for _, tc := range []struct {
		iface string
		flags []string
	}{{"lo", nil}, {"any", nil}, {"lo", []string{"-e", "-v"}}, {"any", []string{"-e", "-x"}}} {
		iface := tc.iface
		t.Run(strings.Join(append([]string{iface}, tc.flags...), " "), func(t *testing.T) {
			rx, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer rx.Close()
			port := strconv.Itoa(rx.LocalAddr().(*net.UDPAddr).Port)
			filter := []string{"udp", "dst", "port", port}

			cmd := exec.Command(td, append(append([]string{"-n", "-l", "-i", iface}, tc.flags...), filter...)...)
			var tdOut, tdErr lockedBuffer
			cmd.Stdout, cmd.Stderr = &tdOut, &tdErr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()

			file := filepath.Join(t.TempDir(), "lo.pcapng")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var fgOut, fgErr lockedBuffer
			done := make(chan error, 1)
			go func() {
				done <- Capture(ctx, append(append([]string{"-n", "-i", iface, "-w", file, "--print"}, tc.flags...), filter...), &fgOut, &fgErr)
			}()
			waitFor(t, "tcpdump to listen", func() bool { return strings.Contains(tdErr.String(), "listening on") })
			waitFor(t, "fieldgate to listen", func() bool { return strings.Contains(fgErr.String(), "listening on") })

			const n = 25
			for i := range n {
				c, err := net.Dial("udp4", "127.0.0.1:"+port)
				if err != nil {
					t.Fatal(err)
				}
				c.Write(bytes.Repeat([]byte{'x'}, 10+i))
				c.Close()
			}
			waitFor(t, "both to print every datagram", func() bool {
				return len(packetsOf(tdOut.String())) >= n && len(packetsOf(fgOut.String())) >= n
			})
			time.Sleep(200 * time.Millisecond) // a doubled copy would arrive by now
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("capture: %v\n%s", err, fgErr.String())
			}
			cmd.Process.Signal(syscall.SIGINT)
			cmd.Wait()

			ours, theirs := packetsOf(fgOut.String()), packetsOf(tdOut.String())
			if len(ours) != n || len(theirs) != n {
				t.Fatalf("-i %s: fieldgate printed %d packets, tcpdump %d, want %d each\nfieldgate:\n%s\ntcpdump:\n%s", iface, len(ours), len(theirs), n, fgOut.String(), tdOut.String())
			}
			for i := range ours {
				if ours[i] != theirs[i] {
					t.Errorf("-i %s line %d:\n  fieldgate: %s\n  tcpdump:   %s", iface, i+1, ours[i], theirs[i])
				}
			}
			for _, s := range []string{tdErr.String(), fgErr.String()} {
				if !strings.Contains(s, fmt.Sprintf("%d packets captured\n", n)) {
					t.Errorf("-i %s: summary %q, want %d packets captured", iface, s, n)
				}
			}
			if recs := readRecords(t, file); len(recs) != n {
				t.Errorf("-i %s: the -w file holds %d packets, want %d", iface, len(recs), n)
			}
		})
	}
}

// TestListInterfacesMatchesTcpdump: -D prints tcpdump -D's lines for every
// interface, in its order (tcpdump also lists libpcap's other capture
// sources, such as nflog and dbus, which are not packet sockets).
func TestListInterfacesMatchesTcpdump(t *testing.T) {
	needTcpdump(t)
	ours := strings.Split(strings.TrimSpace(runCapture(t, "-D")), "\n")
	theirs := strings.Split(strings.TrimSpace(runTcpdump(t, "-D")), "\n")
	ifs, _ := net.Interfaces()
	if len(ours) != len(ifs)+1 {
		t.Fatalf("-D lists %d devices, want %d interfaces and any:\n%s", len(ours), len(ifs)+1, strings.Join(ours, "\n"))
	}
	if len(theirs) < len(ours) {
		t.Fatalf("tcpdump -D lists fewer devices:\n%s", strings.Join(theirs, "\n"))
	}
	for i := range ours {
		if ours[i] != theirs[i] {
			t.Errorf("-D line %d:\n  fieldgate: %s\n  tcpdump:   %s", i+1, ours[i], theirs[i])
		}
	}
}

// TestDefaultInterface: without -i, capture opens the first interface of
// -D that is up and not a loopback, as tcpdump does.
func TestDefaultInterface(t *testing.T) {
	name, err := defaultDevice()
	if err != nil {
		t.Skip(err)
	}
	line := strings.SplitN(runCapture(t, "-D"), "\n", 2)[0]
	if !strings.HasPrefix(line, "1."+name+" ") {
		t.Errorf("default device %s, first of -D is %q", name, line)
	}
}

// TestLoopbackKeep: libpcap's direction rules: the outgoing copy is
// dropped on loopback interfaces (even with -Q out) and on CAN interfaces
// (unless -Q out); -Q in and -Q out.
func TestLoopbackKeep(t *testing.T) {
	c := &capture{}
	for _, tc := range []struct {
		ht   uint16
		typ  packet.PacketType
		dir  string
		keep bool
	}{
		{arphrdLoopback, packet.Outgoing, "", false}, {arphrdLoopback, packet.Host, "", true},
		{arphrdEther, packet.Outgoing, "", true}, {arphrdEther, packet.Outgoing, "in", false},
		{arphrdEther, packet.Host, "out", false}, {arphrdEther, packet.Broadcast, "in", true},
		{arphrdEther, packet.Outgoing, "out", true}, {arphrdLoopback, packet.Outgoing, "out", false},
		{arphrdCAN, packet.Outgoing, "", false}, {arphrdCAN, packet.Host, "", true},
		{arphrdCAN, packet.Outgoing, "out", true}, {arphrdCAN, packet.Outgoing, "in", false},
	} {
		c.direction = tc.dir
		if got := c.keep(&packet.Packet{HardwareType: tc.ht, Type: tc.typ}); got != tc.keep {
			t.Errorf("hardware type %d, %v, -Q %q: keep %v, want %v", tc.ht, tc.typ, tc.dir, got, tc.keep)
		}
	}
	if c.loopDup.Load() != 4 {
		t.Errorf("%d loopback and CAN copies counted, want 4", c.loopDup.Load())
	}
}

// TestSnapLength: -s keeps the first snaplen bytes of each packet (the
// kernel truncates through the filter's return value) and the file records
// the original length; -c stops after count packets.
func TestSnapLength(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for packet sockets")
	}
	rx, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	port := strconv.Itoa(rx.LocalAddr().(*net.UDPAddr).Port)
	file := filepath.Join(t.TempDir(), "snap.pcapng")
	var fgOut, fgErr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- Capture(context.Background(), []string{"-i", "lo", "-s", "60", "-c", "3", "-w", file, "udp", "dst", "port", port}, &fgOut, &fgErr)
	}()
	waitFor(t, "fieldgate to listen", func() bool { return strings.Contains(fgErr.String(), "listening on") })
	c, err := net.Dial("udp4", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 5 {
		c.Write(make([]byte, 200))
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("-c 3 did not stop the capture")
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := packet.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		rec, err := r.ReadPacket()
		if err != nil {
			break
		}
		n++
		if len(rec.Data) != 60 || rec.Length != 14+20+8+200 {
			t.Errorf("record %d: %d bytes captured of %d, want 60 of %d", n, len(rec.Data), rec.Length, 14+20+8+200)
		}
	}
	if n != 3 {
		t.Errorf("%d records, want 3", n)
	}
	if fgOut.String() != "" {
		t.Errorf("stdout with -w: %q", fgOut.String())
	}
}
