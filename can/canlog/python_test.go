package canlog

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// These tests run python-can 4.1 (Debian's python3-can, /usr/bin/python3)
// as the peer: it reads what fieldgate writes, and fieldgate reads what it
// writes, in every format both support.

const python = "/usr/bin/python3"

// pyMsg is a python-can Message as testdata/pycan.py prints and reads it.
type pyMsg struct {
	T    string `json:"t"`
	ID   uint32 `json:"id"`
	Ext  bool   `json:"ext"`
	RTR  bool   `json:"rtr"`
	Err  bool   `json:"err"`
	FD   bool   `json:"fd"`
	BRS  bool   `json:"brs"`
	ESI  bool   `json:"esi"`
	DLC  int    `json:"dlc"`
	Data string `json:"data"`
	Ch   any    `json:"ch"`
	Rx   bool   `json:"rx"`
}

var extOf = map[Format]string{Candump: ".log", ASC: ".asc", BLF: ".blf", TRC: ".trc", TRC11: ".trc", CSV: ".csv"}

func pycan(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(python, append([]string{"testdata/pycan.py"}, args...)...)
	cmd.Env = append(os.Environ(), "TZ="+time.Local.String())
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python-can %v: %v\n%s", args, err, stderr.Bytes())
	}
	return out
}

// micros returns a python float time in whole microseconds.
func micros(t *testing.T, s string) int64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("python time %q: %v", s, err)
	}
	return int64(math.Round(f * 1e6))
}

// pyChannel returns the channel python-can reports for a format that
// fieldgate wrote with iface.
func pyChannel(f Format, iface string) any {
	switch f {
	case Candump:
		return iface
	case ASC, BLF:
		return float64(Channel(iface) - 1)
	case TRC:
		return float64(Channel(iface)) // python-can's TRC reader does not subtract 1
	case TRC11:
		return float64(1)
	}
	return nil
}

// TestPythonReads: python-can reads fieldgate's files with the same
// identifiers, flags, data, channels, directions and times.
func TestPythonReads(t *testing.T) {
	setLocal(t, "Europe/Berlin")
	for _, f := range allFormats {
		t.Run(f.String(), func(t *testing.T) {
			es := samples()
			if f == TRC11 {
				// python-can's TRC 1.1 reader cannot parse PEAK's "RTR"
				// remote records (it raises ValueError).
				es = slicesFilter(es, func(e can.LogEntry) bool { return !e.Frame.Remote })
			}
			b, want := roundTrip(t, f, es)
			path := filepath.Join(t.TempDir(), "fg"+extOf[f])
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			var got []pyMsg
			sc := bufio.NewScanner(bytes.NewReader(pycan(t, nil, "read", path)))
			for sc.Scan() {
				var m pyMsg
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					t.Fatal(err)
				}
				got = append(got, m)
			}
			// python-can's TRC reader skips everything but DT records.
			if f == TRC {
				want = slicesFilter(want, func(e can.LogEntry) bool { return !e.Frame.Remote && !e.Frame.IsFD() })
			}
			if len(got) != len(want) {
				t.Fatalf("python-can read %d messages, want %d\n%s", len(got), len(want), b)
			}
			var start int64 // TRC: python-can returns offsets from $STARTTIME
			if f == TRC || f == TRC11 {
				_, v, _ := strings.Cut(string(b), "$STARTTIME=")
				v, _, _ = strings.Cut(v, "\r")
				ns, ok := parseOLE([]byte(v))
				if !ok {
					t.Fatalf("$STARTTIME %q", v)
				}
				start = ns / 1000
			}
			for i, m := range got {
				e := want[i]
				fr := &e.Frame
				wt := e.Time.UnixMicro() - start
				gt := micros(t, m.T)
				if f == TRC11 {
					wt -= wt % 100
				}
				if gt != wt {
					t.Errorf("%d: time %d µs, want %d", i, gt, wt)
				}
				if f == Candump && fr.Error {
					// python-can reads a bus error (class 0x80) as an
					// error frame without details.
					if !m.Err {
						t.Errorf("%d: not an error frame: %+v", i, m)
					}
					continue
				}
				if f == ASC && fr.Error {
					if !m.Err || m.Ch != pyChannel(f, e.Iface) {
						t.Errorf("%d: %+v, want an error frame on %s", i, m, e.Iface)
					}
					continue
				}
				if m.ID != fr.ID || m.Ext != fr.Extended || m.RTR != fr.Remote || m.Err != fr.Error || m.FD != fr.IsFD() ||
					m.BRS != (fr.Flags&can.BRS != 0) || m.ESI != (fr.Flags&can.ESI != 0) || m.DLC != int(fr.Len) {
					t.Errorf("%d: python-can read %+v, want %v", i, m, fr)
				}
				if data := hex.EncodeToString(fr.Payload()); m.Data != data {
					t.Errorf("%d: data %s, want %s", i, m.Data, data)
				}
				if want := pyChannel(f, e.Iface); m.Ch != want {
					t.Errorf("%d: channel %v (%T), want %v", i, m.Ch, m.Ch, want)
				}
				if f != CSV && m.Rx != (e.Dir != 'T') {
					t.Errorf("%d: is_rx %v, want %v", i, m.Rx, e.Dir != 'T')
				}
			}
		})
	}
}

func slicesFilter(es []can.LogEntry, keep func(can.LogEntry) bool) []can.LogEntry {
	var out []can.LogEntry
	for _, e := range es {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// TestPythonWrites: fieldgate reads python-can's files with the same
// identifiers, flags, data, channels, directions and times.
func TestPythonWrites(t *testing.T) {
	setLocal(t, "America/New_York")
	for _, f := range []Format{Candump, ASC, BLF, TRC, CSV} {
		t.Run(f.String(), func(t *testing.T) {
			var in bytes.Buffer
			var sent []can.LogEntry
			for _, e := range samples() {
				fr := &e.Frame
				if (f == CSV && fr.IsFD()) || (f == ASC && fr.IsFD() && fr.Len == 0) {
					continue
				}
				ch, _ := strconv.Atoi(strings.TrimPrefix(e.Iface, "can"))
				m := pyMsg{T: strconv.FormatFloat(float64(e.Time.UnixMicro())/1e6, 'f', 6, 64), ID: fr.ID, Ext: fr.Extended, RTR: fr.Remote,
					Err: fr.Error, FD: fr.IsFD(), BRS: fr.Flags&can.BRS != 0, ESI: fr.Flags&can.ESI != 0,
					DLC: int(fr.Len), Data: hex.EncodeToString(fr.Payload()), Ch: ch, Rx: e.Dir != 'T'}
				b, _ := json.Marshal(m)
				in.Write(append(b, '\n'))
				sent = append(sent, e)
			}
			path := filepath.Join(t.TempDir(), "py"+extOf[f])
			pycan(t, in.Bytes(), "write", path)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, f, b)
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			want := sent
			if f == TRC {
				// python-can's TRC writer writes data frames only.
				want = slicesFilter(sent, func(e can.LogEntry) bool {
					return !e.Frame.Remote && !e.Frame.IsFD() && !e.Frame.Error
				})
			}
			if len(got) != len(want) {
				t.Fatalf("read %d entries, want %d\n%s", len(got), len(want), b)
			}
			for i := range got {
				g, w := got[i], want[i]
				// Times: python-can's candump and CSV are absolute; its
				// ASC, BLF and TRC writers start the file at a time cut to
				// the millisecond but offset records from the exact first
				// time, so compare offsets from the first record.
				gt, wt := g.Time.UnixMicro(), w.Time.UnixMicro()
				if f == BLF {
					// BLF holds nanoseconds, which python-can computes
					// from float seconds: 1 ns off either way.
					gt = g.Time.Round(time.Microsecond).UnixMicro()
				}
				if f == ASC || f == BLF || f == TRC {
					gt -= got[0].Time.Round(time.Microsecond).UnixMicro()
					wt -= want[0].Time.UnixMicro()
					if d := g.Time.Sub(w.Time); d < -time.Millisecond || d > time.Millisecond {
						if f != TRC { // python-can's $STARTTIME is not a date
							t.Errorf("%d: time %v, more than 1 ms from %v", i, g.Time, w.Time)
						}
					}
				}
				if gt != wt {
					t.Errorf("%d: time offset %d µs, want %d", i, gt, wt)
				}
				wf := w.Frame
				switch {
				case f == Candump && wf.Error:
					wf.ID = 0x80 // python-can writes every error frame as a bus error, with its data
				case f == Candump && wf.Remote:
					wf.Len = 0 // python-can writes "R" without the length
				case f == ASC && wf.Error:
					wf = can.FDFrame{Error: true}
				}
				if wf.Remote {
					clear(wf.Data[:])
				}
				if wf.IsFD() {
					wf.Flags |= can.FDF
				}
				if g.Frame != wf {
					t.Errorf("%d: frame %v, want %v", i, g.Frame, wf)
				}
				wi, wd := w.Iface, w.Dir
				switch {
				case f == CSV:
					wi, wd = "", 0
				case f == Candump:
					if wd == 0 && !wf.Error {
						wd = 'R' // python-can writes " R" on received frames
					}
				case f == ASC && wf.Error:
					wi = "can0" // python-can's ASC writer puts error frames on its default channel
				}
				if g.Iface != wi || g.Dir != wd {
					t.Errorf("%d: interface %q dir %q, want %q %q", i, g.Iface, g.Dir, wi, wd)
				}
			}
		})
	}
}
