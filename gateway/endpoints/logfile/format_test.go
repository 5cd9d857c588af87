package logfile

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/can/canlog"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// mixed returns CAN and CAN FD frames with the given first index.
func mixed(n, first int) []frame.Frame {
	fs := canFrames(n, first)
	for i := range fs {
		if i%4 == 1 {
			fs[i].Type, fs[i].Flags, fs[i].Len = frame.CANFD, frame.CANFDBRS, 12
		}
		if i%4 == 2 {
			fs[i].ID = uint32(first+i) | frame.CANEFFFlag
		}
	}
	return fs
}

// TestFormats: each format chosen by extension (or format:) records what
// Send gets, across short and full batches, and its reader reads it
// back; a frame the format cannot hold is one unsupported drop.
func TestFormats(t *testing.T) {
	for _, c := range []struct {
		name, extra string
		fd          bool // the format holds FD frames
	}{
		{"out.asc", "", true},
		{"out.blf", "", true},
		{"out.trc", "", true},
		{"out.csv", "", false},
		{"out.txt", "format: trc1.1", false},
		{"out.log", "", true},
	} {
		path := filepath.Join(t.TempDir(), c.name)
		l := openLog(t, fmt.Sprintf("path: %q, %s", path, c.extra))
		ctx := context.Background()
		var sent []frame.Frame
		for _, batch := range [][]frame.Frame{mixed(3, 0), mixed(endpoint.BatchSize, 3), mixed(5, 100)} {
			for len(batch) > 0 {
				n, err := l.Send(ctx, batch)
				sent = append(sent, batch[:n]...)
				batch = batch[n:]
				if err != nil {
					if c.fd || endpoint.DropReason(err) != endpoint.ReasonUnsupported || batch[0].Type != frame.CANFD {
						t.Fatalf("%s: Send: %v", c.name, err)
					}
					batch = batch[1:]
				}
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		fm := canlog.FromPath(c.name)
		if c.extra != "" {
			fm = canlog.TRC11
		}
		f, _ := os.Open(path)
		r, _ := canlog.NewReader(fm, f, path)
		for i := 0; ; i++ {
			e, err := r.Next()
			if err == io.EOF {
				if i != len(sent) {
					t.Fatalf("%s: %d frames read, %d sent", c.name, i, len(sent))
				}
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var got frame.Frame
			frame.FromCAN(&got, &e.Frame, false)
			w := sent[i]
			if got.ID != w.ID || got.Type != w.Type || got.Flags != w.Flags || string(got.Payload()) != string(w.Payload()) {
				t.Fatalf("%s: frame %d: %v, want %v", c.name, i, &got, &w)
			}
		}
		f.Close()
	}
}

// TestHeaderFormatKeepsOldFile: an ASC, BLF or TRC file that exists when
// the endpoint opens is kept as path.1, not appended to.
func TestHeaderFormatKeepsOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.blf")
	for range 2 {
		l := openLog(t, fmt.Sprintf("path: %q", path))
		l.Send(context.Background(), canFrames(10, 0))
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{path, path + ".1"} {
		b, err := os.ReadFile(p)
		if err != nil || !strings.HasPrefix(string(b), "LOGG") {
			t.Fatalf("%s: %v %q", p, err, b[:min(len(b), 8)])
		}
	}
}

// TestFormatConfig: format names and exit_on_eof are checked.
func TestFormatConfig(t *testing.T) {
	for _, c := range []struct{ ep, err string }{
		{"{kind: log, path: /tmp/x.log, format: vsb}", "unknown log format"},
		{"{kind: log, path: /tmp/x.log, exit_on_eof: true}", "mode: read"},
	} {
		_, err := config.Parse("l.yaml", []byte("endpoints:\n  x: "+c.ep+"\n  y: {kind: log, path: /tmp/y.log}\nroutes: [{from: [x], to: [y]}]\n"))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %v, want %q", c.ep, err, c.err)
		}
	}
}

// TestPythonReadsEndpointBLF: python-can reads a BLF file the endpoint
// wrote in several containers (a flush per short batch) with every frame.
func TestPythonReadsEndpointBLF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.blf")
	l := openLog(t, fmt.Sprintf("path: %q", path))
	n := 0
	for i := range 20 {
		k := 1 + i*7%endpoint.BatchSize
		l.Send(context.Background(), canFrames(k, n))
		n += k
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", "-c", `
import can, sys
ids = [m.arbitration_id for m in can.LogReader(sys.argv[1])]
print(len(ids), ids == list(range(len(ids))))`, path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != fmt.Sprintf("%d True", n) {
		t.Fatalf("python-can: %v: %s, want %d frames in order", err, out, n)
	}
}
