package bluetooth_test

import (
	"testing"

	bt "github.com/fieldgate/fieldgate/bluetooth"
	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/bluetooth"
)

// FuzzDecode decodes arbitrary rfcomm and l2cap endpoint mappings: no
// panic, every error has a position, and settings that decode without
// error are what the kernel accepts (a channel of 1–30, a valid dynamic
// PSM, an MTU of 48–32768, a security level the socket takes, a client
// with a device address and no peers list, a server without local).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{kind: rfcomm, channel: 5}`,
		`{kind: rfcomm, mode: client, address: "00:11:22:33:44:55", local: "00:1a:7d:da:71:13", channel: 30, security: high}`,
		`{kind: l2cap, address: "00:11:22:33:44:55", psm: 0x1001, mtu: 4096, security: fips, peers: ["AA:BB:CC:DD:EE:FF"]}`,
		`{kind: l2cap, mode: client, address: "00:00:00:00:00:00", psm: 0x1101, peers: [x]}`,
		`{kind: rfcomm, channel: 0, security: fips, local: "00:11:22:33:44:55"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ep string) {
		c, err := config.Parse("f.yaml", []byte("admin: {listen: \"\"}\nendpoints:\n  rec: {kind: log, path: /tmp/f.log}\n  a: "+ep+"\nroutes:\n  - {name: r, from: [a], to: [rec]}\n"))
		if err != nil {
			if es, ok := err.(config.Errors); ok {
				for _, e := range es {
					if e.Pos.File != "f.yaml" || e.Msg == "" {
						t.Fatalf("error without position or message: %#v", e)
					}
				}
			}
			return
		}
		s, ok := c.Endpoint("a").Settings.(*bluetooth.Config)
		if !ok {
			return // another kind
		}
		switch {
		case s.Proto == bluetooth.RFCOMM && (s.Channel < 1 || s.Channel > 30 || s.PSM != 0 || s.MTU != 0):
			t.Fatalf("rfcomm: %+v", s)
		case s.Proto == bluetooth.RFCOMM && s.Security > bt.SecurityHigh:
			t.Fatalf("rfcomm security the kernel refuses: %+v", s)
		case s.Proto == bluetooth.L2CAP && (s.PSM < 0x1001 || s.PSM&0x0101 != 0x0001 || s.MTU < 48 || s.MTU > 32768 || s.Channel != 0):
			t.Fatalf("l2cap: %+v", s)
		case s.Security < bt.SecurityLow || s.Security > bt.SecurityFIPS:
			t.Fatalf("security: %+v", s)
		case s.Role == config.Client && (s.Address == core.BDAddrAny || s.Peers != nil || s.Binds() != nil):
			t.Fatalf("client: %+v", s)
		case s.Role == config.Server && (s.Local != core.BDAddrAny || len(s.Binds()) != 1):
			t.Fatalf("server: %+v", s)
		}
		for _, p := range s.Peers {
			if p == core.BDAddrAny {
				t.Fatalf("peers with 00:00:00:00:00:00: %+v", s)
			}
		}
	})
}
