//go:build !hil

package nats_test

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

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// debianServer runs Debian's nats-server with the configuration conf
// (which names its own listen address) until the test ends, and waits
// until it accepts TCP connections on port. It returns the path of the
// server's log.
func debianServer(t *testing.T, dir, conf string, port int) string {
	t.Helper()
	bin := natsServerBinary(t)
	path := filepath.Join(dir, "server.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "server.log")
	cmd := exec.Command(bin, "-c", path, "-l", logPath)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("nats-server log:\n%s", b)
		}
	})
	waitFor(t, "nats-server listening", 20*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	return logPath
}

// writeSecret writes a file closed to group and others.
func writeSecret(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, written as PEM files (keys with mode 0600).
type testPKI struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

func newPKI(t *testing.T, dir, prefix string) testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: prefix + " test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, []byte) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(k)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	}
	sc, sk := leaf(2, "127.0.0.1", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	cc, ck := leaf(3, "fieldgate", x509.ExtKeyUsageClientAuth, nil)
	return testPKI{
		ca:         writeSecret(t, dir, prefix+"ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})),
		serverCert: writeSecret(t, dir, prefix+"server.pem", sc),
		serverKey:  writeSecret(t, dir, prefix+"server.key", sk),
		clientCert: writeSecret(t, dir, prefix+"client.pem", cc),
		clientKey:  writeSecret(t, dir, prefix+"client.key", ck),
	}
}

// jwtSetup is an operator, an account it signs and a user the account
// signs, as nsc would make them: the operator's and account's JWTs for
// the server's configuration (operator mode, memory resolver) and a creds
// file for the user.
type jwtSetup struct {
	operatorJWT, accountPub, accountJWT string
	creds                               []byte
}

func newJWT(t *testing.T) jwtSetup {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Helper()
			t.Fatal(err)
		}
	}
	okp, err := nkeys.CreateOperator()
	must(err)
	opub, _ := okp.PublicKey()
	oc := jwt.NewOperatorClaims(opub)
	oc.Name = "fieldgate-test"
	var s jwtSetup
	s.operatorJWT, err = oc.Encode(okp)
	must(err)
	akp, err := nkeys.CreateAccount()
	must(err)
	s.accountPub, _ = akp.PublicKey()
	ac := jwt.NewAccountClaims(s.accountPub)
	ac.Name = "FLEET"
	s.accountJWT, err = ac.Encode(okp)
	must(err)
	s.creds = userCreds(t, akp)
	return s
}

// userCreds returns a creds file (JWT and seed) of a new user signed by
// the account key akp.
func userCreds(t *testing.T, akp nkeys.KeyPair) []byte {
	t.Helper()
	ukp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	upub, _ := ukp.PublicKey()
	uc := jwt.NewUserClaims(upub)
	uc.Name = "bench1"
	ujwt, err := uc.Encode(akp)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := ukp.Seed()
	creds, err := jwt.FormatUserConfig(ujwt, seed)
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

// TestCredentialsDebianServer: a gateway's nats endpoints connect to
// Debian's nats-server (started by the test) with each kind of
// credentials the server requires — user and password, token, nkey seed
// file, creds file (JWT, the server in operator mode) — and over TLS with
// a CA and a client certificate the test generates (the server verifies
// the client's). A publishing endpoint and a subscribing one use the same
// credentials: frames cross the server and arrive byte for byte. With
// wrong credentials (or a CA that did not sign the server's certificate,
// or no client certificate) the endpoint stays disconnected and nothing
// is published.
func TestCredentialsDebianServer(t *testing.T) {
	dir := t.TempDir()
	js := newJWT(t)
	pki := newPKI(t, dir, "")
	otherPKI := newPKI(t, dir, "other-")
	ukp, _ := nkeys.CreateUser()
	upub, _ := ukp.PublicKey()
	useed, _ := ukp.Seed()
	seedFile := writeSecret(t, dir, "bench1.nk", useed)
	otherKP, _ := nkeys.CreateUser()
	otherSeed, _ := otherKP.Seed()
	otherSeedFile := writeSecret(t, dir, "other.nk", otherSeed)
	credsFile := writeSecret(t, dir, "bench1.creds", js.creds)
	strangerAcc, _ := nkeys.CreateAccount()
	strangerCreds := writeSecret(t, dir, "stranger.creds", userCreds(t, strangerAcc))

	tlsServer := fmt.Sprintf(`tls { cert_file: %q, key_file: %q, ca_file: %q, verify: true, timeout: 5 }`, pki.serverCert, pki.serverKey, pki.ca)
	clientTLS := fmt.Sprintf(`{ca: %s, cert: %s, key: %s}`, pki.ca, pki.clientCert, pki.clientKey)
	for _, tc := range []struct {
		name, server, scheme, ep string
		connected                bool
		refusal                  string // in the server's log when it refuses the client
	}{
		{"user", `authorization { user: bench1, password: "s3cret!" }`, "nats", `credentials: {user: bench1, password: "s3cret!"}`, true, ""},
		{"user-wrong", `authorization { user: bench1, password: "s3cret!" }`, "nats", `credentials: {user: bench1, password: guess}`, false, "authentication error"},
		{"token", `authorization { token: "t0ken-42" }`, "nats", `credentials: {token: "t0ken-42"}`, true, ""},
		{"token-wrong", `authorization { token: "t0ken-42" }`, "nats", `credentials: {token: other}`, false, "authentication error"},
		{"nkey", fmt.Sprintf(`authorization { users: [ { nkey: %s } ] }`, upub), "nats", `credentials: {nkey: ` + seedFile + `}`, true, ""},
		{"nkey-other", fmt.Sprintf(`authorization { users: [ { nkey: %s } ] }`, upub), "nats", `credentials: {nkey: ` + otherSeedFile + `}`, false, "authentication error"},
		{"creds", fmt.Sprintf("operator: %q\nresolver: MEMORY\nresolver_preload: { %s: %q }", js.operatorJWT, js.accountPub, js.accountJWT),
			"nats", `credentials: {creds: ` + credsFile + `}`, true, ""},
		{"creds-untrusted", fmt.Sprintf("operator: %q\nresolver: MEMORY\nresolver_preload: { %s: %q }", js.operatorJWT, js.accountPub, js.accountJWT),
			"nats", `credentials: {creds: ` + strangerCreds + `}`, false, "authentication error"},
		{"tls", tlsServer, "tls", `tls: ` + clientTLS, true, ""},
		{"tls-and-user", tlsServer + "\n" + `authorization { user: bench1, password: pw }`, "tls", `tls: ` + clientTLS + `, credentials: {user: bench1, password: pw}`, true, ""},
		{"tls-wrong-ca", tlsServer, "tls", fmt.Sprintf(`tls: {ca: %s, cert: %s, key: %s}`, otherPKI.ca, pki.clientCert, pki.clientKey), false, "TLS handshake error"},
		{"tls-no-client-cert", tlsServer, "tls", `tls: {ca: ` + pki.ca + `}`, false, "TLS handshake error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := gatewaytest.FreePort(t, "tcp")
			logPath := debianServer(t, t.TempDir(), fmt.Sprintf("listen: 127.0.0.1:%d\n%s\n", port, tc.server), port)
			src, bus := "in-deb-"+tc.name, "bus-deb-"+tc.name
			url := fmt.Sprintf("%s://127.0.0.1:%d", tc.scheme, port)
			g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  %s: {kind: test-source}
  pub: {kind: nats, gateway: deb, url: %q, %s, reconnect: {min: 50ms, max: 200ms}}
  sub: {kind: nats, gateway: debsub, url: %q, %s, subscribe: [fieldgate.deb.>], reconnect: {min: 50ms, max: 200ms}}
  %s: {kind: test-bus}
routes:
  - {name: r, from: [%s], to: [pub]}
  - {name: s, from: [sub], to: [%s], allow: [any]}
`, src, url, tc.ep, url, tc.ep, bus, src, bus))
			fs := testFrames(40)
			if tc.connected {
				waitConnected(t, g, "pub")
				waitSubscribed(t, g, "sub")
				gatewaytest.Inject(t, src, fs)
				b := gatewaytest.BusOf(t, bus)
				deadline := time.Now().Add(30 * time.Second)
				for b.Len() < len(fs) {
					if time.Now().After(deadline) {
						ps, ss := gatewaytest.EndpointStatus(g, "pub"), gatewaytest.EndpointStatus(g, "sub")
						t.Fatalf("%d of %d frames on the bus; publisher %+v %+v; subscriber %+v %+v; routes %+v", b.Len(), len(fs), ps, ps.Broker, ss, ss.Broker, g.Status().Routes)
					}
					time.Sleep(5 * time.Millisecond)
				}
				sameFrames(t, b.Frames(), fs)
				if st := gatewaytest.EndpointStatus(g, "pub"); st.FramesOut != uint64(len(fs)) || st.Broker == nil || st.Broker.State != "connected" || st.Broker.URL != url {
					t.Fatalf("publisher %+v (broker %+v)", st, st.Broker)
				}
				return
			}
			// Wrong credentials: several connection attempts are refused
			// (the backoff is at most 200 ms), nothing gets through.
			time.Sleep(1500 * time.Millisecond)
			gatewaytest.Inject(t, src, fs)
			time.Sleep(300 * time.Millisecond)
			for _, name := range []string{"pub", "sub"} {
				st := gatewaytest.EndpointStatus(g, name)
				if st.Peers != 0 || st.FramesOut != 0 || st.Broker == nil || st.Broker.State == "connected" {
					t.Fatalf("%s with wrong credentials: %+v (broker %+v)", name, st, st.Broker)
				}
			}
			if n := gatewaytest.BusOf(t, bus).Len(); n != 0 {
				t.Fatalf("%d frames arrived", n)
			}
			if b, _ := os.ReadFile(logPath); !strings.Contains(string(b), tc.refusal) {
				t.Fatalf("the server's log does not say %q", tc.refusal)
			}
		})
	}
}

// TestCredentialFilesLoose: `check` (config.Parse, what check and run
// load) refuses nkey seed, creds and TLS key files that group or others
// may read, naming the file, its mode, and the field at file:line:column.
func TestCredentialFilesLoose(t *testing.T) {
	dir := t.TempDir()
	kp, _ := nkeys.CreateUser()
	seed, _ := kp.Seed()
	akp, _ := nkeys.CreateAccount()
	for _, tc := range []struct {
		file  string
		body  []byte
		mode  os.FileMode
		field string
	}{
		{"seed.nk", seed, 0o644, "credentials: {nkey: %s}"},
		{"user.creds", userCreds(t, akp), 0o640, "credentials: {creds: %s}"},
		{"client.key", []byte("-----BEGIN EC PRIVATE KEY-----\n"), 0o604, "tls: {key: %s, cert: /nonexistent.pem}"},
	} {
		p := filepath.Join(dir, tc.file)
		if err := os.WriteFile(p, tc.body, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, tc.mode)
		field := fmt.Sprintf(tc.field, p)
		_, err := config.Parse("fleet.yaml", []byte(fmt.Sprintf(`admin: {listen: ""}
endpoints:
  src: {kind: test-source}
  pub: {kind: nats, url: "nats://127.0.0.1:4222", %s}
routes:
  - {name: r, from: [src], to: [pub]}
`, field)))
		want := fmt.Sprintf("%s has mode %04o: it must not be accessible by group or others (hint: run: chmod 600 %s)", p, tc.mode, p)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "fleet.yaml:4:") {
			t.Errorf("%s: got %v, want fleet.yaml:4:…: %s", tc.file, err, want)
		}
		os.Chmod(p, 0o600)
	}
}
