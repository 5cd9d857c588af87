package endpoint

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// onIface is the settings of the test kind: an endpoint on an interface.
type onIface string

func (s onIface) Traits() config.Traits { return config.Traits{Interface: string(s)} }

func init() {
	Register(Kind{
		Kind: config.Kind{Name: "test-on-iface", Doc: "test kind", Decode: func(*config.Object) config.Settings { return onIface("") }},
		Open: func(ctx context.Context, cfg *config.Endpoint, env *Env) (Transceiver, error) {
			// What net.InterfaceByName says: the Go internals a person
			// should not have to read.
			_, err := net.InterfaceByName(cfg.Settings.Traits().Interface)
			if err == nil {
				err = errors.New("refused")
			}
			return nil, err
		},
	})
}

func TestOpenMissingInterfaceIsTyped(t *testing.T) {
	cfg := &config.Endpoint{Name: "bench", Kind: "test-on-iface", Pos: config.Pos{File: "f.yaml", Line: 4, Column: 3}, Settings: onIface("fgnone9")}
	_, err := Open(context.Background(), cfg, &Env{})
	var me *MissingInterfaceError
	if !errors.As(err, &me) {
		t.Fatalf("Open: %v (%T), want a *MissingInterfaceError", err, err)
	}
	if me.Interface != "fgnone9" || me.Endpoint != "bench" || me.Err == nil {
		t.Fatalf("error fields %+v", me)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "endpoint bench (test-on-iface, f.yaml:4:3): interface fgnone9 does not exist") {
		t.Errorf("message %q", msg)
	}
	for _, internal := range []string{"route", "ip+net", "no such network interface"} {
		if strings.Contains(msg, internal) {
			t.Errorf("message %q shows Go's %q", msg, internal)
		}
	}

	// An interface that exists: the kind's own error, not "does not exist".
	ifs, _ := net.Interfaces()
	if len(ifs) == 0 {
		t.Skip("no interface on this host")
	}
	cfg.Settings = onIface(ifs[0].Name)
	_, err = Open(context.Background(), cfg, &Env{})
	if err == nil || errors.As(err, &me) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("existing interface: %v, want the kind's own error", err)
	}
}
