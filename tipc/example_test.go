package tipc_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/fieldgate/fieldgate/tipc"
)

// A service range and the text forms tipc(8) uses.
func ExampleServiceRange() {
	r := tipc.ServiceRange{Type: 18888, Lower: 0, Upper: 99}
	fmt.Println(r, r.Contains(17), r.Contains(100))
	fmt.Println(tipc.Service{Type: 18888, Instance: 17})
	// Output:
	// {18888,0,99} true false
	// {18888,17}
}

// The topology server's subscription message on the wire: 28 bytes in
// network byte order.
func ExampleSubscription_MarshalBinary() {
	sub := tipc.Subscription{
		Range:   tipc.ServiceRange{Type: 18888, Lower: 1, Upper: 1},
		Timeout: 5 * time.Second,
	}
	b, err := sub.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes: % x\n", len(b), b[:16])
	// Output:
	// 28 bytes: 00 00 49 c8 00 00 00 01 00 00 00 01 00 00 13 88
}

// A server publishes a service with reliable datagrams and answers every
// request to the socket that sent it.
func ExampleListenPacket() {
	c, err := tipc.ListenPacket(nil, tipc.ServiceRange{Type: 18888, Lower: 1, Upper: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 66000)
	for {
		n, from, err := c.ReadFrom(context.Background(), buf)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := c.WriteToSocket(context.Background(), buf[:n], from); err != nil {
			log.Printf("reply to %v: %v", from, err)
		}
	}
}

// A client waits until some node publishes the service, then connects to
// it as a stream.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc := tipc.Service{Type: 18888, Instance: 1}
	if _, err := tipc.WaitService(ctx, svc); err != nil {
		log.Fatal(err)
	}
	conn, err := tipc.Dial(ctx, svc, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintln(conn, "hello")
}

// Watching a range: one event per socket that publishes or withdraws it.
func ExampleSubscribe() {
	ctx := context.Background()
	top, err := tipc.Subscribe(ctx, tipc.Subscription{
		Range: tipc.ServiceRange{Type: 18888, Lower: 0, Upper: ^uint32(0)},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer top.Close()
	for {
		ev, err := top.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev)
	}
}
