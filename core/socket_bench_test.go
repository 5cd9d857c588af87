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
// CAN raw sockets), and reports the speed-up in datagrams per second.
func BenchmarkMmsg(b *testing.B) {
	const batch = 64
	for _, fam := range []struct {
		name string
		af   int
	}{{"udp", unix.AF_INET}, {"unix", unix.AF_UNIX}} {
		b.Run(fam.name, func(b *testing.B) {
			tx, rx := mmsgPair(b, fam.af)
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
