//go:build hil

package packet

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCaptureVCANTsharkDecodes captures frames that cansend puts on vcan0
// through a packet socket with a ring, writes them as SocketCAN records
// into a pcapng file next to an Ethernet interface (lo), and checks that
// tshark decodes every CAN record with the right ID, extended flag and FD
// protocol.
func TestCaptureVCANTsharkDecodes(t *testing.T) {
	ifi, err := net.InterfaceByName("vcan0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Listen(ifi, &Config{IgnoreOutgoing: true, Ring: &RingConfig{BlockSize: 4096, BlockCount: 64, RetireTimeout: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sends := []struct {
		arg string
		id  uint32
		xtd bool
		fd  bool
	}{
		{"123#11223344", 0x123, false, false},
		{"1ABCDEF0#0102", 0x1abcdef0, true, false},
		{"7FF#R", 0x7ff, false, false},
		{"456##1" + strings.Repeat("AB", 12), 0x456, false, true},
		{"00000042#", 0x42, true, false},
	}
	for _, s := range sends {
		if out, err := exec.Command("cansend", "vcan0", s.arg).CombinedOutput(); err != nil {
			t.Fatalf("cansend %s: %v %s", s.arg, err, out)
		}
	}
	path := filepath.Join(t.TempDir(), "can.pcapng")
	w, err := CreateFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	eth, _ := w.AddInterface(Interface{Name: "lo", LinkType: LinkTypeEthernet})
	can, _ := w.AddInterface(Interface{Name: "vcan0", LinkType: LinkTypeCANSocketCAN})
	if err := w.WritePacket(eth, CaptureInfo{Timestamp: time.Now()}, ether(macB, macA, 0x88b5, make([]byte, 46))); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	buf := make([]byte, 128)
	var stamps []time.Time
	for i := range sends {
		p, err := c.ReadPacket(ctx, buf)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if p.HardwareType != arphrdCAN || LinkTypeFor(p.HardwareType, Raw) != LinkTypeCANSocketCAN {
			t.Fatalf("frame %d: hardware type %d", i, p.HardwareType)
		}
		if got := binary.NativeEndian.Uint32(p.Data) & 0x1fffffff; got != sends[i].id {
			t.Fatalf("frame %d: host-order can_id %#x, want %#x", i, got, sends[i].id)
		}
		rec, err := AppendRecord(nil, &p, LinkTypeCANSocketCAN)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WritePacket(can, CaptureInfo{Timestamp: p.Timestamp}, rec); err != nil {
			t.Fatal(err)
		}
		stamps = append(stamps, p.Timestamp)
	}
	st, _ := c.Stats()
	if st.Drops != 0 || st.Packets != uint64(len(sends)) {
		t.Errorf("stats %+v, want %d packets, no drops", st, len(sends))
	}
	w.WriteStats(can, InterfaceStats{Received: st.Packets, Dropped: st.Drops})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("tshark", "-r", path, "-Y", "can or canfd", "-T", "fields", "-E", "separator=|",
		"-e", "can.id", "-e", "can.flags.xtd", "-e", "frame.len", "-e", "frame.time_epoch").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(sends) {
		t.Fatalf("tshark decoded %d CAN records, want %d:\n%s", len(lines), len(sends), out)
	}
	for i, l := range lines {
		f := strings.Split(l, "|")
		id, _ := strconv.ParseUint(f[0], 0, 32)
		if uint32(id) != sends[i].id || (f[1] == "1" || f[1] == "True") != sends[i].xtd {
			t.Errorf("record %d: tshark id %s xtd %s, want %#x %v", i, f[0], f[1], sends[i].id, sends[i].xtd)
		}
		// 72-byte records are CAN FD (the host test checks tshark's canfd
		// dissector on the same encoding).
		if (f[2] == "72") != sends[i].fd {
			t.Errorf("record %d: %s bytes, FD %v", i, f[2], sends[i].fd)
		}
		if want := strconv.FormatInt(stamps[i].Unix(), 10) + "." + leftPad(stamps[i].Nanosecond()); f[3] != want {
			t.Errorf("record %d: time %s want %s", i, f[3], want)
		}
	}
	t.Logf("tshark:\n%s", out)
	// The same file through our reader.
	recs := readAll(t, path)
	if len(recs) != len(sends)+1 || !bytes.Equal(recs[0].Data, ether(macB, macA, 0x88b5, make([]byte, 46))) {
		t.Errorf("reader: %d records", len(recs))
	}
}

func leftPad(ns int) string {
	s := strconv.Itoa(ns)
	return strings.Repeat("0", 9-len(s)) + s
}

// TestCaptureCLIOnVCAN runs `fieldgate capture` (the binary the rig puts
// on PATH) on vcan0 and checks the SocketCAN ids tshark reads back.
func TestCaptureCLIOnVCAN(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cli.pcapng")
	cmd := exec.Command("fieldgate", "capture", "-i", "vcan0", "-c", "3", "-w", path, "-q")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Keep sending until the capture has its three frames: it may not be
	// bound yet when the first ones go out.
	ids := []string{"321", "1F000001", "7AB"}
	for i := 0; ; i++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("fieldgate capture: %v\n%s", err, stdout.String())
			}
			goto check
		case <-time.After(300 * time.Millisecond):
			if i > 100 {
				cmd.Process.Kill()
				t.Fatalf("capture did not finish: %s", stdout.String())
			}
			exec.Command("cansend", "vcan0", ids[i%3]+"#AA").Run()
		}
	}
check:
	out, err := exec.Command("tshark", "-r", path, "-T", "fields", "-e", "can.id").Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(out))
	if len(got) != 3 {
		t.Fatalf("tshark: %q (%s)", out, stdout.String())
	}
	for _, g := range got {
		id, _ := strconv.ParseUint(g, 0, 32)
		ok := false
		for _, s := range ids {
			v, _ := strconv.ParseUint(s, 16, 32)
			ok = ok || v == id
		}
		if !ok {
			t.Errorf("tshark can.id %s is none of %v", g, ids)
		}
	}
	t.Logf("%s", stdout.String())
}

// TestInjectCANFromPcapng replays SocketCAN records (network byte order in
// the file) onto vxcan0 with `fieldgate inject`; candump on the peer vxcan1
// must see the original IDs and data, so the byte order is converted back.
// (Not vcan0: vcan without echo discards frames a packet socket sends,
// they never reach local CAN sockets.)
func TestInjectCANFromPcapng(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inject.pcapng")
	w, err := CreateFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	can, _ := w.AddInterface(Interface{Name: "vcan0", LinkType: LinkTypeCANSocketCAN})
	eth, _ := w.AddInterface(Interface{Name: "eth0", LinkType: LinkTypeEthernet})
	for i, id := range []uint32{0x1a1, 0x80000000 | 0x1bcdef01} {
		rec, err := AppendCANRecord(nil, id, false, 0, []byte{0xde, 0xad, byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		w.WritePacket(can, CaptureInfo{Timestamp: time.Now()}, rec)
		w.WritePacket(eth, CaptureInfo{Timestamp: time.Now()}, testFrame(i, 60)) // skipped: not CAN
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	dump := exec.Command("candump", "-n", "4", "-T", "60000", "vxcan1")
	var dumpOut bytes.Buffer
	dump.Stdout = &dumpOut
	if err := dump.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- dump.Wait() }()
	// candump gives no readiness signal: replay until it has seen enough.
	var injectOut []byte
	for i := 0; ; i++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("candump: %v\n%s", err, dumpOut.String())
			}
			goto check
		default:
		}
		if i > 20 {
			dump.Process.Kill()
			t.Fatalf("candump saw: %q; inject said %s", dumpOut.String(), injectOut)
		}
		injectOut, err = exec.Command("fieldgate", "inject", "-i", "vxcan0", path).CombinedOutput()
		if err != nil {
			t.Fatalf("fieldgate inject: %v\n%s", err, injectOut)
		}
		time.Sleep(500 * time.Millisecond)
	}
check:
	out := dumpOut.String()
	if !strings.Contains(out, "1A1   [3]  DE AD 00") || !strings.Contains(out, "1BCDEF01   [3]  DE AD 01") {
		t.Errorf("candump output lacks the injected frames:\n%s", out)
	}
	if !strings.Contains(string(injectOut), "2 packets") || !strings.Contains(string(injectOut), "2 skipped") {
		t.Errorf("inject summary: %s", injectOut)
	}
	t.Logf("candump:\n%s\ninject: %s", out, injectOut)
}
