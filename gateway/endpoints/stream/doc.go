// Package stream is the one implementation of the gateway's stream
// endpoint kinds (tcp, unix, vsock): cannelloni's TCP framing (both ends
// send "CANNELLONIv1", then frames back to back), as a server with many
// clients (frames sent go to every client, frames from any client enter
// the gateway) or as a client that reconnects with backoff, with optional
// TLS, an allow_peers list, a client limit and fieldgate's PDU records
// (ISO-TP, J1939 and Ethernet frames in the stream, `pdus: true`).
//
// A kind is a Transport (how to listen and dial: the socket family and
// address) and the settings type that holds it; it registers itself with
// Register, which adds the common fields (mode, max_clients, pdus,
// reconnect, and for IP transports allow_peers and tls) and their decoding.
// A further socket family (TIPC, Bluetooth RFCOMM or L2CAP) is a new kind
// package with a Transport and no change here. A Transport that cannot work
// on a platform implements Checker, so the open fails with a clear error; one
// whose peers are not IP addresses implements PeerFilter for its own allow
// list (the Bluetooth kinds' peers), which is counted as allow_peers is. A
// kind whose settings may choose something other than a stream (tipc's
// rdm datagrams) opens those endpoints itself (Kind.Open).
//
// It uses the cannelloni package's stream codec (the framing cannelloni
// and its peers speak), crypto/tls through internal/tlsconf, and
// internal/access for allow_peers, and internal/peerlimit for what keeps one
// client from locking the others out: max_clients and max_clients_per_peer
// slots held from accept to close, the handshake deadline
// (handshake_timeout, TLS included), and the per-peer log rate limit.
package stream
