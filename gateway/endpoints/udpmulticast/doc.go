// Package udpmulticast is the gateway's `udp_multicast` kind: CAN and CAN
// FD frames shared over an IPv4 or IPv6 multicast group in python-can's
// UdpMulticastBus wire format, so that python-can programs
// (can.Bus(interface="udp_multicast")) on the LAN and fieldgate see one
// virtual bus.
//
// The wire format is one msgpack map per datagram, the can.Message fields
// python-can's pack_message writes. It is encoded and decoded here by
// hand (msgpack.go) rather than with github.com/vmihailenco/msgpack/v5:
// the map has eleven fixed keys and scalar values, so an encoder that
// appends into a reused buffer and a decoder that reads the keys in
// place are about 150 lines and allocate nothing per frame, where a
// general reflection-based codec would allocate for the map or a struct
// per datagram and brings a dependency for one message. The decoder is
// fuzzed against the encoder (FuzzDecodeMessage) and checked against
// python-can's msgpack in both directions.
//
// Like python-can's bus, each datagram carries one frame; received frames
// take the kernel's receive time (SO_TIMESTAMPNS) unless `timestamp:
// sender` asks for the time in the message, and sent frames carry their
// receive time in the gateway. Unlike python-can, which reads back its own
// datagrams through multicast loopback, the endpoint sends from a socket
// of its own and ignores datagrams from that socket's address, so frames
// never loop through the gateway. Datagrams that do not decode, or that
// python-can's can.Message checks would refuse, are counted `malformed`.
//
// Linux only (recvmmsg with receive timestamps); elsewhere the endpoint
// fails to open.
package udpmulticast

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "udp_multicast",
			Doc:    "python-can's udp_multicast bus (msgpack over IPv4/IPv6 multicast)",
			Fields: fields,
			Decode: decode,
		},
		Open: open,
	})
}
