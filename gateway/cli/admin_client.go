package cli

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// adminFlags are the flags with which status and reload reach a running
// gateway's admin port.
type adminFlags struct {
	addr, file, ca *string
	tokenFile      *string // nil for commands that change nothing
}

func addAdminFlags(fs *flag.FlagSet, token bool) *adminFlags {
	f := &adminFlags{
		addr: fs.String("a", "", "admin `address` of the running gateway: HOST:PORT or https://HOST:PORT (default: admin.listen of -c)"),
		file: fs.String("c", DefaultConfig, "configuration `file` to read the admin address (and admin.tls, admin.token_file) from"),
		ca:   fs.String("ca", "", "`certificate` to trust on an https admin address: the admin certificate itself or its CA (default with -c: admin.tls.cert; implies https)"),
	}
	if token {
		f.tokenFile = fs.String("token-file", "", "`file` holding the admin token (default with -c: admin.token_file)")
	}
	return f
}

// adminClient talks to a running gateway's admin port.
type adminClient struct {
	base   string // scheme://host:port
	client *http.Client
	token  string // sent as Authorization: Bearer; "" for none
}

// client returns the client the flags describe; withToken reads the admin
// token (of -token-file, else of admin.token_file with -c).
func (f *adminFlags) client(withToken bool) (*adminClient, error) {
	target, scheme, ca, tokenFile := *f.addr, "http", *f.ca, ""
	if f.tokenFile != nil {
		tokenFile = *f.tokenFile
	}
	if target == "" {
		cfg, err := config.Load(*f.file)
		if cfg == nil {
			if err == nil {
				err = errors.New("no configuration")
			}
			var es config.Errors
			if !errors.As(err, &es) {
				err = fileError(*f.file, err)
			}
			return nil, fmt.Errorf("no admin address to reach: %w; or give the address with -a HOST:PORT", err)
		}
		if cfg.Admin.Listen == "" {
			return nil, fmt.Errorf("%s disables the admin listener (admin.listen is empty); use -a HOST:PORT", *f.file)
		}
		target = dialAddr(cfg.Admin.Listen)
		if cfg.Admin.TLS != nil {
			scheme = "https"
			if ca == "" {
				ca = cfg.Admin.TLS.Cert
			}
		}
		if withToken && tokenFile == "" {
			tokenFile = cfg.Admin.TokenFile
		}
	} else if rest, ok := strings.CutPrefix(target, "https://"); ok {
		scheme, target = "https", rest
	} else if rest, ok := strings.CutPrefix(target, "http://"); ok {
		target = rest
	} else if ca != "" {
		scheme = "https"
	}
	target = strings.TrimSuffix(target, "/")
	c := &adminClient{base: scheme + "://" + target, client: http.DefaultClient}
	if scheme == "https" && ca != "" {
		host, _, err := net.SplitHostPort(target)
		if err != nil {
			host = target
		}
		tc, err := trustConfig(ca, host)
		if err != nil {
			return nil, err
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tc
		c.client = &http.Client{Transport: tr}
	}
	if withToken && tokenFile != "" {
		tok, err := config.ReadTokenFile(tokenFile)
		if err != nil {
			return nil, fmt.Errorf("reading the admin token: %w (use -token-file FILE)", err)
		}
		c.token = string(tok)
	}
	return c, nil
}

// do sends req with the token, if any.
func (c *adminClient) do(req *http.Request) (*http.Response, error) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, adminError(c.base, err)
	}
	return resp, nil
}

// dialAddr is where a client on this host reaches a listener on listen: a
// wildcard host is reached on loopback.
func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0":
		return net.JoinHostPort("127.0.0.1", port)
	case "::":
		return net.JoinHostPort("::1", port)
	}
	return listen
}

// trustConfig trusts the certificates of file: a server presenting one
// of them is accepted as it is (a pinned, possibly self-signed admin
// certificate), others must chain to one of them and name host.
func trustConfig(file, host string) (*tls.Config, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("admin certificate to trust: %w", err)
	}
	var certs []*x509.Certificate
	pool := x509.NewCertPool()
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("admin certificate to trust %s: %w", file, err)
		}
		certs = append(certs, c)
		pool.AddCert(c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("admin certificate to trust %s: no PEM certificate found", file)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Verified below: pinned, or chained to the file's certificates.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the admin port presented no certificate")
			}
			leaf := cs.PeerCertificates[0]
			for _, c := range certs {
				if leaf.Equal(c) {
					return nil
				}
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, DNSName: host}); err != nil {
				return fmt.Errorf("admin certificate not trusted (trusting %s): %w", file, err)
			}
			return nil
		},
	}, nil
}
