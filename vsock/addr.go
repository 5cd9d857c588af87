package vsock

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mdlayher/vsock"
)

// Addr is a VM sockets address: a context ID and a port. It is
// github.com/mdlayher/vsock's Addr, so *Addr values are interchangeable with
// that package's; its String form is "host(2):1234", which ParseAddr reads.
type Addr = vsock.Addr

// Well-known context IDs (VMADDR_CID_*) and the wildcard port.
const (
	// CIDHypervisor is the hypervisor process itself (VMADDR_CID_HYPERVISOR).
	CIDHypervisor uint32 = vsock.Hypervisor
	// CIDLocal is this machine, over vsock_loopback (VMADDR_CID_LOCAL).
	CIDLocal uint32 = vsock.Local
	// CIDHost is the host, as seen from a guest (VMADDR_CID_HOST).
	CIDHost uint32 = vsock.Host
	// CIDAny binds a listener to every CID of this machine (VMADDR_CID_ANY).
	CIDAny uint32 = 0xffffffff
	// PortAny lets the kernel pick a listener's port (VMADDR_PORT_ANY).
	PortAny uint32 = 0xffffffff
)

// ParseError is a string ParseAddr refused; Field is "address", "CID" or
// "port".
type ParseError struct {
	Input string // the whole string given to ParseAddr
	Field string // which part is wrong
	Value string // that part
	Msg   string // what was wrong with it
}

// Error returns `vsock: address "INPUT": FIELD "VALUE": MSG`.
func (e *ParseError) Error() string {
	if e.Field == "address" {
		return fmt.Sprintf("vsock: address %q: %s", e.Input, e.Msg)
	}
	return fmt.Sprintf("vsock: address %q: %s %q: %s", e.Input, e.Field, e.Value, e.Msg)
}

var cidNames = map[string]uint32{
	"hypervisor": CIDHypervisor,
	"local":      CIDLocal,
	"host":       CIDHost,
	"any":        CIDAny,
}

// ParseAddr parses "vsock:CID:PORT" (socat's VSOCK form, also what
// core.VSockAddr prints) or "CID:PORT". CID is a decimal number below 2^32
// or one of host, local, any and hypervisor; *Addr's own String form
// ("host(2)", "local(1)", "hypervisor(0)", "vm(N)") is read too, so
// ParseAddr(a.String()) gives a back. PORT is a decimal number below 2^32
// or "any" (PortAny).
func ParseAddr(s string) (*Addr, error) {
	rest := strings.TrimPrefix(s, "vsock:")
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return nil, &ParseError{Input: s, Field: "address", Msg: `want "vsock:CID:PORT" or "CID:PORT"`}
	}
	cs, ps := rest[:i], rest[i+1:]
	cid, err := parseCID(s, cs)
	if err != nil {
		return nil, err
	}
	port, err := parsePort(s, ps)
	if err != nil {
		return nil, err
	}
	return &Addr{ContextID: cid, Port: port}, nil
}

func parseCID(in, cs string) (uint32, error) {
	const want = "want a number below 2^32 or host, local, any, hypervisor"
	if v, ok := cidNames[cs]; ok {
		return v, nil
	}
	// *Addr's String form: name(N).
	if j := strings.IndexByte(cs, '('); j > 0 && strings.HasSuffix(cs, ")") {
		name, num := cs[:j], cs[j+1:len(cs)-1]
		n, err := parseUint32(num)
		if err != nil {
			return 0, &ParseError{Input: in, Field: "CID", Value: cs, Msg: "number in parentheses: " + err.Error()}
		}
		switch {
		case name == "vm" && n > CIDHost, name == "hypervisor" && n == CIDHypervisor,
			name == "local" && n == CIDLocal, name == "host" && n == CIDHost:
			return n, nil
		}
		return 0, &ParseError{Input: in, Field: "CID", Value: cs, Msg: "name and number disagree"}
	}
	n, err := parseUint32(cs)
	if err != nil {
		return 0, &ParseError{Input: in, Field: "CID", Value: cs, Msg: err.Error() + "; " + want}
	}
	return n, nil
}

func parsePort(in, ps string) (uint32, error) {
	if ps == "any" {
		return PortAny, nil
	}
	n, err := parseUint32(ps)
	if err != nil {
		return 0, &ParseError{Input: in, Field: "port", Value: ps, Msg: err.Error() + `; want a number below 2^32 or "any"`}
	}
	return n, nil
}

// parseUint32 accepts plain decimal digits only (no sign, no base prefix,
// no spaces), so every number has one spelling.
func parseUint32(s string) (uint32, error) {
	if s == "" {
		return 0, fmt.Errorf("empty")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a decimal number")
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("leading zero")
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("out of range (0 to 4294967295)")
	}
	return uint32(n), nil
}
