package slcan_test

import (
	"testing"

	bt "github.com/fieldgate/fieldgate/bluetooth"
	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/slcan"
)

// FuzzDecodeRFCOMM decodes arbitrary slcan endpoint mappings, seeded with
// transport: rfcomm ones: no panic, every error has a position and a
// message, and settings that decode without error are what the kernel
// and the trust rules take (a channel of 1–30, security at most high, a
// client with a device address and no peers, a server that binds its
// channel, a host server with peers; device is untrusted, host a bus).
func FuzzDecodeRFCOMM(f *testing.F) {
	for _, s := range []string{
		`{kind: slcan, role: host, transport: rfcomm, address: "00:1A:7D:DA:71:13", channel: 1, bitrate: 500000}`,
		`{kind: slcan, role: device, transport: rfcomm, mode: server, channel: 30, security: high, peers: ["AA:BB:CC:DD:EE:FF"], fd: true}`,
		`{kind: slcan, role: host, transport: rfcomm, mode: server, channel: 3, peers: []}`,
		`{kind: slcan, role: host, transport: rfcomm, address: "00:00:00:00:00:00", local: x, channel: 0, security: fips}`,
		`{kind: slcan, role: device, transport: tcp, mode: server, listen: ":1", channel: 2, peers: [x]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ep string) {
		c, err := parse(ep)
		if err != nil {
			if es, ok := err.(config.Errors); ok {
				for _, e := range es {
					if e.Pos.File != "s.yaml" || e.Msg == "" {
						t.Fatalf("error without position or message: %#v", e)
					}
				}
			}
			return
		}
		s, ok := c.Endpoint("a").Settings.(*slcan.Config)
		if !ok || s.Transport != slcan.TransportRFCOMM {
			if ok && s.RFCOMM != nil {
				t.Fatalf("transport %s with rfcomm settings", s.Transport)
			}
			return
		}
		l := s.RFCOMM.Config()
		tr := s.Traits()
		switch {
		case l.Channel < 1 || l.Channel > 30 || l.Security > bt.SecurityHigh || l.Security < bt.SecurityLow:
			t.Fatalf("rfcomm link the kernel refuses: %+v", l)
		case s.Mode == config.Client && (l.Address == core.BDAddrAny || l.Peers != nil || s.Binds() != nil):
			t.Fatalf("client: %+v", l)
		case s.Mode == config.Server && (l.Local != core.BDAddrAny || len(s.Binds()) != 1):
			t.Fatalf("server: %+v", l)
		case s.Mode == config.Server && s.Role == slcan.Host && len(l.Peers) == 0:
			t.Fatalf("a host server that trusts any device: %+v", l)
		case s.Role == slcan.Device && tr.Trust != config.TrustRemote, s.Role == slcan.Host && tr.Trust != config.TrustBus:
			t.Fatalf("role %s traits %+v", s.Role, tr)
		}
		for _, p := range l.Peers {
			if p == core.BDAddrAny {
				t.Fatalf("peers with 00:00:00:00:00:00: %+v", l)
			}
		}
	})
}
