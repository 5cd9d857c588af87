//go:build !linux

package slcan

import (
	"context"
	"errors"
)

var errNotLinux = errors.New("slcan serial devices and ptys are supported on Linux only (tcp works everywhere)")

func validBaud(int) bool { return true }
func baudList() string   { return "" }

type serialTransport struct{}

// SerialTransport returns the Transport of a serial device; off Linux its
// Connect fails.
func SerialTransport(path string, baud int) Transport { return serialTransport{} }

func (serialTransport) Connect(context.Context) (Conn, error) { return nil, errNotLinux }
func (serialTransport) Close() error                          { return nil }

// A PTY is a pseudo-terminal transport (Linux only).
type PTY struct{}

// NewPTY fails off Linux.
func NewPTY(link string) (*PTY, error) { return nil, errNotLinux }

// Slave returns "".
func (p *PTY) Slave() string { return "" }

// Link returns "".
func (p *PTY) Link() string { return "" }

// Connect fails.
func (p *PTY) Connect(context.Context) (Conn, error) { return nil, errNotLinux }

// Close does nothing.
func (p *PTY) Close() error { return nil }

func ptySupported() error { return errNotLinux }
