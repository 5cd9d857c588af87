// Package gateway is the engine behind "fieldgate run": it opens the
// endpoints of a configuration through the endpoint registry, routes the
// frames they receive (filter, rate limit, transform, allow), queues them
// per destination, writes them in batches, and counts every drop by reason
// in the metrics. It imports no endpoint kind.
//
// One frame's path, in the order the code follows it:
//
//	a kind's endpoint.Transceiver Receive (can: recvmmsg batches; udp: one
//	  datagram, many frames) — packages under gateway/endpoints
//	  → frame.Frame (gateway/frame: one fixed-size value for CAN, CAN FD,
//	    ISO-TP, J1939, Ethernet)
//	  → Gateway.deliver (gateway.go): route filters → rate limit →
//	    transform → allow list (gateway/allowlist) for untrusted sources
//	  → inline send (inline.go) when the destination is idle, else
//	    queue.push (queue.go): copy into a preallocated slot, overflow
//	    policy drop-oldest / drop-newest / backpressure
//	  → the destination's writer goroutine: queue pop batch → Send
//	  → Gateway.send: counters, latency, drops by reason for unwritten frames.
//
// Nothing on that path allocates per frame (BenchmarkEngine* with -benchmem).
//
// What the engine needs to know of an endpoint comes from what its kind
// declares in its config.Settings (config.Traits): whether frames come out
// of it and go into it, what it carries, the interface it is on (link
// state, bus load, direct bus access), and its trust. A route from an
// untrusted endpoint (reachable from elsewhere, or a kind that declared
// nothing) to a bus (or, again, a kind that declared nothing) passes its
// allow list: forgetting to declare fails closed. Kernel offload (can-gw)
// applies between endpoints whose settings are config.RawCAN.
//
// Layout:
//   - gateway/endpoint: the Transceiver interface, Env, drop reasons and
//     the registry of kinds;
//   - gateway/endpoints/<kind>: one package per kind; gateway/endpoints/all
//     imports them all (the one list to edit when adding a kind);
//   - gateway/config: the YAML configuration and the decoding API kinds use;
//   - gateway/frame: the frame value and its wire conversions;
//   - gateway/allowlist: the allow rule;
//   - gateway/cli: fieldgate run, check, reload, status.
//
// Dependencies and why:
//   - github.com/fieldgate/fieldgate/can: kernel can-gw rules for offloaded
//     routes.
//   - github.com/fieldgate/fieldgate/netlinkfam: link events (interface
//     down/up, CAN controller state) and error counters over rtnetlink.
//   - github.com/prometheus/client_golang: the /metrics exposition users scrape;
//     counters stay in atomics and are read by a custom collector at scrape time.
//   - go.uber.org/goleak (tests only): no goroutine outlives a test.
package gateway
