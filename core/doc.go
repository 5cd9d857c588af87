// Package core is fieldgate's socket engine: every socket family, address
// format, socket method and module function that Python's socket module
// offers on Linux, in idiomatic Go, on the Go runtime poller, with deadlines
// and contexts, plus batch I/O (recvmmsg/sendmmsg) beyond Python; on UDP
// sockets SendMmsg hands runs of equal-size datagrams to the kernel as
// segmentation offload sends (UDP_SEGMENT), the same datagrams for a
// fraction of the kernel's work. The family packages (can, packet, alg,
// vsock, tipc, bluetooth, netlinkfam) and the gateway build on it.
//
// # Sockets
//
// NewSocket, FromFD, DupFD and Socketpair create a *Socket; its methods
// mirror Python's socket object one to one (see the table below), every
// blocking call has a Context form, and Conn/PacketConn adapt a socket to
// net.Conn and net.PacketConn. Errors are errors.Is-compatible with
// unix.Errno, timeouts satisfy os.ErrDeadlineExceeded and net.Error.Timeout,
// and operations on a closed socket return net.ErrClosed.
//
// # Addresses
//
// Every family has its own address type implementing Addr, with value
// receivers so both T and *T are Addrs. Each type's documentation names the
// Python tuple it stands for:
//
//	AF_UNIX       UnixAddr     path, or abstract name with a leading "@" or "\x00"
//	AF_INET       InetAddr     (host, port); ParseInetAddr knows "" and "<broadcast>"
//	AF_INET6      Inet6Addr    (host, port, flowinfo, scope_id)
//	AF_NETLINK    NetlinkAddr  (pid, groups)
//	AF_TIPC       TIPCAddr     (addr_type, v1, v2, v3, scope)
//	AF_CAN        CANAddr      (interface,)                      CAN_RAW, CAN_BCM
//	AF_CAN        ISOTPAddr    (interface, rx_addr, tx_addr)     CAN_ISOTP
//	AF_CAN        J1939Addr    (interface, name, pgn, addr)      CAN_J1939
//	AF_BLUETOOTH  L2CAPAddr    (bdaddr, psm[, cid, bdaddr_type]) BTPROTO_L2CAP
//	AF_BLUETOOTH  RFCOMMAddr   (bdaddr, channel)                 BTPROTO_RFCOMM
//	AF_BLUETOOTH  HCIAddr      (device_id,) plus the HCI channel BTPROTO_HCI
//	AF_BLUETOOTH  SCOAddr      bdaddr                            BTPROTO_SCO
//	AF_ALG        ALGAddr      (type, name[, feat[, mask]])
//	AF_VSOCK      VSockAddr    (cid, port) plus svm_flags
//	AF_PACKET     PacketAddr   (ifname, proto[, pkttype[, hatype[, addr]]])
//	AF_QIPCRTR    QIPCRTRAddr  (node, port)
//	AF_RDS        InetAddr     RDS sockets use sockaddr_in, as in Python
//	other         RawAddr      (family, bytes)
//
// MarshalSockaddr/AppendSockaddr encode an address into the raw struct
// sockaddr the kernel reads; ParseSockaddr/UnmarshalSockaddr decode the
// kernel's bytes (the socket's type and protocol tell the AF_CAN and
// AF_BLUETOOTH variants apart). The codec is the package's own: x/sys has no
// SCO or QIPCRTR sockaddr, cannot decode several others, and allocates per
// call, whereas AppendSockaddr and UnmarshalSockaddr do not allocate for
// fixed-size families. Interfaces may be named; names are resolved to
// indexes (SIOCGIFINDEX) when an address is encoded. Bluetooth addresses
// (BDAddr, BDAddrAny, BDAddrLocal, ParseBDAddr) are kept in display order and
// reversed on the wire. Malformed input gives an *AddrError naming the
// family, the length and the field, before anything reaches the kernel (an
// AF_ALG type of 14 bytes or a name of 64 is refused here rather than
// silently truncated by the kernel).
//
// Family and Kind print socket families and types by name ("AF_CAN",
// "SOCK_SEQPACKET|SOCK_CLOEXEC"). The Linux constants keep the names
// Python's socket module gives them (AF_CAN, CAN_ISOTP, J1939_NO_PGN,
// TIPC_ADDR_NAMESEQ, HCI_FILTER, SO_VM_SOCKETS_BUFFER_SIZE ...), re-exported
// from golang.org/x/sys/unix where it has them (const_linux.go) and defined
// from the kernel's uapi headers where it does not (const.go: ISO-TP,
// J1939, BCM, TIPC, RDS, QIPCRTR, ALG, VM sockets, PACKET, Bluetooth/HCI);
// the getaddrinfo AI_*, NI_* and EAI_* values are glibc's.
//
// # Python names and their Go names
//
// Module functions, classes and exceptions:
//
//	socket.socket(family, type, proto)  NewSocket(family, typ, proto)
//	socket.fromfd(fd, family, type)     DupFD(fd, family, typ, proto)
//	socket.socket(fileno=fd)            FromFD(fd) (adopts fd, detects family/type/proto)
//	socket.socketpair                   Socketpair
//	socket.create_connection            CreateConnection(ctx, address, *ConnOptions)
//	socket.create_server                CreateServer(address, *ServerOptions)
//	socket.has_dualstack_ipv6           HasDualStackIPv6
//	socket.has_ipv6                     always true on Linux: not exported
//	socket.getdefaulttimeout            DefaultTimeout
//	socket.setdefaulttimeout            SetDefaultTimeout
//	socket.close(fd)                    unix.Close (nothing to add)
//	socket.dup(fd)                      unix.Dup, or (*Socket).Dup
//	socket.send_fds / recv_fds          SendFDs / RecvFDs
//	socket.getaddrinfo                  GetAddrInfo(ctx, host, port, family, typ, proto, flags) -> []AddrInfo
//	socket.getnameinfo                  GetNameInfo(ctx, addr, flags)
//	socket.gethostbyname                GetHostByName(ctx, host)
//	socket.gethostbyname_ex             GetHostByNameEx(ctx, host)
//	socket.gethostbyaddr                GetHostByAddr(ctx, ip)
//	socket.getfqdn                      GetFQDN(ctx, name)
//	socket.gethostname                  GetHostName
//	socket.sethostname                  SetHostName
//	socket.getprotobyname               GetProtoByName (ParseProtocols for the file itself)
//	socket.getservbyname                GetServByName (ParseServices for the file itself)
//	socket.getservbyport                GetServByPort
//	socket.inet_aton / inet_ntoa        InetAton / InetNtoa
//	socket.inet_pton / inet_ntop        InetPton / InetNtop
//	socket.htons ntohs htonl ntohl      Htons Ntohs Htonl Ntohl (a *RangeError for Python's OverflowError)
//	socket.CMSG_LEN / CMSG_SPACE        CmsgLen / CmsgSpace
//	socket.if_nameindex                 IfNameIndex -> []Interface
//	socket.if_nametoindex               IfNameToIndex
//	socket.if_indextoname               IfIndexToName
//	socket.AddressFamily                Family
//	socket.SocketKind                   Kind
//	socket.AddressInfo, MsgFlag         untyped AI_* and MSG_* constants
//	socket.SocketIO, socket.makefile    (*Socket).Conn / PacketConn
//	socket.error (OSError)              unix.Errno inside *net.OpError; *AddrError, *InetError, *IfError, *LookupError
//	ValueError                          *ValueError (errors.Is: ErrNegativeTimeout, ErrDualStackFamily ... and unix.EINVAL)
//	OverflowError                       *RangeError (errors.Is: unix.ERANGE)
//	socket.herror                       *Herror (Code = HOST_NOT_FOUND ...)
//	socket.gaierror                     *Gaierror (Code = EAI_*)
//	socket.timeout                      os.ErrDeadlineExceeded (errors.Is), net.Error.Timeout
//	sys.audit events                    SetAuditHook
//
// Socket methods (on *Socket; each blocking one also has a ...Context form
// taking a context.Context):
//
//	accept            Accept (a nil Addr on AF_ALG, Python's None); AcceptNoAddr skips the address
//	bind              Bind
//	close / detach    Close / Detach
//	connect           Connect
//	connect_ex        ConnectEx (returns the errno)
//	dup               Dup
//	family type proto Family Type Proto
//	fileno            Fileno
//	get_inheritable   Inheritable
//	set_inheritable   SetInheritable
//	getblocking       Blocking
//	setblocking       SetBlocking
//	gettimeout        Timeout
//	settimeout        SetTimeout
//	getpeername       PeerName
//	getsockname       SockName
//	getsockopt        GetsockoptInt / GetsockoptBytes
//	setsockopt        SetsockoptInt / SetsockoptBytes / SetsockoptNull(level, name, optlen)
//	listen            Listen
//	makefile          Conn (streams) / PacketConn (datagrams)
//	recv recv_into    Recv RecvInto
//	recvfrom          RecvFrom
//	recvfrom_into     RecvFromInto
//	recvmsg           RecvMsg ([]Cmsg, flags, source Addr)
//	recvmsg_into      RecvMsgInto
//	send sendall      Send SendAll
//	sendto            SendTo
//	sendmsg           SendMsg
//	sendmsg_afalg     SendMsg with AF_ALG control messages (package alg builds them)
//	sendfile          SendFile
//	shutdown          Shutdown
//	(beyond Python)   RecvMmsg / SendMmsg, SyscallConn, SetDeadline
//
// # Not applicable on Linux
//
// These parts of Python's socket module exist only on other systems and have
// no counterpart here: Windows' socket.ioctl (SIO_RCVALL,
// SIO_KEEPALIVE_VALS, SIO_LOOPBACK_FAST_PATH), socket.share/fromshare and
// AF_HYPERV (HV_PROTOCOL_RAW, HV_GUID_*); the BSDs' AF_LINK, AF_DIVERT and
// LOCAL_CREDS/LOCAL_CREDS_PERSISTENT; macOS's PF_SYSTEM (SYSPROTO_CONTROL).
// On a GOOS other than Linux the package builds, the address codec and the
// pure functions work, and socket operations return a "not supported on
// GOOS" error.
//
// # Name resolution
//
// The resolver functions are pure Go, without cgo: /etc/hosts (parsed
// here), then DNS through net.Resolver with PreferGo, honouring
// /etc/nsswitch.conf and /etc/resolv.conf; /etc/services and /etc/protocols
// are parsed here too (ParseServices, ParseProtocols, ParseHosts report
// malformed lines with file:line and keep the valid ones, as glibc skips
// them). GetAddrInfo follows glibc's rules for flags (AI_PASSIVE,
// AI_NUMERICHOST, AI_NUMERICSERV, AI_CANONNAME, AI_V4MAPPED, AI_ALL,
// AI_ADDRCONFIG), family and socket type/protocol filtering, and result
// order, and was checked against CPython on Debian; differences: host ""
// stands for Python's None, a service string is numeric only if it is
// all decimal digits (glibc's strtoul also takes " 80" and "-1"), and
// non-ASCII host names are looked up as given, without the IDNA encoding
// Python applies (that would need golang.org/x/text).
//
// # Dependencies
//
//   - golang.org/x/sys/unix: the system calls and the Linux constants; the
//     standard syscall package is frozen and lacks most of them.
//   - github.com/mdlayher/socket: a nonblocking file descriptor on the
//     runtime network poller with deadlines, context cancellation and
//     network namespaces, which is what net.Conn gets internally but for any
//     family; calls it lacks go through its SyscallConn, never around the
//     poller.
//   - net, net/netip (standard library): the pure-Go resolver and
//     allocation-free IP addresses.
package core
