package vsock_test

import (
	"context"
	"fmt"
	"time"

	"github.com/fieldgate/fieldgate/vsock"
)

func ExampleParseAddr() {
	for _, s := range []string{"vsock:2:1234", "host:22", "vm(3):5000", "local:any", "host:http"} {
		a, err := vsock.ParseAddr(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(a.ContextID, a.Port, a)
	}
	// Output:
	// 2 1234 host(2):1234
	// 2 22 host(2):22
	// 3 5000 vm(3):5000
	// 1 4294967295 local(1):4294967295
	// vsock: address "host:http": port "http": not a decimal number; want a number below 2^32 or "any"
}

// A guest dials a service on its host with bigger buffers and a connect
// timeout taken from the context.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := vsock.Dial(ctx, vsock.CIDHost, 1024, &vsock.Config{BufferSize: 128 << 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Fprintln(c, "hello from the guest")
}

// A host service on a port the kernel picks.
func ExampleListen() {
	l, err := vsock.Listen(vsock.CIDAny, vsock.PortAny, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	fmt.Println("listening on port", l.Port())
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if c, err := l.AcceptContext(ctx); err == nil {
		c.Close()
	}
}
