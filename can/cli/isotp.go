package cli

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// parseHexData parses "11 22 33", "112233" or "11.22.33".
func parseHexData(what, s string) ([]byte, error) {
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "", "\r", "", ".", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, usagef("%s: want hex bytes such as \"11 22 33\" or 112233: %v", what, err)
	}
	return b, nil
}

const hexDigits = "0123456789ABCDEF"

// stdin is where isotp send reads its PDU (a variable for the tests).
var stdin io.Reader = os.Stdin

// isotpMaxPDU is the largest PDU isotpsend and isotprecv handle: their
// 67000-byte buffer, above Linux's limit of 66000 (the kernel refuses a
// larger one with EINVAL, as for them).
const isotpMaxPDU = 67000

func isotpMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "send":
			return isotpSendMain(ctx, args[1:], stdout, stderr)
		case "recv":
			return isotpRecvMain(ctx, args[1:], stdout, stderr)
		case "sniff":
			return isotpSniffMain(ctx, args[1:], stdout, stderr)
		case "dump":
			return isotpDumpMain(ctx, args[1:], stdout, stderr)
		}
	}
	help := len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")
	w := stderr
	if help {
		w = stdout
	}
	fmt.Fprint(w, `usage: fieldgate can isotp COMMAND [options] IFACE

ISO-TP (ISO 15765-2) with can-utils' isotp tools' options and output.

commands:
  send   send one PDU read as hex bytes from stdin (isotpsend)
  recv   receive PDUs and print them as hex bytes (isotprecv)
  sniff  print the PDUs of a transfer between two CAN IDs (isotpsniffer)
  dump   explain each ISO-TP frame (isotpdump)
`)
	if help {
		return nil
	}
	if len(args) == 0 {
		return usagef("isotp: want send, recv, sniff or dump as the first argument")
	}
	return usagef("isotp: unknown command %q (want send, recv, sniff or dump)", args[0])
}

// isotpCommon holds the options isotpsend and isotprecv share.
type isotpCommon struct {
	tx, rx       uint32
	txSet, rxSet bool
	cfg          can.ISOTPConfig
	ll           *can.ISOTPLinkLayer
	fd, brs      bool
	timeout      time.Duration
}

// addCommon adds -s, -d, -x, -p, -P, -L and the long extras both tools
// share; force is -f's meaning (the forced STmin of sent or received
// consecutive frames).
func (o *isotpCommon) addCommon(set *optSet, send bool) {
	set.fn('s', "", "ID", "source CAN ID (hex; 8 digits for a 29-bit ID)", func(v string) (err error) {
		o.tx, err = parseISOTPToolID(v)
		o.txSet = true
		return
	})
	set.fn('d', "", "ID", "destination CAN ID (hex; 8 digits for a 29-bit ID)", func(v string) (err error) {
		o.rx, err = parseISOTPToolID(v)
		o.rxSet = true
		return
	})
	set.fn('x', "", "ADDR[:RXADDR]", "extended addressing, optionally a separate receive address (hex)", func(v string) error {
		a, b, two := strings.Cut(v, ":")
		e, err := parseHexAddr(a)
		if err != nil {
			return err
		}
		o.cfg.ExtAddr = &e
		o.cfg.RxExtAddr = nil
		if two {
			r, err := parseHexAddr(b)
			if err != nil {
				return err
			}
			o.cfg.RxExtAddr = &r
		}
		return nil
	})
	set.fn('p', "", "[TX]:[RX]", "set and enable the padding bytes of sent (TX) and received (RX) frames (hex)", func(v string) error {
		a, b, two := strings.Cut(v, ":")
		if a == "" && (!two || b == "") {
			return errors.New("want TX, TX:RX or :RX (hex bytes)")
		}
		if a != "" {
			p, err := parseHexAddr(a)
			if err != nil {
				return err
			}
			o.cfg.TxPad = &p
		}
		if two && b != "" {
			p, err := parseHexAddr(b)
			if err != nil {
				return err
			}
			o.cfg.RxPad = &p
		}
		return nil
	})
	set.fn('P', "", "MODE", "check the padding of received frames: (l)ength, (c)ontent, (a)ll", func(v string) error {
		switch v[:min(len(v), 1)] {
		case "l":
			o.cfg.Flags |= can.ISOTPChkPadLen
		case "c":
			o.cfg.Flags |= can.ISOTPChkPadData
		case "a":
			o.cfg.Flags |= can.ISOTPChkPadLen | can.ISOTPChkPadData
		default:
			return errors.New("want l, c or a")
		}
		return nil
	})
	if send {
		set.fn('t', "", "NS", "frame transmit time (N_As) in nanoseconds; ZERO for none (Linux 5.18+)", func(v string) error {
			if strings.HasPrefix(v, "ZERO") {
				o.cfg.FrameTxTime = can.ISOTPFrameTxTimeZero
				return nil
			}
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n == uint64(can.ISOTPFrameTxTimeZero) {
				return errors.New("want nanoseconds 0..4294967294 or ZERO")
			}
			o.cfg.FrameTxTime = time.Duration(n)
			return nil
		})
		set.fn('f', "", "NS", "ignore the flow control's STmin, send consecutive frames NS nanoseconds apart", func(v string) error {
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return errors.New("want nanoseconds 0..4294967295")
			}
			o.cfg.Flags |= can.ISOTPForceTxSTmin
			o.cfg.TxSTmin = time.Duration(n)
			return nil
		})
	} else {
		set.fn('f', "", "NS", "drop consecutive frames that arrive less than NS nanoseconds apart (forced rx STmin)", func(v string) error {
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return errors.New("want nanoseconds 0..4294967295")
			}
			o.cfg.Flags |= can.ISOTPForceRxSTmin
			o.cfg.RxSTmin = time.Duration(n)
			return nil
		})
	}
	set.fn('L', "", "MTU:TX_DL:TX_FLAGS", "link layer options for CAN FD, e.g. 72:64:1 (decimal; TX_DL 0 keeps the default)", func(v string) error {
		n, err := parseLinkLayer(v)
		if err != nil {
			return err
		}
		o.ll = nil
		if n[1] != 0 {
			o.ll = &can.ISOTPLinkLayer{MTU: n[0], TxDL: n[1], TxFlags: can.FDFlags(n[2])}
		}
		return nil
	})
	set.flag(0, "fd", "CAN FD link layer with 64-byte frames (-L 72:64:0)", &o.fd)
	set.flag(0, "brs", "with --fd: bit rate switch (-L 72:64:1)", &o.brs)
	set.fn(0, "timeout", "TIME", "give up after TIME (e.g. 2s; default: wait forever)", func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("want a positive duration such as 500ms or 2s")
		}
		o.timeout = d
		return nil
	})
}

// check checks the options both tools share.
func (o *isotpCommon) check(set *optSet, operands []string, rxOptional bool) error {
	if len(operands) != 1 {
		return set.errorf("want one IFACE, got %d arguments", len(operands))
	}
	if !o.txSet || (!o.rxSet && !rxOptional) {
		return set.errorf("-s ID and -d ID are required")
	}
	if o.brs && !o.fd {
		return set.errorf("--brs needs --fd")
	}
	if o.fd && o.ll != nil {
		return set.errorf("give either -L or --fd")
	}
	return nil
}

// dial opens the socket on operands[0] (after check).
func (o *isotpCommon) dial(operands []string) (*can.ISOTPConn, error) {
	if o.fd {
		o.ll = &can.ISOTPLinkLayer{MTU: can.FDMTU, TxDL: 64}
		if o.brs {
			o.ll.TxFlags = can.BRS
		}
	}
	o.cfg.LinkLayer = o.ll
	rx := o.rx
	if !o.rxSet {
		rx = o.tx // not used: broadcast sockets register no reception
	}
	return can.DialISOTP(operands[0], rx, o.tx, &o.cfg)
}

// withTimeout bounds ctx by the --timeout option.
func (o *isotpCommon) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.timeout > 0 {
		return context.WithTimeout(ctx, o.timeout)
	}
	return context.WithCancel(ctx)
}

// isotpSendMain is isotpsend.
func isotpSendMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		o       isotpCommon
		datalen int
		loops   = 1 // 0: forever
		gap     time.Duration
		inFile  string
		data    string
		dataSet bool
	)
	set := &optSet{name: "isotp send", synopsis: `usage: fieldgate can isotp send -s ID -d ID [options] IFACE
isotpsend: send one ISO-TP PDU from the CAN ID -s to the peer listening on
-d. The PDU is read from standard input as space-separated hex bytes
("11 22 33"), unless -D, -i or --data gives it.`, trailer: `
CAN IDs and addresses are hexadecimal. Example:
  echo 11 22 33 44 55 66 77 88 99 | fieldgate can isotp send -s 123 -d 321 vcan0`}
	o.addCommon(set, true)
	set.fn('D', "", "LEN", "send a fixed PDU of LEN bytes (01 02 .. FF 01 ..), no standard input", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n >= isotpMaxPDU {
			return fmt.Errorf("want a length 1..%d", isotpMaxPDU-1)
		}
		datalen = n
		return nil
	})
	set.fn('l', "", "NUM", "send the PDU NUM times; i = forever", func(v string) error {
		if v == "i" || strings.HasPrefix(v, "i") {
			loops = 0
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errors.New("want a count >= 1 or i")
		}
		loops = n
		return nil
	})
	set.fn('g', "", "USECS", "wait USECS microseconds before sending each PDU", func(v string) error {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return errors.New("want microseconds")
		}
		gap = time.Duration(n) * time.Microsecond
		return nil
	})
	set.fn('b', "", "", "block until the PDU is sent completely", func(string) error { o.cfg.Flags |= can.ISOTPWaitTxDone; return nil })
	set.fn('S', "", "", "single frame broadcast (functional addressing; -d not needed)", func(string) error { o.cfg.Flags |= can.ISOTPSFBroadcast; return nil })
	set.fn('C', "", "", "consecutive frame broadcast: wait for no flow control (-d not needed; Linux 5.19+)", func(string) error { o.cfg.Flags |= can.ISOTPCFBroadcast; return nil })
	set.str('i', "", "FILE", "send the bytes of FILE (binary) instead of standard input", &inFile)
	set.fn(0, "data", "HEX", `send these hex bytes ("11 22 33", 112233 or 11.22.33) instead of standard input`, func(v string) error {
		data, dataSet = v, true
		return nil
	})
	operands, err := set.parse(args, stderr)
	if err != nil {
		return err
	}
	const bc = can.ISOTPSFBroadcast | can.ISOTPCFBroadcast
	if o.cfg.Flags&bc == bc {
		return set.errorf("give either -S or -C")
	}
	sources := 0
	for _, given := range []bool{datalen > 0, inFile != "", dataSet} {
		if given {
			sources++
		}
	}
	if sources > 1 {
		return set.errorf("give at most one of -D, -i and --data")
	}
	if err := o.check(set, operands, o.cfg.Flags&bc != 0); err != nil {
		return err
	}
	// The PDU first: a bad input fails before any socket exists.
	var pdu []byte
	switch {
	case datalen > 0:
		pdu = make([]byte, datalen)
		for i := range pdu {
			pdu[i] = byte(i%0xFF + 1)
		}
	case inFile != "":
		if pdu, err = os.ReadFile(inFile); err != nil {
			return fmt.Errorf("isotp send: -i: %w", err)
		}
	case dataSet:
		if pdu, err = parseHexData("--data", data); err != nil {
			return err
		}
	default:
		if pdu, err = readHexBytes(stdin, "stdin"); err != nil {
			return err
		}
	}
	if len(pdu) == 0 {
		return fmt.Errorf("isotp send: empty PDU: nothing to send")
	}
	c, err := o.dial(operands)
	if err != nil {
		return err
	}
	// Closing waits for the kernel to finish the transfer.
	defer c.Close()
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	for i := 0; loops == 0 || i < loops; i++ {
		if gap > 0 {
			select {
			case <-time.After(gap):
			case <-ctx.Done():
				return nil
			}
		}
		if err := c.WritePDU(ctx, pdu); err != nil {
			if ctx.Err() != nil && o.timeout == 0 {
				return nil // interrupted
			}
			return err
		}
	}
	return nil
}

// readHexBytes reads a PDU as isotpsend does: space-separated hex bytes
// ("11 22 33", each optionally 0x-prefixed) up to the end of input. Where
// isotpsend silently stops at a word that is no hex byte (or keeps the
// last two digits of a longer one), this is an error naming the word.
func readHexBytes(r io.Reader, name string) ([]byte, error) {
	in, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("isotp send: %s: %w", name, err)
	}
	var pdu []byte
	for i, w := range strings.Fields(string(in)) {
		digits := w
		if len(digits) > 2 && (digits[:2] == "0x" || digits[:2] == "0X") {
			digits = digits[2:]
		}
		v, err := strconv.ParseUint(digits, 16, 8)
		if err != nil || len(digits) > 2 {
			return nil, usagef("isotp send: %s: word %d %q: want one hex byte 00..FF per word, as isotpsend reads (e.g. \"11 22 33\")", name, i+1, w)
		}
		if len(pdu) == isotpMaxPDU {
			return nil, usagef("isotp send: %s: more than %d bytes", name, isotpMaxPDU)
		}
		pdu = append(pdu, byte(v))
	}
	return pdu, nil
}

// isotpRecvMain is isotprecv.
func isotpRecvMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		o          isotpCommon
		fc         can.ISOTPFlowControl
		loop       bool
		count      = 1
		out        string
		listenOnly bool
	)
	set := &optSet{name: "isotp recv", synopsis: `usage: fieldgate can isotp recv -s ID -d ID [options] IFACE
isotprecv: receive an ISO-TP PDU sent to the CAN ID -d (flow control goes
to -s) and print it on standard output as space-separated hex bytes
("11 22 33 \n", as isotprecv).`, trailer: `
CAN IDs and addresses are hexadecimal. Example:
  fieldgate can isotp recv -s 321 -d 123 -l vcan0`}
	o.addCommon(set, false)
	hexFC := func(p *uint8) func(string) error {
		return func(v string) error {
			n, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(v, "0x"), "0X"), 16, 8)
			if err != nil {
				return errors.New("want one hex byte 00..FF")
			}
			*p = uint8(n)
			return nil
		}
	}
	set.fn('b', "", "BS", "block size of the flow control sent (hex; 0 = off)", hexFC(&fc.BlockSize))
	set.fn('m', "", "STMIN", "STmin of the flow control sent (hex: 00..7F ms, F1..F9 100..900 µs)", hexFC(&fc.STmin))
	set.fn('w', "", "NUM", "max. number of wait frames (hex)", hexFC(&fc.WFTmax))
	set.flag('l', "", "loop: do not exit after a PDU", &loop)
	set.intOpt(0, "count", "N", "exit after N PDUs (default 1; -l: forever)", &count, 1, 1<<31-1)
	set.str(0, "out", "FILE", "write the PDUs' bytes raw to FILE instead of hex lines on standard output", &out)
	set.flag(0, "listen-only", "send no flow control (listen mode)", &listenOnly)
	operands, err := set.parse(args, stderr)
	if err != nil {
		return err
	}
	if err := o.check(set, operands, false); err != nil {
		return err
	}
	if loop {
		count = 0
	}
	o.cfg.FlowControl = &fc
	o.cfg.ListenMode = listenOnly
	var w io.Writer = stdout
	raw := false
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return fmt.Errorf("isotp recv: --out: %w", err)
		}
		defer f.Close()
		w, raw = f, true
	}
	c, err := o.dial(operands)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	buf := make([]byte, isotpMaxPDU)
	line := make([]byte, 0, 3*isotpMaxPDU+1)
	for i := 0; count == 0 || i < count; i++ {
		n, err := c.ReadPDU(ctx, buf)
		if err != nil {
			if ctx.Err() != nil {
				if o.timeout > 0 {
					return fmt.Errorf("isotp recv: no PDU on %s within %v", operands[0], o.timeout)
				}
				return nil // interrupted
			}
			// isotprecv prints an empty line for a failed read
			// (a padding check, a timeout of the transfer) and goes
			// on with -l.
			if !raw {
				bw.WriteByte('\n')
				bw.Flush()
			}
			if count == 0 {
				fmt.Fprintf(stderr, "fieldgate can: %v\n", err)
				continue
			}
			return err
		}
		if raw {
			bw.Write(buf[:n])
		} else {
			line = line[:0]
			for _, b := range buf[:n] {
				line = append(line, hexDigits[b>>4], hexDigits[b&15], ' ')
			}
			line = append(line, '\n')
			bw.Write(line)
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("isotp recv: %w", err)
		}
	}
	return nil
}

// parseLinkLayer parses the isotp tools' -L MTU:TX_DL:TX_FLAGS, three
// decimal bytes.
func parseLinkLayer(v string) ([3]uint8, error) {
	var n [3]uint8
	p := strings.Split(v, ":")
	if len(p) != 3 {
		return n, errors.New("want MTU:TX_DL:TX_FLAGS")
	}
	for i, s := range p {
		x, err := strconv.ParseUint(s, 10, 8)
		if err != nil {
			return n, errors.New("want three decimal bytes MTU:TX_DL:TX_FLAGS")
		}
		n[i] = uint8(x)
	}
	return n, nil
}
