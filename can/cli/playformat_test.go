package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlayFormats: can play reads the logs python-can writes in each
// format (by -I's extension, or --format), and prints them as candump
// lines through a stdout assignment; a corrupt record names file:line.
func TestPlayFormats(t *testing.T) {
	dir := t.TempDir()
	for _, ext := range []string{".asc", ".blf", ".trc", ".csv", ".log"} {
		path := filepath.Join(dir, "py"+ext)
		script := `
import can, sys
with can.Logger(sys.argv[1]) as log:
    log.on_message_received(can.Message(timestamp=1700000000.25, arbitration_id=0x123, is_extended_id=False, data=b"\x11\x22", channel=0))
    log.on_message_received(can.Message(timestamp=1700000000.5, arbitration_id=0x1ABCDEF, is_extended_id=True, data=b"\x33", channel=0))
`
		if out, err := exec.Command("/usr/bin/python3", "-c", script, path).CombinedOutput(); err != nil {
			t.Fatalf("python-can: %v\n%s", err, out)
		}
		args := []string{"play", "-t", "-I", path, "stdout=can0"}
		if ext == ".csv" {
			// python-can's CSV has no channel: the interface is empty.
			args[len(args)-1] = "stdout="
		}
		out, _, err := runCLI(args...)
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], " 123#1122") || !strings.Contains(lines[1], " 01ABCDEF#33") {
			t.Fatalf("%s: got\n%s", ext, out)
		}
		if ext == ".log" || ext == ".csv" {
			// Absolute times: exact.
			if !strings.HasPrefix(lines[0], "(1700000000.250000) ") {
				t.Errorf("%s: %s", ext, lines[0])
			}
		}
	}
	// --format overrides the extension; a corrupt record is file:line.
	path := filepath.Join(dir, "x.txt")
	os.WriteFile(path, []byte("timestamp,arbitration_id,extended,remote,error,dlc,data\n1.5,0x10,0,0,0,1,AA==\n1.6,0x10,0,0,0,2,AA==\n"), 0o644)
	out, _, err := runCLI("play", "-t", "--format", "csv", "-I", path, "stdout=")
	if err == nil || !strings.Contains(err.Error(), "x.txt:3") || !strings.HasPrefix(out, "(0000000001.500000)  010#00\n") {
		t.Fatalf("corrupt CSV: %v, output %q", err, out)
	}
}
