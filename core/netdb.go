package core

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// getaddrinfo/getnameinfo flags and error codes: glibc's values, which
// Python's socket module exports.
const (
	AI_PASSIVE     = 0x1
	AI_CANONNAME   = 0x2
	AI_NUMERICHOST = 0x4
	AI_V4MAPPED    = 0x8
	AI_ALL         = 0x10
	AI_ADDRCONFIG  = 0x20
	AI_NUMERICSERV = 0x400

	NI_NUMERICHOST = 0x1
	NI_NUMERICSERV = 0x2
	NI_NOFQDN      = 0x4
	NI_NAMEREQD    = 0x8
	NI_DGRAM       = 0x10
	NI_IDN         = 0x20
	NI_MAXHOST     = 1025
	NI_MAXSERV     = 32

	EAI_BADFLAGS   = -1
	EAI_NONAME     = -2
	EAI_AGAIN      = -3
	EAI_FAIL       = -4
	EAI_NODATA     = -5
	EAI_FAMILY     = -6
	EAI_SOCKTYPE   = -7
	EAI_SERVICE    = -8
	EAI_ADDRFAMILY = -9
	EAI_MEMORY     = -10
	EAI_SYSTEM     = -11
	EAI_OVERFLOW   = -12
)

// h_errno codes carried by *Herror.
const (
	HOST_NOT_FOUND = 1
	TRY_AGAIN      = 2
	NO_RECOVERY    = 3
	NO_DATA        = 4
)

var gaiMessages = map[int]string{
	EAI_BADFLAGS:   "Bad value for ai_flags",
	EAI_NONAME:     "Name or service not known",
	EAI_AGAIN:      "Temporary failure in name resolution",
	EAI_FAIL:       "Non-recoverable failure in name resolution",
	EAI_NODATA:     "No address associated with hostname",
	EAI_FAMILY:     "ai_family not supported",
	EAI_SOCKTYPE:   "ai_socktype not supported",
	EAI_SERVICE:    "Servname not supported for ai_socktype",
	EAI_ADDRFAMILY: "Address family for hostname not supported",
	EAI_MEMORY:     "Memory allocation failure",
	EAI_SYSTEM:     "System error",
	EAI_OVERFLOW:   "Result too large for supplied buffer",
}

// Gaierror is a getaddrinfo/getnameinfo failure, Python's socket.gaierror:
// Code is the EAI_* value and Msg glibc's gai_strerror text.
type Gaierror struct {
	Code  int
	Msg   string
	Host  string // the name or address looked up
	Cause error  // the resolver error behind EAI_AGAIN/EAI_FAIL/EAI_SYSTEM, if any
}

func newGaierror(code int, host string, cause error) *Gaierror {
	return &Gaierror{Code: code, Msg: gaiMessages[code], Host: host, Cause: cause}
}

func (e *Gaierror) Error() string {
	s := "core: [Errno " + strconv.Itoa(e.Code) + "] " + e.Msg
	if e.Host != "" {
		s += ": " + strconv.Quote(truncate(e.Host))
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the underlying resolver error, if any.
func (e *Gaierror) Unwrap() error { return e.Cause }

// Timeout reports whether the failure was a timeout (EAI_AGAIN from a
// deadline), for net.Error.
func (e *Gaierror) Timeout() bool {
	var ne net.Error
	return errors.As(e.Cause, &ne) && ne.Timeout()
}

// Temporary reports whether retrying may succeed (EAI_AGAIN).
func (e *Gaierror) Temporary() bool { return e.Code == EAI_AGAIN }

// Herror is a host lookup failure of the gethostbyaddr family, Python's
// socket.herror: Code is the h_errno value (HOST_NOT_FOUND ...).
type Herror struct {
	Code int
	Msg  string
	Host string
}

var hMessages = map[int]string{
	HOST_NOT_FOUND: "Unknown host",
	TRY_AGAIN:      "Host name lookup failure",
	NO_RECOVERY:    "Unknown server error",
	NO_DATA:        "No address associated with name",
}

func (e *Herror) Error() string {
	return "core: [Errno " + strconv.Itoa(e.Code) + "] " + e.Msg + ": " + strconv.Quote(truncate(e.Host))
}

var (
	_ net.Error = (*Gaierror)(nil)
	_ error     = (*Herror)(nil)
)

// AddrInfo is one getaddrinfo result, Python's
// (family, type, proto, canonname, sockaddr) tuple. Addr is an InetAddr or
// Inet6Addr value. CanonName is set on the first result only, when
// AI_CANONNAME was asked for.
type AddrInfo struct {
	Family, Type, Proto int
	CanonName           string
	Addr                Addr
}

// resolver is the pure-Go resolver: /etc/nsswitch.conf order, /etc/hosts,
// then DNS from /etc/resolv.conf; never cgo.
var resolver = &net.Resolver{PreferGo: true}

// typeProto is glibc's gaih_inet_typeproto table.
type typeProto struct {
	typ, proto int
	name       string
	def        bool // used when neither type nor protocol is given
	protoAny   bool // accepts any protocol number (raw)
	noService  bool // takes no service (raw)
}

var typeProtos = [...]typeProto{
	{typ: SOCK_STREAM, proto: IPPROTO_TCP, name: "tcp", def: true},
	{typ: SOCK_DGRAM, proto: IPPROTO_UDP, name: "udp", def: true},
	{typ: SOCK_DCCP, proto: IPPROTO_DCCP, name: "dccp"},
	{typ: SOCK_DGRAM, proto: IPPROTO_UDPLITE, name: "udplite"},
	{typ: SOCK_STREAM, proto: IPPROTO_SCTP, name: "sctp"},
	{typ: SOCK_SEQPACKET, proto: IPPROTO_SCTP, name: "sctp"},
	{typ: SOCK_RAW, proto: 0, name: "raw", def: true, protoAny: true, noService: true},
}

type sockType struct{ typ, proto, port int }

// serviceTypes resolves the service and socket type/protocol the way
// glibc's gaih_inet does and returns the (type, proto, port) triples.
func serviceTypes(port string, typ, proto, flags int) ([]sockType, int) {
	var tp *typeProto
	if typ != 0 || proto != 0 {
		for i := range typeProtos {
			t := &typeProtos[i]
			if (typ != 0 && typ != t.typ) || (proto != 0 && !t.protoAny && proto != t.proto) {
				continue
			}
			tp = t
			break
		}
		if tp == nil {
			if typ != 0 {
				return nil, EAI_SOCKTYPE
			}
			return nil, EAI_SERVICE
		}
	}
	pick := func(t *typeProto) int {
		if t.protoAny && proto != 0 {
			return proto
		}
		return t.proto
	}
	num, numeric := -1, false
	if port != "" {
		if tp != nil && tp.noService {
			return nil, EAI_SERVICE
		}
		if n, err := strconv.ParseUint(port, 10, 64); err == nil {
			num, numeric = int(n&0xffff), true // glibc truncates with htons
		} else if flags&AI_NUMERICSERV != 0 {
			return nil, EAI_NONAME
		}
	}
	if port != "" && !numeric {
		db, err := loadServicesLenient()
		if err != nil {
			return nil, EAI_SERVICE
		}
		if tp != nil {
			s, ok := db.ByName(port, tp.name)
			if !ok {
				return nil, EAI_SERVICE
			}
			return []sockType{{tp.typ, pick(tp), s.Port}}, 0
		}
		var out []sockType
		for i := range typeProtos {
			t := &typeProtos[i]
			if t.noService {
				continue
			}
			if s, ok := db.ByName(port, t.name); ok {
				out = append(out, sockType{t.typ, t.proto, s.Port})
			}
		}
		if len(out) == 0 {
			return nil, EAI_SERVICE
		}
		return out, 0
	}
	if num < 0 {
		num = 0
	}
	if tp != nil {
		return []sockType{{tp.typ, pick(tp), num}}, 0
	}
	var out []sockType
	for i := range typeProtos {
		if t := &typeProtos[i]; t.def {
			out = append(out, sockType{t.typ, t.proto, num})
		}
	}
	return out, 0
}

const aiKnownFlags = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL | AI_ADDRCONFIG | AI_NUMERICSERV

// GetAddrInfo resolves host and port into socket addresses, Python's
// socket.getaddrinfo with glibc's semantics, in pure Go (no cgo):
//   - host "" is Python's None: the wildcard address with AI_PASSIVE, else
//     loopback; numeric hosts accept inet_aton's short forms ("127.1") and
//     IPv6 zones ("fe80::1%eth0"); names are looked up in /etc/hosts, then
//     DNS (Go's resolver, honouring /etc/nsswitch.conf), under ctx;
//   - port "" is None (port 0), a decimal number, or a service name from
//     /etc/services (refused with AI_NUMERICSERV);
//   - family is AF_UNSPEC, AF_INET or AF_INET6; typ and proto filter the
//     results as glibc does (with neither, every address comes as
//     SOCK_STREAM/tcp, SOCK_DGRAM/udp and SOCK_RAW);
//   - AI_NUMERICHOST refuses names, AI_CANONNAME fills CanonName of the
//     first result, AI_V4MAPPED/AI_ALL map IPv4 results for AF_INET6,
//     AI_ADDRCONFIG, as in glibc, narrows AF_UNSPEC to the one family the
//     host has an address of (other than 127.0.0.1 and ::1), and makes a
//     family it has none of EAI_NONAME; with neither family it changes
//     nothing.
//
// Failures are *Gaierror with the EAI_* code Python would raise.
func GetAddrInfo(ctx context.Context, host, port string, family, typ, proto, flags int) ([]AddrInfo, error) {
	ctx = orBackground(ctx)
	if auditing() {
		audit("socket.getaddrinfo", host, port, family, typ, proto)
	}
	if flags&^aiKnownFlags != 0 || (flags&AI_CANONNAME != 0 && host == "") {
		return nil, newGaierror(EAI_BADFLAGS, host, nil)
	}
	if family != AF_UNSPEC && family != AF_INET && family != AF_INET6 {
		return nil, newGaierror(EAI_FAMILY, host, nil)
	}
	if host == "" && port == "" {
		return nil, newGaierror(EAI_NONAME, host, nil)
	}
	if flags&AI_ADDRCONFIG != 0 {
		// glibc's getaddrinfo: narrow AF_UNSPEC to the one family the host
		// has addresses of, and refuse a family it has none of with
		// EAI_NONAME, before the service or the host is looked at.
		seen4, seen6 := addrConfigFamilies()
		switch {
		case family == AF_UNSPEC && seen4 && !seen6:
			family = AF_INET
		case family == AF_UNSPEC && seen6 && !seen4:
			family = AF_INET6
		case family == AF_INET && !seen4, family == AF_INET6 && !seen6:
			return nil, newGaierror(EAI_NONAME, host, nil)
		}
	}
	sts, code := serviceTypes(port, typ, proto, flags)
	if code != 0 {
		return nil, newGaierror(code, host, nil)
	}
	ips, canon, err := resolveHost(ctx, host, family, flags)
	if err != nil {
		return nil, err
	}
	out := make([]AddrInfo, 0, len(ips)*len(sts))
	for _, ip := range ips {
		for _, st := range sts {
			ai := AddrInfo{Type: st.typ, Proto: st.proto}
			if ip.Is4() {
				ai.Family = AF_INET
				ai.Addr = InetAddr{IP: ip, Port: st.port}
			} else {
				ai.Family = AF_INET6
				a := Inet6Addr{IP: ip.WithZone(""), Port: st.port}
				if z := ip.Zone(); z != "" {
					id, err := zoneToScope(z)
					if err != nil {
						return nil, newGaierror(EAI_NONAME, host, err)
					}
					a.ScopeID = id
				}
				ai.Addr = a
			}
			out = append(out, ai)
		}
	}
	if flags&AI_CANONNAME != 0 && len(out) > 0 {
		out[0].CanonName = canon
	}
	return out, nil
}

// resolveHost returns the addresses for host in glibc's order and the
// canonical name.
func resolveHost(ctx context.Context, host string, family, flags int) ([]netip.Addr, string, error) {
	if host == "" {
		v4, v6 := netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()
		order := []netip.Addr{v6, v4} // glibc's RFC 3484 order for loopback
		if flags&AI_PASSIVE != 0 {
			v4, v6 = netip.IPv4Unspecified(), netip.IPv6Unspecified()
			order = []netip.Addr{v4, v6}
		}
		return filterFamily(order, family, flags), "", nil
	}
	if ip, ok := parseNumericHost(host); ok {
		if ip.Is4() && family == AF_INET6 {
			if flags&AI_V4MAPPED == 0 {
				return nil, "", newGaierror(EAI_ADDRFAMILY, host, nil)
			}
			ip = netip.AddrFrom16(ip.As16())
		}
		if ip.Is6() && family == AF_INET {
			return nil, "", newGaierror(EAI_ADDRFAMILY, host, nil)
		}
		return []netip.Addr{ip}, host, nil
	}
	if flags&AI_NUMERICHOST != 0 {
		return nil, "", newGaierror(EAI_NONAME, host, nil)
	}
	canon := host
	var ips []netip.Addr
	if ents := systemHosts().ByName(host); len(ents) > 0 {
		canon = ents[0].Names[0]
		for _, e := range ents {
			ips = append(ips, e.IP)
		}
	} else {
		network := "ip"
		if family == AF_INET {
			network = "ip4"
		} else if family == AF_INET6 && flags&(AI_V4MAPPED|AI_ALL) == 0 {
			network = "ip6"
		}
		var err error
		ips, err = resolver.LookupNetIP(ctx, network, host)
		if err != nil {
			return nil, "", dnsGaierror(host, err)
		}
		if flags&AI_CANONNAME != 0 {
			if c, err := resolver.LookupCNAME(ctx, host); err == nil && c != "" {
				canon = strings.TrimSuffix(c, ".")
			}
		}
	}
	ips = filterFamily(ips, family, flags)
	if len(ips) == 0 {
		return nil, "", newGaierror(EAI_NONAME, host, nil)
	}
	return ips, canon, nil
}

// filterFamily keeps the addresses of family, mapping IPv4 ones into IPv6
// for AF_INET6 as AI_V4MAPPED and AI_ALL ask.
func filterFamily(ips []netip.Addr, family, flags int) []netip.Addr {
	var v4, v6 []netip.Addr
	for _, ip := range ips {
		if ip.Is4() || ip.Is4In6() && family == AF_INET {
			v4 = append(v4, ip.Unmap())
		} else {
			v6 = append(v6, ip)
		}
	}
	switch family {
	case AF_INET:
		return v4
	case AF_INET6:
		if flags&AI_V4MAPPED != 0 && (len(v6) == 0 || flags&AI_ALL != 0) {
			for _, ip := range v4 {
				v6 = append(v6, netip.AddrFrom16(ip.As16()))
			}
		}
		return v6
	}
	return ips
}

// parseNumericHost parses host as glibc's getaddrinfo does for numeric
// hosts: inet_aton forms for IPv4, inet_pton plus a %zone for IPv6.
func parseNumericHost(host string) (netip.Addr, bool) {
	if v, ok := inetAton(host); ok && strings.IndexFunc(host, func(r rune) bool { return r < '!' }) < 0 {
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
	}
	if strings.IndexByte(host, ':') >= 0 {
		if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// addrConfigFamilies reports whether the host has an IPv4 address other
// than 127.0.0.1 and an IPv6 address other than ::1, on any interface, up
// or down, link-local included: what glibc's __check_pf tells
// AI_ADDRCONFIG (so 127.0.0.2 counts as IPv4, fe80::1 as IPv6). Like
// glibc, it assumes both when the addresses cannot be listed.
func addrConfigFamilies() (seen4, seen6 bool) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return true, true
	}
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := p.Addr()
		if ip.Is4() {
			seen4 = seen4 || ip != netip.AddrFrom4([4]byte{127, 0, 0, 1})
		} else {
			seen6 = seen6 || ip != netip.IPv6Loopback()
		}
	}
	return seen4, seen6
}

// dnsGaierror maps a Go resolver error to glibc's EAI code.
func dnsGaierror(host string, err error) *Gaierror {
	// glibc reports EAI_NONAME only when a server answered that the name
	// does not exist; unreachable or failing servers, timeouts and
	// cancellation are EAI_AGAIN (h_errno TRY_AGAIN).
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return newGaierror(EAI_NONAME, host, nil)
	}
	return newGaierror(EAI_AGAIN, host, err)
}

// niKnownFlags are the flags glibc's getnameinfo accepts: the NI_* names
// plus its deprecated NI_IDN_ALLOW_UNASSIGNED (0x40) and
// NI_IDN_USE_STD3_ASCII_RULES (0x80), which Python does not export.
const niKnownFlags = NI_NUMERICHOST | NI_NUMERICSERV | NI_NOFQDN | NI_NAMEREQD | NI_DGRAM | NI_IDN | 0x40 | 0x80

// GetNameInfo translates an AF_INET or AF_INET6 address to a host name and
// service name, Python's socket.getnameinfo: NI_NUMERICHOST and
// NI_NUMERICSERV keep them numeric, NI_NAMEREQD makes an unresolvable
// address an EAI_NONAME error, NI_DGRAM looks the service up as udp, and
// NI_NOFQDN returns only the first label of a name in this host's domain.
// NI_IDN is accepted and changes nothing: names are returned as found,
// without decoding IDNA "xn--" labels (glibc decodes them). Other flags
// are EAI_BADFLAGS, as in glibc. Link-local IPv6 addresses get "%ifname"
// appended, as glibc does.
func GetNameInfo(ctx context.Context, a Addr, flags int) (host, service string, err error) {
	ctx = orBackground(ctx)
	if auditing() {
		audit("socket.getnameinfo", a)
	}
	var ip netip.Addr
	var port int
	var scope uint32
	switch v := a.(type) {
	case InetAddr:
		ip, port = v.IP, v.Port
	case *InetAddr:
		ip, port = v.IP, v.Port
	case Inet6Addr:
		if v.FlowInfo > 0xfffff {
			return "", "", &RangeError{Func: "getnameinfo", Value: int(v.FlowInfo), Msg: "flowinfo must be 0-1048575"}
		}
		ip, port, scope = v.IP.WithZone(""), v.Port, v.ScopeID
	case *Inet6Addr:
		if v.FlowInfo > 0xfffff {
			return "", "", &RangeError{Func: "getnameinfo", Value: int(v.FlowInfo), Msg: "flowinfo must be 0-1048575"}
		}
		ip, port, scope = v.IP.WithZone(""), v.Port, v.ScopeID
	default:
		fam := 0
		if a != nil {
			fam = a.Family()
		}
		return "", "", newGaierror(EAI_FAMILY, Family(fam).String(), nil)
	}
	if err := checkPort(a.Family(), port); err != nil {
		return "", "", err
	}
	if flags&^niKnownFlags != 0 {
		return "", "", newGaierror(EAI_BADFLAGS, ip.String(), nil)
	}
	if !ip.IsValid() {
		ip = netip.IPv4Unspecified()
		if a.Family() == AF_INET6 {
			ip = netip.IPv6Unspecified()
		}
	}
	numeric := func() string {
		s := ip.String()
		if ip.Is6() && !ip.Is4In6() {
			b := ip.As16()
			s = ntop6(b)
		}
		if scope != 0 && (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()) {
			if name, err := IfIndexToName(int(scope)); err == nil {
				s += "%" + name
			} else {
				s += "%" + strconv.FormatUint(uint64(scope), 10)
			}
		}
		return s
	}
	if flags&NI_NUMERICHOST != 0 {
		host = numeric()
	} else {
		var lerr error
		host, lerr = reverseName(ctx, ip)
		if host == "" {
			if flags&NI_NAMEREQD != 0 {
				if lerr != nil {
					return "", "", dnsGaierror(ip.String(), lerr)
				}
				return "", "", newGaierror(EAI_NONAME, ip.String(), nil)
			}
			host = numeric()
		} else if flags&NI_NOFQDN != 0 {
			host = stripLocalDomain(host)
		}
	}
	service = strconv.Itoa(port)
	if flags&NI_NUMERICSERV == 0 {
		proto := "tcp"
		if flags&NI_DGRAM != 0 {
			proto = "udp"
		}
		if db, err := loadServicesLenient(); err == nil {
			if s, ok := db.ByPort(port, proto); ok {
				service = s.Name
			}
		}
	}
	return host, service, nil
}

// reverseName returns the name of ip from /etc/hosts, then DNS PTR, or ""
// and the resolver's error.
func reverseName(ctx context.Context, ip netip.Addr) (string, error) {
	if ents := systemHosts().ByAddr(ip); len(ents) > 0 {
		return ents[0].Names[0], nil
	}
	names, err := resolver.LookupAddr(ctx, ip.String())
	if err != nil || len(names) == 0 {
		return "", err
	}
	return strings.TrimSuffix(names[0], "."), nil
}

// stripLocalDomain implements NI_NOFQDN: "host.example.com" becomes "host"
// when this machine's own name is in example.com.
func stripLocalDomain(name string) string {
	me, err := os.Hostname()
	if err != nil {
		return name
	}
	_, dom, ok := strings.Cut(me, ".")
	if !ok {
		return name
	}
	if h, d, ok := strings.Cut(name, "."); ok && strings.EqualFold(d, dom) {
		return h
	}
	return name
}

// GetHostByName returns the IPv4 address of host as a dotted quad,
// Python's socket.gethostbyname: "" is 0.0.0.0, "<broadcast>"
// 255.255.255.255, numeric forms (including inet_aton's) are returned
// normalized, names are resolved as GetAddrInfo does for AF_INET.
func GetHostByName(ctx context.Context, host string) (string, error) {
	ctx = orBackground(ctx)
	if auditing() {
		audit("socket.gethostbyname", host)
	}
	switch host {
	case "":
		return "0.0.0.0", nil
	case "<broadcast>":
		return "255.255.255.255", nil
	}
	ips, _, err := resolveHost(ctx, host, AF_INET, 0)
	if err != nil {
		return "", err
	}
	return ips[0].String(), nil
}

// GetHostByNameEx returns the canonical name, aliases and IPv4 addresses of
// host, Python's socket.gethostbyname_ex. /etc/hosts entries give their
// canonical name and aliases; DNS gives the CNAME target.
func GetHostByNameEx(ctx context.Context, host string) (name string, aliases, addrs []string, err error) {
	ctx = orBackground(ctx)
	if auditing() {
		audit("socket.gethostbyname", host)
	}
	if ip, ok := parseNumericHost(host); ok && ip.Is4() {
		return ip.String(), []string{}, []string{ip.String()}, nil
	}
	aliases = []string{}
	if ents := systemHosts().ByName(host); len(ents) > 0 {
		for _, e := range ents {
			if !e.IP.Is4() {
				continue
			}
			if name == "" {
				name = e.Names[0]
			}
			for _, n := range e.Names {
				if n != name && !contains(aliases, n) {
					aliases = append(aliases, n)
				}
			}
			if s := e.IP.String(); !contains(addrs, s) {
				addrs = append(addrs, s)
			}
		}
		if name != "" {
			return name, aliases, addrs, nil
		}
	}
	ips, canon, err := resolveHost(ctx, host, AF_INET, AI_CANONNAME)
	if err != nil {
		return "", nil, nil, err
	}
	for _, ip := range ips {
		addrs = append(addrs, ip.String())
	}
	return canon, aliases, addrs, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// GetHostByAddr returns the primary name, aliases and addresses of the host
// at ip, Python's socket.gethostbyaddr: ip may also be a name, resolved
// first. An address without a name is an *Herror with HOST_NOT_FOUND.
func GetHostByAddr(ctx context.Context, ip string) (name string, aliases, addrs []string, err error) {
	ctx = orBackground(ctx)
	if auditing() {
		audit("socket.gethostbyaddr", ip)
	}
	addr, ok := parseNumericHost(ip)
	if !ok {
		ips, _, err := resolveHost(ctx, ip, AF_UNSPEC, 0)
		if err != nil {
			return "", nil, nil, err
		}
		addr = ips[0]
	}
	addr = addr.WithZone("")
	aliases = []string{}
	if ents := systemHosts().ByAddr(addr); len(ents) > 0 {
		return ents[0].Names[0], append(aliases, ents[0].Names[1:]...), []string{addr.String()}, nil
	}
	names, lerr := resolver.LookupAddr(ctx, addr.String())
	if lerr != nil || len(names) == 0 {
		var de *net.DNSError
		if lerr != nil && !(errors.As(lerr, &de) && de.IsNotFound) {
			return "", nil, nil, &Herror{Code: TRY_AGAIN, Msg: hMessages[TRY_AGAIN], Host: ip}
		}
		return "", nil, nil, &Herror{Code: HOST_NOT_FOUND, Msg: hMessages[HOST_NOT_FOUND], Host: ip}
	}
	for _, n := range names[1:] {
		aliases = append(aliases, strings.TrimSuffix(n, "."))
	}
	return strings.TrimSuffix(names[0], "."), aliases, []string{addr.String()}, nil
}

// GetFQDN returns a fully qualified domain name for name, Python's
// socket.getfqdn: name "" (or "0.0.0.0", "::") means this host; the first
// of the reverse lookup's name and aliases that contains a dot wins, else
// the primary name; if the lookup fails, name itself.
func GetFQDN(ctx context.Context, name string) string {
	ctx = orBackground(ctx)
	name = strings.TrimSpace(name)
	if name == "" || name == "0.0.0.0" || name == "::" {
		h, err := GetHostName()
		if err != nil {
			return name
		}
		name = h
	}
	host, aliases, _, err := GetHostByAddr(ctx, name)
	if err != nil {
		return name
	}
	for _, n := range append([]string{host}, aliases...) {
		if strings.Contains(n, ".") {
			return n
		}
	}
	return host
}

// GetHostName returns the host name (uname's nodename), Python's
// socket.gethostname.
func GetHostName() (string, error) {
	if auditing() {
		audit("socket.gethostname")
	}
	h, err := os.Hostname()
	if err != nil {
		return "", &net.OpError{Op: "gethostname", Err: err}
	}
	return h, nil
}

// SetHostName sets the host name, Python's socket.sethostname (needs
// CAP_SYS_ADMIN in the UTS namespace; errors are errors.Is unix.EPERM).
// Names longer than 64 bytes give syscall.EINVAL.
func SetHostName(name string) error {
	if auditing() {
		audit("socket.sethostname", name)
	}
	if len(name) > 64 {
		return &net.OpError{Op: "sethostname", Err: syscall.EINVAL}
	}
	if err := setHostName(name); err != nil {
		return &net.OpError{Op: "sethostname", Err: err}
	}
	return nil
}

// orBackground lets callers pass a nil context, as for the blocking
// Socket methods.
func orBackground(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}
