package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/fieldgate/fieldgate/can"
)

// parseHexUint parses a hex number, with or without 0x (as the
// configuration files write it).
func parseHexUint(flagName, s string, max uint64, form string) (uint64, error) {
	digits := s
	if len(digits) > 2 && (digits[:2] == "0x" || digits[:2] == "0X") {
		digits = digits[2:]
	}
	v, err := strconv.ParseUint(digits, 16, 64)
	if err != nil || v > max {
		return 0, usagef("-%s %q: want %s", flagName, s, form)
	}
	return v, nil
}

func j1939Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "acd" {
		return acdMain(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || (args[0] != "send" && args[0] != "recv") {
		fmt.Fprintln(stderr, "usage: fieldgate can j1939 send|recv [flags] IFACE | j1939 acd [options] NAME [IFACE]")
		return usagef("j1939: want send, recv or acd (j1939acd) as the first argument")
	}
	mode := args[0]
	fs := flag.NewFlagSet("j1939 "+mode, flag.ContinueOnError)
	src := fs.String("s", "", "local (source) `ADDR`, hex 00..FD (default: none)")
	name := fs.String("N", "", "local `NAME`, hex 64-bit (default: none)")
	dst := fs.String("d", "FF", "destination `ADDR`, hex (FF = broadcast)")
	dstName := fs.String("dn", "", "destination `NAME`, hex")
	pgn := fs.String("p", "", "`PGN`, hex (send: required; recv: filter)")
	prio := fs.Int("P", -1, "send `PRIORITY` 0..7")
	data := fs.String("D", "", "message as `HEX` bytes")
	in := fs.String("i", "", "send the contents of `FILE` as one message")
	events := fs.Bool("events", false, "send: print transfer events (error queue) until completion")
	promisc := fs.Bool("promisc", false, "recv: receive all traffic (promiscuous)")
	count := fs.Int("n", 1, "recv: `COUNT` messages (0 = forever)")
	out := fs.String("o", "", "recv: write payloads raw to `FILE`")
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("j1939 %s: want exactly one IFACE argument, got %d", mode, fs.NArg())
	}
	cfg := &can.J1939Config{Local: can.J1939Addr{PGN: can.J1939NoPGN, Addr: can.J1939NoAddr}, Promiscuous: *promisc}
	if *src != "" {
		v, err := parseHexUint("s", *src, 0xFD, "a hex address 00..FD")
		if err != nil {
			return err
		}
		cfg.Local.Addr = uint8(v)
	}
	if *name != "" {
		v, err := parseHexUint("N", *name, ^uint64(0), "a hex 64-bit NAME")
		if err != nil {
			return err
		}
		cfg.Local.Name = v
	}
	var p uint32 = can.J1939NoPGN
	if *pgn != "" {
		v, err := parseHexUint("p", *pgn, uint64(can.J1939PGNMax), "a hex PGN 0..3FFFF")
		if err != nil {
			return err
		}
		p = uint32(v)
	}
	if *prio >= 0 {
		if *prio > 7 {
			return usagef("-P %d: want a priority 0..7", *prio)
		}
		pr := uint8(*prio)
		cfg.Priority = &pr
	}
	if mode == "send" {
		if p == can.J1939NoPGN {
			return usagef("j1939 send: -p PGN is required")
		}
		d, err := parseHexUint("d", *dst, 0xFF, "a hex address 00..FF")
		if err != nil {
			return err
		}
		to := can.J1939Addr{PGN: p, Addr: uint8(d), Name: can.J1939NoName}
		if *dstName != "" {
			v, err := parseHexUint("dn", *dstName, ^uint64(0), "a hex 64-bit NAME")
			if err != nil {
				return err
			}
			to.Name = v
		}
		cfg.Broadcast = to.Addr == can.J1939NoAddr && to.Name == 0
		cfg.ErrQueue = *events
		var msg []byte
		switch {
		case *in != "":
			if msg, err = os.ReadFile(*in); err != nil {
				return fmt.Errorf("j1939 send: -i: %w", err)
			}
		case *data != "":
			if msg, err = parseHexData("-D", *data); err != nil {
				return err
			}
		default:
			return usagef("j1939 send: give the message with -D HEX or -i FILE")
		}
		c, err := can.ListenJ1939(fs.Arg(0), cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.WriteTo(ctx, msg, to); err != nil {
			return err
		}
		if *events {
			for {
				ev, err := c.ReadEvent(ctx)
				if err != nil {
					return err
				}
				fillEvent(&ev, cfg.Local, to, len(msg))
				fmt.Fprintln(stdout, ev)
				switch ev.Kind {
				case can.J1939EventCompleted:
					return nil
				case can.J1939EventTxAbort:
					return fmt.Errorf("j1939 send: transfer aborted: %v", ev)
				}
			}
		}
		return nil
	}
	cfg.Local.PGN = p
	c, err := can.ListenJ1939(fs.Arg(0), cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	var w *bufio.Writer
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("j1939 recv: -o: %w", err)
		}
		defer f.Close()
		w = bufio.NewWriter(f)
		defer w.Flush()
	}
	buf := make([]byte, 1<<20)
	for i := 0; *count == 0 || i < *count; i++ {
		n, from, meta, err := c.ReadFrom(ctx, buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if w != nil {
			w.Write(buf[:n])
			if err := w.Flush(); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "%s dst=%#02x prio=%d len=%d: %X\n", from, meta.DestAddr, meta.Priority, n, buf[:n])
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
