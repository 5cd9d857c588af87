package slcan_test

import (
	"strings"
	"testing"

	bt "github.com/fieldgate/fieldgate/bluetooth"
	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/slcan"
)

// TestDecodeRFCOMM: transport: rfcomm reads the rfcomm kind's address
// fields with its checks; a server binds its adapter and channel as the
// rfcomm kind does; the roles keep their trust.
func TestDecodeRFCOMM(t *testing.T) {
	c, err := parse(`{kind: slcan, role: host, transport: rfcomm, address: "00:1A:7D:DA:71:13", channel: 3, local: "00:AA:BB:CC:DD:EE", security: high, bitrate: 500000}`)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Endpoint("a").Settings.(*slcan.Config)
	l := got.RFCOMM.Config()
	if got.Transport != slcan.TransportRFCOMM || got.Mode != config.Client || got.Bitrate != 500000 ||
		l.Address.String() != "00:1A:7D:DA:71:13" || l.Local.String() != "00:AA:BB:CC:DD:EE" || l.Channel != 3 ||
		l.Security != bt.SecurityHigh || l.Peers != nil {
		t.Errorf("rfcomm client %+v, link %+v", got, l)
	}
	if tr := got.Traits(); tr != (config.Traits{Carries: config.CarriesCAN, Trust: config.TrustBus}) {
		t.Errorf("host traits %+v", tr)
	}
	if b := got.Binds(); len(b) != 0 {
		t.Errorf("a client binds %v", b)
	}
	if d := got.RFCOMM.Describe(); d != "rfcomm client 00:1A:7D:DA:71:13 channel 3" {
		t.Errorf("describe %q", d)
	}

	c, err = parse(`{kind: slcan, role: device, transport: rfcomm, mode: server, channel: 30, peers: ["00:1A:7D:DA:71:13", "11:22:33:44:55:66"], fd: true}`)
	if err != nil {
		t.Fatal(err)
	}
	got = c.Endpoint("a").Settings.(*slcan.Config)
	l = got.RFCOMM.Config()
	if got.Mode != config.Server || l.Address != core.BDAddrAny || l.Channel != 30 || l.Security != bt.SecurityLow || len(l.Peers) != 2 || l.Peers[1].String() != "11:22:33:44:55:66" {
		t.Errorf("rfcomm server %+v, link %+v", got, l)
	}
	if tr := got.Traits(); tr != (config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Trust: config.TrustRemote}) {
		t.Errorf("device traits %+v", tr)
	}
	if b := got.Binds(); len(b) != 1 || b[0].String() != "rfcomm 00:00:00:00:00:00 channel=30" {
		t.Errorf("binds %v", b)
	}

	// A host server naming its adapter in peers is a trusted bus.
	if _, err := parse(`{kind: slcan, role: host, transport: rfcomm, mode: server, channel: 2, peers: ["00:1A:7D:DA:71:13"]}`); err != nil {
		t.Error(err)
	}
}

// TestRFCOMMServerBindConflict: check refuses an slcan rfcomm server and
// an rfcomm kind server on one adapter and channel.
func TestRFCOMMServerBindConflict(t *testing.T) {
	_, err := config.Parse("s.yaml", []byte(`admin: {listen: ""}
endpoints:
  a: {kind: slcan, role: device, transport: rfcomm, mode: server, channel: 4}
  b: {kind: rfcomm, channel: 4}
routes:
  - {name: r, from: [a], to: [b]}
`))
	if err == nil || !strings.Contains(err.Error(), "channel=4") {
		t.Errorf("got %v, want a conflict on channel 4", err)
	}
}

func TestDecodeRFCOMMErrors(t *testing.T) {
	for _, tc := range []struct{ ep, want string }{
		{`{kind: slcan, role: host, transport: rfcomm, channel: 1}`, "endpoints.a.address: missing field"},
		{`{kind: slcan, role: host, transport: rfcomm, address: "00:1A:7D:DA:71:13"}`, "endpoints.a.channel: missing field"},
		{`{kind: slcan, role: host, transport: rfcomm, address: "00:1A:7D:DA:71:13", channel: 31}`, "endpoints.a.channel"},
		{`{kind: slcan, role: host, transport: rfcomm, address: "00:00:00:00:00:00", channel: 1}`, "a client needs a device address"},
		{`{kind: slcan, role: host, transport: rfcomm, address: "00:1A:7D:DA:71", channel: 1}`, `invalid device address "00:1A:7D:DA:71"`},
		{`{kind: slcan, role: host, transport: rfcomm, address: "00:1A:7D:DA:71:13", channel: 1, security: fips}`, "endpoints.a.security"},
		{`{kind: slcan, role: host, transport: rfcomm, address: "00:1A:7D:DA:71:13", channel: 1, peers: ["00:1A:7D:DA:71:13"]}`, "peers applies to a server only"},
		{`{kind: slcan, role: device, transport: rfcomm, mode: server, channel: 1, local: "00:1A:7D:DA:71:13"}`, "local applies to a client only"},
		{`{kind: slcan, role: device, transport: rfcomm, mode: server, channel: 1, peers: [nope]}`, `endpoints.a.peers: invalid device address "nope"`},
		{`{kind: slcan, role: host, transport: rfcomm, mode: server, channel: 1}`, "endpoints.a.peers: role: host over an rfcomm server needs peers"},
		{`{kind: slcan, role: device, transport: rfcomm, mode: server, channel: 1, listen: ":1"}`, "listen applies to transport: tcp only"},
		{`{kind: slcan, role: device, transport: tcp, mode: server, listen: ":1", channel: 1}`, "channel applies to transport: rfcomm only"},
		{`{kind: slcan, role: device, transport: pty, mode: server}`, "mode applies to transport: tcp or rfcomm only"},
		{`{kind: slcan, role: device, transport: pty, security: high}`, "security applies to transport: rfcomm only"},
		{`{kind: slcan, role: device, transport: bluetooth}`, "endpoints.a.transport"},
	} {
		_, err := parse(tc.ep)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.ep, err, tc.want)
		}
	}
}
