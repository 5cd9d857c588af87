package bluetooth

import (
	"context"
	"net"

	bt "github.com/fieldgate/fieldgate/bluetooth"
)

// Listen opens c's listener as a server endpoint does (tests).
func Listen(c *Config) (net.Listener, error) { return transport{c}.Listen(context.Background()) }

// BTListener returns the Bluetooth listener under a server's (tests).
func BTListener(ln net.Listener) *bt.Listener {
	if l, ok := ln.(l2capListener); ok {
		return l.Listener
	}
	return ln.(*bt.Listener)
}
