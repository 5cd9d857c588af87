package core

// Addr is a socket address of one family. Each family has its own concrete
// type (UnixAddr, InetAddr, Inet6Addr, CANAddr, ISOTPAddr, J1939Addr, ...);
// MarshalSockaddr and ParseSockaddr convert between them and the raw
// struct sockaddr bytes the kernel reads and writes.
type Addr interface {
	// Family returns the address family, such as unix.AF_CAN.
	Family() int
	// String returns a human-readable form of the address.
	String() string
}
