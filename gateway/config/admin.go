package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fieldgate/fieldgate/can"
)

// MinTokenLen is the shortest admin token accepted, in characters.
const MinTokenLen = 16

// maxTokenFile bounds how much of a token file is read.
const maxTokenFile = 4096

// admin decodes the admin HTTP listener's settings: listen, token_file,
// hosts and tls. The token file and the TLS key are checked here, so that
// `check` refuses what `run` refuses. A listener beyond loopback is a
// warning.
func (d *decoder) admin(top *Object, c *Config) {
	ad := d.object(top.get("admin"), "admin")
	a := &c.Admin
	a.Listen = ad.str("listen", DefaultAdmin)
	ln := ad.get("listen")
	a.Pos = d.pos(ln)
	listenOK := true
	if ln != nil && a.Listen != "" {
		listenOK = d.checkHostPort(ln, "admin.listen", a.Listen)
	}
	if n, ok := ad.scalar("token_file"); ok && n.Value != "" {
		a.TokenFile = n.Value
		if _, err := ReadTokenFile(n.Value); err != nil {
			d.fileError(n, "admin.token_file", err)
		}
	}
	for i, n := range ad.list("hosts") {
		field := fmt.Sprintf("admin.hosts[%d]", i)
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, field, "a host name or address, optionally with :port", "expected a single value, found %s", kindName(n))
			continue
		}
		if _, _, ok := ParseAdminHost(n.Value); !ok {
			d.errorf(n, field, "a host name or IP address, optionally with :port, e.g. gw01.example.net or 192.0.2.7:9108", "invalid host %q", n.Value)
			continue
		}
		a.Hosts = append(a.Hosts, strings.ToLower(n.Value))
	}
	if tn := ad.get("tls"); tn != nil {
		a.TLS = d.adminTLS(tn)
	}
	if cn := ad.get("console"); cn != nil {
		a.Console = d.console(cn)
	}
	ad.done()
	if a.Listen != "" && listenOK && !LoopbackListen(a.Listen) {
		c.Warnings = append(c.Warnings, &Error{Pos: a.Pos, Field: "admin.listen", Msg: exposureWarning(a), Hint: "keep the default 127.0.0.1:9108 unless another host must reach it; then set admin.token_file and admin.tls, and restrict it with a firewall"})
	}
}

// console decodes admin.console: {enabled, dbc}. A relative dbc is
// relative to the configuration file; the DBC is parsed here so that
// `check` names its errors with file:line.
func (d *decoder) console(cn *yaml.Node) Console {
	co := d.object(cn, "admin.console")
	c := Console{Disabled: !co.boolean("enabled", true)}
	if n, ok := co.scalar("dbc"); ok && n.Value != "" {
		c.DBC = n.Value
		if !filepath.IsAbs(c.DBC) && d.file != "" {
			c.DBC = filepath.Join(filepath.Dir(d.file), c.DBC)
		}
		b, err := os.ReadFile(c.DBC)
		if err == nil {
			c.DB, err = can.ParseDBC(c.DBC, b)
		}
		if err != nil {
			d.errorf(n, "admin.console.dbc", "a DBC file whose messages the console decodes; fix it at the position named", "%v", err)
		}
	}
	co.done()
	return c
}

// adminTLS decodes admin.tls: {cert, key} and checks that the pair loads
// and that the key is readable by its owner only.
func (d *decoder) adminTLS(tn *yaml.Node) *TLS {
	to := d.object(tn, "admin.tls")
	t := &TLS{Pos: d.pos(tn)}
	cn, cok := to.scalar("cert")
	kn, kok := to.scalar("key")
	to.done()
	if !cok || cn.Value == "" {
		d.errorf(tn, "admin.tls.cert", "the server certificate (PEM), e.g. cert: /etc/fieldgate/admin.crt", "missing field")
	}
	if !kok || kn.Value == "" {
		d.errorf(tn, "admin.tls.key", "the certificate's private key (PEM, mode 0600), e.g. key: /etc/fieldgate/admin.key", "missing field")
	}
	if !cok || !kok || cn.Value == "" || kn.Value == "" {
		return t
	}
	t.Cert, t.Key = cn.Value, kn.Value
	if err := CheckSecretFile(t.Key, "tls key"); err != nil {
		d.fileError(kn, "admin.tls.key", err)
		return t
	}
	if st, err := os.Stat(t.Cert); err != nil {
		d.errorf(cn, "admin.tls.cert", "the server certificate (PEM)", "certificate %s: %v", t.Cert, errors.Unwrap(err))
		return t
	} else if !st.Mode().IsRegular() {
		d.errorf(cn, "admin.tls.cert", "point it at a PEM file", "certificate %s is %s, not a regular file", t.Cert, fileType(st.Mode()))
		return t
	}
	if _, err := tls.LoadX509KeyPair(t.Cert, t.Key); err != nil {
		d.errorf(tn, "admin.tls", "cert: and key: must be PEM files of one certificate and its key", "loading certificate %s and key %s: %v", t.Cert, t.Key, err)
	}
	return t
}

// fileError reports err, from ReadTokenFile or CheckSecretFile, at n.
func (d *decoder) fileError(n *yaml.Node, field string, err error) {
	var fe *FileError
	if errors.As(err, &fe) {
		d.errorf(n, field, fe.Hint, "%s", fe.Msg)
		return
	}
	d.errorf(n, field, "", "%v", err)
}

// exposureWarning describes what an admin listener beyond loopback exposes.
func exposureWarning(a *Admin) string {
	host, _, _ := net.SplitHostPort(a.Listen)
	var b strings.Builder
	fmt.Fprintf(&b, "%q is not a loopback address", a.Listen)
	switch host {
	case "", "0.0.0.0":
		b.WriteString(" (it listens on every IPv4 and every IPv6 address: Go binds 0.0.0.0 and an empty host as [::], dual-stack)")
	case "::":
		b.WriteString(" (it listens on every IPv6 and every IPv4 address)")
	}
	b.WriteString(": whoever reaches it can read /metrics, /healthz and /status")
	if a.TokenFile == "" {
		b.WriteString("; POST /reload is refused on it until admin.token_file is set")
	} else {
		b.WriteString("; POST /reload needs the token of admin.token_file")
	}
	if a.TLS == nil {
		b.WriteString("; without admin.tls all of it, the token included, crosses the network unencrypted")
	}
	return b.String()
}

// LoopbackListen reports whether the admin address listen (host:port)
// binds loopback addresses only: its host is "localhost" or an IP address
// in 127.0.0.0/8 or ::1. A wildcard host ("", 0.0.0.0, ::), any other
// address and any other host name are beyond loopback.
func LoopbackListen(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseAdminHost parses an admin.hosts entry: a host name or IP address,
// optionally with ":port" (IPv6 with a port in brackets). It returns the
// host in lower case without brackets, and the port or "".
func ParseAdminHost(s string) (host, port string, ok bool) {
	if ip := net.ParseIP(s); ip != nil {
		return ip.String(), "", true
	}
	host = s
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || strings.HasPrefix(p, "+") {
			return "", "", false
		}
		host, port = h, strconv.Itoa(n)
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), port, true
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if !dnsName(host) {
		return "", "", false
	}
	return host, port, true
}

// dnsName reports whether h is a DNS host name: dot-separated labels of
// 1-63 letters, digits and '-', not starting or ending with '-'.
func dnsName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// FileError is a refused secret file: what is wrong and how to fix it.
type FileError struct {
	Msg, Hint string
}

func (e *FileError) Error() string {
	if e.Hint == "" {
		return e.Msg
	}
	return e.Msg + " (hint: " + e.Hint + ")"
}

// CheckSecretFile checks that path, a file holding a secret (what names it
// in messages, e.g. "token file"), is a regular file that neither group nor
// others may access: the same check as ReadSecretFile's. The error is a
// *FileError naming the file.
func CheckSecretFile(path, what string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &FileError{Msg: fmt.Sprintf("%s %s does not exist", what, path), Hint: "create it (mode 0600) or fix the path"}
	case errors.Is(err, fs.ErrPermission):
		return &FileError{Msg: fmt.Sprintf("%s %s cannot be read: permission denied", what, path), Hint: "run as the user that owns it"}
	case err != nil:
		return &FileError{Msg: fmt.Sprintf("%s %s: %v", what, path, err)}
	}
	return asFileError(checkHostFile("", what, path, st, 1<<30, true))
}

// asFileError turns a *HostError into a *FileError (no field).
func asFileError(err error) error {
	var he *HostError
	if errors.As(err, &he) {
		return &FileError{Msg: he.Msg, Hint: he.Hint}
	}
	return err
}

// ReadTokenFile reads the admin token from path: a regular file that
// neither group nor others may access, holding one token of at least
// MinTokenLen printable ASCII characters without white space (surrounding white
// space and a final newline are ignored). The error is a *FileError naming
// the file.
func ReadTokenFile(path string) ([]byte, error) {
	if err := CheckSecretFile(path, "token file"); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{Msg: fmt.Sprintf("token file %s: %v", path, err)}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return nil, &FileError{Msg: fmt.Sprintf("token file %s: %v", path, err)}
	}
	if len(b) > maxTokenFile {
		return nil, &FileError{Msg: fmt.Sprintf("token file %s is longer than %d bytes", path, maxTokenFile), Hint: "it holds one token, e.g. written by: openssl rand -hex 32"}
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return nil, &FileError{Msg: fmt.Sprintf("token file %s is empty", path), Hint: "write a random token into it: openssl rand -hex 32 > " + path}
	}
	for _, r := range tok {
		if r <= ' ' || r > '~' {
			return nil, &FileError{Msg: fmt.Sprintf("token file %s holds white space, control or non-ASCII characters inside the token", path), Hint: "one token of printable ASCII on one line, e.g. written by: openssl rand -hex 32"}
		}
	}
	if len(tok) < MinTokenLen {
		return nil, &FileError{Msg: fmt.Sprintf("token in %s is %d characters; at least %d are needed", path, len(tok), MinTokenLen), Hint: "write a random token into it: openssl rand -hex 32 > " + path}
	}
	return []byte(tok), nil
}
