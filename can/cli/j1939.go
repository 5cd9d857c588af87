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
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// `fieldgate can j1939 send` and `recv` are j1939cat (send, and -r), with
// its FROM/TO addresses and options; testj1939's -p PRIO and -P
// (promiscuous) too; fieldgate's extras are long options.

// j1939MaxTransfer is j1939cat's largest transfer (7 * 0xFFFFFF bytes),
// its default -s.
const j1939MaxTransfer = 7 * 0x00ffffff

// parseHexUint parses a hex number, with or without 0x (as the
// configuration files write it).
func parseHexUint(flagName, s string, max uint64, form string) (uint64, error) {
	v, err := strconv.ParseUint(trim0x(s), 16, 64)
	if err != nil || v > max {
		return 0, usagef("-%s %q: want %s", flagName, s, form)
	}
	return v, nil
}

// parseCUint parses a number as strtoul(3) with base 0 reads it, which
// j1939cat uses for addresses, PGNs and NAMEs: 0x90 is hex, 0220 octal,
// 144 decimal. Trailing garbage, which strtoul ignores, is an error.
func parseCUint(s string, max uint64) (uint64, error) {
	digits, base := s, 10
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		digits, base = s[2:], 16
	case len(s) > 1 && s[0] == '0':
		digits, base = s[1:], 8
	}
	if digits == "" || strings.ContainsAny(digits, "_+-") {
		return 0, errors.New("not a number")
	}
	v, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return 0, errors.New("not a number (0x90 hex, 0220 octal, 144 decimal)")
	}
	if v > max {
		return 0, fmt.Errorf("%#x is above %#x", v, max)
	}
	return v, nil
}

// j1939Spec is a FROM or TO of j1939cat: [IFACE][:[SA][,[PGN][,NAME]]].
type j1939Spec struct {
	iface string
	addr  can.J1939Addr
}

// parseJ1939Spec parses spec as j1939cat does: unset parts are "no
// address", "no PGN" and "no NAME".
func parseJ1939Spec(spec string) (j1939Spec, error) {
	s := j1939Spec{addr: can.J1939Addr{Name: can.J1939NoName, PGN: can.J1939NoPGN, Addr: can.J1939NoAddr}}
	iface, rest, _ := strings.Cut(spec, ":")
	s.iface = iface
	parts := strings.SplitN(rest, ",", 3)
	for i, p := range parts {
		if p == "" {
			continue
		}
		switch i {
		case 0:
			v, err := parseCUint(p, 0xFF)
			if err != nil {
				return s, fmt.Errorf("%q: address %q: %v", spec, p, err)
			}
			s.addr.Addr = uint8(v)
		case 1:
			v, err := parseCUint(p, uint64(can.J1939NoPGN))
			if err != nil {
				return s, fmt.Errorf("%q: PGN %q: %v", spec, p, err)
			}
			s.addr.PGN = uint32(v)
		case 2:
			v, err := parseCUint(p, ^uint64(0))
			if err != nil {
				return s, fmt.Errorf("%q: NAME %q: %v", spec, p, err)
			}
			s.addr.Name = v
		}
	}
	return s, nil
}

func j1939Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "send":
			return j1939SendMain(ctx, args[1:], stdout, stderr)
		case "recv":
			return j1939RecvMain(ctx, args[1:], stdout, stderr)
		case "acd":
			return acdMain(ctx, args[1:], stdout, stderr)
		}
	}
	help := len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")
	w := stderr
	if help {
		w = stdout
	}
	fmt.Fprint(w, `usage: fieldgate can j1939 COMMAND [options] ...

SAE J1939 with can-utils' j1939 tools' options.

commands:
  send   send a file or standard input as J1939 messages (j1939cat)
  recv   write the J1939 messages received to standard output (j1939cat -r)
  acd    claim and defend a source address (j1939acd)
`)
	if help {
		return nil
	}
	if len(args) == 0 {
		return usagef("j1939: want send, recv or acd as the first argument")
	}
	return usagef("j1939: unknown command %q (want send, recv or acd)", args[0])
}

// j1939Addresses is the address help both commands print.
const j1939Addresses = `FROM and TO are j1939cat's [IFACE][:[SA][,[PGN][,NAME]]] (TO may leave out
IFACE: ":0x90,0x12300"; "-" leaves it unset). Numbers are read as C's
strtoul does: 0x90 hex, 0220 octal, 144 decimal.`

// j1939SendMain is j1939cat without -r.
func j1939SendMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		inFile    string
		data      string
		dataSet   bool
		size      = j1939MaxTransfer
		repeat    = 1
		broadcast bool
		prio      = -1
		poll      time.Duration
		events    bool
	)
	set := &optSet{name: "j1939 send", synopsis: `usage: fieldgate can j1939 send [options] FROM TO
j1939cat: send the bytes of -i FILE (default: standard input) from FROM to
TO, one J1939 message per -s SIZE bytes (transport protocol above 8 bytes).
` + j1939Addresses, trailer: `
Example: fieldgate can j1939 send -i some_file_to_send vcan0:0x80 :0x90,0x12300`}
	set.str('i', "", "FILE", "input file (default: standard input)", &inFile)
	set.fn('s', "", "SIZE", "maximal transfer size: the input goes in messages of at most SIZE bytes (default 117440505)", func(v string) error {
		n, err := parseCUint(v, j1939MaxTransfer)
		if err != nil || n == 0 {
			return fmt.Errorf("want a size 1..%d", j1939MaxTransfer)
		}
		size = int(n)
		return nil
	})
	set.fn('R', "", "COUNT", "send the input COUNT times (default 1)", func(v string) error {
		n, err := parseCUint(v, 1<<31-1)
		if err != nil || n < 1 {
			return errors.New("want a count >= 1")
		}
		repeat = int(n)
		return nil
	})
	set.flag('B', "", "allow sending to the broadcast address (TO's SA 0xff or none)", &broadcast)
	set.fn('p', "", "PRIO", "priority 0 (highest) .. 7 of the messages sent", func(v string) error {
		n, err := parseCUint(v, 7)
		if err != nil {
			return errors.New("want a priority 0..7")
		}
		prio = int(n)
		return nil
	})
	set.fn('P', "", "TIMEOUT", "give up when a message cannot be sent within TIMEOUT milliseconds", func(v string) error {
		n, err := parseCUint(v, 1<<31-1)
		if err != nil {
			return errors.New("want milliseconds")
		}
		poll = time.Duration(n) * time.Millisecond
		return nil
	})
	set.flag(0, "events", "wait for each transfer's end and print its events (error queue) on standard output", &events)
	set.fn(0, "data", "HEX", `send these hex bytes ("11 22 33" or 112233) instead of the input`, func(v string) error {
		data, dataSet = v, true
		return nil
	})
	operands, err := set.parse(args, stderr)
	if err != nil {
		return err
	}
	if len(operands) != 2 {
		return set.errorf("want FROM and TO, got %d arguments", len(operands))
	}
	if inFile != "" && dataSet {
		return set.errorf("give either -i or --data")
	}
	from, err := parseJ1939Spec(operands[0])
	if err != nil {
		return set.errorf("FROM %v", err)
	}
	to := j1939Spec{addr: can.J1939Addr{Name: can.J1939NoName, PGN: can.J1939NoPGN, Addr: can.J1939NoAddr}}
	if operands[1] != "-" {
		if to, err = parseJ1939Spec(operands[1]); err != nil {
			return set.errorf("TO %v", err)
		}
	}
	if operands[0] == "-" || from.iface == "" {
		return set.errorf("FROM needs an interface (IFACE[:SA[,PGN[,NAME]]])")
	}
	if to.iface != "" && to.iface != from.iface {
		return set.errorf("TO's interface %s is not FROM's %s", to.iface, from.iface)
	}
	if to.addr.PGN == can.J1939NoPGN {
		to.addr.PGN = from.addr.PGN
	}
	if to.addr.PGN == can.J1939NoPGN {
		return set.errorf("no PGN: give it in TO (:0x90,0x12300) or FROM")
	}
	var msg []byte
	switch {
	case dataSet:
		if msg, err = parseHexData("--data", data); err != nil {
			return err
		}
	case inFile != "":
		if msg, err = os.ReadFile(inFile); err != nil {
			return fmt.Errorf("j1939 send: -i: %w", err)
		}
	default:
		if msg, err = io.ReadAll(stdin); err != nil {
			return fmt.Errorf("j1939 send: stdin: %w", err)
		}
	}
	if len(msg) == 0 {
		return fmt.Errorf("j1939 send: empty input: nothing to send")
	}
	cfg := &can.J1939Config{Local: from.addr, Broadcast: broadcast, ErrQueue: events}
	if prio >= 0 {
		p := uint8(prio)
		cfg.Priority = &p
	}
	c, err := can.ListenJ1939(from.iface, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	for r := 0; r < repeat; r++ {
		for off := 0; off < len(msg); off += size {
			chunk := msg[off:min(off+size, len(msg))]
			if err := j1939SendOne(ctx, c, chunk, from.addr, to.addr, poll, events, stdout); err != nil {
				return err
			}
		}
	}
	return nil
}

// j1939SendOne sends one message and, with events, prints the transfer's
// events until it completes or is aborted.
func j1939SendOne(ctx context.Context, c *can.J1939Conn, msg []byte, from, to can.J1939Addr, poll time.Duration, events bool, stdout io.Writer) error {
	if poll > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, poll)
		defer cancel()
	}
	if err := c.WriteTo(ctx, msg, to); err != nil {
		if poll > 0 && ctx.Err() != nil {
			return fmt.Errorf("j1939 send: %d-byte message not sent within %v (-P)", len(msg), poll)
		}
		return err
	}
	for events {
		ev, err := c.ReadEvent(ctx)
		if err != nil {
			return err
		}
		fillEvent(&ev, from, to, len(msg))
		fmt.Fprintln(stdout, ev)
		switch ev.Kind {
		case can.J1939EventCompleted:
			return nil
		case can.J1939EventTxAbort:
			return fmt.Errorf("j1939 send: transfer aborted: %v", ev)
		}
	}
	return nil
}

// j1939RecvMain is j1939cat -r.
func j1939RecvMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		size       = j1939MaxTransfer
		broadcast  bool
		promisc    bool
		count      int
		out        string
		printLines bool
		timeout    time.Duration
	)
	set := &optSet{name: "j1939 recv", synopsis: `usage: fieldgate can j1939 recv [options] FROM
j1939cat -r: write the payload of every J1939 message received at FROM to
standard output, as it arrives, raw.
` + j1939Addresses, trailer: `
Example: fieldgate can j1939 recv vcan0:0x90 > /tmp/some_file_to_receive`}
	set.fn('r', "", "", "receive (j1939cat's switch; recv always receives)", func(string) error { return nil })
	set.fn('s', "", "SIZE", "receive buffer: a longer message is an error (default 117440505)", func(v string) error {
		n, err := parseCUint(v, j1939MaxTransfer)
		if err != nil || n == 0 {
			return fmt.Errorf("want a size 1..%d", j1939MaxTransfer)
		}
		size = int(n)
		return nil
	})
	set.flag('B', "", "receive broadcast messages too", &broadcast)
	set.flag('P', "promisc", "promiscuous: receive all traffic, not only what is addressed to FROM (testj1939 -P)", &promisc)
	set.intOpt(0, "count", "N", "exit after N messages (default: run until interrupted)", &count, 1, 1<<31-1)
	set.str(0, "out", "FILE", "write the payloads to FILE instead of standard output", &out)
	set.flag(0, "print", "one line per message (source, destination, priority, hex payload) instead of raw bytes", &printLines)
	set.fn(0, "timeout", "TIME", "give up when no message arrives within TIME (e.g. 2s)", func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("want a positive duration such as 500ms or 2s")
		}
		timeout = d
		return nil
	})
	operands, err := set.parse(args, stderr)
	if err != nil {
		return err
	}
	if len(operands) < 1 || len(operands) > 2 {
		return set.errorf("want FROM (and an optional TO, unused), got %d arguments", len(operands))
	}
	from, err := parseJ1939Spec(operands[0])
	if err != nil {
		return set.errorf("FROM %v", err)
	}
	if from.iface == "" {
		return set.errorf("FROM needs an interface (IFACE[:SA[,PGN[,NAME]]])")
	}
	var w io.Writer = stdout
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return fmt.Errorf("j1939 recv: --out: %w", err)
		}
		defer f.Close()
		w = f
	}
	c, err := can.ListenJ1939(from.iface, &can.J1939Config{Local: from.addr, Broadcast: broadcast, Promiscuous: promisc})
	if err != nil {
		return err
	}
	defer c.Close()
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	buf := make([]byte, size)
	for i := 0; count == 0 || i < count; i++ {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if timeout > 0 {
			rctx, cancel = context.WithTimeout(ctx, timeout)
		}
		n, src, meta, err := c.ReadFrom(rctx, buf)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil // interrupted
			}
			if rctx.Err() != nil {
				return fmt.Errorf("j1939 recv: no message on %s within %v", from.iface, timeout)
			}
			return err
		}
		if printLines {
			fmt.Fprintf(bw, "%s dst=%#02x prio=%d len=%d: %X\n", src, meta.DestAddr, meta.Priority, n, buf[:n])
		} else {
			bw.Write(buf[:n])
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("j1939 recv: %w", err)
		}
	}
	return nil
}

// fillEvent completes an event of our one send with what the kernel
// leaves out (Linux 6.1 reports only the bytes acknowledged): the PGN,
// the addresses and NAMEs, and the size of the message sent.
func fillEvent(ev *can.J1939Event, from, to can.J1939Addr, size int) {
	if ev.PGN == 0 {
		ev.PGN = to.PGN
	}
	if ev.SrcAddr == 0 && from.Addr != can.J1939NoAddr {
		ev.SrcAddr = from.Addr
	}
	if ev.DestAddr == 0 {
		ev.DestAddr = to.Addr
	}
	if ev.SrcName == 0 {
		ev.SrcName = from.Name
	}
	if ev.DestName == 0 && to.Name != can.J1939NoName {
		ev.DestName = to.Name
	}
	if ev.TotalSize == 0 {
		ev.TotalSize = uint32(size)
	}
}
