package cli

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/fieldgate/fieldgate/can"
)

const gwUsage = `usage: fieldgate can gw add|del|list|flush [OPTIONS]

Manages the kernel CAN gateway (can-gw) like cangw; the options are cangw's.
  add  -s SRC -d DST [options]    add a rule            (cangw -A)
  del  -s SRC -d DST [options]    delete a matching rule (cangw -D)
  list                            list rules with counters, in cangw -L format
  flush                           delete every rule     (cangw -F)

options (values in hex unless noted; boolean options may be combined, -Xe):
  -s DEV            source interface
  -d DEV            destination interface
  -X                CAN FD rule
  -e                echo sent frames to local sockets (needed on vcan)
  -t                keep the source receive timestamp
  -i                allow routing back to the incoming interface
  -u UID            modification identifier (needs -m/-M)
  -l HOPS           hop limit, decimal 1..6
  -f ID:MASK        filter: forward frames with id & mask == ID & MASK
  -f ID~MASK        inverted filter
  -m OP:FIELDS:ID.DLC.DATA         classic modification: OP is AND|OR|XOR|SET,
                                   FIELDS one or more of I L D, DATA 16 hex digits
  -M OP:FIELDS:ID.FLAGS.LEN.DATA   FD modification (-X): FIELDS of I L F D,
                                   DATA 128 hex digits
  -x FROM:TO:RESULT:INIT           XOR checksum (indexes decimal, may be negative)
  -c FROM:TO:RESULT:INIT:XOR:TABLE CRC8 checksum; TABLE is 512 hex digits, or
                                   poly=PP to compute the table of polynomial PP
  -p PROFILE:[DATA]                CRC8 profile: 1:XX, 2:<32 hex digits>, 3:
`

// gwMain is `fieldgate can gw`.
func gwMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, gwUsage)
		if len(args) == 0 {
			return usagef("gw: missing action (want add, del, list or flush)")
		}
		return nil
	}
	action := args[0]
	switch action {
	case "add", "del", "delete", "list", "flush":
	default:
		return usagef("gw: unknown action %q (want add, del, list or flush)", action)
	}
	var r *can.GatewayRule
	if action == "add" || action == "del" || action == "delete" {
		var err error
		if r, err = parseGatewayRule(args[1:], net.InterfaceByName); err != nil {
			return err
		}
	} else if len(args) > 1 {
		return usagef("gw %s: takes no arguments, got %q", action, strings.Join(args[1:], " "))
	}
	g, err := can.DialGateway(nil)
	if err != nil {
		return err
	}
	defer g.Close()
	switch action {
	case "add":
		return g.Add(r)
	case "del", "delete":
		return g.Delete(r)
	case "flush":
		return g.Flush()
	}
	rules, err := g.Rules()
	if err != nil {
		return err
	}
	for i := range rules {
		fmt.Fprintln(stdout, formatGatewayListLine(&rules[i], gwIfName))
	}
	return nil
}

// gwIfName returns the name of interface index i, or "#i" if it has none
// (cangw prints "(null)" in that case).
func gwIfName(i int) string {
	if ifi, err := net.InterfaceByIndex(i); err == nil {
		return ifi.Name
	}
	return "#" + strconv.Itoa(i)
}

// formatGatewayListLine is one line of cangw -L, byte for byte.
func formatGatewayListLine(r *can.GatewayRule, name func(int) string) string {
	return fmt.Sprintf("cangw -A %s# %d handled %d dropped %d deleted",
		r.CangwArgs(name), int32(r.Handled), int32(r.Dropped), int32(r.Deleted))
}

// parseGatewayRule parses cangw's rule options.
func parseGatewayRule(args []string, lookup func(string) (*net.Interface, error)) (*can.GatewayRule, error) {
	r := &can.GatewayRule{}
	var src, dst string
	var mods []string // -m/-M values, parsed after -X is known
	var modOpt []string
	var crcArg, profileArg string
	// Expand combined boolean options such as -Xe, as getopt does.
	var expanded []string
	for _, a := range args {
		if len(a) > 2 && a[0] == '-' && strings.Trim(a[1:], "Xtei") == "" {
			for _, c := range a[1:] {
				expanded = append(expanded, "-"+string(c))
			}
			continue
		}
		expanded = append(expanded, a)
	}
	args = expanded
	for i := 0; i < len(args); i++ {
		a := args[i]
		needVal := func() (string, error) {
			if i+1 >= len(args) {
				return "", usagef("gw: option %s needs a value", a)
			}
			i++
			return args[i], nil
		}
		var v string
		var err error
		switch a {
		case "-X":
			r.Flags |= can.GatewayFD
			continue
		case "-e":
			r.Flags |= can.GatewayEcho
			continue
		case "-t":
			r.Flags |= can.GatewaySrcTimestamp
			continue
		case "-i":
			r.Flags |= can.GatewayIIFTxOK
			continue
		case "-s", "-d", "-u", "-l", "-f", "-m", "-M", "-x", "-c", "-p":
			if v, err = needVal(); err != nil {
				return nil, err
			}
		default:
			return nil, usagef("gw: unknown option %q (see fieldgate can gw -h)", a)
		}
		switch a {
		case "-s":
			src = v
		case "-d":
			dst = v
		case "-u":
			u, err := strconv.ParseUint(v, 16, 32)
			if err != nil || u == 0 {
				return nil, usagef("gw: -u %q: want a non-zero hex UID up to FFFFFFFF", v)
			}
			r.UID = uint32(u)
		case "-l":
			h, err := strconv.ParseUint(v, 10, 8)
			if err != nil || h < 1 || h > 6 {
				return nil, usagef("gw: -l %q: want a hop limit 1..6 (decimal)", v)
			}
			r.HopLimit = uint8(h)
		case "-f":
			f, err := parseGatewayFilter(v)
			if err != nil {
				return nil, err
			}
			r.Filter = f
		case "-m", "-M":
			mods = append(mods, v)
			modOpt = append(modOpt, a)
		case "-x":
			x, err := parseGatewayXOR(v)
			if err != nil {
				return nil, err
			}
			r.XOR = x
		case "-c":
			crcArg = v
		case "-p":
			profileArg = v
		}
	}
	if src == "" || dst == "" {
		return nil, usagef("gw: -s SRC and -d DST are required")
	}
	for _, p := range []struct {
		opt, name string
		idx       *int
	}{{"-s", src, &r.SrcIndex}, {"-d", dst, &r.DstIndex}} {
		ifi, err := lookup(p.name)
		if err != nil {
			return nil, usagef("gw: %s %q: no such interface", p.opt, p.name)
		}
		*p.idx = ifi.Index
	}
	fd := r.Flags&can.GatewayFD != 0
	for i, v := range mods {
		if (modOpt[i] == "-M") != fd {
			if fd {
				return nil, usagef("gw: -m %q: an FD rule (-X) takes -M modifications", v)
			}
			return nil, usagef("gw: -M %q: FD modifications need -X", v)
		}
		op, m, err := parseGatewayMod(modOpt[i], v, fd)
		if err != nil {
			return nil, err
		}
		slot := map[string]**can.GatewayMod{"AND": &r.And, "OR": &r.Or, "XOR": &r.Xor, "SET": &r.Set}[op]
		if *slot != nil {
			return nil, usagef("gw: %s %q: a second %s modification (at most one each of AND, OR, XOR, SET)", modOpt[i], v, op)
		}
		*slot = m
	}
	if crcArg != "" {
		c, err := parseGatewayCRC8(crcArg)
		if err != nil {
			return nil, err
		}
		r.CRC8 = c
	}
	if profileArg != "" {
		if r.CRC8 == nil {
			return nil, usagef("gw: -p %q needs a CRC8 checksum (-c)", profileArg)
		}
		if err := parseGatewayProfile(profileArg, r.CRC8); err != nil {
			return nil, err
		}
	}
	if len(mods) == 0 && (r.CRC8 != nil || r.XOR != nil || r.UID != 0) {
		return nil, usagef("gw: -c, -x and -u can only be used together with -m/-M")
	}
	if err := r.Validate(); err != nil {
		return nil, usagef("gw: %v", err)
	}
	return r, nil
}

func parseGatewayFilter(v string) (*can.Filter, error) {
	sep, inv := ":", false
	if strings.Contains(v, "~") {
		sep, inv = "~", true
	}
	id, mask, ok := strings.Cut(v, sep)
	i, err1 := strconv.ParseUint(id, 16, 32)
	m, err2 := strconv.ParseUint(mask, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return nil, usagef("gw: -f %q: want ID:MASK or ID~MASK in hex, e.g. 123:7FF", v)
	}
	return &can.Filter{ID: uint32(i) &^ can.InvFilter, Mask: uint32(m), Inverted: inv || uint32(i)&can.InvFilter != 0}, nil
}

func parseGatewayXOR(v string) (*can.GatewayXOR, error) {
	f := strings.Split(v, ":")
	bad := usagef("gw: -x %q: want FROM:TO:RESULT:INIT (indexes decimal, INIT hex), e.g. 0:6:7:00", v)
	if len(f) != 4 {
		return nil, bad
	}
	var idx [3]int8
	for i := range idx {
		n, err := strconv.ParseInt(f[i], 10, 8)
		if err != nil {
			return nil, bad
		}
		idx[i] = int8(n)
	}
	init, err := strconv.ParseUint(f[3], 16, 8)
	if err != nil {
		return nil, bad
	}
	return &can.GatewayXOR{From: idx[0], To: idx[1], Result: idx[2], Init: uint8(init)}, nil
}

func parseGatewayCRC8(v string) (*can.GatewayCRC8, error) {
	f := strings.Split(v, ":")
	bad := usagef("gw: -c %q: want FROM:TO:RESULT:INIT:XOR:TABLE (indexes decimal, INIT and XOR hex, TABLE 512 hex digits or poly=PP)", v)
	if len(f) != 6 {
		return nil, bad
	}
	c := &can.GatewayCRC8{}
	for i, p := range []*int8{&c.From, &c.To, &c.Result} {
		n, err := strconv.ParseInt(f[i], 10, 8)
		if err != nil {
			return nil, bad
		}
		*p = int8(n)
	}
	for i, p := range []*uint8{&c.Init, &c.FinalXOR} {
		n, err := strconv.ParseUint(f[3+i], 16, 8)
		if err != nil {
			return nil, bad
		}
		*p = uint8(n)
	}
	if poly, ok := strings.CutPrefix(f[5], "poly="); ok {
		p, err := strconv.ParseUint(poly, 16, 8)
		if err != nil {
			return nil, bad
		}
		c.Table = can.CRC8Table(uint8(p))
		return c, nil
	}
	t, err := hex.DecodeString(f[5])
	if err != nil || len(t) != 256 {
		return nil, bad
	}
	copy(c.Table[:], t)
	return c, nil
}

func parseGatewayProfile(v string, c *can.GatewayCRC8) error {
	p, data, ok := strings.Cut(v, ":")
	n, err := strconv.ParseUint(p, 10, 8)
	bad := usagef("gw: -p %q: want 1:XX, 2:<32 hex digits> or 3:", v)
	if !ok || err != nil {
		return bad
	}
	c.Profile = can.GatewayCRC8Profile(n)
	switch c.Profile {
	case can.GatewayCRC8OneU8:
		b, err := hex.DecodeString(data)
		if err != nil || len(b) != 1 {
			return bad
		}
		c.ProfileData[0] = b[0]
	case can.GatewayCRC8SixteenU8:
		b, err := hex.DecodeString(data)
		if err != nil || len(b) != 16 {
			return bad
		}
		copy(c.ProfileData[:], b)
	case can.GatewayCRC8SFFIDXOR:
		if data != "" {
			return bad
		}
	default:
		return bad
	}
	return nil
}

// parseGatewayMod parses -m OP:FIELDS:ID.DLC.DATA16 or -M
// OP:FIELDS:ID.FLAGS.LEN.DATA128.
func parseGatewayMod(opt, v string, fd bool) (string, *can.GatewayMod, error) {
	form := "OP:FIELDS:ID.DLC.DATA with OP AND|OR|XOR|SET, FIELDS of I L D, DATA 16 hex digits, e.g. SET:IL:333.4.1122334455667788"
	if fd {
		form = "OP:FIELDS:ID.FLAGS.LEN.DATA with OP AND|OR|XOR|SET, FIELDS of I L F D, DATA 128 hex digits"
	}
	bad := func(why string) error { return usagef("gw: %s %q: %s; want %s", opt, v, why, form) }
	parts := strings.SplitN(v, ":", 3)
	if len(parts) != 3 {
		return "", nil, bad("not three ':'-separated parts")
	}
	op := parts[0]
	switch op {
	case "AND", "OR", "XOR", "SET":
	default:
		return "", nil, bad(fmt.Sprintf("unknown operation %q", op))
	}
	m := &can.GatewayMod{}
	if parts[1] == "" {
		return "", nil, bad("no fields")
	}
	for _, c := range parts[1] {
		switch {
		case c == 'I':
			m.Targets |= can.GatewayModID
		case c == 'L':
			m.Targets |= can.GatewayModLen
		case c == 'D':
			m.Targets |= can.GatewayModData
		case c == 'F' && fd:
			m.Targets |= can.GatewayModFlags
		default:
			return "", nil, bad(fmt.Sprintf("unknown field %q", c))
		}
	}
	vals := strings.Split(parts[2], ".")
	want, dataLen := 3, 8
	if fd {
		want, dataLen = 4, 64
	}
	if len(vals) != want {
		return "", nil, bad(fmt.Sprintf("%d '.'-separated values, want %d", len(vals), want))
	}
	id, err := strconv.ParseUint(vals[0], 16, 32)
	if err != nil {
		return "", nil, bad(fmt.Sprintf("ID %q is not hex", vals[0]))
	}
	m.ID = uint32(id)
	small := func(s, what string, max uint64) (uint8, error) {
		n, err := strconv.ParseUint(s, 16, 8)
		if err != nil || n > max {
			return 0, bad(fmt.Sprintf("%s %q: want hex 0..%X", what, s, max))
		}
		return uint8(n), nil
	}
	if fd {
		if m.Flags, err = small(vals[1], "FLAGS", 0xFF); err != nil {
			return "", nil, err
		}
		if m.Len, err = small(vals[2], "LEN", 0xFF); err != nil {
			return "", nil, err
		}
	} else {
		if m.Len, err = small(vals[1], "DLC", 0xF); err != nil {
			return "", nil, err
		}
		if op == "SET" && m.Len > 8 {
			return "", nil, bad(fmt.Sprintf("SET DLC %d exceeds 8", m.Len))
		}
	}
	data, err := hex.DecodeString(vals[want-1])
	if err != nil || len(data) != dataLen {
		return "", nil, bad(fmt.Sprintf("DATA %q is not %d hex digits", vals[want-1], 2*dataLen))
	}
	copy(m.Data[:], data)
	return op, m, nil
}
