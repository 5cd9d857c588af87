package endpoint

import (
	"fmt"
	"net"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// MissingInterfaceError is the error of Open for an endpoint that could
// not open because the interface it is on does not exist (a vcan not yet
// created, an adapter unplugged). Err is the kind's own error.
type MissingInterfaceError struct {
	Endpoint  string
	Kind      string
	Pos       config.Pos
	Interface string
	Err       error
}

func (e *MissingInterfaceError) Error() string {
	return fmt.Sprintf("endpoint %s (%s, %v): interface %s does not exist (create it or plug the adapter in; \"ip link show\" lists the interfaces)",
		e.Endpoint, e.Kind, e.Pos, e.Interface)
}

// Unwrap returns the kind's error.
func (e *MissingInterfaceError) Unwrap() error { return e.Err }

// interfaceMissing reports whether this host has no interface called
// name. It says false when the interfaces cannot be listed.
func interfaceMissing(name string) bool {
	ifs, err := net.Interfaces()
	if err != nil {
		return false
	}
	for _, i := range ifs {
		if i.Name == name {
			return false
		}
	}
	return true
}
