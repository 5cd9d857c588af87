// Package all registers every endpoint kind this binary supports. It is
// the one list to edit when a kind is added: import it for its side effect
// wherever configurations are loaded (the command line, the gateway's
// tests).
package all

import (
	// Each kind registers itself with package endpoint in its init.
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/bluetooth"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/can"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/capture"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/console"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/isotp"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/j1939"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/nats"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/packet"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/slcan"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/socketcand"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/tcp"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/tipc"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/udp"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/udpmulticast"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/unix"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/vsock"
)
