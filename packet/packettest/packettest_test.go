package packettest_test

import (
	"bytes"
	"testing"

	"github.com/fieldgate/fieldgate/packet/packettest"
)

func TestEthFrame(t *testing.T) {
	b := packettest.EthFrame(0x88B5, 20, 0x0102)
	want := []byte{0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x0a, 0x88, 0xB5, 0x01, 0x02, 0x4e, 0x4f, 0x50, 0x51}
	if !bytes.Equal(b, want) {
		t.Fatalf("EthFrame = % x\nwant      % x", b, want)
	}
	if b := packettest.EthFrame(0x0800, 15, 7); len(b) != 15 || b[14] != byte(7*31+14) {
		t.Fatalf("15-byte frame = % x", b)
	}
}
