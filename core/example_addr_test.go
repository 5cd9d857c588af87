package core_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/fieldgate/fieldgate/core"
)

// Encode an ISO-TP address the way bind(2) wants it, and decode what
// getsockname(2) would return.
func ExampleMarshalSockaddr() {
	a := core.ISOTPAddr{Index: 3, RxID: 0x123, TxID: 0x456}
	raw, err := core.MarshalSockaddr(a)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d bytes: % x\n", len(raw), raw[:16])
	back, err := core.ParseSockaddr(raw, core.SOCK_DGRAM, core.CAN_ISOTP)
	if err != nil {
		panic(err)
	}
	b := back.(*core.ISOTPAddr)
	fmt.Printf("%s ifindex=%d rx=%#x tx=%#x\n", core.Family(back.Family()), b.Index, b.RxID, b.TxID)
	// Output:
	// 24 bytes: 1d 00 00 00 03 00 00 00 23 01 00 00 56 04 00 00
	// AF_CAN ifindex=3 rx=0x123 tx=0x456
}

// Bluetooth addresses print in display order and go on the wire reversed.
func ExampleParseBDAddr() {
	bd, err := core.ParseBDAddr("01:23:45:67:89:ab")
	if err != nil {
		panic(err)
	}
	raw, _ := core.MarshalSockaddr(core.RFCOMMAddr{BDAddr: bd, Channel: 1})
	fmt.Println(bd)
	fmt.Printf("% x\n", raw[2:8])
	// Output:
	// 01:23:45:67:89:AB
	// ab 89 67 45 23 01
}

func ExampleGetAddrInfo() {
	res, err := core.GetAddrInfo(context.Background(), "", "8080", core.AF_INET, core.SOCK_STREAM, 0, core.AI_PASSIVE)
	if err != nil {
		panic(err)
	}
	for _, ai := range res {
		fmt.Println(core.Family(ai.Family), core.Kind(ai.Type), ai.Proto, ai.Addr)
	}
	// Output:
	// AF_INET SOCK_STREAM 6 0.0.0.0:8080
}

func ExampleInetAton() {
	for _, s := range []string{"127.1", "1.2.3", "0x7f.1", "2130706433"} {
		b, _ := core.InetAton(s)
		ip, _ := core.InetNtoa(b)
		fmt.Println(s, "=", ip)
	}
	// Output:
	// 127.1 = 127.0.0.1
	// 1.2.3 = 1.2.0.3
	// 0x7f.1 = 127.0.0.1
	// 2130706433 = 127.0.0.1
}

func ExampleCmsgSpace() {
	l, _ := core.CmsgLen(4)
	s, _ := core.CmsgSpace(4)
	fmt.Println(l, s)
	// Output: 20 24
}

func ExampleHtons() {
	v, _ := core.Htons(1)
	_, err := core.Htons(65536)
	fmt.Println(v, err != nil)
	// Output: 256 true
}

func ExampleUnmarshalSockaddr() {
	raw, _ := core.MarshalSockaddr(core.InetAddr{IP: netip.MustParseAddr("192.0.2.1"), Port: 53})
	var from core.InetAddr // reused for every datagram: no allocation
	if err := core.UnmarshalSockaddr(raw, &from); err != nil {
		panic(err)
	}
	fmt.Println(from)
	// Output: 192.0.2.1:53
}

func ExampleFamily() {
	fmt.Println(core.Family(core.AF_CAN), core.Kind(core.SOCK_SEQPACKET), core.Family(core.AF_QIPCRTR))
	// Output: AF_CAN SOCK_SEQPACKET AF_QIPCRTR
}
