//go:build linux

package core

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestMmsgRoundTrip(t *testing.T) {
	s, addr := udp4(t)
	c, caddr := udp4(t)
	const n = 8
	out := make([]Message, n)
	dst := addr
	for i := range out {
		out[i].Buffers = [][]byte{[]byte(fmt.Sprintf("msg-%d-", i)), []byte("tail")}
		out[i].Addr = &dst
	}
	sent, err := c.SendMmsg(out, 0)
	if err != nil || sent != n {
		t.Fatalf("SendMmsg = %d, %v", sent, err)
	}
	for i := range out {
		if want := len(fmt.Sprintf("msg-%d-tail", i)); out[i].N != want {
			t.Fatalf("out[%d].N = %d, want %d", i, out[i].N, want)
		}
	}
	in := make([]Message, n+4)
	var from [n + 4]InetAddr
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, 4), make([]byte, 64)}
		switch i % 3 {
		case 0:
			in[i].Addr = &from[i] // decoded in place
		case 1:
			in[i].Name = make([]byte, 0, SizeofSockaddrStorage) // raw only
		}
	}
	got := 0
	for got < n {
		m, err := s.RecvMmsg(in[got:], 0)
		if err != nil {
			t.Fatal(err)
		}
		got += m
	}
	if got != n {
		t.Fatalf("received %d, want %d", got, n)
	}
	for i := 0; i < n; i++ {
		m := in[i]
		data := string(m.Buffers[0][:min(m.N, 4)])
		if m.N > 4 {
			data += string(m.Buffers[1][:m.N-4])
		}
		if want := fmt.Sprintf("msg-%d-tail", i); data != want || m.Flags != 0 {
			t.Fatalf("in[%d] = %q flags %#x, want %q", i, data, m.Flags, want)
		}
		switch i % 3 {
		case 0:
			if m.Addr != Addr(&from[i]) || from[i] != caddr {
				t.Fatalf("in[%d].Addr = %v, want %v decoded in place", i, m.Addr, caddr)
			}
		case 1:
			a, err := ParseSockaddr(m.Name, unix.SOCK_DGRAM, 0)
			if err != nil || !sameAddr(a, caddr) || len(m.Name) != SizeofSockaddrInet4 {
				t.Fatalf("in[%d].Name = %x (%v, %v)", i, m.Name, a, err)
			}
		default:
			if m.Addr != nil || m.Name != nil {
				t.Fatalf("in[%d] got an address without asking", i)
			}
		}
	}
	// Truncation is reported per message.
	c.SendTo(make([]byte, 100), 0, addr)
	small := []Message{{Buffers: [][]byte{make([]byte, 10)}}}
	if m, err := s.RecvMmsg(small, 0); err != nil || m != 1 || small[0].Flags&unix.MSG_TRUNC == 0 || small[0].N != 10 {
		t.Fatalf("truncated RecvMmsg = %d %v flags %#x N %d", m, err, small[0].Flags, small[0].N)
	}
}

// TestMmsgNoAllocs: a SendMmsg + RecvMmsg cycle allocates nothing in the
// steady state, on a connected socket and with a destination per message
// (both coalesced into UDP_SEGMENT sends on loopback).
func TestMmsgNoAllocs(t *testing.T) {
	for _, connected := range []bool{true, false} {
		s, addr := udp4(t)
		if err := s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20); err != nil {
			t.Fatal(err)
		}
		c, _ := udp4(t)
		out := make([]Message, 64)
		in := make([]Message, 64)
		var from [64]InetAddr
		for i := range out {
			out[i].Buffers = [][]byte{make([]byte, 64)}
			in[i].Buffers = [][]byte{make([]byte, 64)}
			in[i].Addr = &from[i]
			if !connected {
				out[i].Addr = &addr
			}
		}
		if connected {
			if err := c.Connect(&addr); err != nil {
				t.Fatal(err)
			}
		}
		allocs := testing.AllocsPerRun(200, func() {
			n, err := c.SendMmsg(out, 0)
			if err != nil || n != len(out) {
				t.Fatalf("SendMmsg = %d, %v", n, err)
			}
			for got := 0; got < n; {
				m, err := s.RecvMmsg(in[got:n], 0)
				if err != nil {
					t.Fatal(err)
				}
				got += m
			}
		})
		if allocs != 0 {
			t.Fatalf("connected %v: SendMmsg+RecvMmsg: %v allocs per run, want 0", connected, allocs)
		}
		if !c.UDPSegmentation() {
			t.Fatalf("connected %v: segmentation was turned off on loopback", connected)
		}
	}
}

func TestIONoAllocs(t *testing.T) {
	s, addr := udp4(t)
	c, _ := udp4(t)
	msg := make([]byte, 64)
	buf := make([]byte, 128)
	dst := addr
	var from InetAddr
	allocs := testing.AllocsPerRun(500, func() {
		if _, err := c.SendTo(msg, 0, &dst); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecvInto(buf, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SendTo(msg, 0, &dst); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.RecvFromInto(buf, 0, &from); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("SendTo/RecvInto/RecvFromInto: %v allocs per run, want 0", allocs)
	}
	// Timeout mode arms a deadline per call, still without allocating.
	s.SetTimeout(5e9)
	allocs = testing.AllocsPerRun(200, func() {
		c.SendTo(msg, 0, &dst)
		if _, err := s.RecvInto(buf, 0); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("timeout mode: %v allocs per run, want 0", allocs)
	}
}

// TestConcurrentUse has several goroutines send and receive on the same
// sockets at once (single calls and batches) and checks that every datagram
// arrives exactly once. It uses an AF_UNIX datagram pair, whose senders wait
// for queue space instead of the kernel dropping on a full receive buffer
// (as UDP does when the receivers fall behind, e.g. under emulation), so any
// loss or duplication is ours.
func TestConcurrentUse(t *testing.T) {
	s, c, err := Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	defer c.Close()
	s.SetTimeout(10e9)
	c.SetTimeout(10e9)
	const senders, per = 4, 200
	errc := make(chan error, senders*2)
	for g := 0; g < senders; g++ {
		go func(g int) {
			if g%2 == 0 {
				for i := 0; i < per; i++ {
					if _, err := c.Send([]byte{byte(g), byte(i)}, 0); err != nil {
						errc <- err
						return
					}
				}
				errc <- nil
				return
			}
			msgs := make([]Message, 10)
			for sent := 0; sent < per; sent += 10 {
				for i := range msgs {
					msgs[i].Buffers = [][]byte{{byte(g), byte(sent + i)}}
				}
				for k := 0; k < 10; {
					n, err := c.SendMmsg(msgs[k:], 0)
					if err != nil {
						errc <- err
						return
					}
					k += n
				}
			}
			errc <- nil
		}(g)
	}
	type result struct {
		seen [senders][per]int
		err  error
	}
	results := make(chan *result, 2)
	for r := 0; r < 2; r++ {
		go func(r int) {
			res := new(result)
			buf := make([]byte, 8)
			msgs := make([]Message, 8)
			for i := range msgs {
				msgs[i].Buffers = [][]byte{make([]byte, 8)}
			}
			record := func(b []byte) {
				if len(b) != 2 || int(b[0]) >= senders || int(b[1]) >= per {
					res.err = fmt.Errorf("unexpected datagram % x", b)
					return
				}
				res.seen[b[0]][b[1]]++
			}
			for res.err == nil {
				var err error
				if r == 0 {
					var n int
					n, err = s.RecvInto(buf, 0)
					if err == nil {
						record(buf[:n])
					}
				} else {
					var n int
					n, err = s.RecvMmsg(msgs, 0)
					for i := 0; i < n; i++ {
						record(msgs[i].Buffers[0][:msgs[i].N])
					}
				}
				if err != nil {
					if !errors.Is(err, os.ErrDeadlineExceeded) {
						res.err = err
					}
					break
				}
			}
			results <- res
		}(r)
	}
	for g := 0; g < senders; g++ {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	// Let the receivers drain, then stop them with a deadline.
	time.Sleep(200 * time.Millisecond)
	s.SetReadDeadline(time.Now())
	a, b := <-results, <-results
	for _, res := range []*result{a, b} {
		if res.err != nil {
			t.Fatal(res.err)
		}
	}
	total := 0
	for g := 0; g < senders; g++ {
		for i := 0; i < per; i++ {
			n := a.seen[g][i] + b.seen[g][i]
			total += n
			if n != 1 {
				t.Errorf("datagram {%d,%d} received %d times, want 1", g, i, n)
			}
		}
	}
	if total != senders*per {
		t.Fatalf("received %d datagrams, sent %d", total, senders*per)
	}
}
