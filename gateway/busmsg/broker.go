package busmsg

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
)

// What the broker endpoint kinds (nats, mqtt) check in their settings the
// same way: the default gateway token and the broker URL's shape.

// HostToken returns the host name up to its first dot if it is a subject
// token and a topic level (CheckToken), else "fieldgate": the default
// <gateway> token.
func HostToken() string {
	h, err := os.Hostname()
	if err != nil {
		return "fieldgate"
	}
	h, _, _ = strings.Cut(h, ".")
	if CheckToken(h) != nil {
		return "fieldgate"
	}
	return h
}

// CheckURL reports whether s is a broker URL scheme://host:port with one
// of schemes, and nothing but "/" after the host; the port may be left
// out unless needPort.
func CheckURL(s string, needPort bool, schemes ...string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid URL %q", s)
	}
	if !slices.Contains(schemes, u.Scheme) {
		list := schemes[len(schemes)-1]
		if len(schemes) > 1 {
			list = strings.Join(schemes[:len(schemes)-1], ", ") + " or " + list
		}
		return fmt.Errorf("URL %q: scheme must be %s", s, list)
	}
	if u.Host == "" || needPort && u.Port() == "" || u.Path != "" && u.Path != "/" {
		return fmt.Errorf("URL %q: want scheme://host:port", s)
	}
	return nil
}
