package gateway

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// loopbackName reports whether hostport, as a client wrote it, names
// localhost, a loopback address or gw01.example.net, port 9108: what an
// admin port on 127.0.0.1:9108 with admin.hosts [gw01.example.net] may
// accept. It is written independently of splitHost.
func loopbackName(hostport string) bool {
	i := strings.LastIndex(hostport, ":")
	if i < 0 || hostport[i+1:] != "9108" {
		return false
	}
	h := strings.ToLower(hostport[:i])
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	h = strings.TrimSuffix(h, ".")
	if h == "localhost" || h == "gw01.example.net" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// FuzzAdminHostOrigin: an admin port on 127.0.0.1:9108 admits a request
// only when its Host, and its Origin if any, name the port; it never
// panics on any header.
func FuzzAdminHostOrigin(f *testing.F) {
	for _, s := range [][2]string{
		{"127.0.0.1:9108", ""}, {"localhost:9108", "http://localhost:9108"}, {"[::1]:9108", "https://[::1]:9108"},
		{"evil.example", ""}, {"127.0.0.1:9108", "null"}, {"127.0.0.1:09108", "http://127.0.0.1:9108/x"},
		{"GW01.example.net.:9108", "http://user@127.0.0.1:9108"}, {"127.0.0.1", "http://127.0.0.1"}, {"[::ffff:127.0.0.1]:9108", "ftp://127.0.0.1:9108"},
	} {
		f.Add(s[0], s[1])
	}
	s, err := NewAdminSecurity(config.Admin{Listen: "127.0.0.1:9108", Hosts: []string{"gw01.example.net"}})
	if err != nil {
		f.Fatal(err)
	}
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9108}
	f.Fuzz(func(t *testing.T, host, origin string) {
		req := httptest.NewRequest("GET", "/status", nil)
		req.Host = host
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, local))
		if s.check(req) != nil {
			return
		}
		if !loopbackName(host) {
			t.Fatalf("Host %q admitted", host)
		}
		if origin != "" {
			rest, ok := strings.CutPrefix(origin, "http://")
			if !ok {
				rest, ok = strings.CutPrefix(origin, "https://")
			}
			if i := strings.IndexAny(rest, "/?#"); i >= 0 {
				rest = rest[:i]
			}
			if !ok || !loopbackName(rest) {
				t.Fatalf("Origin %q admitted", origin)
			}
		}
	})
}
