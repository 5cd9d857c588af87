package vsock

import (
	"fmt"
	"time"
)

// Socket types for Config.Type (the Linux values).
const (
	// Stream is SOCK_STREAM: a byte stream (the default).
	Stream = 1
	// SeqPacket is SOCK_SEQPACKET: reliable messages whose boundaries are
	// kept (Linux 5.14 or later, virtio and loopback transports).
	SeqPacket = 5
)

// Config tunes a Listener or a Dial. A nil *Config means the defaults;
// zero fields mean the kernel's defaults.
type Config struct {
	// Type is Stream (the default) or SeqPacket.
	Type int
	// BufferSize is the receive buffer the peer may fill, in bytes
	// (SO_VM_SOCKETS_BUFFER_SIZE; kernel default 256 KiB).
	BufferSize uint64
	// BufferMinSize and BufferMaxSize bound BufferSize
	// (SO_VM_SOCKETS_BUFFER_MIN_SIZE, _MAX_SIZE).
	BufferMinSize, BufferMaxSize uint64
	// ConnectTimeout bounds a Dial's connect in the kernel
	// (SO_VM_SOCKETS_CONNECT_TIMEOUT). Zero: the context's remaining time
	// if it has a deadline, otherwise the kernel's default (2 s). A
	// listener's value is inherited by accepted sockets and has no other
	// effect.
	ConnectTimeout time.Duration
}

func (c *Config) typ() int {
	if c == nil || c.Type == 0 {
		return Stream
	}
	return c.Type
}

// validate checks the fields; op names the operation for the error.
func (c *Config) validate(op string) error {
	if c == nil {
		return nil
	}
	if c.Type != 0 && c.Type != Stream && c.Type != SeqPacket {
		return fmt.Errorf("vsock: %s: Config.Type %d: want Stream (%d) or SeqPacket (%d)", op, c.Type, Stream, SeqPacket)
	}
	if c.ConnectTimeout < 0 {
		return fmt.Errorf("vsock: %s: Config.ConnectTimeout %v: must not be negative", op, c.ConnectTimeout)
	}
	if c.BufferMinSize != 0 && c.BufferMaxSize != 0 && c.BufferMinSize > c.BufferMaxSize {
		return fmt.Errorf("vsock: %s: Config.BufferMinSize %d above Config.BufferMaxSize %d", op, c.BufferMinSize, c.BufferMaxSize)
	}
	if c.BufferSize != 0 && c.BufferMinSize != 0 && c.BufferSize < c.BufferMinSize {
		return fmt.Errorf("vsock: %s: Config.BufferSize %d below Config.BufferMinSize %d", op, c.BufferSize, c.BufferMinSize)
	}
	if c.BufferSize != 0 && c.BufferMaxSize != 0 && c.BufferSize > c.BufferMaxSize {
		return fmt.Errorf("vsock: %s: Config.BufferSize %d above Config.BufferMaxSize %d", op, c.BufferSize, c.BufferMaxSize)
	}
	return nil
}

// validateDial checks a Dial destination.
func validateDial(cid, port uint32) error {
	if cid == CIDAny {
		return fmt.Errorf("vsock: dial: CID %d (CIDAny) is not a destination", cid)
	}
	if port == PortAny {
		return fmt.Errorf("vsock: dial: port %d (PortAny) is not a destination", port)
	}
	return nil
}
