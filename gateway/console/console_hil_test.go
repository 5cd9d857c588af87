//go:build hil

package console

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway"
)

// The rig tests of the console run `fieldgate run` (the binary the rig
// puts on PATH) forwarding vcan0 → vcan1 in user space (route offload:
// never), with the console on its loopback admin port and the test DBC,
// and read /console/events as a browser would, from this process.

var (
	conRounds = flag.Int("fg.conrounds", 5, "BenchmarkHILConsoleForwarding: rounds (closed, open, closed again each)")
	conFrames = flag.Int("fg.conframes", 4000, "BenchmarkHILConsoleForwarding: frames the BCM job sends per phase")
	conIval   = flag.Duration("fg.conival", time.Millisecond, "BenchmarkHILConsoleForwarding: the BCM job's interval between frames")
)

// fgProc is a `fieldgate run` process.
type fgProc struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT of the admin port
	log    string
	exited chan error
}

// startFieldgate starts `fieldgate run` forwarding vcan0 (endpoint a) to
// vcan1 (endpoint b) in user space and waits for its admin port.
func startFieldgate(t testing.TB) *fgProc {
	t.Helper()
	return startFieldgateWith(t, `endpoints:
  a: {kind: can, interface: vcan0}
  b: {kind: can, interface: vcan1}
routes:
  - {name: fwd, from: [a], to: [b], offload: never}
`)
}

// startFieldgateWith starts `fieldgate run` with the console (loopback
// admin port, the test DBC) and body's endpoints and routes (one route, in
// user space), and waits for its admin port.
func startFieldgateWith(t testing.TB, body string) *fgProc {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := l.Addr().String()
	l.Close()
	dbc, err := filepath.Abs("testdata/console.dbc")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "console-rig.yaml")
	yaml := fmt.Sprintf("admin: {listen: %q, console: {dbc: %q}}\n", admin, dbc) + body
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &fgProc{base: "http://" + admin, log: filepath.Join(dir, "fieldgate.log"), exited: make(chan error, 1)}
	out, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	p.cmd = exec.Command("fieldgate", "run", "-c", file)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("fieldgate run: %v", err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-p.exited:
			p.exited <- err
			log, _ := os.ReadFile(p.log)
			t.Fatalf("fieldgate run exited: %v\n%s", err, log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(p.log)
			t.Fatalf("fieldgate run: no /healthz after 30 s\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := p.status(t); len(st.Routes) != 1 || st.Routes[0].Offloaded {
		t.Fatalf("fieldgate: want one route in user space, status says %+v", st.Routes)
	}
	http.DefaultClient.CloseIdleConnections()
	return p
}

// status fetches /status.
func (p *fgProc) status(t testing.TB) gateway.Status {
	t.Helper()
	resp, err := http.Get(p.base + "/status")
	if err != nil {
		t.Fatalf("fieldgate status: %v", err)
	}
	defer resp.Body.Close()
	var st gateway.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("fieldgate status: %v", err)
	}
	return st
}

// cpu is the process's CPU time over all its threads, from
// /proc/PID/task/*/schedstat (nanoseconds, any exited thread's time lost).
func (p *fgProc) cpu() time.Duration {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", p.cmd.Process.Pid))
	var sum time.Duration
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if v, err := strconv.ParseInt(strings.Fields(string(b) + " 0")[0], 10, 64); err == nil {
			sum += time.Duration(v)
		}
	}
	return sum
}

// rawSock is a raw CAN socket that is not registered with the runtime's
// poller: frames arriving wake nothing in this process; they are read
// with drain.
type rawSock struct{ fd int }

// openRaw opens a raw CAN socket on ifname with a receive buffer of
// bufBytes (a CAN skb takes about 1 KiB of it) and SO_RXQ_OVFL.
func openRaw(t testing.TB, ifname string, bufBytes int) *rawSock {
	t.Helper()
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Socket(unix.AF_CAN, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.CAN_RAW)
	if err != nil {
		t.Fatalf("%s: raw CAN socket: %v", ifname, err)
	}
	s := &rawSock{fd: fd}
	t.Cleanup(s.close)
	if err := errors.Join(
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, bufBytes),
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1),
		unix.Bind(fd, &unix.SockaddrCAN{Ifindex: ifi.Index})); err != nil {
		t.Fatalf("%s: raw CAN socket: %v", ifname, err)
	}
	return s
}

func (s *rawSock) close() {
	if s.fd >= 0 {
		unix.Close(s.fd)
		s.fd = -1
	}
}

// drain reads every frame queued without blocking, calling f for each
// (data is only valid during the call), and returns the frames the socket
// dropped for a full buffer so far.
func (s *rawSock) drain(f func(id uint32, data []byte)) (overflow uint32, err error) {
	buf := make([]byte, unix.CAN_MTU)
	oob := make([]byte, 64)
	for {
		n, oobn, _, _, err := unix.Recvmsg(s.fd, buf, oob, unix.MSG_DONTWAIT)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return overflow, nil
		}
		if err != nil {
			return overflow, fmt.Errorf("raw CAN socket: %w", err)
		}
		if n < 16 {
			return overflow, fmt.Errorf("raw CAN socket: a %d-byte frame", n)
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return overflow, fmt.Errorf("raw CAN socket: control messages: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_RXQ_OVFL && len(m.Data) >= 4 {
				overflow = binary.NativeEndian.Uint32(m.Data)
			}
		}
		f(binary.NativeEndian.Uint32(buf), buf[8:8+min(int(buf[4]), 8)])
	}
}

// stream is an event stream read as a browser would: every event parsed.
type stream struct {
	hello  chan struct{}
	traces atomic.Int64
	// reads counts the reads of the connection that returned bytes.
	reads atomic.Int64
	rows  chan []Row // the rows of every trace event, when read by the test
	// status has the status events (the Overview's data), when read by
	// the test.
	status chan statusEvent
	close  func()
	done   chan error
}

// readerKind is how the test process reads an event stream.
type readerKind int

const (
	// perEvent reads through net/http's client: a goroutine blocked in the
	// body's Read, woken by the runtime's poller for every event the
	// console writes (a browser on this machine would do the same).
	perEvent readerKind = iota
	// bulk reads the connection's bytes once every bulkEvery with a
	// non-blocking recv on a socket the runtime's poller does not watch,
	// into a 4 MiB receive buffer: events arriving wake nothing in this
	// process, as with a browser on another machine.
	bulk
)

// bulkEvery is the bulk reader's period.
const bulkEvery = time.Second

func (k readerKind) String() string {
	if k == bulk {
		return "bulk"
	}
	return "per-event"
}

// openStream connects to /console/events and returns once the hello
// event came: the console has installed its tap then.
func openStream(t testing.TB, base string, keepRows bool) *stream {
	return openStreamWith(t, base, perEvent, keepRows, false)
}

// openStreamStatus is openStream also passing the status events on, when
// keepStatus is set.
func openStreamStatus(t testing.TB, base string, keepRows, keepStatus bool) *stream {
	return openStreamWith(t, base, perEvent, keepRows, keepStatus)
}

// openStreamWith is openStream reading the stream the reader's way.
func openStreamWith(t testing.TB, base string, reader readerKind, keepRows, keepStatus bool) *stream {
	t.Helper()
	s := &stream{hello: make(chan struct{}), rows: make(chan []Row, 4096), status: make(chan statusEvent, 1024), done: make(chan error, 1)}
	var resp *http.Response
	var err error
	if reader == bulk {
		resp, s.close, err = bulkGet(base+pathEvents, &s.reads)
	} else {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", base+pathEvents, nil)
		resp, err = http.DefaultClient.Do(req)
		if err == nil {
			s.close = func() { cancel(); resp.Body.Close() }
		} else {
			cancel()
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		s.close()
		t.Fatalf("GET %s (%s reader): %s, Content-Type %q", pathEvents, reader, resp.Status, resp.Header.Get("Content-Type"))
	}
	go s.parse(resp.Body, keepRows, keepStatus)
	select {
	case <-s.hello:
	case err := <-s.done:
		s.close()
		t.Fatalf("the event stream ended before its hello event: %v", err)
	case <-time.After(30 * time.Second):
		s.close()
		t.Fatal("no hello event after 30 s")
	}
	return s
}

// parse reads the events of body, every one parsed as a browser does.
func (s *stream) parse(body io.Reader, keepRows, keepStatus bool) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	name := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = line[7:]
		case strings.HasPrefix(line, "data: "):
			switch name {
			case "hello":
				close(s.hello)
			case "status":
				if !keepStatus {
					break
				}
				var se statusEvent
				if err := json.Unmarshal([]byte(line[6:]), &se); err != nil {
					s.done <- fmt.Errorf("status event %q: %w", line, err)
					return
				}
				s.status <- se
			case "trace":
				var te traceEvent
				if err := json.Unmarshal([]byte(line[6:]), &te); err != nil {
					s.done <- fmt.Errorf("trace event %q: %w", line, err)
					return
				}
				s.traces.Add(1)
				if keepRows {
					s.rows <- te.Rows
				}
			}
		}
	}
	s.done <- sc.Err()
}

// bulkGet sends GET url (http://127.0.0.1:PORT/...) on a TCP socket the
// runtime's poller does not watch, with a 4 MiB receive buffer, and reads
// what arrived every bulkEvery with non-blocking recvs until none is left,
// passing it through a pipe to the returned response (its header and body
// parsed by net/http). close stops the reads and closes the socket.
func bulkGet(url string, reads *atomic.Int64) (resp *http.Response, closeFn func(), err error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, nil, err
	}
	addr, err := net.ResolveTCPAddr("tcp4", req.URL.Host)
	if err != nil {
		return nil, nil, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("bulk reader: socket: %w", err)
	}
	sa := &unix.SockaddrInet4{Port: addr.Port}
	copy(sa.Addr[:], addr.IP.To4())
	head := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", req.URL.RequestURI(), req.URL.Host)
	if err := errors.Join(
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20),
		unix.Connect(fd, sa)); err != nil {
		unix.Close(fd)
		return nil, nil, fmt.Errorf("bulk reader: %s: %w", addr, err)
	}
	if n, err := unix.Write(fd, []byte(head)); err != nil || n != len(head) {
		unix.Close(fd)
		return nil, nil, fmt.Errorf("bulk reader: writing the request: %d of %d bytes: %v", n, len(head), err)
	}
	pr, pw := io.Pipe()
	stop := make(chan struct{})
	go func() {
		defer unix.Close(fd)
		buf := make([]byte, 4<<20)
		for {
			n := 0
			for n < len(buf) {
				m, _, err := unix.Recvfrom(fd, buf[n:], unix.MSG_DONTWAIT)
				if err == unix.EINTR {
					continue
				}
				if err == unix.EAGAIN {
					break
				}
				if err != nil || m == 0 {
					pw.Write(buf[:n])
					pw.CloseWithError(err) // nil: io.EOF
					return
				}
				n += m
			}
			if n > 0 {
				reads.Add(1)
				if _, err := pw.Write(buf[:n]); err != nil {
					return
				}
			}
			select {
			case <-stop:
				pw.CloseWithError(errors.New("bulk reader closed"))
				return
			case <-time.After(bulkEvery):
			}
		}
	}()
	var once sync.Once
	closeFn = func() { once.Do(func() { close(stop); pr.Close() }) }
	resp, err = http.ReadResponse(bufio.NewReader(pr), req)
	if err != nil {
		closeFn()
		return nil, nil, fmt.Errorf("bulk reader: %w", err)
	}
	return resp, closeFn, nil
}

// TestHILConsoleTrace: with the console open (an event stream connected),
// fieldgate forwards every frame sent on vcan0 (cansend and a cangen run)
// to vcan1 unchanged and in order, and the trace rows of the stream show
// each ID with its count, its last data as seen on vcan0 and the signals
// of the DBC.
// It runs once with each reader of the stream (per-event and bulk, see
// readerKind).
func TestHILConsoleTrace(t *testing.T) {
	for _, reader := range []readerKind{perEvent, bulk} {
		t.Run(reader.String(), func(t *testing.T) { testHILConsoleTrace(t, reader) })
	}
}

func testHILConsoleTrace(t *testing.T, reader readerKind) {
	fg := startFieldgate(t)
	in, out := openRaw(t, "vcan0", 8<<20), openRaw(t, "vcan1", 8<<20)
	s := openStreamWith(t, fg.base, reader, true, false)
	defer s.close()

	const n = 2000
	for _, c := range [][]string{
		{"cansend", "vcan0", "123#E803500100000000"},      // Engine: Speed 100 km/h, Temp 40 degC, Gear 1 Drive
		{"cansend", "vcan0", "18FEF100#0000320000000000"}, // Wheels: WheelSpeed 0x3200/256 = 50 km/h
		{"cangen", "vcan0", "-g", "1", "-p", "100", "-n", strconv.Itoa(n), "-I", "456", "-L", "8", "-D", "i"},
		{"cansend", "vcan0", "7FF#0102"},
	} {
		if b, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(c, " "), err, b)
		}
	}
	// What crossed each bus, in order.
	type rec struct {
		id   uint32
		data string
	}
	var sent, got []rec
	deadline := time.Now().Add(60 * time.Second)
	for {
		ovIn, err1 := in.drain(func(id uint32, d []byte) { sent = append(sent, rec{id, hex.EncodeToString(d)}) })
		ovOut, err2 := out.drain(func(id uint32, d []byte) { got = append(got, rec{id, hex.EncodeToString(d)}) })
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if ovIn != 0 || ovOut != 0 {
			t.Fatalf("the test's sockets overflowed: vcan0 %d, vcan1 %d", ovIn, ovOut)
		}
		if len(got) >= len(sent) && len(sent) == n+3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(sent) != n+3 {
		t.Fatalf("%d frames on vcan0, want %d", len(sent), n+3)
	}
	if len(got) != len(sent) {
		t.Fatalf("lost with the console open: %d frames on vcan0, %d on vcan1", len(sent), len(got))
	}
	for i := range sent {
		if got[i] != sent[i] {
			t.Fatalf("frame %d: %x#%s on vcan1, %x#%s on vcan0", i, got[i].id, got[i].data, sent[i].id, sent[i].data)
		}
	}
	// The rows the stream must end up showing.
	want := map[string]Row{}
	for _, r := range sent {
		id := r.id & unix.CAN_EFF_MASK
		k := fmt.Sprintf("%03X", id)
		if r.id&unix.CAN_EFF_FLAG != 0 {
			k = fmt.Sprintf("%08X", id)
		}
		w := want[k]
		w.ID, w.EP, w.Type, w.Count, w.Data, w.Len, w.Ext = k, "a", "can", w.Count+1, r.data, len(r.data)/2, r.id&unix.CAN_EFF_FLAG != 0
		want[k] = w
	}
	if len(want) != 4 || want["456"].Count != n {
		t.Fatalf("vcan0 carried %+v", want)
	}
	rows := map[string]Row{}
	match := func() bool {
		for k, w := range want {
			r, ok := rows[k]
			if !ok || r.Data != w.Data || (r.Count != w.Count && !r.Sampled) {
				return false
			}
		}
		return true
	}
	timeout := time.After(60 * time.Second)
	for !match() {
		select {
		case rs := <-s.rows:
			for _, r := range rs {
				rows[r.ID] = r
			}
		case err := <-s.done:
			t.Fatalf("the event stream ended: %v", err)
		case <-timeout:
			t.Fatalf("after 60 s the trace shows %+v, want %+v", rows, want)
		}
	}
	for k, w := range want {
		r := rows[k]
		if r.EP != w.EP || r.Type != w.Type || r.Len != w.Len || r.Ext != w.Ext {
			t.Errorf("row %s: %+v, want %+v", k, r, w)
		}
		if r.Sampled {
			// Only a source above 20 000 frames/s is sampled; the rig's
			// cangen -g 1 is far below.
			t.Errorf("row %s is sampled (count %d, %d sent)", k, r.Count, w.Count)
		}
	}
	wantSigs := map[string][]Sig{
		"123":      {{"Speed", 100, "km/h", ""}, {"Temp", 40, "degC", ""}, {"Gear", 1, "", "Drive"}},
		"18FEF100": {{"WheelSpeed", 50, "km/h", ""}},
	}
	wantMsg := map[string]string{"123": "Engine", "18FEF100": "Wheels"}
	for k, sigs := range wantSigs {
		r := rows[k]
		if r.Msg != wantMsg[k] || len(r.Sigs) != len(sigs) {
			t.Errorf("row %s: message %q, signals %+v; want %s %+v", k, r.Msg, r.Sigs, wantMsg[k], sigs)
			continue
		}
		sort.Slice(r.Sigs, func(i, j int) bool { return r.Sigs[i].Name < r.Sigs[j].Name })
		sort.Slice(sigs, func(i, j int) bool { return sigs[i].Name < sigs[j].Name })
		for i := range sigs {
			if r.Sigs[i] != sigs[i] {
				t.Errorf("row %s: signal %+v, want %+v", k, r.Sigs[i], sigs[i])
			}
		}
	}
	// The gateway's own counters: everything in, everything out, no drop.
	st := fg.status(t)
	var a, b gateway.EndpointStatus
	for _, e := range st.Endpoints {
		switch e.Name {
		case "a":
			a = e
		case "b":
			b = e
		}
	}
	if a.FramesIn != uint64(len(sent)) || b.FramesOut != uint64(len(sent)) ||
		gateway.DroppedTotal(a.Dropped) != 0 || gateway.DroppedTotal(b.Dropped) != 0 {
		t.Errorf("status: a in %d dropped %v, b out %d dropped %v; want %d in and out, no drops",
			a.FramesIn, a.Dropped, b.FramesOut, b.Dropped, len(sent))
	}
}

// conPhase is one phase of BenchmarkHILConsoleForwarding.
type conPhase struct {
	cpu    time.Duration // fieldgate's CPU time per frame sent
	lost   int
	rate   float64 // frames/s the BCM job achieved
	traces int64   // trace events the stream read (open phases)
	reads  int64   // the stream's reads that returned bytes (bulk reader)
	// idle is fieldgate's CPU time over one second with no frames, just
	// before the job: what the open console costs per second by itself.
	idle time.Duration
}

// BenchmarkHILConsoleForwarding measures the console's cost in the rig:
// `fieldgate run` forwards vcan0 → vcan1 (can → can, offload: never) while
// a CAN_BCM TX_SETUP job on vcan0 sends -fg.conframes frames at
// -fg.conival (8 IDs 0x120..0x127 whose data changes with every frame; 0x123
// is decoded by the DBC), so that no user-space load generator shares the
// vCPU. Each round runs five phases in the same gateway process: console
// closed, open, closed, open, closed. In the open phases an event stream
// is connected from this process and every event parsed, as a browser
// does (the tap installed, the trace streaming at 10 Hz), once by each
// reader: per-event (net/http's client, woken for every event) and bulk
// (the bytes read once a second without the poller: see readerKind); the
// round's first open phase is per-event in odd rounds and bulk in even
// ones. The figure is fieldgate's CPU time (/proc/PID/task/*/schedstat)
// per frame sent, from before the job to 500 ms after its last frame;
// lost = frames sent − frames of the phase received on vcan1, read by a
// raw socket after the phase, and must be 0. open/closed is an open
// phase over the mean of the closed phases either side of it; the noise
// is the middle closed phase over the mean of the first and last. Each
// phase also measures fieldgate's CPU time over one second with no frames
// just before its job (idle): the open console's cost per second by
// itself.
func BenchmarkHILConsoleForwarding(b *testing.B) {
	if *conRounds < 1 || *conFrames < 1 || *conFrames > 1<<20 || *conIval < 10*time.Microsecond {
		b.Fatalf("-fg.conrounds %d, -fg.conframes %d, -fg.conival %v: want ≥ 1 round, 1..2^20 frames, ≥ 10µs", *conRounds, *conFrames, *conIval)
	}
	fg := startFieldgate(b)
	time.Sleep(time.Second) // start-up work (the first samples, GC)
	type round struct {
		closed [3]conPhase
		open   [2]conPhase // by readerKind: per-event, bulk
		// ratio is each reader's open phase over its neighbours' mean.
		ratio [2]float64
		noise float64
	}
	var rounds []round
	tag := byte(0)
	for r := range *conRounds {
		var rd round
		order := [2]readerKind{perEvent, bulk}
		if r%2 == 1 {
			order = [2]readerKind{bulk, perEvent}
		}
		for i := range 5 {
			tag++
			var s *stream
			reader := order[min(i/2, 1)]
			if i%2 == 1 {
				s = openStreamWith(b, fg.base, reader, false, false)
			}
			time.Sleep(time.Second) // the previous stream's detach; the same pause in every phase
			idle0 := fg.cpu()
			time.Sleep(time.Second)
			idle := fg.cpu() - idle0
			p := conRun(b, fg, tag)
			p.idle = idle
			if s != nil {
				p.traces, p.reads = s.traces.Load(), s.reads.Load()
				s.close()
				if p.traces == 0 {
					b.Fatalf("round %d: the console streamed no trace event to the %s reader", r+1, reader)
				}
				rd.open[reader] = p
			} else {
				rd.closed[i/2] = p
			}
		}
		c := rd.closed
		rd.ratio[order[0]] = 2 * us(rd.open[order[0]].cpu) / (us(c[0].cpu) + us(c[1].cpu))
		rd.ratio[order[1]] = 2 * us(rd.open[order[1]].cpu) / (us(c[1].cpu) + us(c[2].cpu))
		rd.noise = 2 * us(c[1].cpu) / (us(c[0].cpu) + us(c[2].cpu))
		rounds = append(rounds, rd)
		o := rd.open
		b.Logf("round %d (%s first): CPU/frame closed %.1f/%.1f/%.1f µs, open per-event %.1f µs (%d trace events), open bulk %.1f µs (%d trace events in %d reads); open/closed per-event %.3f, bulk %.3f, noise %.3f; lost %d/%d/%d/%d/%d; %.0f–%.0f frames/s; idle CPU closed %.1f/%.1f/%.1f ms/s, per-event %.1f, bulk %.1f",
			r+1, order[0], us(c[0].cpu), us(c[1].cpu), us(c[2].cpu), us(o[perEvent].cpu), o[perEvent].traces, us(o[bulk].cpu), o[bulk].traces, o[bulk].reads,
			rd.ratio[perEvent], rd.ratio[bulk], rd.noise,
			c[0].lost, o[order[0]].lost, c[1].lost, o[order[1]].lost, c[2].lost,
			min(c[0].rate, c[1].rate, c[2].rate, o[0].rate, o[1].rate), max(c[0].rate, c[1].rate, c[2].rate, o[0].rate, o[1].rate),
			ms(c[0].idle), ms(c[1].idle), ms(c[2].idle), ms(o[perEvent].idle), ms(o[bulk].idle))
	}
	var cl, opE, opB, ratioE, ratioB, noise, lost, idleC, idleE, idleB []float64
	for _, rd := range rounds {
		for _, c := range rd.closed {
			cl, idleC = append(cl, us(c.cpu)), append(idleC, ms(c.idle))
		}
		opE, opB = append(opE, us(rd.open[perEvent].cpu)), append(opB, us(rd.open[bulk].cpu))
		idleE, idleB = append(idleE, ms(rd.open[perEvent].idle)), append(idleB, ms(rd.open[bulk].idle))
		ratioE, ratioB, noise = append(ratioE, rd.ratio[perEvent]), append(ratioB, rd.ratio[bulk]), append(noise, rd.noise)
		lost = append(lost, float64(rd.closed[0].lost+rd.closed[1].lost+rd.closed[2].lost+rd.open[0].lost+rd.open[1].lost))
	}
	st := fg.status(b)
	var drops []string
	for _, e := range st.Endpoints {
		if t := gateway.DroppedTotal(e.Dropped); t > 0 {
			drops = append(drops, fmt.Sprintf("%s %v", e.Name, e.Dropped))
		}
	}
	b.Logf("%d rounds of %d frames per phase at a %v BCM interval, median [min, max]: CPU/frame closed %s, open per-event reader %s, open bulk reader %s; open/closed per-event %s, bulk %s; noise (closed/closed) %s; lost per round %s; gateway drops %v; idle CPU (no frames) closed %s, per-event %s, bulk %s",
		len(rounds), *conFrames, *conIval, spreadOf(cl, "%.1f µs"), spreadOf(opE, "%.1f µs"), spreadOf(opB, "%.1f µs"),
		spreadOf(ratioE, "%.3f"), spreadOf(ratioB, "%.3f"), spreadOf(noise, "%.3f"), spreadOf(lost, "%.0f"), drops,
		spreadOf(idleC, "%.1f ms/s"), spreadOf(idleE, "%.1f ms/s"), spreadOf(idleB, "%.1f ms/s"))
	b.ReportMetric(median(cl), "cpu-us/frame-closed")
	b.ReportMetric(median(opE), "cpu-us/frame-open-per-event")
	b.ReportMetric(median(opB), "cpu-us/frame-open-bulk")
	b.ReportMetric(median(ratioE), "open/closed-per-event")
	b.ReportMetric(median(ratioB), "open/closed-bulk")
	b.ReportMetric(median(noise), "closed/closed")
	if sum(lost) != 0 || len(drops) != 0 {
		b.Errorf("frames lost: %v per round, gateway drops %v", lost, drops)
	}
}

// conRun runs the BCM job once through fg and measures it.
func conRun(b *testing.B, fg *fgProc, tag byte) conPhase {
	b.Helper()
	n := *conFrames
	out := openRaw(b, "vcan1", max(8<<20, 2*n*1024))
	defer out.close()
	cpu0, t0 := fg.cpu(), time.Now()
	conJob(b, n, *conIval, tag)
	wall := time.Since(t0)
	time.Sleep(500 * time.Millisecond) // frames still in the gateway
	cpu := fg.cpu() - cpu0
	got := 0
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ov, err := out.drain(func(id uint32, d []byte) {
			if id >= 0x120 && id <= 0x127 && len(d) == 8 && d[7] == tag {
				got++
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		if ov != 0 {
			b.Fatalf("the vcan1 socket overflowed (%d frames): raise its buffer", ov)
		}
		if got >= n || time.Now().After(deadline) {
			break
		}
	}
	return conPhase{cpu: cpu / time.Duration(n), lost: n - got, rate: float64(n) / wall.Seconds()}
}

// conJob runs a BCM job on vcan0: n frames, one every ival, cycling
// through 256 frames of IDs 0x120..0x127 whose data is their index, a
// fixed pattern and tag, and returns when the kernel reports the last one
// sent (TX_EXPIRED); this process blocks in that read meanwhile.
func conJob(b *testing.B, n int, ival time.Duration, tag byte) {
	b.Helper()
	bcm, err := can.DialBCM("vcan0")
	if err != nil {
		b.Fatal(err)
	}
	defer bcm.Close()
	frames := make([]can.FDFrame, can.BCMMaxFrames)
	for i := range frames {
		frames[i] = can.FDFrame{ID: 0x120 + uint32(i%8), Len: 8, Data: [64]byte{byte(i), 0x03, 0x50, 0x01, 0xC0, 0x45, 0x01, tag}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n)*ival*2+30*time.Second)
	defer cancel()
	if err := bcm.TxSetup(ctx, 0x120, uint32(n), ival, 0, can.BCMTxCountEvt, frames...); err != nil {
		b.Fatalf("BCM TX_SETUP: %v", err)
	}
	m, err := bcm.ReadMsg(ctx)
	if err != nil {
		b.Fatalf("BCM: waiting for TX_EXPIRED: %v", err)
	}
	if m.Opcode != can.TxExpired {
		b.Fatalf("BCM: got %s, want TX_EXPIRED", m.Opcode)
	}
}

func us(d time.Duration) float64 { return d.Seconds() * 1e6 }

func ms(d time.Duration) float64 { return d.Seconds() * 1e3 }

func sum(v []float64) (s float64) {
	for _, x := range v {
		s += x
	}
	return s
}

// median returns the median of v (the upper one of an even count).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// spreadOf formats the median, minimum and maximum of v.
func spreadOf(v []float64, format string) string {
	if len(v) == 0 {
		return "-"
	}
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return fmt.Sprintf(format+" ["+format+", "+format+"]", median(v), lo, hi)
}
