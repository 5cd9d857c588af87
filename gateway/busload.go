package gateway

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fieldgate/fieldgate/netlinkfam"
)

// Bus load comes from the interface's own packet and byte counters
// (IFLA_STATS64), sampled once a second: it counts every frame the
// controller saw on the bus, also those no route reads and those other
// programs send, at no per-frame cost.

// busLoad is one interface's latest sample.
type busLoad struct {
	at      time.Time
	bits    uint64  // estimated bits on the wire since the interface appeared
	bps     float64 // bits per second over the last sample period
	bitrate uint32  // nominal bit rate, 0 when the interface has none (vcan, vxcan)
}

// Ratio returns the bus load as a fraction of the bit rate, or -1 when the
// interface has no bit rate.
func (b busLoad) Ratio() float64 {
	if b.bitrate == 0 {
		return -1
	}
	return b.bps / float64(b.bitrate)
}

// wireBits estimates the bits classic CAN frames occupy on the bus: 47 bits
// of framing per frame with an 11-bit identifier (SOF, arbitration, control,
// CRC, ACK, EOF and the 3-bit interframe space), 8 per data byte, and stuff
// bits, estimated at one in ten bits of the stuffed part (SOF to CRC: 34 +
// 8n bits). Extended identifiers add 20 bits and the worst case stuffs one
// bit in four; the counters do not tell either, so this is within about
// ±15 % for typical traffic. CAN FD's faster data phase is not modelled.
func wireBits(frames, bytes uint64) uint64 {
	return frames*47 + bytes*8 + (frames*34+bytes*8)/10
}

// busFrames returns the frames and bytes that crossed the bus as seen by l.
func busFrames(l *netlinkfam.Link) (frames, bytes uint64) {
	s := l.Stats
	if s == nil {
		return 0, 0
	}
	return countBus(l.Kind == "vcan", s.RxPackets, s.TxPackets, s.RxBytes, s.TxBytes)
}

// countBus picks the counters that are the bus. A vcan counts each frame
// twice (sent, and looped back as received), so only its transmit side is
// the bus; a vxcan's received side is its peer's transmissions; a real
// controller receives other nodes' frames.
func countBus(vcan bool, rxPackets, txPackets, rxBytes, txBytes uint64) (frames, bytes uint64) {
	if vcan {
		return txPackets, txBytes
	}
	return rxPackets + txPackets, rxBytes + txBytes
}

// sampleBusLoad updates the bus load of every CAN interface an endpoint
// uses, once a second, until ctx is done. It keeps one rtnetlink socket and
// its buffers (linkSampler) for its whole life and rebuilds its list of
// interfaces only when the routing table changes, so a tick allocates
// nothing and makes two non-blocking system calls per interface.
func (w *linkWatch) sampleBusLoad(ctx context.Context) {
	ls, err := openLinkSampler()
	if err != nil {
		w.g.log.Debug("bus load unavailable", "err", err)
		return
	}
	defer ls.close()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var (
		t      *table
		ifaces []string
		s      linkSample
	)
	for {
		if nt := w.g.table.Load(); nt != t {
			t, ifaces = nt, tableInterfaces(nt, ifaces[:0])
		}
		for _, iface := range ifaces {
			if err := ls.sample(iface, &s); err != nil || s.ifType != arphrdCAN {
				continue // gone, or not CAN: no bus load
			}
			frames, bytes := s.frames()
			w.updateSample(iface, frames, bytes, s.bitrate, time.Now())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// tableInterfaces appends the interfaces the endpoints of t use, each once,
// to out.
func tableInterfaces(t *table, out []string) []string {
	if t == nil {
		return out
	}
next:
	for _, e := range t.byEP {
		if e == nil || e.cfg.Interface() == "" {
			continue
		}
		for _, have := range out {
			if have == e.cfg.Interface() {
				continue next
			}
		}
		out = append(out, e.cfg.Interface())
	}
	return out
}

// updateLoad folds a new sample of l into the interface's bus load.
func (w *linkWatch) updateLoad(l *netlinkfam.Link, now time.Time) {
	frames, bytes := busFrames(l)
	var rate uint32
	if l.CAN != nil && l.CAN.BitTiming != nil {
		rate = l.CAN.BitTiming.Bitrate
	}
	w.updateSample(l.Name, frames, bytes, rate, now)
}

// updateSample folds a new sample of iface's bus counters (frames and
// bytes on the bus, nominal bit rate, 0 for none) into its bus load.
func (w *linkWatch) updateSample(iface string, frames, bytes uint64, rate uint32, now time.Time) {
	bits := wireBits(frames, bytes)
	w.mu.Lock()
	defer w.mu.Unlock()
	prev, ok := w.load[iface]
	nl := busLoad{at: now, bits: bits, bitrate: rate}
	if ok && bits >= prev.bits {
		if dt := now.Sub(prev.at).Seconds(); dt > 0 {
			nl.bps = float64(bits-prev.bits) / dt
		}
	}
	w.load[iface] = nl
}

// loadOf returns the latest bus load of iface.
func (w *linkWatch) loadOf(iface string) (busLoad, bool) {
	if w == nil {
		return busLoad{}, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	l, ok := w.load[iface]
	return l, ok
}

var (
	descBusBits = prometheus.NewDesc("fieldgate_can_bus_bits_total", "Estimated bits on the CAN bus (all frames the interface saw, from its packet and byte counters, stuffing estimated).", []string{"endpoint", "interface"}, nil)
	descBusLoad = prometheus.NewDesc("fieldgate_can_bus_load_ratio", "CAN bus load over the last second: bits on the bus / nominal bit rate (absent for interfaces without a bit rate, e.g. vcan).", []string{"endpoint", "interface"}, nil)
	descBusRate = prometheus.NewDesc("fieldgate_can_bus_bits_per_second", "Estimated bits per second on the CAN bus over the last second.", []string{"endpoint", "interface"}, nil)
)
