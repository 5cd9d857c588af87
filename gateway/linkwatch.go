package gateway

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fieldgate/fieldgate/netlinkfam"
)

// linkWatch follows CAN interfaces through netlinkfam's link events: it logs
// an interface going down or up and CAN state changes (error-passive,
// bus-off, restart), and serves the controller's error counters to the
// metrics.
type linkWatch struct {
	g     *Gateway
	mu    sync.Mutex
	state map[string]netlinkfam.LinkEvent
	load  map[string]busLoad
}

func (g *Gateway) watchLinks(ctx context.Context) {
	w := &linkWatch{g: g, state: map[string]netlinkfam.LinkEvent{}, load: map[string]busLoad{}}
	g.links = w
	go w.sampleBusLoad(ctx)
	ch, err := netlinkfam.SubscribeLinks(ctx, &netlinkfam.SubscribeConfig{ListExisting: true})
	if err != nil {
		g.log.Debug("link events unavailable", "err", err)
		return
	}
	go func() {
		for ev := range ch {
			if ev.Err != nil {
				continue
			}
			if !g.usesInterface(ev.Name) {
				continue
			}
			w.mu.Lock()
			prev, seen := w.state[ev.Name]
			w.state[ev.Name] = ev
			w.mu.Unlock()
			if ev.Existing {
				continue
			}
			if seen && prev.Up != ev.Up || ev.Deleted {
				g.log.Warn("interface changed", "interface", ev.Name, "up", ev.Up, "deleted", ev.Deleted)
			}
			if ev.CANStateChanged && ev.CAN != nil {
				g.log.Warn("CAN controller state", "interface", ev.Name, "state", ev.CAN.State.String(), "previous", ev.PrevCANState.String())
			}
		}
	}()
}

// usesInterface reports whether a CAN or packet endpoint uses iface.
func (g *Gateway) usesInterface(iface string) bool {
	t := g.table.Load()
	for _, e := range t.byEP {
		if e != nil && e.cfg.Interface() == iface {
			return true
		}
	}
	return false
}

var (
	descBerr   = prometheus.NewDesc("fieldgate_can_error_counter", "CAN controller error counters (TEC/REC) of an endpoint's interface.", []string{"endpoint", "interface", "direction"}, nil)
	descState  = prometheus.NewDesc("fieldgate_can_state", "CAN controller state: 0 error-active, 1 error-warning, 2 error-passive, 3 bus-off, 4 stopped, 5 sleeping.", []string{"endpoint", "interface"}, nil)
	descUp     = prometheus.NewDesc("fieldgate_can_interface_up", "1 when the endpoint's CAN interface is up.", []string{"endpoint", "interface"}, nil)
	descBusOff = prometheus.NewDesc("fieldgate_can_bus_off_total", "Bus-off events reported by the driver.", []string{"endpoint", "interface"}, nil)
)

// collect adds the CAN interface metrics, read from rtnetlink at scrape time.
func (w *linkWatch) collect(ch chan<- prometheus.Metric) {
	t := w.g.table.Load()
	var c *netlinkfam.Conn
	for _, e := range t.byEP {
		if e == nil || e.cfg.Interface() == "" {
			continue
		}
		iface := e.cfg.Interface()
		w.mu.Lock()
		ev, ok := w.state[iface]
		w.mu.Unlock()
		if ok {
			up := 0.0
			if ev.Up && !ev.Deleted {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, e.name, iface)
		}
		if c == nil {
			var err error
			if c, err = netlinkfam.Dial(nil); err != nil {
				return
			}
			defer c.Close()
		}
		l, err := c.LinkByName(iface)
		if err != nil || l.CAN == nil {
			continue
		}
		if l.CAN.HasState {
			ch <- prometheus.MustNewConstMetric(descState, prometheus.GaugeValue, float64(l.CAN.State), e.name, iface)
		}
		if b := l.CAN.BerrCounter; b != nil {
			ch <- prometheus.MustNewConstMetric(descBerr, prometheus.GaugeValue, float64(b.TxErr), e.name, iface, "tx")
			ch <- prometheus.MustNewConstMetric(descBerr, prometheus.GaugeValue, float64(b.RxErr), e.name, iface, "rx")
		}
		if s := l.CAN.Stats; s != nil {
			ch <- prometheus.MustNewConstMetric(descBusOff, prometheus.CounterValue, float64(s.BusOff), e.name, iface)
		}
		if bl, ok := w.loadOf(iface); ok {
			ch <- prometheus.MustNewConstMetric(descBusBits, prometheus.CounterValue, float64(bl.bits), e.name, iface)
			ch <- prometheus.MustNewConstMetric(descBusRate, prometheus.GaugeValue, bl.bps, e.name, iface)
			if r := bl.Ratio(); r >= 0 {
				ch <- prometheus.MustNewConstMetric(descBusLoad, prometheus.GaugeValue, r, e.name, iface)
			}
		}
	}
}
