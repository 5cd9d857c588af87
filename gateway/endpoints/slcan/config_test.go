package slcan_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
	"github.com/fieldgate/fieldgate/gateway/endpoints/slcan"
)

func parse(ep string) (*config.Config, error) {
	return config.Parse("s.yaml", []byte(`admin: {listen: ""}
endpoints:
  a: `+ep+`
  rec: {kind: log, path: /tmp/s.log}
routes:
  - {name: r, from: [a], to: [rec]}
`))
}

func TestDecode(t *testing.T) {
	c, err := parse(`{kind: slcan, role: host, transport: serial, device: /dev/ttyACM0, baud: 3000000, bitrate: 500000, timestamps: true, fd: true, status_interval: 250ms, reconnect: {min: 1s, max: 2s}}`)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Endpoint("a").Settings.(*slcan.Config)
	want := slcan.Config{Options: slcan.Options{Role: slcan.Host, Bitrate: 500000, Timestamps: true, FD: true,
		StatusInterval: 250 * time.Millisecond, CommandTimeout: slcan.DefaultCommandTimeout, ErrorFrames: true,
		Reconnect: config.Backoff{Min: time.Second, Max: 2 * time.Second}},
		Transport: "serial", Device: "/dev/ttyACM0", Baud: 3000000}
	if *got != want {
		t.Errorf("got %+v\nwant %+v", *got, want)
	}
	if tr := got.Traits(); tr != (config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Trust: config.TrustBus}) {
		t.Errorf("host traits %+v", tr)
	}
	if b := got.Binds(); len(b) != 1 || b[0].String() != "serial /dev/ttyACM0" {
		t.Errorf("binds %v", b)
	}

	c, err = parse(`{kind: slcan, role: host, transport: tcp, peer: "127.0.0.1:3333", btr: 031c, listen_only: true}`)
	if err != nil {
		t.Fatal(err)
	}
	got = c.Endpoint("a").Settings.(*slcan.Config)
	if got.BTR != "031c" || !got.ListenOnly || got.Mode != config.Client || got.Peer != "127.0.0.1:3333" {
		t.Errorf("tcp client %+v", got)
	}
	if tr := got.Traits(); tr.Direction != config.ReadOnly || tr.Trust != config.TrustBus || tr.Carries != config.CarriesCAN {
		t.Errorf("listen-only traits %+v", tr)
	}

	c, err = parse(`{kind: slcan, role: device, transport: pty, link: /tmp/x-slcan}`)
	if err != nil {
		t.Fatal(err)
	}
	got = c.Endpoint("a").Settings.(*slcan.Config)
	if tr := got.Traits(); tr != (config.Traits{Carries: config.CarriesCAN, Trust: config.TrustRemote}) {
		t.Errorf("device traits %+v", tr)
	}
	if b := got.Binds(); len(b) != 1 || b[0].String() != "file /tmp/x-slcan" {
		t.Errorf("binds %v", b)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ ep, want string }{
		{`{kind: slcan, transport: pty}`, "s.yaml:3:3: endpoints.a.role: missing field"},
		{`{kind: slcan, role: host}`, "s.yaml:3:3: endpoints.a.transport: missing field"},
		{`{kind: slcan, role: master, transport: pty}`, "endpoints.a.role"},
		{`{kind: slcan, role: host, transport: serial}`, "endpoints.a.device: missing field"},
		{`{kind: slcan, role: host, transport: serial, device: /dev/x, baud: 12345}`, "s.yaml:3:73: endpoints.a.baud: unsupported baud rate 12345"},
		{`{kind: slcan, role: host, transport: pty, bitrate: 33333}`, "endpoints.a.bitrate: no S command sets 33333 bit/s"},
		{`{kind: slcan, role: host, transport: pty, btr: 12}`, `endpoints.a.btr: invalid btr "12"`},
		{`{kind: slcan, role: host, transport: pty, btr: "0000", bitrate: 500000}`, "bitrate and btr both set"},
		{`{kind: slcan, role: device, transport: pty, bitrate: 500000}`, "endpoints.a.bitrate: bitrate applies to role: host only"},
		{`{kind: slcan, role: device, transport: pty, listen_only: true}`, "listen_only applies to role: host only"},
		{`{kind: slcan, role: host, transport: pty, device: /dev/x}`, "endpoints.a.device: device applies to transport: serial only"},
		{`{kind: slcan, role: host, transport: serial, device: /dev/x, link: /tmp/l}`, "link applies to transport: pty only"},
		{`{kind: slcan, role: host, transport: tcp}`, "endpoints.a.peer: missing field"},
		{`{kind: slcan, role: host, transport: tcp, mode: server}`, "endpoints.a.listen: missing field"},
		{`{kind: slcan, role: host, transport: tcp, mode: server, listen: ":1", peer: "a:1"}`, "peer applies to mode: client"},
		{`{kind: slcan, role: host, transport: pty, status_interval: 1ms}`, "status_interval 1ms too short"},
		{`{kind: slcan, role: host, transport: pty, speed: 1}`, `unknown field "speed"`},
	} {
		_, err := parse(tc.ep)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.ep, err, tc.want)
		}
	}
}
