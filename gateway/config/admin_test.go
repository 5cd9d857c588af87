package config_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// adminYAML is a minimal valid file with the given admin section.
func adminYAML(admin string) string {
	return "admin: " + admin + "\nendpoints:\n  a: {kind: tcp, listen: \"127.0.0.1:1\"}\n  b: {kind: log, path: /tmp/b}\nroutes:\n  - {from: [a], to: [b]}\n"
}

func TestLoopbackListen(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9108":       true,
		"127.0.0.2:9108":       true,
		"[::1]:9108":           true,
		"localhost:9108":       true,
		"LOCALHOST.:9108":      true,
		"0.0.0.0:9108":         false,
		"[::]:9108":            false,
		":9108":                false,
		"192.168.1.5:9108":     false,
		"[2001:db8::1]:9108":   false,
		"gw01.example.net:1":   false,
		"localhost.evil.net:1": false,
		"garbage":              false,
	} {
		if got := config.LoopbackListen(addr); got != want {
			t.Errorf("LoopbackListen(%q) = %v, want %v", addr, got, want)
		}
	}
}

// adminWarnings returns the warnings about admin.listen.
func adminWarnings(t *testing.T, admin string) []string {
	t.Helper()
	c, err := config.Parse("t.yaml", []byte(adminYAML(admin)))
	if err != nil {
		t.Fatalf("%s: %v", admin, err)
	}
	var out []string
	for _, w := range c.Warnings {
		if w.Field == "admin.listen" {
			out = append(out, w.Error())
		}
	}
	return out
}

// TestAdminBeyondLoopbackWarns: an admin address beyond loopback is a
// warning naming what it exposes; 0.0.0.0 and an empty host say that
// IPv6 is bound too; loopback addresses give none.
func TestAdminBeyondLoopbackWarns(t *testing.T) {
	for _, a := range []string{`{listen: "127.0.0.1:9108"}`, `{listen: "[::1]:9108"}`, `{listen: "localhost:9108"}`, `{listen: ""}`, `{}`} {
		if w := adminWarnings(t, a); len(w) != 0 {
			t.Errorf("%s: unexpected warning %v", a, w)
		}
	}
	for _, tc := range []struct {
		admin string
		want  []string
		not   []string
	}{
		{`{listen: "0.0.0.0:9108"}`, []string{`t.yaml:1:17: admin.listen: "0.0.0.0:9108" is not a loopback address`, "every IPv6 address", "POST /reload is refused on it until admin.token_file is set", "unencrypted"}, nil},
		{`{listen: ":9108"}`, []string{"not a loopback address", "every IPv6 address"}, nil},
		{`{listen: "[::]:9108"}`, []string{"not a loopback address", "every IPv4 address"}, nil},
		{`{listen: "192.168.1.5:9108"}`, []string{"not a loopback address", "/status"}, []string{"IPv6"}},
		{`{listen: "gw01.example.net:9108"}`, []string{"not a loopback address"}, nil},
	} {
		w := adminWarnings(t, tc.admin)
		if len(w) != 1 {
			t.Errorf("%s: warnings %v, want one", tc.admin, w)
			continue
		}
		for _, s := range tc.want {
			if !strings.Contains(w[0], s) {
				t.Errorf("%s: warning lacks %q:\n%s", tc.admin, s, w[0])
			}
		}
		for _, s := range tc.not {
			if strings.Contains(w[0], s) {
				t.Errorf("%s: warning says %q:\n%s", tc.admin, s, w[0])
			}
		}
	}
}

func parseErrors(t *testing.T, yaml string) []string {
	t.Helper()
	_, err := config.Parse("t.yaml", []byte(yaml))
	if err == nil {
		return nil
	}
	var es config.Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %v, want config.Errors", err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Error())
	}
	return out
}

// TestAdminTokenFile: the token file is refused, with its name and a hint,
// when group or others may access it, when it is not a regular file, or
// when it is empty, short or holds more than one token.
func TestAdminTokenFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "0123456789abcdef0123456789abcdef\n", 0o600)
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	for _, tc := range []struct {
		path string
		want string // "" for accepted
	}{
		{good, ""},
		{write("loose", "0123456789abcdef0123456789abcdef\n", 0o644), "token file " + dir + "/loose has mode 0644: it must not be accessible by group or others (hint: run: chmod 600 " + dir + "/loose)"},
		{write("groupw", "0123456789abcdef0123456789abcdef\n", 0o620), "has mode 0620"},
		{write("empty", "", 0o600), "token file " + dir + "/empty is empty"},
		{write("blank", " \n\n", 0o600), "is empty"},
		{write("short", "abc123\n", 0o600), "token in " + dir + "/short is 6 characters; at least 16 are needed"},
		{write("two", "0123456789abcdef 0123456789abcdef\n", 0o600), "white space, control or non-ASCII characters"},
		{dir, "token file " + dir + " is a directory, not a regular file"},
		{"/dev/zero", "token file /dev/zero is a character device, not a regular file"},
		{fifo, "is a named pipe, not a regular file"},
		{filepath.Join(dir, "missing"), "token file " + dir + "/missing does not exist"},
	} {
		errs := parseErrors(t, adminYAML(fmt.Sprintf("{listen: \"127.0.0.1:9108\", token_file: %q}", tc.path)))
		if tc.want == "" {
			if len(errs) != 0 {
				t.Errorf("%s refused: %v", tc.path, errs)
			}
			continue
		}
		if len(errs) != 1 || !strings.Contains(errs[0], "t.yaml:1:47: admin.token_file: ") || !strings.Contains(errs[0], tc.want) {
			t.Errorf("%s: got %q, want one error with %q", tc.path, errs, tc.want)
		}
	}
	tok, err := config.ReadTokenFile(good)
	if err != nil || string(tok) != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("ReadTokenFile = %q, %v", tok, err)
	}
	c, err := config.Parse("t.yaml", []byte(adminYAML(fmt.Sprintf("{listen: \"0.0.0.0:9108\", token_file: %q}", good))))
	if err != nil || c.Admin.TokenFile != good {
		t.Fatalf("token_file %q, %v", c.Admin.TokenFile, err)
	}
	if w := c.Warnings; len(w) != 1 || !strings.Contains(w[0].Msg, "POST /reload needs the token of admin.token_file") {
		t.Errorf("warnings %v", w)
	}
}

// writeKeyPair writes a self-signed certificate and its key.
func writeKeyPair(t *testing.T, dir, name string, keyMode os.FileMode) (cert, key string) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	cert, key = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), keyMode)
	os.Chmod(key, keyMode)
	return cert, key
}

// TestAdminTLS: admin.tls needs cert and key; a key that group or others
// may read, a key that is not a regular file and a pair that does not load
// are refused by the configuration, so `check` refuses them.
func TestAdminTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeKeyPair(t, dir, "a", 0o600)
	cert2, _ := writeKeyPair(t, dir, "b", 0o600)
	_, loose := writeKeyPair(t, dir, "c", 0o640)
	c, err := config.Parse("t.yaml", []byte(adminYAML(fmt.Sprintf("{listen: \"127.0.0.1:9108\", tls: {cert: %q, key: %q}}", cert, key))))
	if err != nil || c.Admin.TLS == nil || c.Admin.TLS.Cert != cert || c.Admin.TLS.Key != key {
		t.Fatalf("tls %+v, %v", c.Admin.TLS, err)
	}
	for _, tc := range []struct{ tls, want string }{
		{fmt.Sprintf("{cert: %q, key: %q}", cert, loose), "admin.tls.key: tls key " + loose + " has mode 0640: it must not be accessible by group or others (hint: run: chmod 600 " + loose + ")"},
		{fmt.Sprintf("{cert: %q, key: %q}", cert, dir), "admin.tls.key: tls key " + dir + " is a directory, not a regular file"},
		{fmt.Sprintf("{cert: %q, key: %q}", cert2, key), "admin.tls: loading certificate " + cert2 + " and key " + key + ": tls: private key does not match public key"},
		{fmt.Sprintf("{cert: %q, key: %q}", "/dev/zero", key), "admin.tls.cert: certificate /dev/zero is a character device, not a regular file"},
		{fmt.Sprintf("{cert: %q, key: %q}", dir+"/none.crt", key), "admin.tls.cert: certificate " + dir + "/none.crt: no such file or directory"},
		{fmt.Sprintf("{cert: %q}", cert), "admin.tls.key: missing field"},
		{fmt.Sprintf("{key: %q}", key), "admin.tls.cert: missing field"},
		{fmt.Sprintf("{cert: %q, key: %q, ca: %q}", cert, key, cert), `admin.tls.ca: unknown field "ca"`},
	} {
		errs := parseErrors(t, adminYAML(fmt.Sprintf("{listen: \"127.0.0.1:9108\", tls: %s}", tc.tls)))
		if len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
			t.Errorf("tls %s: got %q, want one error with %q", tc.tls, errs, tc.want)
		}
	}
}

func TestAdminHosts(t *testing.T) {
	c, err := config.Parse("t.yaml", []byte(adminYAML(`{hosts: [GW01.example.net, "gw01:8443", 192.0.2.7, "[2001:db8::1]:9108", "2001:db8::2"]}`)))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Admin.Hosts, " "); got != "gw01.example.net gw01:8443 192.0.2.7 [2001:db8::1]:9108 2001:db8::2" {
		t.Errorf("hosts %s", got)
	}
	for _, bad := range []string{`"evil example"`, `"gw01:0"`, `"gw01:99999"`, `"http://gw01"`, `"*"`, `{a: b}`} {
		errs := parseErrors(t, adminYAML("{hosts: ["+bad+"]}"))
		if len(errs) != 1 || !strings.Contains(errs[0], "admin.hosts[0]") {
			t.Errorf("host %s: %q", bad, errs)
		}
	}
	for s, want := range map[string]string{"GW01.:80": "gw01 80", "[::1]:1": "::1 1", "::1": "::1 ", "10.0.0.1:0099": "10.0.0.1 99"} {
		h, p, ok := config.ParseAdminHost(s)
		if !ok || h+" "+p != want {
			t.Errorf("ParseAdminHost(%q) = %q %q %v, want %s", s, h, p, ok, want)
		}
	}
}
