package slcan_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	cs "github.com/fieldgate/fieldgate/can/slcan"
	"github.com/fieldgate/fieldgate/gateway/endpoints/slcan"
)

// adapter is a Lawicel adapter written for the tests (a CANUSB as its
// manual describes it): it answers C, V, N, S, s, Z, F, O, L and frames on
// a pty master or a TCP connection, and records every byte the host sends.
type adapter struct {
	t       testing.TB
	conn    io.ReadWriteCloser
	closeFn func()

	mu       sync.Mutex
	rx       bytes.Buffer // every byte received
	open     bool
	status   byte // the next F reply's flags (cleared when read, as Lawicel does)
	refuseTx bool // answer frames with BEL
	refuseO  bool // answer O and L with BEL
	mute     bool // answer nothing (an adapter that hangs)
	frames   []string
	done     chan struct{}
}

// startPTYAdapter creates a pty (linked at link) and plays an adapter on
// its master.
func startPTYAdapter(t testing.TB, link string) *adapter {
	t.Helper()
	p, err := slcan.NewPTY(link)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a := &adapter{t: t, conn: c, closeFn: func() { p.Close() }, done: make(chan struct{})}
	go a.serve()
	t.Cleanup(a.vanish)
	return a
}

// startTCPAdapter plays an adapter for the first connection to a listener
// (a network SLCAN bridge) and returns its address.
func startTCPAdapter(t testing.TB) (*adapter, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &adapter{t: t, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			close(a.done)
			close(ready)
			return
		}
		a.mu.Lock()
		a.conn, a.closeFn = c, func() { c.Close() }
		a.mu.Unlock()
		close(ready)
		a.serve()
	}()
	t.Cleanup(func() {
		ln.Close()
		<-ready
		a.vanish()
	})
	return a, ln.Addr().String()
}

// vanish closes the adapter's side, as when it is unplugged.
func (a *adapter) vanish() {
	a.mu.Lock()
	f := a.closeFn
	a.closeFn = nil
	a.mu.Unlock()
	if f != nil {
		f()
		<-a.done
	}
}

func (a *adapter) serve() {
	defer close(a.done)
	rd := cs.NewReader(a.conn)
	for {
		line, term, err := rd.Next()
		if err != nil {
			return
		}
		a.mu.Lock()
		a.rx.Write(line)
		a.rx.WriteByte(term)
		reply := a.answer(string(line))
		if a.mute {
			reply = ""
		}
		a.mu.Unlock()
		if _, err := io.WriteString(a.conn, reply); err != nil {
			return
		}
	}
}

// answer is the adapter's reply to line; a.mu is held.
func (a *adapter) answer(line string) string {
	const ok, bell = "\r", "\a"
	if line == "" {
		return ok
	}
	switch line[0] {
	case 'C':
		if !a.open {
			return bell
		}
		a.open = false
		return ok
	case 'O', 'L':
		if a.open || a.refuseO {
			return bell
		}
		a.open = true
		return ok
	case 'S', 's', 'Z':
		if a.open {
			return bell
		}
		return ok
	case 'V':
		return "V1013\r"
	case 'N':
		return "NA123\r"
	case 'F':
		if !a.open {
			return bell
		}
		f := a.status
		a.status = 0
		return string(cs.AppendStatus(nil, f))
	case 't', 'T', 'r', 'R', 'd', 'D', 'b', 'B':
		if !a.open || a.refuseTx {
			return bell
		}
		a.frames = append(a.frames, line)
		if line[0] >= 'a' {
			return "z\r"
		}
		return "Z\r"
	}
	return bell
}

// send writes s to the host as the adapter.
func (a *adapter) send(s string) {
	a.t.Helper()
	a.mu.Lock()
	c := a.conn
	a.mu.Unlock()
	if _, err := io.WriteString(c, s); err != nil {
		a.t.Fatalf("adapter write: %v", err)
	}
}

// received returns every byte the host sent, lines ended by \r.
func (a *adapter) received() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rx.String()
}

// sent returns the frame lines the host transmitted.
func (a *adapter) sent() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.frames...)
}

func (a *adapter) set(f func(a *adapter)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f(a)
}

// withoutPolls removes the status polls ("F\r") from the bytes an adapter
// received after the open sequence.
func withoutPolls(s string) string { return strings.ReplaceAll(s, "F\r", "") }
