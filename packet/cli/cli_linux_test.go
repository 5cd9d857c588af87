//go:build linux && !hil

package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/packet"
	"golang.org/x/sys/unix"
)

var nsSeq int

// inNetns creates a namespace with veth pair A<->B (deleted at the end)
// and returns a function running f on a thread inside it.
func inNetns(t *testing.T) func(f func()) {
	t.Helper()
	nsSeq++
	name := fmt.Sprintf("fgcli%d-%d", os.Getpid(), nsSeq)
	run := func(args ...string) {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	run("netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	if out, err := exec.Command("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1").CombinedOutput(); err != nil {
		t.Fatalf("sysctl: %v %s", err, out)
	}
	run("-n", name, "link", "add", "A", "type", "veth", "peer", "name", "B")
	run("-n", name, "link", "set", "A", "up")
	run("-n", name, "link", "set", "B", "up")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		a, _ := exec.Command("ip", "-n", name, "-o", "link", "show", "A").Output()
		b, _ := exec.Command("ip", "-n", name, "-o", "link", "show", "B").Output()
		out := string(a) + string(b)
		if strings.Count(out, "state UP") == 2 && !strings.Contains(out, "qdisc noop") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("veth not up: %s", out)
		}
	}
	fd, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return func(f func()) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
			if err := unix.Unshare(unix.CLONE_FS); err != nil {
				t.Error(err)
				return
			}
			if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
				t.Error(err)
				return
			}
			f()
		}()
		<-done
	}
}

func frame(i, size int) []byte {
	f := make([]byte, size)
	copy(f, []byte{2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa, 0x88, 0xb5})
	for j := 14; j < size; j++ {
		f[j] = byte(i + j)
	}
	f[14], f[15] = byte(i>>8), byte(i)
	return f
}

func TestCaptureThenInject(t *testing.T) {
	ns := inNetns(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "cap.pcapng")
	const n = 50
	var tx *packet.Conn
	ns(func() {
		ifi, err := net.InterfaceByName("A")
		if err == nil {
			tx, err = packet.Listen(ifi, &packet.Config{SendOnly: true})
		}
		if err != nil {
			t.Error(err)
		}
	})
	if tx == nil {
		t.FailNow()
	}
	defer tx.Close()

	// capture -c n on B while frames (and non-matching ones) go out on A.
	var stdout, stderr bytes.Buffer
	var cerr error
	var wg sync.WaitGroup
	wg.Go(func() {
		ns(func() {
			cerr = Capture(context.Background(), []string{"-i", "B", "-f", "ether proto 0x88b5", "-w", out, "-c", fmt.Sprint(n), "-q"}, &stdout, &stderr)
		})
	})
	var sent [][]byte
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		if done := waitTimeout(&wg, 2*time.Millisecond); done || time.Now().After(deadline) {
			break
		}
		f := frame(i, 60+i%200)
		sent = append(sent, f)
		if _, err := tx.Write(f); err != nil {
			t.Fatal(err)
		}
		other := bytes.Clone(f)
		other[13] = 0xb6 // filtered out
		tx.Write(other)
	}
	wg.Wait()
	if cerr != nil {
		t.Fatalf("capture: %v\n%s%s", cerr, stdout.String(), stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout with -w: %q, want nothing", stdout.String())
	}
	if !strings.Contains(stderr.String(), fmt.Sprintf("%d packets captured\n", n)) || !strings.Contains(stderr.String(), "written: "+out) {
		t.Errorf("summary: %q", stderr.String())
	}
	recs := readRecords(t, out)
	if len(recs) != n {
		t.Fatalf("file has %d packets, want %d", len(recs), n)
	}
	first := -1
	for k := range sent {
		if bytes.Equal(sent[k], recs[0]) {
			first = k
		}
	}
	if first < 0 {
		t.Fatal("first captured packet was not sent")
	}
	for i, r := range recs {
		if !bytes.Equal(r, sent[first+i]) {
			t.Fatalf("packet %d differs from sent frame %d", i, first+i)
		}
	}
	tshark, err := exec.Command("tshark", "-r", out, "-T", "fields", "-e", "frame.interface_name").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	if lines := strings.Fields(string(tshark)); len(lines) != n || lines[0] != "B" {
		t.Errorf("tshark: %d packets, interface %v", len(lines), lines[:min(1, len(lines))])
	}

	// inject the file on A; a socket on B must see the same frames.
	var rx *packet.Conn
	ns(func() {
		ifi, err := net.InterfaceByName("B")
		if err == nil {
			raw, _ := packet.AssembleFilter("ether proto 0x88b5", nil)
			rx, err = packet.Listen(ifi, &packet.Config{Filter: raw, ReadBuffer: 1 << 20})
		}
		if err != nil {
			t.Error(err)
		}
	})
	if rx == nil {
		t.FailNow()
	}
	defer rx.Close()
	stdout.Reset()
	ns(func() {
		cerr = Inject(context.Background(), []string{"-i", "A", "--rate", "5000", out}, &stdout, &stderr)
	})
	if cerr != nil || !strings.Contains(stdout.String(), fmt.Sprintf("%d packets", n)) {
		t.Fatalf("inject: %v %q %s", cerr, stdout.String(), stderr.String())
	}
	buf := make([]byte, 2048)
	for i := range n {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		p, err := rx.ReadPacket(ctx, buf)
		cancel()
		if err != nil {
			t.Fatalf("injected packet %d: %v", i, err)
		}
		if !bytes.Equal(p.Data, recs[i]) {
			t.Fatalf("injected packet %d differs", i)
		}
	}

	// Full speed: batches (WriteBatch), the file 10 times
	// over (500 frames, two batches of 256 and a rest), in order.
	stdout.Reset()
	ns(func() {
		cerr = Inject(context.Background(), []string{"-i", "A", "--loop", "10", out}, &stdout, &stderr)
	})
	if cerr != nil || !strings.Contains(stdout.String(), fmt.Sprintf("%d packets", 10*n)) {
		t.Fatalf("inject at full speed: %v %q %s", cerr, stdout.String(), stderr.String())
	}
	for i := range 10 * n {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		p, err := rx.ReadPacket(ctx, buf)
		cancel()
		if err != nil {
			t.Fatalf("full-speed injected packet %d: %v", i, err)
		}
		if !bytes.Equal(p.Data, recs[i%n]) {
			t.Fatalf("full-speed injected packet %d differs", i)
		}
	}
	if st, err := rx.Stats(); err != nil || st.Drops != 0 {
		t.Errorf("receiver stats %+v %v: want no drops", st, err)
	}
	// -c stops mid-batch.
	stdout.Reset()
	ns(func() {
		cerr = Inject(context.Background(), []string{"-i", "A", "--loop", "10", "-c", "301", out}, &stdout, &stderr)
	})
	if cerr != nil || !strings.HasPrefix(stdout.String(), "301 packets") {
		t.Fatalf("inject -c 301: %v %q", cerr, stdout.String())
	}
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	c := make(chan struct{})
	go func() { wg.Wait(); close(c) }()
	select {
	case <-c:
		return true
	case <-time.After(d):
		return false
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-i", "lo", "extra"}, {"-i", "lo", "--fanout", "0"}, {"-i", "lo", "--rotate-size", "1M"},
		{"-i", "lo", "-f", "tcp port"}, {"-i", "lo", "tcp", "port"}, {"-i", "lo", "--fanout-mode", "cbpf", "--fanout", "2"},
		{"-i", "lo", "--rotate-size", "x"}, {"-i", "lo", "-f", "udp", "port", "53"}, {"-z"}, {"-i"}, {"-c", "0"},
		{"-i", "lo", "-W", "3", "-w", "x"}, {"-i", "lo", "-C", "1", "--max-files", "2", "-w", "x"}, {"--no-such"},
		{"-r", "x", "-i", "lo"}, {"-Q", "sideways"}, {"-s", "-1"},
	} {
		var stderr bytes.Buffer
		err := Capture(context.Background(), args, io.Discard, &stderr)
		ec, ok := err.(interface{ ExitCode() int })
		if !ok || ec.ExitCode() != 2 {
			t.Errorf("capture %q: %v, want a usage error (exit 2)", args, err)
			continue
		}
		// One line naming the problem and where help is, no usage dump.
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasSuffix(msg, "; see 'fieldgate capture -h'") || stderr.Len() != 0 {
			t.Errorf("capture %q: error %q, stderr %q: want one line ending in the -h hint", args, msg, stderr.String())
		}
	}
	for _, args := range [][]string{{}, {"-i", "lo"}, {"-i", "lo", "a", "b"}, {"-i", "lo", "--rate", "5", "--realtime", "f"}} {
		err := Inject(context.Background(), args, io.Discard, io.Discard)
		ec, ok := err.(interface{ ExitCode() int })
		if !ok || ec.ExitCode() != 2 {
			t.Errorf("inject %q: %v, want a usage error (exit 2)", args, err)
		}
	}
	if n, err := parseSize("10M"); err != nil || n != 10<<20 {
		t.Errorf("parseSize(10M) = %d, %v", n, err)
	}
}

// TestCaptureFanoutRotation: two fanout sockets writing one rotating file
// set; every captured packet is in exactly one file, every file is read
// by tshark.
func TestCaptureFanoutRotation(t *testing.T) {
	ns := inNetns(t)
	out := filepath.Join(t.TempDir(), "rot.pcapng")
	var tx *packet.Conn
	ns(func() {
		ifi, err := net.InterfaceByName("A")
		if err == nil {
			tx, err = packet.Listen(ifi, &packet.Config{SendOnly: true})
		}
		if err != nil {
			t.Error(err)
		}
	})
	if tx == nil {
		t.FailNow()
	}
	defer tx.Close()
	const n = 300
	var stdout, stderr bytes.Buffer
	var cerr error
	var wg sync.WaitGroup
	wg.Go(func() {
		ns(func() {
			cerr = Capture(context.Background(), []string{"-i", "B", "--fanout", "2", "--fanout-mode", "lb", "-c", fmt.Sprint(n),
				"-w", out, "--rotate-size", "12k", "-q", "-f", "ether proto 0x88b5"}, &stdout, &stderr)
		})
	})
	for i := 0; !waitTimeout(&wg, time.Millisecond); i++ {
		if i > 20000 {
			t.Fatal("capture did not finish")
		}
		tx.Write(frame(i, 100))
	}
	if cerr != nil {
		t.Fatalf("capture: %v %s %s", cerr, stdout.String(), stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "rot_*.pcapng"))
	if len(files) < 3 {
		t.Fatalf("%d files, want rotation: %s", len(files), stdout.String())
	}
	total := 0
	for _, f := range files {
		recs := readRecords(t, f)
		total += len(recs)
		ts, err := exec.Command("tshark", "-r", f, "-T", "fields", "-e", "frame.number").Output()
		if err != nil || len(strings.Fields(string(ts))) != len(recs) {
			t.Errorf("%s: tshark %v read %d packets, we read %d", f, err, len(strings.Fields(string(ts))), len(recs))
		}
	}
	if total != n {
		t.Errorf("%d packets over %d files, want %d", total, len(files), n)
	}
}
