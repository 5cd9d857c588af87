//go:build hil

package gateway

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// Comparisons with upstream cannelloni (github.com/mguentner/cannelloni,
// GPL-2.0), issue 18 items 2 and 5. Debian does not package it; its
// sources are never part of this repository: hil/build-cannelloni.sh
// builds them from the git-ignored .cache/peers/cannelloni/src into
// upstreamCannelloni. Without the binary the test skips and the
// benchmarks measure fieldgate and can-gw alone, saying so.

// upstreamCannelloni is where the rig looks for the cannelloni binary.
const upstreamCannelloni = "../.cache/peers/cannelloni/cannelloni"

// cannelloniBin returns the absolute path of the cannelloni binary, or ""
// after logging why there is none.
func cannelloniBin(tb testing.TB) string {
	tb.Helper()
	p, err := filepath.Abs(upstreamCannelloni)
	if err == nil {
		_, err = os.Stat(p)
	}
	if err != nil {
		tb.Logf("cannelloni: no binary at %s (%v); run hil/build-cannelloni.sh with its sources in .cache/peers/cannelloni/src (not packaged by Debian), so cannelloni is not measured", upstreamCannelloni, err)
		return ""
	}
	return p
}

// freeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freeUDPPort(tb testing.TB) int {
	tb.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// cnProc is one cannelloni process: CAN interface iface ↔ UDP
// 127.0.0.1:listen ↔ 127.0.0.1:remote, output to a file (no pipe this
// process would wake for).
type cnProc struct {
	cmd    *exec.Cmd
	log    string
	exited chan error
}

// startCannelloni runs bin -I iface -L 127.0.0.1 -l listen -R 127.0.0.1
// -r remote, with -t timeout (µs) when timeout > 0 (else cannelloni's
// default, 100 000 µs), and waits until both its threads are up.
func startCannelloni(tb testing.TB, bin, iface string, listen, remote, timeout int) *cnProc {
	tb.Helper()
	args := []string{"-I", iface, "-L", "127.0.0.1", "-l", strconv.Itoa(listen), "-R", "127.0.0.1", "-r", strconv.Itoa(remote)}
	if timeout > 0 {
		args = append(args, "-t", strconv.Itoa(timeout))
	}
	p := &cnProc{log: filepath.Join(tb.TempDir(), "cannelloni-"+iface+".log"), exited: make(chan error, 1)}
	out, err := os.Create(p.log)
	if err != nil {
		tb.Fatal(err)
	}
	defer out.Close()
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("cannelloni %v: %v", args, err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	tb.Cleanup(p.stop)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		text, _ := os.ReadFile(p.log)
		if bytes.Contains(text, []byte("UDPThread up and running")) && bytes.Contains(text, []byte("CANThread up and running")) {
			return p
		}
		select {
		case err := <-p.exited:
			p.exited <- err
			tb.Fatalf("cannelloni %v exited: %v\n%s", args, err, text)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("cannelloni %v: not up after 30 s\n%s", args, text)
		}
	}
}

func (p *cnProc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM (cannelloni's orderly exit) and kills it if it has
// not exited after 10 s. Idempotent.
func (p *cnProc) stop() {
	select {
	case err := <-p.exited:
		p.exited <- err
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		p.exited <- <-p.exited
	}
}

// cnPair is two cannelloni processes tunnelling vcan0 → UDP loopback →
// vcan1 (and back).
type cnPair struct{ a, b *cnProc }

func startCannelloniPair(tb testing.TB, bin string, timeout int) cnPair {
	tb.Helper()
	pa, pb := freeUDPPort(tb), freeUDPPort(tb)
	return cnPair{a: startCannelloni(tb, bin, "vcan0", pa, pb, timeout), b: startCannelloni(tb, bin, "vcan1", pb, pa, timeout)}
}

func (c cnPair) stop() { c.a.stop(); c.b.stop() }

func (c cnPair) cpu(tb testing.TB) time.Duration { return onCPU(tb, c.a.pid()) + onCPU(tb, c.b.pid()) }

// interopFrames are n frames with payloads that tell them apart: classic
// frames of every length 0..8, standard and extended identifiers, every
// 10th a CAN FD frame (lengths 12..64, BRS on every other), every 25th a
// remote request.
func interopFrames(n int, base uint32) []can.FDFrame {
	fdLens := []uint8{12, 16, 20, 24, 32, 48, 64}
	fs := make([]can.FDFrame, n)
	for i := range fs {
		f := &fs[i]
		f.Len = uint8(i % 9)
		if i%3 == 2 {
			f.Extended, f.ID = true, 0x1ABC0000|base<<4|uint32(i&0xF)
		} else {
			f.ID = base | uint32(i&0xFF)
		}
		switch {
		case i%10 == 9:
			f.Len, f.Flags = fdLens[(i/10)%len(fdLens)], can.FDF
			if i%20 == 19 {
				f.Flags |= can.BRS
			}
		case i%25 == 24:
			f.Remote = true
			continue
		}
		for j := range f.Len {
			f.Data[j] = byte(i*7 + int(j)*31 + int(base))
		}
	}
	return fs
}

// sendRecv writes fs on tx's interface, paced a little, and returns the
// frames rx receives whose identifier matches the sent ones' (want of
// them, within 30 s).
func sendRecv(t *testing.T, tx, rx *can.RawConn, fs []can.FDFrame, match func(*can.FDFrame) bool) []can.FDFrame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make(chan []can.FDFrame, 1)
	go func() {
		var out []can.FDFrame
		var m can.RecvMsg
		for len(out) < len(fs) {
			if err := rx.ReadFrame(ctx, &m); err != nil {
				break
			}
			if match(&m.Frame) {
				out = append(out, m.Frame)
			}
		}
		got <- out
	}()
	for i := range fs {
		if err := tx.WriteFrame(ctx, &fs[i]); err != nil {
			t.Fatalf("write frame %d: %v", i, err)
		}
		if i%20 == 19 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	return <-got
}

// sameFrame compares what crosses the wire: identifier and its flags,
// length, FD flags and payload.
func sameFrame(a, b *can.FDFrame) bool {
	return a.CANID() == b.CANID() && a.Len == b.Len && a.IsFD() == b.IsFD() &&
		a.Flags&(can.BRS|can.ESI) == b.Flags&(can.BRS|can.ESI) && bytes.Equal(a.Payload(), b.Payload())
}

// TestHILCannelloniInterop: real cannelloni on vcan0 and a fieldgate udp
// endpoint routed to vcan1 exchange 200 frames each way, byte-exact and
// in order: cannelloni's datagrams decode in fieldgate and fieldgate's in
// cannelloni. Skips only when the cannelloni binary is absent.
func TestHILCannelloniInterop(t *testing.T) {
	bin := cannelloniBin(t)
	if bin == "" {
		t.Skip("cannelloni binary absent (see hil/build-cannelloni.sh)")
	}
	pc, pf := freeUDPPort(t), freeUDPPort(t)
	cn := startCannelloni(t, bin, "vcan0", pc, pf, 1000)
	g := startGW(t, 9440, fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan1, fd: true}
  link: {kind: udp, listen: "127.0.0.1:%d", peer: "127.0.0.1:%d"}
routes:
  - {name: down, from: [link], to: [bus], allow: [any]}
  - {name: up, from: [bus], to: [link]}
`, pf, pc))
	v0, err := can.ListenRaw("vcan0", &can.RawConfig{FD: true, RecvBuffer: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer v0.Close()
	v1, err := can.ListenRaw("vcan1", &can.RawConfig{FD: true, RecvBuffer: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer v1.Close()
	const n = 200
	// Both directions; each receiver keeps the other direction's
	// identifiers only (the sender's own frames loop back to local
	// sockets on its interface).
	isBase := func(base uint32) func(*can.FDFrame) bool {
		return func(f *can.FDFrame) bool {
			if f.Extended {
				return (f.ID>>4)&0xFFF == base
			}
			return f.ID&^0xFF == base
		}
	}
	for _, d := range []struct {
		name   string
		tx, rx *can.RawConn
		base   uint32
	}{
		{"cannelloni → fieldgate (vcan0 → vcan1)", v0, v1, 0x100},
		{"fieldgate → cannelloni (vcan1 → vcan0)", v1, v0, 0x200},
	} {
		fs := interopFrames(n, d.base)
		got := sendRecv(t, d.tx, d.rx, fs, isBase(d.base))
		if len(got) != n {
			log, _ := os.ReadFile(cn.log)
			t.Errorf("%s: %d of %d frames arrived; gateway %+v; cannelloni log:\n%s", d.name, len(got), n, g.status(t).endpoint("link"), log)
			continue
		}
		bad := 0
		for i := range fs {
			if !sameFrame(&fs[i], &got[i]) {
				if bad < 5 {
					t.Errorf("%s: frame %d: sent %08x [%d] flags %x % x, got %08x [%d] flags %x % x", d.name, i,
						fs[i].CANID(), fs[i].Len, fs[i].Flags, fs[i].Payload(), got[i].CANID(), got[i].Len, got[i].Flags, got[i].Payload())
				}
				bad++
			}
		}
		t.Logf("%s: %d frames, %d differ", d.name, n, bad)
	}
	st := g.settle(t)
	if d := st.dropped(); d != 0 {
		t.Errorf("fieldgate counted %d drops: %+v", d, st.Endpoints)
	}
	cn.stop()
	log, _ := os.ReadFile(cn.log)
	// cannelloni logs its datagram counts on exit, and any packet it
	// could not parse as an error.
	if bytes.Contains(log, []byte("ERROR")) && !bytes.Contains(log, []byte("CAN_FD is not supported")) {
		t.Errorf("cannelloni logged errors:\n%s", log)
	}
	t.Logf("cannelloni: %s", strings.TrimSpace(lastLine(string(log), "UDP Transmission Summary")))
}

func lastLine(s, substr string) string {
	ls := strings.Split(s, "\n")
	for i := len(ls) - 1; i >= 0; i-- {
		if strings.Contains(ls[i], substr) {
			return ls[i]
		}
	}
	return ""
}

// klTunnel is a two-process UDP tunnel vcan0 → 127.0.0.1 → vcan1 as a
// kernel-load forwarder: fieldgate's (two `fieldgate run`, udp endpoints
// with the given settings) or cannelloni's (two processes with -t).
type klTunnel struct {
	label string
	// fieldgate
	udp  string
	port int
	// cannelloni
	bin     string
	timeout int // µs; 0 = cannelloni's default

	pids []int
}

func (f *klTunnel) name() string { return f.label }
func (f *klTunnel) pid() int     { return 0 } // two processes: CPU measured around klRun1 (klCPU)

func (f *klTunnel) start(b *testing.B) func() {
	if f.bin != "" {
		c := startCannelloniPair(b, f.bin, f.timeout)
		f.pids = []int{c.a.pid(), c.b.pid()}
		time.Sleep(time.Second)
		return c.stop
	}
	ga, gb := tunnel(b, f.port, f.udp)
	f.pids = []int{ga.pid(b), gb.pid(b)}
	http.DefaultClient.CloseIdleConnections()
	time.Sleep(time.Second) // start-up work (first bus-load sample, GC)
	return func() {
		ga.Signal(os.Interrupt)
		gb.Signal(os.Interrupt)
		ga.Wait()
		gb.Wait()
	}
}

func (f *klTunnel) cpu(tb testing.TB) time.Duration {
	var t time.Duration
	for _, p := range f.pids {
		t += onCPU(tb, p)
	}
	return t
}

var cnKLTimeouts = flag.String("fg.cnkltimeouts", "1000,0", "BenchmarkHILCannelloniKernelLoad: cannelloni -t values in µs, comma-separated (0: its default, 100000)")

// BenchmarkHILCannelloniKernelLoad is BenchmarkHILKernelLoadLatency's
// measurement (kernel BCM load on vcan0, kernel receive stamps on vcan0
// and vcan1, only the forwarder runs) over UDP tunnels: fieldgate's udp
// tunnel between two gateways (defaults: flush 0, coalesce 1ms) and two
// cannelloni processes (-t 1000 and its default timeout), against can-gw
// in the same boot. Forwarder CPU/frame is both tunnel processes' CPU
// time. Flags: -fg.klrates, -fg.klrounds, -fg.klrun as there;
// -fg.cnkltimeouts.
func BenchmarkHILCannelloniKernelLoad(b *testing.B) {
	rates, err := parseRates(*klRates)
	if err != nil {
		b.Fatalf("-fg.klrates: %v", err)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	b.Logf("guest load average at start: %s", strings.TrimSpace(string(load)))
	ivals := map[float64]time.Duration{}
	for _, rate := range rates {
		ivals[rate] = klCalibrate(b, rate)
	}
	fwds := []klForwarder{klCangw{}, &klTunnel{label: "fg-udp", port: 9450}}
	if bin := cannelloniBin(b); bin != "" {
		for _, s := range strings.Split(*cnKLTimeouts, ",") {
			to, err := strconv.Atoi(s)
			if err != nil || to < 0 {
				b.Fatalf("-fg.cnkltimeouts: %q", s)
			}
			label := "cn-t" + s
			if to == 0 {
				label = "cn-tdef"
			}
			fwds = append(fwds, &klTunnel{label: label, bin: bin, timeout: to})
		}
	}
	res := map[string]map[float64][]klResult{}
	for _, f := range fwds {
		res[f.name()] = map[float64][]klResult{}
	}
	for round := range *klRounds {
		order := append(fwds[round%len(fwds):len(fwds):len(fwds)], fwds[:round%len(fwds)]...)
		for _, f := range order {
			stop := f.start(b)
			for _, rate := range rates {
				n := int(rate * klRun.Seconds())
				t, _ := f.(*klTunnel)
				var c0 time.Duration
				if t != nil {
					c0 = t.cpu(b)
				}
				r := klRun1(b, f, ivals[rate], n)
				if t != nil {
					r.CPUPerFrame = (t.cpu(b) - c0) / time.Duration(n)
				}
				res[f.name()][rate] = append(res[f.name()][rate], r)
				b.Logf("round %d %-9s @%4.0f/s: %v", round+1, f.name(), rate, r)
			}
			stop()
		}
	}
	for _, rate := range rates {
		at := fmt.Sprintf("@%.0f", rate)
		for _, f := range fwds {
			rs := res[f.name()][rate]
			b.Logf("%-9s @%4.0f/s over %d rounds, median [min, max]: achieved %s, p50 %s, p99 %s, max %s, lost %s, vCPU busy %s, forwarder CPU/frame %s",
				f.name(), rate, len(rs), spread(rs, func(r klResult) float64 { return r.Rate }, "%.0f/s"),
				spread(rs, func(r klResult) float64 { return ms(r.P50) }, "%.3f ms"),
				spread(rs, func(r klResult) float64 { return ms(r.P99) }, "%.3f ms"),
				spread(rs, func(r klResult) float64 { return ms(r.Max) }, "%.2f ms"),
				spread(rs, func(r klResult) float64 { return float64(r.Lost) }, "%.0f"),
				spread(rs, func(r klResult) float64 { return 100 * r.Busy }, "%.0f%%"),
				spread(rs, func(r klResult) float64 { return r.CPUPerFrame.Seconds() * 1e6 }, "%.0f µs"))
			n := strings.ReplaceAll(f.name(), "-", "")
			b.ReportMetric(1000*medianOf(rs, func(r klResult) float64 { return ms(r.P50) }), n+"_p50_us"+at)
			b.ReportMetric(1000*medianOf(rs, func(r klResult) float64 { return ms(r.P99) }), n+"_p99_us"+at)
			b.ReportMetric(medianOf(rs, func(r klResult) float64 { return float64(r.Lost) }), n+"_lost"+at)
		}
		// fieldgate's tunnel against cannelloni -t 1000, per round too.
		g, c := res["fg-udp"][rate], res["cn-t1000"][rate]
		if len(c) > 0 {
			var per []klResult
			for i := range min(len(g), len(c)) {
				per = append(per, klResult{ratio: ms(g[i].P99) / max(ms(c[i].P99), 1e-3), diff: ms(g[i].P50) - ms(c[i].P50)})
			}
			b.Logf("fg-udp vs cn-t1000 @%4.0f/s: p99 ratio per round %s, p50 difference per round %s",
				rate, spread(per, func(r klResult) float64 { return r.ratio }, "%.2f×"), spread(per, func(r klResult) float64 { return r.diff }, "%+.3f ms"))
		}
	}
	load, _ = os.ReadFile("/proc/loadavg")
	b.Logf("guest load average at end: %s", strings.TrimSpace(string(load)))
}

var (
	cnTunnelRates  = flag.String("fg.cnrates", "1000,2000,4000,6000,8000,12000,16000", "BenchmarkHILCannelloniTunnel: the rising ladder of paced rates (frames/s)")
	cnTunnelRounds = flag.Int("fg.cnrounds", 5, "BenchmarkHILCannelloniTunnel: rounds")
)

// cnTunnelRun is one ladder step of one tunnel.
type cnTunnelRun struct {
	fwdResult
	Drops     uint64        // fieldgate's counted drops (0 for cannelloni: it counts none)
	CPU       time.Duration // both tunnel processes' CPU time per frame sent
	Datagrams float64       // UDP datagrams sent per frame (/proc/net/snmp)
	RcvbufErr int64         // UDP datagrams dropped at a full receive buffer
}

func (r cnTunnelRun) lossless() bool { return r.Sent > 0 && r.Recv == r.Sent && r.Drops == 0 }

func (r cnTunnelRun) String() string {
	return fmt.Sprintf("%d/%d, p50 %v p99 %v, tunnel CPU %v/frame, %.2f datagrams/frame, drops %d, rcvbuf errors %d",
		r.Recv, r.Sent, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.CPU.Round(time.Microsecond), r.Datagrams, r.Drops, r.RcvbufErr)
}

// BenchmarkHILCannelloniTunnel finds the zero-loss rate of fieldgate's
// UDP tunnel (two gateways, udp defaults: flush 0, coalesce 1ms) and of
// cannelloni's (-t 1000) in the same boot (issue 18 item 5). Each round
// starts each tunnel afresh (their order alternating) and climbs the
// ladder -fg.cnrates with the load generator of loadgen_hil_test.go
// (paced single frames on vcan0, received on vcan1, 2 s a step); the
// round's zero-loss rate is the highest step below which every step
// delivered every frame (the climb stops at the first loss). The summary
// gives the median, minimum and maximum over -fg.cnrounds rounds, and
// per step the frames delivered, p50/p99, CPU and datagrams per frame.
func BenchmarkHILCannelloniTunnel(b *testing.B) {
	var rates []float64
	for _, f := range strings.Split(*cnTunnelRates, ",") {
		r, err := strconv.ParseFloat(f, 64)
		if err != nil || r <= 0 || (len(rates) > 0 && r <= rates[len(rates)-1]) {
			b.Fatalf("-fg.cnrates: %q is not a rising rate", f)
		}
		rates = append(rates, r)
	}
	bin := cannelloniBin(b)
	names := []string{"fg-udp"}
	if bin != "" {
		names = append(names, "cn-t1000")
	}
	load, _ := os.ReadFile("/proc/loadavg")
	b.Logf("guest load average at start: %s", strings.TrimSpace(string(load)))
	zero := map[string][]float64{}
	steps := map[string]map[float64][]cnTunnelRun{}
	for _, n := range names {
		steps[n] = map[float64][]cnTunnelRun{}
	}
	for round := range *cnTunnelRounds {
		for k := range names {
			name := names[(k+round)%len(names)]
			var run func(loadSpec) cnTunnelRun
			var stop func()
			if name == "fg-udp" {
				a, bb := tunnel(b, 9460, "")
				run = func(spec loadSpec) cnTunnelRun {
					t := runTunnel(b, a, bb, spec)
					return cnTunnelRun{fwdResult: t.fwdResult, Drops: t.Drops, CPU: t.GatewayCPU, Datagrams: t.Datagrams, RcvbufErr: t.RcvbufErrors}
				}
				stop = func() {
					a.Signal(os.Interrupt)
					bb.Signal(os.Interrupt)
					a.Wait()
					bb.Wait()
				}
			} else {
				c := startCannelloniPair(b, bin, 1000)
				run = func(spec loadSpec) cnTunnelRun {
					out0, rerr0 := udpSNMP(b)
					c0 := c.cpu(b)
					r := cnTunnelRun{fwdResult: forward(b, spec)}
					time.Sleep(200 * time.Millisecond) // frames still buffered (-t 1000)
					r.CPU = (c.cpu(b) - c0) / time.Duration(spec.N)
					out1, rerr1 := udpSNMP(b)
					r.Datagrams = float64(out1-out0) / float64(spec.N)
					r.RcvbufErr = rerr1 - rerr0
					return r
				}
				stop = c.stop
			}
			forward(b, loadSpec{N: 100, Rate: 1000}) // warm-up
			z := 0.0
			for _, rate := range rates {
				r := run(loadSpec{N: int(2 * rate), Rate: rate})
				steps[name][rate] = append(steps[name][rate], r)
				b.Logf("round %d %-8s @%5.0f/s: %v", round+1, name, rate, r)
				if !r.lossless() {
					break
				}
				z = rate
			}
			stop()
			zero[name] = append(zero[name], z)
			b.Logf("round %d %-8s zero-loss rate %.0f frames/s", round+1, name, z)
		}
	}
	for _, n := range names {
		for _, rate := range rates {
			rs := steps[n][rate]
			if len(rs) == 0 {
				continue
			}
			b.Logf("%-8s @%5.0f/s, %d runs, median [min, max]: delivered %s of %d, p50 %s, p99 %s, CPU/frame %s, datagrams/frame %s",
				n, rate, len(rs),
				cnSpread(rs, func(r cnTunnelRun) float64 { return float64(r.Recv) }, "%.0f"), int(2*rate),
				cnSpread(rs, func(r cnTunnelRun) float64 { return ms(r.P50) }, "%.2f ms"),
				cnSpread(rs, func(r cnTunnelRun) float64 { return ms(r.P99) }, "%.2f ms"),
				cnSpread(rs, func(r cnTunnelRun) float64 { return r.CPU.Seconds() * 1e6 }, "%.0f µs"),
				cnSpread(rs, func(r cnTunnelRun) float64 { return r.Datagrams }, "%.2f"))
		}
		zs := zero[n]
		b.Logf("%-8s zero-loss rate over %d rounds, median [min, max]: %s frames/s", n, len(zs), floatSpread(zs, "%.0f"))
		b.ReportMetric(floatMedian(zs), strings.ReplaceAll(n, "-", "")+"_zeroloss_fps")
	}
	if len(zero["cn-t1000"]) > 0 {
		var per []float64
		for i := range min(len(zero["fg-udp"]), len(zero["cn-t1000"])) {
			per = append(per, zero["fg-udp"][i]/max(zero["cn-t1000"][i], 1))
		}
		b.Logf("fg-udp / cn-t1000 zero-loss rate per round, median [min, max]: %s (target ≥ 1: %s)", floatSpread(per, "%.2f×"), verdict(floatMedian(per) >= 1))
	}
	load, _ = os.ReadFile("/proc/loadavg")
	b.Logf("guest load average at end: %s", strings.TrimSpace(string(load)))
}

func cnSpread(rs []cnTunnelRun, f func(cnTunnelRun) float64, format string) string {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	return floatSpread(v, format)
}

func floatMedian(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sortFloats(s)
	return s[len(s)/2]
}

func floatSpread(v []float64, format string) string {
	if len(v) == 0 {
		return "none"
	}
	s := append([]float64(nil), v...)
	sortFloats(s)
	return fmt.Sprintf(format+" ["+format+", "+format+"]", s[len(s)/2], s[0], s[len(s)-1])
}

func sortFloats(s []float64) { sort.Float64s(s) }
