//go:build linux

package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// aiPassive is getaddrinfo's AI_PASSIVE flag.
const aiPassive = 0x1

// CreateConnection connects a TCP socket to address ("host:port"), trying
// every address getaddrinfo returns, in order, until one connects
// (Python's socket.create_connection). It returns the last attempt's
// error, or all of them joined when opts.AllErrors is set. ctx bounds the
// whole call.
func CreateConnection(ctx context.Context, address string, opts *ConnOptions) (*Socket, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts == nil {
		opts = &ConnOptions{}
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, opError("create_connection", "", err)
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout()
	}
	var srcHost, srcPort string
	if opts.SourceAddress != "" {
		if srcHost, srcPort, err = net.SplitHostPort(opts.SourceAddress); err != nil {
			return nil, opError("create_connection", "", fmt.Errorf("source address: %w", err))
		}
	}
	infos, err := GetAddrInfo(ctx, host, port, unix.AF_UNSPEC, unix.SOCK_STREAM, 0, 0)
	if err != nil {
		return nil, err
	}
	if len(infos) == 0 {
		return nil, opError("create_connection", "", fmt.Errorf("getaddrinfo %q returned no addresses", address))
	}
	var errs []error
	for _, ai := range infos {
		s, err := connectOne(ctx, ai, timeout, srcHost, srcPort, opts.SourceAddress != "")
		if err == nil {
			return s, nil
		}
		errs = append(errs, fmt.Errorf("%v: %w", ai.Addr, err))
		if ctx.Err() != nil {
			break
		}
	}
	if opts.AllErrors {
		return nil, errors.Join(errs...)
	}
	return nil, errs[len(errs)-1]
}

func connectOne(ctx context.Context, ai AddrInfo, timeout time.Duration, srcHost, srcPort string, bind bool) (*Socket, error) {
	s, err := NewSocket(ai.Family, ai.Type, ai.Proto)
	if err != nil {
		return nil, err
	}
	if err := s.SetTimeout(timeout); err != nil {
		s.Close()
		return nil, err
	}
	if bind {
		src, err := GetAddrInfo(ctx, srcHost, srcPort, ai.Family, ai.Type, ai.Proto, aiPassive)
		if err != nil {
			s.Close()
			return nil, err
		}
		if len(src) == 0 {
			s.Close()
			return nil, opError("bind", socketNetName(ai.Family), fmt.Errorf("source address %s:%s: no address of this family", srcHost, srcPort))
		}
		if err := s.Bind(src[0].Addr); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.ConnectContext(ctx, ai.Addr); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// CreateServer returns a TCP socket bound to address ("host:port", host
// empty for all addresses) and listening (Python's socket.create_server).
// SO_REUSEADDR is set; for AF_INET6, IPV6_V6ONLY is set unless
// DualStackIPv6 is requested. As in Python, DualStackIPv6 on a host
// without dual-stack sockets is a *ValueError matching ErrNoDualStack, and
// with a family other than AF_INET6 one matching ErrDualStackFamily (both
// also match unix.EINVAL).
func CreateServer(address string, opts *ServerOptions) (*Socket, error) {
	if opts == nil {
		opts = &ServerOptions{}
	}
	family := opts.Family
	if family == 0 {
		family = unix.AF_INET
	}
	if opts.DualStackIPv6 {
		if !HasDualStackIPv6() {
			return nil, &ValueError{Func: "create_server", Err: ErrNoDualStack}
		}
		if family != unix.AF_INET6 {
			return nil, &ValueError{Func: "create_server", Err: ErrDualStackFamily, Detail: "Family " + Family(family).String()}
		}
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, opError("create_server", socketNetName(family), err)
	}
	addr, err := serverAddr(family, host, port)
	if err != nil {
		return nil, err
	}
	s, err := NewSocket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Socket, error) {
		s.Close()
		return nil, err
	}
	if err := s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail(err)
	}
	if opts.ReusePort {
		if err := s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return fail(err)
		}
	}
	if family == unix.AF_INET6 {
		v6only := 1
		if opts.DualStackIPv6 {
			v6only = 0
		}
		if err := s.SetsockoptInt(unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			return fail(err)
		}
	}
	if err := s.Bind(addr); err != nil {
		return fail(fmt.Errorf("error while attempting to bind on address %v: %w", addr, err))
	}
	backlog := opts.Backlog
	if backlog == 0 {
		backlog = 128
	}
	if err := s.Listen(backlog); err != nil {
		return fail(err)
	}
	return s, nil
}

// serverAddr resolves CreateServer's host and port for family.
func serverAddr(family int, host, port string) (Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil || host == "" {
		p, perr := parsePort(port)
		if perr != nil {
			return nil, opError("create_server", socketNetName(family), perr)
		}
		switch family {
		case unix.AF_INET:
			if host == "" {
				ip = netip.IPv4Unspecified()
			}
			if !ip.Unmap().Is4() {
				return nil, opError("create_server", "inet", fmt.Errorf("host %q is not IPv4: %w", host, unix.EAFNOSUPPORT))
			}
			return InetAddr{IP: ip.Unmap(), Port: p}, nil
		case unix.AF_INET6:
			if host == "" {
				ip = netip.IPv6Unspecified()
			}
			if ip.Is4() {
				ip = netip.AddrFrom16(ip.As16())
			}
			return Inet6Addr{IP: ip, Port: p}, nil
		}
		return nil, opError("create_server", socketNetName(family), fmt.Errorf("family %d is not AF_INET or AF_INET6: %w", family, unix.EAFNOSUPPORT))
	}
	infos, err := GetAddrInfo(context.Background(), host, port, family, unix.SOCK_STREAM, 0, aiPassive)
	if err != nil {
		return nil, err
	}
	if len(infos) == 0 {
		return nil, opError("create_server", socketNetName(family), fmt.Errorf("getaddrinfo %q returned no addresses", host))
	}
	return infos[0].Addr, nil
}

func parsePort(port string) (int, error) {
	p := 0
	if port == "" {
		return 0, nil
	}
	for _, c := range port {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("port %q is not a number: %w", port, unix.EINVAL)
		}
		p = p*10 + int(c-'0')
		if p > 65535 {
			return 0, fmt.Errorf("port %q out of range 0-65535: %w", port, unix.EINVAL)
		}
	}
	return p, nil
}

// HasDualStackIPv6 reports whether an AF_INET6 TCP socket can accept IPv4
// connections too (Python's socket.has_dualstack_ipv6).
func HasDualStackIPv6() bool {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0) == nil
}
