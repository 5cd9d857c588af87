package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// dumpSpec is one candump interface argument: IFACE[,FILTER]...
type dumpSpec struct {
	iface   string
	cfg     can.RawConfig
	display string
}

// parseDumpSpec parses candump's IFACE[,ID:MASK|ID~MASK|#ERRMASK|j]... form;
// "any" is every CAN interface.
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
		case p == "j" || p == "J":
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
			if s.cfg.Filters == nil {
				s.cfg.Filters = []can.Filter{}
			}
			s.cfg.Filters = append(s.cfg.Filters, f)
		}
	}
	// Only an error mask given: receive no data frames, like candump.
	if s.cfg.ErrorMask != 0 && s.cfg.Filters == nil && len(parts) == 2 {
		s.cfg.Filters = []can.Filter{}
	}
	return s, nil
}

type dumpOut struct {
	mu      sync.Mutex
	w       *bufio.Writer
	log     *can.LogWriter
	logOut  bool // -L: log format on stdout
	tsMode  string
	last    time.Time
	first   time.Time
	dbc     *can.DBC
	extra   bool
	names   map[int]string
	count   int
	limit   int
	buf     []byte
	errDec  bool
	nanos   bool
	logFile *os.File
}

func (o *dumpOut) ifname(idx int) string {
	if n, ok := o.names[idx]; ok {
		return n
	}
	n := "if" + strconv.Itoa(idx)
	if ifi, err := net.InterfaceByIndex(idx); err == nil {
		n = ifi.Name
	}
	o.names[idx] = n
	return n
}

// write prints a batch; it reports true when the -n limit is reached.
func (o *dumpOut) write(msgs []can.RecvMsg) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range msgs {
		m := &msgs[i]
		if o.limit > 0 && o.count >= o.limit {
			break
		}
		o.count++
		e := can.LogEntry{Time: m.Time, Iface: o.ifname(m.Ifindex), Frame: m.Frame}
		if e.Time.IsZero() {
			e.Time = time.Now()
		}
		if o.extra {
			e.Dir = 'R'
			if m.Own {
				e.Dir = 'T'
			}
		}
		if o.log != nil {
			if err := o.log.Write(&e); err != nil {
				return true, err
			}
		}
		if o.logOut {
			o.buf = e.AppendLog(o.buf[:0], o.nanos)
			o.buf = append(o.buf, '\n')
			o.w.Write(o.buf)
			continue
		}
		if o.log != nil && o.w == nil {
			continue
		}
		o.human(&e, m)
	}
	if o.log != nil {
		if err := o.log.Flush(); err != nil {
			return true, err
		}
	}
	if o.w != nil {
		if err := o.w.Flush(); err != nil {
			return true, err
		}
	}
	return o.limit > 0 && o.count >= o.limit, nil
}

func (o *dumpOut) human(e *can.LogEntry, m *can.RecvMsg) {
	b := o.buf[:0]
	switch o.tsMode {
	case "a":
		b = fmt.Appendf(b, "(%010d.%06d) ", e.Time.Unix(), e.Time.Nanosecond()/1000)
	case "A":
		b = append(b, '(')
		b = e.Time.Local().AppendFormat(b, "2006-01-02 15:04:05.000000")
		b = append(b, ") "...)
	case "d", "z":
		ref := o.last
		if o.tsMode == "z" {
			ref = o.first
		}
		if ref.IsZero() {
			ref = e.Time
			o.first = e.Time
		}
		d := e.Time.Sub(ref)
		b = fmt.Appendf(b, "(%03d.%06d) ", int64(d/time.Second), int64(d%time.Second)/1000)
		o.last = e.Time
	}
	b = fmt.Appendf(b, "%*s  ", 7, e.Iface)
	f := &e.Frame
	switch {
	case f.Error:
		b = fmt.Appendf(b, "%08X  ", f.CANID()&(can.ErrMask|can.ErrFlag))
	case f.Extended:
		b = fmt.Appendf(b, "%08X  ", f.ID)
	default:
		b = fmt.Appendf(b, "%03X  ", f.ID)
	}
	if m.FD {
		b = fmt.Appendf(b, "[%02d] ", f.Len)
	} else {
		b = fmt.Appendf(b, " [%d] ", f.Len)
	}
	if f.Remote {
		b = append(b, " remote request"...)
	} else {
		for _, c := range f.Payload() {
			b = fmt.Appendf(b, " %02X", c)
		}
	}
	if e.Dir != 0 {
		b = fmt.Appendf(b, "  %cX", e.Dir)
	}
	if f.Error {
		if ef, err := can.ParseError(f); err == nil {
			b = append(b, "  ERRORFRAME "...)
			b = append(b, ef.Error()...)
		}
	}
	b = append(b, '\n')
	if o.dbc != nil {
		if name, sigs, ok := o.dbc.Decode(f); ok {
			b = append(b, "        "...)
			b = append(b, can.FormatDecoded(name, sigs)...)
			b = append(b, '\n')
		}
	}
	o.buf = b
	o.w.Write(b)
}

func dumpMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dump", flag.ContinueOnError)
	logFile := fs.String("l", "", "also write frames to `FILE` in candump log format (\"-\" = stdout)")
	logStdout := fs.Bool("L", false, "print frames in candump log format (canplayer input) instead of the table")
	count := fs.Int("n", 0, "exit after `COUNT` frames (0 = never)")
	ts := fs.String("t", "", "timestamps: a (absolute), A (date), d (delta), z (since first); default none")
	dbcFile := fs.String("d", "", "decode signals with the DBC `FILE`")
	errs := fs.Bool("e", false, "receive all error frames (error mask 0x1FFFFFFF)")
	extra := fs.Bool("x", false, "mark frames sent from this host (T) and received (R)")
	timeout := fs.Duration("T", 0, "exit when no frame arrives for `DURATION` (0 = wait forever)")
	noFD := fs.Bool("classic", false, "do not enable CAN FD reception")
	nanos := fs.Bool("N", false, "nanosecond timestamps in log output (9 decimals)")
	batch := fs.Int("B", can.MaxBatch, "frames per receive system call (1..64)")
	rcvbuf := fs.Int("r", 4<<20, "socket receive buffer `BYTES` (SO_RCVBUFFORCE when root; 0 = kernel default)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: fieldgate can dump [flags] IFACE[,FILTER]...
IFACE is an interface name or "any". FILTER is one of
  ID:MASK   receive when frame_id & MASK == ID & MASK (hex; 8-digit ID = extended)
  ID~MASK   the inverse
  #ERRMASK  error frame class mask (hex)
  j         frames must match all filters (default: any)
flags:`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usagef("dump: want at least one IFACE argument")
	}
	switch *ts {
	case "", "a", "A", "d", "z":
	default:
		return usagef("dump: -t %q: want a, A, d or z", *ts)
	}
	if *count < 0 {
		return usagef("dump: -n %d: want a count >= 0", *count)
	}
	if *batch < 1 || *batch > can.MaxBatch {
		return usagef("dump: -B %d: want 1..%d", *batch, can.MaxBatch)
	}
	var specs []dumpSpec
	for _, a := range fs.Args() {
		s, err := parseDumpSpec(a)
		if err != nil {
			return usagef("dump: %v", err)
		}
		s.cfg.FD = !*noFD
		s.cfg.Timestamps = true
		s.cfg.RecvBuffer = *rcvbuf
		if *errs {
			s.cfg.ErrorMask = can.ErrMaskAll
		}
		specs = append(specs, s)
	}
	out := &dumpOut{tsMode: *ts, extra: *extra, names: map[int]string{}, limit: *count, buf: make([]byte, 0, 512), nanos: *nanos, logOut: *logStdout}
	out.w = bufio.NewWriterSize(stdout, 64*1024)
	if *dbcFile != "" {
		data, err := os.ReadFile(*dbcFile)
		if err != nil {
			return fmt.Errorf("dump: -d: %w", err)
		}
		d, err := can.ParseDBC(*dbcFile, data)
		if err != nil {
			return fmt.Errorf("dump: -d: %w", err)
		}
		out.dbc = d
	}
	switch *logFile {
	case "":
	case "-":
		out.logOut = true
	default:
		f, err := os.Create(*logFile)
		if err != nil {
			return fmt.Errorf("dump: -l: %w", err)
		}
		defer f.Close()
		out.log = can.NewLogWriter(f, *nanos)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conns := make([]*can.RawConn, len(specs))
	for i := range specs {
		c, err := can.ListenRaw(specs[i].iface, &specs[i].cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		conns[i] = c
	}
	errc := make(chan error, len(conns))
	for _, c := range conns {
		go func() { errc <- dumpLoop(ctx, c, out, *timeout, *batch) }()
	}
	var first error
	for range conns {
		err := <-errc
		cancel()
		if err != nil && first == nil && !errors.Is(err, context.Canceled) {
			first = err
		}
	}
	var dropped uint64
	for _, c := range conns {
		dropped += c.Dropped()
	}
	if dropped > 0 {
		fmt.Fprintf(stderr, "fieldgate can dump: the kernel dropped %d frames (receive queue full)\n", dropped)
	}
	return first
}

var errIdle = errors.New("idle timeout")

func dumpLoop(ctx context.Context, c *can.RawConn, out *dumpOut, idle time.Duration, batch int) error {
	msgs := make([]can.RecvMsg, batch)
	for {
		rctx := ctx
		var cancel context.CancelFunc
		if idle > 0 {
			rctx, cancel = context.WithTimeout(ctx, idle)
		}
		n, err := c.ReadBatch(rctx, msgs)
		if cancel != nil {
			cancel()
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if idle > 0 && errors.Is(err, context.DeadlineExceeded) {
				return nil
			}
			return err
		}
		done, err := out.write(msgs[:n])
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}
