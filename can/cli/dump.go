package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/can/canlog"
)

// dumpSpec is one candump interface argument: IFACE[,FILTER]...
type dumpSpec struct {
	iface   string
	cfg     can.RawConfig
	display string
}

// parseDumpSpec parses candump's IFACE[,ID:MASK|ID~MASK|#ERRMASK|j]... form;
// "any" is every CAN interface. As in candump, an error mask alone keeps
// the default receive-all filter for data frames (write any,0~0,#FFFFFFFF
// for error frames only).
func parseDumpSpec(arg string) (dumpSpec, error) {
	parts := strings.Split(arg, ",")
	s := dumpSpec{iface: parts[0], display: parts[0]}
	if s.iface == "" {
		return s, fmt.Errorf("interface argument %q: empty interface name (want IFACE[,ID:MASK|ID~MASK|#ERRMASK|j]...)", arg)
	}
	if len(s.iface) > 15 {
		return s, fmt.Errorf("interface argument %q: name %q longer than 15 bytes", arg, s.iface)
	}
	if s.iface == "any" {
		s.iface = ""
	}
	for _, p := range parts[1:] {
		switch {
		case strings.HasPrefix(p, "j") || strings.HasPrefix(p, "J"):
			s.cfg.JoinFilters = true
		case strings.HasPrefix(p, "#"):
			m, err := can.ParseErrorMask(p)
			if err != nil {
				return s, fmt.Errorf("interface argument %q: %v", arg, err)
			}
			s.cfg.ErrorMask = can.ErrClass(m)
		default:
			f, err := can.ParseFilter(p)
			if err != nil {
				return s, fmt.Errorf("interface argument %q: %v", arg, err)
			}
			s.cfg.Filters = append(s.cfg.Filters, f)
		}
	}
	return s, nil
}

// dumpOptions are candump's options plus fieldgate's long-only extras.
type dumpOptions struct {
	ts          byte // 0, 'a', 'A', 'd', 'z'
	hw          bool // -H
	color       int  // -c, counted
	view        int  // -i -a -S -e
	silent      int  // -s; -1: not given
	log         bool // -l
	logName     string
	logfrmt     bool // -L
	count       int  // -n
	rcvbuf      int  // -r
	keepDown    bool // -D
	dropmon     bool // -d
	extra       bool // -x
	timeout     time.Duration
	timeoutSet  bool
	bridge      string // -b/-B
	bridgeNoLB  bool   // -B
	bridgeDelay time.Duration
	dbcFile     string
	batch       int
	classic     bool
	nanos       bool
	format      canlog.Format // --format; 0: by --log-file's extension, else candump
}

const dumpSynopsis = `usage: fieldgate can dump [options] IFACE[,FILTER]...
candump's options and output, byte for byte. IFACE is an interface name or
"any" (every CAN interface). FILTER is one of
  ID:MASK   receive when frame_id & MASK == ID & MASK (hex; an 8-digit ID is extended)
  ID~MASK   the inverse
  #ERRMASK  error frame class mask (hex); alone it keeps receiving all data frames
  j         frames must match all filters (default: any)`

func (o *dumpOptions) optSet() *optSet {
	s := &optSet{name: "dump", synopsis: dumpSynopsis, trailer: `
Examples: fieldgate can dump -ta -x vcan0 can1,123:7FF
          fieldgate can dump -l any,0~0,#FFFFFFFF   (log only error frames)`}
	s.fn('t', "", "TYPE", "timestamp: (a)bsolute, (d)elta, (z)ero, (A)bsolute with date", func(v string) error {
		if len(v) != 1 || !strings.Contains("aAdz", v) {
			return errors.New("want a, A, d or z")
		}
		o.ts = v[0]
		return nil
	})
	s.flag('H', "", "hardware timestamps instead of system timestamps (0 where the driver has none)", &o.hw)
	s.counter('c', "", "increment the color mode level (1..3)", &o.color)
	viewBit := func(bit int) func(string) error { return func(string) error { o.view |= bit; return nil } }
	s.fn('i', "", "", "binary output (may exceed 80 chars/line)", viewBit(viewBinary))
	s.fn('a', "", "", "additional ASCII output", viewBit(viewASCII))
	s.fn('S', "", "", "swap byte order in printed data, marked with '`'", viewBit(viewSwap))
	s.fn('s', "", "LEVEL", "silent mode: 0 off (default), 1 animation, 2 silent", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 2 {
			return errors.New("want 0, 1 or 2")
		}
		o.silent = n
		return nil
	})
	s.flag('l', "", "log frames into candump-YYYY-MM-DD_HHMMSS.log in the current folder (sets -s 2)", &o.log)
	s.str(0, "log-file", "FILE", "like -l, into FILE", &o.logName)
	s.flag('L', "", "log file format on stdout", &o.logfrmt)
	s.intOpt('n', "", "COUNT", "exit after receiving COUNT frames", &o.count, 1, 1<<31-1)
	s.intOpt('r', "", "SIZE", "socket receive buffer in bytes (default 4 MiB; SO_RCVBUFFORCE as root)", &o.rcvbuf, 1, 1<<31-1)
	s.flag('D', "", "do not exit when an interface goes down", &o.keepDown)
	s.flag('d', "", "monitor frames the kernel dropped (DROPCOUNT lines)", &o.dropmon)
	s.fn('e', "", "", "describe error frames (receive them with a #ERRMASK filter)", viewBit(viewError))
	s.flag('x', "", "extra message infos: RX/TX, BRS, ESI", &o.extra)
	s.fn('T', "", "MSECS", "exit after MSECS milliseconds without a frame", func(v string) error {
		n, err := strconv.ParseInt(v, 0, 64)
		if err != nil || n < 0 || n > int64(time.Duration(1<<62)/time.Millisecond) {
			return errors.New("want milliseconds >= 0")
		}
		o.timeout, o.timeoutSet = time.Duration(n)*time.Millisecond, true
		return nil
	})
	s.str('b', "", "IFACE", "bridge mode: send received frames to IFACE", &o.bridge)
	s.fn('B', "", "IFACE", "bridge mode like -b, with loopback off on IFACE", func(v string) error {
		o.bridge, o.bridgeNoLB = v, true
		return nil
	})
	s.fn('u', "", "USECS", "delay bridge forwarding by USECS microseconds", func(v string) error {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return errors.New("want microseconds >= 0")
		}
		o.bridgeDelay = time.Duration(n) * time.Microsecond
		return nil
	})
	s.str(0, "dbc", "FILE", "decode signals with the DBC FILE (below each frame)", &o.dbcFile)
	s.intOpt(0, "batch", "N", fmt.Sprintf("frames per receive system call, 1..%d (1 with -d)", can.MaxBatch), &o.batch, 1, can.MaxBatch)
	s.flag(0, "classic", "do not enable CAN FD reception", &o.classic)
	s.flag(0, "nanos", "nanosecond timestamps (9 decimals) in log output", &o.nanos)
	s.fn(0, "format", "FMT", "log file format: candump (default; --log-file's extension chooses otherwise), asc, blf, trc, trc1.1 or csv", func(v string) error {
		f, err := canlog.ParseFormat(v)
		o.format = f
		return err
	})
	return s
}

func dumpMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := dumpOptions{silent: -1, batch: can.MaxBatch, rcvbuf: 4 << 20}
	set := o.optSet()
	operands, err := set.parse(args, stderr)
	if err != nil {
		return err
	}
	if len(operands) == 0 {
		return set.errorf("want at least one IFACE argument")
	}
	if o.logfrmt && o.view != 0 {
		return set.errorf("log file format (-L) selected: drop -a, -i, -S and -e")
	}
	if o.logName != "" {
		o.log = true
	}
	if o.silent < 0 {
		o.silent = 0
		if o.log {
			fmt.Fprintln(stderr, "Disabled standard output while logging.")
			o.silent = 2
		}
	}
	if o.dropmon {
		o.batch = 1 // a drop count per frame
	}
	if len(operands) > 16 {
		return set.errorf("%d interfaces: candump takes at most 16", len(operands))
	}
	out := newDumpOut(&o, stdout)
	out.stderr = stderr
	var specs []dumpSpec
	for _, a := range operands {
		s, err := parseDumpSpec(a)
		if err != nil {
			return set.errorf("%v", err)
		}
		s.cfg.FD = !o.classic
		s.cfg.Timestamps = true
		s.cfg.RecvBuffer = o.rcvbuf
		specs = append(specs, s)
		out.maxDevLen = max(out.maxDevLen, len(s.display))
	}
	if o.dbcFile != "" {
		data, err := os.ReadFile(o.dbcFile)
		if err != nil {
			return fmt.Errorf("dump: --dbc: %w", err)
		}
		d, err := can.ParseDBC(o.dbcFile, data)
		if err != nil {
			return fmt.Errorf("dump: --dbc: %w", err)
		}
		out.dbc = d
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conns := make([]*can.RawConn, len(specs))
	for i := range specs {
		c, err := can.ListenRaw(specs[i].iface, &specs[i].cfg)
		if err != nil {
			var ie *can.InterfaceError
			if errors.As(err, &ie) {
				return err // names the interface already
			}
			return fmt.Errorf("dump: %s: %w", specs[i].display, err)
		}
		defer c.Close()
		conns[i] = c
	}
	if o.bridge != "" {
		cfg := &can.RawConfig{FD: true, Filters: []can.Filter{}}
		if o.bridgeNoLB {
			off := false
			cfg.Loopback = &off
		}
		b, err := can.ListenRaw(o.bridge, cfg)
		if err != nil {
			return fmt.Errorf("dump: bridge %s: %w", o.bridge, err)
		}
		defer b.Close()
		out.bridge = b
	}
	if o.log {
		name := o.logName
		if name == "" {
			now := time.Now()
			name = fmt.Sprintf("candump-%04d-%02d-%02d_%02d%02d%02d.log",
				now.Year(), int(now.Month()), now.Day(), now.Hour(), now.Minute(), now.Second())
		}
		fm := o.format
		if fm == 0 {
			fm = canlog.FromPath(o.logName) // "" and .log: candump
		}
		if o.logName == "" && fm != canlog.Candump {
			name = strings.TrimSuffix(name, ".log") + map[canlog.Format]string{canlog.ASC: ".asc", canlog.BLF: ".blf", canlog.TRC: ".trc", canlog.TRC11: ".trc", canlog.CSV: ".csv"}[fm]
		}
		if o.silent != 2 {
			fmt.Fprintln(stderr, "Warning: Console output active while logging!")
		}
		fmt.Fprintf(stderr, "Enabling Logfile '%s'\n", name)
		f, err := os.Create(name)
		if err != nil {
			return fmt.Errorf("dump: log file: %w", err)
		}
		defer f.Close()
		out.logFile = bufio.NewWriterSize(f, 64<<10)
		defer out.logFile.Flush()
		if fm != canlog.Candump {
			// Other formats: records go through canlog's writer into
			// logFile; DROPCOUNT lines are not written.
			out.logW, err = canlog.NewWriter(fm, out.logFile, canlog.WriterOptions{At: f})
			if err != nil {
				return fmt.Errorf("dump: log file: %w", err)
			}
			defer func() {
				if err := out.logW.Close(); err != nil {
					fmt.Fprintf(stderr, "dump: log file: %v\n", err)
				}
			}()
		}
	}
	if o.timeoutSet {
		if o.timeout == 0 {
			return nil // candump -T 0: select returns at once
		}
		out.idle = time.AfterFunc(o.timeout, cancel)
		defer out.idle.Stop()
	}
	out.cancel = cancel
	errc := make(chan error, len(conns))
	for i, c := range conns {
		go func() { errc <- out.loop(ctx, c, specs[i].display, stderr) }()
	}
	var first error
	for range conns {
		err := <-errc
		cancel()
		if err != nil && first == nil && !errors.Is(err, context.Canceled) {
			first = err
		}
	}
	if err := out.flush(); err != nil && first == nil {
		first = err
	}
	return first
}

// loop receives from c until ctx is done, the -n count is reached or a
// read fails.
func (d *dumpOut) loop(ctx context.Context, c *can.RawConn, name string, stderr io.Writer) error {
	msgs := make([]can.RecvMsg, d.o.batch)
	var lastDrops uint32
	for {
		n, err := c.ReadBatch(ctx, msgs)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if d.o.keepDown && errors.Is(err, syscall.ENETDOWN) {
				fmt.Fprintf(stderr, "%s: interface down\n", name)
				continue
			}
			return fmt.Errorf("dump: read %s: %w", name, err)
		}
		drops := int64(-1)
		if d.o.dropmon {
			// The kernel's counter is a __u32 that wraps.
			if now := uint32(c.Dropped()); now != lastDrops {
				drops = int64(now - lastDrops)
				lastDrops = now
			}
		}
		done, err := d.write(msgs[:n], drops, lastDrops)
		if err != nil {
			return err
		}
		if done {
			d.cancel()
			return nil
		}
	}
}
