package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldgate/fieldgate/packet"
	"golang.org/x/net/bpf"
)

const captureIntro = `
Captures packets the way tcpdump does, with tcpdump's options: prints one
line per packet as "tcpdump -n" would (addresses and ports are always
numeric), or writes them to a pcapng file with -w. The filter is a tcpdump
expression given after the options or with -f. -r reads a pcap or pcapng
file instead of capturing, filters and prints it (or writes it with -w).

fieldgate also captures on several interfaces at once (-i a -i b, Ethernet
and SocketCAN in one file), through TPACKET_V3 rings and fanout groups, and
on a terminal shows a live status line while writing a file. Packets sent
on a loopback or CAN interface are recorded once, as libpcap does (the
kernel shows them again as received; the outgoing copy is dropped).
Stops on Ctrl-C, -c or --duration.`

// captureConfig holds the parsed options of `fieldgate capture`.
type captureConfig struct {
	ifaces     stringList
	expr       string
	exprSet    bool
	filterFile string
	out        string
	read       string
	count      int64
	snap       int
	fileSize   int64
	fileCount  int
	rotSecs    int
	list       bool
	noPromisc  bool
	lineBuf    bool
	packetBuf  bool
	printAlso  bool
	direction  string
	bufKiB     int
	fanout     int
	fanoutMode string
	dur        time.Duration
	blockSize  byteSize
	blocks     int
	rotSize    byteSize
	rotTime    time.Duration
	maxFiles   int
	nflag      int
	pr         printer
}

func intArg(p *int, lo int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo {
			return fmt.Errorf("want an integer >= %d", lo)
		}
		*p = n
		return nil
	}
}

func (c *captureConfig) options(stdout io.Writer) *optionSet {
	s := &optionSet{cmd: "capture", tail: "[expression]", intro: captureIntro}
	s.options = []*option{
		flagOpt('A', "", "print each packet (minus its link-level header) in ASCII (-AA: with it)", &c.pr.A),
		boolOpt('D', "list-interfaces", "list the interfaces a capture can use, as tcpdump -D", &c.list),
		boolOpt('e', "", "print the link-level header (MAC addresses, ethertype, VLAN tags)", &c.pr.e),
		{short: 'h', long: "help", help: "show this help", set: func(string) error { s.usage(stdout); return flag.ErrHelp }},
		boolOpt('l', "", "line-buffered output: write each line at once (for pipes)", &c.lineBuf),
		flagOpt('n', "", "accepted for tcpdump compatibility: addresses and ports are always numeric", &c.nflag),
		boolOpt('p', "", "do not put the interfaces into promiscuous mode", &c.noPromisc),
		boolOpt('q', "", "quick output: less protocol information", &c.pr.q),
		boolOpt('S', "", "print absolute TCP sequence numbers", &c.pr.S),
		flagOpt('t', "", "timestamps: -t none, -tt seconds since 1970, -ttt delta, -tttt date and time, -ttttt since the first packet", &c.pr.t),
		boolOpt('U', "", "flush the -w file after every batch of packets", &c.packetBuf),
		flagOpt('v', "", "verbose: IP header fields, TCP/UDP/ICMP checksums, ICMP error payloads", &c.pr.v),
		flagOpt('x', "", "print each packet (minus its link-level header) in hex (-xx: with it)", &c.pr.x),
		flagOpt('X', "", "print each packet (minus its link-level header) in hex and ASCII (-XX: with it)", &c.pr.X),
		boolOpt('#', "number", "print a packet number at the start of each line", &c.pr.number),
		argOpt('B', "buffer-size", "KiB", "capture ring size per socket in KiB (default 16384)", intArg(&c.bufKiB, 1)),
		argOpt('c', "count", "count", "stop after count packets", func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return errors.New("want a positive packet count")
			}
			c.count = n
			return nil
		}),
		argOpt('C', "", "file_size", "with -w, start a new file when the current one exceeds file_size millions of bytes (k, M, G suffixes: KiB, MiB, GiB); files are named FILE, FILE1, FILE2, ...", func(v string) error {
			n, err := fileSize(v)
			c.fileSize = n
			return err
		}),
		argOpt('f', "", "expression", "the filter expression (instead of giving it after the options)", func(v string) error {
			c.expr, c.exprSet = v, true
			return nil
		}),
		argOpt('F', "", "file", "read the filter expression from file", func(v string) error { c.filterFile = v; return nil }),
		argOpt('G', "", "rotate_seconds", "with -w, start a new file every rotate_seconds; FILE may hold strftime(3) conversions (%Y%m%d-%H%M%S)", intArg(&c.rotSecs, 1)),
		argOpt('i', "interface", "interface", "capture on interface (\"any\": all interfaces); repeat for several; default: the first of -D", func(v string) error { return c.ifaces.Set(v) }),
		argOpt('Q', "direction", "in|out|inout", "capture only packets received (in), sent (out) or both (inout, the default)", func(v string) error {
			if v != "in" && v != "out" && v != "inout" {
				return errors.New("want in, out or inout")
			}
			c.direction = v
			return nil
		}),
		argOpt('r', "", "file", "read packets from a pcap or pcapng file (\"-\": standard input) instead of capturing", func(v string) error { c.read = v; return nil }),
		argOpt('s', "snapshot-length", "snaplen", "keep at most snaplen bytes of each packet (0: 262144, the default)", func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errors.New("want a length in bytes (0: 262144)")
			}
			if n == 0 || n > 262144 {
				n = 262144
			}
			c.snap = n
			return nil
		}),
		argOpt('w', "", "file", "write the packets to a pcapng file (\"-\": standard output) instead of printing them", func(v string) error { c.out = v; return nil }),
		argOpt('W', "", "filecount", "with -C, keep filecount files (FILE0, FILE1, ... overwritten in turn); with -G alone, stop after filecount files", intArg(&c.fileCount, 1)),
		boolOpt(0, "print", "print packets even when writing them with -w", &c.printAlso),
		argOpt(0, "duration", "DUR", "stop after this long (Go duration: 10s, 5m)", durArg(&c.dur)),
		argOpt(0, "fanout", "N", "sockets per interface in a PACKET_FANOUT group, each read on its own thread (1 to 64)", intArg(&c.fanout, 1)),
		argOpt(0, "fanout-mode", "MODE", "fanout mode: hash, lb, cpu, rollover, random, qm (default hash)", func(v string) error { c.fanoutMode = v; return nil }),
		argOpt(0, "block-size", "SIZE", "ring block size (default 256k)", c.blockSize.Set),
		argOpt(0, "blocks", "N", "ring blocks per socket (default 64)", intArg(&c.blocks, 1)),
		argOpt(0, "rotate-size", "SIZE", "dumpcap-style rotation: a new file after SIZE bytes (k, M, G), named FILE_NNNNN_YYYYMMDDhhmmss.pcapng", c.rotSize.Set),
		argOpt(0, "rotate-time", "DUR", "dumpcap-style rotation: a new file after DUR of capture time", durArg(&c.rotTime)),
		argOpt(0, "max-files", "N", "with --rotate-size or --rotate-time, keep only the newest N files", intArg(&c.maxFiles, 1)),
	}
	return s
}

func durArg(p *time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("want a positive duration such as 10s or 5m")
		}
		*p = d
		return nil
	}
}

// fileSize parses -C: millions of bytes, or KiB/MiB/GiB with a k, M or G
// suffix (tcpdump 4.99.4's units).
func fileSize(v string) (int64, error) {
	mult := int64(1000000)
	s := v
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult, s = 1<<10, s[:n-1]
		case 'm', 'M':
			mult, s = 1<<20, s[:n-1]
		case 'g', 'G':
			mult, s = 1<<30, s[:n-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > (1<<62)/mult {
		return 0, errors.New("want a positive size in millions of bytes (or with a k, M, G suffix)")
	}
	return n * mult, nil
}

// Capture is `fieldgate capture`.
func Capture(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := &captureConfig{snap: 262144, fanout: 1, fanoutMode: "hash", blockSize: 256 << 10, blocks: 64}
	set := c.options(stdout)
	pos, err := set.parse(args)
	if err != nil {
		return err
	}
	if c.list {
		return listDevices(stdout)
	}
	expr := c.expr
	switch {
	case c.filterFile != "" && (c.exprSet || len(pos) > 0):
		return set.errorf("-F and an expression on the command line exclude each other")
	case c.exprSet && len(pos) > 0:
		return set.errorf("unexpected argument %q: the filter is either -f EXPR or the words after the options", pos[0])
	case c.filterFile != "":
		b, err := os.ReadFile(c.filterFile)
		if err != nil {
			return fmt.Errorf("-F %s: %w", c.filterFile, pathErr(err))
		}
		expr = stripComments(string(b))
	case len(pos) > 0:
		expr = strings.Join(pos, " ")
	}
	tcpdumpRot := c.fileSize > 0 || c.rotSecs > 0
	switch {
	case c.fanout > 64:
		return set.errorf("--fanout %d: want 1 to 64 sockets per interface", c.fanout)
	case (tcpdumpRot || c.fileCount > 0 || c.rotSize > 0 || c.rotTime > 0 || c.maxFiles > 0) && c.out == "":
		return set.errorf("-C, -G, -W, --rotate-size, --rotate-time and --max-files need -w")
	case c.fileCount > 0 && !tcpdumpRot:
		return set.errorf("-W needs -C or -G")
	case tcpdumpRot && (c.rotSize > 0 || c.rotTime > 0 || c.maxFiles > 0):
		return set.errorf("-C/-G/-W (tcpdump's rotation) and --rotate-size/--rotate-time/--max-files (dumpcap's) exclude each other")
	case c.maxFiles > 0 && c.rotSize == 0 && c.rotTime == 0:
		return set.errorf("--max-files needs --rotate-size or --rotate-time")
	case c.out == "-" && c.printAlso:
		return set.errorf("--print and -w - would both write to standard output")
	case c.out == "-" && tcpdumpRot:
		return set.errorf("-C and -G need a file name, not -w -")
	case c.read != "" && (len(c.ifaces) > 0 || c.fanout > 1 || c.dur > 0):
		return set.errorf("-r reads a file: -i, --fanout and --duration are for live captures")
	}
	if c.read != "" {
		return c.readFile(ctx, set, expr, stdout, stderr)
	}
	return c.live(ctx, set, expr, stdout, stderr)
}

// stripComments drops "#" comments from a -F file, as tcpdump does.
func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

func (c *captureConfig) wflags(stdout io.Writer) wFlags {
	return wFlags{path: c.out, size: c.fileSize, every: time.Duration(c.rotSecs) * time.Second, count: c.fileCount,
		rotSize: int64(c.rotSize), rotTime: c.rotTime, maxFiles: c.maxFiles, stdout: stdout}
}

// sink prints and writes packets for every reader goroutine, in order.
type sink struct {
	mu       sync.Mutex
	pr       *printer
	print    bool
	out      *bufio.Writer
	lineBuf  bool
	dump     *dumper
	errOut   io.Writer
	stopErr  error
	writeErr atomic.Int64
}

// emit prints and writes one packet; id is its interface in the file.
func (s *sink) emit(p *pkt, id int, ci packet.CaptureInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.print {
		s.out.Write(s.pr.format(p))
		if s.lineBuf {
			s.out.Flush()
		}
	}
	if s.dump != nil {
		if err := s.dump.write(id, ci, p.data); err != nil {
			if errors.Is(err, errFileLimit) {
				return err
			}
			s.writeErr.Add(1)
			fmt.Fprintf(s.errOut, "fieldgate capture: %v\n", err)
		}
	}
	return nil
}

func (s *sink) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.Flush()
}

// linkTypeName is how tcpdump names a link type in "listening on" and
// "reading from file" lines.
func linkTypeName(lt packet.LinkType) string {
	switch lt {
	case packet.LinkTypeEthernet:
		return "EN10MB (Ethernet)"
	case packet.LinkTypeCANSocketCAN:
		return "CAN_SOCKETCAN (CAN-bus with SocketCAN headers)"
	case packet.LinkTypeLinuxSLL2:
		return "LINUX_SLL2 (Linux cooked v2)"
	case packet.LinkTypeLinuxSLL:
		return "LINUX_SLL (Linux cooked v1)"
	case packet.LinkTypeRaw:
		return "RAW (Raw IP)"
	case packet.LinkTypeIPv4:
		return "IPV4 (Raw IPv4)"
	case packet.LinkTypeIPv6:
		return "IPV6 (Raw IPv6)"
	case packet.LinkTypeNull:
		return "NULL (BSD loopback)"
	}
	return fmt.Sprintf("%d", lt)
}

// readFile is -r: read, filter, print or write a capture file.
func (c *captureConfig) readFile(ctx context.Context, set *optionSet, expr string, stdout, stderr io.Writer) error {
	var in io.Reader
	if c.read == "-" {
		in = os.Stdin
	} else {
		f, err := os.Open(c.read)
		if err != nil {
			return fmt.Errorf("-r %s: %w", c.read, pathErr(err))
		}
		defer f.Close()
		in = f
	}
	var vm *bpf.VM
	if expr != "" {
		prog, err := packet.CompileFilter(expr, nil)
		if err != nil {
			return set.errorf("%v", err)
		}
		if vm, err = bpf.NewVM(prog); err != nil {
			return set.errorf("%v", err)
		}
	}
	r, err := packet.NewReader(in)
	if err != nil {
		return fmt.Errorf("%s: %w", c.read, err)
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	s := &sink{pr: &c.pr, print: c.out == "" || c.printAlso, out: out, lineBuf: c.lineBuf, errOut: stderr}
	if c.out != "" {
		d, err := newDumper(c.wflags(stdout))
		if err != nil {
			return err
		}
		s.dump = d
	}
	ids := map[int]int{}
	var n int64
	announced := false
	var ferr error
	for ctx.Err() == nil && (c.count == 0 || n < c.count) {
		rec, err := r.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			ferr = fmt.Errorf("%s: %w", c.read, err)
			break
		}
		ifc, _ := r.Interface(rec.Interface)
		if !announced {
			snap := ifc.SnapLen
			if snap == 0 {
				snap = 262144
			}
			fmt.Fprintf(stderr, "reading from file %s, link-type %s, snapshot length %d\n", c.read, linkTypeName(ifc.LinkType), snap)
			announced = true
		}
		if vm != nil {
			if ifc.LinkType != packet.LinkTypeEthernet {
				ferr = fmt.Errorf("%s: interface %q has link type %s: filter expressions need Ethernet", c.read, ifc.Name, linkTypeName(ifc.LinkType))
				break
			}
			if v, err := vm.Run(rec.Data); err != nil || v == 0 {
				continue
			}
		}
		n++
		length := rec.Length
		if length == 0 {
			length = len(rec.Data)
		}
		data := rec.Data
		if c.snap < len(data) {
			data = data[:c.snap]
		}
		p := &pkt{ts: rec.Timestamp, lt: ifc.LinkType, data: data, length: length}
		id := 0
		if s.dump != nil {
			var ok bool
			if id, ok = ids[rec.Interface]; !ok {
				ifc.SnapLen = uint32(c.snap)
				if id, err = s.dump.addInterface(ifc); err != nil {
					return err
				}
				ids[rec.Interface] = id
			}
		}
		if err := s.emit(p, id, packet.CaptureInfo{Timestamp: rec.Timestamp, Length: length, Direction: rec.Direction}); err != nil {
			break
		}
	}
	if s.dump != nil {
		if err := s.dump.close(nil); err != nil && ferr == nil {
			ferr = err
		}
	}
	return ferr
}

// live captures from the interfaces.
func (c *captureConfig) live(ctx context.Context, set *optionSet, expr string, stdout, stderr io.Writer) error {
	mode, err := packet.ParseFanoutMode(c.fanoutMode)
	if err != nil || mode == packet.FanoutCBPF || mode == packet.FanoutEBPF {
		return set.errorf("--fanout-mode %q: want hash, lb, cpu, rollover, random or qm", c.fanoutMode)
	}
	if len(c.ifaces) == 0 {
		name, err := defaultDevice()
		if err != nil {
			return err
		}
		c.ifaces = stringList{name}
	}
	names, err := interfaceNames()
	if err != nil {
		return err
	}
	var filter []bpf.RawInstruction
	if expr != "" || c.snap != 262144 {
		raw, err := packet.AssembleFilter(expr, &packet.FilterOptions{SnapLen: uint32(c.snap)})
		if err != nil {
			return set.errorf("%v", err)
		}
		filter = raw
	}
	ring := &packet.RingConfig{BlockSize: int(c.blockSize), BlockCount: c.blocks, WaitOnThread: c.fanout > 1}
	if c.bufKiB > 0 {
		ring.BlockCount = max(2, c.bufKiB*1024/int(c.blockSize))
	}
	st := &capture{names: names, ids: map[int]int{}, snap: c.snap, direction: c.direction,
		multi: len(c.ifaces) > 1}
	var linkTypes []string
	for _, name := range c.ifaces {
		var ifi *net.Interface
		lt := "per interface"
		if name != "any" {
			if ifi, err = net.InterfaceByName(name); err != nil {
				st.closeAll()
				return fmt.Errorf("-i %s: %w", name, noSuchInterface(err))
			}
			ht, herr := hardwareType(name)
			if herr == nil {
				lt = linkTypeName(packet.LinkTypeFor(ht, packet.Raw))
			}
			if expr != "" && herr == nil && ht != arphrdEther && ht != arphrdLoopback {
				st.closeAll()
				return set.errorf("interface %s has hardware type %d: filter expressions need Ethernet interfaces", name, ht)
			}
		} else {
			st.multi = true
		}
		linkTypes = append(linkTypes, lt)
		var group uint16
		for k := range c.fanout {
			cfg := &packet.Config{Ring: ring, Filter: filter, Promiscuous: !c.noPromisc && ifi != nil}
			if c.fanout > 1 {
				cfg.Fanout = &packet.FanoutConfig{Mode: mode, Group: group, UniqueID: k == 0}
			}
			cn, err := packet.Listen(ifi, cfg)
			if err != nil {
				st.closeAll()
				return fmt.Errorf("-i %s: %w", name, err)
			}
			if k == 0 && c.fanout > 1 {
				if group, _, _, err = cn.FanoutGroup(); err != nil {
					st.closeAll()
					return err
				}
			}
			st.conns = append(st.conns, cn)
			st.connIface = append(st.connIface, name)
		}
	}
	defer st.closeAll()
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	st.sink = &sink{pr: &c.pr, print: c.out == "" || c.printAlso, out: out, lineBuf: c.lineBuf, errOut: stderr}
	if c.out != "" {
		d, err := newDumper(c.wflags(stdout))
		if err != nil {
			return err
		}
		st.sink.dump = d
		st.packetBuf = c.packetBuf
	}
	lt := linkTypes[0]
	for _, l := range linkTypes[1:] {
		if l != lt {
			lt = "per interface"
		}
	}
	fmt.Fprintf(stderr, "listening on %s, link-type %s, snapshot length %d bytes\n", strings.Join(c.ifaces, ", "), lt, c.snap)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if c.dur > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, c.dur)
		defer c2()
	}
	st.limit, st.stop = c.count, cancel
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(st.conns))
	for i, cn := range st.conns {
		wg.Go(func() { errs[i] = st.read(ctx, cn) })
	}
	statusDone := make(chan struct{})
	showStatus := c.out != "" && c.out != "-" && !c.printAlso && isTerminal(stderr)
	go func() {
		defer close(statusDone)
		if !showStatus {
			<-ctx.Done()
			return
		}
		st.status(ctx, start, stderr)
	}()
	wg.Wait()
	cancel()
	<-statusDone
	st.sink.flush()
	if showStatus {
		fmt.Fprint(stderr, "\r\033[K")
	}
	drops, recv := st.kernelStats()
	var werr error
	if st.sink.dump != nil {
		werr = st.finishFile(recv, drops)
	}
	fmt.Fprintf(stderr, "%d packets captured\n%d packets received by filter\n%d packets dropped by kernel\n", st.packets.Load(), sum(recv), sum(drops))
	if n := st.loopDup.Load(); n > 0 && c.pr.v > 0 {
		fmt.Fprintf(stderr, "%d outgoing loopback and CAN copies skipped\n", n)
	}
	if c.pr.v > 0 {
		fmt.Fprintf(stderr, "%s in %.1fs on %d socket(s)\n", humanBytes(float64(st.bytes.Load())), time.Since(start).Seconds(), len(st.conns))
	}
	if n := st.sink.writeErr.Load(); n > 0 {
		fmt.Fprintf(stderr, "%d packets not written (see errors above)\n", n)
	}
	if d := st.sink.dump; d != nil && c.out != "-" {
		var kept []string
		files := d.files()
		for _, f := range files {
			if _, err := os.Stat(f); err == nil {
				kept = append(kept, f)
			}
		}
		fmt.Fprintf(stderr, "written: %s", strings.Join(kept, " "))
		if n := len(files) - len(kept); n > 0 {
			fmt.Fprintf(stderr, " (%d older files removed by --max-files)", n)
		}
		fmt.Fprintln(stderr)
	}
	if st.sink.stopErr != nil {
		fmt.Fprintf(stderr, "Maximum file limit reached: %d\n", c.fileCount)
	}
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("reading %s: %w", st.connIface[i], err)
		}
	}
	return werr
}

// pathErr drops the operation and path from an *os.PathError, which the
// caller names itself ("-r x.pcap: no such file or directory").
func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// noSuchInterface replaces the net package's wording ("route ip+net: no
// such network interface") with the plain fact.
func noSuchInterface(err error) error {
	if strings.Contains(err.Error(), "no such network interface") {
		return errors.New("no such interface")
	}
	return err
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
	names     map[int]string
	sink      *sink
	snap      int
	direction string
	multi     bool // print interface names (-i any or several -i)
	packetBuf bool
	limit     int64
	stop      context.CancelFunc

	mu        sync.Mutex
	ids       map[int]int // kernel ifindex -> pcapng interface id
	linkTypes map[int]packet.LinkType

	packets, bytes, loopDup atomic.Int64
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
	if d := c.sink.dump; d != nil {
		c.sink.mu.Lock()
		var err error
		id, err = d.addInterface(packet.Interface{Name: name, LinkType: lt, SnapLen: uint32(c.snap), Description: fmt.Sprintf("ifindex %d, hardware type %d", p.Interface, p.HardwareType)})
		c.sink.mu.Unlock()
		if err != nil {
			return 0, 0, err
		}
	}
	if c.linkTypes == nil {
		c.linkTypes = map[int]packet.LinkType{}
	}
	c.ids[p.Interface], c.linkTypes[p.Interface] = id, lt
	return id, lt, nil
}

// keep applies libpcap's direction rules (linux_check_direction) and -Q:
// the kernel shows a packet sent on a loopback interface again as
// received, and a CAN frame sent on a CAN interface again as looped back
// by the CAN stack, so their outgoing copies are dropped (CAN ones unless
// -Q out) and counted; -Q in drops what the host sent, -Q out what it
// received.
func (c *capture) keep(p *packet.Packet) bool {
	if p.Type == packet.Outgoing {
		if p.HardwareType == arphrdLoopback || p.HardwareType == arphrdCAN && c.direction != "out" {
			c.loopDup.Add(1)
			return false
		}
		return c.direction != "in"
	}
	return c.direction != "out"
}

func (c *capture) read(ctx context.Context, cn *packet.Conn) error {
	var scratch []byte
	var pk pkt
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
			if !c.keep(&p) {
				continue
			}
			n := c.packets.Add(1)
			if c.limit > 0 && n > c.limit {
				c.packets.Add(-1)
				b.Release()
				c.stop()
				return nil
			}
			c.bytes.Add(int64(p.Length))
			if err := c.handle(&p, &pk, &scratch); err != nil {
				b.Release()
				if errors.Is(err, errFileLimit) {
					c.sink.stopErr = err
					c.stop()
					return nil
				}
				return err
			}
			if c.limit > 0 && n == c.limit {
				b.Release()
				c.stop()
				return nil
			}
		}
		b.Release()
		if c.packetBuf {
			c.sink.mu.Lock()
			c.sink.dump.w.Flush()
			c.sink.mu.Unlock()
		}
		c.sink.flush()
	}
}

// handle converts one packet to its file record and hands it to the sink.
func (c *capture) handle(p *packet.Packet, pk *pkt, scratch *[]byte) error {
	id, lt, err := c.iface(p)
	if err != nil {
		return err
	}
	data := p.Data
	length := p.Length
	if lt != packet.LinkTypeEthernet {
		rec, err := packet.AppendRecord((*scratch)[:0], p, lt)
		if err != nil {
			c.sink.writeErr.Add(1)
			fmt.Fprintf(c.sink.errOut, "fieldgate capture: interface %s: %v\n", c.names[p.Interface], err)
			return nil
		}
		*scratch = rec
		length += len(rec) - len(p.Data)
		data = rec
	}
	*pk = pkt{ts: p.Timestamp, lt: lt, data: data, length: length, ifname: c.names[p.Interface], ifindex: p.Interface,
		typ: p.Type, addr: p.Addr, any: c.multi}
	return c.sink.emit(pk, id, packet.CaptureInfo{Timestamp: p.Timestamp, Length: length, Direction: packet.DirectionOf(p.Type)})
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
	stats := map[int]packet.InterfaceStats{}
	now := time.Now()
	for ifindex, id := range c.ids {
		if _, ok := recv[ifindex]; !ok {
			continue // captured through an "any" socket: no per-interface counters
		}
		stats[id] = packet.InterfaceStats{Timestamp: now, Received: recv[ifindex], Dropped: drops[ifindex]}
	}
	c.mu.Unlock()
	c.sink.mu.Lock()
	defer c.sink.mu.Unlock()
	return c.sink.dump.close(stats)
}

func (c *capture) status(ctx context.Context, start time.Time, w io.Writer) {
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
			fmt.Fprintf(w, "\r\033[K%d packets  %s  %d dropped  %.0f pkt/s  %.2f Mbit/s",
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
