package tipc

import (
	"fmt"

	"github.com/fieldgate/fieldgate/core"
)

// Config tunes a socket. A nil *Config means the defaults.
type Config struct {
	// Type is the socket type: for ListenPacket core.SOCK_RDM (reliable
	// datagrams, the default) or core.SOCK_DGRAM; for Listen and Dial
	// core.SOCK_STREAM (the default) or core.SOCK_SEQPACKET.
	Type int
	// Scope is how far publications are visible: ClusterScope (default)
	// or NodeScope.
	Scope Scope
	// Importance is the message importance, 0 (low, the default) to 3
	// (critical): under congestion the kernel drops less important
	// messages first (TIPC_IMPORTANCE).
	Importance int
	// DestDroppable, for datagrams: when the destination cannot take a
	// message, drop it instead of returning it to the sender
	// (TIPC_DEST_DROPPABLE; the kernel's default for SOCK_DGRAM).
	DestDroppable bool
}

func (c *Config) typ(packet bool) (int, error) {
	t := 0
	if c != nil {
		t = c.Type
	}
	switch {
	case t == 0 && packet:
		return core.SOCK_RDM, nil
	case t == 0:
		return core.SOCK_STREAM, nil
	case packet && (t == core.SOCK_RDM || t == core.SOCK_DGRAM):
		return t, nil
	case !packet && (t == core.SOCK_STREAM || t == core.SOCK_SEQPACKET):
		return t, nil
	}
	if packet {
		return 0, fmt.Errorf("tipc: Config.Type %s: want SOCK_RDM or SOCK_DGRAM", core.Kind(t))
	}
	return 0, fmt.Errorf("tipc: Config.Type %s: want SOCK_STREAM or SOCK_SEQPACKET", core.Kind(t))
}

func (c *Config) scope() (Scope, error) {
	if c == nil || c.Scope == 0 {
		return ClusterScope, nil
	}
	if c.Scope != ClusterScope && c.Scope != NodeScope {
		return 0, fmt.Errorf("tipc: Config.Scope %d: want ClusterScope (%d) or NodeScope (%d)", c.Scope, ClusterScope, NodeScope)
	}
	return c.Scope, nil
}
