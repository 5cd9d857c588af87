// Package tipc is TIPC (Transparent Inter-Process Communication, AF_TIPC)
// for Go: sockets addressed by service rather than by host and port, and the
// kernel's topology service, which tells a program when a service appears or
// goes away anywhere in the cluster.
//
// # Addresses
//
// A server binds (publishes) a ServiceRange {type, lower, upper}; a client
// sends to or connects to one Service {type, instance} and the kernel picks
// a socket that published it. Every socket also has a SocketID <node:ref>,
// which is what a receiver sees as the source of a message. The byte layout
// (struct sockaddr_tipc) is core.TIPCAddr's; this package adds the values a
// TIPC user thinks in and their text forms, which follow the tipc(8) tool.
//
// # Sockets (Linux)
//
//   - Conn (ListenPacket): reliable datagrams (SOCK_RDM, the default) or
//     unreliable ones (SOCK_DGRAM), with ReadFrom/WriteTo a Service or a
//     SocketID, multicast to every socket of a ServiceRange (WriteToRange),
//     and Publish/Withdraw of further ranges on the same socket.
//   - Listener (Listen) and Dial: connection-oriented TIPC (SOCK_STREAM or
//     SOCK_SEQPACKET) as net.Listener and net.Conn.
//   - Topology (Subscribe): the topology server ({1,1}, TIPC_TOP_SRV);
//     Next returns Published, Withdrawn and Timeout events, and WaitService
//     waits for a service instance to be published.
//
// Every blocking call takes a context; errors name the operation and the
// address and are errors.Is-compatible with unix.Errno (for example
// unix.EHOSTUNREACH when nobody publishes a service). Values the kernel
// would refuse (reserved service types below 64, lower > upper, a zero
// service type) are refused before the system call with an error naming
// the field.
//
// # Kernel and peers
//
// TIPC needs CONFIG_TIPC (module tipc). A single node needs no bearer:
// sockets, the name table and the topology service work on the node alone,
// which is how the rig tests this package (tipc_hil_test.go) against
// Debian's /usr/bin/python3 socket module (AF_TIPC) as the peer and the
// iproute2 tipc(8) tool's name table listing. The development machines'
// kernel has no TIPC; there, every constructor fails with an error
// satisfying errors.Is(err, unix.EAFNOSUPPORT) that names the module.
//
// # Dependencies
//
// github.com/fieldgate/fieldgate/core provides the sockets (core.Socket, on
// Go's runtime poller via github.com/mdlayher/socket, with deadlines and
// contexts) and the sockaddr_tipc codec; x/sys/unix the constants. No
// maintained Go TIPC library exists (the topology messages, struct
// tipc_subscr and struct tipc_event, are encoded here, fuzzed).
package tipc
