package alg

import (
	"fmt"
	"sync"
)

// resolve decides which provider constructs name (AF_ALG type typ). hasGo
// says whether this package has a Go implementation of name.
func resolve(p Provider, typ, name string, hasGo bool, sizeHint int) (Choice, error) {
	if err := checkRefused(name); err != nil {
		return Choice{}, err
	}
	switch p {
	case ProviderGo:
		if !hasGo {
			return Choice{}, &Error{Op: "new", Alg: name, Provider: p, Err: fmt.Errorf("no Go implementation of %s algorithm %q", typ, name)}
		}
		return Choice{Provider: ProviderGo, Reason: "requested"}, nil
	case ProviderKernel:
		return Choice{Provider: ProviderKernel, Reason: "requested"}, nil
	case ProviderAuto, "":
	default:
		return Choice{}, &Error{Op: "new", Alg: name, Err: fmt.Errorf("unknown provider %q (want kernel, go or auto)", p)}
	}
	if err := kernelAvailable(); err != nil {
		if !hasGo {
			return Choice{}, &Error{Op: "new", Alg: name, Provider: ProviderAuto, Err: fmt.Errorf("no Go implementation and %w", err)}
		}
		return Choice{Provider: ProviderGo, Reason: "kernel unavailable: " + err.Error()}, nil
	}
	// Binding instantiates templates such as gcm(aes), which /proc/crypto
	// lists only once something has used them.
	if err := kernelProbe(typ, name); err != nil {
		if !hasGo {
			return Choice{}, err
		}
		return Choice{Provider: ProviderGo, Reason: "kernel cannot: " + err.Error()}, nil
	}
	var info *Algorithm
	if algs, err := ReadProcCrypto(); err == nil {
		info = Lookup(algs, name, typ)
	}
	return policy(name, info, hasGo, sizeHint), nil
}

// describer is embedded by every constructed value: it answers Provider and
// Driver, looking the kernel driver up in /proc/crypto on first use.
type describer struct {
	provider Provider
	name     string
	typ      string
	reason   string
	once     sync.Once
	driver   string
}

func (d *describer) init(c Choice, typ, name, goDriver string) {
	d.provider, d.name, d.typ, d.reason = c.Provider, name, typ, c.Reason
	if c.Provider == ProviderGo {
		d.driver = goDriver
		d.once.Do(func() {})
	} else if c.Driver != "" {
		d.driver = c.Driver
		d.once.Do(func() {})
	}
}

// Provider reports the provider that runs: ProviderKernel or ProviderGo.
func (d *describer) Provider() Provider { return d.provider }

// Reason says why the provider was chosen ("requested" unless auto chose).
func (d *describer) Reason() string { return d.reason }

// Driver names the implementation that runs: the kernel driver from
// /proc/crypto (empty if not listed) or the Go package.
func (d *describer) Driver() string {
	d.once.Do(func() {
		if algs, err := ReadProcCrypto(); err == nil {
			if a := Lookup(algs, d.name, d.typ); a != nil {
				d.driver = a.Driver
			}
		}
	})
	return d.driver
}
