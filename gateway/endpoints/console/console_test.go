package console

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/frame"

	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
)

func parse(t *testing.T, ep string) (*config.Config, error) {
	t.Helper()
	return config.Parse("c.yaml", []byte("endpoints:\n  web: "+ep+"\n  out: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [web], to: [out]}\n"))
}

func TestConfig(t *testing.T) {
	c, err := parse(t, "{kind: console}")
	if err != nil {
		t.Fatal(err)
	}
	s := c.Endpoints[0].Settings.(*Config)
	if s.Backlog != 64 || !s.Traits().Trust.Untrusted() || s.Traits().Writes() {
		t.Errorf("settings %+v traits %+v", s, s.Traits())
	}
	for ep, want := range map[string]string{
		"{kind: console, backlog: 0}":    "backlog",
		"{kind: console, backlog: 5000}": "backlog",
		"{kind: console, peer: x}":       "peer",
	} {
		if _, err := parse(t, ep); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "c.yaml:") {
			t.Errorf("%s: %v, want an error naming %s at c.yaml", ep, err, want)
		}
	}
}

func TestSendReceive(t *testing.T) {
	cfg := &config.Endpoint{Name: "web-test", Kind: "console", Settings: &Config{Backlog: 2}}
	tr, err := open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(context.Background(), cfg, nil); err == nil {
		t.Error("a second console endpoint of the same name opened")
	}
	f := Frame{ID: 0x123, Len: 2, Data: [64]byte{1, 2}}
	if err := Send("web-test", &f); err != nil {
		t.Fatal(err)
	}
	f.ID, f.FD, f.Flags, f.Len = frame.CANEFFFlag|0x1ABCDE, true, frame.CANFDBRS, 12
	if err := Send("web-test", &f); err != nil {
		t.Fatal(err)
	}
	if err := Send("web-test", &f); !errors.Is(err, ErrBusy) {
		t.Errorf("third send into a backlog of 2: %v", err)
	}
	if err := Send("nobody", &f); !errors.Is(err, ErrNotRunning) {
		t.Errorf("send to no endpoint: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make(chan []string, 1)
	go tr.Receive(ctx, func(fs []frame.Frame) {
		var s []string
		for i := range fs {
			s = append(s, fs[i].String())
		}
		got <- s
	})
	select {
	case s := <-got:
		if strings.Join(s, " ") != "123#0102 001ABCDE##1010200000000000000000000" {
			t.Errorf("delivered %q", s)
		}
	case <-ctx.Done():
		t.Fatal("nothing delivered")
	}
	if _, err := tr.Send(ctx, make([]frame.Frame, 1)); err == nil {
		t.Error("a console endpoint took frames to send")
	}
	tr.Close()
	if err := Send("web-test", &f); !errors.Is(err, ErrNotRunning) {
		t.Errorf("send after close: %v", err)
	}
	if tr2, err := open(context.Background(), cfg, nil); err != nil {
		t.Errorf("reopening after close: %v", err)
	} else {
		tr2.Close()
	}
}
