// Package cannelloni encodes and decodes the cannelloni CAN-over-IP wire
// format (protocol version 2): UDP datagrams with a 5-byte header and
// back-to-back frames, and the TCP stream variant that starts with the
// "CANNELLONIv1" handshake. It is a pure codec without I/O and allocates
// nothing per frame, so it can be fuzzed and used on the gateway's hot path.
package cannelloni
