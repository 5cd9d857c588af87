package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/fieldgate/fieldgate/packet"
)

// errFileLimit ends a capture when -G with -W has written its files.
var errFileLimit = errors.New("maximum file limit reached")

// dumper writes the packets of -w: one pcapng file, "-" for standard
// output, dumpcap-style rotation (--rotate-size, --rotate-time,
// --max-files: packet.CreateFile) or tcpdump's -C/-G/-W rotation with
// tcpdump's file names.
type dumper struct {
	path   string
	w      *packet.Writer
	file   *os.File // tcpdump rotation: the current file
	ifaces []packet.Interface

	// tcpdump rotation
	size    int64         // -C, bytes
	every   time.Duration // -G
	count   int           // -W
	chars   int           // digits of the file number
	cCount  int           // Cflag_count
	gCount  int           // Gflag_count
	gStart  time.Time     // Gflag_time
	written []string
	now     func() time.Time
}

// wFlags are the file options of capture.
type wFlags struct {
	path               string
	size               int64
	every              time.Duration
	count              int
	rotSize            int64
	rotTime            time.Duration
	maxFiles           int
	stdout             io.Writer
	application        string
	tcpdumpRotationSet bool
}

func newDumper(f wFlags) (*dumper, error) {
	d := &dumper{path: f.path, size: f.size, every: f.every, count: f.count, now: time.Now}
	switch {
	case f.path == "-":
		w, err := packet.NewWriter(f.stdout, nil)
		if err != nil {
			return nil, err
		}
		d.w = w
		d.written = []string{"-"}
	case f.size > 0 || f.every > 0:
		if f.count > 0 && f.size > 0 {
			for x := f.count - 1; x > 0; x /= 10 {
				d.chars++
			}
		}
		d.gStart = d.now().Truncate(time.Second)
		if err := d.open(); err != nil {
			return nil, err
		}
	default:
		w, err := packet.CreateFile(f.path, &packet.WriterConfig{RotateSize: f.rotSize, RotateInterval: f.rotTime, MaxFiles: f.maxFiles})
		if err != nil {
			return nil, err
		}
		d.w = w
	}
	return d, nil
}

// name is tcpdump's MakeFilename: the -w name through strftime(3) when
// -G is set, then the file number when there is one.
func (d *dumper) name(n int) string {
	base := d.path
	if d.every > 0 {
		base = strftime(d.path, d.gStart)
	}
	if n == 0 && d.chars == 0 {
		return base
	}
	s := strconv.Itoa(n)
	for len(s) < d.chars {
		s = "0" + s
	}
	return base + s
}

// open starts the next file of a tcpdump rotation; a name used before (the
// -W ring) is overwritten, as tcpdump does.
func (d *dumper) open() error {
	n := 0
	if d.size > 0 {
		n = d.cCount
	}
	name := d.name(n)
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w, err := packet.NewWriter(f, nil)
	if err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, ifc := range d.ifaces {
		if _, err := w.AddInterface(ifc); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	d.w, d.file = w, f
	d.written = append(d.written, name)
	return nil
}

func (d *dumper) closeFile() error {
	err := d.w.Close()
	if cerr := d.file.Close(); err == nil {
		err = cerr
	}
	return err
}

// addInterface adds an interface to the current and every later file.
func (d *dumper) addInterface(ifc packet.Interface) (int, error) {
	id, err := d.w.AddInterface(ifc)
	if err == nil {
		d.ifaces = append(d.ifaces, ifc)
	}
	return id, err
}

// rotate applies tcpdump's -G then -C checks before a packet is written.
func (d *dumper) rotate() error {
	if d.file == nil {
		return nil
	}
	if d.every > 0 {
		now := d.now().Truncate(time.Second)
		if now.Sub(d.gStart) >= d.every {
			d.gStart = now
			d.gCount++
			if err := d.closeFile(); err != nil {
				return err
			}
			if d.size == 0 && d.count > 0 && d.gCount >= d.count {
				d.file = nil
				return errFileLimit
			}
			d.cCount = 0
			if err := d.open(); err != nil {
				return err
			}
		}
	}
	if d.size > 0 && d.w.Written() > d.size {
		if err := d.closeFile(); err != nil {
			return err
		}
		d.cCount++
		if d.count > 0 && d.cCount >= d.count {
			d.cCount = 0
		}
		if err := d.open(); err != nil {
			return err
		}
	}
	return nil
}

// write writes one packet; errFileLimit means the capture must stop.
func (d *dumper) write(id int, ci packet.CaptureInfo, data []byte) error {
	if d.file == nil && d.every > 0 {
		return errFileLimit
	}
	if err := d.rotate(); err != nil {
		return err
	}
	return d.w.WritePacket(id, ci, data)
}

// close writes the statistics and closes the last file.
func (d *dumper) close(stats map[int]packet.InterfaceStats) error {
	if d.file == nil && d.every > 0 && d.size == 0 && d.count > 0 && d.gCount >= d.count {
		return nil // the -G/-W limit closed the last file
	}
	for id, st := range stats {
		if err := d.w.WriteStats(id, st); err != nil {
			return err
		}
	}
	if d.file != nil {
		return d.closeFile()
	}
	return d.w.Close()
}

// files are the files written, oldest first (a name reused by the -W ring
// once).
func (d *dumper) files() []string {
	if d.file == nil && d.size == 0 && d.every == 0 && d.path != "-" {
		return d.w.Files()
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range d.written {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// strftime expands the conversions of strftime(3) that make sense in file
// names (%Y %m %d %H %M %S %y %j %e %b %a %s %F %T %%); others are kept.
func strftime(format string, t time.Time) string {
	b := make([]byte, 0, len(format)+16)
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b = append(b, c)
			continue
		}
		i++
		switch format[i] {
		case 'Y':
			b = t.AppendFormat(b, "2006")
		case 'm':
			b = t.AppendFormat(b, "01")
		case 'd':
			b = t.AppendFormat(b, "02")
		case 'e':
			b = t.AppendFormat(b, "_2")
		case 'H':
			b = t.AppendFormat(b, "15")
		case 'M':
			b = t.AppendFormat(b, "04")
		case 'S':
			b = t.AppendFormat(b, "05")
		case 'y':
			b = t.AppendFormat(b, "06")
		case 'j':
			b = t.AppendFormat(b, "002")
		case 'b':
			b = t.AppendFormat(b, "Jan")
		case 'a':
			b = t.AppendFormat(b, "Mon")
		case 's':
			b = strconv.AppendInt(b, t.Unix(), 10)
		case 'F':
			b = t.AppendFormat(b, "2006-01-02")
		case 'T':
			b = t.AppendFormat(b, "15:04:05")
		case '%':
			b = append(b, '%')
		default:
			b = append(b, '%', format[i])
		}
	}
	return string(b)
}
