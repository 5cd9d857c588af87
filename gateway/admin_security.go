package gateway

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/internal/tlsconf"
)

// AdminSecurity is what the admin listener enforces on every request:
//
//   - Host must name the listener: "localhost" or a loopback address, the
//     address the request arrived at, the host name written in
//     admin.listen, or a name of admin.hosts; with the port the request
//     arrived at (admin.hosts entries may name another port). This defeats
//     DNS rebinding, whose requests carry the attacker's host name.
//   - An Origin header, when present, must name such a host too: a page of
//     another site cannot drive the port from a browser (CSRF).
//   - State-changing requests (every method but GET and HEAD) are refused
//     when a browser marks them cross-site or same-site (Sec-Fetch-Site),
//     and need the admin token (Authorization: Bearer TOKEN) when one is
//     configured. Beyond loopback they are refused without a configured
//     token.
type AdminSecurity struct {
	listen     string
	loopback   bool
	listenHost string // host name of admin.listen, lower case ("" for an address)
	listenIP   net.IP // address of admin.listen, nil for a name or a wildcard
	hosts      []adminHost
	token      *[sha256.Size]byte // SHA-256 of the token, nil without one
	cert       *tls.Certificate
}

type adminHost struct{ host, port string }

// NewAdminSecurity builds the admin checks from the configuration's admin
// section, reading its token file and TLS certificate.
func NewAdminSecurity(c config.Admin) (*AdminSecurity, error) {
	s := &AdminSecurity{listen: c.Listen, loopback: config.LoopbackListen(c.Listen)}
	if host, _, err := net.SplitHostPort(c.Listen); err == nil {
		if ip := net.ParseIP(host); ip != nil {
			if !ip.IsUnspecified() {
				s.listenIP = ip
			}
		} else {
			s.listenHost = strings.TrimSuffix(strings.ToLower(host), ".")
		}
	}
	for _, h := range c.Hosts {
		host, port, ok := config.ParseAdminHost(h)
		if !ok {
			return nil, fmt.Errorf("admin.hosts: invalid host %q", h)
		}
		s.hosts = append(s.hosts, adminHost{host, port})
	}
	if c.TokenFile != "" {
		tok, err := config.ReadTokenFile(c.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("admin.token_file: %w", err)
		}
		sum := sha256.Sum256(tok)
		s.token = &sum
	}
	if c.TLS != nil {
		tc, err := tlsconf.Load(&config.TLS{Cert: c.TLS.Cert, Key: c.TLS.Key}, true)
		if err != nil {
			return nil, fmt.Errorf("admin.tls: %w", err)
		}
		s.cert = &tc.Certificates[0]
	}
	return s, nil
}

// Loopback reports whether the configured address is loopback only.
func (s *AdminSecurity) Loopback() bool { return s.loopback }

// TLS reports whether the admin port is served over TLS.
func (s *AdminSecurity) TLS() bool { return s.cert != nil }

// TokenRequired reports whether state-changing requests need the token.
func (s *AdminSecurity) TokenRequired() bool { return s.token != nil || !s.loopback }

// HasToken reports whether admin.token_file is configured.
func (s *AdminSecurity) HasToken() bool { return s.token != nil }

// CheckToken reports whether tok is the configured admin token (false
// without one), in constant time. The web console accepts the token from
// a cookie, since a browser page cannot send Authorization headers.
func (s *AdminSecurity) CheckToken(tok string) bool {
	if s.token == nil {
		return false
	}
	given := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(given[:], s.token[:]) == 1
}

// adminRefusal is why the admin listener refused a request; the metric
// fieldgate_admin_refused_requests_total counts each.
type adminRefusal int

const (
	refusedHost               adminRefusal = iota // Host names no name of the listener
	refusedOrigin                                 // Origin names another site
	refusedCrossSite                              // Sec-Fetch-Site: cross-site or same-site
	refusedTokenMissing                           // no Authorization: Bearer
	refusedTokenInvalid                           // wrong token
	refusedTokenNotConfigured                     // beyond loopback without admin.token_file
	numAdminRefusals
)

var adminRefusalNames = [numAdminRefusals]string{"host", "origin", "cross_site", "token_missing", "token_invalid", "token_not_configured"}

func (a adminRefusal) String() string { return adminRefusalNames[a] }

type refusal struct {
	why    adminRefusal
	status int
	msg    string
}

// check returns why r is refused, or nil.
func (s *AdminSecurity) check(r *http.Request) *refusal {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
	defPort := "80"
	if r.TLS != nil {
		defPort = "443"
	}
	if !s.hostAllowed(r.Host, defPort, local) {
		return &refusal{refusedHost, http.StatusForbidden, fmt.Sprintf("Host %q is not a name of this admin listener (allowed: %s); add the name to admin.hosts if clients use it", r.Host, s.allowedNames(local))}
	}
	for _, o := range r.Header.Values("Origin") {
		if !s.originAllowed(o, local) {
			return &refusal{refusedOrigin, http.StatusForbidden, fmt.Sprintf("Origin %q is another site (allowed: http(s)://%s)", o, s.allowedNames(local))}
		}
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "cross-site", "same-site":
		return &refusal{refusedCrossSite, http.StatusForbidden, fmt.Sprintf("%s from a %s browser page (Sec-Fetch-Site: %s)", r.Method, site, site)}
	}
	if s.token == nil {
		if s.loopback {
			return nil
		}
		return &refusal{refusedTokenNotConfigured, http.StatusForbidden, fmt.Sprintf("%s on an admin address beyond loopback (%s) needs admin.token_file", r.Method, s.listen)}
	}
	auth := r.Header.Get("Authorization")
	if len(auth) < 7 || !strings.EqualFold(auth[:7], "Bearer ") {
		return &refusal{refusedTokenMissing, http.StatusUnauthorized, r.Method + " needs the admin token: send Authorization: Bearer TOKEN (the token of admin.token_file)"}
	}
	given := sha256.Sum256([]byte(strings.TrimSpace(auth[7:])))
	if subtle.ConstantTimeCompare(given[:], s.token[:]) != 1 {
		return &refusal{refusedTokenInvalid, http.StatusUnauthorized, "wrong admin token"}
	}
	return nil
}

// hostAllowed reports whether hostport (a Host header, or the host of an
// Origin) names this listener; defPort is the port a missing one means.
func (s *AdminSecurity) hostAllowed(hostport, defPort string, local *net.TCPAddr) bool {
	host, port, ok := splitHost(hostport, defPort)
	if !ok {
		return false
	}
	localPort := ""
	if local != nil {
		localPort = strconv.Itoa(local.Port)
	}
	for _, h := range s.hosts {
		if h.host == host && (h.port == port || (h.port == "" && port == localPort)) {
			return true
		}
	}
	if local == nil || port != localPort {
		return false
	}
	if host == "localhost" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback() || ip.Equal(local.IP) || (s.listenIP != nil && ip.Equal(s.listenIP))
	}
	return s.listenHost != "" && host == s.listenHost
}

// originAllowed reports whether an Origin header names this listener.
func (s *AdminSecurity) originAllowed(origin string, local *net.TCPAddr) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil {
		return false // also "null", sent by sandboxed and file:// pages
	}
	switch u.Scheme {
	case "http":
		return s.hostAllowed(u.Host, "80", local)
	case "https":
		return s.hostAllowed(u.Host, "443", local)
	}
	return false
}

// allowedNames lists the names Host may carry, for refusal messages.
func (s *AdminSecurity) allowedNames(local *net.TCPAddr) string {
	port := "PORT"
	if local != nil {
		port = strconv.Itoa(local.Port)
	}
	names := []string{"localhost", "127.0.0.1", "::1"}
	if local != nil && !local.IP.Equal(net.IPv4(127, 0, 0, 1)) && !local.IP.Equal(net.IPv6loopback) {
		names = append(names, local.IP.String())
	}
	if s.listenHost != "" && s.listenHost != "localhost" {
		names = append(names, s.listenHost)
	}
	var out []string
	for _, n := range names {
		out = append(out, net.JoinHostPort(n, port))
	}
	for _, h := range s.hosts {
		p := h.port
		if p == "" {
			p = port
		}
		out = append(out, net.JoinHostPort(h.host, p))
	}
	return strings.Join(out, ", ")
}

// splitHost splits a Host header value into a canonical host (lower case,
// no brackets or final dot; IP addresses in canonical form) and port.
func splitHost(s, defPort string) (host, port string, ok bool) {
	host, port = s, defPort
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	} else if strings.Contains(s, ":") {
		return "", "", false
	}
	// Canonical decimal only, as browsers send it.
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port != strconv.Itoa(n) {
		return "", "", false
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), port, true
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return host, port, host != ""
}
