package console

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// do sends a request to the rig's admin port and returns the response
// (body closed) and its first bytes.
func do(t *testing.T, method, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := make([]byte, 512)
	n, _ := resp.Body.Read(b)
	return resp, string(b[:n])
}

func TestConsoleLoopback(t *testing.T) {
	r := startRig(t, config.Admin{})
	resp, body := do(t, "GET", r.base+"/", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "fieldgate console") {
		t.Fatalf("GET /: %s %q", resp.Status, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", resp.Header)
	}
	for _, p := range []string{"/console/app.js", "/console/plot.js", "/console/style.css"} {
		if resp, _ := do(t, "GET", r.base+p, nil); resp.StatusCode != 200 {
			t.Errorf("GET %s: %s", p, resp.Status)
		}
	}
	for _, p := range []string{"/nothing", "/console/", "/console/missing.js"} {
		if resp, _ := do(t, "GET", r.base+p, nil); resp.StatusCode != 404 {
			t.Errorf("GET %s: %s, want 404", p, resp.Status)
		}
	}
	// The built-in paths still win over the console at /.
	if resp, body := do(t, "GET", r.base+"/healthz", nil); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("GET /healthz: %s %q", resp.Status, body)
	}
	// Read-only: a same-origin POST is refused by the console itself.
	if resp, _ := do(t, "POST", r.base+"/", map[string]string{"Origin": r.base}); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("same-origin POST /: %s, want 405", resp.Status)
	}
}

func TestConsoleRefusesCrossOriginAndForeignHost(t *testing.T) {
	r := startRig(t, config.Admin{})
	port := r.base[strings.LastIndex(r.base, ":")+1:]
	cases := []struct {
		name, method, path string
		hdr                map[string]string
		status             int
	}{
		{"cross-origin POST /", "POST", "/", map[string]string{"Origin": "http://evil.example"}, 403},
		{"cross-origin POST /reload", "POST", "/reload", map[string]string{"Origin": "http://evil.example"}, 403},
		{"cross-site POST from a browser", "POST", "/", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"cross-origin GET of the stream", "GET", pathEvents, map[string]string{"Origin": "http://evil.example:" + port}, 403},
		{"foreign Host (DNS rebinding)", "GET", "/", map[string]string{"Host": "evil.example:" + port}, 403},
		{"foreign Host on the stream", "GET", pathEvents, map[string]string{"Host": "evil.example:" + port}, 403},
		{"foreign Host on an asset", "GET", "/console/app.js", map[string]string{"Host": "evil.example"}, 403},
	}
	for _, c := range cases {
		resp, body := do(t, c.method, r.base+c.path, c.hdr)
		if resp.StatusCode != c.status || !strings.Contains(body, "refused") {
			t.Errorf("%s: %s %q, want %d", c.name, resp.Status, body, c.status)
		}
	}
	if n := r.con.Clients(); n != 0 {
		t.Errorf("%d event streams after refused requests", n)
	}
}

func TestConsoleBeyondLoopbackNeedsToken(t *testing.T) {
	// Without admin.token_file: no console at all.
	r := startRig(t, config.Admin{Listen: "0.0.0.0:9108"})
	for _, p := range []string{"/", pathEvents, "/console/app.js"} {
		if resp, body := do(t, "GET", r.base+p, nil); resp.StatusCode != 403 || !strings.Contains(body, "token_file") {
			t.Errorf("GET %s beyond loopback without a token: %s %q, want 403", p, resp.Status, body)
		}
	}

	const token = "0123456789abcdef-console"
	tf := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tf, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = startRig(t, config.Admin{Listen: "0.0.0.0:9108", TokenFile: tf})
	for _, p := range []string{"/", pathEvents, "/console/app.js", "/?token=wrong-token-0123456789"} {
		if resp, _ := do(t, "GET", r.base+p, nil); resp.StatusCode != 401 {
			t.Errorf("GET %s without the token: %s, want 401", p, resp.Status)
		}
		if resp, _ := do(t, "GET", r.base+p, map[string]string{"Cookie": cookieName + "=wrong-token-0123456789"}); resp.StatusCode != 401 {
			t.Errorf("GET %s with a wrong cookie: %s, want 401", p, resp.Status)
		}
	}
	// ?token= sets the cookie and redirects to the URL without it.
	resp, _ := do(t, "GET", r.base+"/?token="+token, nil)
	ck := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" ||
		!strings.Contains(ck, cookieName+"="+token) || !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Strict") {
		t.Fatalf("GET /?token=: %s, Location %q, Set-Cookie %q", resp.Status, resp.Header.Get("Location"), ck)
	}
	for _, p := range []string{"/", "/console/app.js"} {
		if resp, _ := do(t, "GET", r.base+p, map[string]string{"Cookie": cookieName + "=" + token}); resp.StatusCode != 200 {
			t.Errorf("GET %s with the cookie: %s", p, resp.Status)
		}
		if resp, _ := do(t, "GET", r.base+p, map[string]string{"Authorization": "Bearer " + token}); resp.StatusCode != 200 {
			t.Errorf("GET %s with the bearer token: %s", p, resp.Status)
		}
	}
	// Even with the token, a POST from another site stays refused.
	if resp, _ := do(t, "POST", r.base+"/", map[string]string{"Authorization": "Bearer " + token, "Origin": "http://evil.example"}); resp.StatusCode != 403 {
		t.Errorf("cross-origin POST with the token: %s, want 403", resp.Status)
	}
}

func TestConsoleDisabled(t *testing.T) {
	r := startRig(t, config.Admin{})
	r.g.Config().Admin.Console.Disabled = true
	if resp, _ := do(t, "GET", r.base+"/", nil); resp.StatusCode != 404 {
		t.Errorf("GET / with the console disabled: %s, want 404", resp.Status)
	}
}
