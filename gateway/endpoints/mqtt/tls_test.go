//go:build !hil

package mqtt_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// pki writes a CA, a server certificate for 127.0.0.1 and a client
// certificate (PEM, keys mode 0600) into dir.
func pki(t *testing.T, dir string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	write := func(name string, typ string, b []byte, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("ca.pem", "CERTIFICATE", caDER, 0o644)
	for i, name := range []string{"server", "client"} {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(2 + i)), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature}
		if name == "server" {
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		} else {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kd, _ := x509.MarshalECPrivateKey(k)
		write(name+".pem", "CERTIFICATE", der, 0o644)
		write(name+".key", "EC PRIVATE KEY", kd, 0o600)
	}
}

// TestTLSAndCredentials: mosquitto with a TLS listener that requires a
// client certificate and a password. The endpoint connects with its CA,
// certificate, key and credentials and publishes (seen by mosquitto_sub
// over TLS); a wrong password never connects; a key file readable by
// others is refused by check (CheckHost) and by opening, naming tls.key.
func TestTLSAndCredentials(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	pki(t, dir)
	pw := filepath.Join(dir, "passwd")
	if out, err := exec.Command("mosquitto_passwd", "-b", "-c", pw, "bench", "s3cret").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v %s", err, out)
	}
	os.Chmod(pw, 0o644)
	extra := []string{"cafile " + filepath.Join(dir, "ca.pem"), "certfile " + filepath.Join(dir, "server.pem"),
		"keyfile " + filepath.Join(dir, "server.key"), "require_certificate true", "password_file " + pw}
	if os.Geteuid() == 0 {
		extra = append(extra, "user root") // read the 0600 key as the user who wrote it
	}
	b := startMosquitto(t, extra...)
	// startMosquitto allows anonymous clients; the password file then
	// still checks the names it knows. Refuse anonymous ones here.
	b.kill()
	conf, _ := os.ReadFile(b.conf)
	os.WriteFile(b.conf, []byte(strings.Replace(string(conf), "allow_anonymous true", "allow_anonymous false", 1)), 0o644)
	b.start()
	subArgs := []string{"--cafile", filepath.Join(dir, "ca.pem"), "--cert", filepath.Join(dir, "client.pem"), "--key", filepath.Join(dir, "client.key"),
		"-u", "bench", "-P", "s3cret"}
	s := startSub(t, b, append(subArgs, "-v", "-t", "fieldgate/tls/#")...)
	conf2 := func(password, key string) string {
		return fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  src: {kind: test-source}
  pub: {kind: mqtt, url: "ssl://127.0.0.1:%d", gateway: tls, encoding: json,
        tls: {ca: %q, cert: %q, key: %q}, credentials: {user: bench, password: %q}, reconnect: {min: 50ms, max: 100ms}}
routes:
  - {name: r, from: [src], to: [pub]}
`, b.port, filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client.pem"), key, password)
	}
	g := startGateway(t, conf2("s3cret", filepath.Join(dir, "client.key")))
	waitConnected(t, g, "pub")
	waitFor(t, "online over TLS", 30*time.Second, func() bool { return len(linesUnder(s, "fieldgate/tls/status online")) == 1 })
	gatewaytest.Inject(t, "src", canFrames(5))
	waitFor(t, "5 frames over TLS", 30*time.Second, func() bool { return len(linesUnder(s, "fieldgate/tls/src/can/")) == 5 })

	// A wrong password: no connection, attempts go on.
	g2 := startGateway(t, strings.Replace(conf2("wrong", filepath.Join(dir, "client.key")), "gateway: tls", "gateway: tls2", 1))
	time.Sleep(500 * time.Millisecond)
	if es := gatewaytest.EndpointStatus(g2, "pub"); es.Peers != 0 || es.Connects != 0 {
		t.Fatalf("wrong password: peers %d, connects %d", es.Peers, es.Connects)
	}

	// A key file others may read is refused, naming the field.
	loose := filepath.Join(dir, "loose.key")
	kb, _ := os.ReadFile(filepath.Join(dir, "client.key"))
	os.WriteFile(loose, kb, 0o644)
	os.Chmod(loose, 0o644)
	cfg, err := config.Parse("loose.yaml", []byte(conf2("s3cret", loose)))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.CheckHost()
	if err == nil || !strings.Contains(err.Error(), "tls.key") || !strings.Contains(err.Error(), loose) {
		t.Fatalf("check with a loose key: %v", err)
	}
}
