package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/can/canlog"
)

// playOptions are canplayer's options.
type playOptions struct {
	in         string
	loops      int // 0 = infinite
	noStamps   bool
	gap        time.Duration
	skipGap    int64 // seconds; 0 = off
	noLoopback bool
	verbose    int
	format     canlog.Format // --format; 0: by -I's extension
}

const playSynopsis = `usage: fieldgate can play [options] [WRITE-IF=LOG-IF]...
canplayer: replay a candump log (-L/-l format) to CAN interfaces; with
--format or an -I FILE ending in .asc, .blf, .trc or .csv, a Vector ASC or
BLF, PEAK TRC or python-can CSV log (channel N is interface canN-1).
Assignments WRITE-IF=LOG-IF send the frames logged on LOG-IF on WRITE-IF
(vcan2=can0); stdout=LOG-IF prints those log lines as they are. Without
assignments every frame goes to the interface it was logged on. Lines
that do not start with '(' are skipped.`

func (o *playOptions) optSet() *optSet {
	s := &optSet{name: "play", synopsis: playSynopsis}
	s.str('I', "", "FILE", "the log to replay (default: standard input)", &o.in)
	s.fn('l', "", "NUM", "replay the file NUM times, i = forever (default 1)", func(v string) error {
		if v == "i" {
			o.loops = 0
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errors.New("want a number of loops >= 1 or i (infinite)")
		}
		o.loops = n
		return nil
	})
	s.flag('t', "", "ignore the timestamps: send the frames at once", &o.noStamps)
	s.fn('g', "", "MS", "gap between checks for due frames in milliseconds (default 1)", func(v string) error {
		n, err := strconv.ParseUint(v, 10, 31)
		if err != nil {
			return errors.New("want milliseconds >= 0")
		}
		o.gap = time.Duration(n) * time.Millisecond
		return nil
	})
	s.fn('s', "", "S", "skip gaps in the timestamps longer than S seconds", func(v string) error {
		n, err := strconv.ParseUint(v, 10, 62)
		if err != nil || n < 1 {
			return errors.New("want seconds >= 1")
		}
		o.skipGap = int64(n)
		return nil
	})
	s.flag('x', "", "disable local loopback of the sent frames", &o.noLoopback)
	s.counter('v', "", "print the sent frames (-v -v: also assignments and loops)", &o.verbose)
	s.fn(0, "format", "FMT", "the log's format: candump (default; -I's extension chooses otherwise), asc, blf, trc or csv", func(v string) error {
		f, err := canlog.ParseFormat(v)
		o.format = f
		return err
	})
	return s
}

// playAssignment maps a log interface to a write interface.
type playAssignment struct {
	tx, rx string
	conn   *can.RawConn // nil for stdout
}

// player is one replay: its assignments and sockets.
type player struct {
	o      *playOptions
	user   bool // assignments came from the command line
	asgn   []*playAssignment
	w      *bufio.Writer
	line   []byte
	raw    []byte // the candump line of a record of another format
	cfg    can.RawConfig
	closed []*can.RawConn
}

func (p *player) add(mode, tx, rx string) (*playAssignment, error) {
	if len(p.asgn) == 20 {
		return nil, errors.New("more than 20 assignments")
	}
	if len(tx) > 15 {
		return nil, fmt.Errorf("write-if interface name %q longer than 15 bytes", tx)
	}
	if len(rx) > 15 {
		return nil, fmt.Errorf("log-if interface name %q longer than 15 bytes", rx)
	}
	a := &playAssignment{tx: tx, rx: rx}
	idx := 65536 // canplayer's index of stdout
	if tx != "stdout" {
		for _, b := range p.asgn {
			if b.tx == tx && b.conn != nil {
				a.conn = b.conn
			}
		}
		if a.conn == nil {
			c, err := can.ListenRaw(tx, &p.cfg)
			if err != nil {
				return nil, fmt.Errorf("write-if %s: %w", tx, err)
			}
			p.closed = append(p.closed, c)
			a.conn = c
		}
		if ifi, err := net.InterfaceByName(tx); err == nil {
			idx = ifi.Index
		}
	}
	p.asgn = append(p.asgn, a)
	if p.o.verbose > 1 {
		fmt.Fprintf(p.w, "added %s assignment: log-if=%s write-if=%s write-if-idx=%d\n", mode, rx, tx, idx)
	}
	return a, nil
}

func (p *player) lookup(rx string) *playAssignment {
	for _, a := range p.asgn {
		if a.rx == rx {
			return a
		}
	}
	return nil
}

func playMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := playOptions{loops: 1, gap: time.Millisecond}
	set := o.optSet()
	operands, err := set.parse(args, stderr)
	if err != nil {
		return err
	}
	name := "stdin"
	var in io.ReadSeeker
	var r io.Reader = os.Stdin
	if o.in != "" && o.in != "-" {
		f, err := os.Open(o.in)
		if err != nil {
			return fmt.Errorf("play: %w", err)
		}
		defer f.Close()
		in, r, name = f, f, o.in
	} else {
		o.loops = 1 // no jokes with stdin
	}
	if o.format == 0 {
		o.format = canlog.FromPath(o.in)
	}
	p := &player{o: &o, w: bufio.NewWriter(stdout), user: len(operands) > 0}
	p.cfg = can.RawConfig{FD: true, Filters: []can.Filter{}}
	if o.noLoopback {
		off := false
		p.cfg.Loopback = &off
	}
	defer func() {
		for _, c := range p.closed {
			c.Close()
		}
	}()
	defer p.w.Flush()
	if o.verbose > 1 {
		if o.loops == 0 {
			fmt.Fprintln(p.w, "infinite_loops")
		} else {
			fmt.Fprintf(p.w, "%d loops\n", o.loops)
		}
	}
	for _, a := range operands {
		tx, rx, ok := strings.Cut(a, "=")
		if !ok {
			return set.errorf("assignment %q: '=' missing (want WRITE-IF=LOG-IF)", a)
		}
		if _, err := p.add("user", tx, rx); err != nil {
			return set.errorf("assignment %q: %v", a, err)
		}
	}
	delayLoops := 0
	for loop := 1; o.loops == 0 || loop <= o.loops; loop++ {
		if in != nil {
			if _, err := in.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("play: %s: %w", name, err)
			}
			r = in
		}
		if o.verbose > 1 {
			remaining := o.loops - loop
			if o.loops == 0 {
				remaining = 0
			}
			fmt.Fprintf(p.w, ">>>>>>>>> start reading file. remaining loops = %d\n", remaining)
		}
		n, err := p.replay(ctx, bufio.NewReader(r), name)
		delayLoops += n
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	if o.verbose > 1 {
		fmt.Fprintf(p.w, "%d delay_loops\n", delayLoops)
	}
	return p.w.Flush()
}

// replay sends one pass over the log, as canplayer's loop does: it sends
// every frame that is due, sleeps the gap, and repeats. It returns the
// number of sleeps.
func (p *player) replay(ctx context.Context, r *bufio.Reader, name string) (int, error) {
	o := p.o
	lineNo := 0
	var lr canlog.Reader
	if o.format != canlog.Candump {
		var err error
		if lr, err = canlog.NewReader(o.format, r, name); err != nil {
			return 0, fmt.Errorf("play: %w", err)
		}
	}
	next := func() (raw []byte, e can.LogEntry, ok bool, err error) {
		if lr != nil {
			// Other formats: stdout assignments print the candump line.
			e, err = lr.Next()
			if err == io.EOF {
				return nil, e, false, nil
			}
			if err != nil {
				return nil, e, false, fmt.Errorf("play: %w", err)
			}
			p.raw = append(e.AppendLog(p.raw[:0], false), '\n')
			return p.raw, e, true, nil
		}
		for {
			raw, err = r.ReadBytes('\n')
			if len(raw) == 0 && err != nil {
				if err == io.EOF {
					return nil, e, false, nil
				}
				return nil, e, false, fmt.Errorf("play: %s: %w", name, err)
			}
			lineNo++
			if raw[0] != '(' {
				continue
			}
			e, perr := can.ParseLogLine(string(bytes.TrimRight(raw, "\r\n")))
			if perr != nil {
				return nil, e, false, fmt.Errorf("play: %s:%d: %w", name, lineNo, perr)
			}
			return raw, e, true, nil
		}
	}
	raw, e, ok, err := next()
	if err != nil || !ok {
		return 0, err
	}
	// A frame is due when its log time plus diff has passed.
	var diff time.Duration
	last := e.Time
	if !o.noStamps {
		diff = time.Since(e.Time)
	}
	sleeps := 0
	for {
		for o.noStamps || !e.Time.Add(diff).After(time.Now()) {
			if err := p.send(ctx, raw, &e); err != nil {
				return sleeps, err
			}
			raw, e, ok, err = next()
			if err != nil {
				return sleeps, err
			}
			if !ok {
				return sleeps + 1, p.w.Flush()
			}
			if !o.noStamps {
				// The log jumps back, or over a gap longer than -s:
				// send this frame now.
				gap := e.Time.Unix() - last.Unix()
				if last.Unix() > e.Time.Unix() || (o.skipGap > 0 && (gap > o.skipGap || -gap > o.skipGap)) {
					diff = time.Since(e.Time)
				}
				last = e.Time
			}
		}
		if err := p.w.Flush(); err != nil {
			return sleeps, err
		}
		select {
		case <-ctx.Done():
			return sleeps, ctx.Err()
		case <-time.After(o.gap):
		}
		sleeps++
	}
}

// send sends (or prints) one log entry per the assignments.
func (p *player) send(ctx context.Context, raw []byte, e *can.LogEntry) error {
	a := p.lookup(e.Iface)
	if a == nil && !p.user {
		var err error
		if a, err = p.add("auto", e.Iface, e.Iface); err != nil {
			return fmt.Errorf("play: %w", err)
		}
	}
	if a == nil {
		return nil // not assigned
	}
	if a.conn == nil {
		p.w.Write(raw)
		return p.w.Flush()
	}
	if err := a.conn.WriteFrame(ctx, &e.Frame); err != nil {
		return fmt.Errorf("play: send on %s: %w", a.tx, err)
	}
	if p.o.verbose > 0 {
		b := append(p.line[:0], a.tx...)
		b = append(b, " ("...)
		b = append(b, e.Iface...)
		b = append(b, ") "...)
		b = appendLongFrame(b, &e.Frame, e.Frame.IsFD(), viewIndentSFF)
		p.line = append(b, '\n')
		p.w.Write(p.line)
	}
	return nil
}
