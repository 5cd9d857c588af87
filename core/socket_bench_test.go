//go:build linux

package core

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The benchmarks compare core.Socket with net.UDPConn and with plain
// golang.org/x/sys/unix system calls on blocking descriptors, in the same
// run, and report the ratios with b.ReportMetric. Results and the commands
// that produced them are in BENCHMARKS.md (## core).

const benchSize = 64

// udpEnds is one implementation's view of a client and a server UDP socket
// on loopback.
type udpEnds struct {
	send     func([]byte)     // client, connected to the server
	recv     func([]byte)     // client
	sendTo   func([]byte)     // server to the client's address
	recvFrom func([]byte) int // server, with the source address; returns the length
	stop     func()
}

type udpImpl struct {
	name string
	open func(b *testing.B) udpEnds
}

func benchAddrs() (srv, cli netip.AddrPort) {
	l1, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	l2, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	srv, cli = l1.LocalAddr().(*net.UDPAddr).AddrPort(), l2.LocalAddr().(*net.UDPAddr).AddrPort()
	l1.Close()
	l2.Close()
	return srv, cli
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

func check(b *testing.B, err error) {
	if err != nil {
		b.Error(err)
		panic(err)
	}
}

var udpImpls = []udpImpl{
	{"core", func(b *testing.B) udpEnds {
		sa, ca := benchAddrs()
		srv, err := NewSocket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		must(b, err)
		cli, err := NewSocket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		must(b, err)
		sAddr := &InetAddr{IP: sa.Addr(), Port: int(sa.Port())}
		cAddr := &InetAddr{IP: ca.Addr(), Port: int(ca.Port())}
		must(b, srv.Bind(sAddr))
		must(b, cli.Bind(cAddr))
		must(b, cli.Connect(sAddr))
		var from InetAddr
		return udpEnds{
			send:     func(p []byte) { _, err := cli.Send(p, 0); check(b, err) },
			recv:     func(p []byte) { _, err := cli.RecvInto(p, 0); check(b, err) },
			sendTo:   func(p []byte) { _, err := srv.SendTo(p, 0, cAddr); check(b, err) },
			recvFrom: func(p []byte) int { n, _, err := srv.RecvFromInto(p, 0, &from); check(b, err); return n },
			stop:     func() { srv.Close(); cli.Close() },
		}
	}},
	{"net", func(b *testing.B) udpEnds {
		sa, ca := benchAddrs()
		srv, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(sa))
		must(b, err)
		cli, err := net.DialUDP("udp4", net.UDPAddrFromAddrPort(ca), net.UDPAddrFromAddrPort(sa))
		must(b, err)
		return udpEnds{
			send:     func(p []byte) { _, err := cli.Write(p); check(b, err) },
			recv:     func(p []byte) { _, err := cli.Read(p); check(b, err) },
			sendTo:   func(p []byte) { _, err := srv.WriteToUDPAddrPort(p, ca); check(b, err) },
			recvFrom: func(p []byte) int { n, _, err := srv.ReadFromUDPAddrPort(p); check(b, err); return n },
			stop:     func() { srv.Close(); cli.Close() },
		}
	}},
	{"raw", func(b *testing.B) udpEnds {
		sa, ca := benchAddrs()
		srv, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		must(b, err)
		cli, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		must(b, err)
		s4 := &unix.SockaddrInet4{Addr: sa.Addr().As4(), Port: int(sa.Port())}
		c4 := &unix.SockaddrInet4{Addr: ca.Addr().As4(), Port: int(ca.Port())}
		must(b, unix.Bind(srv, s4))
		must(b, unix.Bind(cli, c4))
		must(b, unix.Connect(cli, s4))
		return udpEnds{
			send:     func(p []byte) { _, err := unix.Write(cli, p); check(b, err) },
			recv:     func(p []byte) { _, err := unix.Read(cli, p); check(b, err) },
			sendTo:   func(p []byte) { check(b, unix.Sendto(srv, p, 0, c4)) },
			recvFrom: func(p []byte) int { n, _, err := unix.Recvfrom(srv, p, 0); check(b, err); return n },
			stop:     func() { unix.Close(srv); unix.Close(cli) },
		}
	}},
}

// rtServer starts the echo side of impl; a 1-byte datagram stops it.
type rtServer struct {
	e    udpEnds
	done chan struct{}
}

func startRT(b *testing.B, impl udpImpl) *rtServer {
	r := &rtServer{e: impl.open(b), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		buf := make([]byte, 2048)
		for {
			n := r.e.recvFrom(buf)
			if n <= 1 {
				return
			}
			r.e.sendTo(buf[:n])
		}
	}()
	p := make([]byte, benchSize)
	q := make([]byte, 2048)
	for i := 0; i < 100; i++ { // warm up
		r.e.send(p)
		r.e.recv(q)
	}
	return r
}

// run does n request/response exchanges and returns the elapsed time.
func (r *rtServer) run(n int) time.Duration {
	p := make([]byte, benchSize)
	q := make([]byte, 2048)
	start := time.Now()
	for i := 0; i < n; i++ {
		r.e.send(p)
		r.e.recv(q)
	}
	return time.Since(start)
}

func (r *rtServer) stop() {
	r.e.send([]byte{0})
	<-r.done
	r.e.stop()
}

func roundTrips(b *testing.B, impl udpImpl, n int) time.Duration {
	r := startRT(b, impl)
	defer r.stop()
	return r.run(n)
}

// oneWay sends n datagrams client to server in batches of 32 and receives
// them with the source address, on one goroutine (loopback queues the
// datagram during sendto, so receives never wait), and returns the time.
func oneWay(e udpEnds, n int) time.Duration {
	p := make([]byte, benchSize)
	r := make([]byte, 2048)
	const batch = 32
	start := time.Now()
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		for i := 0; i < k; i++ {
			e.send(p)
		}
		for i := 0; i < k; i++ {
			e.recvFrom(r)
		}
	}
	return time.Since(start)
}

// BenchmarkUDPRoundTrip measures request/response over loopback for each
// implementation (allocations are per round trip, both ends).
func BenchmarkUDPRoundTrip(b *testing.B) {
	for _, impl := range udpImpls {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			roundTrips(b, impl, b.N)
		})
	}
}

// BenchmarkUDPOneWay measures one-way 64-byte datagram cost (send +
// recvfrom) for each implementation.
func BenchmarkUDPOneWay(b *testing.B) {
	for _, impl := range udpImpls {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			e := impl.open(b)
			defer e.stop()
			d := oneWay(e, b.N)
			b.ReportMetric(float64(b.N)/d.Seconds(), "dgrams/s")
		})
	}
}

// BenchmarkUDPCompare runs core, net and raw with the same iteration count,
// interleaved in 20 rounds so that load changes on a shared machine hit all
// three alike, each round in a rotated order so that none always runs first
// or last, and reports each one's cost and core's ratios (core/net 1.00 =
// equal, below 1 = core faster).
func BenchmarkUDPCompare(b *testing.B) {
	const rounds = 20
	b.Run("roundtrip", func(b *testing.B) {
		var rs [3]*rtServer
		for i, impl := range udpImpls {
			rs[i] = startRT(b, impl)
			defer rs[i].stop()
		}
		var d, c [3]time.Duration
		for r := 0; r < rounds; r++ {
			n := b.N / rounds
			if r == 0 {
				n += b.N % rounds
			}
			for j := range rs {
				i := (r + j) % len(rs)
				c0 := cpuTime()
				d[i] += rs[i].run(n)
				c[i] += cpuTime() - c0
			}
		}
		report(b, d, "ns/rtt")
		reportCPU(b, c)
	})
	b.Run("oneway", func(b *testing.B) {
		var es [3]udpEnds
		for i, impl := range udpImpls {
			es[i] = impl.open(b)
			defer es[i].stop()
		}
		var d, c [3]time.Duration
		for r := 0; r < rounds; r++ {
			n := b.N / rounds
			if r == 0 {
				n += b.N % rounds
			}
			for j := range es {
				i := (r + j) % len(es)
				c0 := cpuTime()
				d[i] += oneWay(es[i], n)
				c[i] += cpuTime() - c0
			}
		}
		report(b, d, "ns/dgram")
		reportCPU(b, c)
	})
}

// cpuTime is the process's user+system CPU time: on a shared, overloaded
// machine it measures the work done far more stably than wall time.
func cpuTime() time.Duration {
	u, s := cpuSplit()
	return u + s
}

// cpuSplit is the process's user and system CPU time, all threads
// (getrusage RUSAGE_SELF): system time is the kernel's share.
func cpuSplit() (user, sys time.Duration) {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

func reportCPU(b *testing.B, c [3]time.Duration) {
	b.ReportMetric(float64(c[0])/float64(c[1]), "cpu-core/net")
	b.ReportMetric(float64(c[0])/float64(c[2]), "cpu-core/raw")
	b.ReportMetric(float64(c[0].Nanoseconds())/float64(b.N), "core-cpu-ns")
	b.ReportMetric(float64(c[1].Nanoseconds())/float64(b.N), "net-cpu-ns")
}

func report(b *testing.B, d [3]time.Duration, unit string) {
	for i, impl := range udpImpls {
		b.ReportMetric(float64(d[i].Nanoseconds())/float64(b.N), impl.name+"-"+unit)
	}
	b.ReportMetric(float64(d[0])/float64(d[1]), "core/net")
	b.ReportMetric(float64(d[0])/float64(d[2]), "core/raw")
}

// BenchmarkZeroAlloc covers the calls that must not allocate with a reused
// address: SendTo, RecvInto, RecvFromInto.
func BenchmarkZeroAlloc(b *testing.B) {
	srv, addr := udp4(b)
	cli, _ := udp4(b)
	dst := addr
	var from InetAddr
	p := make([]byte, benchSize)
	r := make([]byte, 2048)
	b.Run("SendTo+RecvInto", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := cli.SendTo(p, 0, &dst); err != nil {
				b.Fatal(err)
			}
			if _, err := srv.RecvInto(r, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SendTo+RecvFromInto", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := cli.SendTo(p, 0, &dst); err != nil {
				b.Fatal(err)
			}
			if _, _, err := srv.RecvFromInto(r, 0, &from); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// mmsgPair returns two connected datagram sockets of the given family for
// the batch benchmarks.
func mmsgPair(b *testing.B, family int) (tx, rx *Socket) {
	if family == unix.AF_UNIX {
		a, c, err := Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		must(b, err)
		b.Cleanup(func() { a.Close(); c.Close() })
		for _, s := range []*Socket{a, c} {
			s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
			s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		}
		return a, c
	}
	rx, addr := udp4(b)
	tx, _ = udp4(b)
	rx.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	must(b, tx.Connect(&addr))
	return tx, rx
}

// BenchmarkMmsg compares SendMmsg/RecvMmsg with one Send/RecvInto per
// datagram at 64 bytes, batches of 64, on UDP loopback and on an AF_UNIX
// datagram pair (closest on the host to the cheap per-frame kernel path of
// CAN raw sockets), and reports the speed-up in datagrams per second. On
// UDP, SendMmsg coalesces each batch into one segmentation offload send
// (UDP_SEGMENT); "udp-unsegmented" is the same with that turned off (one
// sendmmsg entry per datagram).
func BenchmarkMmsg(b *testing.B) {
	const batch = 64
	for _, fam := range []struct {
		name  string
		af    int
		noGSO bool
	}{{"udp", unix.AF_INET, false}, {"udp-unsegmented", unix.AF_INET, true}, {"unix", unix.AF_UNIX, false}} {
		b.Run(fam.name, func(b *testing.B) {
			tx, rx := mmsgPair(b, fam.af)
			tx.SetUDPSegmentation(!fam.noGSO)
			single, batched := batchTimers(b, tx, rx, make([]byte, benchSize), 2048, batch)
			compareBatch(b, single, batched, batch, batch*4, "dgrams")
		})
	}
}

// batchTimers returns two timers for the batch benchmarks: single moves n
// datagrams of payload from tx to rx one Send/RecvInto at a time, batched
// moves them with SendMmsg/RecvMmsg in groups of batch. rbuf is the receive
// buffer size.
func batchTimers(b *testing.B, tx, rx *Socket, payload []byte, rbuf, batch int) (single, batched func(n int) time.Duration) {
	out := make([]Message, batch)
	in := make([]Message, batch)
	for i := range out {
		out[i].Buffers = [][]byte{payload}
		in[i].Buffers = [][]byte{make([]byte, rbuf)}
	}
	r := make([]byte, rbuf)
	single = func(n int) time.Duration {
		start := time.Now()
		for done := 0; done < n; done += batch {
			for i := 0; i < batch; i++ {
				if _, err := tx.Send(payload, 0); err != nil {
					b.Fatal(err)
				}
			}
			for i := 0; i < batch; i++ {
				if _, err := rx.RecvInto(r, 0); err != nil {
					b.Fatal(err)
				}
			}
		}
		return time.Since(start)
	}
	batched = func(n int) time.Duration {
		start := time.Now()
		for done := 0; done < n; done += batch {
			for sent := 0; sent < batch; {
				k, err := tx.SendMmsg(out[sent:], 0)
				if err != nil {
					b.Fatal(err)
				}
				sent += k
			}
			for got := 0; got < batch; {
				k, err := rx.RecvMmsg(in[got:], 0)
				if err != nil {
					b.Fatal(err)
				}
				got += k
			}
		}
		return time.Since(start)
	}
	return single, batched
}

// compareBatch runs single and batched alternately in ten rounds over b.N
// items (rounded up to whole batches), so a load change hits both alike,
// and reports items/s for each, the wall-clock speed-up and the CPU-time
// speed-up. unit names the items in the metrics ("dgrams", "frames").
func compareBatch(b *testing.B, single, batched func(n int) time.Duration, batch, warmup int, unit string) {
	n := (b.N + batch - 1) / batch * batch
	single(warmup)
	batched(warmup)
	b.ReportAllocs()
	b.ResetTimer()
	const rounds = 10
	var ds, db, us, ss, ub, sb time.Duration
	per := (n/batch + rounds - 1) / rounds * batch
	for done := 0; done < n; done += per {
		k := min(per, n-done)
		u0, s0 := cpuSplit()
		ds += single(k)
		u1, s1 := cpuSplit()
		db += batched(k)
		u2, s2 := cpuSplit()
		us, ss = us+u1-u0, ss+s1-s0
		ub, sb = ub+u2-u1, sb+s2-s1
	}
	per1 := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(n) }
	b.ReportMetric(float64(n)/ds.Seconds(), "single-"+unit+"/s")
	b.ReportMetric(float64(n)/db.Seconds(), "mmsg-"+unit+"/s")
	b.ReportMetric(ds.Seconds()/db.Seconds(), "speedup")
	b.ReportMetric(float64(us+ss)/float64(ub+sb), "cpu-speedup")
	// CPU per item, user and system (kernel) time, for the evidence of
	// where the time goes (BENCHMARKS.md).
	b.ReportMetric(per1(us), "single-usr-ns")
	b.ReportMetric(per1(ss), "single-sys-ns")
	b.ReportMetric(per1(ub), "mmsg-usr-ns")
	b.ReportMetric(per1(sb), "mmsg-sys-ns")
}

// BenchmarkMmsgBatchSize is BenchmarkMmsg for batch sizes from 1 to 256:
// if the speed-up levels off as the batch grows, what is left per datagram
// is the kernel's per-datagram path, which batching cannot remove.
func BenchmarkMmsgBatchSize(b *testing.B) {
	for _, fam := range []struct {
		name string
		af   int
	}{{"udp", unix.AF_INET}, {"unix", unix.AF_UNIX}} {
		for _, batch := range []int{1, 4, 16, 64, 256} {
			b.Run(fmt.Sprintf("%s/%d", fam.name, batch), func(b *testing.B) {
				tx, rx := mmsgPair(b, fam.af)
				single, batched := batchTimers(b, tx, rx, make([]byte, benchSize), 2048, batch)
				compareBatch(b, single, batched, batch, batch*4, "dgrams")
			})
		}
	}
}

// BenchmarkMmsgPath runs one path of BenchmarkMmsg alone (batches of 64),
// for profiles, perf and strace: BenchmarkMmsgPath/udp/mmsg and so on.
func BenchmarkMmsgPath(b *testing.B) {
	const batch = 64
	for _, fam := range []struct {
		name string
		af   int
	}{{"udp", unix.AF_INET}, {"unix", unix.AF_UNIX}} {
		for _, path := range []string{"single", "mmsg"} {
			b.Run(fam.name+"/"+path, func(b *testing.B) {
				tx, rx := mmsgPair(b, fam.af)
				single, batched := batchTimers(b, tx, rx, make([]byte, benchSize), 2048, batch)
				run := single
				if path == "mmsg" {
					run = batched
				}
				run(batch * 4)
				n := (b.N + batch - 1) / batch * batch
				b.ReportAllocs()
				b.ResetTimer()
				u0, s0 := cpuSplit()
				d := run(n)
				u1, s1 := cpuSplit()
				b.ReportMetric(float64(n)/d.Seconds(), "dgrams/s")
				b.ReportMetric(float64((u1-u0).Nanoseconds())/float64(n), "usr-ns/dgram")
				b.ReportMetric(float64((s1-s0).Nanoseconds())/float64(n), "sys-ns/dgram")
			})
		}
	}
}

// rawPair returns two connected datagram descriptors of family that are
// not registered with the runtime poller (blocking x/sys system calls).
func rawPair(b *testing.B, family int) (tx, rx int) {
	if family == unix.AF_UNIX {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		must(b, err)
		b.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
		for _, fd := range fds {
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		}
		return fds[0], fds[1]
	}
	sa, _ := benchAddrs()
	rx, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	must(b, err)
	tx, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	must(b, err)
	b.Cleanup(func() { unix.Close(tx); unix.Close(rx) })
	s4 := &unix.SockaddrInet4{Addr: sa.Addr().As4(), Port: int(sa.Port())}
	must(b, unix.Bind(rx, s4))
	unix.SetsockoptInt(rx, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	must(b, unix.Connect(tx, s4))
	return tx, rx
}

// BenchmarkMmsgRaw is BenchmarkMmsg on blocking descriptors outside the
// runtime poller, with plain x/sys system calls (write/read against
// sendmmsg/recvmmsg): the kernel's own batch speed-up, without core and
// without epoll, as the ceiling for core's.
func BenchmarkMmsgRaw(b *testing.B) {
	const batch = 64
	for _, fam := range []struct {
		name string
		af   int
	}{{"udp", unix.AF_INET}, {"unix", unix.AF_UNIX}} {
		b.Run(fam.name, func(b *testing.B) {
			tx, rx := rawPair(b, fam.af)
			p := make([]byte, benchSize)
			r := make([]byte, 2048)
			out := make([]unix.Mmsghdr, batch)
			in := make([]unix.Mmsghdr, batch)
			iovOut := make([]unix.Iovec, batch)
			iovIn := make([]unix.Iovec, batch)
			bufs := make([][]byte, batch)
			for i := range out {
				iovOut[i].Base = &p[0]
				iovOut[i].SetLen(len(p))
				out[i].Hdr.Iov = &iovOut[i]
				out[i].Hdr.SetIovlen(1)
				bufs[i] = make([]byte, 2048)
				iovIn[i].Base = &bufs[i][0]
				iovIn[i].SetLen(len(bufs[i]))
				in[i].Hdr.Iov = &iovIn[i]
				in[i].Hdr.SetIovlen(1)
			}
			single := func(n int) time.Duration {
				start := time.Now()
				for done := 0; done < n; done += batch {
					for i := 0; i < batch; i++ {
						if _, err := unix.Write(tx, p); err != nil {
							b.Fatal(err)
						}
					}
					for i := 0; i < batch; i++ {
						if _, err := unix.Read(rx, r); err != nil {
							b.Fatal(err)
						}
					}
				}
				return time.Since(start)
			}
			mmsg := func(trap uintptr, fd int, m []unix.Mmsghdr, flags int) int {
				n, _, e := unix.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(flags), 0, 0)
				if e != 0 {
					b.Fatal(e)
				}
				return int(n)
			}
			batched := func(n int) time.Duration {
				start := time.Now()
				for done := 0; done < n; done += batch {
					for sent := 0; sent < batch; {
						sent += mmsg(unix.SYS_SENDMMSG, tx, out[sent:], 0)
					}
					for got := 0; got < batch; {
						got += mmsg(unix.SYS_RECVMMSG, rx, in[got:], unix.MSG_WAITFORONE)
					}
				}
				return time.Since(start)
			}
			compareBatch(b, single, batched, batch, batch*4, "dgrams")
		})
	}
}

// The side-alone batch benchmarks below split BenchmarkMmsg's end-to-end
// figure into its two halves. On UDP loopback a sender's sendto also runs
// the receiver's whole input path (loopback xmit, softirq, udp_rcv, socket
// queue, wake-up) in its own context, so the end-to-end ratio mixes both
// sides: here the receive side drains a queue filled beforehand (untimed),
// and the send side sends into a queue nobody reads until afterwards (the
// drain untimed). Each path also runs as plain system calls on the same
// descriptors (raw), so the difference is what core's wrapper costs.

// sideCycle is how many datagrams one prefill (receive side) or one timed
// burst (send side) leaves queued on the receiver before it is drained:
// well inside the 4 MiB buffers (at 64 bytes a queued datagram costs about
// 1 KiB of truesize), so no datagram is dropped (checked with SO_MEMINFO)
// and no send has to wait.
const sideCycle = 1024

// sideEnds are a sender and a receiver for the side-alone benchmarks, with
// prebuilt raw mmsghdr vectors on their descriptors.
type sideEnds struct {
	b          *testing.B
	tx, rx     *Socket
	txfd, rxfd int
	dst        Addr   // SendTo/SendMmsg destination; nil when tx is connected
	dstRaw     []byte // dst encoded for the raw system calls
	out, in    []unix.Mmsghdr
}

var sideSeq int

// sidePair returns the ends for family (AF_INET or AF_UNIX), with tx
// connected to rx or not. The unconnected AF_UNIX pair binds abstract names
// and connects rx (only) back to tx: the kernel then skips its receive
// queue length limit for tx (net.unix.max_dgram_qlen, 10 here), as it does
// for a socketpair, while tx still names rx on every send.
func sidePair(b *testing.B, family int, connected bool) *sideEnds {
	e := &sideEnds{b: b}
	switch {
	case family == unix.AF_INET:
		var addr InetAddr
		e.rx, addr = udp4(b)
		e.tx, _ = udp4(b)
		if connected {
			must(b, e.tx.Connect(&addr))
		} else {
			e.dst = &addr
		}
	case connected:
		var err error
		e.tx, e.rx, err = Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		must(b, err)
		b.Cleanup(func() { e.tx.Close(); e.rx.Close() })
	default:
		sideSeq++
		name := fmt.Sprintf("@fieldgate-bench-%d-%d", unix.Getpid(), sideSeq)
		rxa, txa := &UnixAddr{Name: name + "-rx"}, &UnixAddr{Name: name + "-tx"}
		var err error
		e.rx, err = NewSocket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		must(b, err)
		e.tx, err = NewSocket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		must(b, err)
		b.Cleanup(func() { e.tx.Close(); e.rx.Close() })
		must(b, e.rx.Bind(rxa))
		must(b, e.tx.Bind(txa))
		must(b, e.rx.Connect(txa))
		e.dst = rxa
	}
	for _, s := range []*Socket{e.tx, e.rx} {
		s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
		s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	}
	e.txfd, e.rxfd = e.tx.Fileno(), e.rx.Fileno()
	if e.dst != nil {
		raw, err := AppendSockaddr(nil, e.dst)
		must(b, err)
		e.dstRaw = raw
	}
	p := make([]byte, benchSize)
	e.out = make([]unix.Mmsghdr, sideCycle)
	e.in = make([]unix.Mmsghdr, sideCycle)
	iovOut := make([]unix.Iovec, sideCycle)
	iovIn := make([]unix.Iovec, sideCycle)
	for i := range e.out {
		iovOut[i].Base = &p[0]
		iovOut[i].SetLen(len(p))
		e.out[i].Hdr.Iov = &iovOut[i]
		e.out[i].Hdr.SetIovlen(1)
		if e.dstRaw != nil {
			e.out[i].Hdr.Name = &e.dstRaw[0]
			e.out[i].Hdr.Namelen = uint32(len(e.dstRaw))
		}
		buf := make([]byte, 2048)
		iovIn[i].Base = &buf[0]
		iovIn[i].SetLen(len(buf))
		e.in[i].Hdr.Iov = &iovIn[i]
		e.in[i].Hdr.SetIovlen(1)
	}
	return e
}

// drops is the receiver's dropped-datagram count (SO_MEMINFO).
func (e *sideEnds) drops() uint32 {
	var mi [unix.SK_MEMINFO_VARS]uint32
	l := uint32(unsafe.Sizeof(mi))
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(e.rxfd), unix.SOL_SOCKET, unix.SO_MEMINFO,
		uintptr(unsafe.Pointer(&mi[0])), uintptr(unsafe.Pointer(&l)), 0)
	if errno != 0 {
		e.b.Fatal("SO_MEMINFO:", errno)
	}
	return mi[unix.SK_MEMINFO_DROPS]
}

// rawMmsg runs sendmmsg or recvmmsg once on fd; on EAGAIN it waits for
// readiness (poll, at most 2 s) and returns 0.
func (e *sideEnds) rawMmsg(trap uintptr, fd int, m []unix.Mmsghdr, flags int) int {
	n, _, errno := unix.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(flags), 0, 0)
	switch errno {
	case 0:
		return int(n)
	case unix.EAGAIN, unix.EINTR:
		ev := int16(unix.POLLIN)
		if trap == unix.SYS_SENDMMSG {
			ev = unix.POLLOUT
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: ev}}
		if k, err := unix.Poll(pfd, 2000); k == 0 && err == nil {
			e.b.Fatal("side benchmark: no progress in 2 s (datagrams lost?)")
		}
		return 0
	}
	e.b.Fatal(errno)
	return 0
}

// fill queues k datagrams on the receiver with raw sendmmsg (untimed) and
// checks that none was dropped.
func (e *sideEnds) fill(k int) {
	d0 := e.drops()
	for sent := 0; sent < k; {
		sent += e.rawMmsg(unix.SYS_SENDMMSG, e.txfd, e.out[sent:k], 0)
	}
	if d := e.drops() - d0; d != 0 {
		e.b.Fatalf("receiver dropped %d of %d datagrams", d, k)
	}
}

// drain takes k datagrams off the receiver with raw recvmmsg (untimed),
// waiting for any still in flight, and checks that none was dropped since
// d0.
func (e *sideEnds) drain(k int, d0 uint32) {
	for got := 0; got < k; {
		got += e.rawMmsg(unix.SYS_RECVMMSG, e.rxfd, e.in[got:k], unix.MSG_WAITFORONE)
	}
	if d := e.drops() - d0; d != 0 {
		e.b.Fatalf("receiver dropped %d datagrams", d)
	}
}

// sideTimer is one path of a side-alone benchmark: run moves k datagrams
// (a multiple of sideCycle) and returns the timed part's wall time and the
// process's user and system CPU time over it.
type sideTimer struct {
	name           string
	run            func(k int) (wall, usr, sys time.Duration)
	wall, usr, sys time.Duration
}

// timed times f and the process CPU time (getrusage) it used.
func timed(f func()) (wall, usr, sys time.Duration) {
	u0, s0 := cpuSplit()
	t0 := time.Now()
	f()
	wall = time.Since(t0)
	u1, s1 := cpuSplit()
	return wall, u1 - u0, s1 - s0
}

// recvTimer drains a prefilled queue with recv, which takes datagrams off
// rx until k are received.
func (e *sideEnds) recvTimer(name string, recv func(k int)) *sideTimer {
	return &sideTimer{name: name, run: func(k int) (w, u, s time.Duration) {
		for done := 0; done < k; done += sideCycle {
			e.fill(sideCycle)
			w1, u1, s1 := timed(func() { recv(sideCycle) })
			w, u, s = w+w1, u+u1, s+s1
		}
		return w, u, s
	}}
}

// sendTimer times send, which sends k datagrams from tx, into a queue that
// is drained afterwards (untimed).
func (e *sideEnds) sendTimer(name string, send func(k int)) *sideTimer {
	return &sideTimer{name: name, run: func(k int) (w, u, s time.Duration) {
		for done := 0; done < k; done += sideCycle {
			d0 := e.drops()
			w1, u1, s1 := timed(func() { send(sideCycle) })
			e.drain(sideCycle, d0)
			w, u, s = w+w1, u+u1, s+s1
		}
		return w, u, s
	}}
}

// runSide runs the timers interleaved over b.N datagrams each (rounded up
// to whole cycles) in 10 rounds, each round in a rotated order, and
// reports each one's wall and CPU time per datagram. It returns the
// number of datagrams each timer moved.
func runSide(b *testing.B, ts []*sideTimer) int {
	const rounds = 10
	per := (b.N + rounds*sideCycle - 1) / (rounds * sideCycle) * sideCycle
	for _, t := range ts {
		t.run(sideCycle) // warm up
	}
	b.ReportAllocs()
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		for j := range ts {
			t := ts[(r+j)%len(ts)]
			w, u, s := t.run(per)
			t.wall, t.usr, t.sys = t.wall+w, t.usr+u, t.sys+s
		}
	}
	b.StopTimer()
	n := per * rounds
	for _, t := range ts {
		b.ReportMetric(float64(t.wall.Nanoseconds())/float64(n), t.name+"-ns")
		b.ReportMetric(float64((t.usr+t.sys).Nanoseconds())/float64(n), t.name+"-cpu-ns")
		b.ReportMetric(float64(t.sys.Nanoseconds())/float64(n), t.name+"-sys-ns")
	}
	return n
}

// reportSide reports the ratios of a side benchmark whose timers are, in
// order, core single, core mmsg, raw single, raw mmsg: mmsg/single is
// datagrams/s batched over datagrams/s one at a time (wall, and CPU);
// core/raw is core's datagrams/s over the plain system calls' (below 1:
// core slower), and core-extra-ns/call what core adds per call.
func reportSide(b *testing.B, ts []*sideTimer, n, batch int) {
	single, mmsg, rawSingle, rawMmsg := ts[0], ts[1], ts[2], ts[3]
	cpu := func(t *sideTimer) float64 { return float64(t.usr + t.sys) }
	b.ReportMetric(float64(single.wall)/float64(mmsg.wall), "mmsg/single")
	b.ReportMetric(cpu(single)/cpu(mmsg), "cpu-mmsg/single")
	b.ReportMetric(float64(rawSingle.wall)/float64(rawMmsg.wall), "raw-mmsg/single")
	b.ReportMetric(float64(rawSingle.wall)/float64(single.wall), "core/raw-single")
	b.ReportMetric(float64(rawMmsg.wall)/float64(mmsg.wall), "core/raw-mmsg")
	b.ReportMetric(float64((single.wall-rawSingle.wall).Nanoseconds())/float64(n), "core-extra-ns/call-single")
	b.ReportMetric(float64((mmsg.wall-rawMmsg.wall).Nanoseconds())/float64(n/batch), "core-extra-ns/call-mmsg")
}

var sideFamilies = []struct {
	name string
	af   int
}{{"udp", unix.AF_INET}, {"unix", unix.AF_UNIX}}

// BenchmarkMmsgRecvSide times the receive side alone: draining a queue of
// 1024 prefilled 64-byte datagrams with RecvMmsg (batches of 16 and 64)
// against one RecvInto per datagram, and the same with plain recvmmsg and
// recvfrom system calls on the same descriptor (raw). b.N is datagrams per
// path. BenchmarkMmsgRecvSideFrom is the same with the source address.
func BenchmarkMmsgRecvSide(b *testing.B) {
	for _, fam := range sideFamilies {
		for _, batch := range []int{16, 64} {
			b.Run(fmt.Sprintf("%s/batch=%d", fam.name, batch), func(b *testing.B) {
				e := sidePair(b, fam.af, true)
				ts := e.recvTimers(batch, false)
				n := runSide(b, ts)
				reportSide(b, ts, n, batch)
			})
		}
	}
}

// BenchmarkMmsgRecvSideFrom is BenchmarkMmsgRecvSide on UDP with the
// source address of every datagram decoded into a reused *InetAddr:
// RecvFromInto against RecvMmsg with Message.Addr set (raw: recvfrom and
// recvmmsg fill a sockaddr, which is not decoded).
func BenchmarkMmsgRecvSideFrom(b *testing.B) {
	for _, batch := range []int{16, 64} {
		b.Run(fmt.Sprintf("udp/batch=%d", batch), func(b *testing.B) {
			e := sidePair(b, unix.AF_INET, false)
			ts := e.recvTimers(batch, true)
			n := runSide(b, ts)
			reportSide(b, ts, n, batch)
		})
	}
}

// recvTimers returns the receive side's four paths, in reportSide's order.
func (e *sideEnds) recvTimers(batch int, from bool) []*sideTimer {
	b := e.b
	r := make([]byte, 2048)
	var fromAddr InetAddr
	in := make([]Message, batch)
	froms := make([]InetAddr, batch)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, 2048)}
		if from {
			in[i].Addr = &froms[i]
		}
	}
	var sa [sockaddrMax]byte
	var salen uint32
	var psa, psalen unsafe.Pointer
	if from {
		psa, psalen = unsafe.Pointer(&sa[0]), unsafe.Pointer(&salen)
	}
	var rawNames [][sockaddrMax]byte
	if from {
		rawNames = make([][sockaddrMax]byte, sideCycle)
	}
	return []*sideTimer{
		e.recvTimer("single", func(k int) {
			for i := 0; i < k; i++ {
				var err error
				if from {
					_, _, err = e.rx.RecvFromInto(r, 0, &fromAddr)
				} else {
					_, err = e.rx.RecvInto(r, 0)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}),
		e.recvTimer("mmsg", func(k int) {
			for got := 0; got < k; {
				m, err := e.rx.RecvMmsg(in[:min(batch, k-got)], 0)
				if err != nil {
					b.Fatal(err)
				}
				got += m
			}
		}),
		e.recvTimer("raw-single", func(k int) {
			for i := 0; i < k; i++ {
				salen = sockaddrMax
				_, _, errno := unix.Syscall6(unix.SYS_RECVFROM, uintptr(e.rxfd), uintptr(unsafe.Pointer(&r[0])), uintptr(len(r)), 0, uintptr(psa), uintptr(psalen))
				if errno != 0 {
					b.Fatal(errno)
				}
			}
		}),
		e.recvTimer("raw-mmsg", func(k int) {
			for got := 0; got < k; {
				m := e.in[got:min(got+batch, k)]
				if from {
					for i := range m {
						m[i].Hdr.Name = &rawNames[got+i][0]
						m[i].Hdr.Namelen = sockaddrMax
					}
				}
				got += e.rawMmsg(unix.SYS_RECVMMSG, e.rxfd, m, unix.MSG_WAITFORONE)
			}
			if from {
				for i := range e.in {
					e.in[i].Hdr.Name = nil
					e.in[i].Hdr.Namelen = 0
				}
			}
		}),
	}
}

// BenchmarkMmsgSendSide times the send side alone: 1024 64-byte datagrams
// sent into a queue nobody reads until afterwards (drained untimed), with
// SendMmsg (batches of 16 and 64) against one Send (connected) or SendTo
// (unconnected, every message naming the receiver) per datagram, and the
// same as plain sendmmsg and sendto system calls (raw). On UDP loopback
// the send side includes the receiver's input path, run in the sender's
// context. b.N is datagrams per path.
func BenchmarkMmsgSendSide(b *testing.B) {
	for _, fam := range sideFamilies {
		for _, conn := range []string{"connected", "unconnected"} {
			for _, batch := range []int{16, 64} {
				b.Run(fmt.Sprintf("%s/%s/batch=%d", fam.name, conn, batch), func(b *testing.B) {
					e := sidePair(b, fam.af, conn == "connected")
					ts := e.sendTimers(batch)
					n := runSide(b, ts)
					reportSide(b, ts, n, batch)
				})
			}
		}
	}
}

// sendTimers returns the send side's four paths, in reportSide's order.
func (e *sideEnds) sendTimers(batch int) []*sideTimer {
	b := e.b
	p := make([]byte, benchSize)
	out := make([]Message, batch)
	for i := range out {
		out[i].Buffers = [][]byte{p}
		out[i].Addr = e.dst
	}
	var psa unsafe.Pointer
	if e.dstRaw != nil {
		psa = unsafe.Pointer(&e.dstRaw[0])
	}
	return []*sideTimer{
		e.sendTimer("single", func(k int) {
			for i := 0; i < k; i++ {
				var err error
				if e.dst != nil {
					_, err = e.tx.SendTo(p, 0, e.dst)
				} else {
					_, err = e.tx.Send(p, 0)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}),
		e.sendTimer("mmsg", func(k int) {
			for sent := 0; sent < k; {
				m, err := e.tx.SendMmsg(out[:min(batch, k-sent)], 0)
				if err != nil {
					b.Fatal(err)
				}
				sent += m
			}
		}),
		e.sendTimer("raw-single", func(k int) {
			for i := 0; i < k; i++ {
				_, _, errno := unix.Syscall6(unix.SYS_SENDTO, uintptr(e.txfd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0, uintptr(psa), uintptr(len(e.dstRaw)))
				if errno != 0 {
					b.Fatal(errno)
				}
			}
		}),
		e.sendTimer("raw-mmsg", func(k int) {
			for sent := 0; sent < k; {
				sent += e.rawMmsg(unix.SYS_SENDMMSG, e.txfd, e.out[sent:min(sent+batch, k)], 0)
			}
		}),
	}
}
