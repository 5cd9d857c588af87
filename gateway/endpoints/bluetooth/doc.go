// Package bluetooth is the gateway's two Bluetooth endpoint kinds:
// `rfcomm`, cannelloni's TCP framing over an RFCOMM channel (a byte
// stream, what serial-port profiles and their adapters use), and `l2cap`,
// the same framing over an L2CAP connection-oriented channel in seqpacket
// mode. Either is a server (listening on one adapter or all, many clients)
// or a client that connects to one device and reconnects with backoff.
//
// The framing, the client limits, the handshake deadline and the reconnects
// are package stream's; this package is the transport and its fields: the
// device address, channel or PSM, the adapter to connect from, the
// BT_SECURITY level the kernel must enforce before a connection is
// delivered, and `peers`, the device addresses a server accepts (a
// stream.PeerFilter: others are closed and counted as allow_peers refusals
// are). Over L2CAP the stream is cut into messages of at most the peer's
// MTU (a seqpacket socket refuses a larger message whole), and the stream
// decoder reassembles frames across messages.
//
// RFCOMMLink offers the rfcomm kind's address fields, their decoding and
// checks, its sockets and its peers filter to a kind that carries a
// protocol of its own over RFCOMM: the slcan kind's transport: rfcomm.
//
// The sockets are fieldgate's own bluetooth package (on core's socket
// engine: every connect and accept honours its context, and errors name
// the address); the Go Bluetooth libraries speak BLE GATT or D-Bus to
// bluetoothd, not RFCOMM/L2CAP sockets, see that package.
//
// Bluetooth sockets are Linux only; elsewhere opening an endpoint fails
// with "rfcomm endpoints are not supported on GOOS" (or l2cap), and on a
// Linux kernel without Bluetooth with an error that names the module.
package bluetooth

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
)

func init() {
	stream.Register(stream.Kind{
		Name:   string(RFCOMM),
		Doc:    "cannelloni TCP framing over a Bluetooth RFCOMM channel, server or reconnecting client",
		Fields: rfcommFields,
		Decode: func(o *config.Object, role config.Role) stream.Settings { return decode(o, role, RFCOMM) },
	})
	stream.Register(stream.Kind{
		Name:   string(L2CAP),
		Doc:    "cannelloni TCP framing over a Bluetooth L2CAP seqpacket channel, server or reconnecting client",
		Fields: l2capFields,
		Decode: func(o *config.Object, role config.Role) stream.Settings { return decode(o, role, L2CAP) },
	})
}
