package core

import (
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pair runs ours and peer b.N times each, interleaved, in the same run and reports both
// costs, their ratio, and allocations per operation.
func pair(b *testing.B, ours, peer func()) {
	b.Helper()
	ours()
	peer()
	b.ResetTimer()
	// Alternate in blocks so a load change on the shared machine hits
	// both sides alike.
	var d1, d2 time.Duration
	for done := 0; done < b.N; {
		k := min(1000, b.N-done)
		t0 := time.Now()
		for range k {
			ours()
		}
		t1 := time.Now()
		for range k {
			peer()
		}
		d1 += t1.Sub(t0)
		d2 += time.Since(t1)
		done += k
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(d1.Nanoseconds())/n, "core-ns/op")
	b.ReportMetric(float64(d2.Nanoseconds())/n, "xsys-ns/op")
	b.ReportMetric(float64(d2)/float64(d1), "xsys/core")
	b.ReportMetric(testing.AllocsPerRun(100, ours), "core-allocs/op")
	b.ReportMetric(testing.AllocsPerRun(100, peer), "xsys-allocs/op")
}

func benchUDP(b *testing.B) (int, int) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	rx, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		b.Fatal(err)
	}
	unix.Bind(rx, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	b.Cleanup(func() { unix.Close(fd); unix.Close(rx) })
	return fd, rx
}

// getsockname decoded by our codec into a reused InetAddr, against
// unix.Getsockname (same system call, x/sys's decoder).
func BenchmarkSockNameVsXSys(b *testing.B) {
	fd, _ := benchUDP(b)
	var buf [SizeofSockaddrStorage]byte
	var a InetAddr
	pair(b, func() {
		n := uint32(len(buf))
		unix.RawSyscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)))
		if err := UnmarshalSockaddr(buf[:n], &a); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if _, err := unix.Getsockname(fd); err != nil {
			b.Fatal(err)
		}
	})
}

// sendto with AppendSockaddr's bytes, against unix.Sendto with a
// unix.SockaddrInet4 (same system call, x/sys's encoder).
func BenchmarkSendToVsXSys(b *testing.B) {
	fd, rx := benchUDP(b)
	sa, _ := unix.Getsockname(rx)
	dst := &InetAddr{IP: netip.AddrFrom4([4]byte{127, 0, 0, 1}), Port: sa.(*unix.SockaddrInet4).Port}
	xdst := sa.(*unix.SockaddrInet4)
	var scratch [SizeofSockaddrStorage]byte
	msg := make([]byte, 64)
	drain := make([]byte, 128)
	i := 0
	pair(b, func() {
		raw, err := AppendSockaddr(scratch[:0], dst)
		if err != nil {
			b.Fatal(err)
		}
		unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)), 0,
			uintptr(unsafe.Pointer(&raw[0])), uintptr(len(raw)))
		if i++; i%64 == 0 {
			for {
				if _, err := unix.Read(rx, drain); err != nil {
					break
				}
			}
		}
	}, func() {
		unix.Sendto(fd, msg, 0, xdst)
		if i++; i%64 == 0 {
			for {
				if _, err := unix.Read(rx, drain); err != nil {
					break
				}
			}
		}
	})
}

// The codec alone, per family, with reused buffers and addresses.
func BenchmarkCodec(b *testing.B) {
	for _, a := range []Addr{
		&InetAddr{IP: netip.AddrFrom4([4]byte{127, 0, 0, 1}), Port: 9}, &Inet6Addr{IP: netip.IPv6Loopback(), Port: 9},
		&J1939Addr{Index: 1, Name: 2, PGN: 3, Addr: 4}, &L2CAPAddr{PSM: 1}, &ALGAddr{Type: "hash", Name: "sha256"},
	} {
		raw, _ := MarshalSockaddr(a)
		b.Run(Family(a.Family()).String()+"/"+typeName(a)[6:], func(b *testing.B) {
			var scratch [SizeofSockaddrStorage]byte
			b.ReportAllocs()
			for range b.N {
				if _, err := AppendSockaddr(scratch[:0], a); err != nil {
					b.Fatal(err)
				}
				if err := UnmarshalSockaddr(raw, a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
