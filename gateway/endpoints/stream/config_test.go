package stream_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
)

// testConfig is the settings of a stream kind registered only by this
// test, as a kind outside this package (tipc, rfcomm) would be: the common
// settings embedded, one field of its own, a transport that refuses to open.
type testConfig struct {
	stream.Config
	Addr string
}

func (c *testConfig) Transport() stream.Transport { return refusing{} }

type refusing struct{}

var errRefused = errors.New("test-stream endpoints are not supported here")

func (refusing) Check() error { return errRefused }
func (refusing) Listen(context.Context) (net.Listener, error) {
	panic("Listen called despite Check")
}
func (refusing) Dial(context.Context) (net.Conn, error) { panic("Dial called despite Check") }

func init() {
	stream.Register(stream.Kind{
		Name:   "test-stream",
		Doc:    "a stream kind of this test",
		Fields: []config.Field{{Name: "addr", Doc: "address"}},
		Decode: func(o *config.Object, role config.Role) stream.Settings {
			return &testConfig{Addr: o.Str("addr", "")}
		},
		Check: func(o *config.Object, s stream.Settings) {
			if c := s.(*testConfig); c.PDUs && c.Role == config.Client {
				o.Errorf(o.Get("pdus"), o.Field("pdus"), "", "test: pdus on a client")
			}
		},
	})
}

func fieldNames(kind string) []string {
	k, _ := config.LookupKind(kind)
	var out []string
	for _, f := range k.Fields {
		out = append(out, f.Name)
	}
	return out
}

// TestRegister: Register adds the common fields around the kind's own, and
// allow_peers and tls only for IP transports.
func TestRegister(t *testing.T) {
	if got, want := fieldNames("test-stream"), []string{"mode", "addr", "max_clients", "max_clients_per_peer", "handshake_timeout", "reconnect", "pdus"}; !reflect.DeepEqual(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	k, ok := endpoint.Lookup("test-stream")
	if !ok || k.Reports != endpoint.ReportsPeers {
		t.Errorf("registered %v %+v", ok, k)
	}
}

// TestRegisterDecode decodes the common fields of a kind registered
// outside this package, runs its check, and opens it (Check refuses).
func TestRegisterDecode(t *testing.T) {
	c, err := config.Parse("s.yaml", []byte(`
admin: {listen: ""}
endpoints:
  a: {kind: test-stream, mode: client, addr: x, max_clients: 2, reconnect: {min: 1s, max: 2s}}
  rec: {kind: log, path: /tmp/s.log}
routes:
  - {name: r, from: [a], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Endpoint("a").Settings.(*testConfig)
	want := &testConfig{Config: stream.Config{Role: config.Client, MaxClients: 2, Reconnect: config.Backoff{Min: time.Second, Max: 2 * time.Second}}, Addr: "x"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if tr := got.Traits(); tr != (config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Trust: config.TrustRemote}) {
		t.Errorf("traits %+v", tr)
	}
	got.PDUs = true
	if tr := got.Traits(); tr.Carries != config.CarriesCAN|config.CarriesCANFD|config.CarriesPDUs|config.CarriesEthernet {
		t.Errorf("traits with pdus %+v", tr)
	}
	env := &endpoint.Env{Name: "a", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := endpoint.Open(context.Background(), c.Endpoint("a"), env); !errors.Is(err, errRefused) {
		t.Errorf("open: %v, want %v", err, errRefused)
	}

	_, err = config.Parse("s.yaml", []byte(`
admin: {listen: ""}
endpoints:
  a: {kind: test-stream, mode: client, pdus: true, allow_peers: [1.2.3.4]}
  rec: {kind: log, path: /tmp/s.log}
routes:
  - {name: r, from: [a], to: [rec]}
`))
	for _, want := range []string{
		"s.yaml:4:46: endpoints.a.pdus: test: pdus on a client",
		`s.yaml:4:52: endpoints.a.allow_peers: unknown field "allow_peers"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nwant %s", err, want)
		}
	}
}
