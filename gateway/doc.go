// Package gateway is the bridging service behind "fieldgate run": endpoints read
// frames with batch I/O, routes filter, transform and rate-limit them, bounded
// queues deliver them to destination endpoints, and every drop is counted by
// reason in the metrics.
//
// One frame's path, in the order the code follows it:
//
//	endpoint Conn.Receive (can: recvmmsg batches; udp: one datagram, many frames)
//	  → Frame (frame.go: one fixed-size value for CAN, CAN FD, ISO-TP, J1939, Ethernet)
//	  → Gateway.deliver (gateway.go): route filters → rate limit → allow list
//	  → queue.push (queue.go): copy into a preallocated slot, transform in place,
//	    overflow policy drop-oldest / drop-newest / backpressure
//	  → the destination's writer goroutine: queue.pop batch → Conn.Send
//	  → Gateway.send: counters, latency, drops by reason for unwritten frames.
//
// Nothing on that path allocates per frame (BenchmarkEngine* with -benchmem).
//
// Endpoint kinds: can (can.RawConn), isotp (can.ISOTPConn), udp (cannelloni
// v2, optional AEAD authentication), tcp/unix/vsock (cannelloni TCP framing,
// server with many clients or reconnecting client, TLS for tcp), socketcand
// (server: raw, BCM, control modes on routed frames; ISO-TP mode and
// muxfilter on a kernel socket per client, within the routes: direct.go),
// j1939 (can.J1939Conn), log (candump log
// files, rotation), capture (rotating pcapng through the packet package) and
// packet (raw Ethernet frames of an interface: packet.Conn with a TPACKET_V3
// ring read block by block, the endpoint's tcpdump filter as kernel BPF,
// outgoing frames ignored so bridges do not loop; Ethernet frames cross udp
// links in OpPDU datagrams and tcp/unix/vsock links with pdus in stream PDU
// records, and a network source writes onto an interface only the
// ethertypes its route allows).
//
// Dependencies and why:
//   - github.com/fieldgate/fieldgate/can: raw and ISO-TP sockets with
//     recvmmsg/sendmmsg batches and the candump log codec, on the runtime poller.
//   - github.com/fieldgate/fieldgate/packet: the pcapng writer behind capture,
//     AF_PACKET sockets, rings and the tcpdump filter compiler behind packet
//     (package config compiles filters at check time).
//   - github.com/fieldgate/fieldgate/netlinkfam: link events (interface
//     down/up, CAN controller state) and error counters over rtnetlink.
//   - github.com/mdlayher/vsock: AF_VSOCK streams as net.Conn/net.Listener, so
//     vsock shares the TCP endpoint code.
//   - github.com/prometheus/client_golang: the /metrics exposition users scrape;
//     counters stay in atomics and are read by a custom collector at scrape time.
//   - gopkg.in/yaml.v3 (in package config): its Node API keeps line and column
//     of every value for error messages.
//   - crypto/tls, crypto/aes, crypto/cipher from the standard library for TLS
//     and the authenticated UDP mode (the alg package's kernel AEAD can replace
//     the Go AEAD behind the sealer interface).
package gateway
