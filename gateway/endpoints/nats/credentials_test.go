//go:build !hil

package nats_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
	"github.com/nats-io/nats-server/v2/server"
)

// TestCredentials: against a server that requires them, the endpoint
// connects with the right user and password (or token) and publishes;
// with wrong ones it stays disconnected (peers 0) and frames wait in its
// queue instead of vanishing.
func TestCredentials(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      server.Options
		creds     string
		connected bool
	}{
		{"user", server.Options{Username: "bench", Password: "s3cret"}, "{user: bench, password: s3cret}", true},
		{"user-wrong", server.Options{Username: "bench", Password: "s3cret"}, "{user: bench, password: guess}", false},
		{"token", server.Options{Authorization: "t0ken"}, "{token: t0ken}", true},
		{"token-wrong", server.Options{Authorization: "t0ken"}, "{token: other}", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := gatewaytest.FreePort(t, "tcp")
			o := tc.opts
			o.Host, o.Port, o.NoSigs, o.NoLog = "127.0.0.1", port, true, true
			s, err := server.NewServer(&o)
			if err != nil {
				t.Fatal(err)
			}
			go s.Start()
			if !s.ReadyForConnections(10 * time.Second) {
				t.Fatal("server not ready")
			}
			defer s.Shutdown()
			src := "in-cred-" + tc.name
			g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  %s: {kind: test-source}
  pub: {kind: nats, gateway: gc, url: "nats://127.0.0.1:%d", credentials: %s, reconnect: {min: 50ms, max: 200ms}}
routes:
  - {name: r, from: [%s], to: [pub]}
`, src, port, tc.creds, src))
			if tc.connected {
				waitConnected(t, g, "pub")
				gatewaytest.Inject(t, src, testFrames(10))
				waitFor(t, "published", 30*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "pub").FramesOut == 10 })
				return
			}
			time.Sleep(time.Second)
			gatewaytest.Inject(t, src, testFrames(10))
			time.Sleep(200 * time.Millisecond)
			if st := gatewaytest.EndpointStatus(g, "pub"); st.Peers != 0 || st.FramesOut != 0 {
				t.Fatalf("with wrong credentials: %+v", st)
			}
		})
	}
}
