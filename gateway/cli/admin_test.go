package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testToken = "3b9f0e6c2d8a41f7b5c0e9d3a7f2c1b8"

// gwConfig writes a configuration with the given admin section.
func gwConfig(t *testing.T, dir, admin string) string {
	t.Helper()
	file := filepath.Join(dir, "gw.yaml")
	src := fmt.Sprintf("admin: %s\nendpoints:\n  a: {kind: tcp, listen: \"127.0.0.1:%d\"}\n  l: {kind: log, path: %s/x.log}\nroutes:\n  - {name: one, from: [a], to: [l]}\n", admin, freeTCP(t), dir)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func writeSecret(t *testing.T, path, s string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, mode)
	return path
}

// selfSigned writes a self-signed certificate (no names: the CLI pins it)
// and its key, mode 0600.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "fieldgate admin"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	cert, key = filepath.Join(dir, "admin.crt"), filepath.Join(dir, "admin.key")
	writeSecret(t, cert, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), 0o644)
	writeSecret(t, key, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})), 0o600)
	return cert, key
}

// runGateway runs file until the test ends; it returns Run's log.
func runGateway(t *testing.T, file string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"-c", file}, &out, &errb) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not stop")
		}
	})
	for range 250 {
		if strings.Contains(errb.String(), "admin listening") {
			return &errb
		}
		select {
		case err := <-done:
			t.Fatalf("run returned %v; log:\n%s", err, errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("admin listener did not start; log:\n%s", errb.String())
	return nil
}

// TestAdminBeyondLoopbackWarns: `check` and `run` both warn about an admin
// address beyond loopback, and say that 0.0.0.0 binds IPv6 too.
func TestAdminBeyondLoopbackWarns(t *testing.T) {
	dir := t.TempDir()
	listen := fmt.Sprintf("0.0.0.0:%d", freeTCP(t))
	file := gwConfig(t, dir, fmt.Sprintf("{listen: %q}", listen))
	var out, errb bytes.Buffer
	if err := Check(context.Background(), []string{"-c", file}, &out, &errb); err != nil {
		t.Fatalf("check: %v %s", err, errb.String())
	}
	want := fmt.Sprintf("%s:1:17: admin.listen: %q is not a loopback address (it listens on every IPv4 and every IPv6 address", file, listen)
	if !strings.Contains(errb.String(), "warning: "+want) || !strings.Contains(out.String(), "1 warning)") {
		t.Errorf("check output lacks the warning %q:\n%s%s", want, out.String(), errb.String())
	}
	log := runGateway(t, file)
	if !strings.Contains(log.String(), "level=WARN msg=config") || !strings.Contains(log.String(), strings.ReplaceAll(want, `"`, `\"`)) {
		t.Errorf("run log lacks the warning %q:\n%s", want, log.String())
	}
	// Loopback: no warning.
	file = gwConfig(t, t.TempDir(), fmt.Sprintf("{listen: \"127.0.0.1:%d\"}", freeTCP(t)))
	errb.Reset()
	out.Reset()
	if err := Check(context.Background(), []string{"-c", file}, &out, &errb); err != nil || strings.Contains(errb.String(), "admin.listen") {
		t.Errorf("loopback: %v %s", err, errb.String())
	}
}

// TestAdminLooseTokenFileRefused: `check` and `run` refuse a token file
// that others may read, naming it, and a directory as token file.
func TestAdminLooseTokenFileRefused(t *testing.T) {
	dir := t.TempDir()
	tok := writeSecret(t, filepath.Join(dir, "token"), testToken+"\n", 0o644)
	for path, want := range map[string]string{
		tok: "admin.token_file: token file " + tok + " has mode 0644: it must not be accessible by group or others (hint: run: chmod 600 " + tok + ")",
		dir: "admin.token_file: token file " + dir + " is a directory, not a regular file (hint: name the regular file that holds it)",
	} {
		file := gwConfig(t, dir, fmt.Sprintf("{listen: \"127.0.0.1:%d\", token_file: %q}", freeTCP(t), path))
		var out, errb bytes.Buffer
		if err := Check(context.Background(), []string{"-c", file}, &out, &errb); err == nil || !strings.Contains(errb.String(), "error: "+file+":1:") || !strings.Contains(errb.String(), want) {
			t.Errorf("check %s: %v\n%s", path, err, errb.String())
		}
		errb.Reset()
		if err := Run(context.Background(), []string{"-c", file}, &out, &errb); err == nil || !strings.Contains(err.Error(), "not starting") || !strings.Contains(errb.String(), want) {
			t.Errorf("run %s: %v\n%s", path, err, errb.String())
		}
	}
}

// TestAdminCLIWithTokenAndTLS: `status` and `reload` reach an HTTPS admin
// port that needs a token, from -c (admin.tls.cert pinned, the token of
// admin.token_file) or from -a https://… with -ca and -token-file; without
// the token the reload is refused; a wildcard admin address is reached on
// loopback.
func TestAdminCLIWithTokenAndTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	tok := writeSecret(t, filepath.Join(dir, "token"), testToken+"\n", 0o600)
	wrong := writeSecret(t, filepath.Join(dir, "wrong"), strings.Repeat("x", 32)+"\n", 0o600)
	port := freeTCP(t)
	file := gwConfig(t, dir, fmt.Sprintf("{listen: \"0.0.0.0:%d\", token_file: %q, tls: {cert: %q, key: %q}}", port, tok, cert, key))
	log := runGateway(t, file)
	if !strings.Contains(log.String(), "scheme=https") {
		t.Errorf("admin not on https:\n%s", log.String())
	}
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := Status(ctx, []string{"-c", file}, &out, &errb); err != nil || !strings.Contains(out.String(), "one") {
		t.Fatalf("status -c: %v %s", err, out.String())
	}
	out.Reset()
	if err := Reload(ctx, []string{"-c", file}, &out, &errb); err != nil || out.String() != "reloaded\n" {
		t.Fatalf("reload -c: %v %q", err, out.String())
	}
	https := fmt.Sprintf("https://127.0.0.1:%d", port)
	if err := Reload(ctx, []string{"-a", https, "-ca", cert}, &out, &errb); err == nil || !strings.Contains(err.Error(), "reload refused: fieldgate admin: refused: POST needs the admin token") {
		t.Errorf("reload without a token: %v", err)
	}
	if err := Reload(ctx, []string{"-a", https, "-ca", cert, "-token-file", wrong}, &out, &errb); err == nil || !strings.Contains(err.Error(), "wrong admin token") {
		t.Errorf("reload with a wrong token: %v", err)
	}
	out.Reset()
	if err := Reload(ctx, []string{"-a", https, "-ca", cert, "-token-file", tok}, &out, &errb); err != nil || out.String() != "reloaded\n" {
		t.Errorf("reload -a -ca -token-file: %v %q", err, out.String())
	}
	// -ca alone implies https.
	out.Reset()
	if err := Status(ctx, []string{"-a", fmt.Sprintf("127.0.0.1:%d", port), "-ca", cert, "-json"}, &out, &errb); err != nil || !strings.Contains(out.String(), `"routes"`) {
		t.Errorf("status -a -ca: %v %s", err, out.String())
	}
	// Another certificate is not trusted.
	other, _ := selfSigned(t, t.TempDir())
	if err := Status(ctx, []string{"-a", https, "-ca", other}, &out, &errb); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Errorf("status trusting another certificate: %v", err)
	}
	// Plain HTTP to the TLS port fails.
	if err := Status(ctx, []string{"-a", fmt.Sprintf("127.0.0.1:%d", port)}, &out, &errb); err == nil {
		t.Error("plain HTTP status against the TLS port succeeded")
	}
}

// TestAdminReloadTurnsOnTLS: a reload that moves the admin port beyond
// loopback with admin.tls and a token rebinds it over HTTPS, logs the
// beyond-loopback warning, and plain HTTP stops working.
func TestAdminReloadTurnsOnTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	tok := writeSecret(t, filepath.Join(dir, "token"), testToken+"\n", 0o600)
	port := freeTCP(t)
	file := gwConfig(t, dir, fmt.Sprintf("{listen: \"127.0.0.1:%d\"}", port))
	log := runGateway(t, file)
	ctx := context.Background()
	var out, errb bytes.Buffer
	plain := fmt.Sprintf("127.0.0.1:%d", port)
	if err := Status(ctx, []string{"-a", plain}, &out, &errb); err != nil {
		t.Fatalf("status over http: %v", err)
	}
	if strings.Contains(log.String(), "not a loopback address") {
		t.Fatalf("warning before the reload:\n%s", log.String())
	}
	gwConfig(t, dir, fmt.Sprintf("{listen: \"0.0.0.0:%d\", token_file: %q, tls: {cert: %q, key: %q}}", port, tok, cert, key))
	if err := Reload(ctx, []string{"-a", plain}, &out, &errb); err != nil {
		t.Fatalf("reload: %v", err)
	}
	var err error
	for range 100 {
		out.Reset()
		if err = Status(ctx, []string{"-c", file}, &out, &errb); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || !strings.Contains(out.String(), "one") {
		t.Fatalf("status over https after the reload: %v\n%s", err, log.String())
	}
	if err := Status(ctx, []string{"-a", plain}, &out, &errb); err == nil {
		t.Error("plain HTTP still answers after TLS was turned on")
	}
	if n := strings.Count(log.String(), "is not a loopback address"); n != 1 {
		t.Errorf("%d beyond-loopback warnings after the reload, want 1:\n%s", n, log.String())
	}
	// A reload over the new port needs the token: -c supplies it.
	out.Reset()
	if err := Reload(ctx, []string{"-c", file}, &out, &errb); err != nil || out.String() != "reloaded\n" {
		t.Errorf("reload -c over https: %v %q", err, out.String())
	}
}
