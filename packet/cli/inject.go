package cli

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/fieldgate/fieldgate/packet"
)

const injectIntro = `
Replays the packets of a pcapng or pcap FILE onto interface IFACE. Packets of
a link type the interface cannot carry (Ethernet onto CAN, or the other way)
are skipped and counted in the summary. SocketCAN records (link type 227) are
converted back to the kernel's host byte order. By default packets are sent
as fast as the interface takes them, onto Ethernet in batches of 256 (one
sendmmsg each). Note: a vcan interface without echo
discards frames sent by packet sockets (they never reach local CAN sockets);
inject into vxcan, a real controller, or a vcan with echo on.`

func floatArg(p *float64, lo float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < lo {
			return fmt.Errorf("want a number >= %g", lo)
		}
		*p = f
		return nil
	}
}

// injectBatch is how many frames inject hands to WriteBatch at once.
const injectBatch = 256

// injectConfig holds the parsed options of `fieldgate inject`.
type injectConfig struct {
	iface    string
	rate     float64
	realtime bool
	speed    float64
	loops    int
	count    int64
}

func (c *injectConfig) options(stdout io.Writer) *optionSet {
	set := &optionSet{cmd: "inject", tail: "FILE", intro: injectIntro}
	set.options = []*option{
		{short: 'h', long: "help", help: "show this help", set: func(string) error { set.usage(stdout); return flag.ErrHelp }},
		boolOpt(0, "realtime", "keep the capture's inter-packet gaps", &c.realtime),
		argOpt('c', "count", "count", "stop after sending count packets", func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return errors.New("want a positive packet count")
			}
			c.count = n
			return nil
		}),
		argOpt('i', "interface", "interface", "interface to send on", func(v string) error { c.iface = v; return nil }),
		argOpt(0, "rate", "PPS", "packets per second (default: as fast as possible)", floatArg(&c.rate, 0)),
		argOpt(0, "speed", "X", "with --realtime, replay X times faster", floatArg(&c.speed, 1e-9)),
		argOpt(0, "loop", "N", "replay the file N times", intArg(&c.loops, 1)),
	}
	return set
}

// Inject is `fieldgate inject`.
func Inject(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &injectConfig{speed: 1, loops: 1}
	set := cfg.options(stdout)
	pos, err := set.parse(args)
	if err != nil {
		return err
	}
	iface, rate, realtime, speed, loops, count := cfg.iface, cfg.rate, cfg.realtime, cfg.speed, cfg.loops, cfg.count
	switch {
	case iface == "":
		return set.errorf("-i: an interface is required")
	case len(pos) != 1:
		return set.errorf("want exactly one capture FILE, got %d arguments", len(pos))
	case rate > 0 && realtime:
		return set.errorf("--rate and --realtime exclude each other")
	}
	path := pos[0]
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return fmt.Errorf("-i %s: %w", iface, err)
	}
	ht, err := hardwareType(iface)
	if err != nil {
		return fmt.Errorf("-i %s: %w", iface, err)
	}
	target := packet.LinkTypeFor(ht, packet.Raw)
	// At full speed onto Ethernet, frames go out in batches (WriteBatch:
	// one sendmmsg per batch; BENCHMARKS.md: about half the CPU per frame
	// of one sendto each). CAN frames need their per-frame protocol, paced
	// modes go one frame at a time: those use WriteTo.
	batched := rate == 0 && !realtime && target == packet.LinkTypeEthernet
	c, err := packet.Listen(ifi, &packet.Config{SendOnly: true})
	if err != nil {
		return err
	}
	defer c.Close()

	var sent, skipped, bytes int64
	var pending, store [][]byte
	flush := func() error {
		n, err := c.WriteBatch(pending)
		for _, p := range pending[:n] {
			bytes += int64(len(p))
		}
		sent += int64(n)
		pending = pending[:0]
		if err != nil {
			return fmt.Errorf("send packet %d: %w", sent+1, err)
		}
		return nil
	}
	skippedBy := map[string]int64{}
	start := time.Now()
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
	}
	var buf []byte
	next := time.Now()
	for loop := 0; loop < loops; loop++ {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		r, err := packet.NewReader(f)
		if err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", path, err)
		}
		var firstTS, loopStart time.Time
		for {
			if count > 0 && sent+int64(len(pending)) >= count {
				break
			}
			if ctx.Err() != nil {
				f.Close()
				return summary(stdout, sent, skipped, bytes, skippedBy, start, ctx.Err())
			}
			rec, err := r.ReadPacket()
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return fmt.Errorf("%s: %w", path, err)
			}
			ifc, _ := r.Interface(rec.Interface)
			if !compatible(ifc.LinkType, target) {
				skipped++
				skippedBy[fmt.Sprintf("%q (link type %d)", ifc.Name, ifc.LinkType)]++
				continue
			}
			addr := &packet.Addr{Interface: ifi.Index}
			data := rec.Data
			if ifc.LinkType == packet.LinkTypeCANSocketCAN {
				if buf, addr.Protocol, err = fromSocketCAN(buf[:0], data); err != nil {
					f.Close()
					return fmt.Errorf("%s: packet %d: %w", path, sent+skipped+1, err)
				}
				data = buf
			}
			if batched {
				k := len(pending)
				if k == len(store) {
					store = append(store, nil)
				}
				store[k] = append(store[k][:0], data...)
				pending = append(pending, store[k])
				if len(pending) == injectBatch {
					if err := flush(); err != nil {
						f.Close()
						return err
					}
				}
				continue
			}
			switch {
			case realtime:
				if firstTS.IsZero() {
					firstTS, loopStart = rec.Timestamp, time.Now()
				}
				due := loopStart.Add(time.Duration(float64(rec.Timestamp.Sub(firstTS)) / speed))
				if err := sleepUntil(ctx, due); err != nil {
					continue
				}
			case interval > 0:
				if err := sleepUntil(ctx, next); err != nil {
					continue
				}
				next = next.Add(interval)
			}
			if err := writeRetry(ctx, c, data, addr); err != nil {
				f.Close()
				return fmt.Errorf("send packet %d: %w", sent+1, err)
			}
			sent++
			bytes += int64(len(data))
		}
		f.Close()
		if len(pending) > 0 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return summary(stdout, sent, skipped, bytes, skippedBy, start, nil)
}

func summary(w io.Writer, sent, skipped, bytes int64, by map[string]int64, start time.Time, err error) error {
	el := time.Since(start).Seconds()
	fmt.Fprintf(w, "%d packets (%s) sent in %.2fs (%.0f pkt/s)", sent, humanBytes(float64(bytes)), el, float64(sent)/max(el, 1e-9))
	if skipped > 0 {
		fmt.Fprintf(w, ", %d skipped:", skipped)
		for k, v := range by {
			fmt.Fprintf(w, " %d of interface %s", v, k)
		}
		fmt.Fprint(w, " (not this interface's link type)")
	}
	fmt.Fprintln(w)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func compatible(file, target packet.LinkType) bool { return file == target }

// fromSocketCAN converts a LINKTYPE_CAN_SOCKETCAN record back to the
// kernel's frame (can_id in host byte order) and returns its protocol.
func fromSocketCAN(dst, rec []byte) ([]byte, uint16, error) {
	var proto uint16
	switch len(rec) {
	case 16:
		proto = packet.ProtocolCAN
	case 72:
		proto = packet.ProtocolCANFD
	default:
		return dst, 0, fmt.Errorf("SocketCAN record of %d bytes, want 16 or 72", len(rec))
	}
	dst = append(dst, rec...)
	binary.NativeEndian.PutUint32(dst, binary.BigEndian.Uint32(rec))
	return dst, proto, nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// writeRetry sends one frame, waiting briefly while the device queue is
// full (ENOBUFS) instead of dropping the frame.
func writeRetry(ctx context.Context, c *packet.Conn, b []byte, addr *packet.Addr) error {
	for wait := 50 * time.Microsecond; ; wait = min(wait*2, 10*time.Millisecond) {
		_, err := c.WriteTo(b, addr)
		if !errors.Is(err, syscall.ENOBUFS) {
			return err
		}
		if err := sleepUntil(ctx, time.Now().Add(wait)); err != nil {
			return err
		}
	}
}
