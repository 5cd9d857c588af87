package packet_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/fieldgate/fieldgate/packet"
)

// Capture from eth0 through a TPACKET_V3 ring with a tcpdump filter,
// iterating each block without copying.
func ExampleListen() {
	ifi, err := net.InterfaceByName("eth0")
	if err != nil {
		log.Fatal(err)
	}
	filter, err := packet.AssembleFilter("tcp port 443 or udp port 53", nil)
	if err != nil {
		log.Fatal(err)
	}
	c, err := packet.Listen(ifi, &packet.Config{
		Filter: filter,
		Ring:   &packet.RingConfig{BlockSize: 256 << 10, BlockCount: 32, RetireTimeout: 10 * time.Millisecond},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for {
		b, err := c.ReadBlock(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		for p, ok := b.Next(); ok; p, ok = b.Next() {
			fmt.Println(p.Timestamp, p.Type, len(p.Data))
		}
		b.Release()
	}
}

// Two sockets sharing an interface's traffic by flow hash.
func ExampleFanoutConfig() {
	ifi, _ := net.InterfaceByName("eth0")
	fan := &packet.FanoutConfig{Group: 7, Mode: packet.FanoutHash, Defrag: true}
	for range 2 {
		c, err := packet.Listen(ifi, &packet.Config{Ring: &packet.RingConfig{}, Fanout: fan})
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			buf := make([]byte, 65536)
			for {
				p, err := c.ReadPacket(context.Background(), buf)
				if err != nil {
					return
				}
				_ = p
			}
		}()
	}
}

func ExampleCompileFilter() {
	prog, err := packet.CompileFilter("ip and tcp[tcpflags] & tcp-syn != 0", nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, ins := range prog {
		fmt.Println(ins)
	}
	// The program is not optimised (libpcap would drop the second
	// ethertype test); its verdicts are libpcap's.

	// Output:
	// ldh [12]
	// jneq #2048,11
	// ldh [12]
	// jneq #2048,9
	// ldb [23]
	// jneq #6,7
	// ldh [20]
	// jset #8191,5
	// ldx 4*([14]&0xf)
	// ldb [x + 27]
	// and #2
	// jeq #0,1
	// ret #262144
	// ret #0
}

// An Ethernet and a SocketCAN interface in one pcapng file.
func ExampleWriter() {
	var file bytes.Buffer
	w, err := packet.NewWriter(&file, nil)
	if err != nil {
		log.Fatal(err)
	}
	eth, _ := w.AddInterface(packet.Interface{Name: "eth0", LinkType: packet.LinkTypeEthernet})
	can, _ := w.AddInterface(packet.Interface{Name: "vcan0", LinkType: packet.LinkTypeCANSocketCAN})
	ts := time.Unix(1763780000, 123456789)
	frame := make([]byte, 60)
	w.WritePacket(eth, packet.CaptureInfo{Timestamp: ts, Direction: packet.DirectionInbound}, frame)
	canFrame := []byte{0x23, 0x01, 0, 0, 2, 0, 0, 0, 0xca, 0xfe, 0, 0, 0, 0, 0, 0} // can_id 0x123, host order
	rec, _ := packet.AppendSocketCAN(nil, canFrame)
	w.WritePacket(can, packet.CaptureInfo{Timestamp: ts.Add(time.Millisecond)}, rec)
	w.WriteStats(can, packet.InterfaceStats{Received: 1, Dropped: 0})
	w.Close()

	r, err := packet.NewReader(&file)
	if err != nil {
		log.Fatal(err)
	}
	for {
		rec, err := r.ReadPacket()
		if err != nil {
			break
		}
		ifc, _ := r.Interface(rec.Interface)
		fmt.Printf("%s linktype %d %d bytes at %d.%09d: % x\n", ifc.Name, ifc.LinkType, len(rec.Data),
			rec.Timestamp.Unix(), rec.Timestamp.Nanosecond(), rec.Data[:4])
	}
	// Output:
	// eth0 linktype 1 60 bytes at 1763780000.123456789: 00 00 00 00
	// vcan0 linktype 227 16 bytes at 1763780000.124456789: 00 00 01 23
}
