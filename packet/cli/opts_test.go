package cli

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/packet"
)

// TestOptionsParseLikeGetopt: tcpdump's habits (clustered flags, arguments
// glued to their option, options after the expression, --) parse as
// getopt_long(3) parses them for tcpdump.
func TestOptionsParseLikeGetopt(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		check func(c *captureConfig, pos []string) bool
	}{
		{[]string{"-nnvc3", "-i", "lo", "udp", "port", "53"}, func(c *captureConfig, pos []string) bool {
			return c.nflag == 2 && c.pr.v == 1 && c.count == 3 && slices.Equal(c.ifaces, []string{"lo"}) && slices.Equal(pos, []string{"udp", "port", "53"})
		}},
		{[]string{"-ieth0", "-c", "5", "-XX", "-tttt"}, func(c *captureConfig, pos []string) bool {
			return slices.Equal(c.ifaces, []string{"eth0"}) && c.count == 5 && c.pr.X == 2 && c.pr.t == 4 && len(pos) == 0
		}},
		{[]string{"udp", "-c", "2", "and", "port", "7"}, func(c *captureConfig, pos []string) bool {
			return c.count == 2 && slices.Equal(pos, []string{"udp", "and", "port", "7"})
		}},
		{[]string{"-c", "3", "--", "-x"}, func(c *captureConfig, pos []string) bool {
			return c.count == 3 && c.pr.x == 0 && slices.Equal(pos, []string{"-x"})
		}},
		{[]string{"--count=4", "--interface", "a", "--interface=b", "--snapshot-length", "96", "--number"}, func(c *captureConfig, pos []string) bool {
			return c.count == 4 && slices.Equal(c.ifaces, []string{"a", "b"}) && c.snap == 96 && c.pr.number
		}},
		{[]string{"-rotate-size=1M", "-fanout", "2", "--max-files", "3"}, func(c *captureConfig, pos []string) bool {
			return c.rotSize == 1<<20 && c.fanout == 2 && c.maxFiles == 3
		}},
		{[]string{"-s0", "-C", "2", "-W", "11", "-G", "60", "-wout"}, func(c *captureConfig, pos []string) bool {
			return c.snap == 262144 && c.fileSize == 2000000 && c.fileCount == 11 && c.rotSecs == 60 && c.out == "out"
		}},
		{[]string{"-C", "512k", "-Qin", "-p", "-e"}, func(c *captureConfig, pos []string) bool {
			return c.fileSize == 512<<10 && c.direction == "in" && c.noPromisc && c.pr.e
		}},
	} {
		c := &captureConfig{snap: 262144}
		pos, err := c.options(io.Discard).parse(tc.args)
		if err != nil || !tc.check(c, pos) {
			t.Errorf("%q: %v, positional %q, config %+v", tc.args, err, pos, *c)
		}
	}
}

// TestSynopsisAgreesWithFlagList: every option is in the synopsis and in
// the flag list under the same spelling, and nothing else is.
func TestSynopsisAgreesWithFlagList(t *testing.T) {
	for _, set := range []*optionSet{(&captureConfig{}).options(io.Discard), injectOptionsForTest()} {
		syn, list := set.synopsis(), set.flagList()
		var cluster string
		for _, o := range set.options {
			if o.short != 0 && o.arg == "" {
				cluster += string(o.short)
			}
			var inSyn string
			switch {
			case o.short != 0 && o.arg != "":
				inSyn = "[-" + string(o.short) + " " + o.arg + "]"
			case o.short == 0 && o.arg != "":
				inSyn = "[--" + o.long + " " + o.arg + "]"
			case o.short == 0:
				inSyn = "[--" + o.long + "]"
			}
			if inSyn != "" && !strings.Contains(syn, inSyn) {
				t.Errorf("%s: synopsis lacks %s:\n%s", set.cmd, inSyn, syn)
			}
			if !strings.Contains(list, o.name()) || o.long != "" && !strings.Contains(list, "--"+o.long) {
				t.Errorf("%s: flag list lacks %s", set.cmd, o.name())
			}
		}
		if cluster != "" && !strings.Contains(syn, "[-"+cluster+"]") {
			t.Errorf("%s: synopsis lacks [-%s]", set.cmd, cluster)
		}
		// No word of the synopsis names an option that does not exist.
		for _, w := range strings.Fields(syn) {
			w = strings.Trim(w, "[]")
			switch {
			case strings.HasPrefix(w, "--"):
				if set.byLong(w[2:]) == nil {
					t.Errorf("%s: synopsis names unknown %s", set.cmd, w)
				}
			case strings.HasPrefix(w, "-") && len(w) == 2:
				if set.byShort(w[1]) == nil {
					t.Errorf("%s: synopsis names unknown %s", set.cmd, w)
				}
			}
		}
	}
}

func injectOptionsForTest() *optionSet { return (&injectConfig{}).options(io.Discard) }

func TestHelpGoesToStdout(t *testing.T) {
	for _, cmd := range []func(args []string, stdout, stderr io.Writer) error{
		func(a []string, o, e io.Writer) error { return Capture(nil, a, o, e) },
		func(a []string, o, e io.Writer) error { return Inject(nil, a, o, e) },
	} {
		for _, h := range []string{"-h", "--help"} {
			var stdout, stderr bytes.Buffer
			err := cmd([]string{h}, &stdout, &stderr)
			if !errors.Is(err, flag.ErrHelp) || !strings.HasPrefix(stdout.String(), "usage: fieldgate ") || stderr.Len() != 0 {
				t.Errorf("%s: %v, stdout %.40q, stderr %q", h, err, stdout.String(), stderr.String())
			}
		}
	}
}

// TestRotationLikeTcpdump: -C names the files FILE, FILE1, FILE2...; a file
// is closed once it exceeds the size; with -W the names are numbered with
// enough digits and reused in turn. Every packet is in exactly one file.
func TestRotationLikeTcpdump(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcapng")
	frames := corpusFrames()
	writeCorpus(t, in, frames)

	out := filepath.Join(dir, "c.pcapng")
	runCapture(t, "-r", in, "-w", out, "-C", "1k")
	names, _ := filepath.Glob(out + "*")
	slices.Sort(names)
	if len(names) < 3 {
		t.Fatalf("-C 1k wrote %v, want several files", names)
	}
	var got [][]byte
	for i, name := range append([]string{out}, numbered(out, len(names)-1, 0)...) {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatalf("file %d: %v (have %v)", i, err, names)
		}
		recs := readRecords(t, name)
		if i < len(names)-1 && st.Size() <= 1024 {
			t.Errorf("%s: %d bytes, rotated before exceeding 1024", name, st.Size())
		}
		got = append(got, recs...)
	}
	if len(got) != len(frames) {
		t.Fatalf("%d packets in the files, want %d", len(got), len(frames))
	}
	for i := range got {
		if !bytes.Equal(got[i], frames[i]) {
			t.Fatalf("packet %d differs", i)
		}
	}

	// -W 2: two names, out0 and out1, overwritten in turn; they hold the
	// last packets.
	ring := filepath.Join(dir, "ring.pcapng")
	runCapture(t, "-r", in, "-w", ring, "-C", "1k", "-W", "2")
	names, _ = filepath.Glob(ring + "*")
	slices.Sort(names)
	if !slices.Equal(names, []string{ring + "0", ring + "1"}) {
		t.Fatalf("-W 2 wrote %v", names)
	}
	// -W 11 numbers with two digits.
	ring11 := filepath.Join(dir, "r11")
	runCapture(t, "-r", in, "-w", ring11, "-C", "1k", "-W", "11")
	if _, err := os.Stat(ring11 + "00"); err != nil {
		t.Errorf("-W 11: %v", err)
	}
}

func numbered(base string, n, width int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, base+itoa(i))
	}
	return out
}

func readRecords(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := packet.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		rec, err := r.ReadPacket()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bytes.Clone(rec.Data))
	}
}

// TestRotationByTime: -G starts a new file, named through strftime, on the
// first packet rotate_seconds after the current file began; with -W and
// no -C the capture ends after W files.
func TestRotationByTime(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.Local)
	clock := func() time.Time { return now }
	d := &dumper{path: filepath.Join(dir, "g-%Y%m%d-%H%M%S.pcapng"), every: 10 * time.Second, count: 2, now: clock}
	d.gStart = now
	if err := d.open(); err != nil {
		t.Fatal(err)
	}
	id, err := d.addInterface(packet.Interface{Name: "x", LinkType: packet.LinkTypeEthernet})
	if err != nil {
		t.Fatal(err)
	}
	frame := corpusFrames()[0]
	write := func() error { return d.write(id, packet.CaptureInfo{Timestamp: now}, frame) }
	for _, step := range []time.Duration{0, 3 * time.Second, 7 * time.Second} { // t+0, t+3, t+10: rotates
		now = now.Add(step)
		if err := write(); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(10 * time.Second) // t+20: a third file would exceed -W 2
	if err := write(); !errors.Is(err, errFileLimit) {
		t.Fatalf("third file: %v, want the file limit", err)
	}
	if err := d.close(nil); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "g-20250102-030405.pcapng"), filepath.Join(dir, "g-20250102-030415.pcapng")}
	if got := d.files(); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	if n := len(readRecords(t, want[0])); n != 2 {
		t.Errorf("first file: %d packets, want 2", n)
	}
	if n := len(readRecords(t, want[1])); n != 1 {
		t.Errorf("second file: %d packets, want 1", n)
	}
}

func TestStrftime(t *testing.T) {
	tm := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	if got := strftime("a-%Y-%m-%d_%H%M%S-%j-%y%%-%q", tm); got != "a-2025-03-04_050607-063-25%-%q" {
		t.Errorf("got %q", got)
	}
}
