package vsock

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAddr(t *testing.T) {
	for _, tt := range []struct {
		in        string
		cid, port uint32
	}{
		{"vsock:2:1234", 2, 1234},
		{"3:5000", 3, 5000},
		{"host:22", CIDHost, 22},
		{"vsock:local:1", CIDLocal, 1},
		{"any:any", CIDAny, PortAny},
		{"hypervisor:0", CIDHypervisor, 0},
		{"4294967295:4294967295", CIDAny, PortAny},
		{"host(2):80", 2, 80},
		{"vm(42):7", 42, 7},
		{"local(1):9", 1, 9},
		{"hypervisor(0):9", 0, 9},
	} {
		a, err := ParseAddr(tt.in)
		if err != nil || a.ContextID != tt.cid || a.Port != tt.port {
			t.Errorf("ParseAddr(%q) = %v, %v; want CID %d port %d", tt.in, a, err, tt.cid, tt.port)
		}
	}
}

func TestParseAddrErrors(t *testing.T) {
	for _, tt := range []struct{ in, field string }{
		{"", "address"},
		{"vsock:2", "address"},
		{"12345", "address"},
		{"foo:1", "CID"},
		{":1", "CID"},
		{"4294967296:1", "CID"},
		{"-1:1", "CID"},
		{"+2:1", "CID"},
		{"02:1", "CID"},
		{"vm(2):1", "CID"},
		{"host(3):1", "CID"},
		{"vm(x):1", "CID"},
		{"2:", "port"},
		{"2:4294967296", "port"},
		{"2:http", "port"},
		{"2: 80", "port"},
		{"vsock:vsock:2:1", "CID"},
	} {
		_, err := ParseAddr(tt.in)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Field != tt.field || pe.Input != tt.in {
			t.Errorf("ParseAddr(%q) error %v (%+v); want a *ParseError for field %s", tt.in, err, pe, tt.field)
			continue
		}
		if !strings.Contains(err.Error(), tt.field) || !strings.HasPrefix(err.Error(), "vsock: ") {
			t.Errorf("ParseAddr(%q) error %q does not name %s", tt.in, err, tt.field)
		}
	}
}

func TestParseAddrRoundTrip(t *testing.T) {
	for _, a := range []Addr{{ContextID: 0, Port: 1}, {ContextID: 1, Port: 2}, {ContextID: 2, Port: 3}, {ContextID: 3, Port: 4}, {ContextID: CIDAny, Port: PortAny}, {ContextID: 12345, Port: 0}} {
		b, err := ParseAddr(a.String())
		if err != nil || *b != a {
			t.Errorf("ParseAddr(%q) = %v, %v; want %v", a.String(), b, err, a)
		}
	}
}
