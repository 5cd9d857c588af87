//go:build !hil

package packet

import (
	"encoding/binary"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTsharkReadsOurFile: tshark must dissect every packet of a file with
// an Ethernet and a SocketCAN interface, with our timestamps, lengths,
// interface names and CAN ids.
func TestTsharkReadsOurFile(t *testing.T) {
	tshark := lookTool(t, "tshark")
	path := filepath.Join(t.TempDir(), "mixed.pcapng")
	w, err := CreateFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := writeMixed(t, w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-r", path, "-T", "fields", "-E", "separator=|",
		"-e", "frame.interface_id", "-e", "frame.interface_name", "-e", "frame.time_epoch", "-e", "frame.len",
		"-e", "frame.protocols", "-e", "can.id", "-e", "can.flags.xtd", "-e", "eth.type").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(want) {
		t.Fatalf("tshark printed %d packets, want %d:\n%s", len(lines), len(want), out)
	}
	for i, line := range lines {
		f := strings.Split(line, "|")
		if len(f) != 8 {
			t.Fatalf("line %d: %q", i, line)
		}
		p := want[i]
		if f[0] != strconv.Itoa(p.iface) {
			t.Errorf("packet %d: interface %s want %d", i, f[0], p.iface)
		}
		wantName := map[int]string{0: "eth-test", 1: "vcan0"}[p.iface]
		if f[1] != wantName {
			t.Errorf("packet %d: interface name %q want %q", i, f[1], wantName)
		}
		if wantTS := fmt.Sprintf("%d.%09d", p.ts.Unix(), p.ts.Nanosecond()); f[2] != wantTS {
			t.Errorf("packet %d: time %s want %s", i, f[2], wantTS)
		}
		if f[3] != strconv.Itoa(len(p.data)) {
			t.Errorf("packet %d: len %s want %d", i, f[3], len(p.data))
		}
		if p.iface == 0 {
			if !strings.HasPrefix(f[4], "eth:ethertype") || f[7] != "0x88b5" {
				t.Errorf("packet %d: not dissected as Ethernet 0x88b5: %q", i, line)
			}
			continue
		}
		id := binary.BigEndian.Uint32(p.data) & 0x1fffffff
		if !strings.Contains(f[4], "can") {
			t.Errorf("packet %d: not dissected as CAN: %q", i, line)
		}
		if got, _ := strconv.ParseUint(f[5], 0, 32); uint32(got) != id {
			t.Errorf("packet %d: can.id %s want %#x", i, f[5], id)
		}
		xtd := binary.BigEndian.Uint32(p.data)&0x80000000 != 0
		if (f[6] == "1" || f[6] == "True") != xtd {
			t.Errorf("packet %d: xtd flag %q want %v", i, f[6], xtd)
		}
	}
	// CAN FD frame: tshark must see the FD protocol.
	out, err = exec.Command(tshark, "-r", path, "-Y", "canfd", "-T", "fields", "-e", "can.id").Output()
	if err != nil || strings.TrimSpace(string(out)) != strconv.Itoa(0x1abcdef0) {
		t.Errorf("tshark canfd filter: %v %q, want the one FD frame 0x1abcdef0", err, out)
	}
}

func lookTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not installed (apt-get install tshark tcpdump wireshark-common): %v", name, err)
	}
	return p
}
