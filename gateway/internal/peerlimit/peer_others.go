//go:build !linux

package peerlimit

import "net"

// unixPeer: off Linux a unix socket peer has no identity here; only the
// total limit applies.
func unixPeer(*net.UnixConn) Peer { return Peer{Name: "local"} }
