package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/packet"
)

var fuzzLinkTypes = []packet.LinkType{packet.LinkTypeEthernet, packet.LinkTypeCANSocketCAN, packet.LinkTypeRaw, packet.LinkTypeLinuxSLL2, packet.LinkTypeIPv6}

// FuzzFormat feeds arbitrary frames to the packet printer under every
// printing option: it must never panic or read past the frame, and every
// packet ends in exactly one final newline. Seeds: the corpus frames
// (testdata/fuzz/FuzzFormat holds more).
func FuzzFormat(f *testing.F) {
	for _, fr := range corpusFrames() {
		f.Add(fr, uint16(0))
	}
	for _, k := range knownDifferences() {
		f.Add(k.frame, uint16(len(k.frame)%5))
	}
	f.Fuzz(func(t *testing.T, data []byte, sel uint16) {
		lt := fuzzLinkTypes[int(sel)%len(fuzzLinkTypes)]
		pr := &printer{e: sel&0x10 != 0, q: sel&0x20 != 0, v: int(sel>>6) & 3, x: int(sel>>8) & 1, X: int(sel>>9) & 3, A: int(sel>>11) & 1, S: sel&0x1000 != 0, t: 1}
		// A copy with no spare capacity: reading past the frame panics.
		frame := bytes.Clone(data)[:len(data):len(data)]
		for _, any := range []bool{false, true} {
			p := &pkt{ts: time.Unix(0, 0), lt: lt, data: frame, length: len(frame) + int(sel>>13), ifname: "eth0", ifindex: 2, typ: packet.PacketType(sel % 9), addr: frame[:min(6, len(frame))], any: any}
			out := pr.format(p)
			if len(out) == 0 || out[len(out)-1] != '\n' {
				t.Fatalf("line does not end in a newline: %q", out)
			}
		}
	})
}

// FuzzOptions: any command line parses to options or a one-line usage
// error, never a panic.
func FuzzOptions(f *testing.F) {
	for _, s := range []string{"-nnvc3\x00-i\x00lo\x00udp\x00port\x0053", "--count=4\x00--\x00-x", "-rotate-size=1M", "-C\x001k\x00-W\x002", "-ttttt#\x00-s0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := &captureConfig{}
		_, err := c.options(io.Discard).parse(strings.Split(s, "\x00"))
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error %q", err)
		}
	})
}
