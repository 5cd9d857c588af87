//go:build linux && !hil

package packet

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadsFilesOfDumpcapAndTcpdump captures our frames with dumpcap
// (pcapng) and tcpdump -w (pcap, and --pcapng... via dumpcap only) in the
// test namespace and reads the files back with Reader: same bytes, same
// order, sane timestamps, interface name from dumpcap's IDB.
func TestReadsFilesOfDumpcapAndTcpdump(t *testing.T) {
	const count = 8
	for _, tc := range []struct {
		tool   string
		args   func(path string) []string
		ready  string
		format string
	}{
		{"dumpcap", func(p string) []string { return []string{"-q", "-i", "B", "-c", "8", "-w", p} }, "Capturing on", "pcapng"},
		{"tcpdump", func(p string) []string { return []string{"-i", "B", "-c", "8", "-w", p, "-U"} }, "listening on", "pcap"},
		{"tcpdump-nano", func(p string) []string {
			return []string{"-i", "B", "-c", "8", "-w", p, "-U", "--time-stamp-precision=nano"}
		}, "listening on", "pcap"},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			bin := lookTool(t, strings.TrimSuffix(tc.tool, "-nano"))
			n := newVethNet(t)
			path := filepath.Join(t.TempDir(), "cap")
			cmd := exec.Command("ip", append([]string{"netns", "exec", n.name, bin}, tc.args(path)...)...)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			sc := bufio.NewScanner(stderr)
			var log []string
			for sc.Scan() {
				log = append(log, sc.Text())
				if strings.Contains(sc.Text(), tc.ready) {
					break
				}
			}
			go func() {
				for sc.Scan() {
				}
			}()
			tx := n.listen(t, "A", nil)
			// The tools report readiness before their socket is bound, so
			// keep sending numbered frames until the tool has its count.
			start := time.Now()
			var sent [][]byte
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			timeout := time.After(20 * time.Second)
		loop:
			for i := 0; ; i++ {
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("%s: %v\n%s", tc.tool, err, strings.Join(log, "\n"))
					}
					break loop
				case <-timeout:
					t.Fatalf("%s did not finish: %s", tc.tool, strings.Join(log, "\n"))
				case <-tick.C:
					f := testFrame(i, 60+10*(i%100))
					sent = append(sent, f)
					if _, err := tx.Write(f); err != nil {
						t.Fatal(err)
					}
				}
			}
			recs := readAll(t, path)
			if len(recs) != count {
				t.Fatalf("read %d packets, want %d", len(recs), count)
			}
			first := -1
			for k := range sent {
				if bytes.Equal(sent[k], recs[0].Data) {
					first = k
				}
			}
			if first < 0 || first+count > len(sent) {
				t.Fatalf("first packet is none of the %d sent: %x", len(sent), recs[0].Data)
			}
			for i, r := range recs {
				if !bytes.Equal(r.Data, sent[first+i]) || r.Length != len(sent[first+i]) {
					t.Errorf("packet %d differs from sent frame %d: %x", i, first+i, r.Data)
				}
				if d := r.Timestamp.Sub(start); d < -time.Second || d > 10*time.Second {
					t.Errorf("packet %d: timestamp %v, capture started %v", i, r.Timestamp, start)
				}
			}
		})
	}
}

// TestReadsCommittedFiles reads the files in testdata made by dumpcap and
// tcpdump (commands in testdata/README.md).
func TestReadsCommittedFiles(t *testing.T) {
	for file, want := range map[string]int{"testdata/dumpcap.pcapng": 6, "testdata/tcpdump.pcap": 6} {
		recs := readAll(t, file)
		if strings.HasSuffix(file, ".pcapng") {
			f, _ := os.Open(file)
			r, err := NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			for {
				if _, err := r.ReadPacket(); err != nil {
					break
				}
			}
			f.Close()
			ifs := r.Interfaces()
			st, ok := r.Stats(0)
			if len(ifs) != 1 || ifs[0].Name != "B" || ifs[0].LinkType != LinkTypeEthernet || !ok || st.Received != 6 || st.Dropped != 0 {
				t.Errorf("%s: interfaces %+v, statistics %+v %v", file, ifs, st, ok)
			}
		}
		if len(recs) != want {
			t.Errorf("%s: %d packets, want %d", file, len(recs), want)
		}
		for i, r := range recs {
			if len(r.Data) < 14 || r.Timestamp.Year() < 2020 {
				t.Errorf("%s: packet %d: %d bytes at %v", file, i, len(r.Data), r.Timestamp)
			}
		}
	}
}
