// Package tlsconf turns a configuration's tls: settings into a crypto/tls
// configuration for the stream and socketcand endpoint kinds.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// Load returns the tls.Config for t (nil for nil t). A server with a CA
// requires and verifies client certificates. A key file readable by group
// or others is refused.
func Load(t *config.TLS, server bool) (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.Cert != "" {
		if st, err := os.Stat(t.Key); err == nil && st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("tls key %s has mode %04o: it must not be accessible by group or others (run: chmod 600 %s)", t.Key, st.Mode().Perm(), t.Key)
		}
		cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("tls ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca %s: no PEM certificates found", t.CA)
		}
		if server {
			c.ClientCAs = pool
			c.ClientAuth = tls.RequireAndVerifyClientCert
		} else {
			c.RootCAs = pool
		}
	}
	return c, nil
}
