package console

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// test-bus is a bus endpoint kind for these tests (TrustBus, so that the
// allow guard applies to frames from the console): it records what it is
// sent.
type testBusSettings struct{}

func (testBusSettings) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Trust: config.TrustBus}
}

type testBusConn struct{}

var testBus struct {
	mu  sync.Mutex
	got []frame.Frame
}

func (testBusConn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	<-ctx.Done()
	return ctx.Err()
}

func (testBusConn) Send(ctx context.Context, fs []frame.Frame) (int, error) {
	testBus.mu.Lock()
	defer testBus.mu.Unlock()
	for i := range fs {
		var f frame.Frame
		f.CopyFrom(&fs[i])
		testBus.got = append(testBus.got, f)
	}
	return len(fs), nil
}

func (testBusConn) Close() error { return nil }

func busFrames() []string {
	testBus.mu.Lock()
	defer testBus.mu.Unlock()
	var out []string
	for i := range testBus.got {
		out = append(out, testBus.got[i].String())
	}
	return out
}

func resetBus() {
	testBus.mu.Lock()
	testBus.got = nil
	testBus.mu.Unlock()
}

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{Name: "test-bus", Doc: "a bus that records frames (console tests)",
			Decode: func(o *config.Object) config.Settings { return testBusSettings{} }},
		Open: func(context.Context, *config.Endpoint, *endpoint.Env) (endpoint.Transceiver, error) {
			return testBusConn{}, nil
		},
	})
}

// sendRig is a rig with a console endpoint "web" routed to the test bus,
// allowing IDs 100–1FF only.
const sendRig = `  web: {kind: console}
  bus: {kind: test-bus}
routes:
  - {name: web-to-bus, from: [web], to: [bus], allow: ["100:700"]}
`

func post(t *testing.T, r *testRig, body string, hdr map[string]string) (int, string) {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json", "Origin": r.base}
	for k, v := range hdr {
		h[k] = v
	}
	req, _ := http.NewRequest("POST", r.base+pathSend, strings.NewReader(body))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := make([]byte, 512)
	n, _ := resp.Body.Read(b)
	return resp.StatusCode, string(b[:n])
}

func TestSendThroughRoutesAndAllow(t *testing.T) {
	resetBus()
	r := startRigWith(t, config.Admin{}, sendRig)
	for _, c := range []struct {
		body   string
		status int
		msg    string
	}{
		{`{"endpoint":"web","id":"123","data":"0102"}`, 202, "queued"},
		{`{"endpoint":"web","id":"7FF","data":"03"}`, 202, "queued"}, // accepted, then not allowed
		{`{"endpoint":"web","id":"800","data":""}`, 400, "at most 7FF"},
		{`{"endpoint":"web","id":"12","data":""}`, 400, "3 hex digits"},
		{`{"endpoint":"web","id":"123","data":"010203040506070809"}`, 400, "at most 8"},
		{`{"endpoint":"web","id":"123","data":"0x"}`, 400, "not hex"},
		{`{"endpoint":"link","id":"123","data":""}`, 400, "not an endpoint of kind console"},
		{`{"id":"123"}`, 400, "endpoint: missing"},
		{`not json`, 400, "body"},
		{`{"endpoint":"web","id":"123","data":"00","brs":true}`, 400, "brs"},
	} {
		status, msg := post(t, r, c.body, nil)
		if status != c.status || !strings.Contains(msg, c.msg) {
			t.Errorf("POST %s: %d %q, want %d and %q", c.body, status, msg, c.status, c.msg)
		}
	}
	waitFor(t, "the allowed frame on the bus and the other counted", func() bool {
		st := r.status(t)
		for _, rt := range st.Routes {
			if rt.Name == "web-to-bus" {
				return rt.In == 2 && rt.Out == 1 && rt.Dropped["not_allowed"] == 1
			}
		}
		return false
	})
	if got := busFrames(); len(got) != 1 || got[0] != "123#0102" {
		t.Errorf("bus got %v, want [123#0102]", got)
	}
	if e := endpointOf(r.status(t), "web"); e.FramesIn != 2 {
		t.Errorf("web received %d frames, want 2", e.FramesIn)
	}
	// CAN FD.
	if status, msg := post(t, r, `{"endpoint":"web","id":"1AB","data":"00112233445566778899AABB","fd":true,"brs":true}`, nil); status != 202 {
		t.Fatalf("FD send: %d %q", status, msg)
	}
	waitFor(t, "the FD frame", func() bool { return len(busFrames()) == 2 })
	testBus.mu.Lock()
	f := testBus.got[1]
	testBus.mu.Unlock()
	if f.Type != frame.CANFD || f.ID != 0x1AB || f.Len != 12 || f.Flags != frame.CANFDBRS || f.Data[11] != 0xBB {
		t.Errorf("FD frame %+v", f)
	}
	// A 29-bit ID: 8 digits.
	if _, fr, err := parseSend([]byte(`{"endpoint":"web","id":"18FEF100","data":"01"}`)); err != nil || fr.ID != frame.CANEFFFlag|0x18FEF100 || fr.FD || fr.Len != 1 {
		t.Errorf("29-bit: %+v, %v", fr, err)
	}
	if _, _, err := parseSend([]byte(`{"endpoint":"web","id":"20000000","data":""}`)); err == nil || !strings.Contains(err.Error(), "1FFFFFFF") {
		t.Errorf("29-bit out of range: %v", err)
	}
	if _, _, err := parseSend([]byte(`{"endpoint":"web","id":"123","data":"000102030405060708","fd":true}`)); err == nil || !strings.Contains(err.Error(), "no CAN FD length") {
		t.Errorf("FD length 9: %v", err)
	}
}

func TestSendRefused(t *testing.T) {
	// Without a console endpoint, sending is off.
	r := startRig(t, config.Admin{})
	if status, msg := post(t, r, `{"endpoint":"web","id":"123","data":""}`, nil); status != 403 || !strings.Contains(msg, "sending is off") {
		t.Errorf("send without a console endpoint: %d %q", status, msg)
	}
	resetBus()
	r = startRigWith(t, config.Admin{}, sendRig)
	for name, hdr := range map[string]map[string]string{
		"cross-origin": {"Origin": "http://evil.example"},
		"cross-site":   {"Sec-Fetch-Site": "cross-site"},
		"foreign Host": {"Host": "evil.example"},
	} {
		req, _ := http.NewRequest("POST", r.base+pathSend, strings.NewReader(`{"endpoint":"web","id":"123","data":""}`))
		for k, v := range hdr {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("%s POST: %s, want 403", name, resp.Status)
		}
	}
	if resp, _ := do(t, "GET", r.base+pathSend, nil); resp.StatusCode != 405 {
		t.Errorf("GET %s: %s, want 405", pathSend, resp.Status)
	}
	// Beyond loopback: the bearer token, not the cookie.
	const token = "0123456789abcdef-console"
	tf := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tf, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	r2 := startRigWithName(t, config.Admin{Listen: "0.0.0.0:9108", TokenFile: tf})
	if status, _ := post(t, r2, `{"endpoint":"web2","id":"123","data":"AA"}`, map[string]string{"Cookie": cookieName + "=" + token}); status != 401 {
		t.Errorf("send beyond loopback with the cookie only: %d, want 401", status)
	}
	if status, msg := post(t, r2, `{"endpoint":"web2","id":"123","data":"AA"}`, map[string]string{"Authorization": "Bearer " + token}); status != 202 {
		t.Errorf("send beyond loopback with the token: %d %q", status, msg)
	}
	if n := len(busFrames()); n != 0 {
		t.Errorf("refused sends reached the bus: %v", busFrames())
	}
	waitFor(t, "the frame sent with the token", func() bool { return endpointOf(r2.status(t), "web2").FramesIn == 1 })
}

// startRigWithName: a second rig needs its own console endpoint name
// (names are per process) and no route to the shared test bus.
func startRigWithName(t *testing.T, admin config.Admin) *testRig {
	return startRigWith(t, admin, "  web2: {kind: console}\nroutes:\n  - {name: web2-to-out, from: [web2], to: [out]}\n")
}

func FuzzParseSend(f *testing.F) {
	for _, s := range []string{
		`{"endpoint":"web","id":"123","data":"0102"}`,
		`{"endpoint":"web","id":"18FEF100","data":"00112233445566778899AABB","fd":true,"brs":true}`,
		`{"endpoint":"web","id":"7FF","data":""}`,
		`{"endpoint":"","id":"","data":"zz"}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		name, fr, err := parseSend(b)
		if err != nil {
			return
		}
		if name == "" || (!fr.FD && fr.Len > 8) || fr.Len > 64 || (fr.ID&frame.CANEFFFlag == 0 && fr.ID > frame.CANSFFMask) || fr.ID&^(frame.CANEFFFlag|frame.CANEFFMask) != 0 {
			t.Fatalf("parseSend(%q) = %q, %+v: out of range", b, name, fr)
		}
	})
}
