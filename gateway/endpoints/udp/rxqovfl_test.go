package udp

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// TestUDPKernelDropsCounted fills a UDP endpoint's receive buffer while its
// reader is stalled: the datagrams the kernel drops are counted.
func TestUDPKernelDropsCounted(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SO_RXQ_OVFL is Linux-only")
	}
	la, _ := net.ResolveUDPAddr("udp", "127.0.0.1:0")
	c, err := net.ListenUDP("udp", la)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadBuffer(4096)
	enableRxqOvfl(c)
	s, _ := net.DialUDP("udp", nil, c.LocalAddr().(*net.UDPAddr))
	defer s.Close()
	for range 200 {
		s.Write(make([]byte, 512))
	}
	time.Sleep(50 * time.Millisecond)
	buf, oob := make([]byte, 2048), make([]byte, 64)
	// The kernel stamps each queued datagram with the drop count at the
	// time it was queued: drain the queue, then one more datagram carries
	// the total.
	for {
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, _, _, _, err := c.ReadMsgUDPAddrPort(buf, oob); err != nil {
			break
		}
	}
	s.Write([]byte("after"))
	c.SetReadDeadline(time.Now().Add(time.Second))
	_, oobn, _, _, err := c.ReadMsgUDPAddrPort(buf, oob)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := rxqOvfl(oob[:oobn])
	if !ok || d == 0 {
		t.Fatalf("drop counter %d %v", d, ok)
	}
	t.Logf("kernel dropped %d datagrams", d)
}
