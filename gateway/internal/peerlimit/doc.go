// Package peerlimit holds what the gateway's connection servers (the
// stream kinds tcp, unix and vsock, and socketcand) share against clients
// that would lock the others out or flood the log:
//
//   - Slots: the client limit, in total (max_clients) and per peer
//     (max_clients_per_peer), counted from accept to close, so connections
//     still in their handshake hold a slot too;
//   - Identify: who a peer is for that limit — its IP address (any port),
//     its vsock CID, or its uid for a unix socket (SO_PEERCRED, Linux);
//   - Log: a logger that writes at most a few lines per peer per window
//     and one summary line for the rest, which it counts.
//
// A connection that never completes its handshake is bounded by the
// handshake timeout, which the servers apply with deadlines on the
// connection (DefaultHandshakeTimeout).
package peerlimit
