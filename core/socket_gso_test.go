//go:build linux

package core

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ttlCmsg is an IP_TTL control message: control data that a coalesced
// run must not carry.
func ttlCmsg(ttl uint32) []byte {
	b := make([]byte, unix.CmsgSpace(4))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = unix.IPPROTO_IP, unix.IP_TTL
	h.SetLen(unix.CmsgLen(4))
	binary.NativeEndian.PutUint32(b[unix.CmsgLen(0):], ttl)
	return b
}

// gsoPeers returns two receivers with room for a whole batch and 2 s
// timeouts, and a sender, on UDP loopback.
func gsoPeers(t testing.TB) (rxA, rxB, tx *Socket, addrA, addrB InetAddr) {
	rxA, addrA = udp4(t)
	rxB, addrB = udp4(t)
	tx, _ = udp4(t)
	for _, s := range []*Socket{rxA, rxB} {
		if err := s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20); err != nil {
			t.Fatal(err)
		}
		if err := s.SetTimeout(2 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return rxA, rxB, tx, addrA, addrB
}

// gsoBatch is a batch that exercises every rule that ends a coalesced
// run; want is how prepareGSO must group it (messages per entry).
func gsoBatch(a, b Addr) (msgs []Message, want []uint16) {
	ttl := ttlCmsg(9)
	add := func(n, size int, to Addr, oob []byte, split bool) {
		for range n {
			p := make([]byte, size)
			for j := range p {
				p[j] = byte(len(msgs)*7 + j)
			}
			m := Message{Addr: to, OOB: oob, Buffers: [][]byte{p}}
			if split && size > 3 {
				m.Buffers = [][]byte{p[:3], p[3:]}
			}
			msgs = append(msgs, m)
		}
	}
	add(5, 100, a, nil, false) // a run ...
	add(1, 40, a, nil, true)   // ... ended by its shorter last datagram
	add(3, 100, a, nil, true)  // scatter/gather buffers coalesce too
	add(2, 100, b, nil, false) // another destination
	add(1, 100, b, ttl, false) // control data: alone
	add(70, 64, a, nil, false) // more than gsoMaxSegs
	add(1, 0, a, nil, false)   // empty: alone
	add(2, 100, a, nil, false)
	add(1, 101, a, nil, false) // longer than the run's size: a new run
	return msgs, []uint16{6, 3, 2, 1, 64, 6, 1, 2, 1}
}

// TestMmsgUDPSegmentation: SendMmsg's coalesced sends deliver exactly
// the datagrams of the messages, in order, per destination, with
// segmentation on and off.
func TestMmsgUDPSegmentation(t *testing.T) {
	for _, on := range []bool{true, false} {
		rxA, rxB, tx, addrA, addrB := gsoPeers(t)
		tx.SetUDPSegmentation(on)
		if tx.UDPSegmentation() != on {
			t.Fatalf("UDPSegmentation() = %v after SetUDPSegmentation(%v)", !on, on)
		}
		msgs, want := gsoBatch(&addrA, &addrB)
		if on {
			o := newOp()
			if err := o.prepareGSO(msgs, 0); err != nil {
				t.Fatal(err)
			}
			if got := o.segs[:o.vlen]; !slices.Equal(got, want) {
				t.Fatalf("coalesced entries %v, want %v", got, want)
			}
			if err := o.prepareGSO(msgs, 99); err != nil {
				t.Fatal(err)
			}
			if got, want := o.segs[:o.vlen], []uint16{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 64, 6, 1, 1, 1, 1}; !slices.Equal(got, want) {
				t.Fatalf("coalesced entries up to 99 bytes %v, want %v", got, want)
			}
		}
		for sent := 0; sent < len(msgs); {
			n, err := tx.SendMmsg(msgs[sent:], 0)
			if err != nil {
				t.Fatalf("segmentation %v: SendMmsg after %d: %v", on, sent, err)
			}
			sent += n
		}
		var wantA, wantB [][]byte
		for i := range msgs {
			m := &msgs[i]
			p := slices.Concat(m.Buffers...)
			if m.N != len(p) {
				t.Fatalf("msgs[%d].N = %d, want %d", i, m.N, len(p))
			}
			if m.Addr == Addr(&addrA) {
				wantA = append(wantA, p)
			} else {
				wantB = append(wantB, p)
			}
		}
		for _, r := range []struct {
			s    *Socket
			want [][]byte
		}{{rxA, wantA}, {rxB, wantB}} {
			buf := make([]byte, 2048)
			for i, w := range r.want {
				n, err := r.s.RecvInto(buf, 0)
				if err != nil {
					t.Fatalf("segmentation %v: datagram %d of %d: %v", on, i, len(r.want), err)
				}
				if !bytes.Equal(buf[:n], w) {
					t.Fatalf("segmentation %v: datagram %d is %d bytes % x..., want %d bytes % x...", on, i, n, buf[:min(n, 8)], len(w), w[:min(len(w), 8)])
				}
			}
			r.s.SetTimeout(0)
			if n, err := r.s.RecvInto(buf, 0); err == nil {
				t.Fatalf("segmentation %v: an extra %d-byte datagram", on, n)
			}
		}
	}
}

// TestMmsgUDPSegmentationRefused: a coalesced send the kernel refuses
// (here: datagrams larger than the socket's IPv6 MTU, EMSGSIZE with
// UDP_SEGMENT) is sent again uncoalesced, the datagrams arrive whole
// (fragmented and reassembled), and the socket stops coalescing
// datagrams of that size.
func TestMmsgUDPSegmentationRefused(t *testing.T) {
	loop6 := netip.IPv6Loopback()
	rx, err := NewSocket(unix.AF_INET6, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	if err := rx.Bind(Inet6Addr{IP: loop6}); err != nil {
		t.Fatal(err)
	}
	a, err := rx.SockName()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := NewSocket(unix.AF_INET6, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	if err := tx.Connect(a); err != nil {
		t.Fatal(err)
	}
	if err := tx.SetsockoptInt(unix.IPPROTO_IPV6, unix.IPV6_MTU, 1280); err != nil {
		t.Fatal(err)
	}
	msgs := make([]Message, 4)
	for i := range msgs {
		p := bytes.Repeat([]byte{byte(i + 1)}, 1400)
		msgs[i].Buffers = [][]byte{p}
	}
	if !tx.UDPSegmentation() {
		t.Fatal("UDPSegmentation() false on a new UDP socket")
	}
	// An error that has nothing to do with segmentation (a sockaddr_in
	// cut short: EINVAL coalesced or not) is reported and changes nothing.
	tx4, _ := udp4(t)
	short := &RawAddr{Fam: unix.AF_INET, Data: []byte{0, 9, 127, 0}}
	bad := []Message{{Buffers: [][]byte{[]byte("ab")}, Addr: short}, {Buffers: [][]byte{[]byte("cd")}, Addr: short}}
	if n, err := tx4.SendMmsg(bad, 0); n != 0 || !errors.Is(err, unix.EINVAL) {
		t.Fatalf("SendMmsg to a short sockaddr = %d, %v; want 0, EINVAL", n, err)
	}
	if !tx4.UDPSegmentation() || tx4.gsoSegMax.Load() != 0 {
		t.Fatalf("after an unrelated error: UDPSegmentation() %v, size cap %d; want true, 0", tx4.UDPSegmentation(), tx4.gsoSegMax.Load())
	}
	n, err := tx.SendMmsg(msgs, 0)
	if err != nil || n != len(msgs) {
		t.Fatalf("SendMmsg = %d, %v; want %d sent", n, err, len(msgs))
	}
	if got := tx.gsoSegMax.Load(); got != 1399 {
		t.Fatalf("largest coalesced datagram after the refusal: %d bytes, want 1399", got)
	}
	// Smaller datagrams are still coalesced; these larger ones are not.
	if n, err := tx.SendMmsg(msgs, 0); err != nil || n != len(msgs) {
		t.Fatalf("second SendMmsg = %d, %v; want %d sent", n, err, len(msgs))
	}
	if !tx.UDPSegmentation() {
		t.Fatal("UDPSegmentation() false after a refusal for the datagram size")
	}
	rx.SetTimeout(2 * time.Second)
	buf := make([]byte, 2048)
	for i := range 2 * len(msgs) {
		n, err := rx.RecvInto(buf, 0)
		if err != nil || !bytes.Equal(buf[:n], msgs[i%len(msgs)].Buffers[0]) {
			t.Fatalf("datagram %d: %d bytes (% x...), %v; want 1400 bytes of %d", i, n, buf[:min(n, 4)], err, i+1)
		}
	}
}

// FuzzSendMmsgSegmentation: for any batch (each input byte is a message:
// its low 5 bits a length class, bit 5 the destination, bit 6 control
// data), the coalesced SendMmsg delivers exactly the messages'
// datagrams, in order, per destination.
func FuzzSendMmsgSegmentation(f *testing.F) {
	f.Add([]byte{3, 3, 3, 3, 1, 3, 3})
	f.Add([]byte{0x23, 0x23, 3, 3, 0x43, 3, 0, 3})
	f.Add(bytes.Repeat([]byte{7}, 100))
	rxA, rxB, tx, addrA, addrB := gsoPeers(f)
	ttl := ttlCmsg(9)
	f.Fuzz(func(t *testing.T, spec []byte) {
		if len(spec) > 300 {
			spec = spec[:300]
		}
		msgs := make([]Message, len(spec))
		var want [2][][]byte
		for i, c := range spec {
			size := int(c&0x1f) * 97 % 1500 // 0..1455, a few repeats
			p := make([]byte, size)
			for j := range p {
				p[j] = byte(i + j*3)
			}
			d := int(c>>5) & 1
			msgs[i] = Message{Addr: []Addr{&addrA, &addrB}[d]}
			if size > 5 {
				msgs[i].Buffers = [][]byte{p[:5], p[5:]}
			} else {
				msgs[i].Buffers = [][]byte{p}
			}
			if c&0x40 != 0 {
				msgs[i].OOB = ttl
			}
			want[d] = append(want[d], p)
		}
		for sent := 0; sent < len(msgs); {
			n, err := tx.SendMmsg(msgs[sent:], 0)
			if err != nil {
				t.Fatalf("SendMmsg after %d of %d: %v", sent, len(msgs), err)
			}
			sent += n
		}
		buf := make([]byte, 2048)
		for d, rx := range []*Socket{rxA, rxB} {
			for i, w := range want[d] {
				n, err := rx.RecvInto(buf, 0)
				if err != nil || !bytes.Equal(buf[:n], w) {
					t.Fatalf("destination %d datagram %d: %d bytes, %v; want %d bytes", d, i, n, err, len(w))
				}
			}
		}
		if !tx.UDPSegmentation() {
			t.Fatal("segmentation turned off on loopback")
		}
	})
}
