package certtest_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/fieldgate/fieldgate/internal/certtest"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := certtest.Write(t, dir, "ca", nil, nil)
	leaf, _ := certtest.Write(t, dir, "server", ca, caKey)
	if !ca.IsCA || leaf.IsCA {
		t.Fatalf("IsCA: ca %v, leaf %v", ca.IsCA, leaf.IsCA)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Fatalf("leaf does not verify against the CA: %v", err)
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "server.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi.Mode(), err)
	}
}
