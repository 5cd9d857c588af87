package config_test

import (
	"net"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// FuzzParseAdminHost: an accepted admin.hosts entry yields a lower-case
// host without brackets and a port in 1..65535 or none, and parsing its
// canonical spelling gives the same result.
func FuzzParseAdminHost(f *testing.F) {
	for _, s := range []string{"gw01.example.net", "GW01:8443", "192.0.2.7", "[2001:db8::1]:9108", "2001:db8::2", "::ffff:10.0.0.1", "[::1]:0", "a:+1", "a..b", "-x", "x:", "[x]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, port, ok := config.ParseAdminHost(s)
		if !ok {
			return
		}
		if host == "" || host != strings.ToLower(host) || strings.ContainsAny(host, "[]") {
			t.Fatalf("%q: host %q", s, host)
		}
		canon := host
		if port != "" {
			canon = net.JoinHostPort(host, port)
		}
		h2, p2, ok2 := config.ParseAdminHost(canon)
		if !ok2 || h2 != host || p2 != port {
			t.Fatalf("%q → %q %q; its canonical form %q → %q %q %v", s, host, port, canon, h2, p2, ok2)
		}
	})
}
