package core

import (
	"net/netip"
	"strconv"
	"syscall"
)

// InetAddr is an AF_INET (IPv4) socket address: Python's (host, port)
// tuple. A zero IP (netip.Addr{}) is INADDR_ANY. struct sockaddr_in: 16
// bytes, port and address in network byte order.
type InetAddr struct {
	IP   netip.Addr // an IPv4 address
	Port int        // 0-65535
}

// Inet6Addr is an AF_INET6 socket address: Python's
// (host, port, flowinfo, scope_id) tuple. A zero IP is in6addr_any (::). If
// IP carries a zone ("fe80::1%eth0") and ScopeID is 0, the zone is resolved
// to the scope id. struct sockaddr_in6: 28 bytes.
type Inet6Addr struct {
	IP       netip.Addr // an IPv6 address (IPv4-mapped allowed)
	Port     int        // 0-65535
	FlowInfo uint32     // sin6_flowinfo in host order (flow label and traffic class)
	ScopeID  uint32     // sin6_scope_id: interface index for link-local addresses
}

var (
	_ Addr = InetAddr{}
	_ Addr = (*InetAddr)(nil)
	_ Addr = Inet6Addr{}
	_ Addr = (*Inet6Addr)(nil)
)

// Family returns AF_INET.
func (InetAddr) Family() int { return AF_INET }

// String returns "ip:port", like net.UDPAddr.
func (a InetAddr) String() string {
	ip := a.IP
	if !ip.IsValid() {
		ip = netip.IPv4Unspecified()
	}
	return ip.String() + ":" + strconv.Itoa(a.Port)
}

// Family returns AF_INET6.
func (Inet6Addr) Family() int { return AF_INET6 }

// String returns "[ip%scope]:port" with a numeric scope id, and
// "flowinfo=N" appended when the flow information is not zero.
func (a Inet6Addr) String() string {
	ip := a.IP
	if !ip.IsValid() {
		ip = netip.IPv6Unspecified()
	}
	s := "[" + ip.WithZone("").String()
	if a.ScopeID != 0 {
		s += "%" + strconv.FormatUint(uint64(a.ScopeID), 10)
	} else if z := ip.Zone(); z != "" {
		s += "%" + z
	}
	s += "]:" + strconv.Itoa(a.Port)
	if a.FlowInfo != 0 {
		s += " flowinfo=" + strconv.FormatUint(uint64(a.FlowInfo), 10)
	}
	return s
}

// ParseInetAddr returns the AF_INET address for a numeric host and a port
// with Python's special host names: "" is INADDR_ANY and "<broadcast>" is
// INADDR_BROADCAST. Host names are not resolved here: use GetAddrInfo.
func ParseInetAddr(host string, port int) (InetAddr, error) {
	if err := checkPort(AF_INET, port); err != nil {
		return InetAddr{}, err
	}
	switch host {
	case "":
		return InetAddr{IP: netip.IPv4Unspecified(), Port: port}, nil
	case "<broadcast>":
		return InetAddr{IP: netip.AddrFrom4([4]byte{255, 255, 255, 255}), Port: port}, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Is4() {
		return InetAddr{}, marshalErr(AF_INET, "IP", strconv.Quote(truncate(host))+" is not a numeric IPv4 address (resolve names with GetAddrInfo)", syscall.EINVAL)
	}
	return InetAddr{IP: ip, Port: port}, nil
}

// ParseInet6Addr returns the AF_INET6 address for a numeric host, which may
// carry a zone ("fe80::1%eth0" or "fe80::1%2", resolved to ScopeID), and a
// port. "" is in6addr_any (::). Host names are not resolved: use GetAddrInfo.
func ParseInet6Addr(host string, port int) (Inet6Addr, error) {
	if err := checkPort(AF_INET6, port); err != nil {
		return Inet6Addr{}, err
	}
	if host == "" {
		return Inet6Addr{IP: netip.IPv6Unspecified(), Port: port}, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Is6() {
		return Inet6Addr{}, marshalErr(AF_INET6, "IP", strconv.Quote(truncate(host))+" is not a numeric IPv6 address (resolve names with GetAddrInfo)", syscall.EINVAL)
	}
	a := Inet6Addr{IP: ip.WithZone(""), Port: port}
	if z := ip.Zone(); z != "" {
		id, err := zoneToScope(z)
		if err != nil {
			return Inet6Addr{}, err
		}
		a.ScopeID = id
	}
	return a, nil
}

func zoneToScope(z string) (uint32, error) {
	if n, err := strconv.ParseUint(z, 10, 32); err == nil {
		return uint32(n), nil
	}
	i, err := resolveIndex(AF_INET6, z, 0)
	if err != nil {
		return 0, err
	}
	return uint32(i), nil
}

func checkPort(fam, port int) error {
	if port < 0 || port > 65535 {
		return marshalErr(fam, "Port", strconv.Itoa(port)+" is out of range 0-65535", syscall.ERANGE)
	}
	return nil
}

func (a *InetAddr) appendTo(dst []byte) ([]byte, error) {
	if err := checkPort(AF_INET, a.Port); err != nil {
		return dst, err
	}
	var ip4 [4]byte
	if a.IP.IsValid() {
		if !a.IP.Is4() {
			return dst, marshalErr(AF_INET, "IP", a.IP.String()+" is not an IPv4 address", syscall.EAFNOSUPPORT)
		}
		ip4 = a.IP.As4()
	}
	dst, b := grow(dst, SizeofSockaddrInet4)
	putFamily(b, AF_INET)
	be.PutUint16(b[2:], uint16(a.Port))
	copy(b[4:8], ip4[:])
	return dst, nil
}

func (a *InetAddr) decode(raw []byte) error {
	if err := checkFamily(raw, AF_INET, "sockaddr_in", 8); err != nil {
		return err
	}
	a.Port = int(be.Uint16(raw[2:]))
	a.IP = netip.AddrFrom4([4]byte(raw[4:8]))
	return nil
}

func (a *Inet6Addr) appendTo(dst []byte) ([]byte, error) {
	if err := checkPort(AF_INET6, a.Port); err != nil {
		return dst, err
	}
	var ip16 [16]byte
	scope := a.ScopeID
	if a.IP.IsValid() {
		if !a.IP.Is6() {
			return dst, marshalErr(AF_INET6, "IP", a.IP.String()+" is not an IPv6 address (use InetAddr, or netip.AddrFrom16 for a v4-mapped one)", syscall.EAFNOSUPPORT)
		}
		ip16 = a.IP.As16()
		if z := a.IP.Zone(); z != "" && scope == 0 {
			id, err := zoneToScope(z)
			if err != nil {
				return dst, err
			}
			scope = id
		}
	}
	dst, b := grow(dst, SizeofSockaddrInet6)
	putFamily(b, AF_INET6)
	be.PutUint16(b[2:], uint16(a.Port))
	be.PutUint32(b[4:], a.FlowInfo)
	copy(b[8:24], ip16[:])
	ne.PutUint32(b[24:], scope)
	return dst, nil
}

func (a *Inet6Addr) decode(raw []byte) error {
	// Kernels before 2.4 returned the 24-byte RFC 2133 sockaddr_in6
	// without sin6_scope_id; accept it with scope 0.
	if err := checkFamily(raw, AF_INET6, "sockaddr_in6", 24); err != nil {
		return err
	}
	a.Port = int(be.Uint16(raw[2:]))
	a.FlowInfo = be.Uint32(raw[4:])
	a.IP = netip.AddrFrom16([16]byte(raw[8:24]))
	a.ScopeID = 0
	if len(raw) >= SizeofSockaddrInet6 {
		a.ScopeID = ne.Uint32(raw[24:])
	}
	return nil
}
