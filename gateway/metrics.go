package gateway

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

// metrics exposes the gateway's counters to Prometheus. Counters live in
// atomics on the hot path and are read at scrape time by a custom collector;
// only the per-route latency histograms are Prometheus objects.
type metrics struct {
	g        *Gateway
	reg      *prometheus.Registry
	mu       sync.Mutex
	latVec   *prometheus.HistogramVec
	epFrames *prometheus.Desc
	epBytes  *prometheus.Desc
	epDrops  *prometheus.Desc
	rtFrames *prometheus.Desc
	rtDrops  *prometheus.Desc
	qDepth   *prometheus.Desc
	seqGaps  *prometheus.Desc
	errFr    *prometheus.Desc
	peers    *prometheus.Desc
	rejected *prometheus.Desc
	logSupp  *prometheus.Desc
	offload  *prometheus.Desc
	brRecon  *prometheus.Desc
	brAcks   *prometheus.Desc
	brRepub  *prometheus.Desc
	brConn   *prometheus.Desc
	brRTT    *prometheus.Desc
	// admin counts the admin listener's refusals (admin_metrics.go).
	admin adminMetrics
}

func newMetrics(g *Gateway) *metrics {
	m := &metrics{
		g:   g,
		reg: prometheus.NewRegistry(),
		latVec: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fieldgate_route_latency_seconds",
			Help:    "Time from receiving a frame to writing it to the destination, per route.",
			Buckets: []float64{50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 50e-3, 100e-3, 0.5, 1},
		}, []string{"route"}),
		epFrames: prometheus.NewDesc("fieldgate_endpoint_frames_total", "Frames received (in) and sent (out) by an endpoint.", []string{"endpoint", "kind", "direction"}, nil),
		epBytes:  prometheus.NewDesc("fieldgate_endpoint_bytes_total", "Payload bytes received (in) and sent (out) by an endpoint.", []string{"endpoint", "kind", "direction"}, nil),
		epDrops:  prometheus.NewDesc("fieldgate_endpoint_dropped_frames_total", "Frames dropped at an endpoint, by reason.", []string{"endpoint", "reason"}, nil),
		rtFrames: prometheus.NewDesc("fieldgate_route_frames_total", "frame.Frame copies that entered a route (in, one per destination) and were written (out).", []string{"route", "direction"}, nil),
		rtDrops:  prometheus.NewDesc("fieldgate_route_dropped_frames_total", "frame.Frame copies dropped on a route, by reason.", []string{"route", "reason"}, nil),
		qDepth:   prometheus.NewDesc("fieldgate_queue_depth", "Frames waiting in an endpoint's outgoing queue.", []string{"endpoint"}, nil),
		seqGaps:  prometheus.NewDesc("fieldgate_udp_sequence_gaps_total", "Datagrams missing in the peer's cannelloni sequence numbers (network loss).", []string{"endpoint"}, nil),
		errFr:    prometheus.NewDesc("fieldgate_can_error_frames_total", "CAN error frames received on an interface.", []string{"endpoint"}, nil),
		peers:    prometheus.NewDesc("fieldgate_endpoint_peers", "Connected peers (clients) of an endpoint.", []string{"endpoint"}, nil),
		rejected: prometheus.NewDesc("fieldgate_endpoint_connections_rejected_total", "Client connections a server refused or closed before serving them, by reason.", []string{"endpoint", "reason"}, nil),
		logSupp:  prometheus.NewDesc("fieldgate_endpoint_log_lines_suppressed_total", "Log lines about an endpoint's peers held back by the per-peer log rate limit.", []string{"endpoint"}, nil),
		offload:  prometheus.NewDesc("fieldgate_route_offloaded", "1 when a route runs in the kernel (can-gw), 0 in user space.", []string{"route"}, nil),
		brRecon:  prometheus.NewDesc("fieldgate_broker_reconnects_total", "Connections to a message broker made again after one was lost.", []string{"endpoint"}, nil),
		brAcks:   prometheus.NewDesc("fieldgate_broker_pending_acks", "Published messages awaiting the broker's acknowledgement.", []string{"endpoint"}, nil),
		brRepub:  prometheus.NewDesc("fieldgate_broker_republished_total", "Messages published again because the broker's acknowledgement did not come.", []string{"endpoint"}, nil),
		brConn:   prometheus.NewDesc("fieldgate_broker_connection", "A broker client's connection: 1 for its current state (connecting, connected, reconnecting, closed) and the server it is connected to, or was last.", []string{"endpoint", "url", "server", "state"}, nil),
		brRTT:    prometheus.NewDesc("fieldgate_broker_rtt_seconds", "Last round trip measured from a broker client to its server (PING to PONG).", []string{"endpoint"}, nil),
	}
	m.reg.MustRegister(m.latVec, m, &m.admin)
	m.reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) latency(route string) latencyObserver {
	return m.latVec.WithLabelValues(route)
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.epFrames, m.epBytes, m.epDrops, m.rtFrames, m.rtDrops, m.qDepth, m.seqGaps, m.errFr, m.peers, m.rejected, m.logSupp, m.offload, m.brRecon, m.brAcks, m.brRepub, m.brConn, m.brRTT, descBusBits, descBusLoad, descBusRate, descBerr, descState, descUp, descBusOff} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	t := m.g.table.Load()
	m.g.syncOffloaded(t)
	if w := m.g.linksWatch(); w != nil {
		w.collect(ch)
	}
	c := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	for _, e := range t.byEP {
		if e == nil {
			continue
		}
		s := e.stats
		c(m.epFrames, s.FramesIn.Load(), e.name, e.cfg.Kind, "in")
		c(m.epFrames, s.FramesOut.Load(), e.name, e.cfg.Kind, "out")
		c(m.epBytes, s.BytesIn.Load(), e.name, e.cfg.Kind, "in")
		c(m.epBytes, s.BytesOut.Load(), e.name, e.cfg.Kind, "out")
		for _, r := range endpoint.Reasons() {
			c(m.epDrops, s.Drops[r].Load(), e.name, r.String())
		}
		if e.q != nil {
			gauge(m.qDepth, float64(e.q.len()), e.name)
		}
		rep := reports(e.cfg)
		if rep&endpoint.ReportsSeqGaps != 0 {
			c(m.seqGaps, s.SeqGaps.Load(), e.name)
		}
		if rep&endpoint.ReportsErrorFrames != 0 {
			c(m.errFr, s.ErrorFrames.Load(), e.name)
		}
		if rep&endpoint.ReportsPeers != 0 {
			gauge(m.peers, float64(s.Peers.Load()), e.name)
			for _, r := range endpoint.ConnReasons() {
				c(m.rejected, s.Rejected.Load(r), e.name, r.String())
			}
			c(m.logSupp, s.LogSuppressed.Load(), e.name)
		}
		if rep&endpoint.ReportsBroker != 0 {
			c(m.brRecon, s.Reconnects.Load(), e.name)
			gauge(m.brAcks, float64(s.PendingAcks.Load()), e.name)
			c(m.brRepub, s.Republished.Load(), e.name)
			if b := s.Broker.Load(); b != nil {
				gauge(m.brConn, 1, e.name, b.URL, b.Server, b.State)
				if b.RTT > 0 {
					gauge(m.brRTT, b.RTT.Seconds(), e.name)
				}
			}
		}
	}
	for _, r := range t.routes {
		c(m.rtFrames, r.stats.in.Load(), r.name, "in")
		c(m.rtFrames, r.stats.out.Load(), r.name, "out")
		for _, rs := range endpoint.Reasons() {
			c(m.rtDrops, r.stats.drops[rs].Load(), r.name, rs.String())
		}
		off := 0.0
		if r.offloaded {
			off = 1
		}
		gauge(m.offload, off, r.name)
	}
}
