package nats_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/all"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

func init() { gatewaytest.RegisterKinds() }

// freePorts returns n distinct free TCP ports of 127.0.0.1 (the listeners
// are held until all are chosen).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// startGateway starts a gateway of yaml for the test; its log is shown if
// the test fails.
func startGateway(t *testing.T, yaml string) *gateway.Gateway {
	t.Helper()
	return gatewaytest.Start(t, "test", yaml).Gateway
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	gatewaytest.WaitFor(t, d, what, cond)
}

func waitConnected(t *testing.T, g *gateway.Gateway, name string) {
	t.Helper()
	waitFor(t, name+" connected", 20*time.Second, func() bool { return gatewaytest.EndpointStatus(g, name).Peers == 1 })
}

// waitSubscribed waits until endpoint name's subscriptions are in place
// at its server: connected, and a round trip measured on the connection
// since (the endpoint measures one right after connecting, and the
// server handles the SUBs written before the PING first).
func waitSubscribed(t *testing.T, g *gateway.Gateway, name string) {
	t.Helper()
	waitConnected(t, g, name)
	waitFor(t, name+" subscribed", 20*time.Second, func() bool {
		b := gatewaytest.EndpointStatus(g, name).Broker
		return b != nil && b.State == "connected" && b.RTT > 0
	})
}

// frames returns n frames of every type, with payloads that depend on i.
func testFrames(n int) []frame.Frame {
	out := make([]frame.Frame, n)
	for i := range out {
		f := &out[i]
		f.Time = time.Now().UnixNano()
		switch i % 8 {
		case 0, 1, 2:
			f.Type, f.ID, f.Len = frame.CAN, uint32(i%0x800), uint16(i%9)
		case 3:
			f.Type, f.ID, f.Len = frame.CAN, frame.CANEFFFlag|uint32(i*7919)&frame.CANEFFMask, 8
		case 4:
			f.Type, f.ID, f.Len = frame.CAN, frame.CANRTRFlag|0x7DF, 0
		case 5:
			f.Type, f.ID, f.Flags, f.Len = frame.CANFD, 0x100, frame.CANFDBRS, 64
		case 6:
			f.Type, f.ID, f.Len = frame.ISOTP, 0x7E8, uint16(1+i%4000)
		case 7:
			f.Type, f.ID, f.Addr, f.Flags, f.Len = frame.J1939, 0xFECA, 0x80, 0xFF, uint16(1+i%100)
		}
		for j := range int(f.Len) {
			f.Data[j] = byte(i + j*3)
		}
	}
	return out
}

func sameFrames(t *testing.T, got, want []frame.Frame) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d frames, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := &got[i], &want[i]
		if g.Type != w.Type || g.ID != w.ID || g.Flags != w.Flags || g.Addr != w.Addr || g.Len != w.Len || string(g.Payload()) != string(w.Payload()) {
			t.Fatalf("frame %d: got %v %s (type %v len %d), want %v %s (type %v len %d)", i, g.Type, g.String(), g.Type, g.Len, w.Type, w.String(), w.Type, w.Len)
		}
	}
}

var _ = fmt.Sprintf
