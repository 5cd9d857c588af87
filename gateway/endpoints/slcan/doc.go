// Package slcan is the gateway's `slcan` endpoint kind: the Lawicel
// (SLCAN) ASCII protocol of serial CAN adapters, in either role.
//
//   - role: host drives an adapter (a USB CANUSB, CANable, USBtin, a
//     network SLCAN bridge): C, V, N, the bit rate (S0–S8 or s), Z1, F
//     and O or L when the connection opens; then frames both ways, the
//     status flags polled with F, and the adapter opened again when it
//     comes back after vanishing. The adapter is a bus of this host
//     (config.TrustBus, on no interface): its frames are trusted, and
//     frames from untrusted sources reach it through a route's allow.
//   - role: device makes fieldgate look like an adapter, so that Linux's
//     slcand and slcan driver, python-can's slcan interface and SavvyCAN
//     can open it: the commands are answered as a CANUSB answers them.
//     The program on the other side may be any local user's (a pty) or
//     any host's (TCP): it is config.TrustRemote, and its frames reach a
//     bus only through allow.
//
// The transports are a serial device, a pty fieldgate creates (its slave
// path is logged and linked to a path of the user's choice), TCP (client,
// or server with one peer at a time) and Bluetooth RFCOMM (the same, with
// the rfcomm kind's address, channel, security and peers fields, from
// package gateway/endpoints/bluetooth's RFCOMMLink). Further transports
// plug in through the Transport interface and Open, with the protocol
// settings of DecodeOptions.
//
// SLCAN over RFCOMM is `kind: slcan, transport: rfcomm`, not `kind:
// rfcomm, protocol: slcan`: a Bluetooth SLCAN adapter is an SLCAN adapter
// whose serial line is a radio, and everything that describes it (role,
// bitrate, listen_only, status polls, the reconnects, one peer at a time,
// the trust of each role) is this kind's, as for serial, pty and TCP. The
// rfcomm kind is cannelloni's stream (many clients, handshake_timeout,
// max_clients, pdus), none of which applies to SLCAN; a protocol switch
// there would make half of either kind's fields errors. Only the address
// fields are shared, decoded and checked by the bluetooth package, so the
// two kinds read them alike and a server of each on one adapter and
// channel is a bind conflict. Trust follows the role: host is a bus of
// this host (an rfcomm server in that role must name its adapter in
// peers, or any device in range would be a trusted bus), device is an
// untrusted peer whose frames reach a bus only through allow, and a
// device not in peers is refused before it is served (counted as the
// rfcomm kind counts it: an allow_peers rejection and an auth drop).
//
// Lines are encoded and decoded by package can/slcan, without allocation
// per frame. Malformed lines are counted as malformed drops (and answered
// with BEL in the device role), a line longer than any SLCAN line closes
// the connection (an oversize drop), and an adapter's BEL replies are
// counted as write errors and logged, rate-limited.
//
// Dependencies and why: serial lines and ptys use golang.org/x/sys/unix's
// termios ioctls directly (TCGETS/TCSETS for raw 8N1 and the baud rate,
// TIOCEXCL, TCFLSH, and /dev/ptmx with TIOCSPTLCK/TIOCGPTN for ptys)
// rather than go.bug.st/serial or github.com/creack/pty: x/sys is already
// a dependency of the module, a pty needs the same termios code anyway,
// and a file descriptor opened non-blocking and wrapped by os.NewFile gets
// the runtime poller's read and write deadlines, which the protocol's
// command timeouts and write timeout need. go.bug.st/serial would add
// port enumeration (not needed: the device is configured) and its own
// blocking read loop without deadlines. Writes to a pty's master do not
// wait for the poller but retry a full pty after a short pause: Linux's
// slcan line discipline (slcand) consumes the slave's input without waking
// the master's writers, so EPOLLOUT would never come.
package slcan

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "slcan",
			Doc:    "SLCAN (Lawicel) adapters over a serial device, pty, TCP or Bluetooth RFCOMM: drive one (role host) or be one (role device)",
			Fields: Fields,
			Decode: decode,
		},
		Open:    openKind,
		Reports: endpoint.ReportsPeers | endpoint.ReportsErrorFrames,
	})
}
