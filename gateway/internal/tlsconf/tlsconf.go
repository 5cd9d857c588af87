// Package tlsconf turns a configuration's tls: settings into a crypto/tls
// configuration for the stream and socketcand endpoint kinds.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// maxPEM bounds the certificate, key and CA files read.
const maxPEM = 1 << 20

// Load returns the tls.Config for t (nil for nil t). A server with a CA
// requires and verifies client certificates. The files must be regular
// files; a key file that group or others may access is refused. Errors
// are *config.HostError naming the field (tls.cert, tls.key, tls.ca): the
// endpoint kinds call Load both when they open an endpoint and from
// CheckHost (fieldgate check), so both refuse a file with the same words.
func Load(t *config.TLS, server bool) (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.Cert != "" {
		certPEM, err := config.ReadHostFile("tls.cert", "tls cert", t.Cert, maxPEM)
		if err != nil {
			return nil, err
		}
		keyPEM, err := config.ReadSecretFile("tls.key", "tls key", t.Key, maxPEM)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, &config.HostError{Field: "tls", Msg: fmt.Sprintf("tls cert %s and key %s: %v", t.Cert, t.Key, err), Hint: "PEM files of one certificate and its private key"}
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if t.CA != "" {
		pem, err := config.ReadHostFile("tls.ca", "tls ca", t.CA, maxPEM)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &config.HostError{Field: "tls.ca", Msg: fmt.Sprintf("tls ca %s: no PEM certificates found", t.CA), Hint: "a PEM file of CA certificates"}
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
