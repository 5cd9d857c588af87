package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/fieldgate/fieldgate/can"
)

func sendMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: fieldgate can send IFACE FRAME...
FRAME (cansend syntax):
  <id>#{data}            classic frame, id 3 (standard) or 8 (extended) hex digits, up to 8 data bytes
  <id>#{data}_{dlc}      8 data bytes with raw DLC 9..F
  <id>#R{len}{_dlc}      remote request
  <id>##<flags>{data}    CAN FD frame, flags hex nibble (BRS=1, ESI=2), up to 64 data bytes
  data bytes may be separated by '.': 5A1#11.2233.44556677.88`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		fs.Usage()
		return usagef("send: want IFACE and at least one FRAME, got %d arguments", fs.NArg())
	}
	iface := fs.Arg(0)
	frames := make([]can.FDFrame, 0, fs.NArg()-1)
	fd := false
	for i, a := range fs.Args()[1:] {
		f, err := can.ParseFrame(a)
		if err != nil {
			return usagef("send: argument %d: %v", i+2, err)
		}
		fd = fd || f.IsFD()
		frames = append(frames, f)
	}
	c, err := can.ListenRaw(iface, &can.RawConfig{FD: fd, Filters: []can.Filter{}})
	if err != nil {
		return err
	}
	defer c.Close()
	for len(frames) > 0 {
		n, err := c.WriteBatch(ctx, frames)
		if err != nil {
			return err
		}
		frames = frames[n:]
	}
	return nil
}
