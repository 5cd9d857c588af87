//go:build linux

package core_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// A UDP exchange on the loopback interface, Python style.
func ExampleNewSocket() {
	srv, err := core.NewSocket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	if err := srv.Bind(core.InetAddr{IP: netip.MustParseAddr("127.0.0.1")}); err != nil {
		panic(err)
	}
	addr, _ := srv.SockName()

	cli, _ := core.NewSocket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	defer cli.Close()
	cli.SendTo([]byte("ping"), 0, addr)

	data, _, err := srv.RecvFrom(64, 0)
	fmt.Printf("%s %v\n", data, err)
	// Output: ping <nil>
}

// The three modes: blocking, non-blocking and timeout.
func ExampleSocket_SetTimeout() {
	s, _ := core.NewSocket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	defer s.Close()
	s.Bind(core.InetAddr{IP: netip.MustParseAddr("127.0.0.1")})
	buf := make([]byte, 16)

	s.SetTimeout(0) // non-blocking
	_, err := s.RecvInto(buf, 0)
	fmt.Println("non-blocking:", errors.Is(err, unix.EAGAIN))

	s.SetTimeout(20 * time.Millisecond) // timeout mode
	_, err = s.RecvInto(buf, 0)
	fmt.Println("timeout:", errors.Is(err, os.ErrDeadlineExceeded))

	s.SetTimeout(core.NoTimeout) // blocking; a context still bounds one call
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = s.RecvIntoContext(ctx, buf, 0)
	fmt.Println("context:", errors.Is(err, context.DeadlineExceeded))
	// Output:
	// non-blocking: true
	// timeout: true
	// context: true
}

// Batch I/O: several datagrams per system call into caller-owned buffers.
func ExampleSocket_RecvMmsg() {
	rx, _ := core.NewSocket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	defer rx.Close()
	rx.Bind(core.InetAddr{IP: netip.MustParseAddr("127.0.0.1")})
	to, _ := rx.SockName()

	tx, _ := core.NewSocket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	defer tx.Close()
	out := []core.Message{
		{Buffers: [][]byte{[]byte("one")}, Addr: to},
		{Buffers: [][]byte{[]byte("two")}, Addr: to},
		{Buffers: [][]byte{[]byte("three")}, Addr: to},
	}
	n, _ := tx.SendMmsg(out, 0)
	fmt.Println("sent", n)

	msgs := make([]core.Message, 8)
	var from [8]core.InetAddr
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 64)}
		msgs[i].Addr = &from[i] // decoded in place, no allocation
	}
	for got := 0; got < n; {
		m, err := rx.RecvMmsg(msgs[got:], 0)
		if err != nil {
			panic(err)
		}
		got += m
	}
	for _, m := range msgs[:n] {
		fmt.Printf("%s from 127.0.0.1: %v\n", m.Buffers[0][:m.N], m.Addr.(*core.InetAddr).IP.String() == "127.0.0.1")
	}
	// Output:
	// sent 3
	// one from 127.0.0.1: true
	// two from 127.0.0.1: true
	// three from 127.0.0.1: true
}

// Passing a descriptor to another socket with SCM_RIGHTS.
func ExampleSendFDs() {
	a, b, _ := core.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	defer a.Close()
	defer b.Close()
	f, _ := os.Open("/dev/null")
	defer f.Close()

	core.SendFDs(a, [][]byte{[]byte("here")}, []int{int(f.Fd())}, 0, nil)
	data, fds, _, _, err := core.RecvFDs(b, 16, 1, 0)
	fmt.Println(string(data), len(fds), err)
	for _, fd := range fds {
		unix.Close(fd)
	}
	// Output: here 1 <nil>
}

// A TCP server and a client, like socket.create_server and
// socket.create_connection.
func ExampleCreateServer() {
	srv, err := core.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	addr, _ := srv.SockName()

	cli, err := core.CreateConnection(context.Background(), addr.String(), &core.ConnOptions{Timeout: 5 * time.Second})
	if err != nil {
		panic(err)
	}
	defer cli.Close()
	conn, _, _ := srv.Accept()
	defer conn.Close()

	cli.SendAll([]byte("hello"), 0)
	data, _ := conn.Recv(64, 0)
	fmt.Println(string(data))
	// Output: hello
}
