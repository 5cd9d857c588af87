//go:build linux

package packet

import (
	"errors"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// WriteBatch transmits frames on the bound interface and returns how many
// it handed to the kernel. Each frame is a complete link-layer frame for a
// Raw socket (a network-layer packet for Datagram, sent to the
// Config.Protocol with no hardware address, so mostly useful for Raw).
//
// The frames go out with sendmmsg(2), up to 1024 per call: in
// BenchmarkTransmit about half the CPU per frame of one sendto(2) each,
// and as fast as a PACKET_TX_RING (BENCHMARKS.md). The caller may reuse
// the buffers when WriteBatch returns; every frame counted in the result
// has been accepted by the kernel. When the device queue or the socket
// send buffer is full (ENOBUFS, EAGAIN) WriteBatch retries after short
// sleeps (20 µs doubling to 1 ms) instead of dropping frames; the write
// deadline does not apply. The first frame the kernel refuses (longer
// than the MTU: EMSGSIZE) ends the batch with an error. The socket must
// be bound to one interface; frames go to it with Config.Protocol.
func (c *Conn) WriteBatch(frames [][]byte) (int, error) {
	if c.ifindex == 0 {
		return 0, c.opError("write batch", errors.New("socket bound to all interfaces: WriteBatch needs one interface"))
	}
	rc, err := c.c.SyscallConn()
	if err != nil {
		return 0, c.opError("write batch", err)
	}
	return c.writeMmsg(rc, frames)
}

// maxMmsg is the most messages one sendmmsg takes (UIO_MAXIOV).
const maxMmsg = 1024

func (c *Conn) writeMmsg(rc syscall.RawConn, frames [][]byte) (int, error) {
	sa := rawSockaddrLinklayer(c.ifindex, htons(c.protocol))
	batch := min(len(frames), maxMmsg)
	iov := make([]unix.Iovec, batch)
	hdr := make([]unix.Mmsghdr, batch)
	n := 0
	for n < len(frames) {
		m := min(len(frames)-n, maxMmsg)
		for i := range m {
			f := frames[n+i]
			iov[i] = unix.Iovec{}
			if len(f) > 0 {
				iov[i].Base = &f[0]
			}
			iov[i].SetLen(len(f))
			hdr[i] = unix.Mmsghdr{}
			hdr[i].Hdr.Name = (*byte)(unsafe.Pointer(&sa))
			hdr[i].Hdr.Namelen = uint32(unsafe.Sizeof(sa))
			hdr[i].Hdr.Iov = &iov[i]
			hdr[i].Hdr.SetIovlen(1)
		}
		var sent int
		// A full device queue (ENOBUFS) or send buffer (EAGAIN) fails the
		// first message not sent: retry it after a pause, as WriteTo
		// callers do, rather than drop it.
		err := backoff(func() (bool, error) {
			var e syscall.Errno
			if err := rc.Control(func(fd uintptr) {
				var r uintptr
				r, _, e = unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&hdr[0])), uintptr(m), unix.MSG_DONTWAIT, 0, 0)
				sent = int(r)
			}); err != nil {
				return false, err
			}
			switch e {
			case 0:
				return true, nil
			case unix.EAGAIN, unix.ENOBUFS:
				return false, nil
			}
			return false, e
		})
		if err != nil {
			return n, c.opError("sendmmsg", err)
		}
		n += sent
	}
	return n, nil
}

// rawSockaddrLinklayer builds a struct sockaddr_ll for sendmmsg.
func rawSockaddrLinklayer(ifindex int, protoBE uint16) unix.RawSockaddrLinklayer {
	return unix.RawSockaddrLinklayer{Family: unix.AF_PACKET, Protocol: protoBE, Ifindex: int32(ifindex)}
}

// backoff calls f until it reports done or an error, sleeping 20 µs
// doubling to 1 ms between calls. Only a full device or socket queue makes
// it sleep, so the wait is bounded by how fast the device drains.
func backoff(f func() (bool, error)) error {
	for wait := 20 * time.Microsecond; ; wait = min(2*wait, time.Millisecond) {
		done, err := f()
		if done || err != nil {
			return err
		}
		time.Sleep(wait)
	}
}
