// Package socketcand implements the ASCII protocol of socketcand (CAN over
// TCP, default port 29536) as a pure codec: a scanner that cuts "< ... >"
// messages out of a byte stream, a command parser with exact validation, and
// formatters for the server's replies. It does no I/O and is fuzzed; the
// gateway's socketcand endpoint drives it.
package socketcand
