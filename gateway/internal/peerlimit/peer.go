package peerlimit

import (
	"net"
	"net/netip"
	"strconv"

	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/tipc"
	"github.com/fieldgate/fieldgate/vsock"
)

// A Peer is who a connection comes from.
type Peer struct {
	// Key groups the connections of one peer for the per-peer limit and
	// the log limit: an IP address (without port; IPv4-mapped IPv6
	// addresses as IPv4), "cid N" for vsock, "tipc node N" for TIPC, "bt BD_ADDR" for Bluetooth, "uid N" for a unix socket
	// peer on Linux; "" where there is none (a unix peer elsewhere).
	Key string
	// Name names the connection in logs: the address with its port, the
	// vsock CID and port, or the unix peer's uid and pid.
	Name string
	// Addr is the IP address of an IP peer (invalid otherwise), for
	// allow_peers.
	Addr netip.Addr
}

// Identify returns the peer of connection c.
func Identify(c net.Conn) Peer {
	if u, ok := c.(*net.UnixConn); ok {
		return unixPeer(u)
	}
	ra := c.RemoteAddr()
	switch a := ra.(type) {
	case *net.TCPAddr:
		if a == nil {
			return Peer{Name: "unknown"}
		}
		ap := a.AddrPort()
		ip := ap.Addr().Unmap()
		return Peer{Key: ip.String(), Name: netip.AddrPortFrom(ip, ap.Port()).String(), Addr: ip}
	case *vsock.Addr:
		if a == nil {
			return Peer{Name: "unknown"}
		}
		return Peer{Key: "cid " + strconv.FormatUint(uint64(a.ContextID), 10), Name: a.String()}
	case core.NetAddr:
		// Bluetooth: every channel of one device is one peer.
		switch b := a.Addr.(type) {
		case *core.RFCOMMAddr:
			return Peer{Key: "bt " + b.BDAddr.String(), Name: b.String()}
		case *core.L2CAPAddr:
			return Peer{Key: "bt " + b.BDAddr.String(), Name: b.String()}
		}
	case tipc.Addr:
		if id, ok := a.Value.(tipc.SocketID); ok {
			// Every socket of one node is one peer.
			return Peer{Key: "tipc node " + strconv.FormatUint(uint64(id.Node), 10), Name: id.String()}
		}
	case nil:
		return Peer{Name: "local"}
	}
	s := ra.String()
	if ap, err := netip.ParseAddrPort(s); err == nil {
		ip := ap.Addr().Unmap()
		return Peer{Key: ip.String(), Name: s, Addr: ip}
	}
	if s == "" {
		s = "local"
	}
	return Peer{Key: s, Name: s}
}
