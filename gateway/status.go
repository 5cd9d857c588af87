package gateway

import (
	"sort"
	"time"
)

// Status is a snapshot of a running gateway, served as JSON on /status and
// printed by "fieldgate status".
type Status struct {
	File      string           `json:"file"`
	Uptime    float64          `json:"uptime_seconds"`
	Endpoints []EndpointStatus `json:"endpoints"`
	Routes    []RouteStatus    `json:"routes"`
}

// EndpointStatus is one endpoint's counters.
type EndpointStatus struct {
	Name      string            `json:"name"`
	Kind      string            `json:"kind"`
	FramesIn  uint64            `json:"frames_in"`
	FramesOut uint64            `json:"frames_out"`
	BytesIn   uint64            `json:"bytes_in"`
	BytesOut  uint64            `json:"bytes_out"`
	Dropped   map[string]uint64 `json:"dropped"`
	Queue     int               `json:"queue"`
	Peers     int64             `json:"peers"`
	SeqGaps   uint64            `json:"seq_gaps"`
	ErrFrames uint64            `json:"error_frames"`
	// Rejected counts client connections refused or closed before they
	// were served, by reason; LogSuppressed the log lines about peers
	// held back by the per-peer log limit (servers only).
	Rejected      map[string]uint64 `json:"connections_rejected,omitempty"`
	LogSuppressed uint64            `json:"log_lines_suppressed,omitempty"`
	// Connects counts the connections a server accepted (socketcand) or
	// that completed the CANNELLONIv1 handshake (stream kinds, either
	// role).
	Connects uint64 `json:"connects,omitempty"`
	// Reconnects, PendingAcks and Republished describe a broker client
	// (nats): connections made again, messages awaiting acknowledgement,
	// messages published again.
	Reconnects  uint64 `json:"reconnects,omitempty"`
	PendingAcks int64  `json:"pending_acks,omitempty"`
	Republished uint64 `json:"republished,omitempty"`
	// Broker is a broker client's connection: the server, its state
	// and the last measured round trip (nats).
	Broker *BrokerStatus `json:"broker,omitempty"`
	// BusBPS and BusLoad describe the CAN bus of the endpoint's interface
	// over the last second (all traffic the controller saw): estimated
	// bits per second, and that over the bit rate (-1 without a bit
	// rate, e.g. vcan). Both are absent for other endpoints.
	BusBPS  float64  `json:"bus_bits_per_second,omitempty"`
	BusLoad *float64 `json:"bus_load,omitempty"`
	// RecvBuffer is the socket receive buffer the kernel granted, in
	// bytes (can endpoints: receive_buffer, doubled by the kernel).
	RecvBuffer int64 `json:"receive_buffer_bytes,omitempty"`
	// CANState is the CAN controller state of the endpoint's interface as
	// the kernel last reported it (ERROR-ACTIVE, ERROR-WARNING,
	// ERROR-PASSIVE, BUS-OFF, STOPPED, SLEEPING); absent when it reports
	// none (vcan) or for other endpoints.
	CANState string `json:"can_state,omitempty"`
}

// BrokerStatus is a broker client's connection.
type BrokerStatus struct {
	// URL is the server connected to (the last one while reconnecting),
	// without credentials; Server its name.
	URL    string `json:"url"`
	Server string `json:"server,omitempty"`
	// State is connecting, connected, reconnecting or closed, since
	// StateSeconds.
	State        string  `json:"state"`
	StateSeconds float64 `json:"state_seconds"`
	// RTT is the last round trip measured to the server (0: none yet).
	RTT time.Duration `json:"rtt_ns"`
}

// RouteStatus is one route's counters. In = Out + dropped + queued.
type RouteStatus struct {
	Name      string            `json:"name"`
	From      []string          `json:"from"`
	To        []string          `json:"to"`
	In        uint64            `json:"in"`
	Out       uint64            `json:"out"`
	Dropped   map[string]uint64 `json:"dropped"`
	Offloaded bool              `json:"offloaded"`
	// P50 and P99 are latency upper bounds (power-of-two µs buckets).
	P50 time.Duration `json:"latency_p50_ns"`
	P99 time.Duration `json:"latency_p99_ns"`
}

// DroppedTotal sums the drops.
func DroppedTotal(m map[string]uint64) uint64 {
	var t uint64
	for _, v := range m {
		t += v
	}
	return t
}

// Status returns a snapshot of the counters.
func (g *Gateway) Status() Status {
	t := g.table.Load()
	g.syncOffloaded(t)
	g.mu.Lock()
	st := Status{Uptime: time.Since(g.started).Seconds()}
	if g.cfg != nil {
		st.File = g.cfg.File
	}
	g.mu.Unlock()
	for _, e := range t.byEP {
		if e == nil {
			continue
		}
		s := e.stats
		es := EndpointStatus{Name: e.name, Kind: e.cfg.Kind, FramesIn: s.FramesIn.Load(), FramesOut: s.FramesOut.Load(),
			BytesIn: s.BytesIn.Load(), BytesOut: s.BytesOut.Load(), Dropped: s.Drops.Snapshot(), Peers: s.Peers.Load(),
			Connects: s.Connects.Load(),
			SeqGaps:  s.SeqGaps.Load(), ErrFrames: s.ErrorFrames.Load(),
			LogSuppressed: s.LogSuppressed.Load(), Reconnects: s.Reconnects.Load(), PendingAcks: s.PendingAcks.Load(),
			Republished: s.Republished.Load(), RecvBuffer: s.RecvBuffer.Load()}
		if r := s.Rejected.Snapshot(); len(r) > 0 {
			es.Rejected = r
		}
		if b := s.Broker.Load(); b != nil {
			es.Broker = &BrokerStatus{URL: b.URL, Server: b.Server, State: b.State,
				StateSeconds: time.Since(b.Since).Seconds(), RTT: b.RTT}
		}
		if e.q != nil {
			es.Queue = e.q.len()
		}
		if bl, ok := g.linksWatch().loadOf(e.cfg.Interface()); ok && e.cfg.Interface() != "" {
			r := bl.Ratio()
			es.BusBPS, es.BusLoad = bl.bps, &r
		}
		es.CANState = g.linksWatch().canState(e.cfg.Interface())
		st.Endpoints = append(st.Endpoints, es)
	}
	sort.Slice(st.Endpoints, func(i, j int) bool { return st.Endpoints[i].Name < st.Endpoints[j].Name })
	for _, r := range t.routes {
		st.Routes = append(st.Routes, RouteStatus{Name: r.name, From: r.cfg.From, To: r.cfg.To, In: r.stats.in.Load(),
			Out: r.stats.out.Load(), Dropped: r.stats.drops.Snapshot(), Offloaded: r.offloaded,
			P50: r.stats.lat.quantile(0.5), P99: r.stats.lat.quantile(0.99)})
	}
	return st
}
