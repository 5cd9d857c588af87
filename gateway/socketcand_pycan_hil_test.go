//go:build hil

package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/can"
	socketcandep "github.com/fieldgate/fieldgate/gateway/endpoints/socketcand"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// scRecorder records every frame on iface (a large receive buffer: a
// cangen -g 0 burst fits) until stop is called.
func scRecorder(t *testing.T, iface string) (stop func() []can.RecvMsg) {
	t.Helper()
	c, err := can.ListenRaw(iface, &can.RawConfig{RecvBuffer: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var got []can.RecvMsg
	done := make(chan struct{})
	go func() {
		defer close(done)
		msgs := make([]can.RecvMsg, can.MaxBatch)
		for {
			n, err := c.ReadBatch(ctx, msgs)
			mu.Lock()
			got = append(got, msgs[:n]...)
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return func() []can.RecvMsg {
		time.Sleep(500 * time.Millisecond)
		cancel()
		c.Close()
		<-done
		if d := c.Dropped(); d != 0 {
			t.Fatalf("the recorder lost %d frames", d)
		}
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

// TestHILSocketcandPythonCAN: python-can 4.1's socketcand bus (Debian's
// python3-can, its own reader) against fieldgate with the default
// socketcand settings, frames from cansend and cangen on vcan0: classic,
// extended, empty, a remote frame, and bursts of 400 standard and 200
// extended frames sent without pause (25 and 13 KiB: python-can falls
// behind and reads 1024 bytes at a time; within TCP's window, which a
// message split by TCP itself would need, see configs/README.md). Every data frame vcan0 carried reaches python-can
// with its ID and data, in order; the remote frame is not sent (as
// socketcand) and counted unsupported; python-can logs no warning. A
// control-mode client's "< stat >" then reports vcan0's counters.
func TestHILSocketcandPythonCAN(t *testing.T) {
	port := freePort(t, "tcp")
	g := startGW(t, freePort(t, "tcp"), fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan0}
  sc: {kind: socketcand, listen: "127.0.0.1:%d", bus: vcan0}
routes:
  - {name: to-clients, from: [bus], to: [sc]}
`, port))
	stop := scRecorder(t, "vcan0")
	// The count is known before the frames are sent: 4 data frames from
	// cansend, 600 from cangen.
	const want = 4 + 400 + 200
	py := peer.Start(t, peer.Python, "-u", "endpoints/socketcand/testdata/pycan_recv.py", "127.0.0.1", strconv.Itoa(port), "vcan0", strconv.Itoa(want))
	py.Expect(t, "ready", 180*time.Second)
	for g.status(t).endpoint("sc").Peers != 1 {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * socketcandep.RawHold)
	for _, f := range []string{"123#112233", "1ABCDEF0#01020304050607FF", "7FF#", "321#R2", "00000001#A5"} {
		peer.Run(t, "cansend", "vcan0", f)
	}
	peer.Run(t, "cangen", "vcan0", "-g", "0", "-n", "400", "-I", "r", "-L", "r", "-D", "r")
	peer.Run(t, "cangen", "vcan0", "-g", "0", "-n", "200", "-e", "-I", "r", "-L", "r", "-D", "r")
	sent := stop()

	var wantLines []string
	rtr := 0
	for i := range sent {
		f := &sent[i].Frame
		if f.Remote {
			rtr++
			continue
		}
		wantLines = append(wantLines, fmt.Sprintf("%X %d %X", f.ID, f.Len, f.Data[:f.Len]))
	}
	if len(wantLines) != want || rtr != 1 {
		t.Fatalf("vcan0 carried %d data and %d remote frames, want %d and 1", len(wantLines), rtr, want)
	}
	for i, w := range wantLines {
		line := py.Line(t, 60*time.Second)
		f := strings.Fields(line)
		if len(f) == 3 { // no data: "ID DLC TIME"
			f = []string{f[0], f[1], "", f[2]}
		}
		if len(f) != 4 || strings.Join(f[:3], " ") != w {
			st := g.status(t)
			t.Fatalf("message %d: python-can got %q, want %q (sc drops %v, bus drops %v)", i, line, w, st.endpoint("sc").Dropped, st.endpoint("bus").Dropped)
		}
	}
	py.Expect(t, fmt.Sprintf("done %d", want), 60*time.Second)
	py.Wait()
	if e := py.Stderr(); e != "" {
		t.Errorf("python-can logged:\n%s", e)
	}
	st := g.settle(t)
	if d := st.endpoint("sc").Dropped; d["unsupported"] != 1 || DroppedTotal(d) != 1 {
		t.Errorf("sc drops %v, want the remote frame as unsupported", d)
	}

	// < stat >: vcan0's counters, between sysfs's before and after.
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	for _, step := range []struct{ send, want string }{{"", "< hi >"}, {"< open vcan0 >", "< ok >"}, {"< controlmode >", "< ok >"}} {
		io.WriteString(c, step.send)
		buf := make([]byte, len(step.want))
		if _, err := io.ReadFull(r, buf); err != nil || string(buf) != step.want {
			t.Fatalf("%s: %q %v", step.send, buf, err)
		}
	}
	sysfs := func() (v [4]uint64) {
		for i, n := range []string{"rx_bytes", "rx_packets", "tx_bytes", "tx_packets"} {
			b, err := os.ReadFile("/sys/class/net/vcan0/statistics/" + n)
			if err != nil {
				t.Fatal(err)
			}
			v[i], _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		}
		return v
	}
	before := sysfs()
	io.WriteString(c, "< statistics 100 >")
	if _, err := r.ReadString('<'); err != nil {
		t.Fatal(err)
	}
	m, err := r.ReadString('>')
	if err != nil {
		t.Fatal(err)
	}
	after := sysfs()
	f := strings.Fields("<" + m)
	if len(f) != 7 || f[1] != "stat" {
		t.Fatalf("stat message %q", "<"+m)
	}
	for i := range 4 {
		v, err := strconv.ParseUint(f[2+i], 10, 64)
		if err != nil || v < before[i] || v > after[i] {
			t.Errorf("stat field %d = %q, want between %d and %d (vcan0's sysfs counters)", i, f[2+i], before[i], after[i])
		}
	}
	if before[1] < uint64(want) {
		t.Errorf("vcan0 rx_packets %d, fewer than the %d frames sent", before[1], want)
	}
	t.Logf("python-can got %d frames, no warnings; stat %s", want, "<"+m)
}
