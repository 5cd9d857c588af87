package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldgate/fieldgate/packet"
	"golang.org/x/net/bpf"
)

const captureUsage = `usage: fieldgate capture -i IFACE [-i IFACE...] [-f 'tcpdump expr'] [-w out.pcapng]
                        [--rotate-size SIZE] [--rotate-time DUR] [--max-files N]
                        [--fanout N] [--fanout-mode MODE] [-c COUNT] [--duration DUR]

Captures packets from one or more interfaces ("any" = all interfaces) through
TPACKET_V3 rings, optionally filtered with a tcpdump expression, into a pcapng
file (Ethernet and SocketCAN interfaces may be mixed in one file). On a
terminal a status line shows packets, bytes, kernel drops and rates; a summary
is printed at the end. Stops on Ctrl-C, -c or --duration.

flags:
`

// Capture is `fieldgate capture`.
func Capture(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, captureUsage); fs.PrintDefaults() }
	var ifaces stringList
	fs.Var(&ifaces, "i", "interface to capture on; repeat for several; \"any\" = all interfaces")
	expr := fs.String("f", "", "tcpdump filter expression (Ethernet interfaces only)")
	out := fs.String("w", "", "write packets to this pcapng file")
	var rotSize byteSize
	fs.Var(&rotSize, "rotate-size", "start a new file after this many bytes (k, M, G suffixes)")
	rotTime := fs.Duration("rotate-time", 0, "start a new file after this much capture time")
	maxFiles := fs.Int("max-files", 0, "with rotation, keep only the newest N files")
	fanout := fs.Int("fanout", 1, "sockets per interface in a PACKET_FANOUT group, each read on its own thread")
	fanoutMode := fs.String("fanout-mode", "hash", "fanout mode: hash, lb, cpu, rollover, random, qm")
	count := fs.Int64("c", 0, "stop after this many packets (0: no limit)")
	dur := fs.Duration("duration", 0, "stop after this long (0: no limit)")
	noPromisc := fs.Bool("p", false, "do not put the interfaces into promiscuous mode")
	blockSize := byteSize(256 << 10)
	fs.Var(&blockSize, "block-size", "ring block size")
	blocks := fs.Int("blocks", 64, "ring blocks per socket")
	quiet := fs.Bool("q", false, "no live status line")
	printPk := fs.Bool("print", false, "print one line per packet")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError("%v", err)
	}
	switch {
	case fs.NArg() > 0:
		return usageError("unexpected argument %q (the filter goes in -f)", fs.Arg(0))
	case len(ifaces) == 0:
		return usageError("-i: at least one interface is required")
	case *fanout < 1 || *fanout > 64:
		return usageError("--fanout %d: want 1 to 64 sockets per interface", *fanout)
	case *count < 0 || *maxFiles < 0 || *rotTime < 0 || *dur < 0:
		return usageError("negative -c, --max-files, --rotate-time or --duration")
	case (rotSize > 0 || *rotTime > 0 || *maxFiles > 0) && *out == "":
		return usageError("--rotate-size, --rotate-time and --max-files need -w")
	}
	mode, err := packet.ParseFanoutMode(*fanoutMode)
	if err != nil || mode == packet.FanoutCBPF || mode == packet.FanoutEBPF {
		return usageError("--fanout-mode %q: want hash, lb, cpu, rollover, random or qm", *fanoutMode)
	}

	names, err := interfaceNames()
	if err != nil {
		return err
	}
	// Fanout members wait on their own threads: in one process, readers
	// parked on the runtime poller took turns on one thread and gained
	// nothing from a second socket (RingConfig.WaitOnThread).
	ring := &packet.RingConfig{BlockSize: int(blockSize), BlockCount: *blocks, WaitOnThread: *fanout > 1}
	st := &capture{names: names, ids: map[int]int{}, print: *printPk, stdout: stdout}
	if *expr != "" {
		raw, err := packet.AssembleFilter(*expr, nil)
		if err != nil {
			return usageError("-f: %v", err)
		}
		st.filter = raw
	}
	for _, name := range ifaces {
		var ifi *net.Interface
		if name != "any" {
			if ifi, err = net.InterfaceByName(name); err != nil {
				return fmt.Errorf("-i %s: %w", name, err)
			}
			if st.filter != nil {
				if ht, err := hardwareType(name); err == nil && ht != arphrdEther && ht != arphrdLoopback {
					return usageError("-f: interface %s has hardware type %d: filter expressions need Ethernet interfaces", name, ht)
				}
			}
		}
		var group uint16
		for k := range *fanout {
			cfg := &packet.Config{Ring: ring, Filter: st.filter, Promiscuous: !*noPromisc && ifi != nil}
			if *fanout > 1 {
				cfg.Fanout = &packet.FanoutConfig{Mode: mode, Group: group, UniqueID: k == 0}
			}
			c, err := packet.Listen(ifi, cfg)
			if err != nil {
				st.closeAll()
				return fmt.Errorf("-i %s: %w", name, err)
			}
			if k == 0 && *fanout > 1 {
				if group, _, _, err = c.FanoutGroup(); err != nil {
					st.closeAll()
					return err
				}
			}
			st.conns = append(st.conns, c)
			st.connIface = append(st.connIface, name)
		}
	}
	defer st.closeAll()
	if *out != "" {
		wcfg := &packet.WriterConfig{RotateSize: int64(rotSize), RotateInterval: *rotTime, MaxFiles: *maxFiles}
		w, err := packet.CreateFile(*out, wcfg)
		if err != nil {
			return err
		}
		st.w = w
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if *dur > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, *dur)
		defer c2()
	}
	st.limit, st.stop = *count, cancel
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(st.conns))
	for i, c := range st.conns {
		wg.Go(func() { errs[i] = st.read(ctx, c) })
	}
	statusDone := make(chan struct{})
	showStatus := !*quiet && !*printPk && isTerminal(stdout)
	go func() {
		defer close(statusDone)
		if !showStatus {
			<-ctx.Done()
			return
		}
		st.status(ctx, start)
	}()
	wg.Wait()
	cancel()
	<-statusDone
	if showStatus {
		fmt.Fprint(stdout, "\r\033[K")
	}
	elapsed := time.Since(start)
	drops, recv := st.kernelStats()
	var werr error
	if st.w != nil {
		werr = st.finishFile(recv, drops)
	}
	fmt.Fprintf(stdout, "%d packets (%s) captured on %d socket(s) in %.1fs, %d received and %d dropped by the kernel",
		st.packets.Load(), humanBytes(float64(st.bytes.Load())), len(st.conns), elapsed.Seconds(), sum(recv), sum(drops))
	if n := st.unwritable.Load(); n > 0 {
		fmt.Fprintf(stdout, ", %d not writable (see errors above)", n)
	}
	fmt.Fprintln(stdout)
	if st.w != nil {
		var kept []string
		files := st.w.Files()
		for _, f := range files {
			if _, err := os.Stat(f); err == nil {
				kept = append(kept, f)
			}
		}
		fmt.Fprintf(stdout, "written: %s", strings.Join(kept, " "))
		if n := len(files) - len(kept); n > 0 {
			fmt.Fprintf(stdout, " (%d older files removed by --max-files)", n)
		}
		fmt.Fprintln(stdout)
	}
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("reading %s: %w", st.connIface[i], err)
		}
	}
	return werr
}

func sum(m map[int]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// capture is the state shared by the reader goroutines.
type capture struct {
	conns     []*packet.Conn
	connIface []string
	filter    []bpf.RawInstruction
	names     map[int]string
	w         *packet.Writer
	print     bool
	stdout    io.Writer
	limit     int64
	stop      context.CancelFunc

	mu        sync.Mutex
	ids       map[int]int // kernel ifindex -> pcapng interface id
	linkTypes map[int]packet.LinkType

	packets, bytes, unwritable atomic.Int64
}

func (c *capture) closeAll() {
	for _, cn := range c.conns {
		cn.Close()
	}
}

// iface returns the pcapng interface id for a packet's interface, adding
// the interface to the file on its first packet.
func (c *capture) iface(p *packet.Packet) (int, packet.LinkType, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id, ok := c.ids[p.Interface]; ok {
		return id, c.linkTypes[p.Interface], nil
	}
	lt := packet.LinkTypeFor(p.HardwareType, packet.Raw)
	name := c.names[p.Interface]
	if name == "" {
		name = fmt.Sprintf("ifindex%d", p.Interface)
	}
	id := -1
	if c.w != nil {
		var err error
		if id, err = c.w.AddInterface(packet.Interface{Name: name, LinkType: lt, Description: fmt.Sprintf("ifindex %d, hardware type %d", p.Interface, p.HardwareType)}); err != nil {
			return 0, 0, err
		}
	}
	if c.linkTypes == nil {
		c.linkTypes = map[int]packet.LinkType{}
	}
	c.ids[p.Interface], c.linkTypes[p.Interface] = id, lt
	return id, lt, nil
}

func (c *capture) read(ctx context.Context, cn *packet.Conn) error {
	var scratch []byte
	for {
		b, err := cn.ReadBlock(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for {
			p, ok := b.Next()
			if !ok {
				break
			}
			n := c.packets.Add(1)
			if c.limit > 0 && n > c.limit {
				c.packets.Add(-1)
				b.Release()
				c.stop()
				return nil
			}
			c.bytes.Add(int64(p.Length))
			if c.print {
				fmt.Fprintf(c.stdout, "%s %s %s len %d\n", p.Timestamp.Format("15:04:05.000000000"), c.names[p.Interface], p.Type, p.Length)
			}
			if c.w != nil {
				if err := c.write(&p, &scratch); err != nil {
					c.unwritable.Add(1)
					fmt.Fprintf(os.Stderr, "fieldgate capture: %v\n", err)
				}
			}
			if c.limit > 0 && n == c.limit {
				b.Release()
				c.stop()
				return nil
			}
		}
		b.Release()
	}
}

func (c *capture) write(p *packet.Packet, scratch *[]byte) error {
	id, lt, err := c.iface(p)
	if err != nil {
		return err
	}
	data := p.Data
	length := p.Length
	if lt != packet.LinkTypeEthernet {
		rec, err := packet.AppendRecord((*scratch)[:0], p, lt)
		if err != nil {
			return fmt.Errorf("interface %s: %w", c.names[p.Interface], err)
		}
		*scratch = rec
		length += len(rec) - len(p.Data)
		data = rec
	}
	return c.w.WritePacket(id, packet.CaptureInfo{Timestamp: p.Timestamp, Length: length, Direction: packet.DirectionOf(p.Type)}, data)
}

// kernelStats sums socket counters per kernel interface index (0 for
// sockets on all interfaces).
func (c *capture) kernelStats() (drops, recv map[int]uint64) {
	drops, recv = map[int]uint64{}, map[int]uint64{}
	for _, cn := range c.conns {
		st, err := cn.Stats()
		if err != nil {
			continue
		}
		idx := cn.LocalAddr().(*packet.Addr).Interface
		drops[idx] += st.Drops
		recv[idx] += st.Packets
	}
	return drops, recv
}

// finishFile writes the statistics blocks and closes the file.
func (c *capture) finishFile(recv, drops map[int]uint64) error {
	c.mu.Lock()
	ids := make(map[int]int, len(c.ids))
	for k, v := range c.ids {
		ids[k] = v
	}
	c.mu.Unlock()
	now := time.Now()
	for ifindex, id := range ids {
		if _, ok := recv[ifindex]; !ok {
			continue // captured through an "any" socket: no per-interface counters
		}
		if err := c.w.WriteStats(id, packet.InterfaceStats{Timestamp: now, Received: recv[ifindex], Dropped: drops[ifindex]}); err != nil {
			return err
		}
	}
	return c.w.Close()
}

func (c *capture) status(ctx context.Context, start time.Time) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	lastT, lastP, lastB := start, int64(0), int64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			p, b := c.packets.Load(), c.bytes.Load()
			drops, _ := c.kernelStats()
			dt := now.Sub(lastT).Seconds()
			fmt.Fprintf(c.stdout, "\r\033[K%d packets  %s  %d dropped  %.0f pkt/s  %.2f Mbit/s",
				p, humanBytes(float64(b)), sum(drops), float64(p-lastP)/dt, float64(b-lastB)*8/dt/1e6)
			lastT, lastP, lastB = now, p, b
		}
	}
}

// interfaceNames maps ifindex to name for this network namespace.
func interfaceNames() (map[int]string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("listing interfaces: %w", err)
	}
	m := make(map[int]string, len(ifs))
	for _, i := range ifs {
		m[i.Index] = i.Name
	}
	return m, nil
}
