package cli

import (
	"bufio"
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// parseCANID parses a hex CAN identifier: more than 3 digits or a value
// above 0x7FF is a 29-bit identifier (EFFFlag added).
func parseCANID(flagName, s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil || v > uint64(can.EFFMask) {
		return 0, usagef("-%s %q: want a hex CAN identifier (up to 3 digits standard, up to 8 extended, max 1FFFFFFF)", flagName, s)
	}
	if len(s) > 3 || v > uint64(can.SFFMask) {
		return uint32(v) | can.EFFFlag, nil
	}
	return uint32(v), nil
}

func parseHexByte(flagName, s string) (uint8, error) {
	v, err := strconv.ParseUint(s, 16, 8)
	if err != nil {
		return 0, usagef("-%s %q: want one hex byte 00..FF", flagName, s)
	}
	return uint8(v), nil
}

// parseHexData parses "11 22 33", "112233" or "11.22.33".
func parseHexData(what, s string) ([]byte, error) {
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "", "\r", "", ".", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, usagef("%s: want hex bytes such as \"11 22 33\" or 112233: %v", what, err)
	}
	return b, nil
}

func isotpMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "sniff" {
		return isotpSniffMain(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "dump" {
		return isotpDumpMain(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || (args[0] != "send" && args[0] != "recv") {
		fmt.Fprintln(stderr, "usage: fieldgate can isotp send|recv|sniff|dump [flags] IFACE")
		return usagef("isotp: want send, recv, sniff (isotpsniffer) or dump (isotpdump) as the first argument")
	}
	mode := args[0]
	fs := flag.NewFlagSet("isotp "+mode, flag.ContinueOnError)
	txID := fs.String("s", "", "source (transmit) CAN `ID`, hex")
	rxID := fs.String("d", "", "destination (receive) CAN `ID`, hex")
	ext := fs.String("x", "", "extended addressing `EXT[:RXEXT]`, hex bytes")
	txpad := fs.String("p", "", "pad sent frames with `BYTE` (hex)")
	rxpad := fs.String("P", "", "expect received frames padded with `BYTE` (hex), checked")
	listen := fs.Bool("l", false, "listen mode: send no flow control")
	bs := fs.Uint("b", 0, "flow control block size `BS` (0..255)")
	stmin := fs.String("m", "00", "flow control STmin `CODE` (hex 00..7F ms, F1..F9 100..900 us)")
	wft := fs.Uint("w", 0, "max wait frames `WFTMAX` (0..255)")
	fd := fs.Bool("f", false, "CAN FD link layer (MTU 72, 64-byte frames)")
	brs := fs.Bool("brs", false, "bit rate switch on CAN FD frames")
	data := fs.String("D", "", "PDU to send as `HEX` (default: read hex from stdin)")
	count := fs.Int("n", 1, "receive `COUNT` PDUs (0 = forever)")
	out := fs.String("o", "", "write received PDUs raw to `FILE` instead of hex lines")
	timeout := fs.Duration("T", 0, "give up after `DURATION` (0 = wait forever)")
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("isotp %s: want exactly one IFACE argument, got %d", mode, fs.NArg())
	}
	if *txID == "" || *rxID == "" {
		return usagef("isotp %s: -s TXID and -d RXID are required (hex CAN identifiers)", mode)
	}
	tx, err := parseCANID("s", *txID)
	if err != nil {
		return err
	}
	rx, err := parseCANID("d", *rxID)
	if err != nil {
		return err
	}
	cfg := &can.ISOTPConfig{ListenMode: *listen}
	if *ext != "" {
		a, b, two := strings.Cut(*ext, ":")
		e, err := parseHexByte("x", a)
		if err != nil {
			return err
		}
		cfg.ExtAddr = &e
		if two {
			r, err := parseHexByte("x", b)
			if err != nil {
				return err
			}
			cfg.RxExtAddr = &r
		}
	}
	if *txpad != "" {
		p, err := parseHexByte("p", *txpad)
		if err != nil {
			return err
		}
		cfg.TxPad = &p
	}
	if *rxpad != "" {
		p, err := parseHexByte("P", *rxpad)
		if err != nil {
			return err
		}
		cfg.RxPad = &p
		cfg.Flags |= can.ISOTPChkPadLen | can.ISOTPChkPadData
	}
	if *bs > 255 || *wft > 255 {
		return usagef("isotp: -b and -w take 0..255")
	}
	st, err := parseHexByte("m", *stmin)
	if err != nil {
		return err
	}
	cfg.FlowControl = &can.ISOTPFlowControl{BlockSize: uint8(*bs), STmin: st, WFTmax: uint8(*wft)}
	if *fd {
		ll := &can.ISOTPLinkLayer{MTU: can.FDMTU, TxDL: 64}
		if *brs {
			ll.TxFlags = can.BRS
		}
		cfg.LinkLayer = ll
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	c, err := can.DialISOTP(fs.Arg(0), rx, tx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if mode == "send" {
		var pdu []byte
		if *data != "" {
			if pdu, err = parseHexData("-D", *data); err != nil {
				return err
			}
		} else {
			in, err := io.ReadAll(bufio.NewReader(os.Stdin))
			if err != nil {
				return err
			}
			if pdu, err = parseHexData("stdin", string(in)); err != nil {
				return err
			}
		}
		if len(pdu) == 0 {
			return usagef("isotp send: empty PDU")
		}
		if err := c.WritePDU(ctx, pdu); err != nil {
			return err
		}
		// Give the kernel time to finish the transfer before closing.
		return nil
	}
	var w io.Writer = stdout
	raw := false
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("isotp recv: -o: %w", err)
		}
		defer f.Close()
		w, raw = f, true
	}
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	buf := make([]byte, 1<<16)
	for i := 0; *count == 0 || i < *count; i++ {
		n, err := c.ReadPDU(ctx, buf)
		if err != nil {
			if ctx.Err() != nil && *timeout == 0 {
				return nil
			}
			return err
		}
		if raw {
			bw.Write(buf[:n])
		} else {
			for _, b := range buf[:n] {
				fmt.Fprintf(bw, "%02X ", b)
			}
			bw.WriteByte('\n')
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	_ = time.Second
	return nil
}
