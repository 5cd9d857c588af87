package netlinkfam_test

import (
	"context"
	"fmt"
	"log"

	"github.com/fieldgate/fieldgate/netlinkfam"
)

// The IFLA_INFO_DATA payload `ip link set can0 type can bitrate 500000
// sample-point 0.875 restart-ms 100` sends (on a little-endian host).
func ExampleEncodeCANConfig() {
	restart := uint32(100)
	b, err := netlinkfam.EncodeCANConfig(&netlinkfam.CANConfig{
		BitTiming: &netlinkfam.BitTiming{Bitrate: 500000, SamplePoint: 875},
		RestartMs: &restart,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("% x\n", b[:12])
	fmt.Printf("% x\n", b[36:])
	// Output:
	// 24 00 01 00 20 a1 07 00 6b 03 00 00
	// 08 00 06 00 64 00 00 00
}

// Configure a CAN controller the way `ip link set can0 down; ip link set
// can0 type can bitrate 250000 restart-ms 100 one-shot off; ip link set can0
// up` does.
func ExampleConn_SetCAN() {
	c, err := netlinkfam.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	restart := uint32(100)
	if err := c.SetLinkDown("can0"); err != nil {
		log.Fatal(err)
	}
	err = c.SetCAN("can0", &netlinkfam.CANConfig{
		BitTiming:    &netlinkfam.BitTiming{Bitrate: 250000},
		RestartMs:    &restart,
		CtrlModeMask: netlinkfam.CtrlModeOneShot, // switch one-shot off
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.SetLinkUp("can0"); err != nil {
		log.Fatal(err)
	}
}

// Wait for can0 to leave bus-off.
func ExampleSubscribeLinks() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := netlinkfam.SubscribeLinks(ctx, &netlinkfam.SubscribeConfig{ListExisting: true})
	if err != nil {
		log.Fatal(err)
	}
	for ev := range events {
		if ev.Name == "can0" && ev.CAN != nil && ev.CANStateChanged && ev.PrevCANState == netlinkfam.CANStateBusOff {
			fmt.Println("can0 is back:", ev.CAN.State)
			return
		}
	}
}

// List links the way `fieldgate doctor` does.
func ExampleLinks() {
	ls, err := netlinkfam.Links()
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range ls {
		if l.CAN != nil && l.CAN.BitTiming != nil {
			fmt.Println(l.Name, l.Kind, l.CAN.BitTiming.Bitrate, l.CAN.State)
		}
	}
}
