package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/internal/certtest"
)

// adminGateway starts a gateway and serves its admin handler with sec on
// listen; it returns the handler, the bound address and the number of
// reloads the handler asked for.
func adminGateway(t *testing.T, listen string, sec *AdminSecurity, useTLS bool) (*AdminHandler, *net.TCPAddr, *atomic.Int64) {
	t.Helper()
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  a: {kind: tcp, listen: "127.0.0.1:%d"}
  b: {kind: log, path: %q}
routes:
  - {name: r, from: [a], to: [b]}
`, freePort(t, "tcp"), filepath.Join(t.TempDir(), "b.log")))
	reloads := new(atomic.Int64)
	h := g.AdminHandler(func() error { reloads.Add(1); return nil })
	h.SetSecurity(sec)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, err := ServeAdmin(ctx, listen, h, useTLS)
	if err != nil {
		t.Fatal(err)
	}
	return h, a.(*net.TCPAddr), reloads
}

func mustSecurity(t *testing.T, c config.Admin) *AdminSecurity {
	t.Helper()
	s, err := NewAdminSecurity(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// adminReq sends one request to the admin port at addr with the given
// Host and headers (name, value pairs); it returns status and body.
func adminReq(t *testing.T, c *http.Client, scheme, method string, addr *net.TCPAddr, path, host string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, fmt.Sprintf("%s://%s%s", scheme, addr, path), nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s (Host %s): %v", method, path, host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// refusedCount reads fieldgate_admin_refused_requests_total{reason} from
// /metrics.
func refusedCount(t *testing.T, h *AdminHandler, reason string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "http://127.0.0.1:9108/metrics", nil)
	req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9108}))
	h.ServeHTTP(rec, req)
	want := fmt.Sprintf(`fieldgate_admin_refused_requests_total{reason=%q} `, reason)
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(l, want); ok {
			return v
		}
	}
	t.Fatalf("no %s in /metrics", want)
	return ""
}

// TestAdminHostAndOrigin: on a loopback admin port, a foreign Host (DNS
// rebinding) and a foreign Origin or a cross-site browser POST (CSRF) are
// refused with 403 and counted; the loopback names and same-origin
// requests pass, and POST /reload needs no token.
func TestAdminHostAndOrigin(t *testing.T) {
	h, a, reloads := adminGateway(t, "127.0.0.1:0", mustSecurity(t, config.Admin{Listen: "127.0.0.1:0"}), false)
	port := a.Port
	self := fmt.Sprintf("127.0.0.1:%d", port)
	for _, host := range []string{self, fmt.Sprintf("localhost:%d", port), fmt.Sprintf("LocalHost.:%d", port), fmt.Sprintf("[::1]:%d", port), fmt.Sprintf("127.0.0.2:%d", port)} {
		if code, body := adminReq(t, nil, "http", "GET", a, "/status", host); code != 200 || !strings.Contains(body, `"routes"`) {
			t.Errorf("GET /status Host %s: %d %s", host, code, body)
		}
	}
	for _, host := range []string{"evil.example", fmt.Sprintf("evil.example:%d", port), fmt.Sprintf("127.0.0.1:%d", port+1), "127.0.0.1", fmt.Sprintf("localhost.evil.example:%d", port), fmt.Sprintf("192.0.2.1:%d", port)} {
		code, body := adminReq(t, nil, "http", "GET", a, "/status", host)
		if code != 403 || !strings.Contains(body, fmt.Sprintf("refused: Host %q is not a name of this admin listener", host)) || strings.Contains(body, `"routes"`) {
			t.Errorf("GET /status Host %s: %d %s", host, code, body)
		}
	}
	if got := refusedCount(t, h, "host"); got != "6" {
		t.Errorf("host refusals %s, want 6", got)
	}
	// CSRF: a page of another site posting to /reload.
	for _, hdr := range [][]string{
		{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"},
		{"Origin", "null"},
		{"Origin", fmt.Sprintf("http://127.0.0.1:%d", port+1)},
		{"Origin", "file://"},
	} {
		if code, body := adminReq(t, nil, "http", "POST", a, "/reload", self, hdr...); code != 403 || !strings.Contains(body, "refused: Origin") {
			t.Errorf("POST /reload %v: %d %s", hdr, code, body)
		}
	}
	if code, body := adminReq(t, nil, "http", "GET", a, "/status", self, "Origin", "http://evil.example"); code != 403 || strings.Contains(body, `"routes"`) {
		t.Errorf("GET /status from another origin: %d %s", code, body)
	}
	// A browser POST without Origin, marked cross-site or same-site.
	for _, site := range []string{"cross-site", "same-site"} {
		if code, body := adminReq(t, nil, "http", "POST", a, "/reload", self, "Sec-Fetch-Site", site); code != 403 || !strings.Contains(body, "Sec-Fetch-Site: "+site) {
			t.Errorf("POST /reload Sec-Fetch-Site %s: %d %s", site, code, body)
		}
	}
	if n := reloads.Load(); n != 0 {
		t.Fatalf("%d refused reloads ran", n)
	}
	if got := refusedCount(t, h, "origin"); got != "5" {
		t.Errorf("origin refusals %s, want 5", got)
	}
	if got := refusedCount(t, h, "cross_site"); got != "2" {
		t.Errorf("cross_site refusals %s, want 2", got)
	}
	// Same origin, the user's own action, and a client without browser
	// headers are served.
	for _, hdr := range [][]string{
		{"Origin", "http://" + self, "Sec-Fetch-Site", "same-origin"},
		{"Origin", fmt.Sprintf("http://localhost:%d", port)},
		{"Sec-Fetch-Site", "none"},
		nil,
	} {
		if code, body := adminReq(t, nil, "http", "POST", a, "/reload", self, hdr...); code != 200 || body != "reloaded\n" {
			t.Errorf("POST /reload %v: %d %s", hdr, code, body)
		}
	}
	if n := reloads.Load(); n != 4 {
		t.Fatalf("%d reloads, want 4", n)
	}
	if got := refusedCount(t, h, "token_missing"); got != "0" {
		t.Errorf("token_missing %s on loopback without a token", got)
	}
}

// TestAdminHostsAndArrivalAddress: Host may be the address the request
// arrived at and the names of admin.hosts (bare: with the admin port;
// name:port: exactly).
func TestAdminHostsAndArrivalAddress(t *testing.T) {
	s := mustSecurity(t, config.Admin{Listen: "0.0.0.0:9108", Hosts: []string{"gw01.example.net", "proxy.example.net:443", "[2001:db8::7]:9108"}})
	local := &net.TCPAddr{IP: net.ParseIP("192.0.2.5"), Port: 9108}
	for host, want := range map[string]bool{
		"192.0.2.5:9108":          true,
		"192.0.2.6:9108":          false, // not where it arrived
		"192.0.2.5:9109":          false,
		"GW01.example.net:9108":   true,
		"gw01.example.net":        false, // port 80
		"gw01.example.net:443":    false,
		"proxy.example.net:443":   true,
		"proxy.example.net:9108":  false,
		"[2001:db8::7]:9108":      true,
		"[2001:db8:0::7]:9108":    true,
		"2001:db8::7":             false, // not a Host
		"localhost:9108":          true,
		"[::1]:9108":              true,
		"[::ffff:192.0.2.5]:9108": true,
		"":                        false,
		"gw01.example.net:+9108":  false,
		"gw01.example.net:x":      false,
	} {
		req := httptest.NewRequest("GET", "/status", nil)
		req.Host = host
		req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, local))
		if got := s.check(req) == nil; got != want {
			t.Errorf("Host %q: allowed %v, want %v", host, got, want)
		}
	}
	// A listener on a host name accepts that name.
	s = mustSecurity(t, config.Admin{Listen: "gw02.example.net:9108"})
	req := httptest.NewRequest("GET", "/status", nil)
	req.Host = "gw02.example.net:9108"
	req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, local))
	if r := s.check(req); r != nil {
		t.Errorf("own host name refused: %s", r.msg)
	}
	// A request whose local address is unknown is refused.
	req = httptest.NewRequest("GET", "/status", nil)
	req.Host = "127.0.0.1:9108"
	if r := mustSecurity(t, config.Admin{Listen: "127.0.0.1:9108"}).check(req); r == nil || r.why != refusedHost {
		t.Errorf("no local address: %v", r)
	}
}

func writeToken(t *testing.T, tok string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAdminTokenBeyondLoopback: on a wildcard admin address (0.0.0.0 on a
// free port) reads need no token, state-changing requests are refused
// without a configured token and need Authorization: Bearer TOKEN with
// one; on loopback a configured token is required too.
func TestAdminTokenBeyondLoopback(t *testing.T) {
	const tok = "6f1c0d9a5e2b47c8a3d1f0e9b8c7a6d5"
	s := mustSecurity(t, config.Admin{Listen: "0.0.0.0:0"})
	if s.Loopback() || !s.TokenRequired() {
		t.Fatalf("0.0.0.0: loopback %v, token required %v", s.Loopback(), s.TokenRequired())
	}
	h, a, reloads := adminGateway(t, "0.0.0.0:0", s, false)
	dial := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: a.Port}
	self := dial.String()
	if code, _ := adminReq(t, nil, "http", "GET", dial, "/status", self); code != 200 {
		t.Fatalf("GET /status: %d", code)
	}
	if code, body := adminReq(t, nil, "http", "POST", dial, "/reload", self); code != 403 || !strings.Contains(body, "needs admin.token_file") {
		t.Errorf("POST /reload without a configured token: %d %s", code, body)
	}
	if got := refusedCount(t, h, "token_not_configured"); got != "1" {
		t.Errorf("token_not_configured %s", got)
	}
	h.SetSecurity(mustSecurity(t, config.Admin{Listen: "0.0.0.0:0", TokenFile: writeToken(t, tok)}))
	for _, tc := range []struct {
		auth   string
		code   int
		reason string
	}{
		{"", 401, "token_missing"},
		{"Basic dXNlcjpwYXNz", 401, "token_missing"},
		{"Bearer " + tok[:len(tok)-1], 401, "token_invalid"},
		{"Bearer " + tok + "0", 401, "token_invalid"},
		{"Bearer " + strings.ToUpper(tok), 401, "token_invalid"},
		{"Bearer " + tok, 200, ""},
		{"bearer " + tok, 200, ""},
	} {
		var hdr []string
		if tc.auth != "" {
			hdr = []string{"Authorization", tc.auth}
		}
		code, body := adminReq(t, nil, "http", "POST", dial, "/reload", self, hdr...)
		if code != tc.code {
			t.Errorf("Authorization %q: %d %s", tc.auth, code, body)
		}
	}
	if got := refusedCount(t, h, "token_missing"); got != "2" {
		t.Errorf("token_missing %s, want 2", got)
	}
	if got := refusedCount(t, h, "token_invalid"); got != "3" {
		t.Errorf("token_invalid %s, want 3", got)
	}
	if n := reloads.Load(); n != 2 {
		t.Errorf("%d reloads, want 2", n)
	}
	// Even with the right token a cross-site browser request is refused.
	if code, _ := adminReq(t, nil, "http", "POST", dial, "/reload", self, "Authorization", "Bearer "+tok, "Origin", "http://evil.example"); code != 403 {
		t.Errorf("cross-origin POST with the token: %d", code)
	}
	// Over a non-loopback address of this host, when there is one.
	if ip := nonLoopbackIPv4(); ip != nil {
		ext := &net.TCPAddr{IP: ip, Port: a.Port}
		if code, body := adminReq(t, nil, "http", "GET", ext, "/status", ext.String()); code != 200 {
			t.Errorf("GET /status over %s: %d %s", ext, code, body)
		}
		if code, _ := adminReq(t, nil, "http", "GET", ext, "/status", "evil.example:"+fmt.Sprint(a.Port)); code != 403 {
			t.Errorf("GET /status over %s with a foreign Host: %d", ext, code)
		}
		if code, _ := adminReq(t, nil, "http", "POST", ext, "/reload", ext.String(), "Authorization", "Bearer "+tok); code != 200 {
			t.Errorf("POST /reload over %s with the token: %d", ext, code)
		}
	}
	// Loopback: a configured token is required as well.
	h.SetSecurity(mustSecurity(t, config.Admin{Listen: "127.0.0.1:0", TokenFile: writeToken(t, tok)}))
	if code, _ := adminReq(t, nil, "http", "POST", dial, "/reload", self); code != 401 {
		t.Errorf("loopback with a token, POST without it: %d", code)
	}
	if code, _ := adminReq(t, nil, "http", "POST", dial, "/reload", self, "Authorization", "Bearer "+tok); code != 200 {
		t.Errorf("loopback with a token, POST with it: %d", code)
	}
}

func nonLoopbackIPv4() net.IP {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP
		}
	}
	return nil
}

// TestAdminTLSServes: with admin.tls the admin port speaks HTTPS with the
// configured certificate, refuses plain HTTP, still checks Host, and a new
// certificate set by a reload serves the next handshake.
func TestAdminTLSServes(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := certtest.Write(t, dir, "ca", nil, nil)
	certtest.Write(t, dir, "server", ca, caKey)
	s := mustSecurity(t, config.Admin{Listen: "127.0.0.1:0", TLS: &config.TLS{Cert: dir + "/server.crt", Key: dir + "/server.key"}})
	if !s.TLS() {
		t.Fatal("TLS not configured")
	}
	h, a, reloads := adminGateway(t, "127.0.0.1:0", s, true)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	self := a.String()
	if code, body := adminReq(t, c, "https", "GET", a, "/status", self); code != 200 || !strings.Contains(body, `"routes"`) {
		t.Fatalf("GET https /status: %d %s", code, body)
	}
	if code, body := adminReq(t, c, "https", "POST", a, "/reload", self); code != 200 || reloads.Load() != 1 {
		t.Fatalf("POST https /reload: %d %s", code, body)
	}
	if code, _ := adminReq(t, c, "https", "GET", a, "/status", "evil.example"); code != 403 {
		t.Errorf("https with a foreign Host: %d", code)
	}
	if code, body := adminReq(t, nil, "http", "GET", a, "/status", self); code != 400 || strings.Contains(body, `"routes"`) {
		t.Errorf("plain HTTP to the TLS port: %d %s", code, body)
	}
	// A reload with another certificate: the next handshake shows it.
	dir2 := t.TempDir()
	ca2, ca2Key := certtest.Write(t, dir2, "ca", nil, nil)
	leaf2, _ := certtest.Write(t, dir2, "server", ca2, ca2Key)
	h.SetSecurity(mustSecurity(t, config.Admin{Listen: "127.0.0.1:0", TLS: &config.TLS{Cert: dir2 + "/server.crt", Key: dir2 + "/server.key"}}))
	conn, err := tls.Dial("tcp", self, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	got := conn.ConnectionState().PeerCertificates[0]
	conn.Close()
	if !got.Equal(leaf2) {
		t.Errorf("after the reload the port serves %v, want the new certificate", got.Subject)
	}
}

// TestAdminSecurityRefusesLooseFiles: building the admin checks refuses a
// token file and a TLS key that group or others may read, naming them.
func TestAdminSecurityRefusesLooseFiles(t *testing.T) {
	p := writeToken(t, "6f1c0d9a5e2b47c8a3d1f0e9b8c7a6d5")
	os.Chmod(p, 0o644)
	if _, err := NewAdminSecurity(config.Admin{Listen: "127.0.0.1:0", TokenFile: p}); err == nil || !strings.Contains(err.Error(), "admin.token_file: token file "+p+" has mode 0644") {
		t.Errorf("loose token file: %v", err)
	}
	dir := t.TempDir()
	ca, caKey := certtest.Write(t, dir, "ca", nil, nil)
	certtest.Write(t, dir, "server", ca, caKey)
	os.Chmod(dir+"/server.key", 0o640)
	if _, err := NewAdminSecurity(config.Admin{Listen: "127.0.0.1:0", TLS: &config.TLS{Cert: dir + "/server.crt", Key: dir + "/server.key"}}); err == nil || !strings.Contains(err.Error(), "admin.tls: ") || !strings.Contains(err.Error(), dir+"/server.key") || !strings.Contains(err.Error(), "0640") {
		t.Errorf("loose TLS key: %v", err)
	}
}
