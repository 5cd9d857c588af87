package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/fieldgate/fieldgate/netlinkfam"
)

const linkUsage = `usage: fieldgate can link show|set|add|del ...

Like ip link, for CAN:
  show [-json] [DEV]
  set DEV [down] [type can] [SETTINGS...] [mtu N] [netns NS] [up]
  add NAME type vcan [fd]
  add NAME type vxcan|veth [peer PEER] [peer-netns NS]
  del NAME

SETTINGS (as ip link set DEV type can ...):
  bitrate BPS [sample-point 0.000..0.999] [sjw TQ]
  tq NS prop-seg TQ phase-seg1 TQ phase-seg2 TQ [sjw TQ]
  dbitrate BPS [dsample-point P] [dsjw TQ]        CAN FD data phase
  dtq NS dprop-seg TQ dphase-seg1 TQ dphase-seg2 TQ [dsjw TQ]
  MODE on|off    MODE: ` + "loopback listen-only triple-sampling one-shot berr-reporting fd fd-non-iso presume-ack cc-len8-dlc" + `
  tdc-mode auto|manual|off  [tdcv TQ] [tdco TQ] [tdcf TQ]
  restart-ms MS  restart  termination OHMS
NS is a name from /run/netns, a path, or a process id. "down" is applied
first and "up" last, so "set can0 down bitrate 250000 up" works on a running
controller.
`

// linkMain is `fieldgate can link`.
func linkMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, linkUsage)
		if len(args) == 0 {
			return usagef("link: missing action (want show, set, add or del)")
		}
		return nil
	}
	switch args[0] {
	case "show", "list", "ls":
		return linkShow(args[1:], stdout)
	case "set":
		return linkSet(args[1:])
	case "add":
		return linkAdd(args[1:])
	case "del", "delete":
		if len(args) != 2 {
			return usagef("link del: want exactly one interface name, got %d arguments", len(args)-1)
		}
		c, err := netlinkfam.Dial(nil)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.DeleteLink(args[1])
	}
	return usagef("link: unknown action %q (want show, set, add or del)", args[0])
}

func linkShow(args []string, stdout io.Writer) error {
	asJSON := false
	var name string
	for _, a := range args {
		switch {
		case a == "-json" || a == "--json" || a == "-j":
			asJSON = true
		case strings.HasPrefix(a, "-"):
			return usagef("link show: unknown option %q (want -json)", a)
		case name != "":
			return usagef("link show: more than one interface (%q and %q)", name, a)
		default:
			name = a
		}
	}
	var links []netlinkfam.Link
	if name != "" {
		l, err := netlinkfam.LinkByName(name)
		if err != nil {
			return err
		}
		links = []netlinkfam.Link{*l}
	} else {
		var err error
		if links, err = netlinkfam.Links(); err != nil {
			return err
		}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(links)
	}
	for i := range links {
		io.WriteString(stdout, formatLink(&links[i]))
	}
	return nil
}

// formatLink prints a link the way `ip -d -s link show` arranges it.
func formatLink(l *netlinkfam.Link) string {
	var s strings.Builder
	var flags []string
	if l.Up {
		flags = append(flags, "UP")
	}
	if l.LowerUp {
		flags = append(flags, "LOWER_UP")
	}
	if l.Flags&0x80 != 0 {
		flags = append(flags, "NOARP")
	}
	if l.Flags&0x40000 != 0 {
		flags = append(flags, "ECHO")
	}
	fmt.Fprintf(&s, "%d: %s: <%s> mtu %d state %s", l.Index, l.Name, strings.Join(flags, ","), l.MTU, l.OperState)
	if l.Kind != "" {
		fmt.Fprintf(&s, " kind %s", l.Kind)
	}
	s.WriteString("\n")
	if ci := l.CAN; ci != nil && l.Kind == "can" {
		s.WriteString("    can")
		if ci.CtrlMode != 0 {
			fmt.Fprintf(&s, " <%s>", ci.CtrlMode)
		}
		if ci.HasState {
			fmt.Fprintf(&s, " state %s", ci.State)
		}
		if b := ci.BerrCounter; b != nil {
			fmt.Fprintf(&s, " (berr-counter tx %d rx %d)", b.TxErr, b.RxErr)
		}
		fmt.Fprintf(&s, " restart-ms %d\n", ci.RestartMs)
		writeTiming := func(prefix string, bt *netlinkfam.BitTiming, btc *netlinkfam.BitTimingConst) {
			if bt != nil {
				fmt.Fprintf(&s, "\t  %sbitrate %d %ssample-point %.3f\n", prefix, bt.Bitrate, prefix, float64(bt.SamplePoint)/1000)
				fmt.Fprintf(&s, "\t  %stq %d %sprop-seg %d %sphase-seg1 %d %sphase-seg2 %d %ssjw %d %sbrp %d\n",
					prefix, bt.TQ, prefix, bt.PropSeg, prefix, bt.PhaseSeg1, prefix, bt.PhaseSeg2, prefix, bt.SJW, prefix, bt.BRP)
			}
			if btc != nil {
				fmt.Fprintf(&s, "\t  %s: %stseg1 %d..%d %stseg2 %d..%d %ssjw %d..%d %sbrp %d..%d %sbrp_inc %d\n",
					btc.Name, prefix, btc.TSeg1Min, btc.TSeg1Max, prefix, btc.TSeg2Min, btc.TSeg2Max,
					prefix, 1, btc.SJWMax, prefix, btc.BRPMin, btc.BRPMax, prefix, btc.BRPInc)
			}
		}
		writeTiming("", ci.BitTiming, ci.BitTimingConst)
		writeTiming("d", ci.DataBitTiming, ci.DataBitTimingConst)
		if t := ci.TDC; t != nil {
			fmt.Fprintf(&s, "\t  tdcv %d tdco %d tdcf %d\n", t.TDCV, t.TDCO, t.TDCF)
			fmt.Fprintf(&s, "\t  tdc: tdcv %d..%d tdco %d..%d tdcf %d..%d\n", t.TDCVMin, t.TDCVMax, t.TDCOMin, t.TDCOMax, t.TDCFMin, t.TDCFMax)
		}
		if ci.Termination != 0 || len(ci.TerminationConst) > 0 {
			fmt.Fprintf(&s, "\t  termination %d %v\n", ci.Termination, ci.TerminationConst)
		}
		if ci.ClockHz != 0 {
			fmt.Fprintf(&s, "\t  clock %d\n", ci.ClockHz)
		}
		if st := ci.Stats; st != nil {
			fmt.Fprintf(&s, "\t  re-started bus-errors arbit-lost error-warn error-pass bus-off\n")
			fmt.Fprintf(&s, "\t  %-10d %-10d %-10d %-10d %-10d %-10d\n",
				st.Restarts, st.BusError, st.ArbitrationLost, st.ErrorWarning, st.ErrorPassive, st.BusOff)
		}
	}
	if st := l.Stats; st != nil {
		fmt.Fprintf(&s, "    RX: packets %d bytes %d errors %d dropped %d\n", st.RxPackets, st.RxBytes, st.RxErrors, st.RxDropped)
		fmt.Fprintf(&s, "    TX: packets %d bytes %d errors %d dropped %d\n", st.TxPackets, st.TxBytes, st.TxErrors, st.TxDropped)
	}
	return s.String()
}

// linkSetRequest is a parsed `link set`.
type linkSetRequest struct {
	name     string
	down, up bool
	can      *netlinkfam.CANConfig
	mtu      int
	netns    string
}

func parseLinkSet(args []string) (*linkSetRequest, error) {
	if len(args) == 0 {
		return nil, usagef("link set: missing interface name")
	}
	req := &linkSetRequest{name: args[0]}
	cfg := &netlinkfam.CANConfig{}
	var bt, dbt netlinkfam.BitTiming
	var haveBT, haveDBT bool
	var spSet, dspSet, sjwSet, dsjwSet bool
	args = args[1:]
	for i := 0; i < len(args); i++ {
		kw := args[i]
		val := func(form string) (string, error) {
			if i+1 >= len(args) {
				return "", usagef("link set: %s needs a value: %s %s", kw, kw, form)
			}
			i++
			return args[i], nil
		}
		num := func(form string, max uint64) (uint32, error) {
			v, err := val(form)
			if err != nil {
				return 0, err
			}
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n > max {
				return 0, usagef("link set: %s %q: want %s", kw, v, form)
			}
			return uint32(n), nil
		}
		point := func() (uint32, error) {
			v, err := val("0.000..0.999")
			if err != nil {
				return 0, err
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 || f >= 1 {
				return 0, usagef("link set: %s %q: want a fraction 0.000..0.999, e.g. 0.875", kw, v)
			}
			return uint32(f*1000 + 0.5), nil
		}
		var err error
		switch kw {
		case "up":
			req.up = true
		case "down":
			req.down = true
		case "type":
			v, err := val("can")
			if err != nil {
				return nil, err
			}
			if v != "can" {
				return nil, usagef("link set: type %q: only \"type can\" settings are supported", v)
			}
		case "bitrate":
			bt.Bitrate, err = num("bits per second, e.g. 500000", 1<<32-1)
			haveBT = true
		case "sample-point":
			bt.SamplePoint, err = point()
			spSet = true
		case "tq":
			bt.TQ, err = num("time quantum in ns", 1<<32-1)
			haveBT = true
		case "prop-seg":
			bt.PropSeg, err = num("time quanta", 1<<32-1)
		case "phase-seg1":
			bt.PhaseSeg1, err = num("time quanta", 1<<32-1)
		case "phase-seg2":
			bt.PhaseSeg2, err = num("time quanta", 1<<32-1)
		case "sjw":
			bt.SJW, err = num("time quanta", 1<<32-1)
			sjwSet = true
		case "dbitrate":
			dbt.Bitrate, err = num("bits per second, e.g. 2000000", 1<<32-1)
			haveDBT = true
		case "dsample-point":
			dbt.SamplePoint, err = point()
			dspSet = true
		case "dtq":
			dbt.TQ, err = num("time quantum in ns", 1<<32-1)
			haveDBT = true
		case "dprop-seg":
			dbt.PropSeg, err = num("time quanta", 1<<32-1)
		case "dphase-seg1":
			dbt.PhaseSeg1, err = num("time quanta", 1<<32-1)
		case "dphase-seg2":
			dbt.PhaseSeg2, err = num("time quanta", 1<<32-1)
		case "dsjw":
			dbt.SJW, err = num("time quanta", 1<<32-1)
			dsjwSet = true
		case "tdcv", "tdco", "tdcf":
			var v uint32
			v, err = num("minimum time quanta", 1<<32-1)
			if cfg.TDC == nil {
				cfg.TDC = &netlinkfam.TDCConfig{}
			}
			switch kw {
			case "tdcv":
				cfg.TDC.TDCV = &v
			case "tdco":
				cfg.TDC.TDCO = &v
			default:
				cfg.TDC.TDCF = &v
			}
		case "tdc-mode":
			var v string
			if v, err = val("auto|manual|off"); err != nil {
				return nil, err
			}
			cfg.CtrlModeMask |= netlinkfam.CtrlModeTDCAuto | netlinkfam.CtrlModeTDCManual
			cfg.CtrlMode &^= netlinkfam.CtrlModeTDCAuto | netlinkfam.CtrlModeTDCManual
			switch v {
			case "auto":
				cfg.CtrlMode |= netlinkfam.CtrlModeTDCAuto
			case "manual":
				cfg.CtrlMode |= netlinkfam.CtrlModeTDCManual
			case "off":
			default:
				return nil, usagef("link set: tdc-mode %q: want auto, manual or off", v)
			}
		case "restart-ms":
			var ms uint32
			ms, err = num("milliseconds (0 = no automatic restart)", 1<<32-1)
			cfg.RestartMs = &ms
		case "restart":
			cfg.Restart = true
		case "termination":
			var t uint32
			t, err = num("ohms, e.g. 120 (0 = off)", 1<<16-1)
			t16 := uint16(t)
			cfg.Termination = &t16
		case "mtu":
			var m uint32
			m, err = num("bytes: 16 (CAN) or 72 (CAN FD)", 1<<31-1)
			req.mtu = int(m)
		case "netns":
			req.netns, err = val("NAME|PATH|PID")
		default:
			mode, ok := netlinkfam.CtrlModeByName(kw)
			if !ok {
				return nil, usagef("link set: unknown argument %q (see fieldgate can link -h)", kw)
			}
			v, err := val("on|off")
			if err != nil {
				return nil, err
			}
			switch v {
			case "on":
				cfg.CtrlMode |= mode
			case "off":
				cfg.CtrlMode &^= mode
			default:
				return nil, usagef("link set: %s %q: want on or off", kw, v)
			}
			cfg.CtrlModeMask |= mode
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case !haveBT && (spSet || sjwSet || bt.PropSeg != 0 || bt.PhaseSeg1 != 0 || bt.PhaseSeg2 != 0):
		return nil, usagef("link set: sample-point, sjw and the segments need bitrate BPS or tq NS")
	case !haveDBT && (dspSet || dsjwSet || dbt.PropSeg != 0 || dbt.PhaseSeg1 != 0 || dbt.PhaseSeg2 != 0):
		return nil, usagef("link set: dsample-point, dsjw and the d-segments need dbitrate BPS or dtq NS")
	}
	if haveBT {
		cfg.BitTiming = &bt
	}
	if haveDBT {
		cfg.DataBitTiming = &dbt
	}
	if cfg.BitTiming != nil || cfg.DataBitTiming != nil || cfg.CtrlModeMask != 0 || cfg.RestartMs != nil || cfg.Restart || cfg.Termination != nil || cfg.TDC != nil {
		if _, err := netlinkfam.EncodeCANConfig(cfg); err != nil {
			return nil, usagef("link set: %v", err)
		}
		req.can = cfg
	}
	if !req.up && !req.down && req.can == nil && req.mtu == 0 && req.netns == "" {
		return nil, usagef("link set %s: nothing to change (see fieldgate can link -h)", req.name)
	}
	return req, nil
}

func linkSet(args []string) error {
	req, err := parseLinkSet(args)
	if err != nil {
		return err
	}
	c, err := netlinkfam.Dial(nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if req.down {
		if err := c.SetLinkDown(req.name); err != nil {
			return err
		}
	}
	if req.mtu != 0 {
		if err := c.SetLinkMTU(req.name, req.mtu); err != nil {
			return err
		}
	}
	if req.can != nil {
		if err := c.SetCAN(req.name, req.can); err != nil {
			if errors.Is(err, syscall.EBUSY) && !req.down {
				return fmt.Errorf("%w (bit timing and modes change only while the link is down: add \"down ... up\")", err)
			}
			return err
		}
	}
	if req.netns != "" {
		f, err := openNetNS(req.netns)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := c.SetLinkNetNS(req.name, int(f.Fd())); err != nil {
			return err
		}
		if req.up {
			nc, err := netlinkfam.Dial(&netlinkfam.Config{NetNS: int(f.Fd())})
			if err != nil {
				return err
			}
			defer nc.Close()
			return nc.SetLinkUp(req.name)
		}
	}
	if req.up {
		return c.SetLinkUp(req.name)
	}
	return nil
}

// openNetNS opens a network namespace by name (/run/netns/NAME), path or
// process id.
func openNetNS(ns string) (*os.File, error) {
	path := ns
	if _, err := strconv.Atoi(ns); err == nil {
		path = "/proc/" + ns + "/ns/net"
	} else if !strings.Contains(ns, "/") {
		path = "/run/netns/" + ns
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("netns %q: %v (want a name from /run/netns, a path or a process id)", ns, err)
	}
	return f, nil
}

func linkAdd(args []string) error {
	if len(args) < 3 || args[1] != "type" {
		return usagef("link add: want NAME type vcan|vxcan|veth [...]")
	}
	name, kind := args[0], args[2]
	rest := args[3:]
	c, err := netlinkfam.Dial(nil)
	if err != nil {
		return err
	}
	defer c.Close()
	switch kind {
	case "vcan":
		cfg := &netlinkfam.VCANConfig{}
		for _, a := range rest {
			if a != "fd" {
				return usagef("link add %s type vcan: unknown argument %q (want fd)", name, a)
			}
			cfg.FD = true
		}
		return c.AddVCAN(name, cfg)
	case "vxcan", "veth":
		peer := &netlinkfam.PeerConfig{}
		for i := 0; i < len(rest); i++ {
			if i+1 >= len(rest) {
				return usagef("link add %s type %s: %s needs a value (peer NAME, peer-netns NS)", name, kind, rest[i])
			}
			switch rest[i] {
			case "peer":
				i++
				if rest[i] == "name" && i+1 < len(rest) { // ip's "peer name PEER"
					i++
				}
				peer.Name = rest[i]
			case "peer-netns":
				i++
				f, err := openNetNS(rest[i])
				if err != nil {
					return err
				}
				defer f.Close()
				peer.NetNS = int(f.Fd())
			default:
				return usagef("link add %s type %s: unknown argument %q (want peer NAME, peer-netns NS)", name, kind, rest[i])
			}
		}
		if kind == "vxcan" {
			return c.AddVXCAN(name, peer)
		}
		return c.AddVeth(name, peer)
	}
	return usagef("link add %s: type %q: want vcan, vxcan or veth", name, kind)
}
