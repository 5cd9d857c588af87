// Package vsock is VM sockets (AF_VSOCK) for Go: stream and seqpacket
// connections between a virtual machine guest and its host, or between
// two sockets of one machine over vsock_loopback.
//
// # API
//
//   - Listen(cid, port, cfg) and Dial(ctx, cid, port, cfg): SOCK_STREAM (the
//     default) or SOCK_SEQPACKET (Config.Type, message boundaries kept) as a
//     net.Listener (*Listener) and net.Conn (*Conn). Listen with PortAny (or
//     0) lets the kernel pick the port; Listener.Port reads it back.
//     Listener.AcceptContext and Dial take a context.
//   - Config: SO_VM_SOCKETS_BUFFER_SIZE/MIN_SIZE/MAX_SIZE and
//     SO_VM_SOCKETS_CONNECT_TIMEOUT, set before bind or connect (accepted
//     connections inherit a listener's). A nil *Config means the defaults.
//   - ParseAddr: "vsock:CID:PORT" (socat's form), "CID:PORT", with CID names
//     host, local, any, hypervisor, and the "host(2):PORT" form *Addr prints.
//   - LocalCID: this machine's CID (IOCTL_VM_SOCKETS_GET_LOCAL_CID on
//     /dev/vsock).
//
// Errors are *net.OpError values naming the operation and addresses and are
// errors.Is-compatible with unix.Errno, os.ErrDeadlineExceeded and
// net.ErrClosed. Invalid arguments are refused before any system call with
// an error naming the field.
//
// # Kernel behaviour (Debian 6.1, vsock_loopback; asserted by vsock_hil_test.go)
//
//   - /dev/vsock's local CID is 1 with only vsock_loopback loaded.
//   - Loopback traffic uses CID 1 (CIDLocal). A listener bound to CIDAny
//     reports CIDAny from getsockname; accepted connections report CID 1.
//   - Dialing a port nobody listens on fails at once with ECONNRESET (not
//     ECONNREFUSED); dialing an unknown CID fails with ENODEV.
//   - SOCK_DGRAM is not offered: on virtio and loopback transports
//     socket(AF_VSOCK, SOCK_DGRAM) fails with ENODEV (only VMCI has
//     datagrams), so this package has no datagram API.
//   - The kernel's connect timeout (2 s by default) also bounds non-blocking
//     connects; Dial therefore sets SO_VM_SOCKETS_CONNECT_TIMEOUT from
//     Config.ConnectTimeout or, if that is zero, from the context's deadline.
//   - Buffer sizes read back as set (6.1's virtio transports no longer cap
//     them at 256 KiB); accepted sockets inherit the listener's.
//   - Debian's python3 lacks socket.VMADDR_CID_LOCAL: Python peers must use
//     the literal 1 (an earlier test waited in Accept for a client that had
//     died on that AttributeError).
//
// # Why not only github.com/mdlayher/vsock
//
// Addresses are mdlayher/vsock's: Addr is an alias of *vsock.Addr's type,
// and the CID constants are its, so values pass unchanged to code (like
// fieldgate's gateway) that uses that package. Its sockets are not used:
// v1.4.0's Config is empty, so there is no way to set the buffer sizes or
// the connect timeout before connect; it has no SOCK_SEQPACKET, no context
// on Accept and no way to make a *vsock.Conn from a prepared file
// descriptor. The sockets are therefore fieldgate's core.Socket, which runs
// on the same runtime-poller machinery (github.com/mdlayher/socket) and has
// contexts, deadlines and the sockaddr_vm codec (core.VSockAddr).
package vsock
