package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"syscall"
)

// fileError says why a configuration file could not be read, without
// Go's operation names ("config: open ...").
func fileError(file string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("configuration file %s does not exist (name another with -c FILE)", file)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("configuration file %s: permission denied (run as a user that can read it)", file)
	case errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("configuration file %s is a directory (name a file with -c FILE)", file)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("configuration file %s: %w", file, pe.Err)
	}
	return err
}

// adminError says why the admin port at base could not be reached, in
// words: which address, what happened, what to check. The cause stays
// wrapped.
func adminError(base string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return &wrapped{fmt.Sprintf("no gateway answers at %s (connection refused): is \"fieldgate run\" running, and is its admin.listen this address?", base), err}
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return &wrapped{fmt.Sprintf("the gateway at %s did not answer in time", base), err}
	case errors.As(err, &dns):
		return &wrapped{fmt.Sprintf("cannot resolve the admin host %s: %s", dns.Name, dns.Err), err}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return &wrapped{fmt.Sprintf("the gateway at %s closed the connection (an https admin port reached over http? use -a https://HOST:PORT)", base), err}
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return &wrapped{fmt.Sprintf("contacting the gateway at %s: %v", base, oe.Err), err}
	}
	return &wrapped{fmt.Sprintf("contacting the gateway at %s: %v", base, err), err}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// wrapped is an error with its own message that still unwraps to its
// cause.
type wrapped struct {
	msg string
	err error
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.err }

// listenError says why the address of field (admin.listen) could not be
// bound, in words, for the errors a person can fix; others as they are.
func listenError(file, field, addr string, err error) error {
	var why string
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		why = "the address is in use (another gateway running? choose a free port)"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		why = "no interface of this host has that address"
	case errors.Is(err, syscall.EACCES):
		why = "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)"
	default:
		return err
	}
	return &wrapped{fmt.Sprintf("%s: %s %s: %s", file, field, addr, why), err}
}
