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
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// `fieldgate can isotp sniff` is isotpsniffer (the PDUs of a transfer
// between two CAN IDs, reassembled by two listen-mode ISO-TP sockets) and
// `fieldgate can isotp dump` is isotpdump (each ISO-TP frame explained);
// options and output as theirs, byte for byte.

const (
	fgRed   = "\x1b[31m"
	fgBlue  = "\x1b[34m"
	attrOff = "\x1b[0m"
)

// parseISOTPToolID parses the -s/-d identifier of the isotp tools: hex,
// 8 digits (more than 7) for a 29-bit identifier.
func parseISOTPToolID(v string) (uint32, error) {
	id, err := strconv.ParseUint(trim0x(v), 16, 32)
	if err != nil {
		return 0, errors.New("want a hex CAN identifier (8 digits for a 29-bit one)")
	}
	if len(v) > 7 {
		if id > uint64(can.EFFMask) {
			return 0, errors.New("29-bit identifier above 1FFFFFFF")
		}
		return uint32(id) | can.EFFFlag, nil
	}
	if id > uint64(can.SFFMask) {
		return 0, errors.New("11-bit identifier above 7FF (write 8 digits for a 29-bit one)")
	}
	return uint32(id), nil
}

func parseHexAddr(v string) (uint8, error) {
	n, err := strconv.ParseUint(trim0x(v), 16, 8)
	if err != nil {
		return 0, errors.New("want a hex address byte 00..FF")
	}
	return uint8(n), nil
}

// trim0x drops a 0x or 0X prefix, which strtoul(3) with base 16 (the
// can-utils tools' parser) accepts.
func trim0x(v string) string {
	if len(v) > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') {
		return v[2:]
	}
	return v
}

func parseTimestampMode(v string, p *byte) error {
	if len(v) != 1 || !strings.Contains("aAdz", v) {
		return errors.New("want a, A, d or z")
	}
	*p = v[0]
	return nil
}

// appendPrintf appends s as printf's "%*s" does, a negative width
// justifying it left.
func appendPrintf(b []byte, s string, width int) []byte {
	if width < 0 {
		b = append(b, s...)
		for i := len(s); i < -width; i++ {
			b = append(b, ' ')
		}
		return b
	}
	return appendRightAligned(b, s, width)
}

// sniffOptions are isotpsniffer's options.
type sniffOptions struct {
	src, dst   uint32
	srcSet     bool
	dstSet     bool
	ext, rxExt *uint8
	color      bool
	stamp      timestampFormat
	format     int
	ll         *can.ISOTPLinkLayer
	head       int
}

const (
	sniffHex   = 1
	sniffASCII = 2
)

func isotpSniffMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := sniffOptions{format: sniffHex | sniffASCII}
	set := &optSet{name: "isotp sniff", synopsis: `usage: fieldgate can isotp sniff -s ID -d ID [options] IFACE
isotpsniffer: print the PDUs of an ISO-TP transfer between the CAN IDs -s and
-d (hex, 8 digits for 29-bit IDs), reassembled by two listen-mode sockets.
A line on standard input quits.`}
	set.fn('s', "", "ID", "source CAN ID", func(v string) (err error) { o.src, err = parseISOTPToolID(v); o.srcSet = true; return })
	set.fn('d', "", "ID", "destination CAN ID", func(v string) (err error) { o.dst, err = parseISOTPToolID(v); o.dstSet = true; return })
	set.fn('x', "", "ADDR", "extended addressing with ADDR (hex)", func(v string) error {
		a, err := parseHexAddr(v)
		o.ext = &a
		return err
	})
	set.fn('X', "", "ADDR", "extended addressing, receive address (hex; needs -x)", func(v string) error {
		a, err := parseHexAddr(v)
		o.rxExt = &a
		return err
	})
	set.fn('c', "", "", "color mode", func(string) error { o.color = true; return nil })
	set.fn('t', "", "TYPE", "timestamp: (a)bsolute, (d)elta, (z)ero, (A)bsolute with date", func(v string) error { return parseTimestampMode(v, &o.stamp.mode) })
	set.fn('f', "", "FORMAT", "1 = hex, 2 = ASCII, 3 = hex and ASCII (default 3)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3 {
			return errors.New("want 1, 2 or 3")
		}
		o.format = n
		return nil
	})
	set.fn('L', "", "MTU:TX_DL:TX_FLAGS", "link layer options for CAN FD, e.g. 72:64:1 (on the -s side, as isotpsniffer)", func(v string) error {
		n, err := parseLinkLayer(v)
		if err != nil {
			return err
		}
		if n[0] != 0 {
			o.ll = &can.ISOTPLinkLayer{MTU: n[0], TxDL: n[1], TxFlags: can.FDFlags(n[2])}
		}
		return nil
	})
	set.intOpt('h', "", "LEN", "print only the first LEN bytes of each PDU", &o.head, 0, 1<<31-1)
	operands, err := set.parse(args, stderr)
	if err != nil {
		return err
	}
	if len(operands) != 1 || !o.srcSet || !o.dstSet {
		return set.errorf("want -s ID, -d ID and one IFACE")
	}
	if o.rxExt != nil && o.ext == nil {
		return set.errorf("-X needs -x")
	}
	iface := operands[0]
	if len(iface) > 15 {
		iface = iface[:15]
	}
	// s receives what dst sends, t what src sends (with the -L options).
	cs := &can.ISOTPConfig{ListenMode: true, ExtAddr: o.ext, RxExtAddr: o.rxExt}
	ct := &can.ISOTPConfig{ListenMode: true, ExtAddr: o.ext, RxExtAddr: o.rxExt, LinkLayer: o.ll}
	if o.rxExt != nil {
		ct.ExtAddr, ct.RxExtAddr = o.rxExt, o.ext
	}
	s, err := can.DialISOTP(iface, o.dst, o.src, cs)
	if err != nil {
		return fmt.Errorf("isotp sniff: %w", err)
	}
	defer s.Close()
	t, err := can.DialISOTP(iface, o.src, o.dst, ct)
	if err != nil {
		return fmt.Errorf("isotp sniff: %w", err)
	}
	defer t.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := bufio.NewWriter(stdout)
	var mu sync.Mutex
	go func() {
		// isotpsniffer quits on keyboard input.
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err == nil {
			mu.Lock()
			fmt.Fprintln(w, "quit due to keyboard input.")
			w.Flush()
			mu.Unlock()
			cancel()
		}
	}()
	errc := make(chan error, 2)
	read := func(c *can.ISOTPConn, id uint32, color string, name string) {
		buf := make([]byte, 8192)
		var line []byte
		for {
			n, err := c.ReadPDU(ctx, buf)
			if err != nil {
				if ctx.Err() != nil {
					errc <- nil
				} else {
					errc <- fmt.Errorf("isotp sniff: read socket %s: %w", name, err)
				}
				return
			}
			mu.Lock()
			var ts time.Time
			if o.stamp.mode != 0 {
				ts, _ = c.Timestamp()
			}
			line = o.appendPDU(line[:0], buf[:n], id, color, ts, iface)
			w.Write(line)
			err = w.Flush()
			mu.Unlock()
			if err != nil {
				errc <- err
				return
			}
		}
	}
	go read(s, o.dst, fgBlue, "s")
	go read(t, o.src, fgRed, "t")
	err = <-errc
	cancel()
	if err2 := <-errc; err == nil {
		err = err2
	}
	return err
}

// appendPDU is isotpsniffer's printbuf.
func (o *sniffOptions) appendPDU(b, pdu []byte, id uint32, color string, ts time.Time, iface string) []byte {
	if o.color {
		b = append(b, color...)
	}
	if o.stamp.mode != 0 {
		b = o.stamp.appendTime(b, ts)
	}
	b = append(b, ' ')
	b = append(b, iface...)
	b = append(b, "  "...)
	b = appendMinHex(b, id&can.EFFMask, 3)
	b = append(b, "  ["...)
	b = strconv.AppendInt(b, int64(len(pdu)), 10)
	b = append(b, "]  "...)
	head := o.head
	if o.format&sniffHex != 0 {
		for i, c := range pdu {
			b = appendHexByte(b, c)
			b = append(b, ' ')
			if head > 0 && i+1 >= head {
				b = append(b, "... "...)
				break
			}
		}
		if o.format&sniffASCII != 0 {
			b = append(b, " - "...)
		}
	}
	if o.format&sniffASCII != 0 {
		b = append(b, '\'')
		i := 0
		for ; i < len(pdu); i++ {
			if c := pdu[i]; c >= 0x20 && c < 0x7F {
				b = append(b, c)
			} else {
				b = append(b, '.')
			}
			if head > 0 && i+1 >= head {
				break
			}
		}
		b = append(b, '\'')
		if head > 0 && i+1 >= head {
			b = append(b, " ... "...)
		}
	}
	if o.color {
		b = append(b, attrOff...)
	}
	return append(b, '\n')
}

// appendMinHex is printf's "%0*X": v in upper-case hex, at least digits wide.
func appendMinHex(b []byte, v uint32, digits int) []byte {
	var tmp [8]byte
	s := strconv.AppendUint(tmp[:0], uint64(v), 16)
	for i := len(s); i < digits; i++ {
		b = append(b, '0')
	}
	for _, c := range s {
		if c >= 'a' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}
