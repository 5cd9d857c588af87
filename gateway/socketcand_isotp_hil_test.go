//go:build hil

package gateway

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/internal/peer"
)

// hexPDU returns n bytes as contiguous upper-case hex (socketcand's sendpdu
// and pdu format) and as isotpsend/isotprecv write them ("0A 0B ...").
func hexPDU(n, seed int) (compact, spaced string) {
	var c, s strings.Builder
	for i := range n {
		b := byte(i*seed + 3)
		fmt.Fprintf(&c, "%02X", b)
		if i > 0 {
			s.WriteByte(' ')
		}
		fmt.Fprintf(&s, "%02X", b)
	}
	return c.String(), s.String()
}

// TestHILSocketcandISOTP: a socketcand client on Debian's python3 socket
// module enters isotpmode; a PDU of 300 bytes it sends with sendpdu reaches
// can-utils isotprecv on vcan0 byte for byte, and a 4095-byte PDU sent by
// isotpsend arrives at the client as "< pdu SEC.USEC HEX >" byte for byte.
// A channel whose tx id no route allows is refused and counted.
func TestHILSocketcandISOTP(t *testing.T) {
	g := startGW(t, 9230, `
endpoints:
  bus: {kind: can, interface: vcan0}
  sc: {kind: socketcand, listen: "127.0.0.1:29540", bus: vcan0, interface: vcan0}
routes:
  - {name: to-clients, from: [bus], to: [sc], filters: ["7E8:7F8"]}
  - {name: from-clients, from: [sc], to: [bus], allow: ["7E0:7FF"]}
`)
	up, upSpaced := hexPDU(300, 7)
	down, downSpaced := hexPDU(4095, 13)
	// isotprecv is the ECU side: it receives on 7E0, sends flow control on 7E8.
	recv := peer.Start(t, "isotprecv", "-s", "7E8", "-d", "7E0", "vcan0")
	time.Sleep(300 * time.Millisecond)
	cl := peer.Start(t, peer.Python, "testdata/sc_isotp_client.py", "127.0.0.1", "29540", "vcan0", "7E0", "7E8", up)
	if l := cl.ExpectPrefix(t, "refused", 180*time.Second); l != "refused < error isotpconf: tx_id 7E1 may not be written to vcan0 (no route allows it) >" {
		t.Fatalf("refused channel: %q", l)
	}
	cl.ExpectPrefix(t, "ready", 30*time.Second)
	cl.ExpectPrefix(t, "sent", 30*time.Second)
	if got := recv.Line(t, 30*time.Second); got != upSpaced {
		t.Fatalf("isotprecv got %d chars, want %d: %.60q...", len(got), len(upSpaced), got)
	}
	// isotpsend is the ECU answering: it sends on 7E8, reads flow control on 7E0.
	dump := peer.Start(t, "candump", "-r", "2000000", "-L", "vcan0,7E8:7FF,7FF:7FF") // -r: no loss in a burst
	candumpReady(t, dump)
	send := exec.Command("isotpsend", "-s", "7E8", "-d", "7E0", "vcan0")
	send.Stdin = strings.NewReader(downSpaced + "\n")
	if out, err := send.CombinedOutput(); err != nil {
		t.Fatalf("isotpsend: %v %s", err, out)
	}
	l := cl.ExpectPrefix(t, "pdu", 60*time.Second)
	f := strings.Fields(l)
	if len(f) != 3 || f[2] != down {
		t.Fatalf("client got %.80q... (%d chars), want %d hex digits", l, len(l), len(down))
	}
	// The PDU's timestamp is the kernel's receive time of its last
	// frame (SIOCGSTAMPNS, as socketcand's SIOCGSTAMP): the same value
	// candump prints for the last of the 1 + 585 frames on 7E8.
	var last string
	for i := 0; i < 586; {
		l, ok := dump.Next(t, 10*time.Second)
		if !ok {
			t.Fatalf("candump saw %d of 586 frames on 7E8", i)
		}
		if strings.Contains(l, " 7FF#") {
			continue // a readiness probe
		}
		last = l
		i++
	}
	if lf := strings.Fields(last); len(lf) != 3 || lf[0] != "("+f[1]+")" || !strings.HasPrefix(lf[2], "7E8#2") {
		t.Fatalf("pdu timestamp %s, candump's last frame %q", f[1], last)
	}
	st := g.settle(t)
	sc := st.endpoint("sc")
	t.Logf("client → isotprecv: 300 bytes exact; isotpsend → client: 4095 bytes exact; sc %+v", sc)
	// The 587 frames on 7E8 (isotprecv's flow control, isotpsend's 586)
	// also went through the route to-clients; the client reads 7E8 with
	// its own ISO-TP socket, so no client took them: no_peer.
	if sc.Dropped["not_allowed"] != 1 || sc.Dropped["no_peer"] != 587 || DroppedTotal(sc.Dropped) != 588 || sc.FramesOut != 0 {
		t.Fatalf("sc %+v, want exactly not_allowed 1, no_peer 587, 0 out", sc)
	}
}

// TestHILSocketcandISOTPHostile: a client that sends PDUs without a channel,
// malformed PDUs and an oversized one gets an error for each, counted;
// the endless message disconnects it; a second client still works.
func TestHILSocketcandISOTPHostile(t *testing.T) {
	g := startGW(t, 9231, `
endpoints:
  bus: {kind: can, interface: vcan0}
  sc: {kind: socketcand, listen: "127.0.0.1:29541", bus: vcan0, interface: vcan0}
routes:
  - {name: to-clients, from: [bus], to: [sc], filters: ["7E8:7F8"]}
  - {name: from-clients, from: [sc], to: [bus], allow: ["7E0:7FF"]}
`)
	c, r := scDial(t, "127.0.0.1:29541", "vcan0", "isotpmode")
	defer c.Close()
	steps := [][2]string{
		{"< sendpdu 00 >", "< error sendpdu: no ISO-TP channel, send isotpconf first >"},
		{"< isotpconf 7E0 7E8 0 0 0 >< echo >", "< echo >"},
		{"< sendpdu 0 >", "< error socketcand: syntax error: sendpdu: odd number of hex digits (1) >"},
		{"< sendpdu XY >", `< error socketcand: syntax error: sendpdu: "XY" at digit 0 is not hex >`},
		{"< sendpdu " + strings.Repeat("00", 4096) + " >", "< error socketcand: syntax error: sendpdu: 4096-byte PDU, at most 4095 >"},
		{"< isotpconf 7E0 7E8 400 0 0 >", `< error socketcand: syntax error: flags "400": unsupported bits 0x400 (known: 0x001..0x200) >`},
	}
	for _, s := range steps {
		fmt.Fprint(c, s[0])
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if got, err := readMsg(r); err != nil || got != s[1] {
			t.Fatalf("%.40s: got %q (%v), want %q", s[0], got, err, s[1])
		}
	}
	c.Write([]byte("< sendpdu " + strings.Repeat("A", 9000)))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.ReadString('>'); err == nil {
		t.Fatal("client not disconnected after an endless message")
	}
	for g.status(t).endpoint("sc").Peers != 0 {
		time.Sleep(50 * time.Millisecond)
	}
	sc := g.status(t).endpoint("sc")
	if sc.Dropped["malformed"] != 6 || DroppedTotal(sc.Dropped) != 6 {
		t.Fatalf("sc drops %v, want malformed 6 (1 no channel, 4 bad commands, 1 endless message)", sc.Dropped)
	}
	// A well-behaved client is served afterwards.
	c2, r2 := scDial(t, "127.0.0.1:29541", "vcan0", "isotpmode")
	defer c2.Close()
	fmt.Fprint(c2, "< isotpconf 7E0 7E8 0 0 0 >< echo >")
	c2.SetReadDeadline(time.Now().Add(10 * time.Second))
	if m, _ := readMsg(r2); m != "< echo >" {
		t.Fatalf("second client: %q", m)
	}
}

// TestHILSocketcandMuxFilter: frames sent with can-utils cansend reach a
// BCM-mode client through a muxfilter (kernel RX_SETUP with the mux mask
// and content masks): exactly the first frame per mux value and the frames
// whose masked content changed, in order.
func TestHILSocketcandMuxFilter(t *testing.T) {
	startGW(t, 9232, `
endpoints:
  bus: {kind: can, interface: vcan0}
  sc: {kind: socketcand, listen: "127.0.0.1:29542", bus: vcan0, interface: vcan0}
routes:
  - {name: to-clients, from: [bus], to: [sc], filters: ["100:700"]}
`)
	c, r := scDial(t, "127.0.0.1:29542", "vcan0", "")
	defer c.Close()
	dump := peer.Start(t, "candump", "-L", "vcan0,123:7FF,7FF:7FF")
	candumpReady(t, dump)
	// Mux byte 0; mux 33 watches byte 1, mux 44 watches byte 2.
	fmt.Fprint(c, "< muxfilter 0 0 123 3 FF 00 00 00 00 00 00 00 33 FF 00 00 00 00 00 00 44 00 FF 00 00 00 00 00 >< echo >")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if m, _ := readMsg(r); m != "< echo >" {
		t.Fatalf("muxfilter reply %q", m)
	}
	// A filter on an ID no route carries to the client is refused.
	fmt.Fprint(c, "< muxfilter 0 0 223 2 FF 00 00 00 00 00 00 00 33 FF 00 00 00 00 00 00 >")
	if m, _ := readMsg(r); m != "< error muxfilter: can id 223 of vcan0 is not routed to this endpoint >" {
		t.Fatalf("unrouted muxfilter reply %q", m)
	}
	frames := []string{
		"123#3301",     // first for mux 33: reported
		"123#3301AA",   // byte 1 unchanged: not
		"123#3302",     // byte 1 changed: reported
		"123#5501",     // mux 55 not filtered: not
		"123#4400FF",   // first for mux 44: reported
		"123#4400FF",   // unchanged: not
		"123#4401FF",   // byte 1 is not watched for mux 44: not
		"123#4401EE",   // byte 2 changed: reported
		"124#3303",     // other ID: not
		"123#3302BBCC", // mux 33, byte 1 unchanged: not
	}
	for _, f := range frames {
		if out, err := exec.Command("cansend", "vcan0", f).CombinedOutput(); err != nil {
			t.Fatalf("cansend %s: %v %s", f, err, out)
		}
	}
	want := []string{"3301", "3302", "4400FF", "4401EE"}
	// candump's kernel timestamps of the 9 frames with ID 123, by data.
	stamps := map[string]string{}
	for i := 0; i < 9; {
		l, ok := dump.Next(t, 10*time.Second)
		if !ok {
			t.Fatalf("candump saw %d of 9 frames", i)
		}
		if strings.Contains(l, " 7FF#") {
			continue // a readiness probe
		}
		i++
		lf := strings.Fields(l)
		if len(lf) != 3 {
			t.Fatalf("candump line %q", l)
		}
		if d := strings.TrimPrefix(lf[2], "123#"); stamps[d] == "" {
			stamps[d] = strings.Trim(lf[0], "()") // the first of equal frames is the one reported
		}
	}
	var got []string
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(got) < len(want) {
		m, err := readMsg(r)
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		f := strings.Fields(m)
		if len(f) < 4 || f[1] != "frame" || f[2] != "123" {
			t.Fatalf("unexpected message %q", m)
		}
		data := strings.Join(f[4:len(f)-1], "")
		// The frame's timestamp is the kernel's receive time (BCM
		// RX_CHANGED carries it; SIOCGSTAMPNS), equal to candump's.
		if stamps[data] != f[3] {
			t.Fatalf("frame %s: timestamp %s, candump %q", data, f[3], stamps[data])
		}
		got = append(got, data)
	}
	// Nothing else arrives: an echo round trip comes next.
	time.Sleep(300 * time.Millisecond)
	fmt.Fprint(c, "< echo >")
	if m, _ := readMsg(r); m != "< echo >" {
		t.Fatalf("extra message %q after %v", m, got)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("muxfilter delivered %v, want %v", got, want)
	}
	// unsubscribe removes the kernel task.
	fmt.Fprint(c, "< unsubscribe 123 >< echo >")
	if m, _ := readMsg(r); m != "< echo >" {
		t.Fatalf("unsubscribe: %q", m)
	}
	exec.Command("cansend", "vcan0", "123#3399").Run()
	time.Sleep(300 * time.Millisecond)
	fmt.Fprint(c, "< echo >")
	if m, _ := readMsg(r); m != "< echo >" {
		t.Fatalf("frame after unsubscribe: %q", m)
	}
	t.Logf("muxfilter delivered exactly %v from %d cansend frames", got, len(frames))
}

// TestHILSocketcandISOTPExtendedPadded configures the protocol document's
// example channel "isotpconf 1F998877 1F998876 C 4 0 0 AA 55" (29-bit IDs,
// tx padding AA, rx padding 55, block size 4) and checks on the bus, with
// candump, that the kernel socket got exactly these options: our frames are
// padded with AA, our flow control frames say BS 4 ("30 04 00" + AA
// padding); isotprecv and isotpsend check our padding themselves (-P a).
func TestHILSocketcandISOTPExtendedPadded(t *testing.T) {
	startGW(t, 9233, `
endpoints:
  bus: {kind: can, interface: vcan0}
  sc: {kind: socketcand, listen: "127.0.0.1:29543", bus: vcan0, interface: vcan0}
routes:
  - {name: to-clients, from: [bus], to: [sc], filters: ["1F998876:1FFFFFFF"]}
  - {name: from-clients, from: [sc], to: [bus], allow: ["1F998877:1FFFFFFF"]}
`)
	dump := peer.Start(t, "candump", "-L", "vcan0")
	candumpReady(t, dump)
	c, r := scDial(t, "127.0.0.1:29543", "vcan0", "isotpmode")
	defer c.Close()
	fmt.Fprint(c, "< isotpconf 1F998877 1F998876 C 4 0 0 AA 55 >< echo >")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if m, _ := readMsg(r); m != "< echo >" {
		t.Fatalf("isotpconf: %q", m)
	}
	recv := peer.Start(t, "isotprecv", "-s", "1F998876", "-d", "1F998877", "-p", "55:AA", "-P", "a", "vcan0")
	time.Sleep(300 * time.Millisecond)
	up, upSpaced := hexPDU(18, 5) // first frame 6 bytes, CFs 7 + 5: the last is padded
	fmt.Fprintf(c, "< sendpdu %s >", up)
	if got := recv.Line(t, 30*time.Second); got != upSpaced {
		t.Fatalf("isotprecv got %q, want %q", got, upSpaced)
	}
	down, downSpaced := hexPDU(60, 11) // 6 + 8 CFs: two flow controls with BS 4
	send := exec.Command("isotpsend", "-s", "1F998876", "-d", "1F998877", "-p", "55:AA", "-P", "a", "vcan0")
	send.Stdin = strings.NewReader(downSpaced + "\n")
	if out, err := send.CombinedOutput(); err != nil {
		t.Fatalf("isotpsend: %v %s", err, out)
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	m, err := readMsg(r)
	if f := strings.Fields(m); err != nil || len(f) != 5 || f[1] != "pdu" || f[3] != down {
		t.Fatalf("client got %q (%v), want pdu %s", m, err, down)
	}
	// What crossed the bus from our channel (1F998877).
	var ours []string
	deadline := time.Now().Add(10 * time.Second)
	for len(ours) < 5 {
		l, ok := dump.Next(t, time.Until(deadline))
		if !ok {
			t.Fatalf("candump saw only %v from 1F998877", ours)
		}
		f := strings.Fields(l)
		if len(f) == 3 && strings.HasPrefix(f[2], "1F998877#") {
			ours = append(ours, strings.TrimPrefix(f[2], "1F998877#"))
		}
	}
	want := []string{
		"1012" + up[:12],          // first frame: length 18, 6 bytes
		"21" + up[12:26],          // CF 1: 7 bytes
		"22" + up[26:36] + "AAAA", // CF 2: 5 bytes, padded with AA
		"300400AAAAAAAAAA",        // flow control for isotpsend: BS 4, STmin 0
		"300400AAAAAAAAAA",        // after 4 CFs
	}
	if strings.Join(ours, " ") != strings.Join(want, " ") {
		t.Fatalf("frames from 1F998877:\n got %v\nwant %v", ours, want)
	}
	t.Logf("on the bus from the client's channel: %v", ours)
}

// candumpReady sends 7FF frames until candump (started with a 7FF:7FF
// filter) prints one: from then on it sees every frame.
func candumpReady(t *testing.T, dump *peer.Process) {
	t.Helper()
	for range 100 {
		exec.Command("cansend", "vcan0", "7FF#").Run()
		if l, ok := dump.Next(t, 200*time.Millisecond); ok && strings.Contains(l, " 7FF#") {
			return
		}
	}
	t.Fatal("candump did not start")
}
