package can_test

import (
	"fmt"
	"log"

	"github.com/fieldgate/fieldgate/can"
)

// A rule like `cangw -A -s vcan0 -d vcan1 -e -f 123:7FF -m SET:IL:333.4.1122334455667788`.
func ExampleGatewayRule() {
	r := &can.GatewayRule{
		SrcIndex: 3, DstIndex: 4, // interface indexes, e.g. from net.InterfaceByName
		Flags:  can.GatewayEcho,
		Filter: &can.Filter{ID: 0x123, Mask: 0x7FF},
		Set: &can.GatewayMod{
			Targets: can.GatewayModID | can.GatewayModLen,
			ID:      0x333, Len: 4,
			Data: [64]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88},
		},
	}
	b, err := r.MarshalBinary() // struct rtcanmsg + CGW_* attributes
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(b), "bytes")
	fmt.Println(r.CangwArgs(func(i int) string { return fmt.Sprint("vcan", i-3) }))
	// Output:
	// 56 bytes
	// -s vcan0 -d vcan1 -e -m SET:IL:333.4.1122334455667788 -f 123:7FF
}

// Add a rule, list the rules with their counters, flush.
func ExampleGateway() {
	g, err := can.DialGateway(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	err = g.Add(&can.GatewayRule{SrcIndex: 3, DstIndex: 4, Flags: can.GatewayEcho})
	if err != nil {
		log.Fatal(err)
	}
	rules, err := g.Rules()
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rules {
		fmt.Println(r.String(), "handled", r.Handled, "dropped", r.Dropped)
	}
	if err := g.Flush(); err != nil {
		log.Fatal(err)
	}
}
