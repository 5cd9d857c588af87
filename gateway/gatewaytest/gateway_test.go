package gatewaytest_test

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/udp"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// TestStart runs a udp → udp gateway and checks what it forwards and what
// the helpers report.
func TestStart(t *testing.T) {
	out, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	in, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	inAddr := in.LocalAddr().String()
	in.Close() // the gateway listens there

	g := gatewaytest.Start(t, "gt", fmt.Sprintf(`
endpoints:
  in: {kind: udp, listen: %q}
  out: {kind: udp, listen: "127.0.0.1:0", peer: %q, flush: 0}
routes:
  - {from: in, to: out}
`, inAddr, out.LocalAddr().String()))

	var dg []byte
	dg = cannelloni.AppendHeader(dg, 0, 3)
	for i := range 3 {
		f := cannelloni.Frame{ID: 0x100 + uint32(i), Len: 2}
		f.Data[0], f.Data[1] = 0xAB, byte(i)
		dg = cannelloni.AppendFrame(dg, &f)
	}
	c, err := net.Dial("udp", inAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	var got []cannelloni.Frame
	buf := make([]byte, 2048)
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < 3 && time.Now().Before(deadline) {
		// The gateway may not have bound yet: send again until a datagram comes back.
		if len(got) == 0 {
			if _, err := c.Write(dg); err != nil {
				t.Fatal(err)
			}
		}
		out.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, _, err := out.ReadFrom(buf)
		if err != nil {
			continue
		}
		var d cannelloni.Datagram
		if err := d.Reset(buf[:n]); err != nil {
			t.Fatal(err)
		}
		var f cannelloni.Frame
		for d.Next(&f) {
			got = append(got, f)
		}
	}
	if len(got) < 3 {
		t.Fatalf("got %d frames, want 3", len(got))
	}
	for i, f := range got[:3] {
		if f.ID != 0x100+uint32(i%3) || f.Len != 2 || !bytes.Equal(f.Data[:2], []byte{0xAB, byte(i % 3)}) {
			t.Errorf("frame %d = %#x len %d % x", i, f.ID, f.Len, f.Data[:f.Len])
		}
	}
	gatewaytest.WaitFor(t, 20*time.Second, "frames_out ≥ 3", func() bool { return g.Endpoint("out").FramesOut >= 3 })
	if in := g.Endpoint("in").FramesIn; in < 3 || in%3 != 0 {
		t.Errorf("in: frames_in = %d, want a multiple of 3", in)
	}
	if e := g.Endpoint("nosuch"); e.Name != "" {
		t.Errorf("Endpoint(nosuch) = %+v, want zero", e)
	}
	if d := g.Drops(); len(d) != 0 {
		t.Errorf("drops: %v", d)
	}
	g.NoDrops(t)
	g.Stop()
	g.Stop() // a second Stop does nothing
	if g.Logs.String() == "" {
		t.Error("the gateway logged nothing at debug level")
	}
}

// TestLogBuffer checks that concurrent writes all land.
func TestLogBuffer(t *testing.T) {
	var l gatewaytest.LogBuffer
	done := make(chan struct{})
	for range 4 {
		go func() {
			for range 100 {
				l.Write([]byte("x"))
			}
			done <- struct{}{}
		}()
	}
	for range 4 {
		<-done
	}
	if n := len(l.String()); n != 400 {
		t.Fatalf("len = %d, want 400", n)
	}
}
