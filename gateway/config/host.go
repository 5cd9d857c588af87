package config

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"gopkg.in/yaml.v3"
)

// A HostChecker is Settings whose endpoint needs something of the host it
// runs on: a file to read (a key), a directory to write (a log), an
// interface. Config.CheckHost asks every endpoint that is one, so that
// `check` refuses what `run` would refuse, with the same words, before
// anything is opened. The checks must be the ones the kind makes when it
// opens the endpoint: one function for both.
type HostChecker interface {
	CheckHost(h *Host)
}

// A HostError says that the host lacks what a field of an endpoint names.
// Field is relative to the endpoint (e.g. auth.key_file); Config.CheckHost
// reports it at that field's position, and when an endpoint's kind returns
// it from opening the endpoint, the same text appears in run's error.
type HostError struct {
	Field string
	Msg   string
	Hint  string
}

func (e *HostError) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (hint: ")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Host is what an endpoint's CheckHost reports its findings to.
type Host struct {
	e     *Endpoint
	errs  Errors
	warns []*Error
	cache *hostCache
}

// hostCache holds what is asked of the host once for all endpoints.
type hostCache struct {
	ifaces map[string]bool // nil until the first Interface call
	ifErr  error
	dirs   map[string]error // directory → result of the writability check
}

// CheckHost checks what the endpoints need of this host (see HostChecker).
// It returns the errors found, of type Errors, or nil; warnings (such as
// a CAN interface that is not there yet: interfaces can appear later) are
// appended to c.Warnings. Endpoints without settings are skipped.
func (c *Config) CheckHost() error {
	cache := &hostCache{dirs: map[string]error{}}
	var errs Errors
	for _, e := range c.Endpoints {
		hc, ok := e.Settings.(HostChecker)
		if !ok {
			continue
		}
		h := &Host{e: e, cache: cache}
		hc.CheckHost(h)
		errs = append(errs, h.errs...)
		c.Warnings = append(c.Warnings, h.warns...)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Queue returns the endpoint's queue settings, its kind's defaults
// applied.
func (h *Host) Queue() Queue { return h.e.Queue }

// finding builds the Error for field of the endpoint (its position is the
// field's value in the file, or the endpoint's name).
func (h *Host) finding(field, hint, msg string) *Error {
	path := "endpoints." + h.e.Name
	if field != "" {
		path += "." + field
	}
	return &Error{Pos: h.fieldPos(field), Field: path, Msg: msg, Hint: hint}
}

// Errorf reports that the endpoint cannot run on this host because of field
// (relative to the endpoint, e.g. auth.key_file; "" for the endpoint).
func (h *Host) Errorf(field, hint, format string, args ...any) {
	h.errs = append(h.errs, h.finding(field, hint, fmt.Sprintf(format, args...)))
}

// Warnf reports something about field that does not stop the endpoint.
func (h *Host) Warnf(field, hint, format string, args ...any) {
	h.warns = append(h.warns, h.finding(field, hint, fmt.Sprintf(format, args...)))
}

// Report reports err: a *HostError at its field, any other error at the
// endpoint. A nil err reports nothing.
func (h *Host) Report(err error) {
	if err == nil {
		return
	}
	var he *HostError
	if errors.As(err, &he) {
		h.errs = append(h.errs, h.finding(he.Field, he.Hint, he.Msg))
		return
	}
	h.Errorf("", "", "%v", err)
}

// Interface warns when the network interface name (the value of field) is
// not present on this host. It is a warning, not an error: interfaces such
// as vcan or a USB adapter's can appear after the gateway starts.
func (h *Host) Interface(field, name string) {
	if name == "" {
		return
	}
	c := h.cache
	if c.ifaces == nil && c.ifErr == nil {
		ifs, err := net.Interfaces()
		c.ifaces, c.ifErr = make(map[string]bool, len(ifs)), err
		for _, i := range ifs {
			c.ifaces[i.Name] = true
		}
	}
	if c.ifErr != nil {
		h.Warnf(field, "", "cannot list this host's interfaces: %v", c.ifErr)
		return
	}
	if !c.ifaces[name] {
		h.Warnf(field, "it may appear later (an adapter plugged in, a vcan created); the endpoint cannot open until it does", "interface %q is not present on this host", name)
	}
}

// fieldPos returns the position of field's value in the endpoint's mapping
// (merge keys followed), or of the deepest part of it found, or the
// endpoint's position.
func (h *Host) fieldPos(field string) Pos {
	pos := h.e.Pos
	n := h.e.node
	if n == nil || field == "" {
		return pos
	}
	d := &decoder{file: pos.File, mergeBudget: defaultMergeBudget}
	for _, part := range strings.Split(field, ".") {
		n = resolve(n)
		if n == nil || n.Kind != yaml.MappingNode {
			break
		}
		var next *yaml.Node
		for _, p := range d.pairs(n, "") {
			if p.k.Value == part {
				next = p.v
				break
			}
		}
		if next == nil {
			break
		}
		n = next
		pos = d.pos(n)
	}
	return pos
}
