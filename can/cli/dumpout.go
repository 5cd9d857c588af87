package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/can/canlog"
)

// candump's colors (terminal.h): bold plus blue, red, green, (none),
// magenta, cyan, chosen by the interface's place in the name cache.
var dumpColors = [...]string{
	"\x1b[1m\x1b[34m", "\x1b[1m\x1b[31m", "\x1b[1m\x1b[32m",
	"\x1b[1m", "\x1b[1m\x1b[35m", "\x1b[1m\x1b[36m",
}

const colorOff = "\x1b[0m"

// extraMsgInfo is -x's BRS/ESI column, indexed by flags & 3.
var extraMsgInfo = [...]string{"- -", "B -", "- E", "B E"}

var dumpAnimation = [...]byte{'|', '/', '-', '\\'}

// dumpOut is the output of one dump: what candump prints, in the order
// and with the state (name cache and width, SFF indent, delta time) that
// candump keeps. The receive loops share it under mu.
type dumpOut struct {
	o       *dumpOptions
	mu      sync.Mutex
	w       *bufio.Writer
	logFile *bufio.Writer
	logW    canlog.Writer // --format other than candump: writes into logFile
	ent     can.LogEntry
	dbc     *can.DBC
	bridge  *can.RawConn
	idle    *time.Timer
	cancel  context.CancelFunc
	ifname  func(ifindex int) (string, bool) // the interface's name, if it exists
	stderr  io.Writer

	view      int
	maxDevLen int
	slots     []int           // ifindex per name cache entry (0 = free)
	names     []string        // name per entry
	ts        timestampFormat // -t
	count     int
	ani       int
	done      bool
	buf       []byte
}

func newDumpOut(o *dumpOptions, stdout io.Writer) *dumpOut {
	return &dumpOut{
		o:      o,
		ts:     timestampFormat{mode: o.ts, secWidth: 10, deltaWidth: 3},
		w:      bufio.NewWriterSize(stdout, 64<<10),
		view:   o.view,
		buf:    make([]byte, 0, 1024),
		cancel: func() {},
		stderr: io.Discard,
		ifname: func(ifindex int) (string, bool) {
			ifi, err := net.InterfaceByIndex(ifindex)
			if err != nil {
				return "", false
			}
			return ifi.Name, true
		},
	}
}

// dindex returns the name cache entry of ifindex, adding it (candump's
// idx2dindex): entries whose interface is gone are freed first, the
// first free entry is taken, and the name width grows to fit.
func (d *dumpOut) dindex(ifindex int) int {
	for i, x := range d.slots {
		if x == ifindex {
			return i
		}
	}
	for i, x := range d.slots {
		if x != 0 {
			if _, ok := d.ifname(x); !ok {
				d.slots[i] = 0
			}
		}
	}
	name, ok := d.ifname(ifindex)
	if !ok {
		name = "if" + strconv.Itoa(ifindex)
	}
	d.maxDevLen = max(d.maxDevLen, len(name))
	for i, x := range d.slots {
		if x == 0 {
			d.slots[i], d.names[i] = ifindex, name
			return i
		}
	}
	d.slots = append(d.slots, ifindex)
	d.names = append(d.names, name)
	return len(d.slots) - 1
}

// write prints a batch of one socket. drops >= 0 is the number of frames
// the kernel dropped on that socket before this batch (-d), total its
// running count. It reports true once the -n count is reached.
func (d *dumpOut) write(msgs []can.RecvMsg, drops int64, total uint32) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return true, nil
	}
	if d.idle != nil {
		d.idle.Reset(d.o.timeout)
	}
	for i := range msgs {
		m := &msgs[i]
		if d.o.count > 0 {
			d.count++
			d.done = d.count >= d.o.count
		}
		if d.bridge != nil {
			if d.o.bridgeDelay > 0 {
				time.Sleep(d.o.bridgeDelay)
			}
			if err := d.bridge.WriteFrame(nil, &m.Frame); err != nil {
				return true, fmt.Errorf("dump: bridge write: %w", err)
			}
		}
		idx := d.dindex(m.Ifindex)
		if i == 0 && drops >= 0 {
			s := ""
			if drops > 1 {
				s = "s"
			}
			line := fmt.Sprintf("DROPCOUNT: dropped %d CAN frame%s on '%s' socket (total drops %d)\n",
				int32(drops), s, d.names[idx], int32(total))
			if d.o.silent != 2 {
				d.w.WriteString(line)
			}
			if d.logFile != nil && d.logW == nil {
				d.logFile.WriteString(line)
			}
		}
		d.frame(m, idx)
		if d.done {
			break
		}
	}
	if d.logW != nil {
		if err := d.logW.Flush(); err != nil {
			return true, fmt.Errorf("dump: log file: %w", err)
		}
	}
	if d.logFile != nil {
		if err := d.logFile.Flush(); err != nil {
			return true, fmt.Errorf("dump: log file: %w", err)
		}
	}
	if err := d.w.Flush(); err != nil {
		return true, err
	}
	return d.done, nil
}

func (d *dumpOut) flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.w.Flush()
}

// stamp returns the frame's time as candump holds it: seconds and
// microseconds (nanoseconds with --nanos), zero when there is none.
func (d *dumpOut) stamp(m *can.RecvMsg) (sec, frac int64) {
	t := m.Time
	if d.o.hw {
		t = m.HWTime
	}
	if t.IsZero() {
		return 0, 0
	}
	return t.Unix(), int64(t.Nanosecond())
}

// frame prints one frame: to the log file, then stdout in log format, as
// animation, or as a table line.
func (d *dumpOut) frame(m *can.RecvMsg, idx int) {
	o := d.o
	f := &m.Frame
	sec, nsec := d.stamp(m)
	usec := nsec / 1000
	if f.Extended {
		d.view |= viewIndentSFF
	}
	extra := ""
	if o.extra {
		extra = " R"
		if m.Own {
			extra = " T"
		}
	}
	if d.logW != nil {
		d.ent.Time, d.ent.Iface, d.ent.Frame, d.ent.Dir = time.Unix(sec, nsec), d.names[idx], *f, 0
		if m.FD {
			d.ent.Frame.Flags |= can.FDF
		}
		if m.Own {
			d.ent.Dir = 'T'
		}
		d.logW.Write(&d.ent) // a frame the format cannot hold is left out
	}
	if (d.logFile != nil && d.logW == nil) || (o.logfrmt && o.silent == 0) {
		b := append(d.buf[:0], '(')
		b = appendZeroPad(b, sec, 10)
		b = append(b, '.')
		if o.nanos {
			b = appendZeroPad(b, nsec, 9)
		} else {
			b = appendZeroPad(b, usec, 6)
		}
		b = append(b, ") "...)
		b = appendRightAligned(b, d.names[idx], d.maxDevLen)
		b = append(b, ' ')
		b = appendCompactFrame(b, f, m.FD)
		b = append(b, extra...)
		b = append(b, '\n')
		d.buf = b
		if d.logFile != nil && d.logW == nil {
			d.logFile.Write(b)
		}
		if o.logfrmt && o.silent == 0 {
			d.w.Write(b)
			return
		}
	}
	if o.silent != 0 {
		if o.silent == 1 {
			d.w.WriteByte(dumpAnimation[d.ani%len(dumpAnimation)])
			d.w.WriteByte('\b')
			d.ani = (d.ani + 1) % len(dumpAnimation)
		}
		return
	}
	col := dumpColors[idx%len(dumpColors)]
	b := append(d.buf[:0], ' ')
	if o.color > 2 {
		b = append(b, col...)
	}
	b = d.ts.append(b, sec, usec)
	b = append(b, ' ')
	if o.color > 0 && o.color < 3 {
		b = append(b, col...)
	}
	b = appendRightAligned(b, d.names[idx], d.maxDevLen)
	if o.extra {
		if m.Own {
			b = append(b, "  TX "...)
		} else {
			b = append(b, "  RX "...)
		}
		fl := 0
		if m.FD {
			fl = int(f.Flags & 3)
		}
		b = append(b, extraMsgInfo[fl]...)
	}
	if o.color == 1 {
		b = append(b, colorOff...)
	}
	b = append(b, "  "...)
	start := len(b)
	b = appendLongFrame(b, f, m.FD, d.view)
	if d.view&viewError != 0 && f.Error {
		b = append(b, "\n\t"...)
		end := len(b)
		var ok bool
		if b, ok = appendErrorText(b, f, "\n\t"); !ok {
			fmt.Fprintf(d.stderr, "Error class %#x is invalid\n", f.ID&can.EFFMask)
		}
		if !ok || len(b) == end {
			// An invalid class, or nothing to say: lib.c leaves its
			// buffer, the frame's text, as it was and prints it again.
			b = append(b[:end], b[start:end-2]...)
		}
	}
	if o.color > 1 {
		b = append(b, colorOff...)
	}
	b = append(b, '\n')
	if d.dbc != nil {
		if name, sigs, ok := d.dbc.Decode(f); ok {
			b = append(b, "        "...)
			b = append(b, can.FormatDecoded(name, sigs)...)
			b = append(b, '\n')
		}
	}
	d.buf = b
	d.w.Write(b)
}
