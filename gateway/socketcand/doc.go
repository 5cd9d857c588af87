// Package socketcand implements the ASCII protocol of socketcand (CAN over
// TCP, default port 29536) as a pure codec: a scanner that cuts "< ... >"
// messages out of a byte stream, a command parser with exact validation
// (send, BCM timers and filters, muxfilter, ISO-TP isotpconf and sendpdu),
// and formatters for the server's replies (frame, error, stat, pdu). It
// does no I/O and is fuzzed (FuzzSocketcand, seeds in testdata/fuzz); the
// gateway's socketcand endpoint drives it. The reference is socketcand's
// doc/protocol.md and its state_*.c sources.
package socketcand
