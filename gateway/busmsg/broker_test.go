package busmsg

import (
	"os"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	for _, c := range []struct {
		s        string
		needPort bool
		err      string // "" for none, else a part of the message
	}{
		{"nats://a:4222", false, ""},
		{"tls://a:4222/", false, ""},
		{"nats://a", false, ""},
		{"nats://a", true, "want scheme://host:port"},
		{"nats://a:4222/x", false, "want scheme://host:port"},
		{"http://a:80", false, `URL "http://a:80": scheme must be nats or tls`},
		{"a:4222", false, "scheme must be"},
		{"nats://a b", false, `invalid URL "nats://a b"`},
		{"tcp://a:1883", true, ""},
	} {
		err := CheckURL(c.s, c.needPort, "nats", "tls", "tcp")
		if c.s == "http://a:80" {
			err = CheckURL(c.s, c.needPort, "nats", "tls")
		}
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.s, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want one with %q", c.s, err, c.err)
		}
	}
	if err := CheckURL("x://a:1", true, "tcp", "mqtt", "ssl"); err == nil || !strings.Contains(err.Error(), "scheme must be tcp, mqtt or ssl") {
		t.Errorf("scheme list: %v", err)
	}
	if err := CheckURL("x://a:1", true, "tcp"); err == nil || !strings.HasSuffix(err.Error(), "scheme must be tcp") {
		t.Errorf("one scheme: %v", err)
	}
}

func TestHostToken(t *testing.T) {
	got := HostToken()
	if CheckToken(got) != nil {
		t.Fatalf("HostToken %q is not a token", got)
	}
	h, err := os.Hostname()
	if err != nil {
		return
	}
	want, _, _ := strings.Cut(h, ".")
	if CheckToken(want) != nil {
		want = "fieldgate"
	}
	if got != want {
		t.Fatalf("HostToken %q, want %q (host name %q)", got, want, h)
	}
}
