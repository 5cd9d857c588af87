package bluetooth_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/fieldgate/fieldgate/bluetooth"
	"github.com/fieldgate/fieldgate/core"
)

// The receive filter a raw HCI socket needs to see one command's answer,
// as the kernel takes it (struct hci_ufilter, little-endian host).
func ExampleFilter() {
	var f bluetooth.Filter
	f.SetType(bluetooth.EventPacket)
	f.SetEvent(bluetooth.EvtCommandComplete)
	f.SetEvent(bluetooth.EvtCommandStatus)
	f.Opcode = bluetooth.OpReadBDAddr
	b, _ := f.MarshalBinary()
	fmt.Printf("% x\n", b)
	// Output:
	// 10 00 00 00 00 c0 00 00 00 00 00 00 09 10 00 00
}

// Decoding a Command Complete event read from a raw HCI socket.
func ExampleParsePacket() {
	raw := []byte{0x04, 0x0e, 0x0a, 0x01, 0x09, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01, 0xaa, 0x00}
	p, _ := bluetooth.ParsePacket(raw)
	e, _ := p.Event()
	cc, _ := e.CommandComplete()
	fmt.Println(cc.Opcode, "status", cc.Return[0], "return", len(cc.Return)-1, "bytes")
	// Output:
	// Read BD_ADDR status 0 return 6 bytes
}

// Listing the controllers and asking each for its version.
func ExampleDevices() {
	ds, err := bluetooth.Devices()
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range ds {
		fmt.Println(d.Name, d.BDAddr, d.Bus, d.Flags)
		if !d.Flags.Up() {
			continue
		}
		h, err := bluetooth.OpenHCI(int(d.ID), nil)
		if err != nil {
			log.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		v, err := h.ReadLocalVersion(ctx)
		cancel()
		h.Close()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("  HCI version %d, manufacturer %d\n", v.HCIVersion, v.Manufacturer)
	}
}

// An L2CAP echo server on a kernel-chosen PSM, with a larger incoming MTU.
func ExampleListenL2CAP() {
	l, err := bluetooth.ListenL2CAP(core.L2CAPAddr{BDAddr: core.BDAddrAny}, &bluetooth.Config{IMTU: 1000})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	fmt.Println("listening on", l.Addr())
	for {
		c, err := l.AcceptContext(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			buf := make([]byte, 1000)
			for {
				n, err := c.Read(buf) // one L2CAP message
				if err != nil {
					return
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}()
	}
}

// Following controllers as they come and go, as btmon does.
func ExampleOpenMonitor() {
	m, err := bluetooth.OpenMonitor()
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	for {
		p, err := m.Next(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		if ni, err := p.NewIndex(); err == nil {
			fmt.Println("new controller", ni.Name, ni.Bus)
		}
	}
}

// Dialing an RFCOMM channel from a chosen adapter.
func ExampleDialRFCOMM() {
	peer, _ := core.ParseBDAddr("00:AA:01:01:00:01")
	local, _ := core.ParseBDAddr("00:AA:01:00:00:00")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := bluetooth.DialRFCOMM(ctx, core.RFCOMMAddr{BDAddr: peer, Channel: 1}, &bluetooth.Config{Local: local})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintln(c, "AT")
}
